"""JSON routes of the appeal loop. Thin: parse, call one service function, shape the answer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gongzhi.appeals import media, service
from gongzhi.appeals import repository as repo
from gongzhi.appeals.models import AppealPhoto
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, NotFound, ValidationFailed
from gongzhi.core.settings import get_settings
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, require

router = APIRouter(prefix="/api/v1/appeals", tags=["诉求"])


def _validation(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed("提交的数据格式不正确", details=[
        {"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"], "type": e["type"]} for e in exc.errors()])


async def parse_intake(request: Request) -> tuple[AppealCreate, list[tuple[str, bytes]]]:
    """The body of an intake request: JSON, or multipart with a `data` JSON field and `photos` files."""
    ctype = request.headers.get("content-type", "")
    files: list[tuple[str, bytes]] = []
    try:
        if ctype.startswith("multipart/form-data"):
            settings = get_settings()
            form = await request.form(max_files=settings.photos_max + 1)
            raw = form.get("data")
            if not isinstance(raw, str):
                raise ValidationFailed("multipart 请求须带 data 字段（JSON）", code="missing_field",
                                       details={"field": "data"})
            payload = json.loads(raw)
            uploads = form.getlist("photos")
            if len(uploads) > settings.photos_max:
                raise ValidationFailed(f"照片最多 {settings.photos_max} 张", code="too_many_photos")
            for up in uploads:
                if isinstance(up, str):
                    continue
                data = await up.read(settings.photo_max_bytes + 1)
                if len(data) > settings.photo_max_bytes:
                    raise media.PhotoTooLarge(f"照片「{up.filename}」超过 {settings.photo_max_bytes // 1048576} MB",
                                              details={"file": up.filename})
                files.append((up.filename or "photo", data))
        elif ctype.startswith("application/json") or not ctype:
            payload = json.loads(await request.body() or b"null")
        else:
            raise AppError("请以 application/json 或 multipart/form-data 提交", code="unsupported_media_type",
                           status=415)
    except json.JSONDecodeError as exc:
        raise ValidationFailed("JSON 格式错误", code="invalid_json", details={"reason": str(exc)}) from exc
    if not isinstance(payload, dict):
        raise ValidationFailed("请求体须为 JSON 对象", code="invalid_json")
    try:
        return AppealCreate.model_validate(payload), files
    except ValidationError as exc:
        raise _validation(exc) from exc


def store_photos(files: list[tuple[str, bytes]], keep_location: bool) -> list[media.StoredPhoto]:
    return [media.check_and_store(data, name, keep_location=keep_location) for name, data in files]


@router.post("", status_code=201, summary="登记诉求（各渠道）", dependencies=[CsrfChecked])
async def create_appeal(request: Request, session: SessionDep, principal: CurrentPrincipal,
                        idempotency_key: Annotated[str | None, Header(max_length=120)] = None) -> Response:
    data, files = await parse_intake(request)
    key = service.idempotency_scope(principal, idempotency_key) if idempotency_key else None
    stored = await run_in_threadpool(store_photos, files, data.location_consent) if files else []
    result = await run_in_threadpool(service.intake, session, principal, data, photos=stored, idempotency_key=key)
    body = service.to_dict(session, principal, result.appeal)
    body["duplicates"] = result.duplicates
    body["suggested_matters"] = result.suggestions
    headers = {"Location": f"/api/v1/appeals/{result.appeal.id}"}
    if not result.created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=201 if result.created else 200, headers=headers)


def _bool(v: str | None) -> bool | None:
    if v is None or v == "":
        return None
    if v.lower() in ("1", "true", "yes"):
        return True
    if v.lower() in ("0", "false", "no"):
        return False
    raise ValidationFailed(f"布尔参数只能是 true 或 false：{v}")


def filters_from(status: str | None = None, channel: str | None = None, tier: str | None = None,
                 matter_code: str | None = None, region_code: str | None = None, overdue: str | None = None,
                 warned: str | None = None, supervised: str | None = None, mine: str | None = None,
                 assigned: str | None = None, to_verify: str | None = None, q: str | None = None,
                 created_from: dt.date | None = None, created_to: dt.date | None = None) -> service.AppealFilters:
    def day(d: dt.date | None, plus: int = 0) -> dt.datetime | None:
        from zoneinfo import ZoneInfo

        if d is None:
            return None
        local = dt.datetime.combine(d + dt.timedelta(days=plus), dt.time(), ZoneInfo(get_settings().timezone))
        return local.astimezone(dt.UTC)

    return service.AppealFilters(
        status=tuple(s for s in (status or "").split(",") if s), channel=channel or None, tier=tier or None,
        matter_code=matter_code or None, region_code=region_code or None, overdue=_bool(overdue),
        warned=_bool(warned), supervised=_bool(supervised), mine=bool(_bool(mine)),
        assigned_to_me=bool(_bool(assigned)),
        to_verify=bool(_bool(to_verify)), q=(q or "").strip() or None, created_from=day(created_from),
        created_to=day(created_to, 1))


@router.get("", summary="诉求列表（筛选、搜索、分页）")
def list_appeals(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                 status: Annotated[str | None, Query(description="状态，逗号分隔")] = None,
                 channel: str | None = None, tier: str | None = None, matter_code: str | None = None,
                 region_code: str | None = None, overdue: str | None = None, warned: str | None = None,
                 supervised: str | None = None, mine: str | None = None,
                 assigned: Annotated[str | None, Query(description="待我办理")] = None,
                 to_verify: str | None = None, created_from: dt.date | None = None,
                 created_to: dt.date | None = None,
                 order: Annotated[str, Query(max_length=20)] = "-created_at") -> dict[str, Any]:
    f = filters_from(status, channel, tier, matter_code, region_code, overdue, warned, supervised, mine, assigned,
                     to_verify, params.q, created_from, created_to)
    rows, total = service.list_appeals(session, principal, f, page=params.page, size=params.size, order=order)
    return {"items": [service.to_dict(session, principal, a, full=False) for a in rows], "total": total,
            "page": params.page, "size": params.size}


@router.get("/queues", summary="派单台各队列数量")
def queues(session: SessionDep, principal: CurrentPrincipal) -> dict[str, int]:
    return service.queue_counts(session, principal)


class BulkDispatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(min_length=1, max_length=200)
    tier: str | None = None
    region_code: str | None = None
    department_code: str | None = None
    note: str = Field(default="", max_length=2000)


@router.post("/bulk-dispatch", summary="批量派单", dependencies=[CsrfChecked])
def bulk_dispatch(body: BulkDispatch, session: SessionDep,
                  principal: Principal = require("appeals:dispatch")) -> dict[str, Any]:
    try:
        action = ActionBody(tier=body.tier, region_code=body.region_code,  # type: ignore[arg-type]
                            department_code=body.department_code, note=body.note)
    except ValidationError as exc:
        raise _validation(exc) from exc
    return service.bulk_dispatch(session, principal, body.ids, action)


@router.get("/{appeal_id}", summary="诉求详情")
def get_appeal(appeal_id: Annotated[int, Path(ge=1)], session: SessionDep,
               principal: CurrentPrincipal) -> dict[str, Any]:
    return service.to_dict(session, principal, service.get_appeal(session, principal, appeal_id))


@router.get("/{appeal_id}/timeline", summary="诉求时间线")
def timeline(appeal_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    events = service.timeline(session, principal, appeal_id)
    return {"appeal_id": appeal_id, "events": [service.event_dict(e) for e in events]}


@router.get("/{appeal_id}/duplicates", summary="疑似重复诉求")
def duplicates(appeal_id: Annotated[int, Path(ge=1)], session: SessionDep,
               principal: CurrentPrincipal) -> dict[str, Any]:
    appeal = service.get_appeal(session, principal, appeal_id)
    found = service.duplicates(session, appeal)
    visible = {a.id for a in session.scalars(repo.readable(principal).where(
        repo.Appeal.id.in_([d["id"] for d in found] or [-1])))}
    return {"items": [d for d in found if d["id"] in visible]}


@router.post("/{appeal_id}/photos", status_code=201, summary="上传照片（处置、核查佐证）", dependencies=[CsrfChecked])
async def add_photos(appeal_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    settings = get_settings()
    form = await request.form(max_files=settings.photos_max + 1)
    kind = form.get("kind") or "evidence"
    if kind not in ("report", "evidence"):
        raise ValidationFailed("kind 只能是 report 或 evidence", details={"kind": kind})
    files = []
    for up in form.getlist("photos"):
        if isinstance(up, str):
            continue
        data = await up.read(settings.photo_max_bytes + 1)
        files.append((up.filename or "photo", data))
    if not files:
        raise ValidationFailed("请选择照片", code="missing_field", details={"field": "photos"})
    service.get_appeal(session, principal, appeal_id)  # 404 before anything is written
    stored = await run_in_threadpool(store_photos, files, False)
    rows = await run_in_threadpool(service.add_photos, session, principal, appeal_id, stored, str(kind))
    return {"items": [{"id": p.id, "kind": p.kind, "url": f"/api/v1/appeals/{appeal_id}/photos/{p.id}"}
                      for p in rows]}


@router.get("/{appeal_id}/photos/{photo_id}", summary="照片")
def photo(appeal_id: Annotated[int, Path(ge=1)], photo_id: Annotated[int, Path(ge=1)], session: SessionDep,
          principal: CurrentPrincipal, thumb: bool = False) -> Response:
    appeal = service.get_appeal(session, principal, appeal_id)
    p = session.get(AppealPhoto, photo_id)
    if p is None or p.appeal_id != appeal.id:
        raise NotFound()
    data = media.read(p.thumb_path if thumb else p.path)
    return Response(data, media_type="image/jpeg" if thumb else p.content_type,
                    headers={"Cache-Control": "private, max-age=86400"})


@router.post("/{appeal_id}/{action}", summary="办理操作（立案、派单、接单、退单、办结、核查、评价…）",
             dependencies=[CsrfChecked])
async def act(appeal_id: Annotated[int, Path(ge=1)], action: Annotated[str, Path(max_length=30)],
              request: Request, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    raw = await request.body()
    try:
        payload = json.loads(raw) if raw else {}
        body = ActionBody.model_validate(payload)
    except json.JSONDecodeError as exc:
        raise ValidationFailed("JSON 格式错误", code="invalid_json", details={"reason": str(exc)}) from exc
    except ValidationError as exc:
        raise _validation(exc) from exc

    def run() -> dict[str, Any]:
        appeal = service.act(session, principal, appeal_id, action, body)
        return service.to_dict(session, principal, appeal)

    return await run_in_threadpool(run)
