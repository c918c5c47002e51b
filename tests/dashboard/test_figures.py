"""Every dashboard figure, computed again from the raw appeal rows (tests/dashboard/oracle.py) and compared:
totals and rates for every region at every level, the trend by day, week and month, every slice, the children,
the grids, the cases behind a figure, and the open lists — after a generated year of history and after appeals
moved through the loop since (the roll-ups' refresh)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.dashboard import rollup, service
from tests.dashboard import oracle

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)


def _admin(principal: Any) -> Any:
    return principal("admin")


def _months(start: dt.date, end: dt.date) -> service.Period:
    return service.Period(start, end)


def test_totals_and_rates_for_every_region(session: Session, history: dict[str, Any], principal: Any) -> None:
    rows = oracle.rows(session)
    assert len(rows) >= 1500
    admin = _admin(principal)
    periods = [_months(OCT, NOV), _months(dt.date(2026, 7, 1), NOV), _months(dt.date(2025, 10, 1), NOV)]
    checked = 0
    for region in oracle.regions(session).values():
        for p in periods:
            got = service.kpis(session, region, p.start, p.end)
            want = oracle.figures(oracle.select_rows(rows, region, p.start, p.end))
            assert oracle.same(got, want) == [], (region.code, region.level, p, got, want)
            checked += 1
    assert checked > 100
    # and through the API face, for the city
    s = service.summary(session, admin, None, periods[2])
    root = min(oracle.regions(session).values(), key=lambda r: len(r.path))
    assert s["figures"]["received"] == len(oracle.select_rows(rows, root, periods[2].start, periods[2].end))


def test_trend_by_day_week_and_month(session: Session, history: dict[str, Any], principal: Any) -> None:
    rows = oracle.rows(session)
    admin = _admin(principal)
    regions = oracle.regions(session)
    street = next(r for r in regions.values() if r.level == "street")
    p = _months(dt.date(2026, 8, 1), NOV)
    mine = oracle.select_rows(rows, street, p.start, p.end)
    day = service.trend(session, admin, street.code, p, "day")
    assert [pt["period"] for pt in day["points"]][:2] == ["2026-08-01", "2026-08-02"]
    assert len(day["points"]) == (p.end - p.start).days
    by_day = Counter(r.day.isoformat() for r in mine)
    assert {pt["period"]: pt["received"] for pt in day["points"]} == {
        (p.start + dt.timedelta(days=i)).isoformat(): by_day.get((p.start + dt.timedelta(days=i)).isoformat(), 0)
        for i in range((p.end - p.start).days)}
    for pt in day["points"][::9]:
        d = dt.date.fromisoformat(pt["period"])
        assert oracle.same(pt, oracle.figures([r for r in mine if r.day == d])) == []
    week = service.trend(session, admin, street.code, p, "week")
    for pt in week["points"]:
        monday = dt.date.fromisoformat(pt["period"])
        assert monday.weekday() == 0
        want = oracle.figures([r for r in mine if monday <= r.day < monday + dt.timedelta(days=7)])
        assert oracle.same(pt, want) == [], pt["period"]
    month = service.trend(session, admin, street.code, p, "month")
    assert [pt["period"] for pt in month["points"]] == ["2026-08-01", "2026-09-01", "2026-10-01"]
    for pt in month["points"]:
        first = dt.date.fromisoformat(pt["period"])
        want = oracle.figures([r for r in mine if r.day.replace(day=1) == first])
        assert oracle.same(pt, want) == []


def test_every_slice_children_and_grids(session: Session, history: dict[str, Any], principal: Any) -> None:
    rows = oracle.rows(session)
    admin = _admin(principal)
    regions = oracle.regions(session)
    p = _months(dt.date(2026, 5, 1), NOV)
    attr = {"channel": "channel", "tier": "tier", "category": "category_id", "matter": "matter_type_id",
            "department": "department_id"}
    for region in [r for r in regions.values() if r.level in ("city", "street", "community")][:5]:
        for dim, field in attr.items():
            items = service.breakdown(session, admin, region.code, p, dim)["items"]
            mine = oracle.select_rows(rows, region, p.start, p.end)
            values = Counter(getattr(r, field) for r in mine if getattr(r, field) is not None or dim == "tier")
            assert sorted(i["key"] for i in items) == sorted("" if v is None else str(v) for v in values), (dim,)
            for item in items:
                value: Any = item["key"] if dim == "channel" else (item["key"] or None) if dim == "tier" \
                    else int(item["key"])
                want = oracle.figures([r for r in mine if getattr(r, field) == value])
                assert oracle.same(item, want) == [], (region.code, dim, item["key"])
            assert [i["received"] for i in items] == sorted((i["received"] for i in items), reverse=True)
        kids = service.breakdown(session, admin, region.code, p, "child")
        if region.level == "community":
            under = [r for r in regions.values() if r.level == "grid" and r.path.startswith(region.path)]
        else:
            under = [r for r in regions.values() if r.parent_id == region.id]
        assert [k["code"] for k in kids["items"]] == [r.code for r in sorted(under, key=lambda r: r.path)]
        for k in kids["items"]:
            want = oracle.figures(oracle.select_rows(rows, regions[k["code"]], p.start, p.end))
            assert oracle.same(k, want) == [], k["code"]
    street = next(r for r in regions.values() if r.level == "street")
    grids = service.grid_load(session, admin, street.code, p)["items"]
    assert len(grids) == len([r for r in regions.values() if r.level == "grid" and r.path.startswith(street.path)])
    for g in grids:
        assert g["received"] == len(oracle.select_rows(rows, regions[g["code"]], p.start, p.end))
    # slices stop at the community: a grid has channel and tier, no matter types
    grid = next(r for r in regions.values() if r.level == "grid")
    assert service.breakdown(session, admin, grid.code, p, "matter")["items"] == []
    assert service.breakdown(session, admin, grid.code, p, "matter")["sliced"] is False
    assert sum(i["received"] for i in service.breakdown(session, admin, grid.code, p, "channel")["items"]) == \
        len(oracle.select_rows(rows, grid, p.start, p.end))


def test_cases_behind_a_figure(session: Session, history: dict[str, Any], principal: Any) -> None:
    rows = oracle.rows(session)
    admin = _admin(principal)
    regions = oracle.regions(session)
    p = _months(dt.date(2026, 9, 1), NOV)
    predicates = {
        "received": lambda _r: True, "resolved": lambda r: r.is_resolved,
        "unsatisfied": lambda r: r.rating is not None and r.rating <= 3,
        "ever_overdue": lambda r: r.ever_overdue, "unresolved": lambda r: r.is_registered and not r.is_resolved,
        "on_time": lambda r: r.is_resolved and not r.ever_overdue,
    }
    for region in [r for r in regions.values() if r.level in ("street", "community", "grid")][:6]:
        mine = oracle.select_rows(rows, region, p.start, p.end)
        for metric, pred in predicates.items():
            want = sorted((r for r in mine if pred(r)), key=lambda r: (r.created_at, r.id), reverse=True)
            got = service.cases(session, admin, region.code, p, service.CaseFilter(metric), 1, 20)
            assert got["total"] == len(want), (region.code, metric)
            assert [c["id"] for c in got["items"]] == [r.id for r in want[:20]], (region.code, metric)
        channel = Counter(r.channel for r in mine).most_common(1)
        if channel:
            key = channel[0][0]
            got = service.cases(session, admin, region.code, p, service.CaseFilter("received", "channel", key), 1, 50)
            assert got["total"] == channel[0][1]
            assert {c["id"] for c in got["items"]} <= {r.id for r in mine if r.channel == key}
    # one day of the trend
    street = next(r for r in regions.values() if r.level == "street")
    day = dt.date(2026, 9, 15)
    got = service.cases(session, admin, street.code, p, service.CaseFilter("received", day=day), 1, 200)
    want = oracle.select_rows(rows, street, day, day + dt.timedelta(days=1))
    assert got["total"] == len(want)
    assert {c["id"] for c in got["items"]} == {r.id for r in want}


def test_refresh_follows_the_loop(session: Session, history: dict[str, Any], principal: Any, report: Any,
                                  act: Any) -> None:
    """Appeals filed and moved after the roll-ups were built show in the figures after one refresh, and only the
    months they were received in are recomputed."""
    admin = _admin(principal)
    regions = oracle.regions(session)
    root = min(regions.values(), key=lambda r: len(r.path))
    this = service.period()
    before = service.kpis(session, root, this.start, this.end)
    a = report(tier="grid")
    b = report(tier="grid")
    for action in ("register", "dispatch"):
        assert act("community", a["id"], action).status_code == 200
    assert act("grid", a["id"], "accept").status_code == 200
    assert act("community", b["id"], "reject", reason="不属于受理范围").status_code == 200
    assert service.kpis(session, root, this.start, this.end)["received"] == before["received"]  # not yet
    done = rollup.refresh(session)
    assert done == 1  # only the current month
    rows = oracle.rows(session)
    for region in [root, *[r for r in regions.values() if r.level in ("street", "community", "grid")]]:
        got = service.kpis(session, region, this.start, this.end)
        assert oracle.same(got, oracle.figures(oracle.select_rows(rows, region, this.start, this.end))) == []
    assert service.summary(session, admin, None, this)["figures"]["received"] == before["received"] + 2
    # a second refresh looks again at the last minutes (a margin for transactions still open) and changes nothing
    again = service.kpis(session, root, this.start, this.end)
    assert rollup.refresh(session) <= 1
    assert service.kpis(session, root, this.start, this.end) == again


def test_open_lists_match_the_rows(session: Session, history: dict[str, Any], principal: Any) -> None:
    from sqlalchemy import select

    from gongzhi.appeals.flow import OPEN
    from gongzhi.appeals.models import Appeal

    admin = _admin(principal)
    regions = oracle.regions(session)
    open_values = {s.value for s in OPEN}
    for region in [r for r in regions.values() if r.level in ("city", "street", "community")][:4]:
        appeals = [a for a in session.scalars(select(Appeal)) if a.status in open_values
                   and a.scope_path.startswith(region.path)]
        counts = service.summary(session, admin, region.code, service.period())["open"]
        assert counts["open"] == len(appeals)
        assert counts["overdue"] == sum(a.overdue for a in appeals)
        assert counts["supervised"] == sum(a.supervised for a in appeals)
        assert counts["warning"] == sum(a.warned and not a.overdue for a in appeals)
        listed = service.open_list(session, admin, region.code, "overdue", 1, 500)
        assert {c["id"] for c in listed["items"]} == {a.id for a in appeals if a.overdue}
