"""Concurrent redemptions and hand-overs in real concurrent transactions: threads, each with its own session
and connection, on a live database of the run's backend (a new SQLite file, or a new PostgreSQL database),
released together at a barrier.

- 100 redemptions of an item with 10 in stock, from 60 holders (50 who can each afford one, and one holder
  trying 50 times who can afford one): exactly 10 succeed, the stock ends at 0, no balance goes below zero,
  there is one posting per successful redemption and the ledger sums to zero.
- 20 hand-overs of one pick-up code at once: exactly one succeeds."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from gongzhi.accounts.models import User
from gongzhi.core.errors import AppError
from gongzhi.points import ledger, service
from gongzhi.points.models import PointAccount, PointEntry, PointPosting, Redemption, StoreItem
from gongzhi.regions.models import Region
from tests.appeals import live_db
from tests.appeals.live_db import LiveCity
from tests.appeals.test_concurrency import in_session, race
from tests.factories import make_unit

REDEEMERS = 100
STOCK = 10
PRICE = 20


@pytest.fixture(scope="module")
def live(pytestconfig: pytest.Config) -> Iterator[LiveCity]:
    backend = pytestconfig.getoption("--backend")
    with live_db.new_database(backend, prefix="gongzhi_points") as url, live_db.pointed_at(url):
        yield live_db.build(url)


def _setup(live: LiveCity) -> dict[str, Any]:
    """A shop, its handler, an item with STOCK pieces, 50 new residents with PRICE + 5 points each, and the demo
    resident with PRICE + 10."""

    def _work(s: Any) -> dict[str, Any]:
        from gongzhi.accounts.service import create_user

        grid = s.scalars(select(Region).where(Region.code == live.grid_code)).one()
        community = service.community_of(s, grid.path)
        shop = make_unit(s, node=community, name=f"并发测试超市{uuid.uuid4().hex[:4]}")
        handler = create_user(s, username=f"conc{uuid.uuid4().hex[:8]}", password=live_db.PASSWORD,
                              role="department_handler", scope_code=community.code, unit_id=shop.id)
        item = StoreItem(community_id=community.id, scope_path=community.path, unit_id=shop.id, kind="goods",
                         name="限量大米", price=PRICE, stock=STOCK, limit_period="month", cancel_hours=72,
                         active=True)
        s.add(item)
        names = []
        for i in range(50):
            u = User(username=f"r{uuid.uuid4().hex[:10]}", display_name=f"居民{i}", password_hash="x",
                     role="resident", scope_region_id=grid.id)
            s.add(u)
            s.flush()
            names.append(u.username)
        issuer = ledger.issuer_account(s, community)
        for name in [*names, "resident"]:
            user = s.scalars(select(User).where(User.username == name)).one()
            n = PRICE + (10 if name == "resident" else 5)
            ledger.post(s, key=f"seed:{uuid.uuid4().hex}", kind="adjust", community_id=community.id,
                        legs=[ledger.Leg(issuer, -n), ledger.Leg(ledger.user_account(s, user), n)])
        s.flush()
        return {"item": item.id, "names": names, "handler": handler.username}

    return in_session(live, _work)


def _redeem(live: LiveCity, username: str, item_id: int) -> int:
    def _work(s: Any) -> int:
        p = live_db.principal(s, username)
        return service.redeem(s, p, service.get_item(s, p, item_id)).id

    return in_session(live, _work)


def _invariants(live: LiveCity) -> None:
    def _check(s: Any) -> None:
        assert int(s.scalar(select(func.coalesce(func.sum(PointEntry.amount), 0)))) == 0
        sums = dict(s.execute(select(PointEntry.account_id, func.sum(PointEntry.amount))
                              .group_by(PointEntry.account_id)).tuples().all())
        for acc in s.scalars(select(PointAccount)):
            assert acc.balance == sums.get(acc.id, 0), acc.owner_key
            assert acc.kind == "issuer" or acc.balance >= 0, acc.owner_key
        for (n,) in s.execute(select(func.count()).select_from(PointEntry).group_by(PointEntry.posting_id)):
            assert n >= 2

    in_session(live, _check)


def test_hundred_redemptions_of_ten_in_stock(live: LiveCity) -> None:
    ctx = _setup(live)
    who = [*ctx["names"], *["resident"] * 50]
    results = race(REDEEMERS, lambda i: _redeem(live, who[i], ctx["item"]))
    ok = [r for r in results if isinstance(r, int)]
    failed = [r for r in results if not isinstance(r, int)]
    assert len(ok) == STOCK, Counter(type(r).__name__ for r in failed)
    assert all(isinstance(r, AppError) and r.status == 409 for r in failed), failed[:3]
    assert {r.code for r in failed} <= {"out_of_stock", "insufficient_points"}

    def _check(s: Any) -> None:
        assert s.get(StoreItem, ctx["item"]).stock == 0
        rows = s.scalars(select(Redemption).where(Redemption.item_id == ctx["item"])).all()
        assert len(rows) == STOCK
        assert len({r.code for r in rows}) == STOCK
        assert Counter(r.user_id for r in rows).most_common(1)[0][1] == 1  # nobody got two
        posted = s.scalar(select(func.count()).select_from(PointPosting).where(
            PointPosting.kind == "redeem", PointPosting.ref == f"item:{ctx['item']}"))
        assert posted == STOCK

    in_session(live, _check)
    _invariants(live)


def test_a_code_is_handed_over_once_when_tries_race(live: LiveCity) -> None:
    ctx = _setup(live)
    rid = _redeem(live, ctx["names"][0], ctx["item"])
    code = in_session(live, lambda s: s.get(Redemption, rid).code)

    def _hand(_i: int) -> str:
        return in_session(live, lambda s: service.hand_over(s, live_db.principal(s, ctx["handler"]), code).status)

    results = race(20, _hand)
    assert results.count("handed_over") == 1
    assert all(isinstance(r, AppError) and r.status in (404, 409) for r in results if r != "handed_over")
    assert in_session(live, lambda s: s.get(Redemption, rid).status) == "handed_over"
    _invariants(live)
