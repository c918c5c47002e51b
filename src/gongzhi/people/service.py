"""Rules of the people registers: households, residents, Party members, grid staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import crypto, idcard
from gongzhi.core.auth import Principal
from gongzhi.core.i18n import N_
from gongzhi.core.registers import Field, Ref, Register, register
from gongzhi.orgs.models import PartyOrg, Unit
from gongzhi.people.models import CARE_TAGS, HOUSEHOLD_TYPES, RELATIONS, GridStaff, Household, PartyMember, Resident
from gongzhi.regions.models import Building, Region

GRID = Ref(Region, "code", "region_id", ("grid",))
GRID_OR_COMMUNITY = Ref(Region, "code", "region_id", ("grid", "compound", "community"))
TIERS = (("instructor", N_("网格指导员")), ("station_chief", N_("网格工作站站长")), ("grid_leader", N_("网格长")),
         ("grid_worker", N_("网格员")))
MEMBER_KINDS = (("registered", N_("社区在册党员")), ("in_service", N_("在职党员")))


def _same_grid(session: Session, values: dict[str, Any], current: Any, field: str, attr: str, model: Any,
               label: str, errors: dict[str, str]) -> None:
    """The referenced row lies in the row's grid — also when an edit changes only one of the two."""
    target = values.get(f"_{field}")
    if target is None and current is not None and attr not in values and getattr(current, attr) is not None:
        target = session.get(model, getattr(current, attr))
    region = values.get("_region")
    region_id = region.id if region is not None else getattr(current, "region_id", None)
    if target is not None and region_id is not None and target.region_id != region_id:
        errors[field] = f"{label}不在所填网格内"


def _check_household(s: Session, _p: Principal, values: dict[str, Any], cur: Any, errors: dict[str, str]) -> None:
    _same_grid(s, values, cur, "building_code", "building_id", Building, "楼栋", errors)


def _check_resident(s: Session, _p: Principal, values: dict[str, Any], cur: Any, errors: dict[str, str]) -> None:
    """The ID number carries birth date and sex (GB 11643): fill them in, or refuse a contradiction — also
    when an edit changes only the birth date or the sex of a person whose number is stored."""
    _same_grid(s, values, cur, "household_code", "household_id", Household, "户", errors)
    number = values.get("_id_number")
    if not number and cur is not None and "id_number_enc" not in values and cur.id_number_enc:
        number = crypto.decrypt(cur.id_number_enc)
    if not number:
        return
    birth, sex = idcard.birth_date(number), idcard.gender(number)
    if values.get("birth_date") is None:
        values["birth_date"] = birth
    elif values["birth_date"] != birth:
        errors["birth_date"] = "出生日期与身份证号不一致"
    if values.get("gender") is None:
        values["gender"] = sex
    elif values["gender"] != sex:
        errors["gender"] = "性别与身份证号不一致"


HOUSEHOLDS = register(Register(
    kind="households", label=N_("住户"), model=Household, search=("code", "head_name", "address"), order_by="code",
    unique=("code",), check=_check_household, title=lambda h: f"{h.address or h.code}",
    extra_filters={"building_code": lambda m, v: m.building_id.in_(select(Building.id).where(Building.code == v))},
    fields=[
        Field("grid_code", N_("所属网格代码"), "region", ref=GRID, filter=True),
        Field("code", N_("户编码"), required=True, max_len=32),
        Field("building_code", N_("楼栋编码"), "ref", ref=Ref(Building, "code", "building_id")),
        Field("room", N_("房号"), max_len=20),
        Field("address", N_("地址"), max_len=200),
        Field("head_name", N_("户主姓名"), max_len=40),
        Field("household_type", N_("户类型"), "choice", choices=HOUSEHOLD_TYPES, filter=True),
        Field("notes", N_("备注"), "text", in_list=False, max_len=2000),
    ],
))

RESIDENTS = register(Register(
    kind="residents", label=N_("居民"), model=Resident, search=("name",), order_by="id", unique=("id_number",),
    check=_check_resident,
    extra_filters={"household_code": lambda m, v: m.household_id.in_(select(Household.id).where(Household.code == v))},
    fields=[
        Field("grid_code", N_("所属网格代码"), "region", ref=GRID, filter=True),
        Field("household_code", N_("户编码"), "ref", ref=Ref(Household, "code", "household_id")),
        Field("name", N_("姓名"), required=True, max_len=40),
        Field("gender", N_("性别"), "choice", choices=(N_("男"), N_("女")), filter=True,
              help=N_("可不填：按身份证号自动填写")),
        Field("birth_date", N_("出生日期"), "date", help=N_("可不填：按身份证号自动填写")),
        Field("id_number", N_("身份证号"), "id_number"),
        Field("phone", N_("联系电话"), "phone"),
        Field("relation", N_("与户主关系"), "choice", choices=RELATIONS, in_list=False),
        Field("ethnicity", N_("民族"), max_len=12, in_list=False),
        Field("care_tags", N_("关爱标签"), "tags", choices=CARE_TAGS, filter=True),
        Field("is_party_member", N_("是否党员"), "bool", filter=True, in_list=False),
        Field("notes", N_("备注"), "text", in_list=False, max_len=2000),
    ],
))

PARTY_MEMBERS = register(Register(
    kind="party_members", label=N_("党员"), model=PartyMember, search=("name", "employer_name"), order_by="id",
    fields=[
        Field("region_code", N_("报到社区/网格代码"), "region", ref=GRID_OR_COMMUNITY, filter=True),
        Field("name", N_("姓名"), required=True, max_len=40),
        Field("gender", N_("性别"), "choice", choices=(N_("男"), N_("女"))),
        Field("kind", N_("党员类型"), "choice", codes=MEMBER_KINDS, required=True, filter=True),
        Field("phone", N_("联系电话"), "phone"),
        Field("org_name", N_("所属党组织"), "ref", ref=Ref(PartyOrg, "name", "org_id")),
        Field("employer_name", N_("工作单位"), max_len=100),
        Field("joined_on", N_("入党日期"), "date", in_list=False),
        Field("is_center_household", N_("党员中心户"), "bool", filter=True),
    ],
))

GRID_STAFF = register(Register(
    kind="grid_staff", label=N_("网格力量"), model=GridStaff, search=("name",), order_by="id",
    fields=[
        Field("region_code", N_("所属网格/社区代码"), "region", ref=GRID_OR_COMMUNITY, filter=True),
        Field("name", N_("姓名"), required=True, max_len=40),
        Field("tier", N_("层级"), "choice", codes=TIERS, required=True, filter=True),
        Field("post", N_("岗位"), "choice", choices=("A", "B"), required=True, filter=True, help=N_("A 主岗，B 副岗")),
        Field("phone", N_("联系电话"), "phone"),
        Field("is_party_member", N_("是否党员"), "bool"),
        Field("notes", N_("备注"), "text", in_list=False, max_len=2000),
    ],
))

__all__ = ["GRID_STAFF", "HOUSEHOLDS", "PARTY_MEMBERS", "RESIDENTS", "Unit"]
