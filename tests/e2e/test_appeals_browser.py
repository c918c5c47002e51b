"""The appeal loop in a real browser: a resident reports on a phone (photo, map pin), the community registers and
dispatches at a desk, the department returns it once and then accepts and resolves it, the grid worker verifies
it on a phone, the resident rates it; every step on the timeline. And a screenshot of every appeal page at
desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveServer, login, no_horizontal_overflow

pytestmark = pytest.mark.browser

MATTER = "E2E-LD01"
DEPARTMENT = "E2EDEP"


# ---- set-up: a matter type led by the demo handler's department ---------------------------------------------

def _catalog(url: str) -> dict[str, str]:
    """The demo catalog may not be loaded in the browser tests' database: a department-tier matter type of our
    own, led by the demo handler's department (which is made if the handler has none)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.models import User
    from gongzhi.core.db import get_engine
    from gongzhi.duties.models import Department, DutyCategory, MatterType
    from gongzhi.regions.models import Region

    with Session(get_engine(url)) as s:
        handler = s.scalars(select(User).where(User.username == "handler")).one()
        root = s.scalars(select(Region).where(Region.parent_id.is_(None))).one()
        dep = s.get(Department, handler.department_id) if handler.department_id else None
        if dep is None:
            dep = s.scalars(select(Department).where(Department.code == DEPARTMENT)).first()
            if dep is None:
                dep = Department(code=DEPARTMENT, name="市政公用局", region_id=root.id)
                s.add(dep)
                s.flush()
            handler.department_id = dep.id
        mt = s.scalars(select(MatterType).where(MatterType.code == MATTER)).first()
        if mt is None:
            top = DutyCategory(code="E2EC1", name="城乡建设", level=1)
            s.add(top)
            s.flush()
            sub = DutyCategory(code="E2EC101", name="市政设施", level=2, parent_id=top.id)
            s.add(sub)
            s.flush()
            mt = MatterType(code=MATTER, name="路灯损坏维修", category_id=sub.id, tier="department",
                            lead_department_id=dep.id, assist_department_ids=[], accept_hours=4, resolve_days=3,
                            keywords="路灯,灯不亮")
            s.add(mt)
        s.commit()
        return {"matter": MATTER, "department": dep.code, "department_name": dep.name}


@pytest.fixture(scope="module")
def catalog(live_server: LiveServer) -> dict[str, str]:
    return _catalog(live_server.db.url)


def _open(page: Any, box: str) -> None:
    """Open an action's form on the appeal page (a tap on its button), unless it is open already."""
    if page.locator(f"{box} details[open]").count() == 0:
        page.locator(f"{box} summary").click()


def _submit(page: Any, box: str, done: str, *, open_it: bool = True) -> None:
    """Submit an action's form on the appeal page (opening it first), wait for the page to reload."""
    if open_it:
        _open(page, box)
    with page.expect_navigation(url=re.compile(rf"done={done}")):
        page.locator(f"{box} form button[type=submit]").click()


def _tap_map_centre(page: Any) -> None:
    """Tap the middle of the location picker (the user's grid) and wait until the pin is located to a grid."""
    picker = page.locator("#pick-map")
    picker.scroll_into_view_if_needed()
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_selector("#pick-map[data-located]", state="attached")


def _timeline(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#timeline .ev-label").all_inner_texts()]


# ---- the loop --------------------------------------------------------------------------------------------

def test_the_whole_loop_in_the_browser(new_page: Any, catalog: dict[str, str], photo_file: Path) -> None:
    # a resident reports on a phone: a photo, a pin on the map
    resident = new_page(PHONE)
    login(resident, "resident")
    resident.click("header.top nav >> text=我要反映")
    resident.wait_for_url("**/appeals/new")
    resident.fill("#in-title", "三号楼前路灯不亮")
    resident.fill("#in-description", "三号楼前的两盏路灯坏了一周，晚上很黑，老人出门不方便。")
    resident.set_input_files("#in-photos", str(photo_file))
    resident.wait_for_selector("#photo-previews img")  # a preview of the chosen photo
    resident.wait_for_selector("#pick-map[data-ready]")
    _tap_map_centre(resident)
    assert resident.locator("#pick-map").get_attribute("data-located") != "none"
    assert "已标记位置" in resident.inner_text("#loc-status")
    assert resident.locator("#pick-map .leaflet-marker-icon").count() == 1
    assert resident.input_value("#in-lat")
    assert resident.input_value("#in-lon")
    resident.fill("#in-address", "三号楼前")
    no_horizontal_overflow(resident)
    with resident.expect_navigation(url=re.compile(r"/appeals/\d+\?filed=1")):
        resident.click("#appeal-form button[type=submit]")
    appeal_id = int(re.search(r"/appeals/(\d+)", resident.url).group(1))  # type: ignore[union-attr]
    assert "已提交" in resident.inner_text(".alert.ok")
    assert resident.locator(".thumbs img").count() == 1
    no_horizontal_overflow(resident)

    # the community registers it and dispatches it to the department
    community = new_page(DESKTOP)
    login(community, "community")
    community.goto("/appeals/console?status=received")
    community.click(f"a[href='/appeals/{appeal_id}']")
    community.wait_for_url(f"**/appeals/{appeal_id}")
    community.fill(f"#mc-{appeal_id}", catalog["matter"])
    _submit(community, "#act-register", "register")
    assert "已完成：立案" in community.inner_text(".alert.ok")
    _open(community, "#act-dispatch")
    community.select_option(f"#tier-{appeal_id}", "department")
    community.select_option(f"#dc-{appeal_id}", catalog["department"])
    _submit(community, "#act-dispatch", "dispatch", open_it=False)

    # the department returns it once, with a reason
    handler = new_page(DESKTOP)
    handler.on("dialog", lambda d: d.accept())  # dangerous actions ask first
    login(handler, "handler")
    handler.goto("/appeals/inbox")
    assert f"#{appeal_id}" in handler.inner_text("#results")
    handler.goto(f"/appeals/{appeal_id}")
    _open(handler, "#act-return")
    handler.fill("#reason-return", "路灯归供电所管，请改派")
    _submit(handler, "#act-return", "return", open_it=False)

    # the community sends it again (the department chosen by default), the handler accepts and resolves it
    community.goto(f"/appeals/{appeal_id}")
    assert community.locator(f"#dc-{appeal_id}").input_value() == catalog["department"]
    _submit(community, "#act-dispatch", "dispatch")
    handler.goto("/appeals/inbox")
    with handler.expect_navigation(url="**/appeals/inbox"):
        handler.click(f"form[action='/appeals/{appeal_id}/accept'] button")
    handler.goto(f"/appeals/{appeal_id}")
    _open(handler, "#act-resolve")
    handler.fill(f"#reply-{appeal_id}", "已协调更换两盏路灯，当晚恢复照明。")
    _submit(handler, "#act-resolve", "resolve", open_it=False)

    # the grid worker verifies it on the spot, on a phone
    grid = new_page(PHONE)
    login(grid, "grid")
    grid.goto("/appeals/verify")
    grid.click(f"a[href='/appeals/{appeal_id}#act-verify']")
    grid.check("#act-verify input[name=passed][value=yes]")
    grid.fill(f"#note-verify-{appeal_id}", "现场查看，路灯已亮")
    _submit(grid, "#act-verify", "verify")

    # the resident rates it
    resident.goto(f"/appeals/{appeal_id}")
    resident.click(f"label[for=star-{appeal_id}-5]")
    resident.fill(f"#comment-{appeal_id}", "处理很快，谢谢")
    _submit(resident, "#act-rate", "rate")
    assert resident.locator(".chip.s-rated").first.is_visible()

    # the timeline shows every step, in order, to everyone who may read it
    steps = ["受理", "立案", "派单", "退单", "派单", "接单", "办结", "现场核查", "评价"]
    assert _timeline(resident) == steps
    text = resident.inner_text("#timeline")
    assert "路灯归供电所管，请改派" in text
    assert "已协调更换两盏路灯" in text
    assert "现场查看，路灯已亮" in text
    community.goto(f"/appeals/{appeal_id}")
    _submit(community, "#act-close", "close")
    assert _timeline(community) == [*steps, "结案"]
    resident.goto("/appeals/mine")
    assert "最新：结案" in resident.inner_text("#results")


def test_a_refused_form_keeps_input_and_a_stale_page_says_refresh(new_page: Any, catalog: dict[str, str]) -> None:
    resident = new_page(PHONE)
    login(resident, "resident")
    resident.goto("/appeals/new")
    resident.fill("#in-description", "没有标题的描述")
    with resident.expect_navigation():
        resident.click("#appeal-form button[type=submit]")
    assert "请填写标题" in resident.inner_text(".field-error")
    assert resident.input_value("#in-description") == "没有标题的描述"
    resident.fill("#in-title", "没有标点的问题")
    with resident.expect_navigation(url=re.compile(r"/appeals/\d+\?filed=1")):
        resident.click("#appeal-form button[type=submit]")  # no pin: the resident's own grid
    appeal_id = int(re.search(r"/appeals/(\d+)", resident.url).group(1))  # type: ignore[union-attr]

    one, two = new_page(DESKTOP), new_page(DESKTOP)
    login(one, "community")
    login(two, "street")
    one.goto(f"/appeals/{appeal_id}")
    two.goto(f"/appeals/{appeal_id}")
    one.fill(f"#mc-{appeal_id}", catalog["matter"])
    _submit(one, "#act-register", "register")
    two.fill(f"#mc-{appeal_id}", catalog["matter"])
    two.locator("#act-register form button[type=submit]").click()  # htmx: the form comes back with the reason
    two.wait_for_selector("#act-register .alert.error")
    assert "已被他人更新，请刷新" in two.inner_text("#act-register .alert.error")
    assert two.input_value(f"#mc-{appeal_id}") == catalog["matter"]


# ---- screenshots -------------------------------------------------------------------------------------------

class Api:
    """The JSON API as the demo accounts (bearer tokens), to put appeals in each state for the screenshots."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.tokens: dict[str, str] = {}

    def __call__(self, user: str, path: str, body: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        if user not in self.tokens:
            r = self.http.post("/api/v1/auth/token", data={"username": user, "password": PASSWORD})
            r.raise_for_status()
            self.tokens[user] = r.json()["access_token"]
        auth = {"Authorization": f"Bearer {self.tokens[user]}"}
        r = self.http.post(path, json=body if not kw else None, headers=auth, **kw)
        assert r.status_code in (200, 201), f"{user} {path}: {r.status_code} {r.text[:300]}"
        return dict(r.json())


@pytest.fixture(scope="module")
def shots_data(live_server: LiveServer, catalog: dict[str, str], photo_file: Path) -> dict[str, int]:
    """Appeals in every state the pages show: received (with a likely duplicate), dispatched to the department,
    resolved at grid tier (to verify), verified (to rate), overdue (supervision)."""
    import json

    from sqlalchemy.orm import Session

    from gongzhi.appeals.models import Appeal
    from gongzhi.core.db import get_engine
    from gongzhi.regions.models import Region

    api = Api(live_server.url)
    with Session(get_engine(live_server.db.url)) as s:
        from sqlalchemy import select

        grid = s.scalars(select(Region).where(Region.code == live_server.db.scopes["grid"])).one()
        lat, lon = grid.center_lat, grid.center_lon

    def new(user: str, title: str, description: str, channel: str = "h5", **extra: Any) -> int:
        body = {"title": title, "description": description, "lat": lat, "lon": lon, "channel": channel,
                "address": extra.pop("address", "幸福小区"), **extra}
        return int(api(user, "/api/v1/appeals", body)["id"])

    def act(user: str, i: int, action: str, **body: Any) -> None:
        api(user, f"/api/v1/appeals/{i}/{action}", body)

    data = json.dumps({"title": "小区门口垃圾桶满了没人清运", "description": "连续三天没有清运，气味很大，苍蝇多。",
                       "lat": lat, "lon": lon, "channel": "h5", "address": "幸福小区东门"})
    with photo_file.open("rb") as fh:
        verified = int(api("resident", "/api/v1/appeals", data={"data": data},
                           files=[("photos", ("photo.jpg", fh.read(), "image/jpeg"))])["id"])
    act("community", verified, "register", matter_code=catalog["matter"], note="属实，立案")
    act("community", verified, "dispatch")
    act("handler", verified, "accept")
    act("handler", verified, "resolve", reply="已安排环卫车辆当日清运，并增加每日清运一次。")
    act("grid", verified, "verify", passed=True, note="现场已清理干净")
    first = new("volunteer", "幸福小区东门路灯不亮", "东门两盏路灯坏了，晚上很黑。", channel="volunteer")
    received = new("resident", "东门的路灯不亮了", "幸福小区东门路灯一直不亮。", reporter_phone="13800001234")
    dispatched = new("community", "人行道地砖松动", "五号楼前人行道有三块地砖松动，容易绊倒。", channel="hotline",
                     reporter_name="李阿姨", reporter_phone="13900002222", matter_code=catalog["matter"])
    act("community", dispatched, "register")
    act("community", dispatched, "dispatch")
    registered = new("resident", "广场舞音响太吵", "每晚八点到十点音量很大。", matter_code=catalog["matter"])
    act("community", registered, "register")
    to_verify = new("grid", "楼道堆放杂物", "二单元楼道堆满纸箱，堵塞消防通道。", channel="patrol")
    act("community", to_verify, "register", matter_code=catalog["matter"])
    act("community", to_verify, "dispatch")
    act("handler", to_verify, "accept")
    act("handler", to_verify, "resolve", reply="已联系住户清理，楼道已畅通。")
    overdue = new("resident", "下水道堵塞污水外溢", "七号楼旁下水道堵了，污水流到路上。", matter_code=catalog["matter"])
    act("community", overdue, "register")
    act("community", overdue, "dispatch")
    with Session(get_engine(live_server.db.url)) as s:
        row = s.get(Appeal, overdue)
        assert row is not None
        row.overdue = row.warned = row.ever_overdue = True
        s.commit()
    return {"verified": verified, "duplicate_of": first, "received": received, "registered": registered,
            "dispatched": dispatched,
            "to_verify": to_verify, "overdue": overdue}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_appeal_pages(new_page: Any, shots_dir: Path, shots_data: dict[str, int],
                                         photo_file: Path, viewport: dict[str, int]) -> None:
    """Every appeal page at this width: no horizontal overflow, and a PNG of it."""
    suffix = "desktop" if viewport == DESKTOP else "phone"

    def shot(page: Any, name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready")
        no_horizontal_overflow(page)
        page.screenshot(path=str(shots_dir / f"{name}-{suffix}.png"), full_page=True)

    resident = new_page(viewport)
    login(resident, "resident")
    shot(resident, "20-home-resident")
    resident.goto("/appeals/new")
    resident.wait_for_selector("#pick-map[data-ready]")
    resident.fill("#in-title", "三号楼前路灯不亮")
    resident.set_input_files("#in-photos", [str(photo_file), str(photo_file)])
    _tap_map_centre(resident)
    shot(resident, "21-appeal-new")
    resident.goto(f"/appeals/{shots_data['received']}?filed=1")
    shot(resident, "22-appeal-filed-with-duplicates")
    resident.goto(f"/appeals/{shots_data['verified']}")
    shot(resident, "23-appeal-to-rate")
    resident.goto("/appeals/mine")
    shot(resident, "24-appeals-mine")
    resident.goto("/appeals/nearby")
    shot(resident, "25-appeals-nearby")

    community = new_page(viewport)
    login(community, "community")
    community.goto("/appeals/console")
    assert community.locator("#bulk-form input[name=ids]").count() >= 1  # "to dispatch" can be ticked
    shot(community, "26-appeals-console")
    community.goto(f"/appeals/{shots_data['received']}")
    shot(community, "27-appeal-to-register")
    community.goto("/appeals/new")
    shot(community, "32-appeal-new-staff")

    handler = new_page(viewport)
    login(handler, "handler")
    handler.goto("/appeals/inbox")
    shot(handler, "28-appeals-inbox")
    handler.goto(f"/appeals/{shots_data['dispatched']}")
    shot(handler, "29-appeal-to-accept")

    grid = new_page(viewport)
    login(grid, "grid")
    grid.goto("/appeals/verify")
    shot(grid, "30-appeals-verify")
    grid.goto(f"/appeals/{shots_data['to_verify']}")
    shot(grid, "33-appeal-to-verify")

    street = new_page(viewport)
    login(street, "street")
    street.goto("/appeals/supervision")
    shot(street, "31-appeals-supervision")
