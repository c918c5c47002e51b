"""The points rules at the service layer: awards and caps, redemption, hand-over, cancel/refund, property-fee
credit, statements and scope. Each test runs in a rolled-back transaction on the suite's backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gongzhi.appeals import service as appeals
from gongzhi.appeals.schemas import ActionBody
from gongzhi.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.points import ledger, service
from gongzhi.points.models import PointEntry, PointPosting, Redemption
from tests import factories as f
from tests.points import factories as pf
from tests.points.conftest import Store


def _uid(session: Session, name: str) -> int:
    return pf.user(session, name).id


class TestAward:
    def test_default_rule_pays_from_the_issuer(self, session: Session, store: Store) -> None:
        p = service.award(session, community_id=store.community.id, user_id=_uid(session, "resident"),
                          rule="report_verified", ref="appeal:1")
        assert p is not None
        assert p.points == service.DEFAULT_RULES["report_verified"].points
        entries = session.scalars(select(PointEntry).where(PointEntry.posting_id == p.id)).all()
        assert sorted(e.amount for e in entries) == [-p.points, p.points]
        assert pf.balance(session, "resident") == p.points

    def test_idempotent_on_rule_ref_user(self, session: Session, store: Store) -> None:
        uid = _uid(session, "volunteer")
        a = service.award(session, community_id=store.community.id, user_id=uid, rule="wish_fulfilled", ref="wish:7")
        b = service.award(session, community_id=store.community.id, user_id=uid, rule="wish_fulfilled", ref="wish:7")
        assert a is not None
        assert b is not None
        assert a.id == b.id
        assert f.count(session, PointPosting, PointPosting.key.like("award:wish_fulfilled:wish:7:%")) == 1
        assert pf.balance(session, "volunteer") == a.points

    def test_rule_off_gives_none(self, session: Session, store: Store, principal: Any) -> None:
        service.set_rule(session, principal("community"), store.community, "meeting_attended",
                         {"enabled": False, "points": 5})
        assert service.award(session, community_id=store.community.id, user_id=_uid(session, "party"),
                             rule="meeting_attended", ref="meeting:1") is None
        assert pf.balance(session, "party") == 0

    def test_custom_points_and_quantity(self, session: Session, store: Store, principal: Any) -> None:
        service.set_rule(session, principal("community"), store.community, "service_hour",
                         {"enabled": True, "points": 4, "daily_cap": "", "monthly_cap": ""})
        p = service.award(session, community_id=store.community.id, user_id=_uid(session, "party"),
                          rule="service_hour", ref="log:1", quantity=2.5)
        assert p is not None
        assert p.points == 10

    def test_daily_cap_cuts_then_refuses(self, session: Session, store: Store, principal: Any) -> None:
        service.set_rule(session, principal("community"), store.community, "civic_act",
                         {"enabled": True, "points": 10, "daily_cap": 25})
        uid = _uid(session, "resident")
        got = [service.award(session, community_id=store.community.id, user_id=uid, rule="civic_act", ref=f"c:{i}")
               for i in range(4)]
        assert [p.points if p else None for p in got] == [10, 10, 5, None]
        assert pf.balance(session, "resident") == 25

    def test_monthly_cap(self, session: Session, store: Store, principal: Any) -> None:
        service.set_rule(session, principal("community"), store.community, "civic_act",
                         {"enabled": True, "points": 10, "monthly_cap": 15})
        uid = _uid(session, "resident")
        got = [service.award(session, community_id=store.community.id, user_id=uid, rule="civic_act", ref=f"m:{i}")
               for i in range(3)]
        assert [p.points if p else None for p in got] == [10, 5, None]

    def test_rule_settings_are_checked(self, session: Session, store: Store, principal: Any) -> None:
        with pytest.raises(ValidationFailed) as e:
            service.set_rule(session, principal("community"), store.community, "civic_act",
                             {"enabled": True, "points": "0", "daily_cap": "x"})
        assert set(e.value.details) == {"points", "daily_cap"}
        with pytest.raises(Forbidden):
            service.set_rule(session, principal("grid"), store.community, "civic_act", {"points": 3})

    def test_verified_appeal_pays_its_reporter(self, session: Session, city: dict[str, Any],
                                               principal: Any) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        appeal = f.make_appeal(session, grid, status="resolved", reporter_id=_uid(session, "resident"))
        appeals.act(session, principal("grid"), appeal.id, "verify", ActionBody(passed=True))
        assert pf.balance(session, "resident") == service.DEFAULT_RULES["report_verified"].points
        assert ledger.find_posting(session, f"award:report_verified:appeal:{appeal.id}:"
                                            f"{_uid(session, 'resident')}") is not None


class TestCivicAct:
    def test_staff_record_a_civic_act(self, session: Session, principal: Any) -> None:
        p = service.record_civic_act(session, principal("grid"), user_id=_uid(session, "resident"),
                                     note="清理楼道杂物")
        assert p.points == 10
        assert p.note == "清理楼道杂物"
        assert pf.balance(session, "resident") == 10

    def test_outside_scope_and_empty_note(self, session: Session, principal: Any) -> None:
        with pytest.raises(NotFound):
            service.record_civic_act(session, principal("community2"), user_id=_uid(session, "resident"),
                                     note="好事")
        with pytest.raises(ValidationFailed):
            service.record_civic_act(session, principal("grid"), user_id=_uid(session, "resident"), note=" ")
        with pytest.raises(Forbidden):
            service.record_civic_act(session, principal("resident"), user_id=_uid(session, "resident"), note="x")


class TestRedeem:
    def test_moves_points_and_stock_and_issues_a_code(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=30, stock=3)
        r = service.redeem(session, principal("resident"), item, quantity=2)
        assert r.status == "open"
        assert len(r.code) == 8
        assert r.code.isdigit()
        assert r.open_code == r.code
        assert pf.balance(session, "resident") == 40
        session.refresh(item)
        assert item.stock == 1
        shop_acc = ledger.unit_account(session, store.shop)
        session.refresh(shop_acc)
        assert shop_acc.balance == 60

    def test_insufficient_points_changes_nothing(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 5, store.community)
        item = pf.make_item(session, store.community, store.shop, price=30, stock=3)
        with pytest.raises(Conflict) as e:
            service.redeem(session, principal("resident"), item)
        assert e.value.code == "insufficient_points"
        session.refresh(item)
        assert item.stock == 3
        assert pf.balance(session, "resident") == 5

    def test_out_of_stock(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=10, stock=1)
        service.redeem(session, principal("resident"), item)
        with pytest.raises(Conflict) as e:
            service.redeem(session, principal("resident"), item)
        assert e.value.code == "out_of_stock"
        assert pf.balance(session, "resident") == 90

    def test_per_person_limit(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        pf.give(session, "volunteer", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=5, stock=10, per_person_limit=2,
                            limit_period="week")
        service.redeem(session, principal("resident"), item, quantity=2)
        with pytest.raises(Conflict) as e:
            service.redeem(session, principal("resident"), item)
        assert e.value.code == "limit_reached"
        service.redeem(session, principal("volunteer"), item)  # another person's limit is their own

    def test_cancelled_redemptions_do_not_count_towards_the_limit(self, session: Session, store: Store,
                                                                 principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=5, stock=10, per_person_limit=1)
        r = service.redeem(session, principal("resident"), item)
        service.cancel(session, principal("resident"), r)
        service.redeem(session, principal("resident"), item)

    def test_inactive_or_outside_its_window(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, active=False)
        with pytest.raises(Conflict):
            service.redeem(session, principal("resident"), item)
        item.active, item.ends_at = True, service.now() - dt.timedelta(hours=1)
        session.commit()
        with pytest.raises(Conflict):
            service.redeem(session, principal("resident"), item)

    def test_retry_with_the_same_key_redeems_once(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=10, stock=5)
        a = service.redeem(session, principal("resident"), item, key="client-key-0001")
        b = service.redeem(session, principal("resident"), item, key="client-key-0001")
        assert a.id == b.id
        assert pf.balance(session, "resident") == 90
        session.refresh(item)
        assert item.stock == 4

    def test_another_communitys_store_is_not_visible(self, session: Session, city: dict[str, Any],
                                                     principal: Any) -> None:
        other = pf.community(session, city, "outside")
        item = pf.make_item(session, other, pf.make_shop(session, other))
        with pytest.raises(NotFound):
            service.get_item(session, principal("resident"), item.id)
        rows, _ = service.list_items(session, principal("resident"))
        assert item.id not in {i.id for i in rows}


class TestHandOver:
    def test_once_only(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop)
        r = service.redeem(session, principal("resident"), item)
        shop = principal(store.handler.username)
        assert service.lookup_code(session, shop, f"{r.code[:4]} {r.code[4:]}").id == r.id  # spaces are fine
        done = service.hand_over(session, shop, r.code)
        assert done.status == "handed_over"
        assert done.open_code is None
        assert done.handed_over_by == store.handler.id
        with pytest.raises(NotFound):
            service.hand_over(session, shop, r.code)

    def test_another_shop_cannot_use_the_code(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        r = service.redeem(session, principal("resident"), pf.make_item(session, store.community, store.shop))
        other = pf.shop_handler(session, pf.make_shop(session, store.community, name="别家小店"))
        with pytest.raises(NotFound):
            service.hand_over(session, principal(other.username), r.code)
        with pytest.raises(Forbidden):
            service.hand_over(session, principal("resident"), r.code)


class TestCancelRefund:
    def test_cancel_restores_stock_and_points(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=40, stock=2)
        r = service.redeem(session, principal("resident"), item)
        service.cancel(session, principal("resident"), r)
        assert r.status == "cancelled"
        assert r.open_code is None
        assert r.reversal_id is not None
        assert pf.balance(session, "resident") == 100
        session.refresh(item)
        assert item.stock == 2
        with pytest.raises(NotFound):  # the code is dead
            service.hand_over(session, principal(store.handler.username), r.code)
        with pytest.raises(Conflict):  # and a cancel happens once
            service.cancel(session, principal("resident"), r)

    def test_cancel_after_the_window_or_after_hand_over(self, session: Session, store: Store,
                                                        principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, cancel_hours=2)
        late = service.redeem(session, principal("resident"), item)
        session.execute(update(Redemption).where(Redemption.id == late.id)
                        .values(created_at=service.now() - dt.timedelta(hours=3)))
        session.refresh(late)
        with pytest.raises(Conflict) as e:
            service.cancel(session, principal("resident"), late)
        assert e.value.code == "window_passed"
        r = service.redeem(session, principal("resident"), item)
        service.hand_over(session, principal(store.handler.username), r.code)
        with pytest.raises(Conflict):
            service.cancel(session, principal("resident"), r)

    def test_only_the_holder_cancels(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        r = service.redeem(session, principal("resident"), pf.make_item(session, store.community, store.shop))
        with pytest.raises(NotFound):
            service.cancel(session, principal("volunteer"), r)

    def test_staff_refund_a_handed_over_item(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 100, store.community)
        item = pf.make_item(session, store.community, store.shop, price=30, stock=1)
        r = service.redeem(session, principal("resident"), item)
        service.hand_over(session, principal(store.handler.username), r.code)
        with pytest.raises(ValidationFailed):
            service.refund(session, principal("community"), r, " ")
        with pytest.raises(NotFound):
            service.refund(session, principal("community2"), r, "质量问题")
        service.refund(session, principal("community"), r, "质量问题退货")
        assert r.status == "refunded"
        assert pf.balance(session, "resident") == 100
        session.refresh(item)
        assert item.stock == 1


class TestPropertyFee:
    def test_credit_goes_to_the_property_company(self, session: Session, city: dict[str, Any], store: Store,
                                                 principal: Any) -> None:
        pf.give(session, "resident", 500, store.community)
        item = pf.make_item(session, store.community, store.property_company, kind="property_fee", price=200,
                            stock=50, fee_yuan=20, name="物业费抵扣20元")
        with pytest.raises(ValidationFailed) as e:
            service.redeem(session, principal("resident"), item)
        assert set(e.value.details) == {"household_id", "fee_period"}
        household = f.make_household(session, grid=f.region(session, city["scopes"]["grid"]))
        r = service.redeem(session, principal("resident"), item, household_id=household.id, fee_period="2026-12")
        assert r.household_id == household.id
        assert r.fee_period == "2026-12"
        company = ledger.unit_account(session, store.property_company)
        session.refresh(company)
        assert company.balance == 200
        done = service.hand_over(session, principal(store.property_handler.username), r.code)
        assert done.status == "handed_over"
        assert service.redemption_dicts(session, [done])[0]["fee_yuan"] == 20

    def test_only_a_property_company_offers_it(self, session: Session, store: Store, principal: Any) -> None:
        with pytest.raises(ValidationFailed) as e:
            service.create_item(session, principal("community"), {
                "community_code": store.community.code, "unit_id": store.shop.id, "kind": "property_fee",
                "name": "物业费", "price": 100, "stock": 10, "fee_yuan": 10})
        assert "unit_id" in e.value.details


class TestItems:
    def test_create_and_update(self, session: Session, store: Store, principal: Any) -> None:
        staff = principal("community")
        item = service.create_item(session, staff, {"community_code": store.community.code, "unit_id": store.shop.id,
                                                    "name": "洗衣液", "price": "50", "stock": "20",
                                                    "per_person_limit": "1", "limit_period": "month"})
        assert item.price == 50
        assert item.stock == 20
        assert item.active
        service.update_item(session, staff, item, {"stock": 5, "active": False})
        assert item.stock == 5
        assert not item.active

    def test_bad_fields_listed(self, session: Session, store: Store, principal: Any) -> None:
        with pytest.raises(ValidationFailed) as e:
            service.create_item(session, principal("community"), {"community_code": store.community.code,
                                                                  "unit_id": 0, "name": "", "price": "-1",
                                                                  "stock": "x"})
        assert {"unit_id", "name", "price", "stock"} <= set(e.value.details)

    def test_outside_scope(self, session: Session, store: Store, principal: Any) -> None:
        with pytest.raises(ValidationFailed):
            service.create_item(session, principal("community2"), {
                "community_code": store.community.code, "unit_id": store.shop.id, "name": "x", "price": 1,
                "stock": 1})
        item = pf.make_item(session, store.community, store.shop)
        with pytest.raises(NotFound):
            service.update_item(session, principal("community2"), item, {"stock": 1})

    def test_photo_checked_by_appeal_media(self, session: Session, store: Store, principal: Any) -> None:
        item = pf.make_item(session, store.community, store.shop)
        p = service.add_item_photo(session, principal("community"), item, f.tiny_png(), "a.png")
        assert p.content_type == "image/png"
        with pytest.raises(AppError):
            service.add_item_photo(session, principal("community"), item, b"not an image", "x.png")


class TestLedger:
    def test_statement_has_running_balances(self, session: Session, store: Store, principal: Any) -> None:
        pf.give(session, "resident", 50, store.community)
        r = service.redeem(session, principal("resident"), pf.make_item(session, store.community, store.shop,
                                                                        price=20))
        service.cancel(session, principal("resident"), r)
        acc = service.my_account(session, principal("resident"))
        rows, total = service.statement(session, acc)
        assert total == 3
        assert [(e["amount"], e["balance"]) for e in rows] == [(20, 50), (-20, 30), (50, 50)]
        assert service.export_statement(session, acc)[:2] == b"PK"

    def test_posting_must_balance(self, session: Session) -> None:
        acc = ledger.user_account(session, pf.user(session, "resident"))
        with pytest.raises(ValueError, match="sum"):
            ledger.post(session, key="bad", kind="adjust", legs=[ledger.Leg(acc, 5)])

    def test_no_holder_below_zero(self, session: Session, store: Store) -> None:
        holder = ledger.user_account(session, pf.user(session, "resident"))
        shop = ledger.unit_account(session, store.shop)
        with pytest.raises(Conflict):
            ledger.post(session, key="overdraw", kind="adjust", legs=[ledger.Leg(holder, -1), ledger.Leg(shop, 1)])

    def test_cached_balance_is_the_sum_and_ledger_is_zero(self, session: Session, store: Store,
                                                          principal: Any) -> None:
        pf.give(session, "resident", 80, store.community)
        r = service.redeem(session, principal("resident"), pf.make_item(session, store.community, store.shop))
        service.hand_over(session, principal(store.handler.username), r.code)
        assert pf.ledger_total(session) == 0
        assert pf.cached_equals_sum(session)

    def test_statement_scope(self, session: Session, store: Store, principal: Any) -> None:
        acc = pf.give(session, "resident", 10, store.community)
        assert service.get_account(session, principal("community"), acc.id).id == acc.id
        with pytest.raises(NotFound):
            service.get_account(session, principal("volunteer"), acc.id)
        with pytest.raises(NotFound):
            service.get_account(session, principal("community2"), acc.id)


class TestMessages:
    def test_award_and_hand_over_tell_the_holder(self, session: Session, store: Store, principal: Any) -> None:
        from gongzhi.notify.models import Message

        uid = _uid(session, "resident")
        before = f.count(session, Message, Message.user_id == uid, Message.kind == "points")
        service.award(session, community_id=store.community.id, user_id=uid, rule="civic_act", ref="msg:1")
        r = service.redeem(session, principal("resident"), pf.make_item(session, store.community, store.shop))
        service.hand_over(session, principal(store.handler.username), r.code)
        titles = session.scalars(select(Message.title).where(Message.user_id == uid, Message.kind == "points")
                                 .order_by(Message.id)).all()
        assert len(titles) == before + 2
        assert titles[-2].startswith("获得 10 积分")
        assert titles[-1].startswith("已领取")


def test_award_given_a_grid_uses_its_community(session: Session, city: dict[str, Any], store: Store,
                                               principal: Any) -> None:
    service.set_rule(session, principal("community"), store.community, "service_hour", {"enabled": True,
                                                                                      "points": 3})
    grid = f.region(session, city["scopes"]["grid"])
    p = service.award(session, community_id=grid.id, user_id=_uid(session, "volunteer"), rule="service_hour",
                      ref="log:grid", quantity=2)
    assert p is not None
    assert p.points == 6
    assert p.community_id == store.community.id
