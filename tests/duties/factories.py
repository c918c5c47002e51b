"""Factories for the duty catalog's tests: rows written straight through the ORM, with unique codes; each commits
(a savepoint in the test session) like tests/factories.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.regions.models import Region
from tests.factories import unique_code


def city_root(session: Session) -> Region:
    return session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).one()


def department(session: Session, code: str) -> Department:
    return session.scalars(select(Department).where(Department.code == code)).one()


def category(session: Session, code: str) -> DutyCategory:
    return session.scalars(select(DutyCategory).where(DutyCategory.code == code)).one()


def matter(session: Session, code: str) -> MatterType:
    return session.scalars(select(MatterType).where(MatterType.code == code)).one()


def matter_named(session: Session, name: str) -> MatterType:
    return session.scalars(select(MatterType).where(MatterType.name == name).order_by(MatterType.code)).first()


def dep_code() -> str:
    return unique_code("D")


def make_department(session: Session, *, code: str | None = None, name: str = "测试部门",
                    is_active: bool = True) -> Department:
    dep = Department(code=code or dep_code(), name=name, region_id=city_root(session).id, is_active=is_active)
    session.add(dep)
    session.commit()
    return dep


def make_category(session: Session, *, parent_code: str | None = "C01", name: str | None = None) -> DutyCategory:
    parent = category(session, parent_code) if parent_code else None
    cat = DutyCategory(code=unique_code("C"), name=name or f"测试分类{unique_code('')}",
                       level=2 if parent else 1, parent_id=parent.id if parent else None)
    session.add(cat)
    session.commit()
    return cat


def make_matter_type(session: Session, *, code: str | None = None, name: str = "测试事项", category_code: str = "C0102",
                     lead: str = "CGJ", tier: str = "grid", keywords: str = "", is_active: bool = True,
                     assists: tuple[str, ...] = ()) -> MatterType:
    mt = MatterType(code=code or unique_code("M"), name=name, category_id=category(session, category_code).id,
                    lead_department_id=department(session, lead).id,
                    assist_department_ids=[department(session, a).id for a in assists], tier=tier, accept_hours=4,
                    resolve_days=3, keywords=keywords, is_active=is_active)
    session.add(mt)
    session.commit()
    return mt


def make_admission_item(session: Session, community: Region, *, kind: str = "must_do", title: str = "测试准入事项",
                        code: str | None = None, matter_type: MatterType | None = None) -> AdmissionItem:
    item = AdmissionItem(community_id=community.id, code=code or unique_code("T"), kind=kind, title=title,
                         basis="测试依据", matter_type_id=matter_type.id if matter_type else None)
    session.add(item)
    session.commit()
    return item


def matter_payload(**overrides: Any) -> dict[str, Any]:
    """A valid create body for a matter type (API JSON; also a form or an Excel row by field name)."""
    return {"code": unique_code("M"), "name": "新增测试事项", "category_code": "C0102",
            "lead_department_code": "CGJ", "assist_department_codes": ["ZJJ"], "tier": "grid", "accept_hours": 4,
            "resolve_days": 3, "keywords": ["测试词"], **overrides}


def department_payload(**overrides: Any) -> dict[str, Any]:
    return {"code": dep_code(), "name": "新增测试部门", **overrides}


def admission_payload(**overrides: Any) -> dict[str, Any]:
    return {"code": unique_code("N"), "kind": "assist", "title": "协助开展测试工作", "basis": "测试依据",
            **overrides}
