"""JSON routes of 双报到 and volunteering. Thin: parse, call one service function, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gongzhi.appeals import api as appeals_api
from gongzhi.appeals import service as appeals
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, require
from gongzhi.volunteers import repository as repo
from gongzhi.volunteers import service
from gongzhi.volunteers.models import Pairing, ProblemClaim, ServiceLog

router = APIRouter(prefix="/api/v1/volunteers", tags=["在职党员与志愿者"])


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool
    reason: str = Field(default="", max_length=200)


def log_dict(log: ServiceLog, name: str | None = None) -> dict[str, Any]:
    return {"id": log.id, "name": name, "kind": "party_member" if log.reporting_id else "volunteer",
            "served_on": log.served_on.isoformat(), "hours": log.hours, "what": log.what, "status": log.status,
            "reason": log.reason, "photos": [f"/volunteers/logs/{log.id}/photos/{i}" for i in range(len(log.photos))]}


@router.get("/me", summary="我的报到、档案与服务时长")
def me(session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    out: dict[str, Any] = {"reporting": None, "volunteer": None,
                           "reports": repo.report_counts(session, [principal.user_id]).get(principal.user_id, 0)}
    r = service.my_reporting(session, principal)
    if r is not None:
        m = repo.member(session, r)
        out["reporting"] = {"id": r.id, "status": r.status, "name": m.name, "employer": m.employer_name,
                            "hours": service.hours_summary(session, reporting=r)}
    v = service.my_volunteer(session, principal)
    if v is not None:
        out["volunteer"] = {"id": v.id, "name": v.name, "roles": v.role_keys, "skills": v.skills, "team_id": v.team_id,
                            "hours": service.hours_summary(session, volunteer=v)}
    return out


@router.post("/reports", status_code=201, summary="啄木鸟：志愿者上报问题（进入诉求受理）", dependencies=[CsrfChecked])
async def file_report(request: Request, session: SessionDep, principal: CurrentPrincipal,
                      idempotency_key: Annotated[str | None, Header(max_length=120)] = None) -> JSONResponse:
    data, files = await appeals_api.parse_intake(request)
    key = appeals.idempotency_scope(principal, idempotency_key) if idempotency_key else None
    service.check_reporter(principal)  # before any photo is written
    stored = await run_in_threadpool(appeals_api.store_photos, files, data.location_consent) if files else []
    result = await run_in_threadpool(service.file_report, session, principal, data, stored, key)
    return JSONResponse(appeals.to_dict(session, principal, result.appeal),
                        status_code=201 if result.created else 200)


@router.get("/logs", summary="服务记录（社区确认台）")
def logs(session: SessionDep, params: PageDep, principal: Annotated[Any, require(service.READ)],
         status: str | None = None) -> dict[str, Any]:
    stmt = repo.logs(principal, q=params.q, status=status or None)
    rows, total = repo.page(session, stmt, [ServiceLog.id.desc()], params.offset, params.size)
    return {"items": [log_dict(log, name) for log, name in rows], "total": total, "page": params.page,
            "size": params.size}


@router.post("/logs/{log_id}/decide", summary="确认或退回服务记录", dependencies=[CsrfChecked])
def decide(log_id: Annotated[int, Path(ge=1)], body: Decision, session: SessionDep,
           principal: Annotated[Any, require(service.MANAGE)]) -> dict[str, Any]:
    log = service.get_log(session, principal, log_id)
    return log_dict(service.decide_log(session, principal, log, confirm=body.confirm, reason=body.reason))


class Active(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


@router.post("/posts/{post_id}/active", summary="停用或重新启用服务岗位", dependencies=[CsrfChecked])
def post_active(post_id: Annotated[int, Path(ge=1)], body: Active, session: SessionDep,
                principal: Annotated[Any, require(service.MANAGE)]) -> dict[str, Any]:
    post = service.set_post_active(session, principal, service.get_post(session, principal, post_id), body.active)
    return {"id": post.id, "name": post.name, "active": post.is_active}


def _ended(row: Pairing | ProblemClaim) -> dict[str, Any]:
    return {"id": row.id, "reporting_id": row.reporting_id, "ended_at": row.ended_at.isoformat() if row.ended_at
            else None, "ended_by": row.ended_by}


@router.post("/pairs/{pairing_id}/end", summary="结束结对（党员本人或社区）", dependencies=[CsrfChecked])
def end_pair(pairing_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal
             ) -> dict[str, Any]:
    return _ended(service.end_pair(session, principal, pairing_id))


@router.post("/problems/{claim_id}/release", summary="放弃认领的难题（党员本人或社区）", dependencies=[CsrfChecked])
def release_problem(claim_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal
                    ) -> dict[str, Any]:
    return _ended(service.release_problem(session, principal, claim_id))
