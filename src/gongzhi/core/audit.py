"""Audit log: every write (who, when, what, before/after), and every reveal of personal data.

Writes are captured once, for every register, by a flush hook: a service cannot forget to log. Who acts
is taken from a context variable set by the request (or by the CLI command)."""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Text, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from gongzhi.core.db import Base, UTCDateTime, now


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    ip: str | None = None


SYSTEM = Actor(None, "system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("gongzhi_actor", default=SYSTEM)
_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("gongzhi_audit_muted", default=False)


class AuditEvent(Base):
    """审计日志 — append-only. Personal data appears only masked."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor_name: Mapped[str] = mapped_column(String(60))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(20), index=True)  # create update delete reveal import login …
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    summary: Mapped[str | None] = mapped_column(String(300), nullable=True)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)


AUDITED: set[str] = set()  # table names whose writes the hook records
HIDDEN_SUFFIXES = ("_enc", "_hash")
HIDDEN = {"password_hash", "created_at", "updated_at", "scope_path"}


def audited(cls: type) -> type:
    AUDITED.add(cls.__tablename__)  # type: ignore[attr-defined]
    return cls


def set_actor(actor: Actor, session: Session | None = None) -> contextvars.Token[Actor]:
    """Also pinned on the request's session: FastAPI runs sync dependencies in a copied context, so the context
    variable alone would not reach the route that writes."""
    if session is not None:
        session.info["audit_actor"] = actor
    return _actor.set(actor)


def current_actor(session: Session | None = None) -> Actor:
    actor = _actor.get()
    if actor is SYSTEM and session is not None:
        return session.info.get("audit_actor", SYSTEM)  # type: ignore[no-any-return]
    return actor


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def muted() -> Iterator[None]:
    """For bulk loads that write their own single summary event instead of one per row."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, bytes):
        return None
    return v


def _visible(key: str) -> bool:
    return key not in HIDDEN and not key.endswith(HIDDEN_SUFFIXES)


def _dump(d: dict[str, Any] | None) -> str | None:
    return None if d is None else json.dumps(d, ensure_ascii=False, default=str)


def record(session: Session, action: str, entity: str, entity_id: Any = None, *, summary: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Write one audit event in the caller's transaction."""
    actor = current_actor(session)
    session.execute(insert(AuditEvent), [{
        "at": now(), "actor_id": actor.user_id, "actor_name": actor.username, "ip": actor.ip,
        "action": action, "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
        "summary": summary, "before": _dump(before), "after": _dump(after),
    }])


@event.listens_for(Session, "after_flush")
def _capture(session: Session, _ctx: Any) -> None:
    if _muted.get():
        return
    actor = current_actor(session)
    rows: list[dict[str, Any]] = []

    def add(action: str, obj: Any, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        rows.append({"at": now(), "actor_id": actor.user_id, "actor_name": actor.username, "ip": actor.ip,
                     "action": action, "entity": obj.__tablename__, "entity_id": str(obj.id),
                     "summary": None, "before": _dump(before), "after": _dump(after)})

    for obj in session.new:
        if getattr(obj, "__tablename__", None) in AUDITED:
            state = inspect(obj)
            add("create", obj, None, {a.key: _jsonable(a.value) for a in state.attrs if _visible(a.key)})
    for obj in session.dirty:
        if getattr(obj, "__tablename__", None) not in AUDITED or not session.is_modified(obj):
            continue
        before, after = {}, {}
        for a in inspect(obj).attrs:
            hist = a.history
            if _visible(a.key) and hist.has_changes():
                before[a.key] = _jsonable(hist.deleted[0]) if hist.deleted else None
                after[a.key] = _jsonable(hist.added[0]) if hist.added else None
        if after:
            add("update", obj, before, after)
    for obj in session.deleted:
        if getattr(obj, "__tablename__", None) in AUDITED:
            state = inspect(obj)
            add("delete", obj, {a.key: _jsonable(a.loaded_value) for a in state.attrs if _visible(a.key)}, None)
    if rows:
        session.connection().execute(insert(AuditEvent), rows)
