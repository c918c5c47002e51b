"""考核 — indicator sets (指标体系) with their classes and indicators, the periods of a set (open or published)
and the scores of each region, indicator by indicator. Rules: service.py; the rules in words: docs/assessment.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import Placed, Timestamped

LEVELS = {"street": N_("街道"), "community": N_("社区"), "compound": N_("小区"), "grid": N_("网格")}
PERIOD_KINDS = {"month": N_("月度"), "quarter": N_("季度"), "year": N_("年度")}
SET_STATUSES = {"draft": N_("草稿"), "active": N_("启用"), "archived": N_("已归档")}
METHODS = {"computed": N_("数据自动计算"), "manual": N_("人工评分"), "veto": N_("底线（扣分/否决）")}
NO_DATA = {"zero": N_("无数据计0分"), "full": N_("无数据计满分")}
PERIOD_STATUSES = {"open": N_("评分中"), "published": N_("已发布")}


def _in(column: str, values: Any) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class IndicatorSet(Placed, Timestamped, Base):
    """指标体系 — what is assessed, at which level, how often, and over which subtree (`region_id`: every region of
    `level` under it is ranked); the sizes of the red (红榜) and yellow (黄榜) lists."""

    __tablename__ = "assess_sets"
    __table_args__ = (CheckConstraint(_in("level", LEVELS), name="level"),
                      CheckConstraint(_in("period_kind", PERIOD_KINDS), name="period_kind"),
                      CheckConstraint(_in("status", SET_STATUSES), name="status"),
                      CheckConstraint("red_count >= 0 AND yellow_count >= 0", name="lists"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(12))
    period_kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    red_count: Mapped[int] = mapped_column(Integer, default=3)
    yellow_count: Mapped[int] = mapped_column(Integer, default=3)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class IndicatorClass(Base):
    """指标类别 — e.g. 基础指标、品牌指标、底线指标, in order."""

    __tablename__ = "assess_classes"
    __table_args__ = (UniqueConstraint("set_id", "name", name="uq_assess_classes_set_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("assess_sets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer, default=0)


class Indicator(Base):
    """考核指标 — one line of the set: its points (`max_score`, weights add up to 100 per set), how it is scored
    (computed from a metric between two thresholds, typed by an assessor with evidence, or a bottom-line veto that
    deducts or zeroes), and the guidance assessors read."""

    __tablename__ = "assess_indicators"
    __table_args__ = (UniqueConstraint("set_id", "code", name="uq_assess_indicators_set_code"),
                      CheckConstraint(_in("method", METHODS), name="method"),
                      CheckConstraint(_in("if_no_data", NO_DATA), name="if_no_data"),
                      CheckConstraint("max_score >= 0 AND max_score <= 100", name="max_score"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("assess_sets.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("assess_classes.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    method: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str | None] = mapped_column(String(40), nullable=True)
    full_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # value earning full marks
    zero_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # value earning nothing
    if_no_data: Mapped[str] = mapped_column(String(4), default="zero")
    deduction: Mapped[float | None] = mapped_column(Float, nullable=True)  # veto: points off; None/0 zeroes the total
    guidance: Mapped[str] = mapped_column(Text, default="")


class Period(Placed, Base):
    """One period of a set (`2026-10`, `2026-Q3`, `2026`): open while scores change, frozen once published."""

    __tablename__ = "assess_periods"
    __table_args__ = (UniqueConstraint("set_id", "period", name="uq_assess_periods_set_period"),
                      CheckConstraint(_in("status", PERIOD_STATUSES), name="status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("assess_sets.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="open")
    computed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class Score(Placed, Base):
    """One region's score on one indicator in one period; `region_id`/`scope_path` are the scored region's."""

    __tablename__ = "assess_scores"
    __table_args__ = (UniqueConstraint("set_id", "period", "region_id", "indicator_id", name="uq_assess_scores_one"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("assess_sets.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("assess_indicators.id", ondelete="CASCADE"), index=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="")
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    assessor_name: Mapped[str] = mapped_column(String(60), default="")
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
