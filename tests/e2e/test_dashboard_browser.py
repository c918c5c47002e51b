"""The dashboards in a real browser (issue 5): the city leader opens the city's dashboard (charts and map
drawn), drills from a street to a community to a grid to the cases behind a figure and opens a case; downloads
the monthly bulletin from the dashboard of that month, and the Word file holds the figures the page shows; the
big screen; a street's staff on a phone. Screenshots of each.

This module runs its own server on a database of its own with a generated year of appeal history (the shared
browser-test server's database stays as the other tests expect it)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, LiveServer, login, no_horizontal_overflow, own_database, serve, shot

pytestmark = pytest.mark.browser
FROM, TO = "2025-11", "2026-10"


@pytest.fixture(scope="module")
def dash_server(pytestconfig: pytest.Config, browser: Any) -> Iterator[LiveServer]:
    import datetime as dt

    from sqlalchemy.orm import Session

    from gongzhi.appeals.history import generate_history
    from gongzhi.core.db import get_engine
    from gongzhi.duties.catalog import load_demo_catalog
    from gongzhi.regions.models import Region

    with own_database(pytestconfig.getoption("--backend"), "dash") as db:
        with Session(get_engine(db.url)) as s:
            from sqlalchemy import select

            root = s.scalars(select(Region).where(Region.parent_id.is_(None))).one()
            load_demo_catalog(s, region=root)
            s.commit()
            generate_history(s, appeals=4000, years=1, seed=3, end=dt.datetime(2026, 10, 25, tzinfo=dt.UTC))
        with serve(db) as server:
            yield server


@pytest.fixture
def page_at(browser: Any, dash_server: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []
    problems: list[str] = []

    def _new(username: str, viewport: dict[str, int] | None = None) -> Any:
        ctx = browser.new_context(base_url=dash_server.url, viewport=viewport or DESKTOP, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" and "status of 4" not in m.text else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and "favicon" not in r.url else None)
        login(page, username)
        return page

    yield _new
    for ctx in contexts:
        ctx.close()
    assert not problems, "\n".join(problems)


def _drawn(page: Any) -> None:
    page.wait_for_selector("#chart-trend[data-ready]")
    page.wait_for_selector("#dash-map[data-ready]")
    assert page.get_attribute("#dash-map", "data-ready") != "failed"


def _kpi(page: Any, label: str) -> str:
    return page.locator(".kpis .stat", has_text=label).first.locator(".n").inner_text().strip()


def test_drill_from_city_to_a_case_and_the_bulletin(page_at: Any, dash_server: LiveServer, shots_dir: Path) -> None:
    from docx import Document

    page = page_at("leader")
    page.goto(f"/dashboard?from={FROM}&to={TO}")
    _drawn(page)
    assert int(page.get_attribute("#dash-map", "data-ready") or 0) >= 2  # the city's streets are drawn
    city_received = int(_kpi(page, "受理量").replace(",", ""))
    assert city_received > 3000
    shot(page, shots_dir, "70-dashboard-city")

    # street → community → grid: each by its name in the next level's table
    for level in ("street", "community", "grid"):
        link = page.locator("#children-table a.drill").first
        name = link.inner_text().strip()
        with page.expect_navigation():
            link.click()
        assert name in page.locator("h1").inner_text()
        if level != "grid":
            _drawn(page)
        assert int(_kpi(page, "受理量").replace(",", "")) <= city_received
        if level == "street":
            shot(page, shots_dir, "71-dashboard-street")
        if level == "grid":
            shot(page, shots_dir, "72-dashboard-grid")
    grid_received = int(_kpi(page, "受理量").replace(",", ""))
    with page.expect_navigation():
        page.locator(".kpis a.stat", has_text="受理量").click()
    assert f"共 {grid_received:,} 件" in page.inner_text("#case-total")
    shot(page, shots_dir, "73-dashboard-cases")
    first = page.locator("#case-table tbody tr").first.locator("a").nth(1)
    title = first.inner_text().strip()
    with page.expect_navigation():
        first.click()
    assert re.search(r"/appeals/\d+$", page.url)
    assert title in page.inner_text("main")

    # the bulletin of October, downloaded from October's dashboard, holds its figures
    page.goto("/dashboard?from=2026-10&to=2026-10")
    _drawn(page)
    received = _kpi(page, "受理量")
    satisfaction = _kpi(page, "满意率")
    on_time = _kpi(page, "按期办结率")
    with page.expect_download() as dl:
        page.click("#report-docx")
    data = Path(dl.value.path()).read_bytes()
    doc = Document(io.BytesIO(data))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    assert "2026年10月" in text
    assert f"共受理群众诉求{received}件" in text
    assert f"满意率{satisfaction}" in text
    assert f"按期办结率{on_time}" in text


def test_big_screen_and_phone(page_at: Any, shots_dir: Path) -> None:
    screen = page_at("leader", {"width": 1920, "height": 1080})
    screen.goto("/dashboard/screen")
    screen.wait_for_selector("#chart-months[data-ready]")
    screen.wait_for_selector("#dash-map[data-ready]")
    assert screen.locator(".big-kpis b").count() >= 10
    shot(screen, shots_dir, "74-big-screen")
    phone = page_at("street", PHONE)
    phone.goto(f"/dashboard?from={FROM}&to={TO}")
    _drawn(phone)
    no_horizontal_overflow(phone)
    shot(phone, shots_dir, "75-dashboard-phone")
