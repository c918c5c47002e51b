"""JSON routes for a register, made from its description: list, get, create, update, delete, reveal,
Excel template, export and import. Thin: each calls one engine function."""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, create_model

from gongzhi.core import excel
from gongzhi.core.errors import AppError, Forbidden, NotFound
from gongzhi.core.registers import Register, create_row, delete_row, get_row, list_rows, reveal, to_dict, update_row
from gongzhi.core.settings import get_settings
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep

PY_TYPES: dict[str, Any] = {"int": int, "float": float, "bool": bool | str, "date": dt.date | str}


def _schema(reg: Register, suffix: str) -> Any:
    fields: dict[str, Any] = {}
    for f in reg.fields:
        typ = PY_TYPES.get(f.kind, str)
        required = suffix == "Create" and (f.required or f.kind == "region")
        fields[f.name] = (typ, ...) if required else (typ | None, None)
    name = "".join(p.title() for p in reg.kind.split("_")) + suffix
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def xlsx_response(data: bytes, filename: str) -> Response:
    from urllib.parse import quote

    return Response(data, media_type=excel.XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"})


async def read_upload(file: UploadFile) -> bytes:
    limit = get_settings().upload_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise AppError(f"文件超过 {limit // 1024 // 1024} MB", code="file_too_large", status=413)
    return data


def register_api(router: APIRouter, reg: Register) -> None:
    base = f"/api/v1/{reg.url}"
    create_schema, update_schema = _schema(reg, "Create"), _schema(reg, "Update")
    filters = [f.name for f in reg.fields if f.filter] + list(reg.extra_filters)
    tags = [reg.label]
    sensitive = [f.name for f in reg.fields if f.sensitive]

    @router.get(base, tags=tags, summary=f"{reg.label}列表", name=f"{reg.kind}.list")
    def list_(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> dict[str, Any]:
        chosen = {k: v for k, v in request.query_params.items() if k in filters}
        rows, total = list_rows(session, principal, reg, q=params.q, filters=chosen, offset=params.offset,
                                limit=params.size)
        return {"items": to_dict(session, principal, reg, rows), "total": total, "page": params.page,
                "size": params.size}

    @router.post(base, tags=tags, status_code=201, summary=f"新增{reg.label}", dependencies=[CsrfChecked])
    def create(body: create_schema, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:  # type: ignore[valid-type]
        row = create_row(session, principal, reg, body.model_dump(exclude_unset=True))
        return to_dict(session, principal, reg, [row])[0]

    @router.get(f"{base}/template.xlsx", tags=tags, summary=f"{reg.label}导入模板")
    def template_(principal: CurrentPrincipal) -> Response:
        if not principal.can(f"{reg.kind}:read"):
            raise Forbidden()
        return xlsx_response(excel.template(reg), f"{reg.label}导入模板.xlsx")

    @router.get(f"{base}/export.xlsx", tags=tags, summary=f"导出{reg.label}")
    def export_(session: SessionDep, principal: CurrentPrincipal) -> Response:
        return xlsx_response(excel.export(session, principal, reg), f"{reg.label}.xlsx")

    @router.post(f"{base}/import", tags=tags, summary=f"导入{reg.label}（全部成功或全部不导入）",
                 dependencies=[CsrfChecked])
    async def import_(session: SessionDep, principal: CurrentPrincipal, file: Annotated[UploadFile, File()],
                      dry_run: Annotated[bool, Form()] = False) -> Response:
        data = await read_upload(file)
        report = await run_in_threadpool(excel.import_rows, session, principal, reg, data, dry_run=dry_run,
                                         filename=file.filename or "")
        return JSONResponse(report.to_dict(), status_code=200 if report.ok else 422)

    @router.get(f"{base}/{{row_id}}", tags=tags, summary=f"{reg.label}详情")
    def get_(row_id: int, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
        return to_dict(session, principal, reg, [get_row(session, principal, reg, row_id)])[0]

    @router.patch(f"{base}/{{row_id}}", tags=tags, summary=f"修改{reg.label}", dependencies=[CsrfChecked])
    def update(row_id: int, body: update_schema, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:  # type: ignore[valid-type]
        row = get_row(session, principal, reg, row_id, to="write")
        update_row(session, principal, reg, row, body.model_dump(exclude_unset=True))
        return to_dict(session, principal, reg, [row])[0]

    @router.delete(f"{base}/{{row_id}}", tags=tags, status_code=204, summary=f"删除{reg.label}",
                   dependencies=[CsrfChecked])
    def delete(row_id: int, session: SessionDep, principal: CurrentPrincipal) -> Response:
        delete_row(session, principal, reg, get_row(session, principal, reg, row_id, to="write"))
        return Response(status_code=204)

    if sensitive:
        @router.post(f"{base}/{{row_id}}/reveal", tags=tags, summary="查看完整身份证号/电话（留痕）",
                     dependencies=[CsrfChecked])
        def reveal_(row_id: int, field: str, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
            if field not in sensitive:
                raise NotFound("没有这个敏感字段", code="unknown_field")
            row = get_row(session, principal, reg, row_id)
            return {"field": field, "value": reveal(session, principal, reg, row, field)}
