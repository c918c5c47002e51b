"""HTML pages of the duty catalog: the catalog browser (category tree → matter types), a matter type's page and
its form (admins), the departments, Excel import, and each community's admission list (tabs by kind; edited by
the community, its street and admins). Thin: each route calls the service and renders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.register_api import read_upload
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, render
from gongzhi.duties import excel, service
from gongzhi.duties.models import ADMISSION_KINDS, ADMISSION_LABELS, TIER_LABELS, TIERS, MatterType
from gongzhi.regions.models import Region

router = APIRouter(include_in_schema=False)
IMPORTS = {  # page kind → (sheet kind, label, template URL, where to go afterwards)
    "matter-types": ("matter_types", N_("事项"), "/api/v1/duties/matter-types/template.xlsx", "/duties"),
    "departments": ("departments", N_("职能部门"), "/api/v1/duties/departments/template.xlsx", "/duties/departments"),
}
STATES = {"": None, "active": True, "inactive": False}
ADMISSION_LIST = N_("准入清单")


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _errors(exc: ValidationFailed) -> dict[str, str]:
    return {d["field"]: d["reason"] for d in exc.details or [] if isinstance(d, dict)} or {"_": exc.message}


def _need(principal: Principal, permission: str, message: str) -> None:
    if not principal.can(permission):
        raise Forbidden(message)


# ---- the catalog ------------------------------------------------------------------------------------------

@router.get("/duties")
def catalog(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    qp = request.query_params
    chosen = {k: qp.get(k, "") for k in ("category", "tier", "department", "state")}
    if chosen["tier"] not in ("", *TIERS):
        chosen["tier"] = ""
    rows, total = service.list_matter_types(
        session, principal, q=params.q, category_code=chosen["category"] or None, tier=chosen["tier"] or None,
        department_code=chosen["department"] or None, active=STATES.get(chosen["state"]), offset=params.offset,
        limit=params.size)
    tree = service.category_tree(session, principal)
    current = next((c for top in tree for c in [top, *top["children"]] if c["code"] == chosen["category"]), None)
    return render(request, "duties/catalog.html", {
        "title": "职责清单", "nav": "duties", "tab": "catalog", "tree": tree, "current": current,
        "rows": service.matter_type_dicts(session, rows), "total": total, "params": params,
        "pages": _pages(total, params.size), "chosen": chosen, "departments": service.all_departments(session),
        "tiers": TIER_LABELS, "partial": "duties/_matter_table.html"})


def _form_context(session: Session, values: dict[str, Any], errors: dict[str, str],
                  row_id: int | None) -> dict[str, Any]:
    return {"title": "修改事项" if row_id else "新增事项", "nav": "duties", "tab": "catalog", "values": values,
            "errors": errors, "row_id": row_id, "choices": service.category_choices(session),
            "departments": service.all_departments(session), "tiers": TIER_LABELS}


def _matter_values(session: Session, mt: MatterType) -> dict[str, Any]:
    d = service.matter_type_dicts(session, [mt])[0]
    return {"code": d["code"], "name": d["name"], "category_code": d["category"]["code"],
            "lead_department_code": d["lead_department"]["code"] if d["lead_department"] else "",
            "assist_department_codes": [a["code"] for a in d["assist_departments"]], "tier": d["tier"],
            "accept_hours": d["accept_hours"], "resolve_days": d["resolve_days"], "keywords": "、".join(d["keywords"]),
            "is_active": d["is_active"]}


async def _matter_submitted(request: Request) -> dict[str, Any]:
    form = await request.form()
    raw: dict[str, Any] = {k: form.get(k, "") for k in ("code", "name", "category_code", "lead_department_code",
                                                        "tier", "accept_hours", "resolve_days", "keywords")}
    raw["assist_department_codes"] = [str(v) for v in form.getlist("assist_department_codes")]
    raw["is_active"] = "是" if form.get("is_active") else "否"
    return raw


def _matter_form(request: Request, session: Session, *, values: dict[str, Any], errors: dict[str, str],
                 row_id: int | None, status: int = 200) -> Response:
    return render(request, "duties/matter_type_form.html", _form_context(session, values, errors, row_id),
                  status_code=status)


@router.get("/duties/matter-types/new")
def new_matter_type(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    _need(principal, service.WRITE, "只有管理员可以新增事项")
    values = {"category_code": request.query_params.get("category", ""), "tier": "department", "accept_hours": 24,
              "resolve_days": 10, "is_active": True, "assist_department_codes": []}
    return _matter_form(request, session, values=values, errors={}, row_id=None)


@router.post("/duties/matter-types/new", dependencies=[CsrfChecked])
async def create_matter_type(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    _need(principal, service.WRITE, "只有管理员可以新增事项")
    raw = await _matter_submitted(request)
    try:
        mt = await run_in_threadpool(service.create_matter_type, session, principal, raw)
    except ValidationFailed as exc:
        return _matter_form(request, session, values=raw, errors=_errors(exc), row_id=None, status=422)
    return RedirectResponse(f"/duties/matter-types/{mt.id}?saved=1", status_code=303)


@router.get("/duties/matter-types/{matter_type_id}")
def matter_type_page(matter_type_id: int, request: Request, session: SessionDep,
                     principal: CurrentPrincipal) -> Response:
    mt = service.get_matter_type(session, principal, matter_type_id)
    d = service.matter_type_dicts(session, [mt])[0]
    return render(request, "duties/matter_type.html", {
        "title": d["name"], "nav": "duties", "tab": "catalog", "row": d, "saved": request.query_params.get("saved")})


@router.get("/duties/matter-types/{matter_type_id}/edit")
def edit_matter_type(matter_type_id: int, request: Request, session: SessionDep,
                     principal: CurrentPrincipal) -> Response:
    _need(principal, service.WRITE, "只有管理员可以修改事项")
    mt = service.get_matter_type(session, principal, matter_type_id)
    return _matter_form(request, session, values=_matter_values(session, mt), errors={}, row_id=mt.id)


@router.post("/duties/matter-types/{matter_type_id}/edit", dependencies=[CsrfChecked])
async def update_matter_type(matter_type_id: int, request: Request, session: SessionDep,
                             principal: CurrentPrincipal) -> Response:
    _need(principal, service.WRITE, "只有管理员可以修改事项")
    mt = service.get_matter_type(session, principal, matter_type_id)
    raw = await _matter_submitted(request)
    try:
        await run_in_threadpool(service.update_matter_type, session, principal, mt, raw)
    except ValidationFailed as exc:
        return _matter_form(request, session, values=raw, errors=_errors(exc), row_id=mt.id, status=422)
    return RedirectResponse(f"/duties/matter-types/{mt.id}?saved=1", status_code=303)


@router.get("/duties/departments")
def departments(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    rows, total = service.list_departments(session, principal, q=params.q, offset=params.offset, limit=params.size)
    return render(request, "duties/departments.html", {
        "title": "职能部门", "nav": "duties", "tab": "departments",
        "rows": service.department_dicts(session, rows, counts=True), "total": total, "params": params,
        "pages": _pages(total, params.size)})


# ---- import -----------------------------------------------------------------------------------------------

def _import_kind(kind: str) -> tuple[str, str, str, str]:
    if kind not in IMPORTS:
        raise NotFound("没有这种导入")
    return IMPORTS[kind]


@router.get("/duties/import/{kind}")
def import_form(kind: str, request: Request, principal: CurrentPrincipal) -> Response:
    sheet, label, template, back = _import_kind(kind)
    _need(principal, service.WRITE, "只有管理员可以导入" + label)
    return render(request, "duties/import.html", {
        "title": "导入" + label, "nav": "duties", "tab": "catalog" if sheet == "matter_types" else "departments",
        "label": label, "template_url": template, "action": f"/duties/import/{kind}", "back": back, "report": None})


@router.post("/duties/import/{kind}", dependencies=[CsrfChecked])
async def import_file(kind: str, request: Request, session: SessionDep, principal: CurrentPrincipal,
                      file: Annotated[UploadFile, File()], dry_run: Annotated[str | None, Form()] = None) -> Response:
    sheet, label, template, back = _import_kind(kind)
    _need(principal, service.WRITE, "只有管理员可以导入" + label)
    run = excel.import_matter_types if sheet == "matter_types" else excel.import_departments
    report, error = None, None
    try:
        data = await read_upload(file)
        report = await run_in_threadpool(run, session, principal, data, dry_run=bool(dry_run),
                                         filename=file.filename or "")
    except AppError as exc:
        if exc.status == 403:
            raise
        error = exc.message
    return render(request, "duties/import.html", {
        "title": "导入" + label, "nav": "duties", "tab": "catalog" if sheet == "matter_types" else "departments",
        "label": label, "template_url": template, "action": f"/duties/import/{kind}", "back": back,
        "report": report, "error": error, "filename": file.filename},
        status_code=200 if report is not None and report.ok else 422)


# ---- admission lists --------------------------------------------------------------------------------------

@router.get("/duties/admission")
def communities(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    rows = service.list_communities(session, principal)
    return render(request, "duties/communities.html", {"title": "社区事务准入清单", "nav": "duties",
                                                       "tab": "admission", "rows": rows})


@router.get("/duties/admission/{community_code}")
def admission(community_code: str, request: Request, session: SessionDep, principal: CurrentPrincipal,
              params: PageDep) -> Response:
    community = service.get_community(session, principal, community_code)
    kind = request.query_params.get("kind", "")
    if kind not in ADMISSION_KINDS:
        kind = ""
    rows, total = service.list_admission(session, principal, community, kind=kind or None, q=params.q,
                                         offset=params.offset, limit=params.size)
    return render(request, "duties/admission.html", {
        "title": f"{community.name}准入清单", "nav": "duties", "tab": "admission", "community": community,
        "kind": kind, "kinds": ADMISSION_LABELS, "counts": service.admission_counts(session, community),
        "rows": service.admission_dicts(session, rows, community), "total": total, "params": params,
        "pages": _pages(total, params.size), "can_edit": service.can_edit_admission(principal, community),
        "saved": request.query_params.get("saved"), "partial": "duties/_admission_table.html"})


def _admission_form(request: Request, community: Region, *, values: dict[str, Any], errors: dict[str, str],
                    item_id: int | None, status: int = 200) -> Response:
    return render(request, "duties/admission_form.html", {
        "title": "修改准入事项" if item_id else "新增准入事项", "nav": "duties", "tab": "admission",
        "community": community, "values": values, "errors": errors, "item_id": item_id, "kinds": ADMISSION_LABELS},
        status_code=status)


async def _admission_submitted(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.get(k, "") for k in ("code", "kind", "title", "basis", "matter_type_code")}


@router.get("/duties/admission/{community_code}/new")
def new_admission_item(community_code: str, request: Request, session: SessionDep,
                       principal: CurrentPrincipal) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    return _admission_form(request, community, values={"kind": request.query_params.get("kind", "")}, errors={},
                           item_id=None)


@router.post("/duties/admission/{community_code}/new", dependencies=[CsrfChecked])
async def create_admission_item(community_code: str, request: Request, session: SessionDep,
                                principal: CurrentPrincipal) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    raw = await _admission_submitted(request)
    try:
        await run_in_threadpool(service.create_admission_item, session, principal, community, raw)
    except ValidationFailed as exc:
        return _admission_form(request, community, values=raw, errors=_errors(exc), item_id=None, status=422)
    return RedirectResponse(f"/duties/admission/{community.code}?kind={raw['kind']}&saved=1", status_code=303)


@router.get("/duties/admission/{community_code}/import")
def import_admission_form(community_code: str, request: Request, session: SessionDep,
                          principal: CurrentPrincipal) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    return render(request, "duties/import.html", {
        "title": f"导入{community.name}准入清单", "nav": "duties", "tab": "admission", "label": ADMISSION_LIST,
        "template_url": "/api/v1/duties/admission/template.xlsx",
        "action": f"/duties/admission/{community.code}/import", "back": f"/duties/admission/{community.code}",
        "report": None})


@router.post("/duties/admission/{community_code}/import", dependencies=[CsrfChecked])
async def import_admission_file(community_code: str, request: Request, session: SessionDep,
                                principal: CurrentPrincipal, file: Annotated[UploadFile, File()],
                                dry_run: Annotated[str | None, Form()] = None) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    report, error = None, None
    try:
        data = await read_upload(file)
        report = await run_in_threadpool(excel.import_admission, session, principal, community, data,
                                         dry_run=bool(dry_run), filename=file.filename or "")
    except AppError as exc:
        if exc.status == 403:
            raise
        error = exc.message
    return render(request, "duties/import.html", {
        "title": f"导入{community.name}准入清单", "nav": "duties", "tab": "admission", "label": ADMISSION_LIST,
        "template_url": "/api/v1/duties/admission/template.xlsx",
        "action": f"/duties/admission/{community.code}/import", "back": f"/duties/admission/{community.code}",
        "report": report, "error": error, "filename": file.filename},
        status_code=200 if report is not None and report.ok else 422)


@router.get("/duties/admission/{community_code}/{item_id}/edit")
def edit_admission_item(community_code: str, item_id: int, request: Request, session: SessionDep,
                        principal: CurrentPrincipal) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    d = service.admission_dicts(session, [service.get_admission_item(session, principal, community, item_id)],
                                community)[0]
    values = {**d, "matter_type_code": d["matter_type"]["code"] if d["matter_type"] else ""}
    return _admission_form(request, community, values=values, errors={}, item_id=item_id)


@router.post("/duties/admission/{community_code}/{item_id}/edit", dependencies=[CsrfChecked])
async def update_admission_item(community_code: str, item_id: int, request: Request, session: SessionDep,
                                principal: CurrentPrincipal) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    item = service.get_admission_item(session, principal, community, item_id)
    raw = await _admission_submitted(request)
    try:
        await run_in_threadpool(service.update_admission_item, session, principal, community, item, raw)
    except ValidationFailed as exc:
        return _admission_form(request, community, values=raw, errors=_errors(exc), item_id=item_id, status=422)
    return RedirectResponse(f"/duties/admission/{community.code}?kind={item.kind}&saved=1", status_code=303)


@router.post("/duties/admission/{community_code}/{item_id}/delete", dependencies=[CsrfChecked])
def delete_admission_item(community_code: str, item_id: int, session: SessionDep,
                          principal: CurrentPrincipal) -> Response:
    community = service.get_community(session, principal, community_code, to="write")
    item = service.get_admission_item(session, principal, community, item_id)
    kind = item.kind
    service.delete_admission_item(session, principal, community, item)
    return RedirectResponse(f"/duties/admission/{community.code}?kind={kind}", status_code=303)
