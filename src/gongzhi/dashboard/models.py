"""The dashboard's roll-ups (docs/dashboard.md): the appeal figures counted once per region, period and slice,
kept up to date by the worker, so no dashboard request reads the appeal table beyond one page of cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime

# Handling time (received → resolved) in hours: the upper bounds of the histogram's buckets h0…h10; h11 is the rest.
HOUR_BOUNDS = (2, 4, 8, 24, 48, 72, 120, 168, 240, 360, 720)
BUCKETS = tuple(f"h{i}" for i in range(len(HOUR_BOUNDS) + 1))
COUNTS = ("received", "registered", "responded", "resolved", "on_time", "rated", "satisfied", "ever_overdue",
          "supervised", "escalated", "closed")
DIMS = ("all", "channel", "tier", "category", "matter", "department")


class AppealStat(Base):
    """The figures of the appeals received in one region (and everything under it) in one period, in total
    (`dim` 'all') or for one value of a slice (`dim` channel, tier, category, matter, department; `key` the value).

    Day rows (`grain` 'day') hold totals only; month rows hold totals and the slices (channel and tier at every
    level; category, matter type and department from the community up). Appeals count in the period they were
    received in (cohort), with the state they have now."""

    __tablename__ = "dash_appeal_stats"
    __table_args__ = (
        CheckConstraint("grain IN ('day','month')", name="grain"),
        Index("ix_dash_appeal_stats_period", "period", "grain"),  # a month's rows, swapped by the refresh
    )

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(5), primary_key=True)
    dim: Mapped[str] = mapped_column(String(12), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    level: Mapped[str] = mapped_column(String(12))
    received: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)  # not rejected, not merged into another
    responded: Mapped[int] = mapped_column(Integer, default=0)  # accepted by its handler (接单)
    resolved: Mapped[int] = mapped_column(Integer, default=0)  # 办结
    on_time: Mapped[int] = mapped_column(Integer, default=0)  # resolved, and no step ever late
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)  # rated 4 or 5
    ever_overdue: Mapped[int] = mapped_column(Integer, default=0)
    supervised: Mapped[int] = mapped_column(Integer, default=0)  # 督办
    escalated: Mapped[int] = mapped_column(Integer, default=0)  # moved up at least one tier
    closed: Mapped[int] = mapped_column(Integer, default=0)
    hours_sum: Mapped[float] = mapped_column(Float, default=0.0)  # handling hours of the resolved ones
    h0: Mapped[int] = mapped_column(Integer, default=0)
    h1: Mapped[int] = mapped_column(Integer, default=0)
    h2: Mapped[int] = mapped_column(Integer, default=0)
    h3: Mapped[int] = mapped_column(Integer, default=0)
    h4: Mapped[int] = mapped_column(Integer, default=0)
    h5: Mapped[int] = mapped_column(Integer, default=0)
    h6: Mapped[int] = mapped_column(Integer, default=0)
    h7: Mapped[int] = mapped_column(Integer, default=0)
    h8: Mapped[int] = mapped_column(Integer, default=0)
    h9: Mapped[int] = mapped_column(Integer, default=0)
    h10: Mapped[int] = mapped_column(Integer, default=0)
    h11: Mapped[int] = mapped_column(Integer, default=0)


class RegionAncestor(Base):
    """The region tree as pairs (region, each of its ancestors and itself), so one join spreads an appeal's
    figures over every level above its grid. Rebuilt by the roll-up refresh when regions change."""

    __tablename__ = "dash_region_ancestors"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    ancestor_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    ancestor_level: Mapped[str] = mapped_column(String(12))


class RollupState(Base):
    """How far the roll-ups are: appeals changed (timeline events) before `through` are counted."""

    __tablename__ = "dash_rollup_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    through: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    months: Mapped[int] = mapped_column(Integer, default=0)  # months recomputed by the last refresh
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long it took
