"""Organisations: units in the area (驻区单位, shops, schools, hospitals …) and the Party organisation tree."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import HasPhone, Placed, Timestamped

UNIT_KINDS = (N_("机关"), N_("事业单位"), N_("国有企业"), N_("民营企业"), N_("学校"), N_("医院"), N_("商铺"),
              N_("社会组织"), N_("物业公司"), N_("业委会"))

# The five levels of DESIGN.md §2: 街道大工委 → 社区大党委 → 网格/小区党支部 → 楼栋党小组 → 党员中心户.
PARTY_ORG_LEVELS = {
    "street_committee": N_("街道大工委"),
    "community_committee": N_("社区大党委"),
    "branch": N_("网格/小区党支部"),
    "group": N_("楼栋党小组"),
    "center_household": N_("党员中心户"),
}


class Unit(Placed, HasPhone, Timestamped, Base):
    """驻区单位 — an agency, enterprise, school, hospital, shop or social organisation in the area."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True, unique=True)  # 统一社会信用代码
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    is_member_unit: Mapped[bool] = mapped_column(Boolean, default=False)  # 共驻共建成员单位
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)


class PartyOrg(Placed, Timestamped, Base):
    """党组织 — one node of the Party organisation tree, mirroring the region tree."""

    __tablename__ = "party_orgs"
    __table_args__ = (
        CheckConstraint(
            "level IN ('street_committee','community_committee','branch','group','center_household')",
            name="level",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("party_orgs.id"), nullable=True, index=True)
    secretary_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
