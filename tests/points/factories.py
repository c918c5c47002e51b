"""Typed factories for the points tests: a shop and its handler, a property company, items, points given."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user
from gongzhi.orgs.models import Unit
from gongzhi.points import ledger
from gongzhi.points.ledger import Leg
from gongzhi.points.models import PointAccount, PointEntry, StoreItem
from gongzhi.regions.models import Region
from tests import factories as f

PASSWORD = "gongzhi2024"


def community(session: Session, city: dict[str, Any], place: str = "inside") -> Region:
    return f.region(session, city["other_community"] if place == "outside" else city["scopes"]["community"])


def make_shop(session: Session, node: Region, *, kind: str = "商铺", name: str = "测试便民超市") -> Unit:
    return f.make_unit(session, node=node, name=name, kind=kind)


def shop_handler(session: Session, unit: Unit, username: str | None = None) -> User:
    """A department_handler acting for `unit` (a shop or property company)."""
    name = username or f"shop{uuid.uuid4().hex[:8]}"
    found = session.scalars(select(User).where(User.username == name)).first()
    if found is not None:
        return found
    user = create_user(session, username=name, password=PASSWORD, role="department_handler",
                       scope_code=session.get(Region, unit.region_id).code, display_name="店员", unit_id=unit.id)
    session.commit()
    return user


def make_item(session: Session, node: Region, unit: Unit, *, price: int = 10, stock: int = 5,
              kind: str = "goods", name: str = "东北大米5kg", per_person_limit: int | None = None,
              limit_period: str = "month", cancel_hours: int = 72, fee_yuan: int | None = None,
              active: bool = True) -> StoreItem:
    item = StoreItem(community_id=node.id, scope_path=node.path, unit_id=unit.id, kind=kind, name=name, price=price,
                     stock=stock, per_person_limit=per_person_limit, limit_period=limit_period,
                     cancel_hours=cancel_hours, fee_yuan=fee_yuan, active=active)
    session.add(item)
    session.commit()
    return item


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def give(session: Session, username: str, points: int, node: Region, *, commit: bool = True) -> PointAccount:
    """Put `points` on the user's account from the community's issuing account (an adjusting posting)."""
    holder = ledger.user_account(session, user(session, username))
    ledger.post(session, key=f"test:{uuid.uuid4().hex}", kind="adjust", community_id=node.id,
                legs=[Leg(ledger.issuer_account(session, node), -points), Leg(holder, points)], note="测试发放")
    if commit:
        session.commit()
    return holder


def balance(session: Session, username: str) -> int:
    acc = ledger.user_account(session, user(session, username))
    session.refresh(acc)
    return acc.balance


def ledger_total(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.coalesce(func.sum(PointEntry.amount), 0))) or 0)


def cached_equals_sum(session: Session) -> bool:
    """Every account's cached balance is the sum of its entries, and no holder is below zero."""
    from sqlalchemy import func

    sums = dict(session.execute(select(PointEntry.account_id, func.sum(PointEntry.amount))
                                .group_by(PointEntry.account_id)).tuples().all())
    for acc in session.scalars(select(PointAccount).execution_options(populate_existing=True)):
        if acc.balance != int(sums.get(acc.id, 0)):
            return False
        if acc.kind != "issuer" and acc.balance < 0:
            return False
    return True


def principal_of(session: Session, username: str) -> Any:
    from gongzhi.accounts.service import principal_for

    return principal_for(session, user(session, username))
