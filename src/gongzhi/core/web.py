"""Request plumbing shared by every domain: the session, the acting user, templates, CSRF, paging."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from gongzhi.core import audit, i18n
from gongzhi.core.auth import Principal
from gongzhi.core.db import session_scope
from gongzhi.core.errors import AppError, Forbidden, Unauthorized
from gongzhi.core.security import csrf_equal, new_csrf_token
from gongzhi.core.settings import get_settings

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time (or its ISO string) as Beijing time, the way every page shows times."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(SHANGHAI).strftime(fmt)


templates.env.filters["local"] = _local
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True,  # per request
                                        pgettext=i18n.pgettext, npgettext=i18n.npgettext)
templates.env.filters["zip_self"] = lambda values: [(v, v) for v in values]


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the route returns, before the response is sent
    (the dependency is declared with scope="function")."""
    with session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The acting user from a bearer token (API) or the signed session cookie (pages), or None."""
    from gongzhi.accounts.service import principal_from_request  # accounts depends on core, not back

    principal = principal_from_request(session, request)
    if principal is not None:
        request.state.principal = principal
        audit.set_actor(audit.Actor(principal.user_id, principal.username, _client_ip(request)), session)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Any:
    """A dependency that lets only roles holding `permission` through (403 otherwise)."""

    def _check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Forbidden()
        return principal

    return Depends(_check)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Unsafe requests authenticated by the cookie must carry the session's CSRF token (form or header)."""
    await _check_csrf(request, anonymous_too=False)


async def check_login_csrf(request: Request) -> None:
    """The login form is checked before anyone is signed in, too (login CSRF)."""
    await _check_csrf(request, anonymous_too=True)


async def _check_csrf(request: Request, *, anonymous_too: bool) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    if not anonymous_too and not request.session.get("uid"):
        return  # not signed in by the cookie: nothing to forge, and the route's login check answers 401
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not csrf_equal(sent, request.session.get("csrf")):
        raise AppError("表单已过期或来源不明，请刷新页面后重试", code="csrf_failed", status=403)


CsrfChecked = Depends(check_csrf)
LoginCsrfChecked = Depends(check_login_csrf)


@dataclass(frozen=True)
class PageParams:
    page: int
    size: int
    q: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_params(
    page: Annotated[int, Query(ge=1, le=100000, description="页码，从1开始")] = 1,
    size: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 20,
    q: Annotated[str | None, Query(max_length=60, description="搜索")] = None,
) -> PageParams:
    return PageParams(page=page, size=min(size, get_settings().page_size_max), q=(q or "").strip() or None)


PageDep = Annotated[PageParams, Depends(page_params)]


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def to_dict(self, items: list[Any]) -> dict[str, Any]:
        return {"items": items, "total": self.total, "page": self.page, "size": self.size, "pages": self.pages}


def query_string(request: Request, **overrides: Any) -> str:
    params = {k: v for k, v in request.query_params.items() if k not in overrides}
    params.update({k: v for k, v in overrides.items() if v is not None})
    return "?" + urlencode(params)


templates.env.globals["query_string"] = query_string


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Any:
    principal = getattr(request.state, "principal", None)
    lang = i18n.language(request)  # before rendering: `?lang=` is stored in the session
    ctx = {"request": request, "principal": principal, "csrf_token": csrf_token(request), "lang": lang,
           "html_lang": i18n.HTML_LANG[lang], **context}
    if request.headers.get("hx-request") and not request.headers.get("hx-boosted") and "partial" in context:
        return templates.TemplateResponse(request, context["partial"], ctx, status_code=status_code)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
