"""JSON routes of the working-day calendar: anyone signed in reads a year; admins set or clear a day, mark a
year's schedule as complete, and import a year from Excel (all rows or none). Thin: each calls one function of
gongzhi.core.calendar."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from gongzhi.core import calendar
from gongzhi.core.register_api import read_upload, xlsx_response
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, SessionDep, require

router = APIRouter(tags=["工作日历"])
Year = Annotated[int, Path(ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR, description="年份")]
WRITE = [require("calendar:write"), CsrfChecked]


class DayUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_workday: bool = Field(description="true：上班；false：休息")
    name: str | None = Field(None, max_length=calendar.NAME_MAX, description="如 春节、国庆节、调休上班")


class YearUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    known: bool = Field(description="true：该年的放假安排已全部录入；false：按周一至周五计算并提示")
    note: str | None = Field(None, max_length=200)


def _day(row: calendar.CalendarDay) -> dict[str, Any]:
    return calendar.Day(row.date, row.is_workday, row.name, row.source).to_dict()


@router.get("/api/v1/calendar/{year}", summary="一年的工作日历（节假日、调休上班）")
def get_year(year: Year, session: SessionDep, _principal: CurrentPrincipal) -> dict[str, Any]:
    return calendar.year_view(session, year).to_dict()


@router.get("/api/v1/calendar/{year}/template.xlsx", summary="放假安排导入模板（含该年现有安排）")
def template(year: Year, session: SessionDep, _principal: CurrentPrincipal) -> Response:
    data = calendar.schedule_template(calendar.year_view(session, year).calendar, year)
    return xlsx_response(data, f"{year}年放假安排.xlsx")


@router.put("/api/v1/calendar/{year}", summary="标记该年放假安排已录入（或取消）", dependencies=WRITE)
def put_year(year: Year, body: YearUpdate, session: SessionDep) -> dict[str, Any]:
    calendar.set_year_known(session, year, known=body.known, note=body.note)
    return calendar.year_view(session, year).to_dict()


@router.put("/api/v1/calendar/days/{day}", summary="设置某一天上班或休息", dependencies=WRITE)
def put_day(day: dt.date, body: DayUpdate, session: SessionDep) -> dict[str, Any]:
    return _day(calendar.set_day(session, day, is_workday=body.is_workday, name=body.name))


@router.delete("/api/v1/calendar/days/{day}", status_code=204, summary="取消某一天的特别安排（恢复按周一至周五）",
               dependencies=WRITE)
def delete_day(day: dt.date, session: SessionDep) -> Response:
    calendar.clear_day(session, day)
    return Response(status_code=204)


@router.post("/api/v1/calendar/{year}/import", summary="导入一年的放假安排（全部成功或全部不导入）",
             dependencies=WRITE)
async def import_year(year: Year, session: SessionDep, file: Annotated[UploadFile, File()],
                      dry_run: Annotated[bool, Form()] = False) -> dict[str, Any]:
    data = await read_upload(file)
    report = await run_in_threadpool(calendar.import_file, session, year, data, dry_run=dry_run,
                                     filename=file.filename or "")
    return report.to_dict()
