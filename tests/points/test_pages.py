"""The points pages through the app as a browser posts them: the resident's store, redeem with errors kept,
the code page and cancel; the shop's hand-over; the desk's rules, items and civic acts; the JSON faces of
redeem and hand-over; Excel exports."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.points import service
from gongzhi.points.models import PointRule, Redemption
from tests import factories as f
from tests.points import factories as pf
from tests.points.conftest import Store
from tests.web import HTML, sign_in


class TestResidentPages:
    def test_store_item_redeem_code_cancel(self, client: Any, session: Session, store: Store) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=30, stock=2, name="页面大米")
        csrf = sign_in(client, "resident")
        home = client.get("/", headers=HTML)
        assert 'href="/points"' in home.text
        assert "积分超市" in home.text
        r = client.get("/points", params={"q": "页面"}, headers=HTML)
        assert r.status_code == 200
        assert "页面大米" in r.text
        assert ">100<" in r.text
        r = client.get(f"/points/items/{item.id}", headers=HTML)
        assert "立即兑换" in r.text
        r = client.post(f"/points/items/{item.id}/redeem", data={"csrf_token": csrf, "quantity": "9"}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 409
        assert "积分不足" in html.unescape(r.text)
        assert 'value="9"' in r.text
        r = client.post(f"/points/items/{item.id}/redeem", data={"csrf_token": csrf, "quantity": "1"}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        page = client.get(r.headers["location"], headers=HTML)
        red = session.get(Redemption, int(r.headers["location"].rsplit("/", 1)[1]))
        assert "<svg" in page.text
        assert red.code[:4] in page.text
        assert "取消兑换" in page.text
        assert client.get(f"/api/v1/points/redemptions/{red.id}/qr.svg").headers["content-type"].startswith(
            "image/svg+xml")
        assert "页面大米" in client.get("/points/mine", headers=HTML).text
        r = client.post(f"/points/redemptions/{red.id}/cancel", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        session.refresh(red)
        assert red.status == "cancelled"
        stmt = client.get("/points/statement", headers=HTML)
        assert "兑换：页面大米" in stmt.text
        assert "退还" in stmt.text
        assert "余额 100" in stmt.text
        xlsx = client.get("/points/statement/export")
        assert xlsx.status_code == 200
        assert xlsx.content[:2] == b"PK"

    def test_property_fee_form_keeps_what_was_typed(self, client: Any, session: Session, store: Store) -> None:
        pf.give(session, "resident", 500, store.community)
        item = pf.make_item(session, store.community, store.property_company, kind="property_fee", price=200,
                            fee_yuan=20, name="物业费抵扣")
        csrf = sign_in(client, "resident")
        r = client.post(f"/points/items/{item.id}/redeem", headers=HTML, data={
            "csrf_token": csrf, "quantity": "1", "household_code": "NOPE", "fee_period": "2026-13"})
        assert r.status_code == 422
        text = html.unescape(r.text)
        assert "房屋编号不存在" in text
        assert 'value="NOPE"' in text


class TestShopPage:
    def test_type_the_code_and_hand_over(self, client: Any, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, name="洗衣液")
        red = service.redeem(session, principal("resident"), item)
        session.commit()
        csrf = sign_in(client, store.handler.username)
        assert "兑换核销" in client.get("/", headers=HTML).text
        r = client.get("/points/shop", params={"code": red.code}, headers=HTML)
        assert "请交付：洗衣液 × 1" in html.unescape(r.text)
        r = client.post("/points/shop/handover", data={"csrf_token": csrf, "code": red.code}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        r = client.get(r.headers["location"], headers=HTML)
        assert "已核销" in r.text
        assert "今日已核销（1）" in html.unescape(r.text)
        r = client.post("/points/shop/handover", data={"csrf_token": csrf, "code": red.code}, headers=HTML)
        assert r.status_code == 404
        assert "取件码无效" in html.unescape(r.text)

    def test_json_hand_over(self, client: Any, session: Session, store: Store, auth: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop)
        r = client.post(f"/api/v1/points/items/{item.id}/redeem", json={"quantity": 1, "key": "json-key-0001"},
                        headers=auth("resident"))
        assert r.status_code == 201, r.text
        code = r.json()["code"]
        again = client.post(f"/api/v1/points/items/{item.id}/redeem", json={"quantity": 1, "key": "json-key-0001"},
                            headers=auth("resident"))
        assert again.json()["id"] == r.json()["id"]
        login = client.post("/api/v1/auth/token", data={"username": store.handler.username, "password": pf.PASSWORD})
        shop = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert client.get(f"/api/v1/points/handover/{code}", headers=shop).json()["item_name"] == item.name
        assert client.post("/api/v1/points/handover", json={"code": code}, headers=shop).json()["status"] == \
            "handed_over"
        r = client.post("/api/v1/points/handover", json={"code": code}, headers=shop)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


class TestDesk:
    def test_rules_form(self, client: Any, session: Session, store: Store) -> None:
        csrf = sign_in(client, "community")
        r = client.get("/points/desk/rules", headers=HTML)
        assert "文明行为" in r.text
        assert "默认" in r.text
        bad = client.post(f"/points/desk/rules/{store.community.code}/civic_act", headers=HTML,
                          data={"csrf_token": csrf, "enabled": "1", "points": "0"})
        assert bad.status_code == 422
        assert "须为 1–100000 的整数" in bad.text
        ok = client.post(f"/points/desk/rules/{store.community.code}/civic_act", headers=HTML,
                         data={"csrf_token": csrf, "points": "7"}, follow_redirects=False)
        assert ok.status_code == 303
        rule = session.query(PointRule).filter_by(community_id=store.community.id, rule="civic_act").one()
        assert rule.points == 7
        assert not rule.enabled

    def test_items_create_with_errors_then_ok_and_photo(self, client: Any, store: Store) -> None:
        csrf = sign_in(client, "community")
        form = {"csrf_token": csrf, "community_code": store.community.code, "unit_id": str(store.shop.id),
                "kind": "goods", "name": "", "price": "abc", "stock": "5", "limit_period": "month", "active": "1"}
        r = client.post("/points/desk/items/new", data=form, headers=HTML)
        assert r.status_code == 422
        assert "请填写名称" in r.text
        assert 'value="abc"' in r.text
        r = client.post("/points/desk/items/new", data={**form, "name": "酱油", "price": "30"}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        url = r.headers["location"]
        r = client.post(f"{url}/photos", data={"csrf_token": csrf}, files={"photo": ("a.png", f.tiny_png(),
                                                                                        "image/png")},
                        headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(url, headers=HTML)
        assert "酱油" in page.text
        assert "/photos/" in page.text
        assert "酱油" in client.get("/points/desk/items", headers=HTML).text

    def test_civic_act_and_redemptions_list(self, client: Any, session: Session, store: Store,
                                            principal: Any) -> None:
        csrf = sign_in(client, "community")
        resident = pf.user(session, "resident")
        r = client.get("/points/desk/civic", params={"q": resident.display_name}, headers=HTML)
        assert resident.display_name in r.text
        r = client.post("/points/desk/civic", data={"csrf_token": csrf, "user_id": str(resident.id), "note": "",
                                                    "quantity": "1"}, headers=HTML)
        assert r.status_code == 422
        assert "请写明文明行为" in r.text
        r = client.post("/points/desk/civic", data={"csrf_token": csrf, "user_id": str(resident.id),
                                                    "note": "捡到钱包交还失主", "quantity": "1"}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        assert pf.balance(session, "resident") == 10
        red = service.redeem(session, principal("resident"), pf.make_item(session, store.community, store.shop,
                                                                          price=5, name="列表商品"))
        session.commit()
        r = client.get("/points/desk", params={"status": "open"}, headers=HTML)
        assert "列表商品" in r.text
        assert f"#{red.id}" in r.text
        xlsx = client.get("/api/v1/points/redemptions/export", params={"status": "open"})
        assert xlsx.status_code == 200
        assert xlsx.content[:2] == b"PK"
