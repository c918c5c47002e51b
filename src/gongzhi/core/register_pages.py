"""HTML pages for every register, made from its description: list with search, filters and paging; detail
with masked personal data and an audited reveal; forms that keep what was typed; Excel import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from gongzhi.core import excel
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, NotFound, ValidationFailed
from gongzhi.core.register_api import read_upload
from gongzhi.core.registers import (
    REGISTRY,
    Register,
    create_row,
    delete_row,
    get_row,
    list_rows,
    reveal,
    to_dict,
    update_row,
)
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, render, templates

router = APIRouter(include_in_schema=False)
ORDER = ("residents", "households", "buildings", "units", "party_orgs", "party_members", "grid_staff")


def register_nav(principal: Principal) -> list[tuple[str, str]]:
    return [(REGISTRY[k].url, REGISTRY[k].label) for k in ORDER
            if k in REGISTRY and principal.can(f"{k}:read")]


templates.env.globals["register_nav"] = register_nav


def _reg(url: str) -> Register:
    reg = next((r for r in REGISTRY.values() if r.url == url), None)
    if reg is None:
        raise NotFound("没有这个台账")
    return reg


@router.get("/registers/{url}")
def list_page(url: str, request: Request, session: SessionDep, principal: CurrentPrincipal,
              params: PageDep) -> Response:
    reg = _reg(url)
    names = [f.name for f in reg.fields if f.filter] + list(reg.extra_filters)
    chosen = {k: v for k, v in request.query_params.items() if k in names and v}
    rows, total = list_rows(session, principal, reg, q=params.q, filters=chosen, offset=params.offset,
                            limit=params.size)
    pages = max(1, -(-total // params.size))
    return render(request, "registers/list.html", {
        "title": reg.label, "nav": reg.url, "reg": reg, "rows": to_dict(session, principal, reg, rows),
        "total": total, "params": params, "pages": pages, "chosen": chosen, "partial": "registers/_table.html",
        "columns": [f for f in reg.fields if f.in_list],
    })


def _form(request: Request, reg: Register, *, values: dict[str, Any], errors: dict[str, str], row_id: int | None,
          status: int = 200) -> Response:
    return render(request, "registers/form.html", {
        "title": ("修改" if row_id else "新增") + reg.label, "nav": reg.url, "reg": reg, "values": values,
        "errors": errors, "row_id": row_id}, status_code=status)


@router.get("/registers/{url}/new")
def new_form(url: str, request: Request, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    if not principal.can(f"{reg.kind}:write"):
        raise AppError("您的角色无权新增" + reg.label, code="forbidden", status=403)
    region_field = reg.region_field.name
    return _form(request, reg, values={region_field: request.query_params.get(region_field, "")}, errors={},
                 row_id=None)


async def _submitted(request: Request, reg: Register) -> dict[str, Any]:
    form = await request.form()
    raw: dict[str, Any] = {}
    for f in reg.fields:
        if f.kind == "tags":
            raw[f.name] = ",".join(str(v) for v in form.getlist(f.name))
        elif f.kind == "bool":
            raw[f.name] = "是" if form.get(f.name) else "否"
        elif f.sensitive and not form.get(f.name):
            continue  # an empty sensitive box on the edit form keeps the stored value
        else:
            raw[f.name] = form.get(f.name, "")
    return raw


def _errors(exc: ValidationFailed) -> dict[str, str]:
    return {d["field"]: d["reason"] for d in exc.details or []} or {"_": exc.message}


@router.post("/registers/{url}/new", dependencies=[CsrfChecked])
async def create(url: str, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    raw = await _submitted(request, reg)
    try:
        row = await run_in_threadpool(create_row, session, principal, reg, raw)
    except ValidationFailed as exc:
        return _form(request, reg, values=raw, errors=_errors(exc), row_id=None, status=422)
    return RedirectResponse(f"/registers/{reg.url}/{row.id}?saved=1", status_code=303)


@router.get("/registers/{url}/import")
def import_form(url: str, request: Request, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    if not principal.can(f"{reg.kind}:write"):
        raise AppError("您的角色无权导入" + reg.label, code="forbidden", status=403)
    return render(request, "registers/import.html", {"title": "导入" + reg.label, "nav": reg.url, "reg": reg,
                                                     "report": None})


@router.post("/registers/{url}/import", dependencies=[CsrfChecked])
async def import_file(url: str, request: Request, session: SessionDep, principal: CurrentPrincipal,
                      file: Annotated[UploadFile, File()], dry_run: Annotated[str | None, Form()] = None) -> Response:
    reg = _reg(url)
    error = None
    report = None
    try:
        data = await read_upload(file)
        report = await run_in_threadpool(excel.import_rows, session, principal, reg, data,
                                         dry_run=bool(dry_run), filename=file.filename or "")
    except AppError as exc:
        if exc.status == 403:
            raise
        error = exc.message
    status = 200 if report is not None and report.ok else 422
    return render(request, "registers/import.html", {
        "title": "导入" + reg.label, "nav": reg.url, "reg": reg, "report": report, "error": error,
        "filename": file.filename}, status_code=status)


@router.get("/registers/{url}/{row_id}")
def detail(url: str, row_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    row = get_row(session, principal, reg, row_id)
    return render(request, "registers/detail.html", {
        "title": reg.title(row), "nav": reg.url, "reg": reg, "row": to_dict(session, principal, reg, [row])[0],
        "saved": request.query_params.get("saved")})


@router.get("/registers/{url}/{row_id}/edit")
def edit_form(url: str, row_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    if not principal.can(f"{reg.kind}:write"):
        raise AppError("您的角色无权修改" + reg.label, code="forbidden", status=403)
    row = get_row(session, principal, reg, row_id)
    values = to_dict(session, principal, reg, [row])[0]
    for f in reg.fields:
        if f.sensitive:
            values[f.name + "_masked"] = values.pop(f.name)
    return _form(request, reg, values=values, errors={}, row_id=row_id)


@router.post("/registers/{url}/{row_id}/edit", dependencies=[CsrfChecked])
async def edit(url: str, row_id: int, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    row = get_row(session, principal, reg, row_id, to="write")
    raw = await _submitted(request, reg)
    try:
        await run_in_threadpool(update_row, session, principal, reg, row, raw)
    except ValidationFailed as exc:
        session.rollback()
        return _form(request, reg, values=raw, errors=_errors(exc), row_id=row_id, status=422)
    return RedirectResponse(f"/registers/{reg.url}/{row.id}?saved=1", status_code=303)


@router.post("/registers/{url}/{row_id}/delete", dependencies=[CsrfChecked])
def delete(url: str, row_id: int, session: SessionDep, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    delete_row(session, principal, reg, get_row(session, principal, reg, row_id, to="write"))
    return RedirectResponse(f"/registers/{reg.url}", status_code=303)


@router.post("/registers/{url}/{row_id}/reveal", dependencies=[CsrfChecked])
def reveal_value(url: str, row_id: int, field: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    reg = _reg(url)
    value = reveal(session, principal, reg, get_row(session, principal, reg, row_id), field)
    return HTMLResponse(f'<span class="revealed">{escape(value or "")}</span>')
