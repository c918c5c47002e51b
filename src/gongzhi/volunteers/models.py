"""双报到 and volunteers. Everything here belongs to a community (`region_id`, `scope_path` of the community),
so one range test on `scope_path` decides who sees it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now
from gongzhi.core.i18n import N_
from gongzhi.core.model_mixins import Placed, Timestamped

REPORT_STATUSES = ("pending", "confirmed", "rejected")
REPORT_LABELS = {"pending": N_("待确认"), "confirmed": N_("已报到"), "rejected": N_("未通过")}
LOG_STATUSES = ("pending", "confirmed", "rejected")
LOG_LABELS = {"pending": N_("待确认"), "confirmed": N_("已确认"), "rejected": N_("已退回")}
GRADES = (N_("优秀"), N_("合格"), N_("基本合格"), N_("不合格"))
# The five volunteer roles of the 啄木鸟 teams.
VOLUNTEER_ROLES = {"patrol": N_("巡查员"), "supervise": N_("监督员"), "errand": N_("代办员"),
                   "guard": N_("守护员"), "publicity": N_("宣传员")}
PROBLEM_KINDS = {"appeal": N_("诉求"), "need": N_("需求")}


class Reporting(Placed, Timestamped, Base):
    """报到 — an in-service Party member reporting to their home community (`region_id`), confirmed by it."""

    __tablename__ = "vol_reportings"
    __table_args__ = (CheckConstraint("status IN ('pending','confirmed','rejected')", name="status"),
                      UniqueConstraint("member_id", "region_id", name="uq_vol_reportings_member_region"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_members.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    skills: Mapped[str] = mapped_column(String(200), default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class ServicePost(Placed, Timestamped, Base):
    """岗位 — a service post the community offers (认岗位); at most `slots` members hold it."""

    __tablename__ = "vol_posts"
    __table_args__ = (CheckConstraint("slots > 0", name="slots"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    places: Mapped[str] = mapped_column(String(200), default="")
    slots: Mapped[int] = mapped_column(Integer)
    time_text: Mapped[str] = mapped_column(String(100), default="")  # e.g. 每周六上午
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class PostClaim(Base):
    """One member holding one post."""

    __tablename__ = "vol_post_claims"
    __table_args__ = (UniqueConstraint("post_id", "reporting_id", name="uq_vol_post_claims_post_reporting"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("vol_posts.id", ondelete="CASCADE"), index=True)
    reporting_id: Mapped[int] = mapped_column(ForeignKey("vol_reportings.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class Pairing(Placed, Base):
    """认对子 — a member pairs with a household that needs care; visits are service logs linked to it."""

    __tablename__ = "vol_pairings"
    __table_args__ = (UniqueConstraint("reporting_id", "household_id", name="uq_vol_pairings_reporting_household"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_id: Mapped[int] = mapped_column(ForeignKey("vol_reportings.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    care_tags: Mapped[str] = mapped_column(String(120), default="")  # the household's tags when paired
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # set: the pair has ended
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ProblemClaim(Placed, Base):
    """认难题 — a member takes on a problem: an open appeal or a need, stored as kind + id so the claim does not
    depend on the other domain's tables."""

    __tablename__ = "vol_problem_claims"
    __table_args__ = (CheckConstraint("target_kind IN ('appeal','need')", name="target_kind"),
                      UniqueConstraint("reporting_id", "target_kind", "target_id",
                                       name="uq_vol_problem_claims_reporting_target"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_id: Mapped[int] = mapped_column(ForeignKey("vol_reportings.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(12))
    target_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")  # the problem's title when claimed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # set: released
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Team(Placed, Timestamped, Base):
    """志愿服务队 — a community's volunteer team; its leader is the member marked `is_leader`."""

    __tablename__ = "vol_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")


class Volunteer(Placed, Timestamped, Base):
    """志愿者 — a profile linked to a user (who can sign in and report) or to a resident of the registers."""

    __tablename__ = "vol_volunteers"
    __table_args__ = (CheckConstraint("user_id IS NOT NULL OR resident_id IS NOT NULL", name="who"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, unique=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    roles: Mapped[str] = mapped_column(String(80), default="")  # comma-separated keys of VOLUNTEER_ROLES
    skills: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("vol_teams.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def role_keys(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class ServiceLog(Placed, Base):
    """服务记录 — hours served by a reporting member or a volunteer, confirmed (or sent back) by the community;
    a confirmed log earns `service_hour` points once."""

    __tablename__ = "vol_service_logs"
    __table_args__ = (
        CheckConstraint("status IN ('pending','confirmed','rejected')", name="status"),
        CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
        CheckConstraint("(reporting_id IS NULL) <> (volunteer_id IS NULL)", name="who"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_id: Mapped[int | None] = mapped_column(ForeignKey("vol_reportings.id", ondelete="CASCADE"),
                                                     nullable=True, index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("vol_volunteers.id", ondelete="CASCADE"),
                                                     nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)  # who earns
    served_on: Mapped[dt.date] = mapped_column(Date, index=True)
    hours: Mapped[float] = mapped_column(Float)
    what: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("vol_posts.id", ondelete="SET NULL"), nullable=True)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("vol_pairings.id", ondelete="SET NULL"),
                                                   nullable=True, index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("vol_problem_claims.id", ondelete="SET NULL"),
                                                   nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # appeals.media StoredPhoto dicts
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class Evaluation(Placed, Timestamped, Base):
    """一评 — the community Party organisation's yearly grade of a reporting member, with the year's figures as
    counted from the rows when it was given."""

    __tablename__ = "vol_evaluations"
    __table_args__ = (CheckConstraint("grade IN ('优秀','合格','基本合格','不合格')", name="grade"),
                      UniqueConstraint("reporting_id", "year", name="uq_vol_evaluations_reporting_year"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_id: Mapped[int] = mapped_column(ForeignKey("vol_reportings.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evaluated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
