"""One co-building journey across three domains in a real browser (issue 4): a member unit pledges a resource; a
resident posts a need; the community runs the assignment and opens a project for the pair; an in-service Party
member reports (双报到), the community confirms, the member claims the resident's micro-wish and fulfils it with a
photo; the resident thanks and the Party member's `wish_fulfilled` points arrive; the resident redeems an item
and the shop hands it over with the pick-up code, which cannot be used again. The resident, the Party member and
the shop on a phone (390×844), community staff and the unit at desktop width; the database is checked at the end.

The resident and the Party member are accounts of this test, not the demo `resident` and `party`: the browser
tests share one server per session and the points and 双报到 tests need those two untouched (a Party member
reports once; the resident's balance and per-person limits)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_cobuild_browser as cobuild_e2e
from tests.e2e import test_points_browser as points_e2e
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveServer, login, no_horizontal_overflow

pytestmark = pytest.mark.browser

# the other domains' browser-test fixtures, reused: the 大党委 with the unit's handler `unit`, the demo store with
# its clerk `shop`, a completion photo
committee = cobuild_e2e.committee
demo_store = points_e2e.demo_store
_submit = cobuild_e2e._submit
_balance = points_e2e._balance

RESIDENT, RESIDENT_NAME = "journey_resident", "王秀兰"
PARTY, PARTY_NAME = "journey_party", "李建华"
UNIT = "市第二人民医院"  # the first member unit of `committee`, handled by `unit`
RESOURCE, NEED = "康复师上门指导居家康复", "肢体残疾居民居家康复指导"
WISH = "想请人帮忙修一下轮椅刹车"
ITEM, ITEM_PRICE = "抽纸 10包装", 50  # sold by 幸福里便民超市, whose clerk is `shop`
START_POINTS = 60


@pytest.fixture(scope="module")
def people(live_server: LiveServer, committee: dict[str, Any], demo_store: None) -> dict[str, int]:
    """This journey's resident (with points from earlier volunteering) and Party member; their user ids."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.models import User
    from gongzhi.accounts.service import create_user
    from gongzhi.core import audit
    from gongzhi.core.db import get_engine
    from gongzhi.points import service as points
    from gongzhi.regions.models import Region

    with audit.acting_as(audit.Actor(None, "e2e")), Session(get_engine(live_server.db.url)) as s:
        ids = {}
        for username, role, level, name in ((RESIDENT, "resident", "grid", RESIDENT_NAME),
                                            (PARTY, "party_member", "community", PARTY_NAME)):
            user = s.scalars(select(User).where(User.username == username)).first()
            if user is None:
                user = create_user(s, username=username, password=PASSWORD, role=role,
                                   scope_code=live_server.db.scopes[level], display_name=name)
            ids[username] = user.id
        community = s.scalars(select(Region).where(Region.code == live_server.db.scopes["community"])).one()
        points.award(s, community_id=community.id, user_id=ids[RESIDENT], rule="service_hour", ref="e2e-journey",
                     quantity=START_POINTS / 10, note="社区志愿服务")
        s.commit()
        return ids


def _send_form(page: Any, fields: dict[str, str], url: str) -> None:
    """Fill the page's form by field name (typing, or picking in a select) and submit it, landing on `url`."""
    for name, value in fields.items():
        field = page.locator(f"main form [name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    _submit(page, "main form button[type=submit]", url)


def _nav(page: Any, href: str) -> None:
    with page.expect_navigation():
        page.click(f"header nav a[href='{href}']")


def test_unit_resident_community_party_member_and_shop(new_page: Any, live_server: LiveServer,
                                                       people: dict[str, int], photo_file: Path) -> None:
    # the member unit pledges a resource (desktop)
    unit = new_page(DESKTOP)
    login(unit, "unit")
    _nav(unit, "/cobuild/unit")
    unit.click("a.btn:has-text('承诺新资源')")
    _send_form(unit, {"title": RESOURCE, "resource_type": "助残", "skills": "康复", "capacity": "1"},
               r"/cobuild/unit\?saved=1")
    assert re.search(RESOURCE + r".*余量 1/1", unit.inner_text("main"))

    # a resident posts a need on a phone, and sees the unit's resource suggested
    resident = new_page(PHONE)
    login(resident, RESIDENT)
    _nav(resident, "/cobuild/wishes/mine")
    resident.click("a.btn:has-text('提需求')")
    _send_form(resident, {"title": NEED, "need_type": "助残", "beneficiary_count": "2", "beneficiaries": "肢体残疾居民",
                          "skills": "康复", "urgency": "high"}, r"/cobuild/needs/\d+")
    need_id = int(re.search(r"/cobuild/needs/(\d+)", resident.url).group(1))
    assert "已提交" in resident.inner_text(".alert.ok")
    assert RESOURCE in resident.inner_text("table.suggest")
    no_horizontal_overflow(resident)

    # the community runs the assignment, accepts this pair only and opens the project
    desk = new_page(DESKTOP)
    login(desk, "community")
    _nav(desk, "/cobuild")
    assert NEED in desk.inner_text("main")
    _submit(desk, "form[action^='/cobuild/assignment'] button", r"/cobuild/assignment/")
    pair = desk.locator("tbody tr", has_text=NEED)
    assert RESOURCE in pair.inner_text()
    assert UNIT in pair.inner_text()
    desk.uncheck("thead input[type=checkbox]")  # 全选 off, then tick ours
    pair.locator("input[name=pair]").check()
    assert desk.locator("input[name=pair]:checked").count() == 1
    _submit(desk, "form[action$='/accept'] button[type=submit]", r"tab=projects&saved=1")
    desk.click(f"a:has-text('{NEED}')")
    desk.wait_for_url(re.compile(r"/cobuild/projects/\d+"))
    project = desk.inner_text("main")
    assert "实施中" in project
    assert f"负责方：{UNIT}" in project

    # the unit sees its project and its resource taken; the resident sees the need in a project
    unit.reload()
    assert NEED in unit.inner_text("main")
    assert re.search(RESOURCE + r".*余量 0/1", unit.inner_text("main"))
    _nav(resident, "/cobuild/wishes/mine")
    assert "项目实施中" in resident.locator(".wish-card", has_text=NEED).inner_text()
    resident.click(f"a:has-text('{NEED}')")
    assert "已立项" in resident.inner_text("main")

    # an in-service Party member reports (双报到) on a phone; the community confirms at its desk
    member = new_page(PHONE)
    login(member, PARTY)
    _nav(member, "/volunteers/party")
    member.fill("#rg-name", PARTY_NAME)
    member.fill("#rg-unit", UNIT)
    member.fill("#rg-skills", "康复护理")
    _submit(member, "form[action='/volunteers/party/register'] button[type=submit]", r"saved=register")
    assert "待确认" in member.inner_text("main")
    _nav(desk, "/volunteers/desk")
    desk.goto("/volunteers/desk?tab=members&status=pending")
    row = desk.locator("tr", has_text=PARTY_NAME)
    assert UNIT in row.inner_text()
    with desk.expect_navigation():
        row.locator("button[value=confirm]").click()
    assert "已保存" in desk.inner_text(".alert.ok")
    member.reload()
    assert "已报到" in member.inner_text(".vol-status")

    # the resident posts a micro-wish; the community approves it
    _nav(resident, "/cobuild/wishes/mine")
    resident.click("a.btn:has-text('许个微心愿')")
    resident.fill("input[name=title]", WISH)
    resident.check("input[name=kind][value=repair]")
    _submit(resident, "main form button[type=submit]", r"/cobuild/wishes/\d+")
    wish_url = resident.url.split("?")[0].replace(live_server.url, "")
    assert "待审核" in resident.inner_text("main")
    _nav(desk, "/cobuild")
    desk.goto("/cobuild/wishes?status=pending")
    desk.click(f"a:has-text('{WISH}')")
    _submit(desk, "form[action$='/approve'] button", r"saved=approve")

    # the Party member claims the wish and fulfils it with a photo
    _nav(member, "/points/statement")
    before = _balance(member)
    _nav(member, "/cobuild/wishes")
    member.click(f"a:has-text('{WISH}')")
    _submit(member, "form[action$='/claim'] button", r"saved=claim")
    assert "认领成功" in member.inner_text(".alert.ok")
    member.set_input_files("input[name=photo]", str(photo_file))
    member.fill("form[action$='/fulfil'] input[name=note]", "刹车片已更换，调好了松紧")
    _submit(member, "form[action$='/fulfil'] button", r"saved=fulfil")
    assert "已实现" in member.inner_text("main")
    no_horizontal_overflow(member)

    # the resident sees who did it and thanks; the points arrive on the member's statement
    _nav(resident, "/cobuild/wishes/mine")
    resident.click(f"a:has-text('{WISH}')")
    assert f"认领人：{PARTY_NAME}" in resident.inner_text("main")
    assert "刹车片已更换" in resident.inner_text("main")
    resident.fill("form[action$='/thank'] input[name=note]", "轮椅好用了，谢谢李师傅！")
    _submit(resident, "form[action$='/thank'] button", r"saved=thank")
    assert "已致谢" in resident.inner_text("main")
    _nav(member, "/points/statement")
    wish_points = _balance(member) - before
    assert wish_points > 0
    assert f"微心愿认领完成：{WISH}" in member.locator(".pts-list li").first.inner_text()

    # the resident redeems an item for the pick-up code
    _nav(resident, "/points")
    assert _balance(resident) == START_POINTS
    resident.fill("#q", "抽纸")
    with resident.expect_navigation():
        resident.click("form.toolbar button[type=submit]")
    resident.click(f"text={ITEM}")
    _submit(resident, "button:has-text('立即兑换')", r"/points/redemptions/\d+")
    code = resident.inner_text("#code").replace(" ", "")
    assert re.fullmatch(r"\d{8}", code)
    no_horizontal_overflow(resident)

    # the shop's clerk types the code on a phone and hands the item over; the code works once
    shop = new_page(PHONE)
    login(shop, "shop")
    _nav(shop, "/points/shop")
    shop.fill("#in-code", code)
    _submit(shop, "button:has-text('查询')", r"code=")
    assert f"请交付：{ITEM} × 1" in shop.inner_text("main")
    assert f"兑换人：{RESIDENT_NAME}" in shop.inner_text("main")
    _submit(shop, "#confirm", r"done=\d+")
    assert f"已核销：{ITEM} × 1，兑换人 {RESIDENT_NAME}" in shop.inner_text(".alert.ok")
    shop.fill("#in-code", code)
    _submit(shop, "button:has-text('查询')", r"code=")
    assert "取件码无效、已使用或不属于本店" in shop.inner_text(".alert.error")
    no_horizontal_overflow(shop)
    resident.reload()
    assert "已核销" in resident.inner_text("h1")
    _nav(resident, "/points/statement")
    assert _balance(resident) == START_POINTS - ITEM_PRICE

    _check_database(live_server, people, need_id=need_id, wish_url=wish_url, wish_points=wish_points, code=code)


def _check_database(live_server: LiveServer, people: dict[str, int], *, need_id: int, wish_url: str,
                    wish_points: int, code: str) -> None:
    """What the pages said, in the tables: the project holds the pair; the member's balance rose by the rule's
    points; the redemption is handed over and its code is spent."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from gongzhi.accounts.models import User
    from gongzhi.accounts.service import principal_for
    from gongzhi.cobuild.models import Claim, Need, Project, Resource, Wish
    from gongzhi.core.db import get_engine
    from gongzhi.core.errors import AppError
    from gongzhi.orgs.models import Unit
    from gongzhi.points import service as points
    from gongzhi.points.models import PointAccount, PointPosting, Redemption

    with Session(get_engine(live_server.db.url)) as s:
        need = s.get(Need, need_id)
        resource = s.scalars(select(Resource).where(Resource.title == RESOURCE)).one()
        project = s.scalars(select(Project).where(Project.need_id == need_id)).one()
        assert (project.resource_id, project.status, need.status) == (resource.id, "active", "in_project")
        assert project.unit_id == resource.unit_id == s.scalars(select(Unit.id).where(Unit.name == UNIT)).one()
        claim = s.get(Claim, project.claim_id)
        assert (claim.need_id, claim.resource_id, claim.kind, claim.status) == (
            need_id, resource.id, "assignment", "accepted")

        wish = s.get(Wish, int(wish_url.rsplit("/", 1)[1]))
        assert (wish.status, wish.claimer_id, wish.poster_id) == ("thanked", people[PARTY], people[RESIDENT])
        community = points.community_of(s, wish.scope_path)
        assert community is not None
        rule = points.rule_setting(s, community.id, "wish_fulfilled")  # the wish's community's setting
        assert wish_points == rule.points
        posting = s.scalars(select(PointPosting).where(PointPosting.key == f"award:wish_fulfilled:wish:{wish.id}:"
                                                       f"{people[PARTY]}")).one()
        assert posting.points == rule.points
        member = s.scalars(select(PointAccount).where(PointAccount.owner_key == f"user:{people[PARTY]}")).one()
        assert member.balance == rule.points  # a new account: the wish is all it earned

        shop = s.scalars(select(User).where(User.username == "shop")).one()
        redemption = s.scalars(select(Redemption).where(Redemption.user_id == people[RESIDENT])).one()
        assert (redemption.status, redemption.code, redemption.open_code) == ("handed_over", code, None)
        assert (redemption.points, redemption.handed_over_by) == (ITEM_PRICE, shop.id)
        with pytest.raises(AppError) as second:
            points.hand_over(s, principal_for(s, shop), code)
        assert second.value.status == 404
        s.rollback()
