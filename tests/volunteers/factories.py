"""Typed factories for 双报到 and volunteers: accounts, reportings, posts, care households, volunteers, logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user, principal_for
from gongzhi.core.auth import Principal
from gongzhi.orgs.models import Unit
from gongzhi.people.models import Household
from gongzhi.regions.models import Region
from gongzhi.volunteers import service
from gongzhi.volunteers.models import Reporting, ServiceLog, ServicePost, Volunteer
from tests import factories as f

PASSWORD = "gongzhi2024"


def community(session: Session, city: dict[str, Any], place: str = "inside") -> Region:
    return f.region(session, city["other_community"] if place == "outside" else city["scopes"]["community"])


def grid_of(session: Session, comm: Region) -> Region:
    grid = session.scalars(select(Region).where(Region.level == "grid", Region.path.startswith(comm.path))
                           .order_by(Region.path)).first()
    assert grid is not None
    return grid


def account(session: Session, role: str, scope: Region, *, unit_id: int | None = None,
            name: str = "测试账号") -> Principal:
    user = create_user(session, username=f.unique_code("u").lower(), password=PASSWORD, role=role,
                       scope_code=scope.code, display_name=name, unit_id=unit_id)
    session.commit()
    return principal_for(session, user)


def principal_of(session: Session, username: str) -> Principal:
    return principal_for(session, session.scalars(select(User).where(User.username == username)).one())


def make_unit(session: Session, comm: Region, name: str = "市供电公司") -> Unit:
    return f.make_unit(session, node=comm, name=f"{name}{f.unique_code('')}", kind="国有企业")


def make_reporting(session: Session, who: Principal, *, unit: Unit | None = None, status: str = "confirmed",
                   name: str = "王建国") -> Reporting:
    """A member registered through the service, then (by default) confirmed."""
    r = service.register(session, who, name=name, employer_unit_id=unit.id if unit else None,
                         employer_name="" if unit else "测试单位")
    r.status = status
    session.commit()
    return r


def party(session: Session, comm: Region, *, unit: Unit | None = None, status: str = "confirmed",
          name: str = "王建国") -> tuple[Principal, Reporting]:
    who = account(session, "party_member", comm, name=name)
    return who, make_reporting(session, who, unit=unit, status=status, name=name)


def make_post(session: Session, comm: Region, *, slots: int = 2, name: str = "文明劝导岗",
              active: bool = True) -> ServicePost:
    post = ServicePost(name=name, slots=slots, description="", places="小区门口", time_text="每周六上午",
                       is_active=active, region_id=comm.id, scope_path=comm.path)
    session.add(post)
    session.commit()
    return post


def make_care_household(session: Session, comm: Region, *, tags: str = "独居老人") -> Household:
    grid = grid_of(session, comm)
    h = f.make_household(session, grid=grid, head_name="李秀英")
    f.make_resident(session, grid=grid, household=h, name="李秀英", male=False, care_tags=tags)
    return h


def make_volunteer(session: Session, who: Principal, *, roles: tuple[str, ...] = ("patrol",)) -> Volunteer:
    v = service.save_profile(session, who, name=who.display_name or "志愿者", roles=roles, skills="维修")
    session.commit()
    return v


def make_log(session: Session, who: Principal, *, hours: float = 2, served_on: dt.date | None = None,
             **link: Any) -> ServiceLog:
    log = service.log_service(session, who, served_on=served_on or service.today(), hours=hours,
                              what="陪老人聊天、打扫卫生", **link)
    session.commit()
    return log


def staff(session: Session, comm: Region) -> Principal:
    return account(session, "community_staff", comm, name="社区书记")
