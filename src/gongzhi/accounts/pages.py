"""Login, logout and each role's home page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gongzhi.accounts import service
from gongzhi.core.errors import AppError
from gongzhi.core.security import new_csrf_token
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, LoginCsrfChecked, OptionalPrincipal, SessionDep, render
from gongzhi.regions import home

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.get("/login")
def login_form(request: Request, principal: OptionalPrincipal, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"title": "登录", "next": _safe_next(next), "username": ""})


@router.post("/login", dependencies=[LoginCsrfChecked])
def login(request: Request, session: SessionDep, username: Annotated[str, Form(max_length=60)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/") -> Response:
    try:
        user = service.authenticate(session, username, password, request.client.host if request.client else None)
    except AppError as exc:
        return _login_error(request, exc.message, exc.status, username, next)
    if user is None:
        return _login_error(request, service.BAD_CREDENTIALS, 401, username, next)
    lang = request.session.get("lang")  # the chosen UI language outlives the anonymous session
    request.session.clear()
    request.session.update({"uid": user.id, "fp": user.password_hash[-10:], "csrf": new_csrf_token()})
    if lang:
        request.session["lang"] = lang
    return RedirectResponse(_safe_next(next), status_code=303)


def _login_error(request: Request, message: str, status: int, username: str, next: str) -> Response:
    return render(request, "accounts/login.html", {"title": "登录", "error": message, "username": username,
                                                   "next": _safe_next(next)}, status_code=status)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home_page(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    context: dict[str, Any] = {"title": "首页", "nav": "home", **home.for_principal(session, principal)}
    return render(request, "accounts/home.html", context)
