"""Matching needs to resources (需求—资源对接), on plain values so the service, the tests and the benchmark share it.

A pair is *compatible* when the types agree, the resource has capacity left, it reaches the need's place (offered
in the need's community, or at its street or above) and their time windows overlap. Its score (0–1) is a weighted sum
of five parts, each 0–1 and shown to staff: skills fit, distance, capacity left, time-window overlap and the
provider's past project ratings. `suggest` ranks the compatible resources of one need; `assign` picks pairs for a
whole community that maximise the number of matched needs and then the total score, under every resource's
capacity, with SciPy's `linear_sum_assignment` on a capacity-slot expansion; `greedy` is the baseline it beats
(taking an urgent need's best resource can starve a later need that only that resource reaches)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

WEIGHTS = {"skills": 0.30, "distance": 0.25, "capacity": 0.15, "window": 0.15, "rating": 0.15}
NEAR_KM = 5.0  # past this a resource gets no distance credit
UNRATED = 0.6  # a provider without rated projects counts as 3 of 5
URGENCY_ORDER = {"high": 0, "normal": 1, "low": 2}


@dataclass(frozen=True)
class NeedIn:
    id: int
    type: str
    skills: frozenset[str] = frozenset()
    lat: float | None = None
    lon: float | None = None
    path: str = ""
    window: tuple[dt.date | None, dt.date | None] = (None, None)
    urgency: str = "normal"


@dataclass(frozen=True)
class ResourceIn:
    id: int
    type: str
    capacity_left: int
    capacity: int = 1
    skills: frozenset[str] = frozenset()
    lat: float | None = None
    lon: float | None = None
    path: str = ""  # where it reaches: its community's path, or its own when placed at a street or above
    windows: tuple[tuple[dt.date, dt.date], ...] = ()
    rating: float | None = None  # the provider's past average, 1–5


@dataclass(frozen=True)
class Scored:
    resource_id: int
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    km: float | None = None


def split_tags(text: str | Iterable[str] | None) -> frozenset[str]:
    if text is None:
        return frozenset()
    items = text.replace("，", ",").replace("、", ",").split(",") if isinstance(text, str) else text
    return frozenset(t.strip() for t in items if t and t.strip())


def km_between(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance (haversine), enough for a few kilometres inside a street."""
    r = 6371.0
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


def compatible(need: NeedIn, res: ResourceIn) -> bool:
    return (need.type == res.type and res.capacity_left > 0 and need.path.startswith(res.path)
            and _window_part(need, res) > 0)


def _window_part(need: NeedIn, res: ResourceIn) -> float:
    start, end = need.window
    if not res.windows or (start is None and end is None):
        return 1.0  # either side is open at any time
    start = start or dt.date.min
    end = end or dt.date.max
    want = (end - start).days + 1 if end != dt.date.max and start != dt.date.min else None
    best = 0.0
    for w_from, w_to in res.windows:
        lo, hi = max(start, w_from), min(end, w_to)
        if lo > hi:
            continue
        best = max(best, 1.0 if want is None else min(1.0, ((hi - lo).days + 1) / want))
    return best


def score(need: NeedIn, res: ResourceIn) -> Scored:
    """The five parts and their weighted sum (rounded to 3 places: what staff see is what ranks)."""
    skills = len(need.skills & res.skills) / len(need.skills) if need.skills else 1.0
    km = None
    if None not in (need.lat, need.lon, res.lat, res.lon):
        km = km_between(need.lat, need.lon, res.lat, res.lon)  # type: ignore[arg-type]
        distance = max(0.0, 1.0 - km / NEAR_KM)
    else:
        distance = 0.5  # no coordinates: it reaches the place, distance unknown
    capacity = res.capacity_left / res.capacity if res.capacity else 0.0
    rating = (res.rating - 1) / 4 if res.rating is not None else UNRATED
    parts = {"skills": round(skills, 3), "distance": round(distance, 3), "capacity": round(min(1.0, capacity), 3),
             "window": round(_window_part(need, res), 3), "rating": round(rating, 3)}
    total = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 3)
    return Scored(res.id, total, parts, None if km is None else round(km, 2))


def suggest(need: NeedIn, resources: Sequence[ResourceIn], limit: int = 10) -> list[Scored]:
    """Compatible resources for one need, best first (ties: lower id first)."""
    ranked = [score(need, r) for r in resources if compatible(need, r)]
    ranked.sort(key=lambda s: (-s.score, s.resource_id))
    return ranked[:limit]


def _order(needs: Sequence[NeedIn]) -> list[NeedIn]:
    return sorted(needs, key=lambda n: (URGENCY_ORDER.get(n.urgency, 1), n.id))


def greedy(needs: Sequence[NeedIn], resources: Sequence[ResourceIn]) -> list[tuple[int, int, float]]:
    """The baseline: needs in urgency order, each takes its best compatible resource with capacity left."""
    left = {r.id: r.capacity_left for r in resources}
    pairs = []
    for need in _order(needs):
        best: Scored | None = None
        for r in resources:
            if left[r.id] > 0 and compatible(need, r):
                s = score(need, r)
                if best is None or (s.score, -s.resource_id) > (best.score, -best.resource_id):
                    best = s
        if best is not None:
            left[best.resource_id] -= 1
            pairs.append((need.id, best.resource_id, best.score))
    return pairs


def assign(needs: Sequence[NeedIn], resources: Sequence[ResourceIn]) -> list[tuple[int, int, float]]:
    """The most needs matched under capacity, then the highest total score: each resource becomes as many
    columns (slots) as it has capacity left, and `linear_sum_assignment` minimises the cost, where a compatible
    pair costs -(BIG + score) and an incompatible one 0 (left unmatched). BIG exceeds any possible sum of scores,
    so one more matched need always beats any gain in score. Types partition the problem: each type is solved
    on its own (smaller matrices, same optimum)."""
    pairs: list[tuple[int, int, float]] = []
    by_type: dict[str, tuple[list[NeedIn], list[ResourceIn]]] = {}
    for n in needs:
        by_type.setdefault(n.type, ([], []))[0].append(n)
    for r in resources:
        if r.type in by_type and r.capacity_left > 0:
            by_type[r.type][1].append(r)
    for type_needs, type_res in by_type.values():
        if not type_res:
            continue
        ok = np.zeros((len(type_needs), len(type_res)), dtype=bool)
        scores = np.zeros(ok.shape)
        for i, n in enumerate(type_needs):
            for j, r in enumerate(type_res):
                if compatible(n, r):
                    ok[i, j], scores[i, j] = True, score(n, r).score
        index = np.array([j for j, r in enumerate(type_res) for _ in range(min(r.capacity_left, len(type_needs)))])
        big = len(type_needs) + 1.0
        cost = np.where(ok[:, index], -(big + scores[:, index]), 0.0)
        rows, cols = linear_sum_assignment(cost)
        for i, c in zip(rows, cols, strict=True):
            j = index[c]
            if ok[i, j]:
                pairs.append((type_needs[i].id, type_res[j].id, float(scores[i, j])))
    pairs.sort()
    return pairs


def check_feasible(pairs: Iterable[tuple[int, int, float]], needs: Sequence[NeedIn],
                   resources: Sequence[ResourceIn]) -> list[str]:
    """What is wrong with an assignment (empty when it is feasible): a need twice, an unknown id, a type
    mismatch, a resource over its capacity left."""
    need_by = {n.id: n for n in needs}
    res_by = {r.id: r for r in resources}
    problems, seen, used = [], set(), dict.fromkeys(res_by, 0)
    for need_id, res_id, _ in pairs:
        if need_id in seen:
            problems.append(f"need {need_id} matched twice")
        seen.add(need_id)
        if need_id not in need_by or res_id not in res_by:
            problems.append(f"unknown pair {need_id}–{res_id}")
            continue
        if need_by[need_id].type != res_by[res_id].type:
            problems.append(f"type mismatch {need_id}–{res_id}")
        elif not compatible(need_by[need_id], res_by[res_id]):
            problems.append(f"incompatible pair {need_id}–{res_id}")
        used[res_id] += 1
    problems += [f"resource {rid} over capacity ({n} > {res_by[rid].capacity_left})"
                 for rid, n in used.items() if n > res_by[rid].capacity_left]
    return problems
