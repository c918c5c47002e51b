"""The figures an indicator can be computed from (数据指标), each `(session, region, start, end) -> float | None` over
`[start, end)` (first days of months, Beijing time). `None` means there is nothing to measure (a zero
denominator); the indicator then scores by its `if_no_data` rule. Appeal figures come from the dashboard's
roll-ups; the others count their own domain's rows (the SQL lives in repository.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gongzhi.assessment import repository as repo
from gongzhi.core.i18n import N_
from gongzhi.regions.models import Region

MetricFn = Callable[[Session, Region, dt.date, dt.date], float | None]


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    unit: str  # "rate" (0–1) or "hours"
    description: str
    fn: MetricFn


def _kpi(name: str) -> MetricFn:
    def fn(session: Session, region: Region, start: dt.date, end: dt.date) -> float | None:
        from gongzhi.dashboard.service import kpis  # the dashboard's roll-ups (docs/dashboard.md)

        value = kpis(session, region, start, end).get(name)
        return None if value is None else float(value)

    return fn


def grid_staff_coverage(session: Session, region: Region, _start: dt.date, _end: dt.date) -> float | None:
    grids, staffed = repo.grid_staff_counts(session, region)
    return staffed / grids if grids else None


def party_reporting_rate(session: Session, region: Region, _start: dt.date, end: dt.date) -> float | None:
    reported, registered = repo.reporting_counts(session, region, end)
    return reported / registered if registered else None


def needs_matched_rate(session: Session, region: Region, start: dt.date, end: dt.date) -> float | None:
    matched, raised = repo.need_counts(session, region, start, end)
    return matched / raised if raised else None


def wishes_fulfilled_rate(session: Session, region: Region, start: dt.date, end: dt.date) -> float | None:
    fulfilled, posted = repo.wish_counts(session, region, start, end)
    return fulfilled / posted if posted else None


def service_hours(session: Session, region: Region, start: dt.date, end: dt.date) -> float | None:
    return repo.service_hours(session, region, start, end)


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("appeal_response_rate", N_("诉求响应率"), "rate", N_("期内受理的诉求中已响应（接单）的比例"),
           _kpi("response_rate")),
    Metric("appeal_resolution_rate", N_("诉求解决率"), "rate", N_("期内受理的诉求中已办结的比例"),
           _kpi("resolution_rate")),
    Metric("appeal_satisfaction_rate", N_("群众满意率"), "rate", N_("已评价诉求中满意的比例"),
           _kpi("satisfaction_rate")),
    Metric("appeal_on_time_rate", N_("按时办结率"), "rate", N_("已办结诉求中在时限内办结的比例"),
           _kpi("on_time_rate")),
    Metric("grid_staff_coverage", N_("网格力量配备率"), "rate",
           N_("配有网格员（至少一名网格力量）的网格占网格总数的比例"), grid_staff_coverage),
    Metric("party_reporting_rate", N_("在职党员报到率"), "rate",
           N_("期末已确认到社区报到的在职党员人数与社区登记党员人数之比"), party_reporting_rate),
    Metric("needs_matched_rate", N_("共建需求对接率"), "rate", N_("期内登记的共建需求中已立项或已完成的比例"),
           needs_matched_rate),
    Metric("wishes_fulfilled_rate", N_("微心愿实现率"), "rate", N_("期内发布的微心愿中已实现的比例"),
           wishes_fulfilled_rate),
    Metric("service_hours", N_("志愿服务时长"), "hours", N_("期内经确认的志愿服务总时长（小时）"), service_hours),
)}
