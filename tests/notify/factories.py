"""Factories for the notification tests (and the access matrix): messages written straight through the ORM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.core.db import now
from gongzhi.notify.models import Message


def user_id(session: Session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def make_message(session: Session, *, user: str | int, title: str = "测试消息", body: str = "内容",
                 link: str = "/appeals/1", appeal_id: int | None = 1, read: bool = False,
                 at: dt.datetime | None = None) -> Message:
    uid = user if isinstance(user, int) else user_id(session, user)
    message = Message(user_id=uid, title=title, body=body, link=link, appeal_id=appeal_id, kind="appeal",
                      created_at=at or now(), read_at=now() if read else None)
    session.add(message)
    session.commit()
    return message


def message_id_for(session: Session, actor: str, place: str) -> int:
    """The access matrix's object: a message of the actor's own (inside), or of another user (outside)."""
    owner = "grid2" if place == "outside" or actor == "anonymous" else actor
    if owner == actor == "grid2":
        owner = "admin"
    return make_message(session, user=owner).id
