"""共驻共建 — the co-building rows: member units in a big Party committee (大党委/大工委) with their agreements and
part-time members, the rotating chair (双月轮值) and joint meetings (联席会议); the three lists (三项清单: needs,
resources, projects) with two-way claims; and micro-wishes (微心愿) with their timeline. Rules: service.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
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
from gongzhi.core.model_mixins import Placed, Timestamped

NEED_TYPES = (N_("助老"), N_("助残"), N_("助学"), N_("医疗健康"), N_("环境整治"), N_("设施维修"), N_("文体活动"),
              N_("法律咨询"), N_("就业帮扶"), N_("其他"))
URGENCIES = {"low": N_("一般"), "normal": N_("较急"), "high": N_("紧急")}
NEED_SOURCES = {"resident": N_("居民"), "grid": N_("网格"), "community": N_("社区"), "unit": N_("驻区单位"),
                "meeting": N_("联席会议")}
NEED_STATUSES = {"open": N_("待认领"), "claimed": N_("已认领"), "in_project": N_("项目实施中"), "done": N_("已完成"),
                 "closed": N_("已关闭")}
PROVIDER_KINDS = {"unit": N_("驻区单位"), "social_org": N_("社会组织"), "volunteer": N_("志愿者"),
                  "party_member": N_("党员")}
CLAIM_KINDS = {"provider": N_("资源方认领需求"), "owner": N_("需求方认领资源"), "assignment": N_("统筹匹配"),
               "member": N_("党员认领难题")}
CLAIM_STATUSES = {"pending": N_("待确认"), "accepted": N_("已确认"), "declined": N_("未采纳"),
                  "withdrawn": N_("已撤回")}
PROJECT_STATUSES = {"active": N_("实施中"), "done": N_("已完成"), "cancelled": N_("已取消")}
WISH_KINDS = {"visit": N_("探望陪伴"), "repair": N_("维修帮忙"), "supplies": N_("学习用品"), "daily": N_("生活用品"),
              "other": N_("其他")}
WISH_STATUSES = {"pending": N_("待审核"), "open": N_("待认领"), "claimed": N_("已认领"), "fulfilled": N_("已实现"),
                 "thanked": N_("已致谢"), "hidden": N_("已隐藏")}
MEETING_STATUSES = {"planned": N_("待召开"), "held": N_("已召开")}


def _in(column: str, values: Any) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class CommitteeMembership(Placed, Timestamped, Base):
    """成员单位 — a unit in a community's 大党委 or a street's 大工委 (`region_id` is that community or street), with
    its co-building agreement (共驻共建协议): signed date, term, terms and pledged resources."""

    __tablename__ = "cobuild_memberships"
    __table_args__ = (UniqueConstraint("region_id", "unit_id", name="uq_cobuild_memberships_region_unit"),
                      CheckConstraint("term_end IS NULL OR term_end >= signed_on", name="term"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    terms: Mapped[str] = mapped_column(Text, default="")  # 协议内容
    pledged: Mapped[str] = mapped_column(Text, default="")  # 承诺提供的资源 (text; offered resources are rows)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CommitteeOfficer(Timestamped, Base):
    """兼职委员 — a person of a member unit who sits on the committee part-time."""

    __tablename__ = "cobuild_officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("cobuild_memberships.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    post: Mapped[str] = mapped_column(String(60), default="")  # 职务, e.g. 兼职副书记
    term_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    term_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class ChairTerm(Placed, Timestamped, Base):
    """双月轮值 — one of a year's six two-month slots (slot 1 = January–February … 6 = November–December) and the
    member unit that chairs it."""

    __tablename__ = "cobuild_chair_terms"
    __table_args__ = (UniqueConstraint("region_id", "year", "slot", name="uq_cobuild_chair_terms_slot"),
                      CheckConstraint("slot >= 1 AND slot <= 6", name="slot"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)


class Meeting(Placed, Timestamped, Base):
    """联席会议 — a joint meeting of the committee, convened by the chairing unit (or staff)."""

    __tablename__ = "cobuild_meetings"
    __table_args__ = (CheckConstraint(_in("status", MEETING_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(String(120), default="")
    chair_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    agenda: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    convened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class MeetingAttendance(Base):
    """One attendee of a meeting: a member unit, a signed-in user (who earns meeting points), or both."""

    __tablename__ = "cobuild_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "name", name="uq_cobuild_attendance_meeting_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("cobuild_meetings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class Need(Placed, Timestamped, Base):
    """需求库 — something residents need, raised by a resident, a grid worker, the community, a unit or a meeting.
    `region_id` is the grid or community it lies in."""

    __tablename__ = "cobuild_needs"
    __table_args__ = (
        CheckConstraint(_in("need_type", NEED_TYPES), name="need_type"),
        CheckConstraint(_in("urgency", URGENCIES), name="urgency"),
        CheckConstraint(_in("source", NEED_SOURCES), name="source"),
        CheckConstraint(_in("status", NEED_STATUSES), name="status"),
        CheckConstraint("beneficiary_count >= 1", name="beneficiary_count"),
        CheckConstraint("wanted_to IS NULL OR wanted_from IS NULL OR wanted_to >= wanted_from", name="window"),
        Index("ix_cobuild_needs_status_scope", "status", "scope_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    need_type: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(String(200), default="")  # wanted skills, comma-separated
    beneficiary_count: Mapped[int] = mapped_column(Integer, default=1)
    beneficiaries: Mapped[str] = mapped_column(String(200), default="")  # who, e.g. 独居老人
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    wanted_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    wanted_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)  # a unit's need
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_meetings.id"), nullable=True)


class Resource(Placed, Timestamped, Base):
    """资源库 — what a unit, social organisation, volunteer or Party member offers: a type, skills, a capacity (how
    many needs it can take on), a place and time windows."""

    __tablename__ = "cobuild_resources"
    __table_args__ = (
        CheckConstraint(_in("resource_type", NEED_TYPES), name="resource_type"),
        CheckConstraint(_in("provider_kind", PROVIDER_KINDS), name="provider_kind"),
        CheckConstraint("capacity >= 1 AND capacity <= 1000", name="capacity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    resource_type: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    provider_kind: Mapped[str] = mapped_column(String(12))
    provider_name: Mapped[str] = mapped_column(String(120))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    windows: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [["2026-12-01", "2026-12-31"], …]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Claim(Timestamped, Base):
    """双向认领 — a proposed pair: a provider claiming a need, a need's side claiming a resource, an assignment pair,
    or a Party member claiming a need as a problem (认难题, no resource). Staff accept it into a project."""

    __tablename__ = "cobuild_claims"
    __table_args__ = (
        CheckConstraint(_in("kind", CLAIM_KINDS), name="kind"),
        CheckConstraint(_in("status", CLAIM_STATUSES), name="status"),
        Index("ix_cobuild_claims_need_status", "need_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("cobuild_needs.id", ondelete="CASCADE"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_resources.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    claimant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    note: Mapped[str] = mapped_column(String(400), default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Project(Placed, Timestamped, Base):
    """项目清单 — an accepted pair being carried out: owner, steps, dates, outcome and the beneficiaries' rating
    (which feeds the provider's past rating in matching)."""

    __tablename__ = "cobuild_projects"
    __table_args__ = (
        CheckConstraint(_in("status", PROJECT_STATUSES), name="status"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        UniqueConstraint("claim_id", name="uq_cobuild_projects_claim"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    need_id: Mapped[int] = mapped_column(ForeignKey("cobuild_needs.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_resources.id"), nullable=True, index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("cobuild_claims.id"))
    owner_name: Mapped[str] = mapped_column(String(120))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    outcome: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str] = mapped_column(String(400), default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ProjectStep(Base):
    """One step of a project with its due date; ticked off when done."""

    __tablename__ = "cobuild_project_steps"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_cobuild_project_steps_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("cobuild_projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Wish(Placed, Timestamped, Base):
    """微心愿 — a resident's small wish (a visit, a repair, school supplies), claimed and fulfilled by a volunteer
    or Party member, then thanked. `region_id` is the resident's grid (or community)."""

    __tablename__ = "cobuild_wishes"
    __table_args__ = (
        CheckConstraint(_in("kind", WISH_KINDS), name="kind"),
        CheckConstraint(_in("status", WISH_STATUSES), name="status"),
        Index("ix_cobuild_wishes_status_scope", "status", "scope_path"),
        Index("ix_cobuild_wishes_claimer_status", "claimer_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    poster_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    poster_name: Mapped[str] = mapped_column(String(60), default="")
    photo_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    claimer_name: Mapped[str] = mapped_column(String(60), default="")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fulfilled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fulfil_photo_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    fulfil_note: Mapped[str] = mapped_column(String(400), default="")
    thanks: Mapped[str] = mapped_column(String(400), default="")
    event_seq: Mapped[int] = mapped_column(Integer, default=0)


class WishEvent(Base):
    """One line of a wish's timeline. Append-only."""

    __tablename__ = "cobuild_wish_events"
    __table_args__ = (UniqueConstraint("wish_id", "seq", name="uq_cobuild_wish_events_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("cobuild_wishes.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    to_status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(400), default="")
