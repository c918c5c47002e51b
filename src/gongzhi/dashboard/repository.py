"""SQL of the dashboards: sums over the roll-ups, one page of cases, the open appeals' lists, and the small
co-building and points tables. Scope: the caller passes a region the actor covers (service.scope_region);
every statement here stays inside that region's subtree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from gongzhi.appeals import flow
from gongzhi.appeals.models import Appeal
from gongzhi.core.db import prefix_range
from gongzhi.dashboard.models import BUCKETS, COUNTS, AppealStat, RollupState
from gongzhi.dashboard.rollup import REGISTERED, RESOLVED
from gongzhi.regions.models import Region

FIGURES = (*COUNTS, "hours_sum", *BUCKETS)
S = AppealStat


def empty() -> dict[str, Any]:
    return dict.fromkeys(FIGURES, 0) | {"hours_sum": 0.0}


def _sums() -> list[Any]:
    return [func.coalesce(func.sum(getattr(S, n)), 0).label(n) for n in FIGURES]


def _row(mapping: Any) -> dict[str, Any]:
    return {n: (float(mapping[n] or 0) if n == "hours_sum" else int(mapping[n] or 0)) for n in FIGURES}


def totals(session: Session, region_id: int, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The region's figures for the months [start, end)."""
    stmt = select(*_sums()).where(S.region_id == region_id, S.grain == "month", S.dim == "all",
                                  S.period >= start, S.period < end)
    return _row(session.execute(stmt).one()._mapping)


def series(session: Session, region_id: int, grain: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The region's totals per day or month, in order (periods without appeals are absent)."""
    stmt = (select(S.period, *(getattr(S, n).label(n) for n in FIGURES))
            .where(S.region_id == region_id, S.grain == grain, S.dim == "all", S.period >= start, S.period < end)
            .order_by(S.period))
    return [{"period": r.period, **_row(r._mapping)} for r in session.execute(stmt)]


def by_key(session: Session, region_id: int, dim: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The region's figures per value of a slice, over the months [start, end)."""
    stmt = (select(S.key, *_sums()).where(S.region_id == region_id, S.grain == "month", S.dim == dim,
                                          S.period >= start, S.period < end).group_by(S.key))
    return [{"key": r.key, **_row(r._mapping)} for r in session.execute(stmt)]


def by_region(session: Session, region_ids: list[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """Figures per region (children, grids) over the months [start, end)."""
    if not region_ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(region_ids), 900):
        chunk = region_ids[i:i + 900]
        stmt = (select(S.region_id, *_sums()).where(S.region_id.in_(chunk), S.grain == "month", S.dim == "all",
                                                     S.period >= start, S.period < end).group_by(S.region_id))
        out.update({r.region_id: _row(r._mapping) for r in session.execute(stmt)})
    return out


def rollup_state(session: Session) -> RollupState | None:
    return session.get(RollupState, "appeals")


# ---- regions ---------------------------------------------------------------------------------------------

def children(session: Session, region: Region) -> list[Region]:
    """The regions a dashboard drills into from `region`, in code order: its direct children (a county-level city
    has streets right under it), except that a community or compound goes straight to its grids."""
    if region.level in ("community", "compound"):
        return grids(session, region)
    return list(session.scalars(select(Region).where(Region.parent_id == region.id).order_by(Region.path)))


def grids(session: Session, region: Region) -> list[Region]:
    return list(session.scalars(select(Region).where(prefix_range(Region.path, region.path), Region.level == "grid")
                                .order_by(Region.path)))


# ---- appeal rows: one page, never a count of the table ------------------------------------------------------

METRICS: dict[str, Any] = {
    "received": None, "registered": REGISTERED, "responded": and_(REGISTERED, Appeal.accepted_at.is_not(None)),
    "unresponded": and_(REGISTERED, Appeal.accepted_at.is_(None)), "resolved": RESOLVED,
    "unresolved": and_(REGISTERED, Appeal.resolved_at.is_(None)),
    "on_time": and_(RESOLVED, Appeal.ever_overdue.is_(False)), "rated": Appeal.rating.is_not(None),
    "satisfied": Appeal.rating >= 4, "unsatisfied": Appeal.rating <= 3, "ever_overdue": Appeal.ever_overdue.is_(True),
    "supervised": Appeal.supervised.is_(True), "escalated": Appeal.escalation_level > 0,
    "closed": Appeal.status == "closed",
}
DIM_COLUMNS: dict[str, Any] = {"channel": Appeal.channel, "tier": Appeal.tier, "category": Appeal.category_id,
                               "matter": Appeal.matter_type_id, "department": Appeal.assigned_department_id}


def _in_region(region: Region) -> Any:
    # a grid (the usual home of an appeal) by its id, so (region_id, created_at) gives the newest first
    return Appeal.region_id == region.id if region.level == "grid" else prefix_range(Appeal.scope_path, region.path)


def case_page(session: Session, region: Region, start: dt.datetime, end: dt.datetime, *, metric: str,
              dim: str | None, key: str | None, offset: int, limit: int) -> list[Appeal]:
    """One page of the appeals behind a figure: received in [start, end) in the region, newest first."""
    stmt = select(Appeal).where(_in_region(region), Appeal.created_at >= start, Appeal.created_at < end)
    if METRICS[metric] is not None:
        stmt = stmt.where(METRICS[metric])
    if dim:
        column = DIM_COLUMNS[dim]
        if dim == "tier" and key == "":
            stmt = stmt.where(column.is_(None))
        else:
            stmt = stmt.where(column == (key if dim in ("channel", "tier") else int(key or 0)))
    return list(session.scalars(stmt.order_by(Appeal.created_at.desc(), Appeal.id.desc()).offset(offset).limit(limit)))


OPEN_VALUES = tuple(s.value for s in flow.OPEN)
OPEN_KINDS: dict[str, Any] = {
    "open": None, "overdue": Appeal.overdue.is_(True),
    "warning": and_(Appeal.warned.is_(True), Appeal.overdue.is_(False)), "supervised": Appeal.supervised.is_(True),
}


def open_counts(session: Session, region: Region) -> dict[str, int]:
    """Open appeals in the region now: all, overdue, past 80 % of their limit, under supervision."""
    stmt = select(func.count(), *(func.coalesce(func.sum(_flag(c)), 0) for k, c in OPEN_KINDS.items() if c is not None)
                  ).where(Appeal.status.in_(OPEN_VALUES), prefix_range(Appeal.scope_path, region.path))
    row = session.execute(stmt).one()
    return dict(zip(OPEN_KINDS, (int(v or 0) for v in row), strict=True))


def _flag(condition: Any) -> Any:
    from sqlalchemy import case

    return case((condition, 1), else_=0)


def open_page(session: Session, region: Region, kind: str, offset: int, limit: int) -> list[Appeal]:
    stmt = select(Appeal).where(Appeal.status.in_(OPEN_VALUES), prefix_range(Appeal.scope_path, region.path))
    if OPEN_KINDS[kind] is not None:
        stmt = stmt.where(OPEN_KINDS[kind])
    order = (Appeal.due_at.asc(), Appeal.id.asc())
    return list(session.scalars(stmt.order_by(*order).offset(offset).limit(limit)))


# ---- co-building, 双报到 and points in the region ---------------------------------------------------------------

def activity(session: Session, region: Region, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    from gongzhi.cobuild.models import Need, Project, Wish
    from gongzhi.points.models import PointPosting, Redemption
    from gongzhi.volunteers.models import Reporting, ServiceLog

    def count(model: Any, *where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(
            prefix_range(model.scope_path, region.path), *where)) or 0)

    local_start, local_end = start.date(), end.date()
    hours = session.scalar(select(func.coalesce(func.sum(ServiceLog.hours), 0.0)).where(
        prefix_range(ServiceLog.scope_path, region.path), ServiceLog.status == "confirmed",
        ServiceLog.served_on >= local_start, ServiceLog.served_on < local_end))
    earned = session.scalar(select(func.coalesce(func.sum(PointPosting.points), 0))
                            .join(Region, Region.id == PointPosting.community_id)
                            .where(prefix_range(Region.path, region.path), PointPosting.kind == "award",
                                   PointPosting.created_at >= start, PointPosting.created_at < end))
    redeemed = session.scalar(select(func.coalesce(func.sum(Redemption.points), 0)).where(
        prefix_range(Redemption.scope_path, region.path), Redemption.status != "cancelled",
        Redemption.created_at >= start, Redemption.created_at < end))
    posted = (Need.created_at >= start, Need.created_at < end)
    return {
        "needs_posted": count(Need, *posted),
        "needs_matched": count(Need, *posted, Need.status.in_(("claimed", "in_project", "done"))),
        "projects_done": count(Project, Project.status == "done", Project.done_at >= start, Project.done_at < end),
        "wishes_fulfilled": count(Wish, Wish.status.in_(("fulfilled", "thanked")), Wish.fulfilled_at >= start,
                                  Wish.fulfilled_at < end),
        "members_reported": count(Reporting, Reporting.status == "confirmed"),
        "members_reported_new": count(Reporting, Reporting.status == "confirmed", Reporting.created_at >= start,
                                      Reporting.created_at < end),
        "service_hours": round(float(hours or 0), 1),
        "points_earned": int(earned or 0), "points_redeemed": int(redeemed or 0),
    }
