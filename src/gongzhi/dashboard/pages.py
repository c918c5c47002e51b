"""Pages of the dashboards: the leader's dashboard of a region (drill down by clicking), the cases behind a
figure, the open lists, and the big screen (大屏) for a command centre. Thin: one service call each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gongzhi.core.errors import AppError
from gongzhi.core.settings import get_settings
from gongzhi.core.web import CurrentPrincipal, PageDep, SessionDep, render, require, templates
from gongzhi.dashboard import excel, service
from gongzhi.dashboard.api import CaseFilterDep, RegionCode

router = APIRouter(include_in_schema=False, dependencies=[require("dashboard:read")])


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


templates.env.filters["pct"] = _pct
templates.env.filters["hours"] = _hours
MonthQ = Annotated[str | None, Query(max_length=7)]


def _period(from_: str | None, to: str | None) -> tuple[service.Period, str | None]:
    """The months asked for; a bad month shows the current month with the reason, instead of an error page."""
    try:
        return service.period(from_, to), None
    except AppError as exc:
        return service.period(), exc.message


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, principal: CurrentPrincipal, region: RegionCode = None,
              from_: Annotated[str | None, Query(alias="from", max_length=7)] = None, to: MonthQ = None,
              by: Annotated[str | None, Query(pattern="^(day|week|month)$")] = None) -> Response:
    p, error = _period(from_, to)
    by = by or service.trend_grain(p)
    view = service.page_view(session, principal, region, p, by)
    settings = get_settings()
    return render(request, "dashboard/index.html", {
        "title": view["summary"]["region"]["name"], "nav": "dashboard", "view": view, "p": p, "by": by,
        "error": error, "form": {"from": from_ or p.key_from, "to": to or p.key_to},
        "rate_labels": service.RATE_LABELS, "metric_labels": service.METRIC_LABELS,
        "open_labels": service.OPEN_LABELS, "activity_labels": excel.ACTIVITY_LABELS,
        "tile_url": settings.map_tile_url, "tile_attribution": settings.map_tile_attribution,
    })


@router.get("/dashboard/cases")
def cases(request: Request, session: SessionDep, principal: CurrentPrincipal, f: CaseFilterDep, params: PageDep,
          region: RegionCode = None, from_: Annotated[str | None, Query(alias="from", max_length=7)] = None,
          to: MonthQ = None) -> Response:
    p = service.period(from_, to)
    view = service.cases(session, principal, region, p, f, params.page, params.size)
    return render(request, "dashboard/cases.html", {
        "title": view["metric_label"], "nav": "dashboard", "view": view, "p": p, "kind": None,
        "dim_label": service.DIM_LABELS.get(view["dim"] or "", ""),
        "name": _key_name(session, view["dim"], view["key"]),
    })


def _key_name(session: SessionDep, dim: str | None, key: str | None) -> str:
    if not dim or key is None:
        return ""
    return service.key_names(session, dim, [key]).get(key, key)


@router.get("/dashboard/open")
def open_list(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep,
              region: RegionCode = None, kind: Annotated[str, Query(max_length=12)] = "overdue") -> Response:
    view = service.open_list(session, principal, region, kind, params.page, params.size)
    return render(request, "dashboard/cases.html", {
        "title": view["kind_label"], "nav": "dashboard", "view": view, "p": None, "kind": kind,
        "dim_label": "", "name": ""})


@router.get("/dashboard/screen")
def screen(request: Request, session: SessionDep, principal: CurrentPrincipal, region: RegionCode = None) -> Response:
    view = service.screen_view(session, principal, region)
    settings = get_settings()
    return render(request, "dashboard/screen.html", {
        "title": view["summary"]["region"]["name"], "nav": "dashboard", "view": view,
        "rate_labels": service.RATE_LABELS, "activity_labels": excel.ACTIVITY_LABELS,
        "tile_url": settings.map_tile_url, "tile_attribution": settings.map_tile_attribution,
        "refresh_seconds": 60,
    })
