"""职责清单 and 社区事务准入清单: who handles which kind of matter, in how long, and what a community may take on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import Timestamped

# The four handling tiers of 分级化解, lowest first: escalation moves a case one step to the right.
TIERS = ("grid", "community", "street", "department")
TIER_LABELS = {"grid": N_("网格"), "community": N_("社区"), "street": N_("街道"), "department": N_("部门")}

# 社区事务准入清单: must do / assist / may certify / must not certify.
ADMISSION_KINDS = ("must_do", "assist", "may_certify", "must_not_certify")
ADMISSION_LABELS = {"must_do": N_("依法履职事项"), "assist": N_("协助办理事项"), "may_certify": N_("可出具证明事项"),
                    "must_not_certify": N_("不得出具证明事项")}


class Department(Timestamped, Base):
    """职能部门 — a government department (or a public utility) that owns matter types and takes cases."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    # The region whose cases it takes (the city or a district); its handlers see that department's cases only.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class DutyCategory(Timestamped, Base):
    """事项分类 — the first two levels of the catalog (e.g. 城乡建设 → 城市建设和市政管理)."""

    __tablename__ = "duty_categories"
    __table_args__ = (CheckConstraint("level IN (1, 2)", name="level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("duty_categories.id"), nullable=True, index=True)


class MatterType(Timestamped, Base):
    """事项 — one kind of matter: who leads, who assists, which tier handles it, and its time limits."""

    __tablename__ = "matter_types"
    __table_args__ = (
        CheckConstraint("tier IN ('grid','community','street','department')", name="tier"),
        CheckConstraint("accept_hours > 0 AND resolve_days > 0", name="limits"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("duty_categories.id"), index=True)  # a level-2 category
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True, index=True)
    assist_department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    tier: Mapped[str] = mapped_column(String(12))
    accept_hours: Mapped[int] = mapped_column(Integer)  # working hours from dispatch to acceptance
    resolve_days: Mapped[int] = mapped_column(Integer)  # working days from acceptance to resolution
    keywords: Mapped[str] = mapped_column(Text, default="")  # words that suggest this matter type on intake
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AdmissionItem(Timestamped, Base):
    """One item of a community's admission list. A matter type listed as `must_not_certify` (or not admitted)
    is refused at registration with this item as the reason."""

    __tablename__ = "admission_items"
    __table_args__ = (
        CheckConstraint("kind IN ('must_do','assist','may_certify','must_not_certify')", name="kind"),
        UniqueConstraint("community_id", "code", name="uq_admission_items_community_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(Text, default="")  # 依据
    matter_type_id: Mapped[int | None] = mapped_column(ForeignKey("matter_types.id"), nullable=True, index=True)

    def as_reason(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "title": self.title}
