"""Rules of the duty catalog (职责清单) and the community admission lists (社区事务准入清单).

The catalog says, for every kind of matter, which department answers for it (牵头) and which help (协办), which
tier settles it first (分级化解: grid → community → street → department), and in how long it must be accepted
(working hours) and resolved (working days). Every signed-in member of staff reads it; only admins change it.
Intake asks `suggest_matter_types` for the likely matter types of a title and description; registration asks
`route` where a matter goes, and `admission_check` whether the community may take it on at all.

One set of field rules (`MATTER_TYPE_FIELDS`, `DEPARTMENT_FIELDS`, `ADMISSION_FIELDS`, described with the
register engine's `Field`) checks API bodies, form posts and Excel rows alike, with reasons in Chinese."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.registers import Field, Lookup, Ref, Register, clean
from gongzhi.duties import repository as repo
from gongzhi.duties.models import (
    ADMISSION_KINDS,
    ADMISSION_LABELS,
    TIER_LABELS,
    TIERS,
    AdmissionItem,
    Department,
    DutyCategory,
    MatterType,
)
from gongzhi.regions.models import Region

READ, WRITE, ADMISSION_WRITE = "duties:read", "duties:write", "admission:write"
ACCEPT_HOURS = (1, 72)  # working hours from dispatch to acceptance
RESOLVE_DAYS = (1, 60)  # working days from acceptance to resolution (信访 has 60 at most)
MAX_ASSISTS = 5
SEPARATORS = re.compile(r"[,，、;；\s]+")
DEPARTMENT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")

DEPARTMENT_FIELDS = Register(
    kind="departments", label=N_("职能部门"), model=Department, search=("name", "code"), order_by="code",
    unique=("code",),
    fields=[
        Field("code", N_("部门编码"), required=True, max_len=20, help=N_("唯一；字母、数字、- 或 _，如 CGJ")),
        Field("name", N_("部门名称"), required=True, max_len=60),
        Field("region_code", N_("所属区域代码"), "ref", ref=Ref(Region, "code", "region_id", placed=False),
              help=N_("市或区县的区划代码；不填为全市")),
        Field("phone", N_("联系电话"), max_len=40),
        Field("is_active", N_("启用"), "bool", help=N_("是 / 否；不填为“是”")),
    ],
)
MATTER_TYPE_FIELDS = Register(
    kind="matter_types", label=N_("事项"), model=MatterType, search=("name", "code", "keywords"), order_by="code",
    unique=("code",),
    fields=[
        Field("code", N_("事项编码"), required=True, max_len=20, help=N_("唯一，如 M0102-14")),
        Field("name", N_("事项名称"), required=True, max_len=80),
        Field("category1", N_("一级分类"), max_len=60, help=N_("与“二级分类”一起确定分类；导入时不存在的分类会新建")),
        Field("category2", N_("二级分类"), max_len=60),
        Field("category_code", N_("二级分类编码"), "ref", ref=Ref(DutyCategory, "code", "category_id", placed=False),
              help=N_("填写时以编码为准，可不填分类名称")),
        Field("lead_department_code", N_("牵头部门编码"), "ref", required=True,
              ref=Ref(Department, "code", "lead_department_id", placed=False), help=N_("见“职能部门”的部门编码")),
        Field("assist_department_codes", N_("协办部门编码"), max_len=200,
              help=N_("0–5 个部门编码，用顿号或逗号分隔；不能含牵头部门")),
        Field("tier", N_("处置层级"), "choice", codes=tuple(TIER_LABELS.items()), required=True),
        Field("accept_hours", N_("受理时限（小时）"), "int", required=True, help=N_("1–72 个工作小时")),
        Field("resolve_days", N_("办结时限（工作日）"), "int", required=True, help=N_("1–60 个工作日")),
        Field("keywords", N_("关键词"), "text", max_len=2000, help=N_("受理时用来推荐事项的词，用顿号或逗号分隔")),
        Field("is_active", N_("启用"), "bool", help=N_("是 / 否；不填为“是”")),
    ],
)
ADMISSION_FIELDS = Register(
    kind="admission_items", label=N_("准入事项"), model=AdmissionItem, search=("title", "code"), order_by="code",
    fields=[
        Field("code", N_("编号"), required=True, max_len=20, help=N_("本社区内唯一，如 B01")),
        Field("kind", N_("类别"), "choice", codes=tuple(ADMISSION_LABELS.items()), required=True),
        Field("title", N_("事项名称"), required=True, max_len=200),
        Field("basis", N_("依据"), "text", max_len=2000),
        Field("matter_type_code", N_("关联事项编码"), "ref",
              ref=Ref(MatterType, "code", "matter_type_id", placed=False),
              help=N_("“不得出具证明事项”关联的事项，受理时会被拒绝并说明理由")),
    ],
)


def _need(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden()


def columns(values: dict[str, Any], model: Any) -> dict[str, Any]:
    """The values that are columns of `model` (field rules also return names and looked-up objects)."""
    names = set(model.__table__.columns.keys())
    return {k: v for k, v in values.items() if k in names}


def _failed(reg: Register, errors: dict[str, str]) -> ValidationFailed:
    labels = {f.name: f.label for f in reg.fields}
    return ValidationFailed("；".join(errors.values()), details=[
        {"field": k, "column": labels.get(k, k), "reason": v} for k, v in errors.items()])


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [w for w in SEPARATORS.split(str(value)) if w]


def _joined(raw: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """Lists (JSON) to the text the field rules read; None stays None."""
    out = dict(raw)
    for name in names:
        if isinstance(out.get(name), list | tuple):
            out[name] = "、".join(_split(out[name]))
    return out


def _active_by_default(raw: dict[str, Any], *, creating: bool) -> None:
    if creating and raw.get("is_active") in (None, ""):
        raw["is_active"] = "是"


# ---- departments ------------------------------------------------------------------------------------------

def list_departments(session: Session, principal: Principal, *, q: str | None = None, active: bool | None = None,
                     offset: int = 0, limit: int = 20) -> tuple[list[Department], int]:
    """Departments by code; every member of staff may read them (they choose them on appeals)."""
    _need(principal, READ)
    return repo.page(session, repo.departments(q=q, active=active), [Department.code], offset, limit)


def get_department(session: Session, principal: Principal, department_id: int) -> Department:
    """A department by id, or 404."""
    _need(principal, READ)
    dep = repo.department(session, department_id)
    if dep is None:
        raise NotFound("没有这个部门")
    return dep


def check_department(session: Session, principal: Principal, raw: Mapping[str, Any], *, current: Department | None,
                     lookup: Lookup) -> tuple[dict[str, Any], dict[str, str]]:
    """Field rules, then: the code's form, the region (the city or a district in the actor's scope; the city
    when left empty), and no deactivating a department that still leads active matter types."""
    raw = dict(raw)
    _active_by_default(raw, creating=current is None)
    if current is None and not raw.get("region_code"):
        root = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
        raw["region_code"] = root.code if root else ""
    if isinstance(raw.get("code"), str):
        raw["code"] = raw["code"].strip().upper()
    values, errors = clean(session, principal, DEPARTMENT_FIELDS, raw, partial=current is not None, lookup=lookup,
                           current=current)
    if "code" in values and values["code"] and not DEPARTMENT_CODE.match(values["code"]):
        errors["code"] = "部门编码只能包含字母、数字、- 和 _"
    region = values.get("_region_code")
    if "region_code" in raw and "region_code" not in errors:
        if region is None:
            errors["region_code"] = "所属区域不能为空"
        elif region.level not in ("city", "district") or not principal.covers(region.path):
            errors["region_code"] = f"所属区域 {region.code} 应为您管辖范围内的市或区县"
    if current is not None and values.get("is_active") is False and current.is_active:
        leads = repo.lead_counts(session).get(current.id, 0)
        if leads:
            errors["is_active"] = f"该部门仍牵头 {leads} 个启用的事项，请先改由其他部门牵头再停用"
    return values, errors


def create_department(session: Session, principal: Principal, raw: Mapping[str, Any]) -> Department:
    """A new department (admins): field rules and `check_department`."""
    _need(principal, WRITE)
    values, errors = check_department(session, principal, raw, current=None, lookup=Lookup(session, principal))
    if errors:
        raise _failed(DEPARTMENT_FIELDS, errors)
    dep = Department(**columns(values, Department))
    session.add(dep)
    session.flush()
    return dep


def update_department(session: Session, principal: Principal, department: Department,
                      raw: Mapping[str, Any]) -> Department:
    """Change or deactivate a department (admins); only the fields given are checked."""
    _need(principal, WRITE)
    values, errors = check_department(session, principal, raw, current=department, lookup=Lookup(session, principal))
    if errors:
        raise _failed(DEPARTMENT_FIELDS, errors)
    for k, v in columns(values, Department).items():
        setattr(department, k, v)
    session.flush()
    return department


def department_dicts(session: Session, rows: list[Department], *, counts: bool = False) -> list[dict[str, Any]]:
    """What the API and pages show of departments: the region by code and name, optionally how many
    active matter types each leads (one query for all)."""
    regions = repo.regions_by_id(session, [d.region_id for d in rows])
    leads = repo.lead_counts(session) if counts else {}
    return [{"id": d.id, "code": d.code, "name": d.name, "region_code": regions[d.region_id].code
             if d.region_id in regions else None, "region_name": regions[d.region_id].name
             if d.region_id in regions else None, "phone": d.phone, "is_active": d.is_active,
             "lead_matter_count": leads.get(d.id, 0) if counts else None} for d in rows]


def all_departments(session: Session) -> list[Department]:
    """Every department, for drop-downs and filters (a city has a few dozen)."""
    return repo.all_departments(session)


# ---- categories -------------------------------------------------------------------------------------------

def category_tree(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Level-1 categories with their level-2 children and the number of active matter types in each."""
    _need(principal, READ)
    counts = repo.matter_counts(session)
    cats = repo.categories(session)
    tops = [c for c in cats if c.level == 1]
    children: dict[int, list[dict[str, Any]]] = {c.id: [] for c in tops}
    for c in cats:
        if c.level == 2 and c.parent_id in children:
            children[c.parent_id].append({"id": c.id, "code": c.code, "name": c.name, "level": 2,
                                          "matter_count": counts.get(c.id, 0), "children": []})
    return [{"id": c.id, "code": c.code, "name": c.name, "level": 1, "children": children[c.id],
             "matter_count": sum(x["matter_count"] for x in children[c.id])} for c in tops]


def category_choices(session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """(level-1 name, [(level-2 code, name), …]) for a form's grouped drop-down."""
    cats = repo.categories(session)
    return [(top.name, [(c.code, c.name) for c in cats if c.parent_id == top.id]) for top in cats if top.level == 1]


def get_category(session: Session, principal: Principal, category_id: int) -> DutyCategory:
    """A category by id, or 404."""
    _need(principal, READ)
    cat = repo.category(session, category_id)
    if cat is None:
        raise NotFound("没有这个分类")
    return cat


def _next_code(session: Session, prefix: str, level: int) -> str:
    used = {int(c[len(prefix):len(prefix) + 2]) for c in repo.category_codes(session, prefix, level)
            if c[len(prefix):len(prefix) + 2].isdigit()}
    n = next(i for i in range(1, 100) if i not in used) if len(used) < 99 else None
    if n is None:
        raise AppError("该级分类已满 99 个，请指定分类编码", code="category_full", status=409)
    return f"{prefix}{n:02d}"


def _new_category(session: Session, name: str, parent: DutyCategory | None, code: str | None = None) -> DutyCategory:
    cat = DutyCategory(code=code or _next_code(session, parent.code if parent else "C", 2 if parent else 1),
                       name=name, level=2 if parent else 1, parent_id=parent.id if parent else None)
    session.add(cat)
    session.flush()
    return cat


def create_category(session: Session, principal: Principal, *, name: str, parent_code: str | None = None,
                    code: str | None = None) -> DutyCategory:
    """A level-1 category, or a level-2 one under `parent_code`; names are unique among siblings."""
    _need(principal, WRITE)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    parent = repo.category_by_code(session, parent_code) if parent_code else None
    if parent_code and (parent is None or parent.level != 1):
        errors["parent_code"] = f"上级分类 {parent_code} 不存在或不是一级分类"
    if not name:
        errors["name"] = "分类名称不能为空"
    elif len(name) > 60:
        errors["name"] = "分类名称不能超过60个字符"
    elif any(c.name == name and c.parent_id == (parent.id if parent else None) for c in repo.categories(session)):
        errors["name"] = f"同级已有分类“{name}”"
    if code and (len(code) > 20 or repo.category_by_code(session, code) is not None):
        errors["code"] = f"分类编码 {code} 已存在或过长"
    if errors:
        raise ValidationFailed("；".join(errors.values()), details=[
            {"field": k, "reason": v} for k, v in errors.items()])
    return _new_category(session, name, parent, code or None)


def rename_category(session: Session, principal: Principal, category: DutyCategory, name: str) -> DutyCategory:
    """Rename a category (admins); its code, and so every reference to it, stays."""
    _need(principal, WRITE)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed("分类名称不能为空，且不能超过60个字符", details=[{"field": "name", "reason": "长度"}])
    if any(c.name == name and c.parent_id == category.parent_id and c.id != category.id
           for c in repo.categories(session)):
        raise ValidationFailed(f"同级已有分类“{name}”", details=[{"field": "name", "reason": "重名"}])
    category.name = name
    session.flush()
    return category


def category_dict(session: Session, category: DutyCategory) -> dict[str, Any]:
    """What the API shows of one category."""
    parent = repo.category(session, category.parent_id) if category.parent_id else None
    return {"id": category.id, "code": category.code, "name": category.name, "level": category.level,
            "parent_code": parent.code if parent else None}


# ---- matter types -----------------------------------------------------------------------------------------

def list_matter_types(session: Session, principal: Principal, *, q: str | None = None,
                      category_code: str | None = None, tier: str | None = None, department_code: str | None = None,
                      active: bool | None = None, offset: int = 0, limit: int = 20) -> tuple[list[MatterType], int]:
    """Filtered by a category (level 1 takes its children's), tier and lead department; unknown codes find
    nothing."""
    _need(principal, READ)
    if tier and tier not in TIERS:
        raise ValidationFailed(f"处置层级只能是：{'、'.join(TIERS)}", details=[{"field": "tier", "reason": tier}])
    category = repo.category_by_code(session, category_code) if category_code else None
    dep = repo.department_by_code(session, department_code) if department_code else None
    stmt = repo.matter_types(q=q, category=category, tier=tier or None, department_id=dep.id if dep else None,
                             active=active)
    if (category_code and category is None) or (department_code and dep is None):
        stmt = stmt.where(false())
    return repo.page(session, stmt, [MatterType.code], offset, limit)


def get_matter_type(session: Session, principal: Principal, matter_type_id: int) -> MatterType:
    """A matter type by id (active or not), or 404."""
    _need(principal, READ)
    mt = repo.matter_type(session, matter_type_id)
    if mt is None:
        raise NotFound("没有这个事项")
    return mt


def matter_type_by_code(session: Session, code: str) -> MatterType | None:
    """For other domains (intake, Open311): the matter type a code names, whoever asks."""
    return repo.matter_type_by_code(session, code)


@dataclass
class CategoryIndex:
    """Level-2 categories by (level-1 name, level-2 name), for rows that name their category."""

    by_names: dict[tuple[str, str], DutyCategory]
    new: dict[tuple[str, str], None] = field(default_factory=dict)  # pairs an import will create, in order

    @classmethod
    def load(cls, session: Session) -> CategoryIndex:
        cats = repo.categories(session)
        tops = {c.id: c.name for c in cats if c.level == 1}
        return cls({(tops.get(c.parent_id or 0, ""), c.name): c for c in cats if c.level == 2})


def check_matter_type(session: Session, principal: Principal, raw: Mapping[str, Any], *,
                      current: MatterType | None, lookup: Lookup, categories: CategoryIndex,
                      create_categories: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Field rules, then: a level-2 category (by code, or by the two names — created on import when new), an
    active lead department, 0–5 other assisting departments, time limits in range, keywords tidied."""
    raw = _joined(raw, "assist_department_codes", "keywords")
    _active_by_default(raw, creating=current is None)
    if isinstance(raw.get("lead_department_code"), str):
        raw["lead_department_code"] = raw["lead_department_code"].strip().upper()
    partial = current is not None
    values, errors = clean(session, principal, MATTER_TYPE_FIELDS, raw, partial=partial, lookup=lookup,
                           current=current)
    if values.get("category_id", 0) is None:
        del values["category_id"]
    cat = values.get("_category_code")
    c1, c2 = (str(raw.get("category1") or "").strip(), str(raw.get("category2") or "").strip())
    if "category_code" in errors:
        pass
    elif cat is not None:
        if cat.level != 2:
            errors["category_code"] = f"{cat.code} 是一级分类，请填写二级分类编码"
    elif c1 or c2:
        if not (c1 and c2):
            errors["category2" if c1 else "category1"] = "请同时填写一级分类和二级分类"
        elif (c1, c2) in categories.by_names:
            values["category_id"] = categories.by_names[(c1, c2)].id
        elif create_categories:
            values["_new_category"] = (c1, c2)
        else:
            errors["category2"] = f"分类“{c1} / {c2}”不存在"
    elif not partial or "category_code" in raw:
        errors["category_code"] = "请填写二级分类编码，或一级分类和二级分类名称"
    lead = values.get("_lead_department_code")
    if lead is not None and not lead.is_active:
        errors["lead_department_code"] = f"牵头部门 {lead.code} 已停用"
    lead_id = values.get("lead_department_id", current.lead_department_id if current else None)
    if "assist_department_codes" in raw and "assist_department_codes" not in errors:
        codes = list(dict.fromkeys(c.upper() for c in _split(raw.get("assist_department_codes"))))
        found = [lookup.get(Department, "code", c) for c in codes]
        unknown = [c for c, d in zip(codes, found, strict=True) if d is None]
        if unknown:
            errors["assist_department_codes"] = f"协办部门编码不存在：{'、'.join(unknown)}"
        elif len(codes) > MAX_ASSISTS:
            errors["assist_department_codes"] = f"协办部门最多 {MAX_ASSISTS} 个"
        elif lead_id is not None and any(d.id == lead_id for d in found if d is not None):
            errors["assist_department_codes"] = "协办部门不能包含牵头部门"
        else:
            values["assist_department_ids"] = [d.id for d in found if d is not None]
    limits = (("accept_hours", ACCEPT_HOURS, "受理时限"), ("resolve_days", RESOLVE_DAYS, "办结时限"))
    for name, (low, high), label in limits:
        v = values.get(name)
        if name not in errors and name in values and (v is None or not low <= v <= high):
            unit = "个工作小时" if name == "accept_hours" else "个工作日"
            errors[name] = f"{label}应为 {low}–{high} {unit}"
    if "keywords" in values:
        values["keywords"] = "、".join(dict.fromkeys(_split(values["keywords"])))
    if values.get("code"):
        values["code"] = values["code"].strip()
    return values, errors


def apply_matter_type(session: Session, mt: MatterType, values: dict[str, Any]) -> None:
    """Write checked values onto a matter type, creating the category pair an import named."""
    new = values.get("_new_category")
    if new is not None:
        values["category_id"] = ensure_category_pair(session, *new).id
    for k, v in columns(values, MatterType).items():
        setattr(mt, k, v)


def ensure_category_pair(session: Session, name1: str, name2: str) -> DutyCategory:
    """The level-2 category `name2` under the level-1 `name1`, created (with its parent) if missing."""
    cats = repo.categories(session)
    top = next((c for c in cats if c.level == 1 and c.name == name1), None) or _new_category(session, name1, None)
    child = next((c for c in cats if c.level == 2 and c.parent_id == top.id and c.name == name2), None)
    return child or _new_category(session, name2, top)


def create_matter_type(session: Session, principal: Principal, raw: Mapping[str, Any]) -> MatterType:
    """A new matter type (admins); the suggestion index is rebuilt on next use."""
    _need(principal, WRITE)
    values, errors = check_matter_type(session, principal, raw, current=None, lookup=Lookup(session, principal),
                                       categories=CategoryIndex.load(session))
    if errors:
        raise _failed(MATTER_TYPE_FIELDS, errors)
    mt = MatterType(assist_department_ids=[], keywords="")
    apply_matter_type(session, mt, values)
    session.add(mt)
    session.flush()
    invalidate_suggestions()
    return mt


def update_matter_type(session: Session, principal: Principal, matter_type: MatterType,
                       raw: Mapping[str, Any]) -> MatterType:
    """Change a matter type (admins); only the fields given are checked. Appeals already filed keep
    the deadlines they were given."""
    _need(principal, WRITE)
    values, errors = check_matter_type(session, principal, raw, current=matter_type,
                                       lookup=Lookup(session, principal), categories=CategoryIndex.load(session))
    if errors:
        raise _failed(MATTER_TYPE_FIELDS, errors)
    apply_matter_type(session, matter_type, values)
    session.flush()
    invalidate_suggestions()
    return matter_type


def deactivate_matter_type(session: Session, principal: Principal, matter_type: MatterType) -> MatterType:
    """停用: no longer offered at intake or for new appeals; appeals already filed keep it."""
    return update_matter_type(session, principal, matter_type, {"is_active": False})


def route(matter_type: MatterType) -> tuple[str, int | None]:
    """Where a matter of this type goes first: its tier (分级化解 starts there and escalates upwards) and the
    department that answers for it (牵头部门), even when a grid, community or street settles it."""
    return matter_type.tier, matter_type.lead_department_id


def matter_type_dicts(session: Session, rows: list[MatterType]) -> list[dict[str, Any]]:
    """What the API and pages show of matter types: categories and departments by code and name,
    loaded in three queries for the whole page."""
    cats = repo.categories_by_id(session, [m.category_id for m in rows])
    cats.update(repo.categories_by_id(session, [c.parent_id for c in cats.values()]))
    deps = repo.departments_by_id(session, [m.lead_department_id for m in rows if m.lead_department_id] +
                                  [d for m in rows for d in (m.assist_department_ids or [])])

    def ref(obj: Any) -> dict[str, Any] | None:
        return {"id": obj.id, "code": obj.code, "name": obj.name} if obj is not None else None

    out = []
    for m in rows:
        cat = cats.get(m.category_id)
        parent = cats.get(cat.parent_id) if cat is not None and cat.parent_id else None
        out.append({
            "id": m.id, "code": m.code, "name": m.name, "category": ref(cat), "category1": ref(parent or cat),
            "lead_department": ref(deps.get(m.lead_department_id)) if m.lead_department_id else None,
            "assist_departments": [ref(deps[d]) for d in (m.assist_department_ids or []) if d in deps],
            "tier": m.tier, "tier_label": TIER_LABELS.get(m.tier, m.tier), "accept_hours": m.accept_hours,
            "resolve_days": m.resolve_days, "keywords": _split(m.keywords), "is_active": m.is_active,
        })
    return out


# ---- suggestion at intake ---------------------------------------------------------------------------------

@dataclass
class Suggestion:
    matter_type: MatterType
    score: float
    matched: list[str]

    @property
    def code(self) -> str:
        return self.matter_type.code

    @property
    def name(self) -> str:
        return self.matter_type.name


class SuggestIndex:
    """Keyword → matter types, weighted by how rare the word is (a word found in many matter types says little)
    and how long it is (噪音污染 says more than 噪音)."""

    def __init__(self, version: tuple[Any, ...] | None, rows: list[tuple[int, str, str, str]]) -> None:
        self.version = version
        self.codes = {mid: code for mid, code, _n, _k in rows}
        words: dict[str, set[int]] = {}
        for mid, _code, name, keywords in rows:
            for w in {name, *_split(keywords)}:
                if len(w) >= 2:
                    words.setdefault(w.lower(), set()).add(mid)
        n = max(len(rows), 1)
        self.postings: dict[str, tuple[float, tuple[int, ...]]] = {
            w: (math.log(n / len(ids) + 1) * (1 + 0.5 * (len(w) - 2)), tuple(sorted(ids))) for w, ids in words.items()}

    def rank(self, text: str, limit: int) -> list[tuple[int, float, list[str]]]:
        text = "".join(text.lower().split())[:4000]
        scores: dict[int, float] = {}
        matched: dict[int, list[str]] = {}
        for w, (weight, ids) in self.postings.items():
            if w in text:
                for mid in ids:
                    scores[mid] = scores.get(mid, 0.0) + weight
                    matched.setdefault(mid, []).append(w)
        best = sorted(scores, key=lambda mid: (-scores[mid], self.codes[mid]))[:limit]
        return [(mid, round(scores[mid], 3), sorted(matched[mid], key=lambda w: (-len(w), w))) for mid in best]


_index = SuggestIndex(None, [])
_index_lock = threading.Lock()


def invalidate_suggestions() -> None:
    """Drop this process's suggestion index (a write here, or a test that rolled one back)."""
    _index.version = None


def _suggest_index(session: Session) -> SuggestIndex:
    """The process's index, rebuilt when the catalog changed (one small aggregate query tells), so several
    processes and rolled-back changes never leave it stale."""
    global _index
    version = repo.catalog_version(session)
    if version != _index.version:
        with _index_lock:
            if version != _index.version:
                _index = SuggestIndex(version, repo.index_rows(session))
    return _index


def rank_matter_types(session: Session, text: str, limit: int = 5) -> list[Suggestion]:
    """Active matter types whose keywords occur in `text` (an appeal's title and description), best first."""
    ranked = _suggest_index(session).rank(text or "", max(1, min(limit, 50)))
    found = repo.matter_types_by_id(session, [mid for mid, _s, _m in ranked])
    return [Suggestion(found[mid], score, words) for mid, score, words in ranked
            if mid in found and found[mid].is_active]


def suggest_matter_types(session: Session, text: str, limit: int = 5) -> list[MatterType]:
    """The likely matter types of a new appeal, for the person registering it to pick from."""
    return [s.matter_type for s in rank_matter_types(session, text, limit)]


def suggest(session: Session, principal: Principal, text: str, limit: int = 5) -> list[dict[str, Any]]:
    """`rank_matter_types` as the API answers it."""
    _need(principal, READ)
    ranked = rank_matter_types(session, text, limit)
    dicts = matter_type_dicts(session, [s.matter_type for s in ranked])
    return [{"id": d["id"], "code": d["code"], "name": d["name"], "score": s.score, "matched": s.matched,
             "tier": d["tier"], "lead_department": d["lead_department"]} for s, d in zip(ranked, dicts, strict=True)]


# ---- admission lists --------------------------------------------------------------------------------------

def list_communities(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The communities whose lists the actor may open, with their street and number of items."""
    _need(principal, READ)
    rows = list(session.scalars(repo.readable_communities(principal).order_by(Region.path)))
    counts = repo.admission_counts_by_community(session, [r.id for r in rows])
    streets = repo.regions_by_id(session, [r.parent_id for r in rows])
    return [{"code": r.code, "name": r.name, "street_name": streets[r.parent_id].name if r.parent_id in streets
             else None, "items": counts.get(r.id, 0)} for r in rows]


def get_community(session: Session, principal: Principal, code: str, *, to: str = "read") -> Region:
    """The community if the actor may open its list (to="write": and change it), else 404. A role that may not
    change lists at all gets 403 first, wherever the community is."""
    _need(principal, READ)
    if to == "write":
        _need(principal, ADMISSION_WRITE)
    community = repo.community(session, principal, code)
    if community is None or (to == "write" and not principal.covers(community.path)):
        raise NotFound("未找到该社区或无权查看")
    return community


def can_edit_admission(principal: Principal, community: Region) -> bool:
    """May the actor change this community's list (the permission, and the community in their scope)?"""
    return principal.can(ADMISSION_WRITE) and principal.covers(community.path)


def list_admission(session: Session, principal: Principal, community: Region, *, kind: str | None = None,
                   q: str | None = None, offset: int = 0, limit: int = 20) -> tuple[list[AdmissionItem], int]:
    """A community's items by kind and code, optionally of one kind or matching a search."""
    _need(principal, READ)
    if kind and kind not in ADMISSION_KINDS:
        raise ValidationFailed(f"类别只能是：{'、'.join(ADMISSION_KINDS)}", details=[{"field": "kind", "reason": kind}])
    return repo.page(session, repo.admission_items(community, kind=kind or None, q=q),
                     [AdmissionItem.kind, AdmissionItem.code], offset, limit)


def admission_counts(session: Session, community: Region) -> dict[str, int]:
    """Items per kind (all four kinds, zeros included): the tab labels and the API's summary."""
    counts = repo.admission_kind_counts(session, community)
    return {k: counts.get(k, 0) for k in ADMISSION_KINDS}


def get_admission_item(session: Session, principal: Principal, community: Region, item_id: int) -> AdmissionItem:
    """An item of this community's list, or 404 (an item of another community is 404 too)."""
    _need(principal, READ)
    item = repo.admission_item(session, community, item_id)
    if item is None:
        raise NotFound()
    return item


def check_admission_item(session: Session, principal: Principal, community: Region, raw: Mapping[str, Any], *,
                         current: AdmissionItem | None, lookup: Lookup,
                         codes: dict[str, AdmissionItem] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Field rules, then: the code is unique within the community."""
    raw = dict(raw)
    if isinstance(raw.get("code"), str):
        raw["code"] = raw["code"].strip().upper()
    values, errors = clean(session, principal, ADMISSION_FIELDS, raw, partial=current is not None, lookup=lookup,
                           current=current)
    code = values.get("code")
    if code and "code" not in errors:
        existing = (codes if codes is not None else repo.admission_by_code(session, community)).get(code)
        if existing is not None and (current is None or existing.id != current.id):
            errors["code"] = f"编号 {code} 在本社区已存在"
    if "basis" in values and values["basis"] is None:
        values["basis"] = ""
    values["community_id"] = community.id
    return values, errors


def create_admission_item(session: Session, principal: Principal, community: Region,
                          raw: Mapping[str, Any]) -> AdmissionItem:
    """A new item on a community's list (its staff, its street, admins)."""
    if not can_edit_admission(principal, community):
        raise Forbidden("您无权修改该社区的准入清单")
    values, errors = check_admission_item(session, principal, community, raw, current=None,
                                          lookup=Lookup(session, principal))
    if errors:
        raise _failed(ADMISSION_FIELDS, errors)
    item = AdmissionItem(**{"basis": "", **columns(values, AdmissionItem)})
    session.add(item)
    session.flush()
    return item


def update_admission_item(session: Session, principal: Principal, community: Region, item: AdmissionItem,
                          raw: Mapping[str, Any]) -> AdmissionItem:
    """Change an item of a community's list; only the fields given are checked."""
    if not can_edit_admission(principal, community):
        raise Forbidden("您无权修改该社区的准入清单")
    values, errors = check_admission_item(session, principal, community, raw, current=item,
                                          lookup=Lookup(session, principal))
    if errors:
        raise _failed(ADMISSION_FIELDS, errors)
    for k, v in columns(values, AdmissionItem).items():
        setattr(item, k, v)
    session.flush()
    return item


def delete_admission_item(session: Session, principal: Principal, community: Region, item: AdmissionItem) -> None:
    """Remove an item from a community's list."""
    if not can_edit_admission(principal, community):
        raise Forbidden("您无权修改该社区的准入清单")
    session.delete(item)
    try:
        session.flush()
    except IntegrityError as exc:  # nothing references items today; a future reference must not become a 500
        raise AppError("该事项仍被引用，不能删除", code="in_use", status=409) from exc


def admission_check(session: Session, community_id: int, matter_type_id: int) -> AdmissionItem | None:
    """The item of the community's admission list that makes it refuse a matter of this type (a 不得出具证明事项
    linked to it), else None. Registration refuses the appeal with the item as its reason."""
    return repo.refusal(session, community_id, matter_type_id)


def check_community(session: Session, principal: Principal, community: Region, matter_code: str) -> dict[str, Any]:
    """`admission_check` for a matter code, as the API answers it."""
    _need(principal, READ)
    mt = repo.matter_type_by_code(session, matter_code)
    if mt is None:
        raise ValidationFailed(f"事项编码 {matter_code} 不存在", details=[{"field": "matter_code",
                                                                      "reason": "不存在"}])
    item = admission_check(session, community.id, mt.id)
    return {"refused": item is not None,
            "item": admission_dicts(session, [item], community)[0] if item is not None else None,
            "reason": f"不属于社区事务准入清单：{item.title}（{item.basis}）" if item is not None else None}


def admission_dicts(session: Session, rows: list[AdmissionItem], community: Region) -> list[dict[str, Any]]:
    """What the API and pages show of admission items, with the linked matter type by code and name."""
    mts = repo.matter_types_by_id(session, [i.matter_type_id for i in rows])
    return [{"id": i.id, "community_code": community.code, "code": i.code, "kind": i.kind,
             "kind_label": ADMISSION_LABELS.get(i.kind, i.kind), "title": i.title, "basis": i.basis or "",
             "matter_type": {"id": mts[i.matter_type_id].id, "code": mts[i.matter_type_id].code,
                             "name": mts[i.matter_type_id].name} if i.matter_type_id in mts else None}
            for i in rows]


def community_dict(session: Session, community: Region) -> dict[str, Any]:
    """What the API shows of a community whose list it returns."""
    street = repo.regions_by_id(session, [community.parent_id]).get(community.parent_id or 0)
    return {"code": community.code, "name": community.name, "street_name": street.name if street else None,
            "items": sum(admission_counts(session, community).values())}
