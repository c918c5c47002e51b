"""JSON routes of the dashboards (/api/v1/dashboard): thin, each calls one service function. Every route takes
`region` (a code under the actor's node; default the node itself) and `from`/`to` (months, YYYY-MM)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from gongzhi.core.register_api import xlsx_response
from gongzhi.core.web import CurrentPrincipal, PageDep, SessionDep, require
from gongzhi.dashboard import excel, report, service

router = APIRouter(prefix="/api/v1/dashboard", tags=["领导驾驶舱"], dependencies=[require("dashboard:read")])
RegionCode = Annotated[str | None, Query(max_length=20, description="区域代码（默认本人管辖区域）")]
Month = Annotated[str | None, Query(max_length=7, description="月份 YYYY-MM")]


def period_dep(from_: Annotated[str | None, Query(alias="from", max_length=7, description="起始月份 YYYY-MM")] = None,
               to: Annotated[str | None, Query(max_length=7, description="结束月份 YYYY-MM（含）")] = None
               ) -> service.Period:
    return service.period(from_, to)


PeriodDep = Annotated[service.Period, Depends(period_dep)]


def case_filter_dep(metric: Annotated[str | None, Query(max_length=20, description="指标")] = None,
                    dim: Annotated[str | None, Query(max_length=12, description="维度")] = None,
                    key: Annotated[str | None, Query(max_length=20, description="维度取值")] = None,
                    day: Annotated[str | None, Query(max_length=10, description="日期 YYYY-MM-DD")] = None
                    ) -> service.CaseFilter:
    return service.case_filter(metric, dim, key, day)


CaseFilterDep = Annotated[service.CaseFilter, Depends(case_filter_dep)]


@router.get("/summary", summary="三率、按期办结率、办理时长与在办情况")
def summary(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None
            ) -> dict[str, Any]:
    return service.summary(session, principal, region, p)


@router.get("/trend", summary="按日、周、月的受理量与办结情况")
def trend(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None,
          by: Annotated[str, Query(max_length=5, description="day | week | month")] = "day") -> dict[str, Any]:
    return service.trend(session, principal, region, p, by)


@router.get("/breakdown", summary="按渠道、层级、类别、事项、部门或下级区域分列")
def breakdown(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None,
              dim: Annotated[str, Query(max_length=12)] = "child",
              limit: Annotated[int | None, Query(ge=1, le=2000)] = None) -> dict[str, Any]:
    return service.breakdown(session, principal, region, p, dim, limit)


@router.get("/grids", summary="网格负荷：各网格受理量与每百户受理量")
def grids(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None
          ) -> dict[str, Any]:
    return service.grid_load(session, principal, region, p)


@router.get("/cases", summary="下钻：某个数字背后的诉求")
def cases(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, f: CaseFilterDep, params: PageDep,
          region: RegionCode = None) -> dict[str, Any]:
    return service.cases(session, principal, region, p, f, params.page, params.size)


@router.get("/open", summary="在办、超时、预警、督办清单")
def open_list(session: SessionDep, principal: CurrentPrincipal, params: PageDep, region: RegionCode = None,
              kind: Annotated[str, Query(max_length=12)] = "overdue") -> dict[str, Any]:
    return service.open_list(session, principal, region, kind, params.page, params.size)


@router.get("/activity", summary="共建与积分：需求对接、项目、报到党员、服务时长、积分")
def activity(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None
             ) -> dict[str, Any]:
    return service.activity(session, principal, region, p)


@router.get("/map", summary="地图：下级区域边界与受理量、满意率，超时诉求位置")
def map_data(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None
             ) -> dict[str, Any]:
    return service.map_data(session, principal, region, p)


@router.get("/export.xlsx", summary="导出驾驶舱表格（Excel）")
def export(session: SessionDep, principal: CurrentPrincipal, p: PeriodDep, region: RegionCode = None,
           table: Annotated[str, Query(max_length=12, description="summary trend breakdown grids cases open activity")
                            ] = "summary",
           dim: Annotated[str | None, Query(max_length=12, description="breakdown: 维度; cases: 下钻维度")] = None,
           by: Annotated[str, Query(max_length=5)] = "day",
           kind: Annotated[str, Query(max_length=12)] = "overdue",
           metric: Annotated[str | None, Query(max_length=20)] = None,
           key: Annotated[str | None, Query(max_length=20)] = None,
           day: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    data, name = excel.export(session, principal, region, p, table=table, dim=dim, by=by, kind=kind, metric=metric,
                              key=key, day=day)
    return xlsx_response(data, name)


@router.get("/report.docx", summary="月度工作通报（Word）")
def report_docx(session: SessionDep, principal: CurrentPrincipal, region: RegionCode = None, month: Month = None
                ) -> Response:
    data, name = report.monthly_docx(session, principal, region, month)
    return _download(data, name, report.DOCX)


@router.get("/report.xlsx", summary="月度工作通报数据（Excel）")
def report_xlsx(session: SessionDep, principal: CurrentPrincipal, region: RegionCode = None, month: Month = None
                ) -> Response:
    data, name = report.monthly_xlsx(session, principal, region, month)
    return xlsx_response(data, name)


def _download(data: bytes, filename: str, media_type: str) -> Response:
    from urllib.parse import quote

    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"report.docx\"; filename*=UTF-8''{quote(filename)}"})
