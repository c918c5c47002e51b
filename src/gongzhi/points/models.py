"""积分 — the points ledger (double entry) and the points store (积分超市). The rules live in service.py.

Every movement of points is a posting of two or more entries whose amounts sum to zero; entries are never
changed or deleted (a refund is a reversing posting). `PointAccount.balance` is a cached sum of the account's
entries, kept for the row lock and the `balance >= 0` check; a test proves it equals the sum."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import Timestamped

ACCOUNT_KINDS = ("user", "household", "issuer", "unit")
ACCOUNT_KIND_LABELS = {"user": N_("个人"), "household": N_("家庭"), "issuer": N_("社区发放账户"),
                       "unit": N_("单位/商户")}
POSTING_KINDS = ("award", "redeem", "reverse", "adjust")
RULES = ("report_verified", "wish_fulfilled", "service_hour", "meeting_attended", "civic_act")
RULE_LABELS = {"report_verified": N_("诉求核实奖励"), "wish_fulfilled": N_("微心愿认领完成"),
               "service_hour": N_("志愿服务时长"), "meeting_attended": N_("参加会议"),
               "civic_act": N_("文明行为")}
ITEM_KINDS = ("goods", "service", "property_fee")
ITEM_KIND_LABELS = {"goods": N_("实物"), "service": N_("服务券"), "property_fee": N_("物业费抵扣")}
LIMIT_PERIODS = ("day", "week", "month", "year", "ever")
LIMIT_PERIOD_LABELS = {"day": N_("每天"), "week": N_("每周"), "month": N_("每月"), "year": N_("每年"),
                       "ever": N_("累计")}
REDEMPTION_STATUSES = ("open", "handed_over", "cancelled", "refunded")
REDEMPTION_STATUS_LABELS = {"open": N_("待领取"), "handed_over": N_("已核销"), "cancelled": N_("已取消"),
                            "refunded": N_("已退还")}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class PointAccount(Base):
    """积分账户 — one holder's account: a user, a household, a community's issuing account (the source of
    earned points, the only one allowed below zero) or a unit's (a shop or property company receiving spent
    points). `owner_key` ("user:7", "issuer:12" …) makes one account per holder."""

    __tablename__ = "points_accounts"
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        CheckConstraint("kind = 'issuer' OR balance >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_key: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)  # the holder's place
    scope_path: Mapped[str] = mapped_column(String(220), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    balance: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class PointPosting(Base):
    """记账凭证 — one movement of points, idempotent on `key`. Award postings also carry the rule, the
    beneficiary user and the points, so caps are one indexed sum."""

    __tablename__ = "points_postings"
    __table_args__ = (
        CheckConstraint(_in("kind", POSTING_KINDS), name="kind"),
        Index("ix_points_postings_rule_user", "rule", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), nullable=True, index=True)
    rule: Mapped[str | None] = mapped_column(String(24), nullable=True)
    ref: Mapped[str | None] = mapped_column(String(120), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # the award's beneficiary
    points: Mapped[int] = mapped_column(Integer, default=0)  # the amount moved (positive)
    note: Mapped[str] = mapped_column(String(200), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_postings.id"), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)


class PointEntry(Base):
    """分录 — one signed amount on one account; append-only."""

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="nonzero"),
        Index("ix_points_entries_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("points_postings.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id"))
    amount: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class PointRule(Timestamped, Base):
    """积分规则 — a community's own setting of one earning rule (without a row, the defaults apply)."""

    __tablename__ = "points_rules"
    __table_args__ = (
        CheckConstraint(_in("rule", RULES), name="rule"),
        CheckConstraint("points > 0 AND (daily_cap IS NULL OR daily_cap > 0) "
                        "AND (monthly_cap IS NULL OR monthly_cap > 0)", name="amounts"),
        UniqueConstraint("community_id", "rule", name="uq_points_rules_community_rule"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    scope_path: Mapped[str] = mapped_column(String(220), index=True)
    rule: Mapped[str] = mapped_column(String(24))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    points: Mapped[int] = mapped_column(Integer)  # per unit (per report, per hour …)
    daily_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)  # points per user per day
    monthly_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StoreItem(Timestamped, Base):
    """积分超市商品 — goods, a service voucher or a property-fee credit offered by a unit (shop, property
    company …) in one community, for points, with stock and a per-person limit."""

    __tablename__ = "points_items"
    __table_args__ = (
        CheckConstraint(_in("kind", ITEM_KINDS), name="kind"),
        CheckConstraint(_in("limit_period", LIMIT_PERIODS), name="limit_period"),
        CheckConstraint("price > 0", name="price"),
        CheckConstraint("stock >= 0", name="stock"),
        CheckConstraint("per_person_limit IS NULL OR per_person_limit > 0", name="per_person_limit"),
        CheckConstraint("cancel_hours >= 0", name="cancel_hours"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    scope_path: Mapped[str] = mapped_column(String(220), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # who hands it over / is paid
    kind: Mapped[str] = mapped_column(String(16), default="goods")
    name: Mapped[str] = mapped_column(String(60), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer)  # points
    stock: Mapped[int] = mapped_column(Integer, default=0)
    per_person_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    limit_period: Mapped[str] = mapped_column(String(8), default="month")
    fee_yuan: Mapped[int | None] = mapped_column(Integer, nullable=True)  # property-fee credit per piece, 元
    cancel_hours: Mapped[int] = mapped_column(Integer, default=72)  # cancel/refund allowed this long
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class StoreItemPhoto(Base):
    """A photo of an item (checked and stored by appeals.media)."""

    __tablename__ = "points_item_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("points_items.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class Redemption(Base):
    """兑换 — points spent on an item online; the unit hands it over (核销) when the pick-up code is shown.
    `open_code` holds the code while the redemption is open and is cleared after, so a code is unique among
    open redemptions and can be used once."""

    __tablename__ = "points_redemptions"
    __table_args__ = (
        CheckConstraint(_in("status", REDEMPTION_STATUSES), name="status"),
        CheckConstraint("quantity > 0 AND points > 0", name="amounts"),
        CheckConstraint("status = 'open' OR open_code IS NULL", name="code_only_open"),
        Index("ix_points_redemptions_user_item", "user_id", "item_id", "created_at"),
        Index("ix_points_redemptions_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("points_items.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    scope_path: Mapped[str] = mapped_column(String(220), index=True)  # the item's community
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open")
    code: Mapped[str] = mapped_column(String(12))
    open_code: Mapped[str | None] = mapped_column(String(12), nullable=True, unique=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True)  # 物业费
    fee_period: Mapped[str | None] = mapped_column(String(7), nullable=True)  # "2026-12"
    posting_id: Mapped[int] = mapped_column(ForeignKey("points_postings.id"))
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("points_postings.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handed_over_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # cancelled/refunded
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    close_reason: Mapped[str] = mapped_column(String(200), default="")
