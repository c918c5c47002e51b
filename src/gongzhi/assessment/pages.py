"""HTML pages of assessment: the list of indicator sets, the set editor (classes, indicators, weights against
100), a period's ranking with the red and yellow lists (红黄榜) and the change since the previous period, one
region's scorecard, and the manual score form. Thin: each route calls the service and renders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from gongzhi.assessment import service
from gongzhi.assessment.metrics import METRICS
from gongzhi.assessment.models import (
    LEVELS,
    METHODS,
    NO_DATA,
    PERIOD_KINDS,
    PERIOD_STATUSES,
    SET_STATUSES,
    IndicatorSet,
)
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, ValidationFailed
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, SessionDep, render, templates

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1)]
PeriodKey = Annotated[str, Path(max_length=8)]
SET_ACTIONS = "^(settings|class|indicator|delete|activate|archive)$"
LABELS = {"levels": LEVELS, "period_kinds": PERIOD_KINDS, "set_statuses": SET_STATUSES, "methods": METHODS,
          "no_data": NO_DATA, "period_statuses": PERIOD_STATUSES, "metrics": METRICS}
SET_FIELDS = ("name", "description", "level", "period_kind", "region_code", "red_count", "yellow_count")
INDICATOR_FIELDS = ("class_id", "code", "name", "method", "max_score", "metric", "full_at", "zero_at", "if_no_data",
                    "deduction", "guidance", "seq")


def points(value: float | None) -> str:
    """A score as people write it: 95, 87.5, −5 (no trailing .0)."""
    return "" if value is None else f"{value:g}".replace("-", "−")


templates.env.filters["pts"] = points


def _ctx(**kw: Any) -> dict[str, Any]:
    return {**LABELS, "nav": "assessment", **kw}


def _errors(exc: ValidationFailed) -> dict[str, str]:
    details = exc.details if isinstance(exc.details, list) else []
    return {d["field"]: d["reason"] for d in details if isinstance(d, dict)} or {"_": exc.message}


def _back(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _refused(request: Request, exc: AppError, back: str) -> Response:
    """A refused action: the reason and the way back, with the error's status (403/404 are the app's own pages)."""
    if exc.status in (403, 404):
        raise exc
    return render(request, "assessment/message.html", _ctx(title="未能完成", message=exc.message, back=back),
                  status_code=exc.status)


async def _form(request: Request, names: tuple[str, ...] | None = None) -> dict[str, str]:
    form = await request.form()
    keys = names if names is not None else tuple(k for k in form if k != "csrf_token")
    return {k: str(form.get(k) or "") for k in keys}


# ---- sets -------------------------------------------------------------------------------------------------

@router.get("/assessment")
def sets_page(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    rows = [service.set_dict(session, s) for s in service.list_sets(session, principal)]
    for d in rows:
        d["default_period"] = d["periods"][0]["period"] if d["periods"] else service.complete_periods(
            d["period_kind"], service.today(), 1)[0]
    return render(request, "assessment/sets.html", _ctx(title="考核排名", sets=rows,
                                                        manage=principal.can(service.MANAGE)))


def _set_form(request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    return render(request, "assessment/set_form.html", _ctx(title="新建指标体系", values=values, errors=errors),
                  status_code=status)


@router.get("/assessment/sets/new")
def new_set(request: Request, principal: CurrentPrincipal) -> Response:
    service.require_manage(principal)
    return _set_form(request, {"level": "community", "period_kind": "month", "red_count": 3, "yellow_count": 3,
                               "region_code": principal.scope_code}, {})


@router.post("/assessment/sets/new", dependencies=[CsrfChecked])
async def create_set(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    raw = await _form(request, SET_FIELDS)
    try:
        row = service.create_set(session, principal, raw)
    except ValidationFailed as exc:
        return _set_form(request, raw, _errors(exc), 422)
    return _back(f"/assessment/sets/{row.id}")


def _editor(request: Request, session: Session, principal: Principal, row: IndicatorSet, *,
            errors: dict[str, str] | None = None, values: dict[str, Any] | None = None, form: str = "",
            status: int = 200) -> Response:
    data = service.set_dict(session, row, detail=True)
    return render(request, "assessment/set.html", _ctx(
        title=row.name, s=data, manage=principal.can(service.MANAGE), errors=errors or {}, values=values or {},
        form=form, default_period=data["periods"][0]["period"] if data["periods"] else service.current_period(row),
        gap=round(service.FULL - data["weight_total"], 2)), status_code=status)


@router.get("/assessment/sets/{set_id}")
def set_page(set_id: Id, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _editor(request, session, principal, service.get_set(session, principal, set_id))


@router.post("/assessment/sets/{set_id}/{action}", dependencies=[CsrfChecked])
async def set_action(set_id: Id, action: Annotated[str, Path(pattern=SET_ACTIONS)], request: Request,
                     session: SessionDep, principal: CurrentPrincipal) -> Response:
    row = service.get_set(session, principal, set_id, to=service.MANAGE)
    raw = await _form(request)
    back = f"/assessment/sets/{row.id}"
    try:
        if action == "settings":
            service.update_set(session, principal, row, {k: v for k, v in raw.items() if k in SET_FIELDS})
        elif action == "class":
            service.add_class(session, principal, row, raw)
        elif action == "indicator":
            service.add_indicator(session, principal, row, {k: v for k, v in raw.items() if k in INDICATOR_FIELDS})
        elif action == "delete":
            indicator = service.get_indicator(session, row, int(raw.get("indicator_id") or 0))
            service.delete_indicator(session, principal, row, indicator)
        elif action == "activate":
            service.activate(session, principal, row)
        else:
            service.update_set(session, principal, row, {"status": "archived"})
    except ValidationFailed as exc:
        return _editor(request, session, principal, row, errors=_errors(exc), values=raw, form=action, status=422)
    except AppError as exc:
        return _refused(request, exc, back)
    return _back(back + "?saved=1")


# ---- periods ----------------------------------------------------------------------------------------------

@router.get("/assessment/sets/{set_id}/periods/{period}")
def ranking_page(set_id: Id, period: PeriodKey, request: Request, session: SessionDep,
                 principal: CurrentPrincipal) -> Response:
    row = service.get_set(session, principal, set_id)
    view = service.ranking(session, principal, row, period)
    return render(request, "assessment/ranking.html", _ctx(title=f"{row.name} · {view['label']}", v=view,
                                                           s=service.set_dict(session, row)))


@router.post("/assessment/sets/{set_id}/periods/{period}/{action}", dependencies=[CsrfChecked])
def period_action(set_id: Id, period: PeriodKey, action: Annotated[str, Path(pattern="^(compute|publish)$")],
                  request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    row = service.get_set(session, principal, set_id, to=service.SCORE)
    back = f"/assessment/sets/{row.id}/periods/{period}"
    try:
        if action == "compute":
            service.compute_period(session, principal, row, period)
        else:
            service.publish_period(session, principal, row, period)
    except AppError as exc:
        return _refused(request, exc, back)
    return _back(back + f"?done={action}")


@router.get("/assessment/sets/{set_id}/periods/{period}/regions/{region_code}")
def scorecard_page(set_id: Id, period: PeriodKey, region_code: str, request: Request, session: SessionDep,
                   principal: CurrentPrincipal) -> Response:
    row = service.get_set(session, principal, set_id)
    card = service.scorecard(session, principal, row, period, region_code)
    return render(request, "assessment/scorecard.html", _ctx(title=f"{card['region'].name} · {card['label']}",
                                                             c=card, s=service.set_dict(session, row)))


def _score_form(request: Request, card: dict[str, Any], s: dict[str, Any], values: dict[str, str],
                errors: dict[str, str], status: int = 200) -> Response:
    lines = [line for line in card["lines"] if line["method"] != "computed"]
    return render(request, "assessment/score_form.html", _ctx(
        title=f"评分 · {card['region'].name}", c=card, s=s, lines=lines, values=values, errors=errors),
        status_code=status)


def _typed(card: dict[str, Any]) -> dict[str, str]:
    """The form's starting values: the scores already given."""
    values: dict[str, str] = {}
    for line in card["lines"]:
        if line["method"] == "computed" or not line["scored"]:
            continue
        if line["method"] == "manual":
            values[f"{line['code']}_score"] = f"{line['score']:g}"
        elif line["value"]:
            values[f"{line['code']}_failed"] = "1"
        values[f"{line['code']}_evidence"] = line["evidence"]
    return values


@router.get("/assessment/sets/{set_id}/periods/{period}/regions/{region_code}/score")
def score_form(set_id: Id, period: PeriodKey, region_code: str, request: Request, session: SessionDep,
               principal: CurrentPrincipal) -> Response:
    row = service.get_set(session, principal, set_id, to=service.SCORE)
    card = service.scorecard(session, principal, row, period, region_code)
    return _score_form(request, card, service.set_dict(session, row), _typed(card), {})


@router.post("/assessment/sets/{set_id}/periods/{period}/regions/{region_code}/score", dependencies=[CsrfChecked])
async def save_scores(set_id: Id, period: PeriodKey, region_code: str, request: Request, session: SessionDep,
                      principal: CurrentPrincipal) -> Response:
    row = service.get_set(session, principal, set_id, to=service.SCORE)
    raw = await _form(request)
    back = f"/assessment/sets/{row.id}/periods/{period}/regions/{region_code}"
    try:
        service.save_score_form(session, principal, row, period, region_code, raw)
    except ValidationFailed as exc:
        card = service.scorecard(session, principal, row, period, region_code)
        return _score_form(request, card, service.set_dict(session, row), raw, _errors(exc), 422)
    except AppError as exc:
        return _refused(request, exc, back)
    return _back(back + "?saved=1")
