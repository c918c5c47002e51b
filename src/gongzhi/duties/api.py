"""JSON routes of the duty catalog and the admission lists: thin, each calls one service function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.core.register_api import read_upload, xlsx_response
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, Page, PageDep, SessionDep
from gongzhi.duties import excel, service
from gongzhi.duties.models import AdmissionItem, Department, DutyCategory, MatterType
from gongzhi.duties.schemas import (
    AdmissionCheck,
    AdmissionItemCreate,
    AdmissionItemRead,
    AdmissionItemUpdate,
    AdmissionPage,
    CategoryCreate,
    CategoryNode,
    CategoryRead,
    CategoryUpdate,
    CommunityRead,
    DepartmentCreate,
    DepartmentRead,
    DepartmentUpdate,
    ImportResult,
    MatterTypeCreate,
    MatterTypeRead,
    MatterTypeUpdate,
    SuggestionRead,
)
from gongzhi.duties.schemas import (
    Page as PageOf,
)
from gongzhi.regions.models import Region

router = APIRouter(prefix="/api/v1/duties", tags=["职责清单"])
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {422: {"model": ImportResult, "description": "有错误，未导入"}}


def _page(items: list[Any], total: int, params: Any) -> dict[str, Any]:
    return Page(items, total, params.page, params.size).to_dict(items)


def _report(report: Any) -> Response:
    return JSONResponse(report.to_dict(), status_code=200 if report.ok else 422)


def _excel_routes(kind: str, noun: str, filename: str, export: Callable[..., bytes],
                  do_import: Callable[..., Any]) -> None:
    """A catalog list's Excel routes — template, export, import (all rows or none) — under /{kind with dashes}.
    Called where the list's routes stand, so these come before its /{id} route."""
    segment = kind.replace("_", "-")

    @router.get(f"/{segment}/template.xlsx", summary=f"{noun}导入模板", name=f"{kind}_template")
    def template(principal: CurrentPrincipal) -> Response:
        return xlsx_response(excel.template(principal, kind), f"{noun}导入模板.xlsx")

    @router.get(f"/{segment}/export.xlsx", summary=f"导出{noun}", name=f"{kind}_export")
    def export_xlsx(session: SessionDep, principal: CurrentPrincipal) -> Response:
        return xlsx_response(export(session, principal), filename)

    @router.post(f"/{segment}/import", summary=f"导入{noun}（按编码新增或更新；全部成功或全部不导入）",
                 name=f"{kind}_import", responses=IMPORT_RESPONSES, response_model=ImportResult,
                 dependencies=[CsrfChecked])
    async def import_xlsx(session: SessionDep, principal: CurrentPrincipal, file: Annotated[UploadFile, File()],
                          dry_run: Annotated[bool, Form()] = False) -> Response:
        data = await read_upload(file)
        return _report(await run_in_threadpool(do_import, session, principal, data, dry_run=dry_run,
                                               filename=file.filename or ""))


# ---- loaders: an id or code → the object the actor may see, or 404 --------------------------------------

def current_department(department_id: int, session: SessionDep, principal: CurrentPrincipal) -> Department:
    return service.get_department(session, principal, department_id)


def current_matter_type(matter_type_id: int, session: SessionDep, principal: CurrentPrincipal) -> MatterType:
    return service.get_matter_type(session, principal, matter_type_id)


def current_category(category_id: int, session: SessionDep, principal: CurrentPrincipal) -> DutyCategory:
    return service.get_category(session, principal, category_id)


def readable_community(community_code: str, session: SessionDep, principal: CurrentPrincipal) -> Region:
    return service.get_community(session, principal, community_code)


def writable_community(community_code: str, session: SessionDep, principal: CurrentPrincipal) -> Region:
    return service.get_community(session, principal, community_code, to="write")


CurrentDepartment = Annotated[Department, Depends(current_department)]
CurrentMatterType = Annotated[MatterType, Depends(current_matter_type)]
CurrentCategory = Annotated[DutyCategory, Depends(current_category)]
ReadableCommunity = Annotated[Region, Depends(readable_community)]
WritableCommunity = Annotated[Region, Depends(writable_community)]


def _item(session: Session, principal: Principal, community: Region, item_id: int) -> AdmissionItem:
    return service.get_admission_item(session, principal, community, item_id)


# ---- departments ------------------------------------------------------------------------------------------

@router.get("/departments", summary="职能部门列表", response_model=PageOf[DepartmentRead])
def list_departments(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                     active: bool | None = None) -> dict[str, Any]:
    rows, total = service.list_departments(session, principal, q=params.q, active=active, offset=params.offset,
                                           limit=params.size)
    return _page(service.department_dicts(session, rows, counts=True), total, params)


@router.post("/departments", status_code=201, summary="新增职能部门（管理员）", response_model=DepartmentRead,
             dependencies=[CsrfChecked])
def create_department(body: DepartmentCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    dep = service.create_department(session, principal, body.model_dump(exclude_unset=True))
    return service.department_dicts(session, [dep])[0]


_excel_routes("departments", "职能部门", "职能部门.xlsx", excel.export_departments, excel.import_departments)


@router.get("/departments/{department_id}", summary="职能部门详情", response_model=DepartmentRead)
def get_department(department: CurrentDepartment, session: SessionDep) -> dict[str, Any]:
    return service.department_dicts(session, [department], counts=True)[0]


@router.patch("/departments/{department_id}", summary="修改或停用职能部门（管理员）", response_model=DepartmentRead,
              dependencies=[CsrfChecked])
def update_department(department: CurrentDepartment, body: DepartmentUpdate, session: SessionDep,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    service.update_department(session, principal, department, body.model_dump(exclude_unset=True))
    return service.department_dicts(session, [department])[0]


# ---- categories -------------------------------------------------------------------------------------------

@router.get("/categories", summary="事项分类（两级树，含各类启用事项数）", response_model=list[CategoryNode])
def category_tree(session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return service.category_tree(session, principal)


@router.post("/categories", status_code=201, summary="新增事项分类（管理员）", response_model=CategoryRead,
             dependencies=[CsrfChecked])
def create_category(body: CategoryCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    cat = service.create_category(session, principal, name=body.name, parent_code=body.parent_code, code=body.code)
    return service.category_dict(session, cat)


@router.patch("/categories/{category_id}", summary="修改分类名称（管理员）", response_model=CategoryRead,
              dependencies=[CsrfChecked])
def rename_category(category: CurrentCategory, body: CategoryUpdate, session: SessionDep,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    service.rename_category(session, principal, category, body.name)
    return service.category_dict(session, category)


# ---- matter types -----------------------------------------------------------------------------------------

@router.get("/matter-types", summary="事项列表（按分类、层级、牵头部门筛选）", response_model=PageOf[MatterTypeRead])
def list_matter_types(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                      category: Annotated[str | None, Query(description="一级或二级分类编码")] = None,
                      tier: Annotated[str | None, Query(description="grid / community / street / department")] = None,
                      department: Annotated[str | None, Query(description="牵头部门编码")] = None,
                      active: bool | None = None) -> dict[str, Any]:
    rows, total = service.list_matter_types(session, principal, q=params.q, category_code=category, tier=tier,
                                            department_code=department, active=active, offset=params.offset,
                                            limit=params.size)
    return _page(service.matter_type_dicts(session, rows), total, params)


@router.post("/matter-types", status_code=201, summary="新增事项（管理员）", response_model=MatterTypeRead,
             dependencies=[CsrfChecked])
def create_matter_type(body: MatterTypeCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    mt = service.create_matter_type(session, principal, body.model_dump(exclude_unset=True))
    return service.matter_type_dicts(session, [mt])[0]


_excel_routes("matter_types", "事项", "职责清单事项.xlsx", excel.export_matter_types, excel.import_matter_types)


@router.get("/matter-types/{matter_type_id}", summary="事项详情", response_model=MatterTypeRead)
def get_matter_type(matter_type: CurrentMatterType, session: SessionDep) -> dict[str, Any]:
    return service.matter_type_dicts(session, [matter_type])[0]


@router.patch("/matter-types/{matter_type_id}", summary="修改事项；is_active=false 停用（管理员）",
              response_model=MatterTypeRead, dependencies=[CsrfChecked])
def update_matter_type(matter_type: CurrentMatterType, body: MatterTypeUpdate, session: SessionDep,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    service.update_matter_type(session, principal, matter_type, body.model_dump(exclude_unset=True))
    return service.matter_type_dicts(session, [matter_type])[0]


@router.get("/suggest", summary="按诉求标题和内容推荐事项", response_model=list[SuggestionRead])
def suggest(session: SessionDep, principal: CurrentPrincipal,
            text: Annotated[str, Query(min_length=1, max_length=4000, description="诉求标题和内容")],
            limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[dict[str, Any]]:
    return service.suggest(session, principal, text, limit)


# ---- admission lists --------------------------------------------------------------------------------------

@router.get("/admission", summary="可查看准入清单的社区", response_model=list[CommunityRead])
def communities(session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return service.list_communities(session, principal)


@router.get("/admission/template.xlsx", summary="准入清单导入模板")
def admission_template(principal: CurrentPrincipal) -> Response:
    return xlsx_response(excel.template(principal, "admission_items"), "准入清单导入模板.xlsx")


@router.get("/admission/{community_code}", summary="社区事务准入清单", response_model=AdmissionPage)
def list_admission(community: ReadableCommunity, session: SessionDep, principal: CurrentPrincipal, params: PageDep,
                   kind: Annotated[str | None, Query(description="must_do / assist / may_certify / "
                                                                 "must_not_certify")] = None) -> dict[str, Any]:
    rows, total = service.list_admission(session, principal, community, kind=kind, q=params.q, offset=params.offset,
                                         limit=params.size)
    return {**_page(service.admission_dicts(session, rows, community), total, params),
            "community": service.community_dict(session, community),
            "counts": service.admission_counts(session, community)}


@router.post("/admission/{community_code}", status_code=201, summary="新增准入事项", response_model=AdmissionItemRead,
             dependencies=[CsrfChecked])
def create_admission_item(community: WritableCommunity, body: AdmissionItemCreate, session: SessionDep,
                          principal: CurrentPrincipal) -> dict[str, Any]:
    item = service.create_admission_item(session, principal, community, body.model_dump(exclude_unset=True))
    return service.admission_dicts(session, [item], community)[0]


@router.get("/admission/{community_code}/export.xlsx", summary="导出社区准入清单")
def admission_export(community: ReadableCommunity, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return xlsx_response(excel.export_admission(session, principal, community), f"{community.name}准入清单.xlsx")


@router.post("/admission/{community_code}/import", summary="导入社区准入清单（按编号新增或更新；全部成功或全部不导入）",
             responses=IMPORT_RESPONSES, response_model=ImportResult, dependencies=[CsrfChecked])
async def admission_import(community: WritableCommunity, session: SessionDep, principal: CurrentPrincipal,
                           file: Annotated[UploadFile, File()], dry_run: Annotated[bool, Form()] = False) -> Response:
    data = await read_upload(file)
    return _report(await run_in_threadpool(excel.import_admission, session, principal, community, data,
                                           dry_run=dry_run, filename=file.filename or ""))


@router.get("/admission/{community_code}/check", summary="社区能否承接某事项（不得出具证明事项将被拒绝）",
            response_model=AdmissionCheck)
def admission_check(community: ReadableCommunity, session: SessionDep, principal: CurrentPrincipal,
                    matter_code: Annotated[str, Query(min_length=1, max_length=20)]) -> dict[str, Any]:
    return service.check_community(session, principal, community, matter_code)


@router.get("/admission/{community_code}/{item_id}", summary="准入事项详情", response_model=AdmissionItemRead)
def get_admission_item(community: ReadableCommunity, item_id: int, session: SessionDep,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    return service.admission_dicts(session, [_item(session, principal, community, item_id)], community)[0]


@router.patch("/admission/{community_code}/{item_id}", summary="修改准入事项", response_model=AdmissionItemRead,
              dependencies=[CsrfChecked])
def update_admission_item(community: WritableCommunity, item_id: int, body: AdmissionItemUpdate,
                          session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    item = _item(session, principal, community, item_id)
    service.update_admission_item(session, principal, community, item, body.model_dump(exclude_unset=True))
    return service.admission_dicts(session, [item], community)[0]


@router.delete("/admission/{community_code}/{item_id}", status_code=204, summary="删除准入事项",
               dependencies=[CsrfChecked])
def delete_admission_item(community: WritableCommunity, item_id: int, session: SessionDep,
                          principal: CurrentPrincipal) -> Response:
    service.delete_admission_item(session, principal, community, _item(session, principal, community, item_id))
    return Response(status_code=204)
