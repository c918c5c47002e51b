"""People registers: households, residents, Party members and grid staff."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import HasIdNumber, HasPhone, Placed, Timestamped

CARE_TAGS = (N_("独居老人"), N_("空巢老人"), N_("残疾"), N_("低保"), N_("特困"), N_("重点人群"), N_("退役军人"),
             N_("留守儿童"), N_("孕产妇"), N_("重病"))
RELATIONS = (N_("户主"), N_("配偶"), N_("子女"), N_("父母"), N_("孙子女"), N_("兄弟姐妹"), N_("其他"))
HOUSEHOLD_TYPES = (N_("户籍"), N_("常住"), N_("流动"), N_("空挂"))


class Household(Placed, Timestamped, Base):
    """户 — one dwelling's household, in a building of a grid (`region_id` is the grid)."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), nullable=True, index=True)
    room: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    head_name: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    household_type: Mapped[str] = mapped_column(String(8), default="常住")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Resident(Placed, HasIdNumber, HasPhone, Timestamped, Base):
    """居民 — a person living in a grid, usually in a household. ID and phone numbers are encrypted."""

    __tablename__ = "residents"
    __table_args__ = (CheckConstraint("gender IN ('男','女')", name="gender"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    relation: Mapped[str | None] = mapped_column(String(8), nullable=True)
    ethnicity: Mapped[str | None] = mapped_column(String(12), nullable=True)
    care_tags: Mapped[str] = mapped_column(String(120), default="")  # comma-separated, from CARE_TAGS
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class PartyMember(Placed, HasPhone, Timestamped, Base):
    """党员 — registered in the community (`registered`) or reporting from an employer (`in_service`,
    在职党员双报到). `region_id` is the community or grid they serve in."""

    __tablename__ = "party_members"
    __table_args__ = (CheckConstraint("kind IN ('registered','in_service')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    gender: Mapped[str | None] = mapped_column(String(2), nullable=True)
    kind: Mapped[str] = mapped_column(String(12), default="registered")
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True, index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("party_orgs.id"), nullable=True, index=True)
    employer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    employer_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    joined_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    is_center_household: Mapped[bool] = mapped_column(Boolean, default=False)  # 党员中心户


class GridStaff(Placed, HasPhone, Timestamped, Base):
    """网格力量 — four tiers (网格指导员 → 网格工作站站长 → 网格长 → 网格员), each post A (主岗) or B (副岗)."""

    __tablename__ = "grid_staff"
    __table_args__ = (
        CheckConstraint("tier IN ('instructor','station_chief','grid_leader','grid_worker')", name="tier"),
        CheckConstraint("post IN ('A','B')", name="post"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    tier: Mapped[str] = mapped_column(String(16))
    post: Mapped[str] = mapped_column(String(1), default="A")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


TIER_LABELS = {"instructor": "网格指导员", "station_chief": "网格工作站站长", "grid_leader": "网格长",
               "grid_worker": "网格员"}
