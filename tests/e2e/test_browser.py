"""What a grid worker, a community secretary, a leader and an admin do in a real browser: log in, browse the
map, search a register, import Excel (a bad file stores nothing, a good one everything), stay inside their
scope; and a screenshot of every main page at desktop and phone width, checked for horizontal overflow."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gongzhi.core import idcard
from tests.e2e.conftest import DESKTOP, PHONE, LiveServer, login, no_horizontal_overflow, wait_for_map

pytestmark = pytest.mark.browser


def _count(page: Any) -> int:
    """The total the register list shows above its table (共 N 条)."""
    text = page.inner_text("#results p.muted")
    m = re.search(r"共 ([\d,]+) 条", text)
    assert m, text
    return int(m.group(1).replace(",", ""))


def _search(page: Any, text: str, *, enter: bool = True) -> int:
    """Type into the register's search box (and press Enter, or just wait: the list follows the typing);
    wait for htmx to swap the results in; the count shown."""
    with page.expect_response(lambda r: "/registers/" in r.url and "q=" in r.url):
        if enter:
            page.fill("#q", text)
            page.press("#q", "Enter")
        else:
            page.fill("#q", "")
            page.locator("#q").press_sequentially(text, delay=30)
    page.wait_for_function("q => document.querySelector('#results p.muted').textContent.includes(q)", arg=text)
    return _count(page)


def _workbook(page: Any, rows: list[dict[str, Any]]) -> bytes:
    """The register's own import template (downloaded as the logged-in user) filled with `rows`."""
    r = page.request.get("/api/v1/residents/template.xlsx")
    assert r.ok, r.status
    wb = load_workbook(io.BytesIO(r.body()))
    ws = wb.worksheets[0]
    headers = [str(c.value).rstrip("*") for c in ws[1]]
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(page: Any, name: str, data: bytes) -> None:
    page.goto("/registers/residents/import")
    page.set_input_files("#file", {"name": name, "mimeType":
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "buffer": data})
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")


def _fonts_used(page: Any, selector: str) -> list[str]:
    """The fonts Chromium actually drew the element's text with (not what the CSS asked for)."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        cdp.send("CSS.enable")
        return [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
    finally:
        cdp.detach()


# ---- the scenarios -------------------------------------------------------------------------------------

def test_chinese_text_is_drawn_with_a_chinese_font(new_page: Any) -> None:
    page = new_page()
    page.goto("/login")
    fonts = _fonts_used(page, "h1")
    assert any(re.search(r"CJK|Source Han|WenQuanYi|PingFang|YaHei|Droid Sans Fallback", f) for f in fonts), \
        f"the heading 共治 · 登录 is drawn with {fonts}; install fonts-noto-cjk"

def test_login_rejects_a_wrong_password(new_page: Any) -> None:
    page = new_page()
    page.goto("/registers/residents")
    assert "/login" in page.url  # not logged in → the login page, which returns there afterwards
    page.fill("#username", "grid")
    page.fill("#password", "wrong-password")
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator(".alert.error").is_visible()
    login(page, "grid")
    assert page.locator("header.top .who").inner_text().startswith("网格员")


def test_grid_worker_sees_the_map_of_their_grid_and_nothing_outside(new_page: Any, live_server: LiveServer) -> None:
    db = live_server.db
    page = new_page()
    login(page, "grid")
    assert "网格员，您好" in page.inner_text("h1")
    page.click("text=打开网格地图")
    page.wait_for_url(f"**/regions/{db.scopes['grid']}")
    assert wait_for_map(page) >= 1
    assert page.locator(".legend").is_visible()
    assert "网格" in page.inner_text("h1 .tag")
    # another community's grid: the 404 page, not the data
    response = page.goto(f"/regions/{db.other_grid}")
    assert response is not None
    assert response.status == 404
    assert "404" in page.inner_text("h1")
    assert page.locator("#map").count() == 0
    response = page.goto(f"/registers/residents?grid_code={db.other_grid}")
    assert response is not None
    assert response.status == 200
    assert _count(page) == 0


def test_community_secretary_drills_down_the_map(new_page: Any, live_server: LiveServer) -> None:
    db = live_server.db
    page = new_page()
    login(page, "community")
    assert "社区书记，您好" in page.inner_text("h1")
    page.goto(f"/regions/{db.scopes['community']}")
    children = page.locator("#children tr").count() - 1
    assert children >= 1
    assert wait_for_map(page, children) == children
    labels = page.locator(".map-label").all_inner_texts()
    first_child = page.locator("#children tr").nth(1).locator("a").inner_text()
    assert any(label.startswith(first_child) for label in labels), labels
    # clicking a polygon opens that child's page
    page.locator(".leaflet-tooltip.map-label", has_text=first_child).first.wait_for()
    with page.expect_navigation():
        page.locator("#map .leaflet-overlay-pane path.leaflet-interactive").first.click(force=True)
    assert re.search(r"/regions/\d+$", page.url)
    assert page.url.rstrip("/").split("/")[-1] != db.scopes["community"]
    wait_for_map(page)
    # the city is above the secretary's scope: shown in the crumbs, not linked
    assert page.locator(f".crumbs a[href='/regions/{db.scopes['city']}']").count() == 0


@pytest.mark.parametrize("username", ["grid", "community"])
def test_searching_the_residents_register(new_page: Any, username: str) -> None:
    page = new_page()
    login(page, username)
    page.goto("/registers/residents")
    total = _count(page)
    assert total > 0
    name = page.locator("#results tbody tr td a").first.inner_text().strip()
    found = _search(page, name, enter=username == "grid")
    assert 1 <= found < total
    names = page.locator("#results tbody tr td:first-child").all_inner_texts()
    assert names
    assert all(name in n for n in names)
    assert "q=" in page.url  # the search is in the address bar: back and reload keep it
    assert _search(page, "查无此人" + uuid.uuid4().hex[:4]) == 0
    assert "没有符合条件的记录" in page.inner_text("#results")
    page.fill("#q", "")
    page.press("#q", "Enter")
    page.wait_for_function("() => !document.querySelector('#results p.muted').textContent.includes('搜索')")
    assert _count(page) == total


def test_excel_import_stores_nothing_when_a_row_is_bad_then_everything(new_page: Any,
                                                                        live_server: LiveServer) -> None:
    grid = live_server.db.scopes["grid"]
    tag = "导测" + uuid.uuid4().hex[:4]
    id_number = idcard.make("530181", dt.date(1990, 1, 1), 123)
    wrong = id_number[:17] + ("0" if id_number[17] != "0" else "1")  # the check digit off by one
    good = [
        {"所属网格代码": grid, "姓名": tag + "甲", "性别": "男", "出生日期": "1960-03-01", "关爱标签": "独居老人"},
        {"所属网格代码": grid, "姓名": tag + "乙", "身份证号": id_number, "联系电话": "13800138000"},
        {"所属网格代码": grid, "姓名": tag + "丙", "性别": "女"},
    ]
    bad_row = {"所属网格代码": grid, "姓名": tag + "丁", "身份证号": wrong}
    page = new_page()
    login(page, "grid")
    page.goto("/registers/residents")
    before = _count(page)
    assert _search(page, tag) == 0

    _upload(page, "bad.xlsx", _workbook(page, [good[0], good[1], bad_row, good[2]]))
    assert "未导入任何数据" in page.inner_text(".alert.error")
    errors = page.locator("#import-errors tr").all_inner_texts()
    assert len(errors) == 2, errors  # the header and the one bad row: row 4 of the sheet (row 1 is the header)
    cells = page.locator("#import-errors tr").nth(1).locator("td").all_inner_texts()
    assert cells[:2] == ["4", "身份证号"], cells
    assert "校验码" in cells[2], cells
    page.goto("/registers/residents")
    assert _count(page) == before
    assert _search(page, tag) == 0

    _upload(page, "good.xlsx", _workbook(page, good))
    assert "导入成功：共 3 行" in page.inner_text(".alert.ok")
    page.click(".alert.ok a")
    page.wait_for_url("**/registers/residents")
    assert _count(page) == before + 3
    assert _search(page, tag) == 3
    assert sorted(page.locator("#results tbody tr td:first-child").all_inner_texts()) == \
        sorted(r["姓名"] for r in good)
    # the ID number gave the birth date and sex; personal data is shown masked
    page.click(f"text={tag}乙")
    detail = page.inner_text("dl.kv")
    assert "1990-01-01" in detail
    assert "男" in detail
    assert id_number not in detail


def test_new_resident_form_keeps_input_and_shows_errors(new_page: Any) -> None:
    page = new_page(PHONE)
    login(page, "grid")
    page.goto("/registers/residents/new")
    page.fill("#in-name", "")
    page.fill("#in-phone", "12345")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert page.locator(".alert.error").is_visible()
    assert page.locator(".has-error .field-error").count() >= 2
    assert page.input_value("#in-phone") == "12345"
    no_horizontal_overflow(page)


def test_every_register_fits_a_phone(new_page: Any) -> None:
    """Each register's list, record and form: no sideways scrolling of the page at 390 px."""
    page = new_page(PHONE)
    login(page, "admin")
    links = page.eval_on_selector_all("header.top nav a[href^='/registers/']", "els => els.map(e => e.pathname)")
    assert len(links) >= 6
    for url in links:
        page.goto(url)
        no_horizontal_overflow(page)
        first = page.locator("#results tbody tr td a").first
        if first.count():
            first.click()
            page.wait_for_url(re.compile(url + r"/\d+$"))
            no_horizontal_overflow(page)
        page.goto(url + "/new")
        no_horizontal_overflow(page)


# ---- screenshots ---------------------------------------------------------------------------------------

def _bad_import_file(page: Any, grid: str) -> bytes:
    return _workbook(page, [
        {"所属网格代码": grid, "姓名": "王建国", "性别": "男", "出生日期": "1958-07-12"},
        {"所属网格代码": grid, "姓名": "", "性别": "女"},
        {"所属网格代码": grid, "姓名": "李秀英", "身份证号": "530181195501011234"},
        {"所属网格代码": "530181999999", "姓名": "赵磊", "性别": "未知"},
    ])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_main_pages(new_page: Any, live_server: LiveServer, shots_dir: Path,
                                       viewport: dict[str, int]) -> None:
    """Every main page at this width: no horizontal overflow, the header fits, and a PNG of it."""
    db = live_server.db
    suffix = "desktop" if viewport == DESKTOP else "phone"
    taken: list[str] = []

    def shot(page: Any, name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready")
        no_horizontal_overflow(page)
        header = page.evaluate("() => { const h = document.querySelector('header.top');"
                               " return h ? [h.scrollWidth, h.clientWidth] : [0, 0]; }")
        assert header[0] <= header[1], f"{name}: the header overflows ({header})"
        path = shots_dir / f"{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path.name)

    anon = new_page(viewport)
    anon.goto("/login")
    shot(anon, "01-login")

    grid = new_page(viewport)
    login(grid, "grid")
    shot(grid, "02-home-grid-worker")

    community = new_page(viewport)
    login(community, "community")
    shot(community, "03-home-community-secretary")

    leader = new_page(viewport)
    login(leader, "leader")
    shot(leader, "04-home-leader")

    admin = new_page(viewport)
    login(admin, "admin")
    admin.goto(f"/regions/{db.scopes['city']}")
    wait_for_map(admin)
    shot(admin, "05-map-city-admin")

    grid.goto(f"/regions/{db.scopes['grid']}")
    wait_for_map(grid)
    shot(grid, "06-map-grid-grid-worker")

    community.goto("/registers/residents?size=12")
    shot(community, "07-residents-list")

    community.locator("#results tbody tr td a").first.click()
    community.wait_for_url(re.compile(r"/registers/residents/\d+$"))
    shot(community, "08-resident-detail")

    grid.goto("/registers/residents/new")
    grid.fill("#in-name", "")
    grid.fill("#in-id_number", "53018119900101123")
    grid.fill("#in-phone", "1380013")
    with grid.expect_navigation():
        grid.click("form.card button[type=submit]")
    assert grid.locator(".field-error").count() >= 2
    shot(grid, "09-resident-new-with-errors")

    _upload(grid, "居民导入.xlsx", _bad_import_file(grid, db.scopes["grid"]))
    assert grid.locator("#import-errors tr").count() >= 4
    shot(grid, "10-import-with-errors")

    admin.goto("/audit?size=12")
    shot(admin, "11-audit-log")

    grid.goto(f"/regions/{db.other_grid}")
    shot(grid, "12-not-found-outside-scope")
    assert len(taken) == 12
