"""SQL for the duty catalog and the admission lists. The catalog is city-wide reference data (every signed-in
member of staff reads all of it); the data scope of an admission list is its community, and
`readable_communities` is the one place that decides whose lists an actor may open."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.regions.models import Region


def page(session: Session, stmt: Select[Any], order: Iterable[Any], offset: int, limit: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.order_by(*order).offset(offset).limit(limit))), total


# ---- departments ------------------------------------------------------------------------------------------

def departments(*, q: str | None = None, active: bool | None = None) -> Select[Any]:
    stmt = select(Department)
    if q:
        stmt = stmt.where(or_(Department.name.contains(q), Department.code.contains(q.upper())))
    if active is not None:
        stmt = stmt.where(Department.is_active.is_(active))
    return stmt


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def department_by_code(session: Session, code: str) -> Department | None:
    return session.scalars(select(Department).where(Department.code == code)).first()


def departments_by_id(session: Session, ids: Iterable[int]) -> dict[int, Department]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(wanted)))}


def all_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))


def lead_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(MatterType.lead_department_id, func.count()).where(MatterType.is_active.is_(True))
                           .group_by(MatterType.lead_department_id))
    return {dep: n for dep, n in rows.tuples() if dep is not None}


# ---- categories -------------------------------------------------------------------------------------------

def categories(session: Session) -> list[DutyCategory]:
    return list(session.scalars(select(DutyCategory).order_by(DutyCategory.code)))


def category(session: Session, category_id: int) -> DutyCategory | None:
    return session.get(DutyCategory, category_id)


def category_by_code(session: Session, code: str) -> DutyCategory | None:
    return session.scalars(select(DutyCategory).where(DutyCategory.code == code)).first()


def categories_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, DutyCategory]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(select(DutyCategory).where(DutyCategory.id.in_(wanted)))}


def category_codes(session: Session, prefix: str, level: int) -> list[str]:
    return list(session.scalars(select(DutyCategory.code).where(DutyCategory.level == level,
                                                                DutyCategory.code.startswith(prefix))))


def matter_counts(session: Session) -> dict[int, int]:
    """Active matter types per level-2 category."""
    rows = session.execute(select(MatterType.category_id, func.count()).where(MatterType.is_active.is_(True))
                           .group_by(MatterType.category_id))
    return dict(rows.tuples().all())


# ---- matter types -----------------------------------------------------------------------------------------

def matter_types(*, q: str | None = None, category: DutyCategory | None = None, tier: str | None = None,
                 department_id: int | None = None, active: bool | None = None) -> Select[Any]:
    stmt = select(MatterType)
    if q:
        stmt = stmt.where(or_(MatterType.name.contains(q), MatterType.code.contains(q.upper()),
                              MatterType.keywords.contains(q)))
    if category is not None:
        if category.level == 1:
            children = select(DutyCategory.id).where(DutyCategory.parent_id == category.id)
            stmt = stmt.where(MatterType.category_id.in_(children))
        else:
            stmt = stmt.where(MatterType.category_id == category.id)
    if tier:
        stmt = stmt.where(MatterType.tier == tier)
    if department_id is not None:
        stmt = stmt.where(MatterType.lead_department_id == department_id)
    if active is not None:
        stmt = stmt.where(MatterType.is_active.is_(active))
    return stmt


def matter_type(session: Session, matter_type_id: int) -> MatterType | None:
    return session.get(MatterType, matter_type_id)


def matter_type_by_code(session: Session, code: str) -> MatterType | None:
    return session.scalars(select(MatterType).where(MatterType.code == code)).first()


def matter_types_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, MatterType]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {m.id: m for m in session.scalars(select(MatterType).where(MatterType.id.in_(wanted)))}


def catalog_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever a matter type is added, changed or removed (rolled back, too): the suggestion index
    is rebuilt when it does."""
    row = session.execute(select(func.count(), func.max(MatterType.id), func.max(MatterType.updated_at))).one()
    return tuple(row)


def index_rows(session: Session) -> list[tuple[int, str, str, str]]:
    """(id, code, name, keywords) of every active matter type."""
    stmt = select(MatterType.id, MatterType.code, MatterType.name, MatterType.keywords).where(
        MatterType.is_active.is_(True))
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


# ---- admission lists --------------------------------------------------------------------------------------

def _ancestor_paths(path: str) -> list[str]:
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]


def readable_communities(principal: Principal) -> Select[Any]:
    """Communities whose admission list the actor may open: those in their scope, and the community their
    own scope lies in (a grid worker needs their community's list, too)."""
    stmt = select(Region).where(Region.level == "community")
    clause = principal.scope_clause(Region.path)
    if clause is None:
        return stmt
    return stmt.where(or_(clause, Region.path.in_(_ancestor_paths(principal.scope_path))))


def community(session: Session, principal: Principal, code: str) -> Region | None:
    return session.scalars(readable_communities(principal).where(Region.code == code)).first()


def admission_counts_by_community(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(select(AdmissionItem.community_id, func.count()).where(
        AdmissionItem.community_id.in_(ids)).group_by(AdmissionItem.community_id))
    return dict(rows.tuples().all())


def regions_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Region]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(wanted)))}


def region_by_code(session: Session, code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.code == code)).first()


def admission_items(community: Region, *, kind: str | None = None, q: str | None = None) -> Select[Any]:
    stmt = select(AdmissionItem).where(AdmissionItem.community_id == community.id)
    if kind:
        stmt = stmt.where(AdmissionItem.kind == kind)
    if q:
        stmt = stmt.where(or_(AdmissionItem.title.contains(q), AdmissionItem.code.contains(q.upper()),
                              AdmissionItem.basis.contains(q)))
    return stmt


def admission_item(session: Session, community: Region, item_id: int) -> AdmissionItem | None:
    return session.scalars(select(AdmissionItem).where(AdmissionItem.community_id == community.id,
                                                       AdmissionItem.id == item_id)).first()


def admission_by_code(session: Session, community: Region) -> dict[str, AdmissionItem]:
    return {i.code: i for i in session.scalars(select(AdmissionItem).where(
        AdmissionItem.community_id == community.id))}


def admission_kind_counts(session: Session, community: Region) -> dict[str, int]:
    rows = session.execute(select(AdmissionItem.kind, func.count()).where(
        AdmissionItem.community_id == community.id).group_by(AdmissionItem.kind))
    return dict(rows.tuples().all())


def refusal(session: Session, community_id: int, matter_type_id: int) -> AdmissionItem | None:
    return session.scalars(select(AdmissionItem).where(
        AdmissionItem.community_id == community_id, AdmissionItem.matter_type_id == matter_type_id,
        AdmissionItem.kind == "must_not_certify").order_by(AdmissionItem.code).limit(1)).first()
