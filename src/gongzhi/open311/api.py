"""Open311 GeoReport v2 routes at /open311/v2/ (docs/open311.md). Every resource answers in XML or JSON by its
extension (`services.xml`, `requests/12.json`). Reading is public; posting needs an api_key, never a login.
Thin: parse, call one service function, render. Errors of every kind come out as Open311's error array — the
app's handlers send /open311/ paths to `formats.error_response`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from gongzhi.core.web import SessionDep
from gongzhi.open311 import service
from gongzhi.open311.formats import Open311Error, check_format, respond

router = APIRouter(prefix=service.API_PATH, tags=["Open311 GeoReport v2"])

Jurisdiction = str | None
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _params(request: Request) -> dict[str, str]:
    """Query arguments; one declared several times counts as its comma-delimited list."""
    q = request.query_params
    return {k: ",".join(q.getlist(k)) for k in q}


@router.get("/discovery.{fmt}", summary="Service discovery")
def get_discovery(fmt: str, request: Request, session: SessionDep) -> Response:
    return respond(check_format(fmt), "discovery", service.discovery(session, str(request.base_url)))


@router.get("/services.{fmt}", summary="GET Service List")
def get_services(fmt: str, session: SessionDep, jurisdiction_id: Jurisdiction = None) -> Response:
    fmt = check_format(fmt)
    service.check_jurisdiction(session, jurisdiction_id)
    return respond(fmt, "services", service.list_services(session))


@router.get("/services/{service_code}.{fmt}", summary="GET Service Definition")
def get_service_definition(service_code: str, fmt: str, session: SessionDep,
                           jurisdiction_id: Jurisdiction = None) -> Response:
    fmt = check_format(fmt)
    service.check_jurisdiction(session, jurisdiction_id)
    return respond(fmt, "service_definition", service.service_definition(session, service_code))


@router.post("/requests.{fmt}", summary="POST Service Request")
async def post_request(fmt: str, request: Request, session: SessionDep,
                       idempotency_key: Annotated[str | None, Header(max_length=120)] = None) -> Response:
    """Form-encoded as the spec says (multipart accepted, files are not). 200 with [{service_request_id,
    service_notice, account_id}]; an Idempotency-Key header makes a retry answer the first request's id."""
    fmt = check_format(fmt)
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        raise Open311Error("请以 application/x-www-form-urlencoded 提交（也接受 multipart/form-data）")
    form = await request.form(max_files=0)
    pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    result = await run_in_threadpool(service.create_request, session, pairs, idempotency_key=idempotency_key)
    return respond(fmt, "service_requests", result)


@router.get("/requests.{fmt}", summary="GET Service Requests")
def get_requests(fmt: str, request: Request, session: SessionDep) -> Response:
    fmt = check_format(fmt)
    return respond(fmt, "service_requests", service.list_requests(session, _params(request)))


@router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request")
def get_request(service_request_id: str, fmt: str, request: Request, session: SessionDep) -> Response:
    fmt = check_format(fmt)
    return respond(fmt, "service_requests", service.get_request(session, service_request_id, _params(request)))


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token")
def get_token(token: str, fmt: str, session: SessionDep, jurisdiction_id: Jurisdiction = None) -> Response:
    """Every service is `realtime`: POST answers the service_request_id itself and no token is ever issued, so
    every token is unknown (404), as the spec prescribes for a token that was not found."""
    check_format(fmt)
    service.check_jurisdiction(session, jurisdiction_id)
    raise Open311Error(f"token「{token}」不存在：本接口的服务均为 realtime，提交即返回 service_request_id，"
                       "不签发 token", status=404)
