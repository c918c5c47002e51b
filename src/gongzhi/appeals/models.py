"""诉求 — the appeal loop's rows: the appeal itself, its append-only timeline, summoned departments' parts,
photos, followers and intake idempotency keys. The rules live in service.py and flow.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now
from gongzhi.core.i18n import N_

STATUSES = ("received", "registered", "rejected", "merged", "dispatched", "accepted", "in_progress", "resolved",
            "verified", "rated", "closed")
CHANNELS = ("hotline", "mailbox", "visit", "patrol", "volunteer", "h5", "transfer", "open311")
CHANNEL_LABELS = {"hotline": N_("热线电话"), "mailbox": N_("书记信箱"), "visit": N_("来访"), "patrol": N_("巡查发现"),
                  "volunteer": N_("志愿者上报"), "h5": N_("居民随手拍"), "transfer": N_("上级转办"),
                  "open311": N_("Open311 接口")}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class Appeal(Base):
    """诉求/工单 — one thing someone asked to be fixed, from intake to closure.

    The handler is a node of the region tree (`assigned_region_id`: a grid, community or street) or a
    department (`assigned_department_id`), per `tier`. `scope_path` is the path of the grid (or of the
    deepest region that contains the location), so one range test answers "is this in the actor's scope?".
    Every change bumps `version`: a concurrent change fails (StaleDataError → 409) instead of overwriting."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("tier IS NULL OR tier IN ('grid','community','street','department')", name="tier"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        CheckConstraint("status <> 'merged' OR parent_id IS NOT NULL", name="merged_has_parent"),
        UniqueConstraint("channel", "external_id", name="uq_appeals_channel_external_id"),
        # open appeals by scope, with the flags the open lists count (the dashboards read them from the index)
        Index("ix_appeals_status_scope_flags", "status", "scope_path", "overdue", "warned", "supervised"),
        Index("ix_appeals_assigned_department", "assigned_department_id", "status"),
        Index("ix_appeals_region_created", "region_id", "created_at"),  # a grid's cases, newest first
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(12))
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="received")
    priority: Mapped[str] = mapped_column(String(8), default="normal")  # normal | urgent

    # Where: WGS-84, the grid it lies in, and the scope path used for access.
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), nullable=True, index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))  # indexed with created_at, below
    scope_path: Mapped[str] = mapped_column(String(220), index=True)

    # What: classification. Routing follows the matter type.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("duty_categories.id"), nullable=True, index=True)
    matter_type_id: Mapped[int | None] = mapped_column(ForeignKey("matter_types.id"), nullable=True, index=True)

    # Who handles it now.
    tier: Mapped[str | None] = mapped_column(String(12), nullable=True)
    assigned_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), nullable=True, index=True)
    assigned_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)  # 督办

    # Who asked. Contact data is sealed like the registers' (AES-GCM + blind index + mask).
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str] = mapped_column(String(40), default="")
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(24), nullable=True)
    location_consent: Mapped[bool] = mapped_column(Boolean, default=False)

    # Links.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), nullable=True, index=True)
    metoo_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    review_reopened: Mapped[bool] = mapped_column(Boolean, default=False)  # an unsatisfied rating reopens once

    # Outcome.
    reply: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1–5; 4–5 counts as satisfied
    close_reason: Mapped[str] = mapped_column(String(20), default="")  # resolved | unsatisfied | rejected | …

    # Deadlines (docs/appeals.md). `due_at` is the current step's limit (dispatch, acceptance, resolution or
    # verification), `warn_at` its 80 % point; `resolve_due_at` is the promised resolution time (Open311's
    # expected_datetime, and what "on time" is measured against). `next_check_at` is the earliest instant at
    # which the deadline sweep has something to do for this row (NULL: nothing, e.g. closed or paused).
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolve_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)  # the current step passed 80 %
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # the current step passed its limit
    ever_overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # any step was ever late
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # waiting for the resident
    extension_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # asked for, awaiting approval
    event_seq: Mapped[int] = mapped_column(Integer, default=0)  # timeline events so far

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 — a concurrent change raises StaleDataError


class AppealEvent(Base):
    """One line of an appeal's timeline. Append-only: never updated, never deleted."""

    __tablename__ = "appeal_events"
    __table_args__ = (UniqueConstraint("appeal_id", "seq", name="uq_appeal_events_appeal_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … per appeal
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)  # what changed since (roll-ups)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(60), default="")
    actor_role: Mapped[str] = mapped_column(String(24), default="")
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # attachments, departments, ratings …


class AppealPart(Base):
    """吹哨报到 — one summoned department's part of an appeal, with its own deadline and report."""

    __tablename__ = "appeal_parts"
    __table_args__ = (
        UniqueConstraint("appeal_id", "department_id", name="uq_appeal_parts_appeal_department"),
        CheckConstraint("status IN ('open','accepted','done')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    task: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    report: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AppealPhoto(Base):
    """A photo of the problem (kind `report`) or of the result (`evidence`), stored under the media directory."""

    __tablename__ = "appeal_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="report")
    content_type: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(200))  # relative to settings.media_dir
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class AppealFollower(Base):
    """Someone told when the appeal moves: its reporter, a "me too" supporter, the reporter of a merged duplicate."""

    __tablename__ = "appeal_followers"
    __table_args__ = (UniqueConstraint("appeal_id", "user_id", name="uq_appeal_followers_appeal_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(10), default="reporter")  # reporter | metoo | merged
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)


class IdempotencyKey(Base):
    """An intake request's Idempotency-Key (per caller): a retry returns the first appeal, never a second."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
