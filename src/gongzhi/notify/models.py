"""Notifications: in-app messages (站内消息) and the outbox of SMS and WeChat messages still to be sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now

CHANNELS = ("sms", "wechat")
STATUSES = ("pending", "sent", "failed")


class Message(Base):
    """站内消息 — one line in one user's message centre. Written in the transaction of the change it reports
    (an appeal moving on), so a user is told exactly about what happened. Never shared: each recipient gets their
    own row, and reading it marks only theirs."""

    __tablename__ = "messages"
    # One index serves the three reads: a user's messages, their unread ones, and the unread count.
    __table_args__ = (Index("ix_messages_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")  # a path inside the app, e.g. /appeals/123
    # The appeal it is about; no foreign key, so the message outlives the appeal and the tables stay decoupled.
    appeal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="appeal")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxItem(Base):
    """发件箱 — an SMS or WeChat message to send once the transaction that asked for it has committed. The row is
    the guarantee: a crash or a failing gateway leaves it `pending`, and the worker tries again with a growing
    delay until it is `sent`, or `failed` after the last attempt. The recipient (a phone number or an openid) is
    kept encrypted, with a mask to show."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('sms','wechat')", name="channel"),
        CheckConstraint("status IN ('pending','sent','failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # what a worker looks for: pending rows that are due
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    to_enc: Mapped[bytes] = mapped_column(LargeBinary)  # nonce + AES-256-GCM ciphertext (gongzhi.core.crypto)
    to_masked: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The same key twice enqueues once (e.g. "appeal:123:closed:sms"), however often the caller retries.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
