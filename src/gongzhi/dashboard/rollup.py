"""Keeping the roll-ups (`dash_appeal_stats`) equal to what the appeal rows say (docs/dashboard.md §2).

The unit of work is one month of received appeals: its day rows and its month rows (total and every slice) are
computed from the appeal table by grouped queries over the month's `created_at` range joined to the region
tree's ancestor pairs, then swapped in (delete the month's rows, insert the new ones) in one short transaction.
Recomputing is idempotent and exact, so there is no delta arithmetic to drift.

Which months: every change to an appeal writes a timeline event, so the months to redo are those of the appeals
with events since the last refresh (less a safety margin for transactions still open when it read). On SQLite the
reading runs in a deferred transaction, so a long month does not hold the write lock while it is counted."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import CHANNELS, Appeal, AppealEvent
from gongzhi.core.db import copy_rows, hours_between, local_date, now
from gongzhi.core.settings import get_settings
from gongzhi.dashboard.models import BUCKETS, COUNTS, HOUR_BOUNDS, AppealStat, RegionAncestor, RollupState
from gongzhi.regions.models import Region

log = logging.getLogger("gongzhi.worker")
A, C, S = Appeal.__table__, RegionAncestor.__table__, AppealStat.__table__
MARGIN = dt.timedelta(minutes=5)  # events stamped before a refresh's read but committed after it
UPPER_LEVELS = ("city", "district", "street", "community")  # sliced by category, matter type and department

REGISTERED = and_(A.c.registered_at.is_not(None), A.c.status.not_in(("rejected", "merged")))
RESOLVED = and_(REGISTERED, A.c.resolved_at.is_not(None))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt


def utc_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant the local calendar day begins."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(get_settings().timezone)).astimezone(dt.UTC)


def local_month(at: dt.datetime) -> dt.date:
    return at.astimezone(ZoneInfo(get_settings().timezone)).date().replace(day=1)


# ---- the region tree's ancestor pairs -------------------------------------------------------------------

def ensure_ancestors(session: Session) -> bool:
    """Rebuild the ancestor pairs if the region tree changed since they were built. Returns whether it did."""
    count, latest = session.execute(select(func.count(), func.max(Region.updated_at))).one()
    state = session.get(RollupState, "ancestors")
    if state is not None and state.months == count and state.through == latest:
        return False
    regions = session.execute(select(Region.id, Region.code, Region.path, Region.level)).all()
    by_code = {r.code: r for r in regions}
    pairs = []
    for r in regions:
        for code in r.path.strip("/").split("/"):
            a = by_code.get(code)
            if a is not None:
                pairs.append({"region_id": r.id, "ancestor_id": a.id, "ancestor_level": a.level})
    session.execute(delete(C))
    if pairs:
        session.execute(insert(C), pairs)
    if state is None:
        state = RollupState(name="ancestors")
        session.add(state)
    state.months, state.through, state.refreshed_at = count, latest, now()
    session.flush()
    return True


# ---- one month ----------------------------------------------------------------------------------------

DIM_CODES = {"channel": CHANNELS, "tier": ("", "grid", "community", "street", "department")}
FIGURES = (*COUNTS, "hours_sum", *BUCKETS)


def _ancestor_table(conn: Any) -> dict[str, np.ndarray]:
    """For each level, an array mapping a region id to its ancestor at that level (-1: none)."""
    pairs = conn.execute(select(C.c.region_id, C.c.ancestor_id, C.c.ancestor_level)).all()
    size = max((p[0] for p in pairs), default=0) + 1
    by_level: dict[str, np.ndarray] = {}
    for region_id, ancestor_id, level in pairs:
        arr = by_level.get(level)
        if arr is None:
            arr = by_level[level] = np.full(size, -1, dtype=np.int64)
        arr[region_id] = ancestor_id
    return by_level


def compute_month(conn: Any, month: dt.date) -> list[tuple[Any, ...]]:
    """The month's roll-up rows, counted from the appeal rows (reads only).

    One indexed read of the month's appeals, each with its figures worked out once (numpy), then summed per
    ancestor region and per day, per month, and per value of each slice (bincount), so the cost grows with the
    month's appeals, not with appeals × levels × slices."""
    first, nxt = month_bounds(month)
    start, end = utc_midnight(first), utc_midnight(nxt)
    stmt = select(A.c.region_id, local_date(A.c.created_at), A.c.channel, A.c.tier, A.c.category_id,
                  A.c.matter_type_id, A.c.assigned_department_id, A.c.status, A.c.registered_at.is_not(None),
                  A.c.accepted_at.is_not(None), hours_between(A.c.created_at, A.c.resolved_at), A.c.rating,
                  A.c.ever_overdue, A.c.supervised, A.c.escalation_level).where(
        A.c.created_at >= start, A.c.created_at < end)
    rows = conn.execute(stmt).all()
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    region = np.fromiter(cols[0], dtype=np.int64, count=n)
    day = np.fromiter(((_as_date(d) - first).days for d in cols[1]), dtype=np.int64, count=n)
    status = np.array(cols[7], dtype=object)
    valid = ~np.isin(status, ("rejected", "merged"))
    registered = valid & np.array(cols[8], dtype=bool)
    hours = np.array([np.nan if h is None else float(h) for h in cols[10]], dtype=float)
    rating = np.array([0 if r is None else r for r in cols[11]], dtype=np.int64)
    ever = np.array(cols[12], dtype=bool)
    resolved = registered & ~np.isnan(hours)
    figures = {
        "received": np.ones(n), "registered": registered, "responded": registered & np.array(cols[9], dtype=bool),
        "resolved": resolved, "on_time": resolved & ~ever, "rated": rating > 0, "satisfied": rating >= 4,
        "ever_overdue": ever, "supervised": np.array(cols[13], dtype=bool),
        "escalated": np.array(cols[14], dtype=np.int64) > 0, "closed": status == "closed",
        "hours_sum": np.where(resolved, np.nan_to_num(hours), 0.0),
    }
    bucket = np.searchsorted(np.array(HOUR_BOUNDS, dtype=float), np.nan_to_num(hours), side="right")
    for i, name in enumerate(BUCKETS):
        figures[name] = resolved & (bucket == i)
    matrix = np.column_stack([np.asarray(figures[f], dtype=float) for f in FIGURES])
    keys = {
        "channel": _codes(cols[2], DIM_CODES["channel"]), "tier": _codes(cols[3], DIM_CODES["tier"]),
        "category": _ids(cols[4]), "matter": _ids(cols[5]), "department": _ids(cols[6]),
    }
    ancestors = _ancestor_table(conn)
    out: list[tuple[Any, ...]] = []
    for level, lookup in ancestors.items():
        anc = np.where(region < len(lookup), lookup[np.minimum(region, len(lookup) - 1)], -1)
        here = anc >= 0
        _sum(out, level, "day", "all", anc, day, here, matrix, lambda k: ("", first + dt.timedelta(days=int(k))))
        _sum(out, level, "month", "all", anc, np.zeros(n, dtype=np.int64), here, matrix, lambda _k: ("", first))
        for dim, key in keys.items():
            if dim not in ("channel", "tier") and level not in UPPER_LEVELS:
                continue
            codes = DIM_CODES.get(dim)
            label = (lambda k, c=codes: (c[int(k)], first)) if codes else (lambda k: (str(int(k)), first))
            _sum(out, level, "month", dim, anc, key, here & (key >= 0), matrix, label)
    return out


def _codes(values: tuple[Any, ...], vocabulary: tuple[str, ...]) -> np.ndarray:
    index = {v: i for i, v in enumerate(vocabulary)}
    return np.fromiter((index.get(v or "", -1) for v in values), dtype=np.int64, count=len(values))


def _ids(values: tuple[Any, ...]) -> np.ndarray:
    return np.fromiter((-1 if v is None else v for v in values), dtype=np.int64, count=len(values))


def _sum(out: list[tuple[Any, ...]], level: str, grain: str, dim: str, anc: np.ndarray, key: np.ndarray,
         mask: np.ndarray, matrix: np.ndarray, label: Callable[[Any], tuple[str, dt.date]]) -> None:
    """Add the rows of one grouping (STORE_COLUMNS order): (ancestor, key) → the column sums of `matrix` over
    the masked appeals."""
    if not mask.any():
        return
    span = int(key[mask].max()) + 1
    composite = anc[mask] * span + key[mask]
    groups, inverse = np.unique(composite, return_inverse=True)
    sums = np.column_stack([np.bincount(inverse, weights=matrix[mask, j], minlength=len(groups))
                            for j in range(matrix.shape[1])])
    counts = np.rint(sums[:, :len(COUNTS)]).astype(np.int64).tolist()
    hours = sums[:, len(COUNTS)].tolist()
    buckets = np.rint(sums[:, len(COUNTS) + 1:]).astype(np.int64).tolist()
    for g, c, h, b in zip(groups.tolist(), counts, hours, buckets, strict=True):
        k, period = label(g % span)
        out.append((g // span, level, grain, dim, period, k, *c, h, *b))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


STORE_COLUMNS = ["region_id", "level", "grain", "dim", "period", "key", *FIGURES]


def store_month(session: Session, month: dt.date, rows: list[tuple[Any, ...]]) -> None:
    """Swap the month's rows for `rows`, in the caller's transaction."""
    first, nxt = month_bounds(month)
    session.execute(delete(S).where(S.c.grain == "day", S.c.period >= first, S.c.period < nxt))
    session.execute(delete(S).where(S.c.grain == "month", S.c.period == first))
    if rows:
        copy_rows(session.connection(), S, STORE_COLUMNS, rows)


def recompute(session: Session, months: Iterable[dt.date]) -> int:
    """Recompute `months` in the caller's session (tests, the CLI, the history generator)."""
    ensure_ancestors(session)
    done = 0
    for month in sorted({m.replace(day=1) for m in months}):
        store_month(session, month, compute_month(session, month))
        done += 1
    session.flush()
    return done


def all_months(session: Session) -> list[dt.date]:
    low, high = session.execute(select(func.min(Appeal.created_at), func.max(Appeal.created_at))).one()
    if low is None:
        return []
    months, m, last = [], local_month(low), local_month(high)
    while m <= last:
        months.append(m)
        m = month_bounds(m)[1]
    return months


def dirty_months(session: Session, since: dt.datetime | None) -> list[dt.date]:
    """The months of the appeals that changed (have timeline events) since `since`; all of them if None."""
    if since is None:
        return all_months(session)
    stamps = session.scalars(select(Appeal.created_at).join(AppealEvent, AppealEvent.appeal_id == Appeal.id)
                             .where(AppealEvent.at >= since - MARGIN).distinct())
    return sorted({local_month(s) for s in stamps})


def refresh(session: Session) -> int:
    """Bring the roll-ups up to date within the caller's transaction. Returns the months recomputed."""
    started, t0 = now(), time.perf_counter()
    state = session.get(RollupState, "appeals")
    months = dirty_months(session, state.through if state else None)
    if ensure_ancestors(session):
        months = all_months(session)  # the tree changed: every month's regional split may have
    done = recompute(session, months)
    _mark(session, state, started, done, time.perf_counter() - t0)
    return done


def state(session: Session) -> RollupState | None:
    return session.get(RollupState, "appeals")


def mark(session: Session, through: dt.datetime, months: int, seconds: float = 0.0) -> None:
    """Record that every change before `through` is counted."""
    _mark(session, state(session), through, months, seconds)


def _mark(session: Session, state: RollupState | None, through: dt.datetime, months: int, seconds: float) -> None:
    if state is None:
        state = RollupState(name="appeals")
        session.add(state)
    state.through, state.refreshed_at, state.months, state.seconds = through, now(), months, round(seconds, 3)
    session.flush()


def refresh_in_worker(session_factory: Callable[[], Session]) -> int:
    """The worker's refresh: each dirty month is read in its own read-only transaction and swapped in with a
    short write, so the writers (intake, the sweep) wait for the swap only, not for the counting."""
    from gongzhi.core.db import unit_of_work

    started, t0 = now(), time.perf_counter()
    session = session_factory()
    try:
        with unit_of_work(session):
            state = session.get(RollupState, "appeals")
            since = state.through if state else None
            tree_changed = ensure_ancestors(session)
        months = all_months(session) if tree_changed or since is None else dirty_months(session, since)
        session.commit()
        engine = session.get_bind()
        for month in months:
            with engine.connect().execution_options(read_only=True) as conn:
                rows = compute_month(conn, month)
                conn.rollback()
            with unit_of_work(session):
                store_month(session, month, rows)
        with unit_of_work(session):
            _mark(session, session.get(RollupState, "appeals"), started, len(months), time.perf_counter() - t0)
    finally:
        session.close()
    if months:
        log.info("dashboard roll-ups: %d month(s) recomputed in %.2f s", len(months), time.perf_counter() - t0)
    return len(months)
