"""The message centre as JSON: my messages, my unread count, mark read. Every signed-in user, own messages only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep
from gongzhi.notify import service
from gongzhi.notify.models import Message
from gongzhi.notify.schemas import MarkRead, MarkReadResult, MessagePage, MessageRead, UnreadCount

router = APIRouter(tags=["消息"])


def _read(m: Message) -> MessageRead:
    return MessageRead(id=m.id, title=m.title, body=m.body, link=m.link, appeal_id=m.appeal_id, kind=m.kind,
                       created_at=m.created_at, read_at=m.read_at, unread=m.read_at is None)


@router.get("/api/v1/messages", summary="我的消息", response_model=MessagePage)
def list_messages(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                  unread: Annotated[bool, Query(description="只看未读（unread=1）")] = False) -> MessagePage:
    page = service.list_messages(session, principal, unread_only=unread, page=params)
    return MessagePage(items=[_read(m) for m in page.items], total=page.total, page=page.page, size=page.size,
                       pages=page.pages, unread=service.unread_count(session, principal))


@router.get("/api/v1/messages/unread-count", summary="未读消息条数", response_model=UnreadCount)
def unread_count(session: SessionDep, principal: CurrentPrincipal) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(session, principal))


@router.post("/api/v1/messages/read", summary="标为已读（ids 或 all）", response_model=MarkReadResult,
             dependencies=[CsrfChecked])
def mark_read(body: MarkRead, session: SessionDep, principal: CurrentPrincipal) -> MarkReadResult:
    marked = service.mark_read(session, principal, "all" if body.all else (body.ids or []))
    return MarkReadResult(marked=marked, unread=service.unread_count(session, principal))
