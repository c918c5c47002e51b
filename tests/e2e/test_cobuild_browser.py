"""Co-building in a real browser: a member unit pledges a resource, a resident posts a need on a phone, the
community runs the assignment and opens a project; a resident posts a micro-wish, the community approves it, a
Party member claims and fulfils it with a photo on a phone, the resident thanks and the Party member's points
arrive. Screenshots 50–59 of the co-building pages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveServer, login, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def committee(live_server: LiveServer) -> dict[str, Any]:
    """Six member units in the demo community's 大党委 and the handler account `unit` of the first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.models import User
    from gongzhi.accounts.service import create_user
    from gongzhi.cobuild.models import CommitteeMembership
    from gongzhi.core.db import get_engine
    from gongzhi.orgs.models import Unit
    from gongzhi.regions.models import Region

    names = ("市第二人民医院", "实验小学", "区税务局", "供电公司", "鲁东大学", "社区志愿者协会")
    kinds = ("医院", "学校", "机关", "国有企业", "学校", "社会组织")
    with Session(get_engine(live_server.db.url)) as s:
        comm = s.scalars(select(Region).where(Region.code == live_server.db.scopes["community"])).one()
        grid = s.scalars(select(Region).where(Region.code == live_server.db.scopes["grid"])).one()
        units = []
        for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
            unit = s.scalars(select(Unit).where(Unit.name == name)).first()
            if unit is None:
                unit = Unit(name=name, kind=kind, is_member_unit=True, region_id=grid.id, scope_path=grid.path,
                            lat=grid.center_lat, lon=grid.center_lon)
                s.add(unit)
                s.flush()
                s.add(CommitteeMembership(region_id=comm.id, scope_path=comm.path, unit_id=unit.id,
                                          signed_on=dt.date(2024, 1, 1 + i), term_end=dt.date(2027, 12, 31),
                                          terms=f"{name}与社区共驻共建", pledged="志愿者、场地"))
            units.append(unit)
        if s.scalars(select(User).where(User.username == "unit")).first() is None:
            create_user(s, username="unit", password=PASSWORD, role="department_handler", scope_code=comm.code,
                        display_name="医院经办人", unit_id=units[0].id)
        s.commit()
        return {"community": comm.code, "grid": grid.code, "unit": units[0].name}


def _submit(page: Any, selector: str, url: str) -> None:
    with page.expect_navigation(url=re.compile(url)):
        page.locator(selector).click()


def test_cobuilding_in_the_browser(new_page: Any, live_server: LiveServer, committee: dict[str, Any],
                                   photo_file: Path, shots_dir: Path) -> None:
    # the member unit pledges a resource on its page
    unit = new_page(DESKTOP)
    login(unit, "unit")
    unit.goto("/cobuild/resources/new")
    unit.fill("input[name=title]", "医护志愿者上门测血压")
    unit.select_option("select[name=resource_type]", "医疗健康")
    unit.fill("input[name=skills]", "护理")
    unit.fill("input[name=capacity]", "2")
    _submit(unit, "main form button[type=submit]", r"/cobuild/unit")
    assert "医护志愿者上门测血压" in unit.inner_text("main")

    # a resident posts a need on a phone
    resident = new_page(PHONE)
    login(resident, "resident")
    resident.goto("/cobuild/needs/new")
    shot(resident, shots_dir, "55-cobuild-need-new-phone")
    resident.fill("input[name=title]", "独居老人每周测一次血压")
    resident.select_option("select[name=need_type]", "医疗健康")
    resident.fill("input[name=beneficiary_count]", "5")
    resident.fill("input[name=beneficiaries]", "独居老人")
    resident.fill("input[name=skills]", "护理")
    resident.select_option("select[name=urgency]", "high")
    _submit(resident, "main form button[type=submit]", r"/cobuild/needs/\d+")
    need_url = resident.url.split("?")[0]
    assert "医护志愿者上门测血压" in resident.inner_text("main")  # suggested to the resident, too

    # the community sees it on the desk, runs the assignment and accepts the pair: a project
    desk = new_page(DESKTOP)
    login(desk, "community")
    desk.goto("/cobuild")
    assert "独居老人每周测一次血压" in desk.inner_text("main")
    shot(desk, shots_dir, "50-cobuild-desk-needs-desktop")
    desk.goto(need_url.replace(live_server.url, ""))
    shot(desk, shots_dir, "51-cobuild-need-suggestions-desktop")
    desk.goto("/cobuild")
    _submit(desk, "form[action^='/cobuild/assignment'] button", r"/cobuild/assignment/")
    assert "医护志愿者上门测血压" in desk.inner_text("main")
    shot(desk, shots_dir, "52-cobuild-assignment-desktop")
    for box in desk.locator("input[name=pair]").all():
        if not box.evaluate("b => b.closest('tr').innerText.includes('独居老人每周测一次血压')"):
            box.uncheck()
    _submit(desk, "form[action$='/accept'] button[type=submit]", r"tab=projects")
    desk.click("text=独居老人每周测一次血压")
    desk.wait_for_url(re.compile(r"/cobuild/projects/\d+"))
    desk.fill("input[name=title]", "建立血压记录卡")
    _submit(desk, "form[action$='/step'] button", r"saved=1")
    shot(desk, shots_dir, "59-cobuild-project-desktop")
    # the committee: generate this year's rotation
    desk.goto("/cobuild?tab=committee")
    _submit(desk, "form[action$='/generate'] button", r"saved=1")
    assert "轮值中" in desk.inner_text("main")
    shot(desk, shots_dir, "53-cobuild-committee-desktop")
    unit.goto("/cobuild/unit")
    assert "轮值" in unit.inner_text("main")
    shot(unit, shots_dir, "54-cobuild-unit-desktop")

    # a micro-wish: posted, approved, claimed and fulfilled with a photo, thanked
    resident.goto("/cobuild/wishes/new")
    shot(resident, shots_dir, "56-cobuild-wish-new-phone")
    resident.fill("input[name=title]", "想请人帮忙换个灯泡")
    resident.check("input[name=kind][value=repair]")
    _submit(resident, "main form button[type=submit]", r"/cobuild/wishes/\d+")
    wish_url = resident.url.split("?")[0].replace(live_server.url, "")
    desk.goto(wish_url)
    _submit(desk, "form[action$='/approve'] button", r"saved=approve")
    party = new_page(PHONE)
    login(party, "party")
    party.goto("/cobuild/wishes")
    assert "想请人帮忙换个灯泡" in party.inner_text("main")
    party.click("text=想请人帮忙换个灯泡")
    _submit(party, "form[action$='/claim'] button", r"saved=claim")
    party.goto("/cobuild/wishes")
    shot(party, shots_dir, "57-cobuild-wishes-serve-phone")
    party.goto(wish_url)
    party.set_input_files("input[name=photo]", str(photo_file))
    party.fill("form[action$='/fulfil'] input[name=note]", "已上门换好灯泡")
    _submit(party, "form[action$='/fulfil'] button", r"saved=fulfil")
    resident.goto(wish_url)
    resident.fill("form[action$='/thank'] input[name=note]", "谢谢党员同志！")
    _submit(resident, "form[action$='/thank'] button", r"saved=thank")
    assert "谢谢党员同志" in resident.inner_text("main")
    resident.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    shot(resident, shots_dir, "58-cobuild-wish-thanked-phone")

    # the Party member's points arrived
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.models import User
    from gongzhi.core.db import get_engine
    from gongzhi.points.models import PointPosting

    with Session(get_engine(live_server.db.url)) as s:
        uid = s.scalars(select(User.id).where(User.username == "party")).one()
        assert s.scalars(select(PointPosting).where(PointPosting.rule == "wish_fulfilled",
                                                    PointPosting.user_id == uid)).first() is not None
