"""双报到 in a real browser: an in-service Party member reports on a phone, the community confirms at its desk,
the member claims a post, pairs with a household and logs service with a photo, the community confirms the log
and grades the member, the 双报告 downloads as Word; the volunteer's page; the employer unit's page. A
screenshot of each page (phone pages at 390×844)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveServer, login, shot

pytestmark = pytest.mark.browser
UNIT = "安宁市供电局"


@pytest.fixture(scope="module")
def place(live_server: LiveServer) -> dict[str, Any]:
    """Posts, a household with a lone elderly resident, the member's employer unit and its handler's account."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.models import User
    from gongzhi.accounts.service import create_user
    from gongzhi.core.db import get_engine
    from gongzhi.orgs.models import Unit
    from gongzhi.people.models import Household, Resident
    from gongzhi.regions.models import Region
    from gongzhi.volunteers.models import ServicePost

    with Session(get_engine(live_server.db.url)) as s:
        comm = s.scalars(select(Region).where(Region.code == live_server.db.scopes["community"])).one()
        grid = s.scalars(select(Region).where(Region.code == live_server.db.scopes["grid"])).one()
        unit = s.scalars(select(Unit).where(Unit.name == UNIT)).first()
        if unit is None:
            unit = Unit(name=UNIT, kind="国有企业", region_id=comm.id, scope_path=comm.path)
            s.add(unit)
            for name, slots, when in (("助老服务岗", 3, "每周三下午"), ("文明劝导岗", 2, "每周六上午")):
                s.add(ServicePost(name=name, slots=slots, time_text=when, places="社区党群服务中心",
                                  description="陪伴老人、代购代办", region_id=comm.id, scope_path=comm.path))
            h = Household(code="E2E-VOL-H1", head_name="周桂英", address="文化路 12 号 3 单元 201",
                          region_id=grid.id, scope_path=grid.path)
            s.add(h)
            s.flush()
            s.add(Resident(name="周桂英", gender="女", household_id=h.id, care_tags="独居老人", region_id=grid.id,
                           scope_path=grid.path))
            s.flush()
            from gongzhi.cobuild.models import NEED_SOURCES, NEED_TYPES, Need
            from tests import factories as f

            f.make_appeal(s, grid, status="dispatched", title="3 号楼楼道灯不亮")
            s.add(Need(title="独居老人每周助浴", need_type=NEED_TYPES[0], source=next(iter(NEED_SOURCES)),
                       beneficiaries="独居老人", region_id=comm.id, scope_path=comm.path))
        if s.scalars(select(User).where(User.username == "employer")).first() is None:
            create_user(s, username="employer", password=PASSWORD, role="department_handler",
                        scope_code=comm.code, display_name="供电局党务干部", unit_id=unit.id)
        s.commit()
        return {"unit_id": unit.id}


def test_party_member_reports_claims_logs_and_the_community_confirms(
        new_page: Any, place: dict[str, Any], photo_file: Path, shots_dir: Path) -> None:
    # the Party member reports to the home community, on a phone
    member = new_page(PHONE)
    login(member, "party")
    member.click("header.top nav >> text=双报到")
    member.wait_for_url("**/volunteers/party")
    member.fill("#rg-name", "郑卫国")
    member.fill("#rg-unit", UNIT)
    member.fill("#rg-skills", "电工维修")
    shot(member, shots_dir, "60-party-register-phone")
    with member.expect_navigation(url=re.compile(r"saved=register")):
        member.click("form[action='/volunteers/party/register'] button[type=submit]")
    assert "待确认" in member.inner_text("main")

    # the community confirms the 报到 at its desk
    desk = new_page(DESKTOP)
    login(desk, "community")
    desk.click("header.top nav >> text=党员志愿者")
    desk.goto("/volunteers/desk?tab=members&status=pending")
    row = desk.locator("tr", has_text="郑卫国")
    assert UNIT in row.inner_text()
    shot(desk, shots_dir, "63-desk-members-desktop")
    with desk.expect_navigation():
        row.locator("button[value=confirm]").click()
    assert "已保存" in desk.inner_text(".alert.ok")
    desk.goto("/volunteers/desk?tab=members")
    assert "已报到" in desk.locator("tr", has_text="郑卫国").inner_text()

    # the member claims a post, pairs with a household and logs a visit with a photo
    member.goto("/volunteers/party")
    post = member.locator("#posts li", has_text="助老服务岗")
    with member.expect_navigation(url=re.compile(r"saved=post")):
        post.locator("button", has_text="认领").click()
    assert "已认领" in member.locator("#posts li", has_text="助老服务岗").inner_text()
    member.click("#pairs >> text=找结对户")
    member.wait_for_url("**/volunteers/party/households")
    shot(member, shots_dir, "62-party-households-phone")
    with member.expect_navigation(url=re.compile(r"saved=pair")):
        member.locator("li", has_text="周桂英").locator("button", has_text="结对").click()
    assert "周桂英" in member.inner_text("#pairs")
    member.click("#log-form summary")
    member.fill("#lg-hours", "2")
    member.fill("#lg-what", "看望周桂英老人，帮忙打扫卫生、代购米面")
    member.select_option("#lg-link", label="走访：周桂英")
    member.set_input_files("#lg-photos", str(photo_file))
    with member.expect_navigation(url=re.compile(r"saved=log")):
        member.click("#log-form button[type=submit]")
    assert "待确认" in member.inner_text("#logs")
    assert member.locator("#logs .thumbs img").count() == 1
    shot(member, shots_dir, "61-party-page-phone")
    member.goto("/volunteers/party/problems")
    shot(member, shots_dir, "68-party-problems-phone")
    with member.expect_navigation(url=re.compile(r"saved=problem")):
        member.locator("li", has_text="3 号楼楼道灯不亮").locator("button", has_text="认领").click()
    assert "3 号楼楼道灯不亮" in member.inner_text("#problems")

    # the community confirms the log; the hours count
    desk.goto("/volunteers/desk?tab=logs&status=pending")
    log_row = desk.locator("tr", has_text="看望周桂英老人")
    assert log_row.locator(".thumbs img").count() == 1
    shot(desk, shots_dir, "64-desk-logs-desktop")
    with desk.expect_navigation():
        log_row.locator("button[value=confirm]").click()
    member.goto("/volunteers/party")
    assert "已确认" in member.inner_text("#logs")

    # 一评 for this year, and the 双报告 as Word
    desk.goto("/volunteers/desk?tab=evaluations&year=" + member.evaluate("new Date().getFullYear()").__str__())
    erow = desk.locator("tr", has_text="郑卫国")
    erow.locator("select[name=grade]").select_option("优秀")
    erow.locator("input[name=comment]").fill("报到积极，结对帮扶耐心细致")
    with desk.expect_navigation():
        erow.locator("button", has_text="评议").click()
    erow = desk.locator("tr", has_text="郑卫国")
    assert "优秀" in erow.inner_text()
    shot(desk, shots_dir, "65-desk-evaluations-desktop")
    with desk.expect_download() as dl:
        erow.locator("a", has_text="双报告").click()
    data = Path(dl.value.path()).read_bytes()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "郑卫国" in text
    assert "优秀" in text

    # the employer unit's handler sees the member and downloads the unit's reports
    employer = new_page(DESKTOP)
    login(employer, "employer")
    employer.click("header.top nav >> text=本单位在职党员")
    employer.goto(employer.url + "?year=" + member.evaluate("new Date().getFullYear()").__str__())
    assert "郑卫国" in employer.inner_text("main")
    shot(employer, shots_dir, "67-employer-desktop")
    with employer.expect_download() as dl:
        employer.click("text=双报告（全部）")
    paragraphs = docx.Document(io.BytesIO(Path(dl.value.path()).read_bytes())).paragraphs
    assert "郑卫国" in "\n".join(p.text for p in paragraphs)


def test_volunteer_page(new_page: Any, shots_dir: Path, place: dict[str, Any]) -> None:
    page = new_page(PHONE)
    login(page, "volunteer")
    page.click("header.top nav >> text=志愿服务")
    page.wait_for_url("**/volunteers/me")
    page.fill("#vp-name", "林晓峰")
    page.check("input[value=patrol]")
    page.check("input[value=publicity]")
    page.fill("#vp-skills", "摄影、维修")
    with page.expect_navigation(url=re.compile(r"saved=profile")):
        page.click("form[action='/volunteers/me/profile'] button[type=submit]")
    assert "巡查员" in page.inner_text("main")
    assert "宣传员" in page.inner_text("main")
    page.click("#log-form summary")
    page.fill("#lg-hours", "1.5")
    page.fill("#lg-what", "巡查小区消防通道，清理堆放杂物")
    with page.expect_navigation(url=re.compile(r"saved=log")):
        page.click("#log-form button[type=submit]")
    shot(page, shots_dir, "66-volunteer-page-phone")
    assert page.locator("a[href='/appeals/new']").count() >= 1

    desk = new_page(DESKTOP)
    login(desk, "community")
    desk.goto("/volunteers/desk?tab=volunteers")
    assert "林晓峰" in desk.inner_text("main")
    shot(desk, shots_dir, "69-desk-volunteers-desktop")
