"""Years of appeal history for a generated city (`gongzhi generate --appeals N --years Y`): what a city that has
run the appeal loop for a while holds, so dashboards, rankings and monthly reports have something to show and
the benchmarks something to measure (docs/dashboard.md §5).

Rows are drawn with a fixed seed and written straight into the table (COPY on PostgreSQL), oldest first, with
the secondary indexes built after the load; then the dashboard roll-ups are recomputed for the months written.
How they are drawn:
- when: uniform over the years up to now, weekdays twice as busy as weekends, office hours busiest;
- where: a grid, weighted by its households (overloaded grids report more);
- what: a matter type of the catalog, Zipf-weighted (a few kinds of problem make most of the volume), with its
  tier, handler (the grid's own community or street, or the lead department) and limits;
- how it went: acceptance after a few hours; handling time log-normal around two days; an appeal later than its
  matter's limit is overdue (and mostly supervised, half escalated); 3.5 % are rejected, 2 % merged into the one
  before; finished ones are verified, rated by 85 % of residents (satisfied far less often when late) and closed;
  the youngest are still open at the step their time allows.
Generated rows carry no timeline events: they are history, not actions taken here."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from gongzhi.core.db import copy_rows, indexes_dropped, now, reset_sequences
from gongzhi.core.errors import AppError
from gongzhi.duties.models import MatterType
from gongzhi.regions.models import Region

Progress = Callable[[str, int, int], None]
CHANNELS = ("hotline", "h5", "patrol", "mailbox", "transfer", "visit", "volunteer", "open311")
CHANNEL_SHARES = (0.42, 0.22, 0.12, 0.06, 0.06, 0.05, 0.05, 0.02)
COLUMNS = ["id", "version", "title", "description", "channel", "status", "priority", "address", "grid_id",
           "region_id", "scope_path", "category_id", "matter_type_id", "tier", "assigned_region_id",
           "assigned_department_id", "escalation_level", "supervised", "anonymous", "reporter_name",
           "location_consent", "metoo_count", "reopen_count", "review_reopened", "reply", "rating", "close_reason",
           "parent_id", "due_at", "warn_at", "resolve_due_at", "warned", "overdue", "ever_overdue", "next_check_at",
           "event_seq", "created_at", "updated_at", "registered_at", "dispatched_at", "accepted_at", "resolved_at",
           "verified_at", "closed_at"]
CHUNK = 100_000
BULK = 100_000  # from this many rows on, the indexes are built after the load


class NoCity(AppError):
    status = 409
    code = "no_city"


def _grids(session: Session) -> list[tuple[int, str, str, dict[str, int], int]]:
    """(id, path, name, {level: id along the path}, households) of every grid."""
    from gongzhi.regions import repository as regions_repo

    ids = dict(session.execute(select(Region.code, Region.id)).tuples().all())
    levels = dict(session.execute(select(Region.code, Region.level)).tuples().all())
    root = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
    if root is None:
        return []
    households, _ = regions_repo.grid_counts(session, root, residents_too=False)
    out = []
    for gid, path, name in session.execute(select(Region.id, Region.path, Region.name).where(Region.level == "grid")
                                           .order_by(Region.path)):
        chain = {levels[c]: ids[c] for c in path.strip("/").split("/") if c in levels}
        out.append((gid, path, name, chain, households.get(gid, 0)))
    return out


def generate_history(session: Session, *, appeals: int, years: float, seed: int, end: dt.datetime | None = None,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Add `appeals` appeals received over the `years` before `end` (default now), then recompute the roll-ups
    of the months they fall in. Commits the session (the load, then each month); returns what was written."""
    from gongzhi.dashboard import rollup

    if appeals <= 0 or years <= 0:
        raise AppError("诉求数量和年数都应大于 0", code="bad_history")
    started = now()
    end = end or started
    grids = _grids(session)
    matters = list(session.execute(select(MatterType.id, MatterType.category_id, MatterType.tier,
                                          MatterType.lead_department_id, MatterType.resolve_days, MatterType.name)
                                   .where(MatterType.is_active.is_(True)).order_by(MatterType.id)))
    if not grids or not matters:
        raise NoCity("数据库中还没有网格或事项清单：先运行 gongzhi generate 和 gongzhi demo-accounts")
    rng = np.random.default_rng(seed)
    first_id = int(session.scalar(select(func.coalesce(func.max(Appeal.id), 0))) or 0) + 1
    span = years * 365.25 * 86400
    start_ts = end.timestamp() - span
    g_weights = np.array([max(hh, 50) for *_, hh in grids], dtype=float)
    g_weights /= g_weights.sum()
    ranks = rng.permutation(len(matters)) + 1
    m_weights = 1.0 / ranks ** 0.9
    m_weights /= m_weights.sum()
    hours_of_day = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 8, 10, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2], float)
    hours_of_day /= hours_of_day.sum()
    written = 0
    conn = session.connection()
    # a large load goes in without the secondary indexes, which are built once at the end
    with indexes_dropped(conn, ["appeals"]) if appeals >= BULK else contextlib.nullcontext():
        # oldest first, so ids grow with the time received, as they would have
        times = np.sort(_times(rng, appeals, start_ts, span, hours_of_day))
        for base in range(0, appeals, CHUNK):
            stamp = times[base:base + CHUNK]
            rows = _rows(rng, stamp, first_id + base, grids, g_weights, matters, m_weights, end)
            copy_rows(conn, Appeal.__table__, COLUMNS, rows)
            written += len(rows)
            if progress:
                progress("历史诉求", written, appeals)
        reset_sequences(conn, ["appeals"])
    session.commit()
    if appeals >= BULK:
        with session.get_bind().connect() as fresh:  # new statistics, so the planners use the indexes just built
            fresh.exec_driver_sql("ANALYZE appeals")
            fresh.commit()
    # the months written (every month, if the roll-ups were never built: then they are built whole, and the
    # worker's next refresh only looks at what changed after this)
    low = rollup.local_month(dt.datetime.fromtimestamp(float(times[0]), dt.UTC))
    fresh_start = rollup.state(session) is None
    months = [m for m in rollup.all_months(session) if fresh_start or m >= low]
    for i, month in enumerate(months):
        rollup.recompute(session, [month])
        session.commit()
        if progress:
            progress("汇总", i + 1, len(months))
    if fresh_start:
        rollup.mark(session, started, len(months))
        session.commit()
    # the roll-ups just grew by up to millions of rows: fresh statistics, or PostgreSQL's planner takes the table
    # for empty and reads a region's rows through the period index
    session.execute(text("ANALYZE dash_appeal_stats"))
    session.commit()
    return {"appeals": written, "first_id": first_id, "months": len(months)}


def _times(rng: np.random.Generator, n: int, start_ts: float, span: float, hours: np.ndarray) -> np.ndarray:
    days = int(span // 86400)
    day = rng.integers(0, max(days, 1), n * 2)
    dow = (np.floor(start_ts / 86400) + day + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    keep = (dow < 5) | (rng.random(n * 2) < 0.5)  # weekends half as busy
    day = day[keep][:n]
    while len(day) < n:
        day = np.concatenate([day, rng.integers(0, max(days, 1), n - len(day))])
    hour = rng.choice(24, size=n, p=hours)
    # local office hours: the day starts at local midnight (UTC+8)
    return start_ts - (start_ts % 86400) - 8 * 3600 + day * 86400.0 + hour * 3600.0 + rng.random(n) * 3600.0


def _rows(rng: np.random.Generator, stamp: np.ndarray, first: int, grids: list[Any], g_weights: np.ndarray,
          matters: list[Any], m_weights: np.ndarray, end: dt.datetime) -> list[tuple[Any, ...]]:
    n = len(stamp)
    end_ts = end.timestamp()
    g_idx = rng.choice(len(grids), size=n, p=g_weights)
    m_idx = rng.choice(len(matters), size=n, p=m_weights)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARES)
    fate = rng.random(n)  # < 0.035 rejected, < 0.055 merged
    accept_h = rng.lognormal(np.log(3.0), 0.8, n)
    handle_h = rng.lognormal(np.log(44.0), 1.0, n)
    verify_h, rate_h, close_h = rng.lognormal(np.log(10.0), 0.6, (3, n))
    rated_draw, happy_draw, sup_draw, esc_draw, late_draw = rng.random((5, n))
    stars = rng.integers(4, 6, n)
    low_stars = rng.integers(1, 4, n)
    hour = 3600.0
    rows = []
    for i in range(n):
        gid, path, gname, chain, _hh = grids[g_idx[i]]
        mid, cat, tier, lead, resolve_days, mname = matters[m_idx[i]]
        created = float(stamp[i])
        limit_h = float(resolve_days) * 24.0 * 1.4 + 24.0
        due = created + limit_h * hour
        aid = first + i
        f = fate[i]
        common = [aid, 1, mname[:120], "", CHANNELS[channel[i]]]
        if f < 0.035 or (f < 0.055 and aid == 1):
            t_reg = created + accept_h[i] * hour / 3
            rows.append(_row(common, "rejected", gname, gid, path, cat, mid, None, None, None, 0, False, None,
                             "rejected", None, None, False, False, None, created, t_reg, None, None, None, None,
                             None, t_reg if t_reg < end_ts else created, 0))
            continue
        if f < 0.055:
            t_reg = created + accept_h[i] * hour / 3
            rows.append(_row(common, "merged", gname, gid, path, cat, mid, None, None, None, 0, False, None,
                             "merged", aid - 1, None, False, False, None, created, None, None, None, None, None,
                             None, min(t_reg, end_ts), 0))
            continue
        region = None if tier == "department" else chain.get(tier, gid)
        dept = lead if tier == "department" else None
        t_reg = created + 0.2 * hour
        t_acc = created + accept_h[i] * hour
        t_res = t_acc + handle_h[i] * hour
        late = t_res > due or late_draw[i] < 0.02
        supervised = late and sup_draw[i] < 0.6
        escalation = 1 if late and esc_draw[i] < 0.5 else 0
        t_ver, t_rate = t_res + verify_h[i] * hour, t_res + (verify_h[i] + rate_h[i]) * hour
        t_close = t_rate + close_h[i] * hour
        rated = rated_draw[i] < 0.85
        rating = None
        if rated:
            rating = int(stars[i]) if happy_draw[i] < (0.72 if late else 0.95) else int(low_stars[i])
        if t_close <= end_ts:
            status, closed, close_reason = "closed", t_close, "resolved"
        elif t_rate <= end_ts and rated:
            status, closed, close_reason = "rated", None, ""
        elif t_ver <= end_ts:
            status, closed, close_reason = "verified", None, ""
            rating = None
        elif t_res <= end_ts:
            status, closed, close_reason = "resolved", None, ""
            rating = None
        else:  # still being handled
            rating, closed, close_reason = None, None, ""
            t_res = t_ver = None  # type: ignore[assignment]
            if t_acc > end_ts:
                status, t_acc = "dispatched", None  # type: ignore[assignment]
            else:
                status = "in_progress"
            overdue_now = end_ts > due
            rows.append(_row(common, status, gname, gid, path, cat, mid, tier, region, dept, escalation if
                             overdue_now else 0, overdue_now and supervised, None, "", None, due,
                             overdue_now, overdue_now, None if overdue_now else due, created, t_reg, t_reg, t_acc,
                             None, None, None, min(end_ts, max(t_reg, t_acc or t_reg)), 0))
            continue
        ver = t_ver if t_ver <= end_ts else None
        rows.append(_row(common, status, gname, gid, path, cat, mid, tier, region, dept, escalation, supervised,
                         rating, close_reason, None, due, late, False, None, created, t_reg, t_reg, t_acc, t_res,
                         ver, closed, min(end_ts, closed or ver or t_res), 0))
    return rows


def _ts(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)


def _row(common: list[Any], status: str, address: str, gid: int, path: str, cat: int, mid: int, tier: str | None,
         region: int | None, dept: int | None, escalation: int, supervised: bool, rating: int | None,
         close_reason: str, parent: int | None, due: float | None, ever_overdue: bool, overdue: bool,
         wake: float | None, created: float, registered: float | None, dispatched: float | None,
         accepted: float | None, resolved: float | None, verified: float | None, closed: float | None,
         updated: float, event_seq: int) -> tuple[Any, ...]:
    due_at = _ts(due)
    warn_at = _ts(created + (due - created) * 0.8) if due is not None else None
    return (*common, status, "normal", address, gid, gid, path, cat, mid, tier, region, dept, escalation, supervised,
            False, "", False, 0, 0, False, "已办结" if resolved else "", rating, close_reason, parent,
            due_at if status not in ("rejected", "merged") else None, warn_at, due_at, ever_overdue, overdue,
            ever_overdue, _ts(wake), event_seq, _ts(created), _ts(updated), _ts(registered),
            _ts(dispatched), _ts(accepted), _ts(resolved), _ts(verified), _ts(closed))
