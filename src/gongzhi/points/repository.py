"""SQL for the points ledger and store. Scope clauses come from the service (the principal's); every list
here takes one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.core.auth import Principal
from gongzhi.core.db import prefix_range
from gongzhi.orgs.models import Unit
from gongzhi.points.models import PointAccount, PointEntry, PointPosting, Redemption, StoreItem, StoreItemPhoto
from gongzhi.regions.models import Region


def page(session: Session, stmt: Select[Any], order: Iterable[Any], offset: int, limit: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.order_by(*order).offset(offset).limit(limit))), total


def _where(stmt: Select[Any], clause: Any) -> Select[Any]:
    return stmt if clause is None else stmt.where(clause)


def people_in_scope(session: Session, principal: Principal, q: str | None, limit: int = 30) -> list[User]:
    stmt = select(User).join(Region, Region.id == User.scope_region_id).where(
        User.is_active.is_(True), User.role.in_(("resident", "volunteer", "party_member")))
    stmt = _where(stmt, principal.scope_clause(Region.path))
    if q:
        stmt = stmt.where(or_(User.display_name.contains(q), User.username.contains(q)))
    return list(session.scalars(stmt.order_by(User.display_name, User.id).limit(limit)))


def items(session: Session, clause: Any, *, q: str | None, kind: str | None, community_id: int | None,
          active_at: dt.datetime | None, unit_id: int | None, offset: int, limit: int) -> tuple[list[StoreItem], int]:
    stmt = select(StoreItem)
    if unit_id is not None:
        stmt = stmt.where(StoreItem.unit_id == unit_id)
    else:
        stmt = _where(stmt, clause)
    if q:
        stmt = stmt.where(or_(StoreItem.name.contains(q), StoreItem.description.contains(q)))
    if kind:
        stmt = stmt.where(StoreItem.kind == kind)
    if community_id:
        stmt = stmt.where(StoreItem.community_id == community_id)
    if active_at is not None:
        stmt = stmt.where(StoreItem.active.is_(True),
                          or_(StoreItem.starts_at.is_(None), StoreItem.starts_at <= active_at),
                          or_(StoreItem.ends_at.is_(None), StoreItem.ends_at > active_at))
    return page(session, stmt, (StoreItem.stock == 0, StoreItem.price, StoreItem.id), offset, limit)


def photo_count(session: Session, item_id: int) -> int:
    return session.scalar(select(func.count()).where(StoreItemPhoto.item_id == item_id)) or 0


def photos_by_item(session: Session, ids: list[int]) -> dict[int, list[StoreItemPhoto]]:
    out: dict[int, list[StoreItemPhoto]] = {i: [] for i in ids}
    if ids:
        for p in session.scalars(select(StoreItemPhoto).where(StoreItemPhoto.item_id.in_(ids))
                                 .order_by(StoreItemPhoto.id)):
            out[p.item_id].append(p)
    return out


def redemption_by_open_code(session: Session, code: str) -> Redemption | None:
    return session.scalars(select(Redemption).where(Redemption.open_code == code)).first()


def redemption_by_posting(session: Session, posting_id: int) -> Redemption | None:
    return session.scalars(select(Redemption).where(Redemption.posting_id == posting_id)).first()


def taken_since(session: Session, user_id: int, item_id: int, since: dt.datetime | None) -> int:
    stmt = select(func.coalesce(func.sum(Redemption.quantity), 0)).where(
        Redemption.user_id == user_id, Redemption.item_id == item_id,
        Redemption.status.in_(("open", "handed_over")))
    if since is not None:
        stmt = stmt.where(Redemption.created_at >= since)
    return int(session.scalar(stmt) or 0)


def redemptions(session: Session, *, scope: Any = None, user_id: int | None = None, unit_id: int | None = None,
                status: str | None = None, item_id: int | None = None, community_id: int | None = None,
                since: dt.datetime | None = None, until: dt.datetime | None = None, q: str | None = None,
                offset: int = 0, limit: int = 20) -> tuple[list[Redemption], int]:
    stmt = _where(select(Redemption), scope)
    if user_id is not None:
        stmt = stmt.where(Redemption.user_id == user_id)
    if unit_id is not None:
        stmt = stmt.where(Redemption.unit_id == unit_id)
    if status:
        stmt = stmt.where(Redemption.status == status)
    if item_id:
        stmt = stmt.where(Redemption.item_id == item_id)
    if community_id:
        stmt = stmt.where(Redemption.community_id == community_id)
    if since is not None:
        stmt = stmt.where(Redemption.created_at >= since)
    if until is not None:
        stmt = stmt.where(Redemption.created_at < until)
    if q:
        stmt = stmt.where(or_(Redemption.code == q, Redemption.item_id.in_(
            select(StoreItem.id).where(StoreItem.name.contains(q)))))
    return page(session, stmt, (Redemption.id.desc(),), offset, limit)


def statement(session: Session, account_id: int, *, since: dt.datetime | None, until: dt.datetime | None,
              offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    running = func.sum(PointEntry.amount).over(order_by=PointEntry.id).label("balance")
    inner = select(PointEntry.id, PointEntry.amount, PointEntry.created_at, PointEntry.posting_id, running) \
        .where(PointEntry.account_id == account_id).subquery()
    stmt = select(inner, PointPosting.kind, PointPosting.rule, PointPosting.ref, PointPosting.note) \
        .join(PointPosting, PointPosting.id == inner.c.posting_id)
    if since is not None:
        stmt = stmt.where(inner.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(inner.c.created_at < until)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(inner.c.id.desc()).offset(offset).limit(limit)).mappings()
    return [dict(r) for r in rows], total


def accounts(session: Session, clause: Any, *, kind: str | None, q: str | None, offset: int,
             limit: int) -> tuple[list[PointAccount], int]:
    stmt = _where(select(PointAccount), clause)
    if kind:
        stmt = stmt.where(PointAccount.kind == kind)
    if q:
        stmt = stmt.where(PointAccount.name.contains(q))
    return page(session, stmt, (PointAccount.kind, PointAccount.id), offset, limit)


def units_in(session: Session, path: str | None, clause: Any) -> list[Unit]:
    stmt = select(Unit)
    stmt = stmt.where(prefix_range(Unit.scope_path, path)) if path else _where(stmt, clause)
    return list(session.scalars(stmt.order_by(Unit.kind, Unit.name).limit(300)))


def items_by_id(session: Session, ids: Iterable[int]) -> dict[int, StoreItem]:
    wanted = set(ids)
    return {i.id: i for i in session.scalars(select(StoreItem).where(StoreItem.id.in_(wanted)))} if wanted else {}


def users_by_id(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def units_by_id(session: Session, ids: Iterable[int]) -> dict[int, Unit]:
    wanted = set(ids)
    return {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(wanted)))} if wanted else {}
