"""The dashboards' rules (docs/dashboard.md): which region and months a request covers, how the figures and
rates are defined, drill-down to the cases behind a figure, and the slices' names. Every figure comes from the
roll-ups (`dashboard.rollup`); only the page of cases behind a figure and the open appeals read appeal rows."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals.flow import STATUS_LABELS, Status
from gongzhi.appeals.models import CHANNEL_LABELS, Appeal
from gongzhi.core.auth import Principal
from gongzhi.core.errors import NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.settings import get_settings
from gongzhi.dashboard import repository as repo
from gongzhi.dashboard.models import BUCKETS, DIMS, HOUR_BOUNDS
from gongzhi.dashboard.rollup import month_bounds, utc_midnight
from gongzhi.duties.models import TIER_LABELS, Department, DutyCategory, MatterType
from gongzhi.regions.models import LEVEL_LABELS, Region

MAX_MONTHS = 36
MAX_CASE_ROWS = 10_000  # deeper than this a list is not read page by page: narrow the filter or export
RATES = {  # name: (numerator, denominator)
    "response_rate": ("responded", "registered"), "resolution_rate": ("resolved", "registered"),
    "satisfaction_rate": ("satisfied", "rated"), "on_time_rate": ("on_time", "resolved"),
}
RATE_LABELS = {"response_rate": N_("响应率"), "resolution_rate": N_("解决率"), "satisfaction_rate": N_("满意率"),
               "on_time_rate": N_("按期办结率")}
DIM_LABELS = {"channel": N_("渠道"), "tier": N_("办理层级"), "category": N_("类别"), "matter": N_("事项"),
              "department": N_("部门"), "child": N_("下级区域")}
METRIC_LABELS = {
    "received": N_("受理总量"), "registered": N_("立案"), "responded": N_("已响应"), "unresponded": N_("未响应"),
    "resolved": N_("已办结"), "unresolved": N_("未办结"), "on_time": N_("按期办结"), "rated": N_("已评价"),
    "satisfied": N_("满意"), "unsatisfied": N_("不满意"), "ever_overdue": N_("曾超时"), "supervised": N_("督办"),
    "escalated": N_("上提"), "closed": N_("已结案"),
}
OPEN_LABELS = {"open": N_("在办"), "overdue": N_("已超时"), "warning": N_("临期预警"), "supervised": N_("督办中")}
UNASSIGNED = N_("未分派")


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def today() -> dt.date:
    return dt.datetime.now(zone()).date()


# ---- what a request covers -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Whole months [start, end), in local time: what every figure of a dashboard covers."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    @property
    def label(self) -> str:
        last = self.last_month
        if self.months == 1:
            return f"{last.year}年{last.month}月"
        return f"{self.start.year}年{self.start.month}月—{last.year}年{last.month}月"

    @property
    def last_month(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).replace(day=1)

    @property
    def key_from(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def key_to(self) -> str:
        return f"{self.last_month:%Y-%m}"

    def utc(self) -> tuple[dt.datetime, dt.datetime]:
        return utc_midnight(self.start), utc_midnight(self.end)

    def previous(self) -> Period:
        """The same number of months just before (环比)."""
        start = self.start
        for _ in range(self.months):
            start = (start - dt.timedelta(days=1)).replace(day=1)
        return Period(start, self.start)


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: str, field: str) -> dt.date:
    m = MONTH.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationFailed("月份格式应为 YYYY-MM，例如 2026-10", details={"field": field, "value": value})
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def period(from_: str | None = None, to: str | None = None) -> Period:
    """The months a request asked for: `from`–`to` (YYYY-MM, both included); one of them alone is one month;
    neither is the current month."""
    if not from_ and not to:
        first = today().replace(day=1)
        return Period(first, month_bounds(first)[1])
    start = _month(from_ or to or "", "from" if from_ else "to")
    last = _month(to, "to") if to else start
    if last < start:
        raise ValidationFailed("结束月份不能早于开始月份", details={"from": from_, "to": to})
    p = Period(start, month_bounds(last)[1])
    if p.months > MAX_MONTHS:
        raise ValidationFailed(f"一次最多查看 {MAX_MONTHS} 个月", details={"months": p.months})
    return p


def scope_region(session: Session, principal: Principal, code: str | None) -> Region:
    """The region a dashboard shows: the actor's own node, or a node under it (outside → 404)."""
    code = code or principal.scope_code
    region = session.scalars(select(Region).where(Region.code == code)).first()
    if region is None or not principal.covers(region.path):
        raise NotFound("未找到该区域或不在您的管辖范围内")
    return region


def breadcrumbs(session: Session, principal: Principal, region: Region) -> list[dict[str, str]]:
    """The way back up, from the actor's own node down to `region`."""
    codes = region.path.strip("/").split("/")
    rows = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    return [{"code": c, "name": rows[c].name, "level": rows[c].level} for c in codes
            if c in rows and principal.covers(rows[c].path)]


# ---- figures ----------------------------------------------------------------------------------------------

def rates(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures with their rates (None when nothing to divide by), median and mean handling hours added."""
    out = dict(figures)
    for name, (num, den) in RATES.items():
        out[name] = round(figures[num] / figures[den], 4) if figures.get(den) else None
    out["median_hours"] = median_hours([figures.get(b, 0) for b in BUCKETS])
    out["mean_hours"] = round(figures["hours_sum"] / figures["resolved"], 1) if figures.get("resolved") else None
    return out


def median_hours(buckets: list[int]) -> float | None:
    """The median handling time read off the histogram: the bucket that holds the middle appeal, and a linear
    position inside it (the last bucket, ≥ 720 h, answers its lower bound)."""
    total = sum(buckets)
    if not total:
        return None
    half, seen = total / 2, 0
    lowers = (0, *HOUR_BOUNDS)
    for i, n in enumerate(buckets):
        if n and seen + n >= half:
            if i == len(HOUR_BOUNDS):
                return float(lowers[i])
            low, high = lowers[i], HOUR_BOUNDS[i]
            return round(low + (high - low) * (half - seen) / n, 1)
        seen += n
    return float(lowers[-1])


def kpis(session: Session, region: Region, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The region's figures and rates for the months [start, end) — what other domains (assessment) read."""
    return rates(repo.totals(session, region.id, start, end))


def summary(session: Session, principal: Principal, code: str | None, p: Period) -> dict[str, Any]:
    region = scope_region(session, principal, code)
    now_figures = kpis(session, region, p.start, p.end)
    prev = p.previous()
    before = kpis(session, region, prev.start, prev.end)
    state = repo.rollup_state(session)
    return {
        "region": region_info(region), "breadcrumbs": breadcrumbs(session, principal, region),
        "period": period_info(p), "previous_period": period_info(prev), "figures": now_figures,
        "previous": before, "change": _change(now_figures, before), "open": repo.open_counts(session, region),
        "refreshed_at": state.refreshed_at.isoformat() if state and state.refreshed_at else None,
    }


def _change(now_f: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in ("received", "resolved", *RATES, "median_hours"):
        a, b = now_f.get(k), before.get(k)
        out[k] = None if a is None or b is None else round(a - b, 4)
    return out


def region_info(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": region.level,
            "level_label": str(LEVEL_LABELS[region.level]) if region.level in LEVEL_LABELS else region.level}


def period_info(p: Period) -> dict[str, Any]:
    return {"from": p.key_from, "to": p.key_to, "months": p.months, "label": p.label}


def trend(session: Session, principal: Principal, code: str | None, p: Period, by: str) -> dict[str, Any]:
    """Received, resolved and the rates per day, week (Monday–Sunday) or month; every period listed, empty ones
    with zeros, so a chart's axis has no gaps."""
    if by not in ("day", "week", "month"):
        raise ValidationFailed("by 只能是 day、week 或 month", details={"by": by})
    region = scope_region(session, principal, code)
    rows = repo.series(session, region.id, "month" if by == "month" else "day", p.start, p.end)
    buckets: dict[dt.date, dict[str, Any]] = {}
    for key in _axis(p, by):
        buckets[key] = repo.empty()
    for r in rows:
        day = r.pop("period")
        key = day - dt.timedelta(days=day.weekday()) if by == "week" else day
        slot = buckets.setdefault(key, repo.empty())
        for n in repo.FIGURES:
            slot[n] += r[n]
    points = [{"period": k.isoformat(), **_public(rates(v))} for k, v in sorted(buckets.items())]
    return {"region": region_info(region), "period": period_info(p), "by": by, "points": points}


def trend_grain(p: Period) -> str:
    """The trend's default step: days for up to two months, weeks up to a year, months beyond."""
    return "day" if p.months <= 2 else "week" if p.months <= 12 else "month"


def _axis(p: Period, by: str) -> list[dt.date]:
    out, d = [], p.start
    if by == "month":
        while d < p.end:
            out.append(d)
            d = month_bounds(d)[1]
        return out
    if by == "week":
        d = d - dt.timedelta(days=d.weekday())
        while d < p.end:
            out.append(d)
            d += dt.timedelta(days=7)
        return out
    while d < p.end:
        out.append(d)
        d += dt.timedelta(days=1)
    return out


def _public(figures: dict[str, Any]) -> dict[str, Any]:
    """Figures as the API shows them: the histogram stays inside."""
    return {k: v for k, v in figures.items() if k not in BUCKETS}


def breakdown(session: Session, principal: Principal, code: str | None, p: Period, dim: str,
              limit: int | None = None) -> dict[str, Any]:
    """The region's figures per channel, tier, category, matter type or department (largest first), or per
    region of its drill-down level (`child`, in code order: the ranking and the map's colours)."""
    region = scope_region(session, principal, code)
    if dim == "child":
        return children(session, region, p)
    if dim not in DIMS or dim == "all":
        raise ValidationFailed("dim 只能是 channel、tier、category、matter、department 或 child", details={"dim": dim})
    rows = repo.by_key(session, region.id, dim, p.start, p.end)
    names = key_names(session, dim, [r["key"] for r in rows])
    items = [{"key": r["key"], "name": names.get(r["key"], r["key"]), **_public(rates(r))} for r in rows]
    items.sort(key=lambda r: (-r["received"], r["key"]))
    if limit:
        items = items[:limit]
    return {"region": region_info(region), "period": period_info(p), "dim": dim, "dim_label": str(DIM_LABELS[dim]),
            "items": items, "sliced": dim not in ("matter", "department") or region.level not in ("compound", "grid")}


def key_names(session: Session, dim: str, keys: list[str]) -> dict[str, str]:
    """The names of a slice's keys (Chinese; pages translate the fixed ones)."""
    if dim == "channel":
        return {k: str(CHANNEL_LABELS.get(k, k)) for k in keys}
    if dim == "tier":
        return {k: str(TIER_LABELS.get(k, UNASSIGNED)) for k in keys}
    model = {"category": DutyCategory, "matter": MatterType, "department": Department}[dim]
    ids = [int(k) for k in keys if k.isdigit()]
    if not ids:
        return {}
    out: dict[str, str] = {}
    for i in range(0, len(ids), 900):
        out.update({str(i_): n for i_, n in session.execute(select(model.id, model.name).where(
            model.id.in_(ids[i:i + 900])))})
    return out


def children(session: Session, region: Region, p: Period) -> dict[str, Any]:
    """The figures of each region the dashboard drills into (repository.children), in code order."""
    kids = repo.children(session, region)
    figures = repo.by_region(session, [k.id for k in kids], p.start, p.end)
    level = kids[0].level if kids else None
    items = [{"key": k.code, "code": k.code, "name": k.name, "level": k.level,
              **_public(rates(figures.get(k.id, repo.empty())))} for k in kids]
    return {"region": region_info(region), "period": period_info(p), "dim": "child",
            "dim_label": str(LEVEL_LABELS[level]) if level else "", "level": level, "items": items, "sliced": True}


_HOUSEHOLDS: dict[tuple[str, int], tuple[float, Counter[int]]] = {}
HOUSEHOLDS_TTL = 300.0  # seconds: the registers change by the day, a dashboard is read by the minute


def _households(session: Session, region: Region) -> Counter[int]:
    """Households per grid under `region`, counted from the register at most every five minutes per process (the
    count reads every household of the region; the figure beside it is per 100 households, not a register)."""
    from gongzhi.regions import repository as regions_repo

    key = (str(session.get_bind().engine.url), region.id)
    hit = _HOUSEHOLDS.get(key)
    if hit and time.monotonic() - hit[0] < HOUSEHOLDS_TTL:
        return hit[1]
    households, _ = regions_repo.grid_counts(session, region, residents_too=False)
    _HOUSEHOLDS[key] = (time.monotonic(), households)
    return households


def grid_load(session: Session, principal: Principal, code: str | None, p: Period) -> dict[str, Any]:
    """Every grid under the region: appeals received, per 100 households, open now is on the lists."""
    region = scope_region(session, principal, code)
    grids = [region] if region.level == "grid" else repo.grids(session, region)
    households = _households(session, region)
    figures = repo.by_region(session, [g.id for g in grids], p.start, p.end)
    items = []
    for g in grids:
        f = _public(rates(figures.get(g.id, repo.empty())))
        hh = households.get(g.id, 0)
        items.append({"code": g.code, "name": g.name, "households": hh,
                      "per_100_households": round(f["received"] * 100 / hh, 1) if hh else None, **f})
    items.sort(key=lambda r: (-r["received"], r["code"]))
    return {"region": region_info(region), "period": period_info(p), "items": items}


# ---- the cases behind a figure -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseFilter:
    metric: str = "received"
    dim: str | None = None
    key: str | None = None
    day: dt.date | None = None


def case_filter(metric: str | None, dim: str | None, key: str | None, day: str | None) -> CaseFilter:
    metric = metric or "received"
    if metric not in repo.METRICS:
        raise ValidationFailed("不支持的指标", details={"metric": metric, "allowed": sorted(repo.METRICS)})
    if dim in (None, "", "all"):
        dim, key = None, None
    elif dim not in repo.DIM_COLUMNS:
        raise ValidationFailed("dim 只能是 channel、tier、category、matter 或 department", details={"dim": dim})
    elif key is None:
        raise ValidationFailed("按维度下钻时需要 key", details={"dim": dim})
    elif dim in ("category", "matter", "department") and not key.isdigit():
        raise ValidationFailed("key 应为编号", details={"dim": dim, "key": key})
    when = None
    if day:
        try:
            when = dt.date.fromisoformat(day)
        except ValueError as exc:
            raise ValidationFailed("日期格式应为 YYYY-MM-DD", details={"day": day}) from exc
    return CaseFilter(metric, dim, key, when)


def cases(session: Session, principal: Principal, code: str | None, p: Period, f: CaseFilter, page: int,
          size: int) -> dict[str, Any]:
    """One page of the appeals behind a figure (newest first). The total is the figure itself, read from the
    roll-ups, so the list and the number on the dashboard cannot disagree."""
    region = scope_region(session, principal, code)
    if f.day is not None:
        start, end = utc_midnight(f.day), utc_midnight(f.day + dt.timedelta(days=1))
        day_rows = repo.series(session, region.id, "day", f.day, f.day + dt.timedelta(days=1))
        totals = day_rows[0] if day_rows else repo.empty()
        if f.dim:
            raise ValidationFailed("按日下钻时不能再按维度筛选", details={"day": str(f.day), "dim": f.dim})
    else:
        start, end = p.utc()
        if f.dim:
            row = next((r for r in repo.by_key(session, region.id, f.dim, p.start, p.end) if r["key"] == f.key), None)
            totals = row or repo.empty()
        else:
            totals = repo.totals(session, region.id, p.start, p.end)
    total = _metric_total(totals, f.metric)
    offset = (page - 1) * size
    if offset >= MAX_CASE_ROWS:
        raise ValidationFailed(f"列表只能翻到前 {MAX_CASE_ROWS:,} 件，请缩小范围或导出",
                               details={"page": page, "size": size})
    rows = repo.case_page(session, region, start, end, metric=f.metric, dim=f.dim, key=f.key, offset=offset,
                          limit=size)
    return {"region": region_info(region), "period": period_info(p), "metric": f.metric,
            "metric_label": str(METRIC_LABELS[f.metric]), "dim": f.dim, "key": f.key,
            "day": f.day.isoformat() if f.day else None, "total": total, "page": page, "size": size,
            "items": [case_row(a) for a in rows]}


def _metric_total(totals: dict[str, Any], metric: str) -> int:
    derived = {"unresponded": ("registered", "responded"), "unresolved": ("registered", "resolved"),
               "unsatisfied": ("rated", "satisfied")}
    if metric in derived:
        a, b = derived[metric]
        return int(totals.get(a, 0)) - int(totals.get(b, 0))
    return int(totals.get(metric, 0))


def case_row(a: Appeal) -> dict[str, Any]:
    return {"id": a.id, "title": a.title, "status": a.status, "status_label": str(STATUS_LABELS[Status(a.status)]),
            "channel": a.channel, "created_at": a.created_at.isoformat(), "address": a.address,
            "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None, "rating": a.rating,
            "overdue": a.overdue, "ever_overdue": a.ever_overdue, "supervised": a.supervised, "tier": a.tier,
            "due_at": a.due_at.isoformat() if a.due_at else None, "link": f"/appeals/{a.id}"}


def open_list(session: Session, principal: Principal, code: str | None, kind: str, page: int,
              size: int, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """Open appeals in the region now: overdue, warning (past 80 % of the limit), supervised, or all. `counts`:
    the region's open counts when the caller has them already (summary["open"])."""
    if kind not in repo.OPEN_KINDS:
        raise ValidationFailed("kind 只能是 open、overdue、warning 或 supervised", details={"kind": kind})
    region = scope_region(session, principal, code)
    counts = counts or repo.open_counts(session, region)
    offset = (page - 1) * size
    if offset >= MAX_CASE_ROWS:
        raise ValidationFailed(f"列表只能翻到前 {MAX_CASE_ROWS:,} 件", details={"page": page})
    rows = repo.open_page(session, region, kind, offset, size)
    return {"region": region_info(region), "kind": kind, "kind_label": str(OPEN_LABELS[kind]),
            "total": counts[kind], "page": page, "size": size, "items": [case_row(a) for a in rows]}


def activity(session: Session, principal: Principal, code: str | None, p: Period) -> dict[str, Any]:
    region = scope_region(session, principal, code)
    start, end = p.utc()
    return {"region": region_info(region), "period": period_info(p),
            "figures": repo.activity(session, region, start, end)}


def map_data(session: Session, principal: Principal, code: str | None, p: Period) -> dict[str, Any]:
    """The drill-down level's outlines (GeoJSON) with each area's figures, and open overdue appeals as points."""
    import json

    region = scope_region(session, principal, code)
    table = children(session, region, p)
    by_code = {r["code"]: r for r in table["items"]}
    kids = repo.children(session, region)
    features = []
    for k in kids:
        if not k.geometry:
            continue
        f = by_code.get(k.code, {})
        features.append({"type": "Feature", "geometry": json.loads(k.geometry),
                         "properties": {"code": k.code, "name": k.name, "level": k.level,
                                        "received": f.get("received", 0),
                                        "satisfaction_rate": f.get("satisfaction_rate"),
                                        "on_time_rate": f.get("on_time_rate"),
                                        "ever_overdue": f.get("ever_overdue", 0)}})
    points = [{"id": a.id, "title": a.title, "lat": a.lat, "lon": a.lon}
              for a in repo.open_page(session, region, "overdue", 0, 500) if a.lat is not None and a.lon is not None]
    outline = json.loads(region.geometry) if region.geometry else None
    return {"type": "FeatureCollection", "features": features, "region": region_info(region),
            "outline": outline, "overdue_points": points, "period": period_info(p)}


def page_view(session: Session, principal: Principal, code: str | None, p: Period, by: str = "day") -> dict[str, Any]:
    """Everything one dashboard page shows, for one region and period."""
    s = summary(session, principal, code, p)
    region = s["region"]["code"]
    level = s["region"]["level"]
    upper = level not in ("compound", "grid")
    view = {
        "summary": s, "trend": trend(session, principal, region, p, by),
        "children": breakdown(session, principal, region, p, "child"),
        "channel": breakdown(session, principal, region, p, "channel"),
        "tier": breakdown(session, principal, region, p, "tier"),
        "category": breakdown(session, principal, region, p, "category", limit=10) if upper else None,
        "matter": breakdown(session, principal, region, p, "matter", limit=10) if upper else None,
        "department": breakdown(session, principal, region, p, "department", limit=10) if upper else None,
        "grids": grid_load(session, principal, region, p) if level in ("street", "community", "compound") else None,
        "overdue": open_list(session, principal, region, "overdue", 1, 10, s["open"]),
        "warning": open_list(session, principal, region, "warning", 1, 10, s["open"]),
        "activity": activity(session, principal, region, p)["figures"],
    }
    return view


def screen_view(session: Session, principal: Principal, code: str | None) -> dict[str, Any]:
    """The big screen: this month so far, the last 30 days day by day, this year month by month."""
    this_month = period()
    year = Period(this_month.start.replace(month=1), this_month.end)
    s = summary(session, principal, code, this_month)
    region = s["region"]["code"]
    first = today() - dt.timedelta(days=29)
    last30 = trend(session, principal, region, Period(first.replace(day=1), this_month.end), "day")
    last30["points"] = [pt for pt in last30["points"] if pt["period"] >= first.isoformat()]
    return {
        "summary": s, "year": kpis(session, scope_region(session, principal, region), year.start, year.end),
        "year_period": period_info(year), "last30": last30,
        "months": trend(session, principal, region, year, "month"),
        "children": breakdown(session, principal, region, year, "child"),
        "matter": breakdown(session, principal, region, year, "matter", limit=8)
        if s["region"]["level"] not in ("compound", "grid") else breakdown(session, principal, region, year, "channel"),
        "channel": breakdown(session, principal, region, year, "channel"),
        "overdue": open_list(session, principal, region, "overdue", 1, 12, s["open"]),
        "activity": activity(session, principal, region, year)["figures"],
    }
