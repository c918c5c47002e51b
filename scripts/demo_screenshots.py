#!/usr/bin/env python3
"""Screenshots of a running demo (`make demo`, http://127.0.0.1:8000 by default) into docs/screenshots/demo-*.png:
the dashboards at city, street, community and grid level, the big screen, and the assessment pages, with the
demo city's generated year of appeals. Needs Chromium at /usr/bin/chromium.
Usage:  .venv/bin/python scripts/demo_screenshots.py [BASE_URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> int:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)

        def page_as(username: str, width: int = 1366, height: int = 900):  # type: ignore[no-untyped-def]
            ctx = browser.new_context(base_url=base, viewport={"width": width, "height": height}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
            ctx.set_default_timeout(30_000)
            page = ctx.new_page()
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", "gongzhi2024")
            with page.expect_navigation():
                page.click("form[action='/login'] button[type=submit]")
            return page

        def snap(page, name: str, ready: str | None = None) -> None:  # type: ignore[no-untyped-def]
            if ready:
                page.wait_for_selector(ready)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"demo-{name}.png"), full_page=True)
            print(f"demo-{name}.png")  # noqa: T201

        leader = page_as("leader")
        leader.goto("/dashboard")
        snap(leader, "dashboard-city-month", "#dash-map[data-ready]")
        leader.goto(leader.url.split("?")[0] + "?by=week&from=" + _months_ago(11) + "&to=" + _months_ago(0))
        snap(leader, "dashboard-city-year", "#dash-map[data-ready]")
        for name in ("street", "community", "grid"):
            with leader.expect_navigation():
                leader.locator("#children-table a.drill").first.click()
            snap(leader, f"dashboard-{name}", "#chart-trend[data-ready]")
        screen = page_as("leader", 1920, 1080)
        screen.goto("/dashboard/screen")
        snap(screen, "big-screen", "#dash-map[data-ready]")
        leader.goto("/assessment")
        snap(leader, "assessment-sets")
        link = leader.locator("a[href*='/periods/']").first
        if link.count():
            with leader.expect_navigation():
                link.click()
            snap(leader, "assessment-ranking")
            card = leader.locator("a[href*='/regions/']").first
            if card.count():
                with leader.expect_navigation():
                    card.click()
                snap(leader, "assessment-scorecard")
        browser.close()
    return 0


def _months_ago(n: int) -> str:
    import datetime as dt

    d = dt.date.today().replace(day=1)
    for _ in range(n):
        d = (d - dt.timedelta(days=1)).replace(day=1)
    return f"{d:%Y-%m}"


if __name__ == "__main__":
    sys.exit(main())
