"""The double-entry ledger: accounts, postings, balances. No rules about who earns what — service.py decides.

`post()` is the one place that writes entries: every posting sums to zero, is idempotent on its key, and
moves each balance with a conditional UPDATE (`balance >= n` for every account but a community's issuing
account), so no holder goes below zero, also when two transactions race (PostgreSQL re-checks the condition
on the row it waited for; SQLite has one writer at a time)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.core.db import insert_unless_duplicate, is_sqlite, now
from gongzhi.core.errors import Conflict
from gongzhi.orgs.models import Unit
from gongzhi.people.models import Household
from gongzhi.points.models import PointAccount, PointEntry, PointPosting
from gongzhi.regions.models import Region


class InsufficientPoints(Conflict):
    code = "insufficient_points"


@dataclass(frozen=True)
class Leg:
    account: PointAccount
    amount: int


def _find(session: Session, owner_key: str) -> PointAccount | None:
    return session.scalars(select(PointAccount).where(PointAccount.owner_key == owner_key)).first()


def _account(session: Session, owner_key: str, **values: object) -> PointAccount:
    """The holder's account, created on first use (race-safe: INSERT … ON CONFLICT DO NOTHING)."""
    found = _find(session, owner_key)
    if found is not None:
        return found
    session.execute(insert_unless_duplicate(PointAccount, session, "owner_key").values(
        owner_key=owner_key, balance=0, created_at=now(), **values))
    return session.scalars(select(PointAccount).where(PointAccount.owner_key == owner_key)).one()


def user_account(session: Session, user: User) -> PointAccount:
    found = _find(session, f"user:{user.id}")  # the usual case: no region lookup
    if found is not None:
        return found
    region = session.get(Region, user.scope_region_id)
    assert region is not None
    return _account(session, f"user:{user.id}", kind="user", user_id=user.id, region_id=region.id,
                    scope_path=region.path, name=user.display_name or user.username)


def household_account(session: Session, household: Household) -> PointAccount:
    return _account(session, f"household:{household.id}", kind="household", household_id=household.id,
                    region_id=household.region_id, scope_path=household.scope_path,
                    name=household.address or household.code)


def issuer_account(session: Session, community: Region) -> PointAccount:
    return _account(session, f"issuer:{community.id}", kind="issuer", region_id=community.id,
                    scope_path=community.path, name=f"{community.name}积分发放账户")


def unit_account(session: Session, unit: Unit) -> PointAccount:
    return _account(session, f"unit:{unit.id}", kind="unit", unit_id=unit.id, region_id=unit.region_id,
                    scope_path=unit.scope_path, name=unit.name)


def lock(session: Session, account: PointAccount) -> PointAccount:
    """Re-read the account holding its row lock (PostgreSQL) until the transaction ends: what a caller does
    before checking a balance or a limit it then relies on. SQLite's transaction already holds the write lock."""
    stmt = select(PointAccount).where(PointAccount.id == account.id).execution_options(populate_existing=True)
    if not is_sqlite(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one()


def find_posting(session: Session, key: str) -> PointPosting | None:
    return session.scalars(select(PointPosting).where(PointPosting.key == key)).first()


def post(session: Session, *, key: str, kind: str, legs: list[Leg], community_id: int | None = None,
         rule: str | None = None, ref: str | None = None, user_id: int | None = None, note: str = "",
         reverses_id: int | None = None, created_by: int | None = None) -> PointPosting:
    """Write one posting, or return the posting already written under `key` (nothing else happens then)."""
    if len(legs) < 2 or sum(leg.amount for leg in legs) != 0 or any(leg.amount == 0 for leg in legs):
        raise ValueError("a posting needs two or more non-zero legs summing to zero")
    at = now()
    points = sum(leg.amount for leg in legs if leg.amount > 0)
    new_id = session.execute(insert_unless_duplicate(PointPosting, session, "key").values(
        key=key, kind=kind, community_id=community_id, rule=rule, ref=ref, user_id=user_id, points=points,
        note=note[:200], reverses_id=reverses_id, created_by=created_by, created_at=at,
    ).returning(PointPosting.id)).scalar()
    if new_id is None:  # posted before under this key: that posting stands, no second one
        found = find_posting(session, key)
        assert found is not None
        return found
    for leg in sorted(legs, key=lambda lg: lg.account.id):  # one lock order for every posting
        stmt = update(PointAccount).where(PointAccount.id == leg.account.id).values(
            balance=PointAccount.balance + leg.amount)
        if leg.amount < 0 and leg.account.kind != "issuer":
            stmt = stmt.where(PointAccount.balance >= -leg.amount)
        if session.execute(stmt.execution_options(synchronize_session=False)).rowcount != 1:
            raise InsufficientPoints("积分余额不足", details={"account": leg.account.id, "needed": -leg.amount})
        session.add(PointEntry(posting_id=new_id, account_id=leg.account.id, amount=leg.amount, created_at=at))
        session.expire(leg.account, ["balance"])
    session.flush()
    posting = session.get(PointPosting, new_id)
    assert posting is not None
    return posting


def entries_sum(session: Session, account: PointAccount) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PointEntry.amount), 0))
                              .where(PointEntry.account_id == account.id)) or 0)
