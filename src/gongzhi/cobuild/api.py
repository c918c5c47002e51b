"""JSON routes of co-building (/api/v1/cobuild): thin, each calls one service function."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from sqlalchemy.orm import Session

from gongzhi.appeals import media
from gongzhi.cobuild import excel, service
from gongzhi.cobuild.models import Meeting, Need, Project, Resource, Wish
from gongzhi.cobuild.schemas import (
    AssignmentRead,
    AttendanceBody,
    ChairTermRead,
    ClaimRead,
    DecisionNeed,
    FinishBody,
    MeetingCreate,
    MeetingRead,
    MemberCreate,
    MemberUpdate,
    MinutesBody,
    NeedClaim,
    NeedCreate,
    NeedDetail,
    NeedRead,
    OfficerCreate,
    PairsBody,
    ProjectRead,
    RateBody,
    ResourceClaim,
    ResourceCreate,
    ResourceRead,
    RotationEdit,
    StepCreate,
    SuggestionRead,
    WishCreate,
    WishRead,
)
from gongzhi.core.auth import Principal
from gongzhi.core.register_api import xlsx_response
from gongzhi.core.settings import get_settings
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep
from gongzhi.core.web import Page as PageOf
from gongzhi.duties.schemas import Page
from gongzhi.regions.models import Region

router = APIRouter(prefix="/api/v1/cobuild", tags=["共驻共建"])
Id = Annotated[int, Path(ge=1)]
Search = Annotated[str | None, Query(max_length=60, description="搜索")]


def _page(items: list[Any], total: int, params: Any) -> dict[str, Any]:
    return PageOf(items, total, params.page, params.size).to_dict(items)


def _dump(body: Any) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True, mode="json")


async def read_photo(photo: UploadFile | None) -> tuple[bytes, str] | None:
    """An optional uploaded photo, size-limited before it is read whole."""
    if photo is None or not photo.filename:
        return None
    limit = get_settings().photo_max_bytes
    data = await photo.read(limit + 1)
    if len(data) > limit:
        raise media.PhotoTooLarge(f"照片「{photo.filename}」超过 {limit // 1048576} MB")
    return data, photo.filename


def _committee(session: Session, principal: Principal, code: str, to: str = "read") -> Region:
    return service.committee_region(session, principal, code, to=to)


# ---- the big Party committee ------------------------------------------------------------------------------

@router.get("/committees/{region_code}", summary="大党委（大工委）：成员单位、兼职委员、轮值、联席会议")
def committee(region_code: str, session: SessionDep, principal: CurrentPrincipal,
              year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> dict[str, Any]:
    return service.committee_view(session, _committee(session, principal, region_code), year)


@router.post("/committees/{region_code}/members", status_code=201, summary="成员单位加入（共建协议）",
             dependencies=[CsrfChecked])
def add_member(region_code: str, body: MemberCreate, session: SessionDep,
               principal: CurrentPrincipal) -> dict[str, Any]:
    region = _committee(session, principal, region_code, "manage")
    row = service.add_member(session, principal, region, _dump(body))
    return {"id": row.id, "unit_id": row.unit_id, "signed_on": row.signed_on, "term_end": row.term_end}


@router.patch("/committees/{region_code}/members/{membership_id}", summary="修改共建协议", dependencies=[CsrfChecked])
def update_member(region_code: str, membership_id: Id, body: MemberUpdate, session: SessionDep,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    region = _committee(session, principal, region_code, "manage")
    row = service.update_member(session, principal, region, membership_id, _dump(body))
    return {"id": row.id, "unit_id": row.unit_id, "term_end": row.term_end, "is_active": row.is_active}


@router.post("/committees/{region_code}/members/{membership_id}/officers", status_code=201, summary="增加兼职委员",
             dependencies=[CsrfChecked])
def add_officer(region_code: str, membership_id: Id, body: OfficerCreate, session: SessionDep,
                principal: CurrentPrincipal) -> dict[str, Any]:
    region = _committee(session, principal, region_code, "manage")
    row = service.add_officer(session, principal, region, membership_id, _dump(body))
    return {"id": row.id, "name": row.name, "post": row.post}


@router.get("/committees/{region_code}/rotation/{year}", summary="双月轮值表", response_model=list[ChairTermRead])
def rotation(region_code: str, year: Annotated[int, Path(ge=2000, le=2100)], session: SessionDep,
             principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return service.rotation_dicts(session, _committee(session, principal, region_code), year)


@router.post("/committees/{region_code}/rotation/{year}", status_code=201, summary="生成双月轮值表",
             response_model=list[ChairTermRead], dependencies=[CsrfChecked])
def generate_rotation(region_code: str, year: Annotated[int, Path(ge=2000, le=2100)], session: SessionDep,
                      principal: CurrentPrincipal) -> list[dict[str, Any]]:
    region = _committee(session, principal, region_code, "manage")
    service.generate_rotation(session, principal, region, year)
    return service.rotation_dicts(session, region, year)


@router.patch("/committees/{region_code}/rotation/{year}", summary="调整轮值表（调换或替换单位）",
              response_model=list[ChairTermRead], dependencies=[CsrfChecked])
def edit_rotation(region_code: str, year: Annotated[int, Path(ge=2000, le=2100)], body: RotationEdit,
                  session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    region = _committee(session, principal, region_code, "manage")
    service.edit_rotation(session, principal, region, year, _dump(body))
    return service.rotation_dicts(session, region, year)


@router.post("/committees/{region_code}/meetings", status_code=201, summary="召集联席会议",
             response_model=MeetingRead, dependencies=[CsrfChecked])
def convene(region_code: str, body: MeetingCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    region = _committee(session, principal, region_code)
    data = body.model_dump(exclude_unset=True)
    return service.meeting_dict(session, service.convene_meeting(session, principal, region, data))


def _meeting(session: Session, principal: Principal, meeting_id: int) -> Meeting:
    return service.get_meeting(session, principal, meeting_id)


@router.get("/meetings/{meeting_id}", summary="联席会议", response_model=MeetingRead)
def meeting(meeting_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.meeting_dict(session, _meeting(session, principal, meeting_id))


@router.post("/meetings/{meeting_id}/attendance", summary="登记参会（参会账号获得积分）", response_model=MeetingRead,
             dependencies=[CsrfChecked])
def attendance(meeting_id: Id, body: AttendanceBody, session: SessionDep,
               principal: CurrentPrincipal) -> dict[str, Any]:
    row = _meeting(session, principal, meeting_id)
    service.record_attendance(session, principal, row, _dump(body))
    return service.meeting_dict(session, row)


@router.post("/meetings/{meeting_id}/minutes", summary="会议纪要与决定", response_model=MeetingRead,
             dependencies=[CsrfChecked])
def minutes(meeting_id: Id, body: MinutesBody, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _meeting(session, principal, meeting_id)
    return service.meeting_dict(session, service.record_minutes(session, principal, row, _dump(body)))


@router.post("/meetings/{meeting_id}/decisions/{index}/need", status_code=201, summary="会议决定转为需求",
             response_model=NeedRead, dependencies=[CsrfChecked])
def decision_need(meeting_id: Id, index: Annotated[int, Path(ge=0, le=49)], body: DecisionNeed, session: SessionDep,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    row = _meeting(session, principal, meeting_id)
    need = service.need_from_decision(session, principal, row, index, _dump(body))
    return service.need_dicts(session, [need])[0]


# ---- needs and resources ----------------------------------------------------------------------------------

@router.get("/needs", summary="需求库", response_model=Page[NeedRead])
def needs(session: SessionDep, principal: CurrentPrincipal, params: PageDep, status: str | None = None,
          need_type: str | None = None, mine: bool = False) -> dict[str, Any]:
    rows, total = service.list_needs(session, principal, q=params.q, status=status, need_type=need_type, mine=mine,
                                     offset=params.offset, limit=params.size)
    return _page(service.need_dicts(session, rows), total, params)


@router.get("/needs/export.xlsx", summary="导出需求库（按当前搜索与筛选，限本人可见范围）")
def export_needs(session: SessionDep, principal: CurrentPrincipal, q: Search = None, status: str | None = None,
                 need_type: str | None = None, mine: bool = False) -> Response:
    data = excel.export_needs(session, principal, q=(q or "").strip() or None, status=status, need_type=need_type,
                              mine=mine)
    return xlsx_response(data, "需求库.xlsx")


@router.post("/needs", status_code=201, summary="提出需求", response_model=NeedRead, dependencies=[CsrfChecked])
def create_need(body: NeedCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.need_dicts(session, [service.create_need(session, principal, _dump(body))])[0]


def _need(session: Session, principal: Principal, need_id: int) -> Need:
    return service.get_need(session, principal, need_id)


@router.get("/needs/{need_id}", summary="需求详情与认领", response_model=NeedDetail)
def need(need_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _need(session, principal, need_id)
    from gongzhi.cobuild import repository as repo

    return {**service.need_dicts(session, [row])[0],
            "claims": service.claim_dicts(session, repo.claims_of_need(session, row))}


@router.get("/needs/{need_id}/suggestions", summary="资源推荐（按匹配度排序，含各项得分）",
            response_model=list[SuggestionRead])
def suggestions(need_id: Id, session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return service.suggestions(session, _need(session, principal, need_id))


@router.post("/needs/{need_id}/claim", status_code=201, summary="认领需求（资源方或党员认领难题）",
             response_model=ClaimRead, dependencies=[CsrfChecked])
def claim_need(need_id: Id, body: NeedClaim, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    claim = service.claim_need(session, principal, need_id, resource_id=body.resource_id, note=body.note)
    return service.claim_dicts(session, [claim])[0]


@router.get("/resources", summary="资源库", response_model=Page[ResourceRead])
def resources(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
              resource_type: str | None = None) -> dict[str, Any]:
    rows, total = service.list_resources(session, principal, q=params.q, resource_type=resource_type,
                                         offset=params.offset, limit=params.size)
    return _page(service.resource_dicts(session, rows), total, params)


@router.get("/resources/export.xlsx", summary="导出资源库（按当前搜索与筛选，限本人可见范围）")
def export_resources(session: SessionDep, principal: CurrentPrincipal, q: Search = None,
                     resource_type: str | None = None) -> Response:
    data = excel.export_resources(session, principal, q=(q or "").strip() or None, resource_type=resource_type)
    return xlsx_response(data, "资源库.xlsx")


@router.post("/resources", status_code=201, summary="提供资源", response_model=ResourceRead,
             dependencies=[CsrfChecked])
def create_resource(body: ResourceCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.resource_dicts(session, [service.create_resource(session, principal, _dump(body))])[0]


def _resource(session: Session, principal: Principal, resource_id: int) -> Resource:
    return service.get_resource(session, principal, resource_id)


@router.get("/resources/{resource_id}", summary="资源详情", response_model=ResourceRead)
def resource(resource_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.resource_dicts(session, [_resource(session, principal, resource_id)])[0]


@router.post("/resources/{resource_id}/claim", status_code=201, summary="为需求认领资源（需求方）",
             response_model=ClaimRead, dependencies=[CsrfChecked])
def claim_resource(resource_id: Id, body: ResourceClaim, session: SessionDep,
                   principal: CurrentPrincipal) -> dict[str, Any]:
    claim = service.claim_resource(session, principal, resource_id, need_id=body.need_id, note=body.note)
    return service.claim_dicts(session, [claim])[0]


@router.post("/claims/{claim_id}/{action}", summary="确认（accept）、不采纳（decline）或撤回（withdraw）认领",
             dependencies=[CsrfChecked])
def decide_claim(claim_id: Id, action: Annotated[str, Path(pattern="^(accept|decline|withdraw)$")],
                 session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    claim, _need_row = service.get_claim(session, principal, claim_id)
    if action == "accept":
        return {"project": service.project_dict(session, service.accept_claim(session, principal, claim))}
    service.decline_claim(session, principal, claim, withdraw=action == "withdraw")
    return {"claim": service.claim_dicts(session, [claim])[0]}


@router.post("/assignment/{region_code}", summary="统筹匹配：全社区最多需求得到满足（不写入，待确认）",
             response_model=AssignmentRead, dependencies=[CsrfChecked])
def run_assignment(region_code: str, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    community = _committee(session, principal, region_code, "manage")
    return service.assignment_dict(session, service.run_assignment(session, principal, community))


@router.post("/assignment/{region_code}/accept", status_code=201, summary="确认匹配结果，生成项目",
             response_model=list[ProjectRead], dependencies=[CsrfChecked])
def accept_assignment(region_code: str, body: PairsBody, session: SessionDep,
                      principal: CurrentPrincipal) -> list[dict[str, Any]]:
    community = _committee(session, principal, region_code, "manage")
    projects = service.accept_pairs(session, principal, community, [tuple(p) for p in body.pairs])
    return [service.project_dict(session, p) for p in projects]


# ---- projects ---------------------------------------------------------------------------------------------

@router.get("/projects", summary="项目清单", response_model=Page[ProjectRead])
def projects(session: SessionDep, principal: CurrentPrincipal, params: PageDep,
             status: str | None = None) -> dict[str, Any]:
    rows, total = service.list_projects(session, principal, q=params.q, status=status, offset=params.offset,
                                        limit=params.size)
    return _page([service.project_dict(session, p) for p in rows], total, params)


@router.get("/projects/export.xlsx", summary="导出项目清单（按当前搜索与筛选，限本人可见范围）")
def export_projects(session: SessionDep, principal: CurrentPrincipal, q: Search = None,
                    status: str | None = None) -> Response:
    data = excel.export_projects(session, principal, q=(q or "").strip() or None, status=status)
    return xlsx_response(data, "项目清单.xlsx")


def _project(session: Session, principal: Principal, project_id: int) -> Project:
    return service.get_project(session, principal, project_id)


@router.get("/projects/{project_id}", summary="项目详情", response_model=ProjectRead)
def project(project_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.project_dict(session, _project(session, principal, project_id))


@router.post("/projects/{project_id}/steps", status_code=201, summary="增加项目步骤", response_model=ProjectRead,
             dependencies=[CsrfChecked])
def add_step(project_id: Id, body: StepCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _project(session, principal, project_id)
    service.add_step(session, principal, row, _dump(body))
    return service.project_dict(session, row)


@router.post("/projects/{project_id}/steps/{step_id}/done", summary="步骤完成", response_model=ProjectRead,
             dependencies=[CsrfChecked])
def step_done(project_id: Id, step_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _project(session, principal, project_id)
    service.complete_step(session, principal, row, step_id)
    return service.project_dict(session, row)


@router.post("/projects/{project_id}/finish", summary="项目完成（填写成效）", response_model=ProjectRead,
             dependencies=[CsrfChecked])
def finish(project_id: Id, body: FinishBody, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _project(session, principal, project_id)
    return service.project_dict(session, service.finish_project(session, principal, row, _dump(body)))


@router.post("/projects/{project_id}/rate", summary="受益方评价（1–5星）", response_model=ProjectRead,
             dependencies=[CsrfChecked])
def rate(project_id: Id, body: RateBody, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _project(session, principal, project_id)
    return service.project_dict(session, service.rate_project(session, principal, row, _dump(body)))


# ---- micro-wishes -----------------------------------------------------------------------------------------

@router.get("/wishes", summary="微心愿", response_model=Page[WishRead])
def wishes(session: SessionDep, principal: CurrentPrincipal, params: PageDep, status: str | None = None,
           mine: bool = False, claimed: bool = False) -> dict[str, Any]:
    rows, total = service.list_wishes(session, principal, status=status, mine=mine, claimed_by_me=claimed,
                                      q=params.q, offset=params.offset, limit=params.size)
    return _page([service.wish_dict(session, w) for w in rows], total, params)


@router.get("/wishes/export.xlsx", summary="导出微心愿（按当前搜索与筛选，限本人可见范围）")
def export_wishes(session: SessionDep, principal: CurrentPrincipal, q: Search = None, status: str | None = None,
                  mine: bool = False, claimed: bool = False) -> Response:
    data = excel.export_wishes(session, principal, q=(q or "").strip() or None, status=status, mine=mine,
                               claimed=claimed)
    return xlsx_response(data, "微心愿.xlsx")


@router.post("/wishes", status_code=201, summary="发布微心愿", response_model=WishRead, dependencies=[CsrfChecked])
def post_wish(body: WishCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.wish_dict(session, service.post_wish(session, principal, _dump(body)), timeline=True)


def _wish(session: Session, principal: Principal, wish_id: int) -> Wish:
    return service.get_wish(session, principal, wish_id)


@router.get("/wishes/{wish_id}", summary="微心愿详情与经过", response_model=WishRead)
def wish(wish_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.wish_dict(session, _wish(session, principal, wish_id), timeline=True)


@router.get("/wishes/{wish_id}/photo/{which}", summary="心愿照片（wish）或完成照片（fulfil）")
def wish_photo(wish_id: Id, which: Annotated[str, Path(pattern="^(wish|fulfil)$")], session: SessionDep,
               principal: CurrentPrincipal) -> Response:
    path = service.wish_photo(_wish(session, principal, wish_id), which)
    ext = path.rsplit(".", 1)[-1]
    return Response(media.read(path), media_type={"jpg": "image/jpeg", "png": "image/png"}.get(ext, "image/webp"),
                    headers={"Cache-Control": "private, max-age=86400"})


@router.post("/wishes/{wish_id}/{action}", summary="审核（approve/hide）、认领、放弃、完成（附照片）、致谢",
             response_model=WishRead, dependencies=[CsrfChecked])
async def wish_action(wish_id: Id, action: Annotated[str, Path(max_length=10)], session: SessionDep,
                      principal: CurrentPrincipal, note: Annotated[str, Form(max_length=400)] = "",
                      photo: Annotated[UploadFile | None, File()] = None) -> dict[str, Any]:
    data = await read_photo(photo)
    row = _wish(session, principal, wish_id)
    return service.wish_dict(session, service.wish_action(session, principal, row, action, {"note": note}, data),
                             timeline=True)


# ---- the unit's page --------------------------------------------------------------------------------------

@router.get("/unit", summary="本单位：共建协议、承诺资源、认领、项目、轮值与会议")
def unit(session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    view = service.unit_view(session, principal)
    u = view.pop("unit")
    return {"unit": {"id": u.id, "name": u.name, "kind": u.kind}, **view}

