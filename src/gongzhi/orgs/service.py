"""Rules of the organisation registers: units in the area and the Party organisation tree."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.core.i18n import N_
from gongzhi.core.registers import Field, Ref, Register, register
from gongzhi.orgs.models import PARTY_ORG_LEVELS, UNIT_KINDS, PartyOrg, Unit
from gongzhi.regions.models import Region

ANY_REGION = Ref(Region, "code", "region_id", ("district", "street", "community", "compound", "grid"))
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ORG_ORDER = list(PARTY_ORG_LEVELS)


def _check_unit(_s: Session, _p: Principal, values: dict[str, Any], _cur: Any, errors: dict[str, str]) -> None:
    code = values.get("credit_code")
    if code and not CREDIT_CODE.match(code):
        errors["credit_code"] = "统一社会信用代码应为18位（数字或大写字母，不含 I、O、Z、S、V）"


def _check_org(_s: Session, _p: Principal, values: dict[str, Any], cur: Any, errors: dict[str, str]) -> None:
    """A Party organisation sits one level below its parent (街道大工委 → 社区大党委 → 支部 → 党小组 → 中心户)."""
    parent = values.get("_parent_name")
    level = values.get("level") or (cur.level if cur else None)
    if parent is not None and level is not None and ORG_ORDER.index(parent.level) >= ORG_ORDER.index(level):
        errors["parent_name"] = "上级党组织的层级必须高于本组织"
    if cur is not None and parent is not None and parent.id == cur.id:
        errors["parent_name"] = "上级党组织不能是自己"


UNITS = register(Register(
    kind="units", label=N_("驻区单位"), model=Unit, search=("name", "address", "contact_name"), order_by="id",
    unique=("credit_code",), check=_check_unit,
    fields=[
        Field("region_code", N_("所在区域代码"), "region", ref=ANY_REGION, filter=True),
        Field("name", N_("单位名称"), required=True, max_len=120),
        Field("kind", N_("单位类型"), "choice", choices=UNIT_KINDS, required=True, filter=True),
        Field("credit_code", N_("统一社会信用代码"), max_len=18, in_list=False),
        Field("address", N_("地址"), max_len=200),
        Field("contact_name", N_("联系人"), max_len=40),
        Field("phone", N_("联系电话"), "phone"),
        Field("is_member_unit", N_("共建成员单位"), "bool", filter=True),
        Field("lon", N_("经度"), "float", in_list=False),
        Field("lat", N_("纬度"), "float", in_list=False),
    ],
))

PARTY_ORGS = register(Register(
    kind="party_orgs", label=N_("党组织"), model=PartyOrg, search=("name", "secretary_name"), order_by="id",
    check=_check_org,
    fields=[
        Field("region_code", N_("对应区域代码"), "region", ref=ANY_REGION, filter=True),
        Field("name", N_("组织名称"), required=True, max_len=120),
        Field("level", N_("层级"), "choice", codes=tuple(PARTY_ORG_LEVELS.items()), required=True, filter=True),
        Field("parent_name", N_("上级党组织"), "ref", ref=Ref(PartyOrg, "name", "parent_id")),
        Field("secretary_name", N_("书记"), max_len=40),
    ],
))
