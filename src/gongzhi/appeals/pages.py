"""诉求 pages: the resident's phone pages (report, my appeals, nearby), the dispatch console, the appeal page
with a form for every action its viewer may take now, the handler's inbox, the verify list and the
supervision list. Thin like the JSON routes: they parse forms and call the same service functions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from gongzhi.appeals import api, flow, models, service
from gongzhi.appeals.flow import Status
from gongzhi.appeals.media import PhotoTooLarge
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core import i18n
from gongzhi.core.auth import ROLE_LABELS, Principal
from gongzhi.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.settings import get_settings
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, PageParams, SessionDep, render, require, templates
from gongzhi.duties import service as duties
from gongzhi.duties.models import TIER_LABELS, TIERS
from gongzhi.regions.models import Region

router = APIRouter(include_in_schema=False)

# Who uses which desk. The dispatch console and the supervision list are gated by permissions
# (appeals:dispatch, appeals:supervise); these pages by role.
REPORTER_ROLES = frozenset({"resident", "volunteer", "party_member"})  # the phone pages
INBOX_ROLES = frozenset({"department_handler", "grid_worker", "community_staff", "street_staff", "admin"})
VERIFY_ROLES = frozenset({"grid_worker", "community_staff", "admin"})

CHANNEL_LABELS = models.CHANNEL_LABELS
# Timeline lines that are not actions of flow.ACTIONS (the service's own moves and the deadline sweep).
EVENT_LABELS = service.EVENT_LABELS
PRIORITY_LABELS = {"normal": N_("一般"), "urgent": N_("紧急")}
PART_LABELS = {"open": N_("待办理"), "accepted": N_("办理中"), "done": N_("已报告")}
OPEN_STATUSES = tuple(s.value for s in Status if s in flow.OPEN)
HANDLING_STATUSES = tuple(s.value for s in Status if s in flow.HANDLING)


def _only(roles: frozenset[str]) -> Any:
    def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden("该页面不适用于您的角色")
        return principal

    return Depends(_check)


def appeal_nav(principal: Principal) -> list[tuple[str, str, str]]:
    """The appeal desks in the top menu for this role: (url, label, nav key)."""
    out: list[tuple[str, str, str]] = []
    if principal.role in REPORTER_ROLES:
        out += [("/appeals/new", N_("我要反映"), "appeals-new"), ("/appeals/mine", N_("我的诉求"), "appeals-mine"),
                ("/appeals/nearby", N_("身边诉求"), "appeals-nearby")]
    if principal.can("appeals:dispatch"):
        out.append(("/appeals/console", N_("派单台"), "appeals-console"))
    if principal.role in INBOX_ROLES:
        out.append(("/appeals/inbox", N_("待办诉求"), "appeals-inbox"))
    if principal.role == "grid_worker":
        out += [("/appeals/verify", N_("待核查"), "appeals-verify"), ("/appeals/new", N_("上报问题"), "appeals-new")]
    if principal.can("appeals:supervise"):
        out.append(("/appeals/supervision", N_("督办"), "appeals-supervision"))
    return out


templates.env.globals["appeal_nav"] = appeal_nav


def _t(request: Request, message: str) -> str:
    """One of this module's own messages (marked N_) in the request's language. The service's messages are
    shown as they come (Chinese)."""
    return str(i18n.translations(request).gettext(message))


RESELECT = N_("请重新选择照片（出于安全，浏览器不会保留已选的照片）")
RESELECT_SHORT = N_("请重新选择照片")
STALE = N_("已被他人更新，请刷新页面后再操作")
NONE_CHOSEN = N_("请先勾选要派单的诉求")
BAD_TARGET = N_("派单对象填写有误")
INVALID = N_("填写有误")


def _done(request: Request, url: str) -> Response:
    """After a successful post: HX-Redirect for htmx, 303 for a plain form."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _local_path(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _labels() -> dict[str, Any]:
    return {"status_labels": {s.value: label for s, label in flow.STATUS_LABELS.items()},
            "channel_labels": CHANNEL_LABELS, "tier_labels": TIER_LABELS, "priority_labels": PRIORITY_LABELS}


# ---- the duty catalog, for the forms ------------------------------------------------------------------

def _matter_rows(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
    return [{"code": d["code"], "name": d["name"], "tier": d["tier"],
             "lead": d["lead_department"]["name"] if d["lead_department"] else ""}
            for d in duties.matter_type_dicts(session, rows)]


def _suggested(session: Session, appeal: Appeal) -> list[dict[str, Any]]:
    return _matter_rows(session, duties.suggest_matter_types(session, f"{appeal.title} {appeal.description}", 5))


def _departments(session: Session) -> list[Any]:
    return [d for d in duties.all_departments(session) if d.is_active]


@router.get("/appeals/matters")
def matter_options(request: Request, session: SessionDep, q: str = "",
                   principal: Principal = require("duties:read")) -> Response:
    """Matter types matching `q`, as radio buttons for the register form (searched as one types)."""
    q = q.strip()[:40]
    rows, _ = duties.list_matter_types(session, principal, q=q or None, active=True, limit=12) if q else ([], 0)
    return render(request, "appeals/_matters.html", {"matters": _matter_rows(session, rows), "chosen": "", "q": q,
                                                     **_labels()})


# ---- reporting -----------------------------------------------------------------------------------------

INTAKE_FIELDS = ("title", "description", "category_code", "matter_code", "address", "lat", "lon", "region_code",
                 "reporter_name", "reporter_phone", "channel", "priority")
INTAKE_MESSAGES = {
    "title": N_("请填写标题（2–120 字）"), "description": N_("描述最多 4000 字，且不能包含网页代码"),
    "lat": N_("位置坐标不正确，请重新在地图上标点"), "lon": N_("位置坐标不正确，请重新在地图上标点"),
    "address": N_("地址最多 200 字"), "reporter_name": N_("姓名最多 40 字"), "reporter_phone": N_("联系电话格式不正确"),
    "region_code": N_("区域代码不正确"), "matter_code": N_("事项编码不正确"), "category_code": N_("分类不正确"),
    "channel": N_("请选择受理渠道"), "priority": N_("请选择紧急程度"),
}


def _channels(principal: Principal) -> list[str]:
    allowed = service.ROLE_CHANNELS.get(principal.role, ())
    if principal.role in REPORTER_ROLES:
        return list(allowed[:1])  # residents h5; volunteers and Party members "volunteer"
    return list(allowed)


def _scope_region(session: Session, principal: Principal) -> Region | None:
    return session.get(Region, principal.scope_region_id)


def _new_form(request: Request, session: Session, principal: Principal, *, values: dict[str, Any],
              errors: dict[str, str], status: int = 200) -> Response:
    region = _scope_region(session, principal)
    settings = get_settings()
    return render(request, "appeals/new.html", {
        "title": "反映诉求", "nav": "appeals-new", "values": values, "errors": errors,
        "channels": _channels(principal), "staff": principal.role not in REPORTER_ROLES,
        "categories": duties.category_choices(session), "region": region,
        "geometry": region.geometry if region is not None and region.geometry else "",
        "photos_max": settings.photos_max, "photo_mb": settings.photo_max_bytes // (1024 * 1024),
        "tile_url": settings.map_tile_url, "tile_attribution": settings.map_tile_attribution, **_labels(),
    }, status_code=status)


@router.get("/appeals/new")
def new_appeal_form(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    channels = _channels(principal)
    if not channels:
        raise Forbidden("您的角色不能登记诉求")
    return _new_form(request, session, principal, errors={},
                     values={"channel": channels[0], "priority": "normal", "idem": uuid.uuid4().hex})


def _uploads(form: FormData) -> list[UploadFile]:
    return [u for u in form.getlist("photos") if isinstance(u, UploadFile) and u.filename]


async def read_photos(form: FormData) -> list[tuple[str, bytes]]:
    """The photos of a posted form (field `photos`), read within the count and size limits; a phone page of
    any domain that takes photos reads them here."""
    settings = get_settings()
    uploads = _uploads(form)
    if len(uploads) > settings.photos_max:
        raise ValidationFailed(f"照片最多 {settings.photos_max} 张", code="too_many_photos",
                               details={"field": "photos"})
    files = []
    for up in uploads:
        data = await up.read(settings.photo_max_bytes + 1)
        if not data:
            continue
        if len(data) > settings.photo_max_bytes:
            raise PhotoTooLarge(f"照片「{up.filename}」超过 {settings.photo_max_bytes // 1048576} MB",
                                details={"field": "photos", "file": up.filename})
        files.append((up.filename or "photo", data))
    return files


def _field_errors(request: Request, exc: ValidationError, messages: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else "_"
        out.setdefault(name, _t(request, messages.get(name, INVALID)))
    return out


def _error_field(exc: AppError, fields: tuple[str, ...], default: str = "_") -> str:
    """Which form field a service error is about (its details name it), else `default`."""
    d = exc.details
    if isinstance(d, dict):
        if isinstance(d.get("field"), str):
            return str(d["field"])
        if "file" in d:
            return "photos"
        for k in d:
            if k in fields:
                return str(k)
    return default


@router.post("/appeals/new", dependencies=[CsrfChecked])
async def new_appeal(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    settings = get_settings()
    form = await request.form(max_files=settings.photos_max * 2 + 2)
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in (*INTAKE_FIELDS, "idem")}
    values["anonymous"] = bool(form.get("anonymous"))
    values["location_consent"] = bool(form.get("location_consent"))
    channels = _channels(principal)
    if not channels:
        raise Forbidden("您的角色不能登记诉求")
    if values["channel"] not in channels:
        values["channel"] = channels[0]
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {k: values[k] for k in ("title", "description", "address", "channel")}
    payload.update({"anonymous": values["anonymous"], "location_consent": values["location_consent"]})
    for k in ("category_code", "reporter_phone", "region_code", "matter_code"):
        if values[k]:
            payload[k] = values[k]
    if principal.role not in REPORTER_ROLES:
        payload["reporter_name"] = values["reporter_name"]
        payload["priority"] = values["priority"] or "normal"
    if values["lat"] or values["lon"]:
        try:
            payload["lat"], payload["lon"] = float(values["lat"]), float(values["lon"])
        except ValueError:
            errors["location"] = _t(request, INTAKE_MESSAGES["lat"])
    data: AppealCreate | None = None
    try:
        data = AppealCreate.model_validate(payload)
    except ValidationError as exc:
        errors.update(_field_errors(request, exc, INTAKE_MESSAGES))
        if "lat" in errors or "lon" in errors:
            errors["location"] = errors.pop("lat", None) or errors.pop("lon")
            errors.pop("lon", None)
    if errors or data is None:
        if _uploads(form):
            errors.setdefault("photos", _t(request, RESELECT))
        return _new_form(request, session, principal, values=values, errors=errors, status=422)
    try:
        files = await read_photos(form)
        stored = await run_in_threadpool(api.store_photos, files, data.location_consent) if files else []
        key = service.idempotency_scope(principal, f"page:{values['idem']}") if values["idem"] else None

        def run() -> service.Intake:
            with session.begin_nested():
                return service.intake(session, principal, data, photos=stored, idempotency_key=key)

        result = await run_in_threadpool(run)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        field = _error_field(exc, (*INTAKE_FIELDS, "photos"))
        if field in ("lat", "lon") or exc.code in ("outside_grids", "location_required"):
            field = "location"
        errors[field] = exc.message
        if field != "photos" and _uploads(form):
            errors.setdefault("photos", _t(request, RESELECT))
        return _new_form(request, session, principal, values=values, errors=errors, status=exc.status)
    return _done(request, f"/appeals/{result.appeal.id}?filed=1")


# ---- lists ---------------------------------------------------------------------------------------------

def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"日期格式不正确：{value}", details={"field": "date"}) from exc


FILTER_KEYS = ("status", "channel", "tier", "matter_code", "region_code", "overdue", "warned", "supervised",
               "created_from", "created_to", "order")


def _chosen(request: Request) -> dict[str, str]:
    return {k: request.query_params[k].strip() for k in FILTER_KEYS if request.query_params.get(k, "").strip()}


def _filters(chosen: dict[str, str], params: PageParams, **fixed: Any) -> service.AppealFilters:
    g = chosen.get
    f = api.filters_from(g("status"), g("channel"), g("tier"), g("matter_code"), g("region_code"), g("overdue"),
                         g("warned"), g("supervised"), None, None, None, params.q, _day(g("created_from")),
                         _day(g("created_to")))
    return dataclasses.replace(f, **fixed)


def _rows(session: Session, principal: Principal, appeals: list[Appeal], *, latest: bool = False,
          actions: bool = False) -> list[dict[str, Any]]:
    """What a list shows of each appeal: its fields, where it is, and (on the phone lists) its latest step."""
    out = []
    for a in appeals:
        d = service.to_dict(session, principal, a, full=False)
        place = session.get(Region, a.grid_id or a.region_id)
        d["place"] = a.address or (place.name if place else "")
        d["place_region"] = place.name if place else ""
        if latest:
            events = service.timeline(session, principal, a.id)
            d["latest"] = _event(service.event_dict(events[-1])) if events else None
        if actions:  # for the inline forms of the inbox (接单) and the supervision list (督办)
            d["actions"] = [x.name for x in flow.available(a, service.actor_kinds(session, principal, a))]
        out.append(d)
    return out


def _event(e: dict[str, Any]) -> dict[str, Any]:
    e["label"] = flow.ACTIONS[e["action"]].label if e["action"] in flow.ACTIONS else \
        EVENT_LABELS.get(e["action"], e["action_label"])
    return e


def _list_page(request: Request, session: Session, principal: Principal, params: PageParams, *, kind: str,
               title: str, fixed: dict[str, Any], order: str = "-created_at", extra: dict[str, Any] | None = None,
               latest: bool = False, actions: bool = False) -> Response:
    chosen = _chosen(request)
    error = None
    rows: list[dict[str, Any]] = []
    total = 0
    try:
        f = _filters(chosen, params, **fixed)
        appeals, total = service.list_appeals(session, principal, f, page=params.page, size=params.size,
                                              order=chosen.get("order", order))
        rows = _rows(session, principal, appeals, latest=latest, actions=actions)
    except ValidationFailed as exc:
        error = exc.message
    return render(request, "appeals/list.html", {
        "title": title, "nav": f"appeals-{kind}", "kind": kind, "rows": rows, "total": total, "params": params,
        "pages": max(1, -(-total // params.size)), "chosen": chosen, "error": error,
        "partial": "appeals/_list.html", "open_statuses": OPEN_STATUSES, **_labels(), **(extra or {}),
    }, status_code=422 if error else 200)


@router.get("/appeals/mine")
def mine(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    """What I reported and what I follow ("me too", merged duplicates)."""
    return _list_page(request, session, principal, params, kind="mine", title="我的诉求", fixed={"mine": True},
                      latest=True)


@router.get("/appeals/nearby", dependencies=[_only(REPORTER_ROLES)])
def nearby(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    """Open appeals in my part of the city, newest first: say "me too" instead of reporting the same again."""
    fixed: dict[str, Any] = {} if request.query_params.get("status") else {"status": OPEN_STATUSES}
    following: set[int] = set()
    mine_rows, _ = service.list_appeals(session, principal, service.AppealFilters(mine=True, status=OPEN_STATUSES),
                                        page=1, size=200)
    following = {a.id for a in mine_rows}
    return _list_page(request, session, principal, params, kind="nearby", title="身边诉求", fixed=fixed,
                      extra={"following": following})


@router.get("/appeals/inbox", dependencies=[_only(INBOX_ROLES)])
def inbox(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    """What waits on me (or my department) as the handler: accept, handle, resolve; most urgent first."""
    return _list_page(request, session, principal, params, kind="inbox", title="待办诉求",
                      fixed={"assigned_to_me": True}, order="due_at", actions=True,
                      extra={"statuses": HANDLING_STATUSES})


@router.get("/appeals/verify", dependencies=[_only(VERIFY_ROLES)])
def verify_list(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    """Resolved appeals in my grid waiting for an on-site check."""
    return _list_page(request, session, principal, params, kind="verify", title="待核查",
                      fixed={"to_verify": True}, order="due_at")


SUPERVISION_TABS = {"overdue": ({"overdue": True}, N_("已超时")),
                    "warned": ({"warned": True, "overdue": False}, N_("即将超时")),
                    "supervised": ({"supervised": True}, N_("督办中"))}


@router.get("/appeals/supervision")
def supervision(request: Request, session: SessionDep, params: PageDep,
                principal: Principal = require("appeals:supervise")) -> Response:
    """Overdue, nearly overdue and supervised cases in my scope, each with the 督办 form inline."""
    tab = request.query_params.get("tab") or "overdue"
    if tab not in SUPERVISION_TABS:
        tab = "overdue"
    fixed = {**SUPERVISION_TABS[tab][0], "status": OPEN_STATUSES}
    counts = service.queue_counts(session, principal)
    return _list_page(request, session, principal, params, kind="supervision", title="督办", fixed=fixed,
                      order="due_at", actions=True, extra={"tab": tab, "tabs": SUPERVISION_TABS, "counts": counts})


# ---- the dispatch console ------------------------------------------------------------------------------

QUEUES = (("received", N_("待立案")), ("registered", N_("待派单")), ("dispatched", N_("待接单")),
          ("accepted", N_("已接单")), ("in_progress", N_("处置中")), ("resolved", N_("待核查")),
          ("verified", N_("待评价")), ("rated", N_("待结案")))
FLAG_QUEUES = (("overdue", N_("已超时")), ("warned", N_("即将超时")), ("supervised", N_("督办中")))


@router.get("/appeals/console")
def console(request: Request, session: SessionDep, params: PageDep,
            principal: Principal = require("appeals:dispatch")) -> Response:
    chosen = _chosen(request)
    error = None
    rows: list[dict[str, Any]] = []
    total = 0
    try:
        fixed: dict[str, Any] = {}
        if not chosen.get("status") and any(chosen.get(k) for k in ("overdue", "warned", "supervised")):
            fixed["status"] = OPEN_STATUSES
        f = _filters(chosen, params, **fixed)
        appeals, total = service.list_appeals(session, principal, f, page=params.page, size=params.size,
                                              order=chosen.get("order", "due_at"))
        rows = _rows(session, principal, appeals)
    except ValidationFailed as exc:
        error = exc.message
    bulk = request.session.pop("appeals_bulk", None)
    return render(request, "appeals/console.html", {
        "title": "派单台", "nav": "appeals-console", "rows": rows, "total": total, "params": params,
        "pages": max(1, -(-total // params.size)), "chosen": chosen, "error": error, "bulk": bulk,
        "counts": service.queue_counts(session, principal), "queues": QUEUES, "flag_queues": FLAG_QUEUES,
        "departments": _departments(session), "tiers": TIERS, "channels": list(CHANNEL_LABELS),
        "statuses": [s.value for s in Status], "partial": "appeals/_console_table.html", **_labels(),
    }, status_code=422 if error else 200)


@router.post("/appeals/console/dispatch", dependencies=[CsrfChecked])
async def console_dispatch(request: Request, session: SessionDep,
                           principal: Principal = require("appeals:dispatch")) -> Response:
    """批量派单: each selected appeal to its routed handler (or the one target chosen); the console then says
    which went and which did not, and why."""
    form = await request.form()
    back = _local_path(form.get("back")) or "/appeals/console"
    ids: list[int] = []
    for v in form.getlist("ids"):
        if isinstance(v, str) and v.isdigit():
            ids.append(int(v))
    if not ids:
        request.session["appeals_bulk"] = {"error": _t(request, NONE_CHOSEN)}
        return _done(request, back)
    target = {k: str(form.get(k) or "").strip() or None for k in ("tier", "region_code", "department_code")}
    if target["tier"] != "department":
        target["department_code"] = None
    if target["tier"] in (None, "department"):
        target["region_code"] = None
    try:
        body = ActionBody(tier=target["tier"], region_code=target["region_code"],  # type: ignore[arg-type]
                          department_code=target["department_code"], note=str(form.get("note") or "")[:2000])
    except ValidationError:
        request.session["appeals_bulk"] = {"error": _t(request, BAD_TARGET)}
        return _done(request, back)
    result = await run_in_threadpool(service.bulk_dispatch, session, principal, ids[:200], body)
    request.session["appeals_bulk"] = {"dispatched": result["dispatched"], "failed": result["failed"][:20],
                                       "failed_total": len(result["failed"])}
    return _done(request, back)


# ---- one appeal ----------------------------------------------------------------------------------------

ACTION_ORDER = ("register", "dispatch", "accept", "start", "resolve", "report", "verify", "rate", "close",
                "summon", "escalate", "supervise", "extend", "approve-extension", "pause", "resume", "merge",
                "return", "reopen", "reject", "metoo")
QUIET_ACTIONS = frozenset({"supervise", "escalate", "pause", "resume", "extend", "summon", "merge",
                           "approve-extension", "metoo"})
ACTION_MESSAGES = {
    "parent_id": N_("请填写诉求编号（数字）"), "days": N_("请填写 1–60 之间的天数"), "rating": N_("请选择 1–5 星"),
    "tier": N_("请选择办理层级"), "priority": N_("请选择紧急程度"), "version": N_("页面已过期，请刷新"),
    "approve": N_("请选择同意或不同意"), "passed": N_("请选择核查结论"),
}
TEXT_FIELDS = ("note", "reason", "matter_code", "priority", "tier", "region_code", "department_code", "task",
               "reply", "report", "comment")
INT_FIELDS = ("version", "parent_id", "days", "rating")
BOOL_FIELDS = ("approve", "passed")
ACTION_FIELDS = (*TEXT_FIELDS, *INT_FIELDS, *BOOL_FIELDS, "department_codes", "photos")


def _action_body(request: Request, form: FormData) -> ActionBody:
    payload: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for k in TEXT_FIELDS:
        v = form.get(k)
        if isinstance(v, str) and v.strip():
            payload[k] = v.strip()
    for k in INT_FIELDS:
        v = form.get(k)
        if isinstance(v, str) and v.strip():
            try:
                payload[k] = int(v.strip().lstrip("#"))
            except ValueError:
                errors[k] = _t(request, ACTION_MESSAGES.get(k, INVALID))
    for k in BOOL_FIELDS:
        v = form.get(k)
        if v in ("yes", "no"):
            payload[k] = v == "yes"
    codes = [v for v in form.getlist("department_codes") if isinstance(v, str) and v]
    if codes:
        payload["department_codes"] = codes
    if payload.get("tier") != "department":
        payload.pop("department_code", None)
    if not errors:
        try:
            return ActionBody.model_validate(payload)
        except ValidationError as exc:
            errors = _field_errors(request, exc, ACTION_MESSAGES)
    field = next(iter(errors))
    raise ValidationFailed(errors[field], details={"field": field})


def _point(appeal: Appeal) -> list[float] | None:
    return [appeal.lat, appeal.lon] if appeal.lat is not None and appeal.lon is not None else None


def _detail_context(request: Request, session: Session, principal: Principal, appeal: Appeal, *,
                    failed: str | None = None, errors: dict[str, str] | None = None,
                    values: dict[str, Any] | None = None) -> dict[str, Any]:
    d = service.to_dict(session, principal, appeal)
    events = [_event(service.event_dict(e)) for e in service.timeline(session, principal, appeal.id)]
    reporter_like = principal.role in REPORTER_ROLES
    names = [n for n in ACTION_ORDER if n in d["actions"]]
    if "metoo" in names and (not reporter_like or d["following"] or appeal.reporter_id == principal.user_id):
        names.remove("metoo")  # staff act on it; the reporter and followers already follow it
    actions = [flow.ACTIONS[n] for n in names]
    # the form shown open: the step that moves the appeal on (the rest open with a tap)
    open_action = next((x.name for x in actions if not x.danger and x.name not in QUIET_ACTIONS), None)
    filed = request.query_params.get("filed") == "1"
    dups: list[dict[str, Any]] = []
    if "merge" in names or (appeal.reporter_id == principal.user_id and appeal.status == Status.RECEIVED):
        for dup in service.duplicates(session, appeal):
            try:
                other = service.get_appeal(session, principal, dup["id"])
            except NotFound:
                continue
            dup["metoo"] = reporter_like and other.reporter_id != principal.user_id and \
                "metoo" in [a.name for a in flow.available(other, service.actor_kinds(session, principal, other))]
            dups.append(dup)
    grid = session.get(Region, appeal.grid_id) if appeal.grid_id else None
    place = grid or session.get(Region, appeal.region_id)
    parent = None
    if appeal.parent_id:
        try:
            parent = service.to_dict(session, principal, service.get_appeal(session, principal, appeal.parent_id),
                                     full=False)
        except NotFound:
            parent = None
    photos = {p["id"]: p for p in d["photos"]}
    last_return = next((e for e in reversed(events) if e["action"] == "return"), None)
    settings = get_settings()
    return {
        "title": f"诉求 #{appeal.id}", "a": d, "open_action": open_action, "last_return": last_return,
        "nav": "appeals-mine" if reporter_like else ("appeals-console" if principal.can("appeals:dispatch")
                                                     else "appeals-inbox"), "events": events, "actions": actions,
        "failed": failed, "errors": errors or {}, "values": values or {}, "duplicates": dups, "filed": filed,
        "done": request.query_params.get("done"), "photos_by_id": photos,
        "report_photos": [p for p in d["photos"] if p["kind"] == "report"],
        "evidence_photos": [p for p in d["photos"] if p["kind"] == "evidence"],
        "grid_name": grid.name if grid else "", "place_name": place.name if place else "",
        "grid_geometry": grid.geometry if grid is not None and grid.geometry else "", "point": _point(appeal),
        "parent": parent, "suggested": _suggested(session, appeal) if "register" in names else [],
        "departments": _departments(session) if {"dispatch", "summon"} & set(names) else [],
        "tiers": TIERS, "event_labels": EVENT_LABELS, "part_labels": PART_LABELS,
        "action_labels": {n: x.label for n, x in flow.ACTIONS.items()},
        "role_labels": ROLE_LABELS,
        "photos_max": settings.photos_max, "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution, "partial": "appeals/_action.html", **_labels(),
    }


@router.get("/appeals/{appeal_id}")
def detail(appeal_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
           principal: CurrentPrincipal) -> Response:
    appeal = service.get_appeal(session, principal, appeal_id)
    ctx = _detail_context(request, session, principal, appeal)
    ctx.pop("partial")
    return render(request, "appeals/detail.html", ctx)


@router.post("/appeals/{appeal_id}/{action}", dependencies=[CsrfChecked])
async def act(appeal_id: Annotated[int, Path(ge=1)], action: Annotated[str, Path(max_length=30)],
              request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Take one action from the appeal page (or a list's inline form). Evidence photos are stored and
    attached in the same savepoint as the action: a refused action leaves neither behind."""
    if action not in flow.ACTIONS:
        raise NotFound(f"未知操作：{action}")
    settings = get_settings()
    form = await request.form(max_files=settings.photos_max * 2 + 2)
    values: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}
    values["department_codes"] = [v for v in form.getlist("department_codes") if isinstance(v, str)]
    back = _local_path(form.get("next"))
    try:
        body = _action_body(request, form)
        files = await read_photos(form) if action in ("resolve", "verify") else []
        stored = await run_in_threadpool(api.store_photos, files, False) if files else []

        def run() -> None:
            with session.begin_nested():
                b = body
                if stored:
                    rows = service.add_photos(session, principal, appeal_id, stored, "evidence")
                    b = body.model_copy(update={"photo_ids": [*body.photo_ids, *(r.id for r in rows)]})
                service.act(session, principal, appeal_id, action, b)

        await run_in_threadpool(run)
    except AppError as exc:
        if exc.status in (401, 404):
            raise
        field = _error_field(exc, ACTION_FIELDS, default="_")
        errors = {field: exc.message}
        if exc.code == "stale_version":
            errors = {"_": _t(request, STALE), "stale": "1"}
        if field != "photos" and _uploads(form):
            errors.setdefault("photos", _t(request, RESELECT_SHORT))
        appeal = service.get_appeal(session, principal, appeal_id)
        ctx = _detail_context(request, session, principal, appeal, failed=action, errors=errors, values=values)
        ctx["action"] = flow.ACTIONS[action]
        ctx["back"] = back
        if request.headers.get("hx-request"):
            return render(request, "appeals/_action.html", ctx, status_code=exc.status)
        ctx.pop("partial")
        return render(request, "appeals/detail.html", ctx, status_code=exc.status)
    return _done(request, back or f"/appeals/{appeal_id}?done={action}")


# ---- the home page's card ------------------------------------------------------------------------------

def _count(session: Session, principal: Principal, **f: Any) -> int:
    return service.list_appeals(session, principal, service.AppealFilters(**f), page=1, size=1)[1]


def home_cards(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The figures of the home page's appeal card for this role: (label, count, link, tone)."""
    cards: list[dict[str, Any]] = []
    if principal.role in REPORTER_ROLES:
        cards += [
            {"label": N_("我的诉求（办理中）"), "n": _count(session, principal, mine=True, status=OPEN_STATUSES),
             "url": "/appeals/mine?status=" + ",".join(OPEN_STATUSES), "tone": ""},
            {"label": N_("待我评价"), "n": _count(session, principal, mine=True, status=("verified",)),
             "url": "/appeals/mine?status=verified", "tone": "warn"},
        ]
    if principal.can("appeals:dispatch"):
        q = service.queue_counts(session, principal)
        cards += [
            {"label": N_("待立案"), "n": q["received"], "url": "/appeals/console?status=received", "tone": "warn"},
            {"label": N_("待派单"), "n": q["registered"], "url": "/appeals/console?status=registered", "tone": "warn"},
            {"label": N_("已超时"), "n": q["overdue"], "url": "/appeals/console?overdue=true", "tone": "bad"},
        ]
    if principal.role in INBOX_ROLES:
        cards += [
            {"label": N_("待接单"), "n": _count(session, principal, assigned_to_me=True, status=("dispatched",)),
             "url": "/appeals/inbox?status=dispatched", "tone": "warn"},
            {"label": N_("办理中"), "n": _count(session, principal, assigned_to_me=True,
                                              status=("accepted", "in_progress")),
             "url": "/appeals/inbox?status=accepted,in_progress", "tone": ""},
        ]
    if principal.role in VERIFY_ROLES and principal.role != "admin":
        cards.append({"label": N_("待核查"), "n": _count(session, principal, to_verify=True),
                      "url": "/appeals/verify", "tone": "warn"})
    if principal.can("appeals:supervise") and not principal.can("appeals:dispatch"):
        q = service.queue_counts(session, principal)
        cards += [
            {"label": N_("已超时"), "n": q["overdue"], "url": "/appeals/supervision?tab=overdue", "tone": "bad"},
            {"label": N_("即将超时"), "n": q["warned"], "url": "/appeals/supervision?tab=warned", "tone": "warn"},
            {"label": N_("督办中"), "n": q["supervised"], "url": "/appeals/supervision?tab=supervised", "tone": ""},
        ]
    return cards

