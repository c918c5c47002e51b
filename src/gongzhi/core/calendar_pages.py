"""The admin page of the working-day calendar: a year as twelve month grids, the warning for a year without an
official schedule, a form to set one day, and the import of a year from Excel (all rows or none)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from gongzhi.core import calendar
from gongzhi.core.errors import AppError, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.register_api import read_upload
from gongzhi.core.web import CsrfChecked, SessionDep, render, require

router = APIRouter(include_in_schema=False, dependencies=[require("calendar:write")])
PAGE = "/admin/calendar"
KINDS = {"work": N_("上班"), "rest": N_("休息"), "default": N_("恢复默认（周一至周五上班）")}
SAVED = {"day": N_("已保存，此后计算的期限按新的安排。"), "known": N_("已更新该年的录入状态。")}


def _this_year() -> int:
    return dt.datetime.now(ZoneInfo(calendar.DEFAULT_TIMEZONE)).year


def _page(request: Request, session: SessionDep, year: int, *, status: int = 200, **extra: Any) -> Response:
    view = calendar.year_view(session, year)
    months = [(m, view.calendar.month_weeks(year, m)) for m in range(1, 13)]
    form = {"date": "", "kind": "rest", "name": ""}
    chosen = request.query_params.get("date")
    if chosen:
        try:
            day = dt.date.fromisoformat(chosen)
        except ValueError:
            day = None
        if day is not None:
            stored = view.calendar.day(day)
            kind = ("work" if stored.is_workday else "rest") if stored else ("rest" if day.weekday() < 5 else "work")
            form = {"date": day.isoformat(), "kind": kind, "name": (stored.name if stored else "") or ""}
    form.update(extra.pop("form", {}))
    return render(request, "calendar/year.html", {
        "title": f"{year} 年工作日历", "nav": "calendar", "view": view, "year": year, "months": months,
        "form": form, "kinds": KINDS, "saved": SAVED.get(request.query_params.get("saved", "")),
        "this_year": _this_year(), "min_year": calendar.MIN_YEAR, "max_year": calendar.MAX_YEAR,
        "report": None, "error": None, "errors": [], "section": None, **extra}, status_code=status)


@router.get(PAGE)
def year_page(request: Request, session: SessionDep,
              year: Annotated[int | None, Query(ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR)] = None) -> Response:
    return _page(request, session, year or _this_year())


@router.post(f"{PAGE}/day", dependencies=[CsrfChecked])
def set_day(request: Request, session: SessionDep, date: Annotated[str, Form()] = "",
            kind: Annotated[str, Form()] = "rest", name: Annotated[str, Form()] = "",
            year: Annotated[int | None, Form(ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR)] = None) -> Response:
    form = {"date": date, "kind": kind, "name": name}
    try:
        day = dt.date.fromisoformat(date.strip())
    except ValueError:
        return _page(request, session, year or _this_year(), status=422, form=form,
                     error=N_("请填写日期，如 2027-10-01"))
    try:
        if kind == "default":
            calendar.clear_day(session, day, missing_ok=True)
        elif kind in ("work", "rest"):
            calendar.set_day(session, day, is_workday=kind == "work", name=name)
        else:
            raise ValidationFailed("请选择上班、休息或恢复默认")
    except ValidationFailed as exc:
        shown = day.year if calendar.MIN_YEAR <= day.year <= calendar.MAX_YEAR else year or _this_year()
        return _page(request, session, shown, status=422, form=form, error=exc.message)
    return RedirectResponse(f"{PAGE}?year={day.year}&date={day.isoformat()}&saved=day", status_code=303)


@router.post(f"{PAGE}/known", dependencies=[CsrfChecked])
def set_known(session: SessionDep, year: Annotated[int, Form(ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR)],
              known: Annotated[str, Form()] = "1", note: Annotated[str, Form(max_length=200)] = "") -> Response:
    calendar.set_year_known(session, year, known=known == "1", note=note)
    return RedirectResponse(f"{PAGE}?year={year}&saved=known", status_code=303)


@router.post(f"{PAGE}/import", dependencies=[CsrfChecked])
async def import_file(request: Request, session: SessionDep,
                      year: Annotated[int, Form(ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR)],
                      file: Annotated[UploadFile, File()], dry_run: Annotated[str | None, Form()] = None) -> Response:
    report = None
    error = None
    errors: list[dict[str, Any]] = []
    try:
        data = await read_upload(file)
        report = await run_in_threadpool(calendar.import_file, session, year, data, dry_run=bool(dry_run),
                                         filename=file.filename or "")
    except AppError as exc:
        error = exc.message
        errors = exc.details if isinstance(exc.details, list) else []
    status = 200 if report is not None else 422
    return await run_in_threadpool(_page, request, session, year, status=status, report=report, error=error,
                                   errors=errors, filename=file.filename or "", section="import")
