"""Random postings, awards, redemptions, hand-overs, cancellations and refunds by random users: after every
step the ledger sums to zero, every account's cached balance is the sum of its entries, and no holder (only a
community's issuing account may) is below zero. A step the rules refuse (not enough points, no stock, over the
cap, outside the window …) is rolled back to its savepoint and must change nothing."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core.errors import AppError
from gongzhi.points import ledger, service
from gongzhi.points.models import RULES, Redemption
from tests.points import factories as pf
from tests.points.conftest import Store

HOLDERS = ("resident", "volunteer", "party")
OPS = ("award", "give", "redeem", "hand_over", "cancel", "refund", "transfer")
STEP = st.tuples(st.sampled_from(OPS), st.sampled_from(HOLDERS), st.integers(0, 1000), st.integers(1, 3))


def _step(session: Session, store: Store, items: list[Any], principal: Any, op: str, who: str, n: int,
          q: int) -> None:
    uid = pf.user(session, who).id
    opened = session.scalars(select(Redemption).where(Redemption.status == "open",
                                                      Redemption.item_id.in_([i.id for i in items]))
                             .order_by(Redemption.id)).all()
    done = session.scalars(select(Redemption).where(Redemption.status == "handed_over",
                                                    Redemption.item_id.in_([i.id for i in items]))).all()
    if op == "award":
        service.award(session, community_id=store.community.id, user_id=uid, rule=RULES[n % len(RULES)],
                      ref=f"p:{n % 7}", quantity=q)
    elif op == "give":
        pf.give(session, who, n % 60 + 1, store.community, commit=False)
    elif op == "redeem":
        service.redeem(session, principal(who), items[n % len(items)], quantity=q)
    elif op == "hand_over" and opened:
        r = opened[n % len(opened)]
        service.hand_over(session, principal(store.handler.username), r.code)
    elif op == "cancel" and opened:
        r = opened[n % len(opened)]
        service.cancel(session, principal(pf.user(session, who).username if r.user_id == uid else "resident"), r)
    elif op == "refund" and (opened or done):
        pool = [*opened, *done]
        service.refund(session, principal("community"), pool[n % len(pool)], "随机退还")
    elif op == "transfer":  # a holder pays a shop directly: refused when it would overdraw
        ledger.post(session, key=f"t:{uuid.uuid4().hex}", kind="adjust", community_id=store.community.id,
                    legs=[ledger.Leg(ledger.user_account(session, pf.user(session, who)), -(n % 80 + 1)),
                          ledger.Leg(ledger.unit_account(session, store.shop), n % 80 + 1)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_ledger_invariants(session: Session, store: Store, principal: Any,
                           steps: list[tuple[str, str, int, int]]) -> None:
    items = [pf.make_item(session, store.community, store.shop, price=p, stock=s, per_person_limit=lim,
                          name=f"随机商品{p}") for p, s, lim in ((7, 3, None), (25, 10, 2), (60, 1, None))]
    for op, who, n, q in steps:
        before = {a: pf.balance(session, a) for a in HOLDERS}
        try:
            with session.begin_nested():
                _step(session, store, items, principal, op, who, n, q)
        except AppError:
            assert {a: pf.balance(session, a) for a in HOLDERS} == before, f"{op} refused but changed balances"
        assert pf.ledger_total(session) == 0
        assert pf.cached_equals_sum(session), f"after {op}"
        for item in items:
            session.refresh(item)
            assert item.stock >= 0
