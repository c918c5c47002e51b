"""create_app(): routers, middleware, static files, error handlers."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from gongzhi import __version__
from gongzhi.core.errors import AppError
from gongzhi.core.i18n import N_
from gongzhi.core.settings import ROOT, get_settings
from gongzhi.core.web import render
from gongzhi.open311.formats import error_response as open311_error_response

# Every domain's routers, in the order they are matched (a domain adds its `api` and `pages` here).
ROUTERS = (
    "gongzhi.accounts.api", "gongzhi.appeals.api", "gongzhi.regions.api", "gongzhi.people.api", "gongzhi.orgs.api",
    "gongzhi.accounts.pages", "gongzhi.regions.pages", "gongzhi.core.register_pages", "gongzhi.core.audit_pages",
    "gongzhi.notify.api", "gongzhi.notify.pages",
    "gongzhi.core.calendar_api", "gongzhi.core.calendar_pages",
    "gongzhi.open311.api",
    "gongzhi.duties.api", "gongzhi.duties.pages",
    "gongzhi.appeals.pages",
    "gongzhi.volunteers.api", "gongzhi.volunteers.pages",
    "gongzhi.points.api", "gongzhi.points.pages",
    "gongzhi.cobuild.api", "gongzhi.cobuild.pages",
    "gongzhi.dashboard.api", "gongzhi.dashboard.pages",
    "gongzhi.assessment.api", "gongzhi.assessment.pages",
)
STATIC = Path(__file__).resolve().parent / "static"
VENDOR = {  # front-end libraries installed from npm at set-up time (package.json), never copied here
    "htmx": ROOT / "node_modules" / "htmx.org" / "dist",
    "leaflet": ROOT / "node_modules" / "leaflet" / "dist",
    "echarts": ROOT / "node_modules" / "echarts" / "dist",
}

STATUS_TITLES = {400: N_("请求有误"), 401: N_("请先登录"), 403: N_("无权操作"), 404: N_("未找到"),
                 405: N_("不支持的操作"), 409: N_("操作冲突"), 413: N_("文件过大"), 422: N_("填写有误"),
                 429: N_("请稍后再试"), 500: N_("系统错误")}


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/open311/")) and "text/html" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, code: str, message: str, details: Any = None) -> Response:
    if request.url.path.startswith("/open311/"):  # Open311's own error array, in the URL's format
        return open311_error_response(request, status, message, details)
    if _wants_html(request):
        if status == 401:
            return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
        return render(request, "error.html", {"status": status, "title": STATUS_TITLES.get(status, N_("出错了")),
                                              "message": message}, status_code=status)
    headers = {"Retry-After": str(details["retry_after"])} if isinstance(details, dict) and \
        "retry_after" in details else None
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse({"error": {"code": code, "message": message, "details": details}}, status_code=status,
                        headers=headers)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="共治 gongzhi", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json",
                  description="党建引领城市基层治理平台 API")
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie=settings.session_cookie,
                       same_site="lax", https_only=settings.cookie_secure, max_age=settings.token_ttl_seconds)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        return _error_response(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [{"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "reason": e["msg"],
                    "type": e["type"]} for e in exc.errors()]
        return _error_response(request, 422, "validation_failed", "提交的数据格式不正确", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else \
            STATUS_TITLES.get(exc.status_code, N_("出错了"))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error_response(request, exc.status_code, code, message)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name, path in VENDOR.items():
        app.mount(f"/vendor/{name}", StaticFiles(directory=path, check_dir=False), name=f"vendor-{name}")

    for module in ROUTERS:
        app.include_router(importlib.import_module(module).router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
