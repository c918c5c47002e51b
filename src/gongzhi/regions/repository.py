"""SQL for the region tree. Scope: a user reads the subtree of their scope node (ancestors only as names)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.core.db import prefix_range
from gongzhi.people.models import Household, Resident
from gongzhi.regions.models import Building, Region


def readable(principal: Principal) -> Any:
    stmt = select(Region)
    clause = principal.scope_clause(Region.path)
    return stmt if clause is None else stmt.where(clause)


def get_by_code(session: Session, principal: Principal, code: str) -> Region | None:
    return session.scalars(readable(principal).where(Region.code == code)).first()


def get_by_code_unscoped(session: Session, code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.code == code)).first()


def by_ids(session: Session, ids: list[int]) -> dict[int, Region]:
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(ids)))}


def ancestors(session: Session, region: Region) -> list[Region]:
    codes = region.path.strip("/").split("/")[:-1]
    if not codes:
        return []
    rows = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    return [rows[c] for c in codes if c in rows]


def children(session: Session, region: Region) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_id == region.id).order_by(Region.code)))


def search(session: Session, principal: Principal, *, level: str | None, parent: Region | None,
           q: str | None, offset: int, limit: int) -> tuple[list[Region], int]:
    stmt = readable(principal)
    if level:
        stmt = stmt.where(Region.level == level)
    if parent is not None:
        stmt = stmt.where(prefix_range(Region.path, parent.path), Region.id != parent.id)
    if q:
        stmt = stmt.where(Region.name.contains(q) | Region.code.startswith(q))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(Region.path).offset(offset).limit(limit)))
    return rows, total


def grids_under(session: Session, region: Region) -> list[Region]:
    return list(session.scalars(
        select(Region).where(prefix_range(Region.path, region.path), Region.level == "grid").order_by(Region.path)))


def grid_counts(session: Session, region: Region, *, residents_too: bool = True
                ) -> tuple[Counter[int], Counter[int]]:
    """Households and residents (unless not asked for: then an empty counter) per grid id, under `region`."""
    households: Counter[int] = Counter()
    residents: Counter[int] = Counter()
    for model, counter in ((Household, households), (Resident, residents))[:2 if residents_too else 1]:
        stmt = (select(model.region_id, func.count()).where(prefix_range(model.scope_path, region.path))
                .group_by(model.region_id))
        for rid, n in session.execute(stmt):
            counter[rid] = n
    return households, residents


def totals(session: Session, region: Region) -> dict[str, int]:
    def count(model: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(
            prefix_range(model.scope_path, region.path))) or 0

    return {"households": count(Household), "residents": count(Resident), "buildings": count(Building)}


def grid_version(session: Session) -> tuple[int, Any]:
    row = session.execute(select(func.count(), func.max(Region.updated_at)).where(Region.level == "grid")).one()
    return int(row[0]), row[1]


def grid_polygons(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(
        select(Region.id, Region.geometry).where(Region.level == "grid", Region.geometry.is_not(None))).tuples())


def buildings_in(session: Session, grid: Region) -> list[Building]:
    return list(session.scalars(select(Building).where(Building.region_id == grid.id).order_by(Building.code)))
