"""JSON routes of assessment (/api/v1/assessment): thin, each calls one service function."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from sqlalchemy.orm import Session

from gongzhi.assessment import excel, service
from gongzhi.assessment.models import IndicatorSet
from gongzhi.assessment.schemas import ClassCreate, IndicatorCreate, IndicatorUpdate, ScoreBody, SetCreate, SetUpdate
from gongzhi.core.auth import Principal
from gongzhi.core.register_api import xlsx_response
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, SessionDep

router = APIRouter(prefix="/api/v1/assessment", tags=["考核"])
Id = Annotated[int, Path(ge=1)]
PeriodKey = Annotated[str, Path(max_length=8, description="考核期：2026-10、2026-Q3 或 2026")]
SET = "/sets/{set_id}"
PERIOD = SET + "/periods/{period}"


def _dump(body: Any) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


def _set(session: Session, principal: Principal, set_id: int, to: str = service.READ) -> IndicatorSet:
    return service.get_set(session, principal, set_id, to=to)


@router.get("/metrics", summary="可用于自动计算的数据指标")
def metrics(principal: CurrentPrincipal) -> list[dict[str, str]]:
    return service.metric_dicts(principal)


@router.get("/sets", summary="指标体系列表")
def list_sets(session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [service.set_dict(session, s) for s in service.list_sets(session, principal)]


@router.post("/sets", status_code=201, summary="新建指标体系（草稿）", dependencies=[CsrfChecked])
def create_set(body: SetCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.set_dict(session, service.create_set(session, principal, _dump(body)), detail=True)


@router.get(SET, summary="指标体系：类别、指标、分值")
def get_set(set_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.set_dict(session, _set(session, principal, set_id), detail=True)


@router.patch(SET, summary="修改名称、红黄榜个数，或归档", dependencies=[CsrfChecked])
def update_set(set_id: Id, body: SetUpdate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id, service.MANAGE)
    return service.set_dict(session, service.update_set(session, principal, row, _dump(body)), detail=True)


@router.post(SET + "/classes", status_code=201, summary="增加指标类别", dependencies=[CsrfChecked])
def add_class(set_id: Id, body: ClassCreate, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = service.add_class(session, principal, _set(session, principal, set_id, service.MANAGE), _dump(body))
    return {"id": row.id, "name": row.name, "seq": row.seq}


@router.post(SET + "/indicators", status_code=201, summary="增加指标", dependencies=[CsrfChecked])
def add_indicator(set_id: Id, body: IndicatorCreate, session: SessionDep,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    row = service.add_indicator(session, principal, _set(session, principal, set_id, service.MANAGE), _dump(body))
    return service.indicator_dict(row)


@router.patch(SET + "/indicators/{indicator_id}", summary="修改指标", dependencies=[CsrfChecked])
def update_indicator(set_id: Id, indicator_id: Id, body: IndicatorUpdate, session: SessionDep,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id, service.MANAGE)
    indicator = service.get_indicator(session, row, indicator_id)
    return service.indicator_dict(service.update_indicator(session, principal, row, indicator, _dump(body)))


@router.delete(SET + "/indicators/{indicator_id}", status_code=204, summary="删除指标", dependencies=[CsrfChecked])
def delete_indicator(set_id: Id, indicator_id: Id, session: SessionDep, principal: CurrentPrincipal) -> Response:
    row = _set(session, principal, set_id, service.MANAGE)
    service.delete_indicator(session, principal, row, service.get_indicator(session, row, indicator_id))
    return Response(status_code=204)


@router.post(SET + "/activate", summary="启用（分值合计须为100）", dependencies=[CsrfChecked])
def activate(set_id: Id, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = service.activate(session, principal, _set(session, principal, set_id, service.MANAGE))
    return service.set_dict(session, row)


@router.get(PERIOD + "/ranking", summary="排名与红黄榜（含较上期变化）")
def ranking(set_id: Id, period: PeriodKey, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id)
    return service.ranking_dict(service.ranking(session, principal, row, period))


@router.get(PERIOD + "/ranking.xlsx", summary="导出排名（Excel）")
def ranking_xlsx(set_id: Id, period: PeriodKey, session: SessionDep, principal: CurrentPrincipal) -> Response:
    row = _set(session, principal, set_id)
    data, name = excel.export_ranking(session, principal, row, period)
    return xlsx_response(data, name)


@router.post(PERIOD + "/compute", summary="计算数据指标得分", dependencies=[CsrfChecked])
def compute(set_id: Id, period: PeriodKey, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id, service.SCORE)
    done = service.compute_period(session, principal, row, period)
    return {"period": done.period, "status": done.status, "computed_at": done.computed_at}


@router.post(PERIOD + "/publish", summary="发布考核结果（发布后不能再改）", dependencies=[CsrfChecked])
def publish(set_id: Id, period: PeriodKey, session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id, service.SCORE)
    done = service.publish_period(session, principal, row, period)
    return {"period": done.period, "status": done.status, "published_at": done.published_at}


@router.get(PERIOD + "/regions/{region_code}", summary="被考核单位的评分表")
def scorecard(set_id: Id, period: PeriodKey, region_code: str, session: SessionDep,
              principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id)
    return service.scorecard_dict(service.scorecard(session, principal, row, period, region_code))


@router.get(PERIOD + "/regions/{region_code}/scorecard.xlsx", summary="导出评分表（Excel）")
def scorecard_xlsx(set_id: Id, period: PeriodKey, region_code: str, session: SessionDep,
                   principal: CurrentPrincipal) -> Response:
    row = _set(session, principal, set_id)
    data, name = excel.export_scorecard(session, principal, row, period, region_code)
    return xlsx_response(data, name)


@router.put(PERIOD + "/regions/{region_code}/scores/{indicator_code}", summary="人工评分或底线指标（须附佐证）",
            dependencies=[CsrfChecked])
def enter_score(set_id: Id, period: PeriodKey, region_code: str, indicator_code: str, body: ScoreBody,
                session: SessionDep, principal: CurrentPrincipal) -> dict[str, Any]:
    row = _set(session, principal, set_id, service.SCORE)
    score = service.enter_score(session, principal, row, period, region_code, indicator_code, _dump(body))
    return {"region_code": region_code, "indicator_code": indicator_code, "value": score.value, "score": score.score,
            "evidence": score.evidence, "assessor": score.assessor_name, "scored_at": score.scored_at}
