"""Assessment SQL and data scope. A set is visible when its region lies inside the actor's scope or contains it
(street staff read the city's community set); ranking rows and scorecards go by the scored region's path. The
counting queries behind the computed metrics live here too."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session

from gongzhi.assessment.models import Indicator, IndicatorClass, IndicatorSet, Period, Score
from gongzhi.cobuild.models import Need, Wish
from gongzhi.core.auth import Principal
from gongzhi.core.db import insert_unless_duplicate, now, prefix_range
from gongzhi.people.models import GridStaff, PartyMember
from gongzhi.regions.models import Region
from gongzhi.volunteers.models import Reporting, ServiceLog

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ancestor_paths(path: str) -> list[str]:
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]


def set_filter(principal: Principal) -> Any:
    """Sets inside the scope, and sets whose region contains the scope (the actor's own regions are ranked there)."""
    if principal.sees_all:
        return None
    return principal.scope_clause(IndicatorSet.scope_path) | IndicatorSet.scope_path.in_(
        ancestor_paths(principal.scope_path))


def readable_sets(principal: Principal) -> Select[Any]:
    clause = set_filter(principal)
    stmt = select(IndicatorSet)
    return stmt if clause is None else stmt.where(clause)


def list_sets(session: Session, principal: Principal) -> list[IndicatorSet]:
    order = (IndicatorSet.status == "archived", IndicatorSet.scope_path, IndicatorSet.id)
    return list(session.scalars(readable_sets(principal).order_by(*order)))


def get_set(session: Session, principal: Principal, set_id: int) -> IndicatorSet | None:
    return session.scalars(readable_sets(principal).where(IndicatorSet.id == set_id)).first()


def set_by_name(session: Session, name: str, region: Region) -> IndicatorSet | None:
    return session.scalars(select(IndicatorSet).where(IndicatorSet.name == name,
                                                      IndicatorSet.region_id == region.id)).first()


def region_by_code(session: Session, code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.code == code)).first()


def classes(session: Session, indicator_set: IndicatorSet) -> list[IndicatorClass]:
    return list(session.scalars(select(IndicatorClass).where(IndicatorClass.set_id == indicator_set.id)
                                .order_by(IndicatorClass.seq, IndicatorClass.id)))


def indicators(session: Session, indicator_set: IndicatorSet) -> list[Indicator]:
    """In display order: by class, then the indicator's own order and code."""
    return list(session.scalars(
        select(Indicator).join(IndicatorClass, IndicatorClass.id == Indicator.class_id)
        .where(Indicator.set_id == indicator_set.id)
        .order_by(IndicatorClass.seq, IndicatorClass.id, Indicator.seq, Indicator.code)))


def indicator_by_code(session: Session, indicator_set: IndicatorSet, code: str) -> Indicator | None:
    return session.scalars(select(Indicator).where(Indicator.set_id == indicator_set.id,
                                                   Indicator.code == code)).first()


def ranked_regions(session: Session, indicator_set: IndicatorSet) -> list[Region]:
    """Every region of the set's level inside the set's region, by code."""
    return list(session.scalars(select(Region).where(Region.level == indicator_set.level,
                                                     prefix_range(Region.path, indicator_set.scope_path))
                                .order_by(Region.code)))


def get_period(session: Session, indicator_set: IndicatorSet, key: str, *, lock: bool = False) -> Period | None:
    stmt = select(Period).where(Period.set_id == indicator_set.id, Period.period == key)
    if lock:  # compute, score and publish re-read the period under a lock: publishing must not race a score
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def add_period(session: Session, indicator_set: IndicatorSet, key: str) -> None:
    """The period's row, open, unless another transaction has just added it."""
    session.execute(insert_unless_duplicate(Period, session, "set_id", "period").values(
        set_id=indicator_set.id, period=key, status="open", region_id=indicator_set.region_id,
        scope_path=indicator_set.scope_path, created_at=now()))


def periods(session: Session, indicator_set: IndicatorSet) -> list[Period]:
    return list(session.scalars(select(Period).where(Period.set_id == indicator_set.id)
                                .order_by(Period.period.desc())))


def scores(session: Session, indicator_set: IndicatorSet, key: str, region: Region | None = None) -> list[Score]:
    stmt = select(Score).where(Score.set_id == indicator_set.id, Score.period == key)
    if region is not None:
        stmt = stmt.where(Score.region_id == region.id)
    return list(session.scalars(stmt))


def score_count(session: Session, indicator_set: IndicatorSet, key: str) -> int:
    return session.scalar(select(func.count()).select_from(Score).where(Score.set_id == indicator_set.id,
                                                                        Score.period == key)) or 0


# ---- the counts behind the computed metrics ---------------------------------------------------------------

def moment(day: dt.date) -> dt.datetime:
    """The start of a Beijing-time day, as an aware time (rows store UTC)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def grid_staff_counts(session: Session, region: Region) -> tuple[int, int]:
    """(grids under the region, those with at least one grid_staff row placed on them)."""
    grids = select(Region.id).where(Region.level == "grid", prefix_range(Region.path, region.path)).subquery()
    staffed = exists().where(GridStaff.region_id == grids.c.id)
    total = session.scalar(select(func.count()).select_from(grids)) or 0
    with_staff = session.scalar(select(func.count()).select_from(grids).where(staffed)) or 0
    return int(total), int(with_staff)


def reporting_counts(session: Session, region: Region, end: dt.date) -> tuple[int, int]:
    """(报到 confirmed before `end` under the region, Party members registered under it)."""
    reported = session.scalar(select(func.count()).select_from(Reporting).where(
        prefix_range(Reporting.scope_path, region.path), Reporting.status == "confirmed",
        Reporting.decided_at < moment(end))) or 0
    registered = session.scalar(select(func.count()).select_from(PartyMember).where(
        prefix_range(PartyMember.scope_path, region.path), PartyMember.kind == "registered")) or 0
    return int(reported), int(registered)


def need_counts(session: Session, region: Region, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(needs raised in the period now in a project or done, needs raised in the period)."""
    raised = and_(prefix_range(Need.scope_path, region.path), Need.created_at >= moment(start),
                  Need.created_at < moment(end))
    matched = session.scalar(select(func.count()).select_from(Need).where(
        raised, Need.status.in_(("in_project", "done")))) or 0
    total = session.scalar(select(func.count()).select_from(Need).where(raised)) or 0
    return int(matched), int(total)


def wish_counts(session: Session, region: Region, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(approved wishes posted in the period now fulfilled or thanked, approved wishes posted in the period)."""
    posted = and_(prefix_range(Wish.scope_path, region.path), Wish.created_at >= moment(start),
                  Wish.created_at < moment(end), Wish.status.notin_(("pending", "hidden")))
    fulfilled = session.scalar(select(func.count()).select_from(Wish).where(
        posted, Wish.status.in_(("fulfilled", "thanked")))) or 0
    total = session.scalar(select(func.count()).select_from(Wish).where(posted)) or 0
    return int(fulfilled), int(total)


def service_hours(session: Session, region: Region, start: dt.date, end: dt.date) -> float:
    total = session.scalar(select(func.coalesce(func.sum(ServiceLog.hours), 0.0)).where(
        prefix_range(ServiceLog.scope_path, region.path), ServiceLog.status == "confirmed",
        ServiceLog.served_on >= start, ServiceLog.served_on < end))
    return float(total or 0.0)
