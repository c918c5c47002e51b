"""The message centre (消息中心) for every signed-in role, and the unread badge of the top bar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, render
from gongzhi.notify import service

router = APIRouter(include_in_schema=False)


def _local_path(value: str | None) -> str | None:
    """Only a path inside the app may be a redirect target."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _done(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.get("/messages")
def messages(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep,
             unread: bool = False) -> Response:
    page = service.list_messages(session, principal, unread_only=unread, page=params)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "notify/list.html", {
        "title": "消息中心", "nav": "messages", "page": page, "unread_only": unread, "here": here,
        "unread": service.unread_count(session, principal), "partial": "notify/_list.html"})


@router.get("/messages/badge")
def badge(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """The top bar's link to the message centre with the unread count; base.html loads it after the page."""
    return render(request, "notify/_badge.html", {"unread": service.unread_count(session, principal)})


@router.post("/messages/read-all", dependencies=[CsrfChecked])
def read_all(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    service.mark_read(session, principal, "all")
    return _done(request, "/messages")


@router.post("/messages/{message_id}/read", dependencies=[CsrfChecked])
def read_one(message_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal,
             next: Annotated[str | None, Form()] = None) -> Response:
    """Mark one message read, then go where `next` says: back to the list, or on to the appeal it is about."""
    message = service.get_message(session, principal, message_id)
    service.mark_read(session, principal, [message.id])
    return _done(request, _local_path(next) or "/messages")
