"""SQL for messages and the outbox. Scope: a user reads and marks their own messages only (`readable`); the
outbox is the worker's, never a user's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.core.auth import Principal
from gongzhi.core.db import insert_unless_duplicate, skip_locked
from gongzhi.notify.models import Message, OutboxItem

# ---- messages --------------------------------------------------------------------------------------------


def readable(principal: Principal) -> Any:
    """Every message list and lookup starts here: the user's own messages, whatever their role."""
    return select(Message).where(Message.user_id == principal.user_id)


def active_user_ids(session: Session, ids: Collection[int]) -> set[int]:
    return set(session.scalars(select(User.id).where(User.id.in_(ids), User.is_active.is_(True))))


def add_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Message), rows)


def page(session: Session, principal: Principal, *, unread_only: bool, q: str | None, offset: int,
         limit: int) -> tuple[list[Message], int]:
    stmt = readable(principal)
    if unread_only:
        stmt = stmt.where(Message.read_at.is_(None))
    if q:
        stmt = stmt.where(Message.title.contains(q, autoescape=True))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(Message.id.desc()).offset(offset).limit(limit)))
    return rows, total


def get(session: Session, principal: Principal, message_id: int) -> Message | None:
    return session.scalars(readable(principal).where(Message.id == message_id)).first()


def count_unread(session: Session, principal: Principal) -> int:
    return session.scalar(select(func.count()).select_from(Message).where(
        Message.user_id == principal.user_id, Message.read_at.is_(None))) or 0


def owned_ids(session: Session, principal: Principal, ids: Collection[int]) -> set[int]:
    return set(session.scalars(select(Message.id).where(Message.user_id == principal.user_id,
                                                        Message.id.in_(ids))))


def mark_read(session: Session, principal: Principal, ids: Collection[int] | None, at: dt.datetime) -> int:
    """Unread → read at `at`; messages already read keep the time they were first read."""
    stmt = update(Message).where(Message.user_id == principal.user_id, Message.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Message.id.in_(ids))
    result = session.execute(stmt.values(read_at=at))  # loaded rows are updated in the session too
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- outbox ----------------------------------------------------------------------------------------------


def outbox_by_key(session: Session, dedupe_key: str) -> OutboxItem | None:
    return session.scalars(select(OutboxItem).where(OutboxItem.dedupe_key == dedupe_key)).first()


def add_outbox_item(session: Session, values: dict[str, Any]) -> OutboxItem | None:
    """The new row, or None when its dedupe key is taken (the caller reads the row that holds it)."""
    stmt = insert_unless_duplicate(OutboxItem, session, "dedupe_key").values(**values).returning(OutboxItem)
    return session.scalars(stmt).first()


def give_up_expired(session: Session, *, at: dt.datetime, max_attempts: int) -> int:
    """Rows whose last attempt never reported back (the sender died) and that have no attempt left: failed."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.status == "pending", OutboxItem.attempts >= max_attempts, OutboxItem.next_attempt_at <= at)
        .values(status="failed", last_error=func.coalesce(OutboxItem.last_error, "no report from the last attempt"))
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim(session: Session, *, at: dt.datetime, lease_until: dt.datetime, limit: int, max_attempts: int,
          ids: Collection[int] | None = None) -> Sequence[Row[Any]]:
    """Take up to `limit` due rows for this sender: one UPDATE counts the attempt and moves `next_attempt_at`
    to the end of a lease, so no other sender sees them as due until then. The outer WHERE repeats the
    conditions (pending, due, attempts left) as a compare-and-set: of two senders racing for a row, the
    second finds it no longer due and takes nothing (on SQLite the UPDATE holds the only write lock; on
    PostgreSQL it re-checks the row after the first commits). On PostgreSQL the inner SELECT also skips rows
    another sender has locked, so they do not wait for each other."""
    due = select(OutboxItem.id).where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= at,
                                      OutboxItem.attempts < max_attempts)
    if ids is not None:
        due = due.where(OutboxItem.id.in_(ids))
    # MATERIALIZED: the candidates are chosen once. Folded into the UPDATE, PostgreSQL may rescan the locking
    # subquery for each row, and since the rows it has just claimed are no longer due, each rescan finds the
    # next ones: `limit` would not hold. (Both PostgreSQL ≥ 12 and SQLite ≥ 3.35 know the keyword.)
    due_cte = skip_locked(due.order_by(OutboxItem.next_attempt_at, OutboxItem.id).limit(limit), session) \
        .cte("due").prefix_with("MATERIALIZED")
    stmt = (update(OutboxItem)
            .where(OutboxItem.id.in_(select(due_cte.c.id)), OutboxItem.status == "pending",
                   OutboxItem.next_attempt_at <= at, OutboxItem.attempts < max_attempts)
            .values(attempts=OutboxItem.attempts + 1, next_attempt_at=lease_until)
            .returning(OutboxItem.id, OutboxItem.channel, OutboxItem.to_enc, OutboxItem.body, OutboxItem.attempts)
            .execution_options(synchronize_session=False))
    return sorted(session.execute(stmt).all(), key=lambda r: r.id)


def record_sent(session: Session, item_id: int, *, at: dt.datetime) -> None:
    session.execute(update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.status == "pending")
                    .values(status="sent", sent_at=at, last_error=None)
                    .execution_options(synchronize_session=False))


def record_failure(session: Session, item_id: int, *, attempts: int, error: str, status: str,
                   next_attempt_at: dt.datetime) -> None:
    """Only if the row is still the one this sender claimed (same attempt): a sender whose lease ran out
    must not overwrite the outcome of the next one."""
    session.execute(update(OutboxItem)
                    .where(OutboxItem.id == item_id, OutboxItem.status == "pending", OutboxItem.attempts == attempts)
                    .values(status=status, last_error=error[:500], next_attempt_at=next_attempt_at)
                    .execution_options(synchronize_session=False))
