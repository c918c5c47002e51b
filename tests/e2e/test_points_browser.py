"""The points store in a real browser: on a phone the resident browses the store, redeems a soy sauce and vinegar set
and gets a pick-up code (QR and digits); the shop's clerk types the code on the phone and hands it over; the
code cannot be used again; the resident's statement shows the spending. The community desk (redemptions,
rules, an item form) at desktop width. A PNG of each page (docs/screenshots/40–49)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveServer, login, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_store(live_server: LiveServer) -> None:
    """The demo store (gongzhi.points.demo): shops, items, the `shop` account, points for the resident."""
    from sqlalchemy.orm import Session

    from gongzhi.core import audit
    from gongzhi.core.db import get_engine
    from gongzhi.points import demo

    with audit.acting_as(audit.Actor(None, "e2e")), Session(get_engine(live_server.db.url)) as s:
        demo.load(s, PASSWORD)
        s.commit()


def _balance(page: Any) -> int:
    return int(page.inner_text("#balance"))


def test_resident_redeems_and_the_shop_hands_over(new_page: Any, demo_store: None, shots_dir: Path) -> None:
    resident = new_page(PHONE)
    login(resident, "resident")
    resident.click("header nav a[href='/points']")
    before = _balance(resident)
    assert resident.locator(".pts-item").count() >= 12
    shot(resident, shots_dir, "40-points-store-phone")
    resident.fill("#q", "酱油")
    with resident.expect_navigation():
        resident.click("form.toolbar button[type=submit]")
    resident.click("text=酱油醋组合")
    resident.wait_for_selector("text=立即兑换")
    shot(resident, shots_dir, "41-points-item-phone")
    with resident.expect_navigation(url=re.compile(r"/points/redemptions/\d+")):
        resident.click("button:has-text('立即兑换')")
    code = resident.inner_text("#code").replace(" ", "")
    assert re.fullmatch(r"\d{8}", code)
    assert resident.locator(".pts-code svg").count() == 1
    shot(resident, shots_dir, "42-points-code-phone")

    shop = new_page(PHONE)
    login(shop, "shop")
    shop.click("header nav a[href='/points/shop']")
    shop.fill("#in-code", f"{code[:4]} {code[4:]}")
    with shop.expect_navigation():
        shop.click("button:has-text('查询')")
    assert "请交付：酱油醋组合 × 1" in shop.inner_text("main")
    shot(shop, shots_dir, "43-points-shop-lookup-phone")
    with shop.expect_navigation(url=re.compile(r"done=\d+")):
        shop.click("#confirm")
    assert "已核销" in shop.inner_text(".alert.ok")
    shot(shop, shots_dir, "44-points-shop-done-phone")
    shop.fill("#in-code", code)  # once only
    with shop.expect_navigation():
        shop.click("button:has-text('查询')")
    assert "取件码无效、已使用或不属于本店" in shop.inner_text(".alert.error")

    resident.goto("/points/mine")
    assert "已核销" in resident.inner_text(".pts-list")
    shot(resident, shots_dir, "45-points-mine-phone")
    resident.goto("/points/statement")
    assert _balance(resident) == before - 60
    assert "兑换：酱油醋组合" in resident.inner_text(".pts-list")
    shot(resident, shots_dir, "46-points-statement-phone")


def test_community_desk(new_page: Any, demo_store: None, shots_dir: Path) -> None:
    staff = new_page(DESKTOP)
    login(staff, "community")
    staff.click("header nav a[href='/points/desk']")
    assert staff.locator("table tbody tr").count() >= 1
    shot(staff, shots_dir, "47-points-desk-desktop")
    staff.click("a.btn:has-text('积分规则')")
    staff.wait_for_selector("text=文明行为")
    shot(staff, shots_dir, "48-points-rules-desktop")
    staff.click("a.btn:has-text('商品管理')")
    staff.click("text=物业费抵扣 20 元")
    staff.wait_for_selector("#in-fee_yuan")
    shot(staff, shots_dir, "49-points-item-form-desktop")
