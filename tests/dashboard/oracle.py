"""The dashboard figures worked out a second way, straight from the appeal rows in plain Python, with the
definitions of docs/dashboard.md §1 — what the roll-ups are checked against. Nothing here imports the
dashboard package."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from gongzhi.regions.models import Region

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOUNDS = (2, 4, 8, 24, 48, 72, 120, 168, 240, 360, 720)
COUNTS = ("received", "registered", "responded", "resolved", "on_time", "rated", "satisfied", "ever_overdue",
          "supervised", "escalated", "closed")


@dataclass
class Row:
    id: int
    path: str
    day: dt.date  # local day received
    channel: str
    tier: str | None
    category_id: int | None
    matter_type_id: int | None
    department_id: int | None
    status: str
    registered: bool
    accepted: bool
    hours: float | None  # received → resolved
    rating: int | None
    ever_overdue: bool
    supervised: bool
    escalation_level: int
    created_at: dt.datetime

    @property
    def is_registered(self) -> bool:
        return self.registered and self.status not in ("rejected", "merged")

    @property
    def is_resolved(self) -> bool:
        return self.is_registered and self.hours is not None


def rows(session: Session) -> list[Row]:
    out = []
    for a in session.scalars(select(Appeal)):
        created = a.created_at.astimezone(dt.UTC)
        hours = None
        if a.resolved_at is not None:
            hours = (a.resolved_at.astimezone(dt.UTC) - created).total_seconds() / 3600
        out.append(Row(a.id, a.scope_path, created.astimezone(SHANGHAI).date(), a.channel, a.tier, a.category_id,
                       a.matter_type_id, a.assigned_department_id, a.status, a.registered_at is not None,
                       a.accepted_at is not None, hours, a.rating, a.ever_overdue, a.supervised, a.escalation_level,
                       created))
    return out


def regions(session: Session) -> dict[str, Region]:
    return {r.code: r for r in session.scalars(select(Region))}


def inside(row: Row, region: Region) -> bool:
    return row.path.startswith(region.path)


def figures(selected: list[Row]) -> dict[str, Any]:
    reg = [r for r in selected if r.is_registered]
    res = [r for r in reg if r.is_resolved]
    rated = [r for r in selected if r.rating is not None]
    f: dict[str, Any] = {
        "received": len(selected), "registered": len(reg), "responded": sum(r.accepted for r in reg),
        "resolved": len(res), "on_time": sum(not r.ever_overdue for r in res), "rated": len(rated),
        "satisfied": sum(r.rating >= 4 for r in rated), "ever_overdue": sum(r.ever_overdue for r in selected),
        "supervised": sum(r.supervised for r in selected), "escalated": sum(r.escalation_level > 0 for r in selected),
        "closed": sum(r.status == "closed" for r in selected),
    }
    f["response_rate"] = round(f["responded"] / f["registered"], 4) if f["registered"] else None
    f["resolution_rate"] = round(f["resolved"] / f["registered"], 4) if f["registered"] else None
    f["satisfaction_rate"] = round(f["satisfied"] / f["rated"], 4) if f["rated"] else None
    f["on_time_rate"] = round(f["on_time"] / f["resolved"], 4) if f["resolved"] else None
    hours = sorted(r.hours for r in res if r.hours is not None)
    f["mean_hours"] = round(sum(hours) / len(hours), 1) if hours else None
    f["exact_median_hours"] = statistics.median(hours) if hours else None
    # the buckets of the two middle values (one value when the count is odd) bound the histogram's median
    f["median_bucket"] = (bucket(hours[(len(hours) - 1) // 2])[0], bucket(hours[len(hours) // 2])[1]) if hours \
        else None
    return f


def bucket(hours: float) -> tuple[float, float]:
    """The histogram bucket [low, high) that holds `hours`."""
    low = 0.0
    for b in BOUNDS:
        if hours < b:
            return low, float(b)
        low = float(b)
    return low, float("inf")


def select_rows(all_rows: list[Row], region: Region, start: dt.date, end: dt.date, **match: Any) -> list[Row]:
    """Rows received in [start, end) (local days) inside `region`, with the given attribute values."""
    return [r for r in all_rows if inside(r, region) and start <= r.day < end
            and all(getattr(r, k) == v for k, v in match.items())]


def same(service_figures: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """The names whose values differ (the median by its bucket: the roll-ups keep a histogram)."""
    bad = [k for k in (*COUNTS, "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
           if service_figures.get(k) != expected[k]]
    if (service_figures.get("mean_hours") is None) != (expected["mean_hours"] is None) or (
            expected["mean_hours"] is not None and abs(service_figures["mean_hours"] - expected["mean_hours"]) > 0.11):
        bad.append("mean_hours")
    median = service_figures.get("median_hours")
    if expected["median_bucket"] is None:
        if median is not None:
            bad.append("median_hours")
    else:
        low, high = expected["median_bucket"]
        # the interpolated median lies within the buckets of the middle values (their bounds included)
        if median is None or not (low - 0.05 <= median <= high + 0.05):
            bad.append(f"median_hours {median} not in {expected['median_bucket']}")
    return bad
