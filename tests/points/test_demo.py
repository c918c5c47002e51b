"""The demo loader: believable items in the demo community, shop accounts, earned points; a second run
changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.points import demo
from gongzhi.points.models import PointPosting, Redemption, StoreItem
from tests.points import factories as pf


def _counts(session: Session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(StoreItem)) or 0,
            session.scalar(select(func.count()).select_from(PointPosting)) or 0,
            session.scalar(select(func.count()).select_from(Redemption)) or 0)


def test_demo_is_idempotent(session: Session, principal: Any) -> None:
    rows = demo.load(session, pf.PASSWORD)
    assert {r[0] for r in rows} == {"shop", "wuye"}
    first = _counts(session)
    assert first[0] >= 12
    assert pf.balance(session, "volunteer") > 0
    assert pf.balance(session, "resident") > 0
    assert principal("shop").unit_id is not None
    demo.load(session, pf.PASSWORD)
    assert _counts(session) == first
    assert pf.ledger_total(session) == 0
    assert pf.cached_equals_sum(session)
