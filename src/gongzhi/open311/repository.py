"""Open311 SQL: keys, the public catalog (active matter types) and the public view of appeals.

Open311 readers are anonymous: what they may see is fixed here, once — appeals that have a matter type — and
the columns read never include the reporter's identity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal, AppealEvent
from gongzhi.duties.models import Department, DutyCategory, MatterType
from gongzhi.open311.models import ApiKey
from gongzhi.regions.models import Building, Region

# ---- keys -------------------------------------------------------------------------------------------------


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


# ---- places -----------------------------------------------------------------------------------------------


def city_root(session: Session) -> Region | None:
    """The jurisdiction: the root of the region tree."""
    return session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()


def region_by_code(session: Session, code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.code == code)).first()


def building_by_code(session: Session, code: str) -> Building | None:
    return session.scalars(select(Building).where(Building.code == code)).first()


def regions_by_id(session: Session, ids: set[int]) -> dict[int, Region]:
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(ids)))}


# ---- catalog ----------------------------------------------------------------------------------------------


def active_matter_types(session: Session) -> list[MatterType]:
    return list(session.scalars(select(MatterType).where(MatterType.is_active.is_(True)).order_by(MatterType.code)))


def matter_type(session: Session, code: str) -> MatterType | None:
    mt = session.scalars(select(MatterType).where(MatterType.code == code)).first()
    return mt if mt is not None and mt.is_active else None


def matter_types_by_code(session: Session, codes: Sequence[str]) -> list[int]:
    return list(session.scalars(select(MatterType.id).where(MatterType.code.in_(codes))))


def categories(session: Session) -> dict[int, DutyCategory]:
    return {c.id: c for c in session.scalars(select(DutyCategory))}


def departments_by_id(session: Session, ids: set[int]) -> dict[int, Department]:
    if not ids:
        return {}
    return {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(ids)))}


# ---- requests (appeals) -----------------------------------------------------------------------------------


def public_requests(session: Session, *, ids: Sequence[int] | None = None, matter_type_ids: Sequence[int] | None = None,
                    start: dt.datetime | None = None, end: dt.datetime | None = None,
                    statuses: Sequence[str] | None = None, exclude_statuses: Sequence[str] | None = None,
                    limit: int) -> list[tuple[Appeal, MatterType, str | None]]:
    """(appeal, its matter type, the note of its latest timeline event), newest first. Only appeals with a
    matter type are Open311 service requests."""
    last_event = and_(AppealEvent.appeal_id == Appeal.id, AppealEvent.seq == Appeal.event_seq)
    stmt: Any = (select(Appeal, MatterType, AppealEvent.note)
                 .join(MatterType, MatterType.id == Appeal.matter_type_id)
                 .outerjoin(AppealEvent, last_event))
    if ids is not None:
        stmt = stmt.where(Appeal.id.in_(ids))
    if matter_type_ids is not None:
        stmt = stmt.where(Appeal.matter_type_id.in_(matter_type_ids))
    if start is not None:
        stmt = stmt.where(Appeal.created_at >= start)
    if end is not None:
        stmt = stmt.where(Appeal.created_at <= end)
    if statuses is not None:
        stmt = stmt.where(Appeal.status.in_(statuses))
    if exclude_statuses is not None:
        stmt = stmt.where(Appeal.status.not_in(exclude_statuses))
    rows = session.execute(stmt.order_by(Appeal.created_at.desc(), Appeal.id.desc()).limit(limit))
    return [(a, mt, note) for a, mt, note in rows]
