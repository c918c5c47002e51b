"""Factories for co-building tests: rows through the ORM (each commits a savepoint, like tests/factories.py), and
the accounts the domain needs beyond the nine demo ones (a member unit's handler)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user
from gongzhi.cobuild.models import ChairTerm, CommitteeMembership, Need, Resource, Wish, WishEvent
from gongzhi.orgs.models import Unit
from gongzhi.regions.models import Region
from tests import factories as f
from tests.conftest import PASSWORD


def community(session: Session, city: dict[str, Any], place: str = "inside") -> Region:
    return f.region(session, city["other_community"] if place == "outside" else city["scopes"]["community"])


def grid(session: Session, city: dict[str, Any], place: str = "inside") -> Region:
    return f.region(session, city["other_grid"] if place == "outside" else city["scopes"]["grid"])


def make_member(session: Session, region: Region, *, name: str | None = None, signed_on: dt.date | None = None,
                kind: str = "国有企业") -> CommitteeMembership:
    node = session.scalars(select(Region).where(Region.path.startswith(region.path), Region.level == "grid")
                           .order_by(Region.path)).first() or region
    unit = f.make_unit(session, node=node, name=name or f"成员单位{f.unique_code('')}", kind=kind)
    row = CommitteeMembership(region_id=region.id, scope_path=region.path, unit_id=unit.id,
                              signed_on=signed_on or dt.date(2024, 1, 1), terms="共驻共建", pledged="场地、志愿者")
    unit.is_member_unit = True
    session.add(row)
    session.commit()
    return row


def make_members(session: Session, region: Region, n: int) -> list[CommitteeMembership]:
    return [make_member(session, region, signed_on=dt.date(2020, 1, 1) + dt.timedelta(days=i)) for i in range(n)]


def chair(session: Session, region: Region, year: int, slot: int, unit_id: int) -> ChairTerm:
    row = ChairTerm(region_id=region.id, scope_path=region.path, year=year, slot=slot, unit_id=unit_id)
    session.add(row)
    session.commit()
    return row


def unit_user(session: Session, city: dict[str, Any], unit: Unit, username: str = "unit") -> User:
    """A member unit's handler: department_handler with unit_id, scope the demo community."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = create_user(session, username=username, password=PASSWORD, role="department_handler",
                           scope_code=city["scopes"]["community"], display_name="单位经办人", unit_id=unit.id)
    else:
        user.unit_id = unit.id
    session.commit()
    return user


def user_id(session: Session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def make_need(session: Session, node: Region, *, need_type: str = "助老", title: str = "帮独居老人买菜",
              created_by: int | None = None, status: str = "open", skills: str = "", urgency: str = "normal",
              lat: float | None = None, lon: float | None = None, wanted: tuple[Any, Any] = (None, None)) -> Need:
    row = Need(title=title, need_type=need_type, description="", skills=skills, beneficiary_count=1,
               beneficiaries="独居老人", urgency=urgency, source="community", status=status, created_by_id=created_by,
               region_id=node.id, scope_path=node.path, lat=lat, lon=lon, wanted_from=wanted[0], wanted_to=wanted[1])
    session.add(row)
    session.commit()
    return row


def make_resource(session: Session, node: Region, *, resource_type: str = "助老", title: str = "助老志愿服务队",
                  capacity: int = 2, skills: str = "", unit: Unit | None = None, user: int | None = None,
                  windows: list[list[str]] | None = None, lat: float | None = None,
                  lon: float | None = None) -> Resource:
    row = Resource(title=title, resource_type=resource_type, skills=skills, capacity=capacity,
                   provider_kind="unit" if unit else "volunteer", provider_name=unit.name if unit else title,
                   unit_id=unit.id if unit else None, user_id=user, windows=windows or [], region_id=node.id,
                   scope_path=node.path, lat=lat, lon=lon, is_active=True)
    session.add(row)
    session.commit()
    return row


def make_wish(session: Session, node: Region, *, poster: int, status: str = "open", title: str = "想要一个书包",
              claimer: int | None = None) -> Wish:
    from gongzhi.core.db import now

    row = Wish(title=title, kind="supplies", description="", status=status, poster_id=poster, poster_name="居民",
               region_id=node.id, scope_path=node.path, event_seq=1, claimer_id=claimer,
               claimed_at=now() if claimer else None)
    session.add(row)
    session.flush()
    session.add(WishEvent(wish_id=row.id, seq=1, actor_id=poster, action="post", to_status=status))
    session.commit()
    return row
