"""Appeal SQL and data scope: every read of an appeal goes through `readable()`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal, AppealEvent, AppealFollower, AppealPart, AppealPhoto, IdempotencyKey
from gongzhi.core.auth import Principal

STAFF_ROLES = frozenset({"admin", "leader", "street_staff", "community_staff", "grid_worker"})


def _part_of(department_id: int) -> Any:
    return exists().where(AppealPart.appeal_id == Appeal.id, AppealPart.department_id == department_id)


def _followed_by(user_id: int) -> Any:
    return exists().where(AppealFollower.appeal_id == Appeal.id, AppealFollower.user_id == user_id)


def scope_filter(principal: Principal) -> Any:
    """The WHERE clause of what `principal` may see, or None for everything.

    Staff see appeals inside their scope; a department handler sees what is assigned to their department or
    has a part for it; residents, volunteers and Party members see what they reported or follow, and the
    appeals in their own scope (to say "me too"; without the reporter's identity — see service.public_view)."""
    if principal.sees_all:
        return None
    mine = Appeal.reporter_id == principal.user_id
    if principal.role in STAFF_ROLES:
        return or_(principal.scope_clause(Appeal.scope_path), mine)
    if principal.role == "department_handler":
        if principal.department_id is None:
            return mine
        return or_(Appeal.assigned_department_id == principal.department_id, _part_of(principal.department_id),
                   mine)
    return or_(mine, _followed_by(principal.user_id), principal.scope_clause(Appeal.scope_path))


def readable(principal: Principal) -> Any:
    stmt = select(Appeal)
    clause = scope_filter(principal)
    return stmt if clause is None else stmt.where(clause)


def get_readable(session: Session, principal: Principal, appeal_id: int, *, lock: bool = False) -> Appeal | None:
    stmt = readable(principal).where(Appeal.id == appeal_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def by_external_id(session: Session, channel: str, external_id: str) -> Appeal | None:
    return session.scalars(select(Appeal).where(Appeal.channel == channel, Appeal.external_id == external_id)).first()


def by_idempotency_key(session: Session, key: str) -> Appeal | None:
    row = session.get(IdempotencyKey, key)
    return session.get(Appeal, row.appeal_id) if row is not None else None


def timeline(session: Session, appeal: Appeal) -> list[AppealEvent]:
    return list(session.scalars(select(AppealEvent).where(AppealEvent.appeal_id == appeal.id)
                                .order_by(AppealEvent.seq)))


def parts(session: Session, appeal: Appeal) -> list[AppealPart]:
    return list(session.scalars(select(AppealPart).where(AppealPart.appeal_id == appeal.id)
                                .order_by(AppealPart.id)))


def photos(session: Session, appeal: Appeal) -> list[AppealPhoto]:
    return list(session.scalars(select(AppealPhoto).where(AppealPhoto.appeal_id == appeal.id)
                                .order_by(AppealPhoto.id)))


def followers(session: Session, appeal_ids: list[int]) -> list[int]:
    return list(session.scalars(select(AppealFollower.user_id).where(AppealFollower.appeal_id.in_(appeal_ids))
                                .distinct()))


def is_following(session: Session, appeal: Appeal, user_id: int) -> AppealFollower | None:
    return session.scalars(select(AppealFollower).where(AppealFollower.appeal_id == appeal.id,
                                                        AppealFollower.user_id == user_id)).first()


def children(session: Session, appeal: Appeal) -> list[Appeal]:
    return list(session.scalars(select(Appeal).where(Appeal.parent_id == appeal.id).order_by(Appeal.id)))


def nearby_open(session: Session, *, matter_type_id: int | None, lat: float, lon: float, dlat: float, dlon: float,
                since: dt.datetime, exclude_id: int | None, statuses: frozenset[str], limit: int = 50) -> list[Any]:
    """Candidates for duplicates: open, recent, inside a small box around the point (ranked by the service).
    Only the columns the ranking needs, and the start of the text: intake calls this every time."""
    from sqlalchemy import func as f

    stmt = select(Appeal.id, Appeal.title, f.substr(Appeal.description, 1, 200).label("description"),
                  Appeal.status, Appeal.lat, Appeal.lon, Appeal.created_at).where(
        Appeal.status.in_(statuses), Appeal.created_at >= since,
        Appeal.lat.between(lat - dlat, lat + dlat), Appeal.lon.between(lon - dlon, lon + dlon))
    if matter_type_id is not None:
        stmt = stmt.where(Appeal.matter_type_id == matter_type_id)
    if exclude_id is not None:
        stmt = stmt.where(Appeal.id != exclude_id)
    return list(session.execute(stmt.order_by(Appeal.created_at.desc()).limit(limit)))


def count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
