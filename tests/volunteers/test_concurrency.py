"""Concurrent claims and confirmations in real concurrent transactions: threads, each with its own session and
connection, on a live database of the run's backend, released together at a barrier.

- 20 confirmed members claim one post with 5 slots at once: exactly 5 succeed, the rest get 409 post_full.
- 10 staff confirm one service log at once: one succeeds, the rest get 409, and one points posting exists."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from gongzhi.accounts.models import User
from gongzhi.core.errors import AppError
from gongzhi.points.models import PointPosting
from gongzhi.regions.models import Region
from gongzhi.volunteers import service
from gongzhi.volunteers.models import PostClaim, ServicePost
from tests.appeals import live_db
from tests.appeals.live_db import LiveCity
from tests.appeals.test_concurrency import in_session, race

MEMBERS = 20
SLOTS = 5
CONFIRMERS = 10


@pytest.fixture(scope="module")
def live(pytestconfig: pytest.Config) -> Iterator[LiveCity]:
    backend = pytestconfig.getoption("--backend")
    with live_db.new_database(backend, prefix="gongzhi_vol") as url, live_db.pointed_at(url):
        yield live_db.build(url)


def _community(s: Any, live: LiveCity) -> Region:
    grid = s.scalars(select(Region).where(Region.code == live.grid_code)).one()
    codes = grid.path.strip("/").split("/")
    return s.scalars(select(Region).where(Region.code.in_(codes), Region.level == "community")).one()


def _members(live: LiveCity, n: int) -> tuple[list[str], int]:
    """n confirmed in-service members of the demo community and a post with SLOTS slots."""

    def _work(s: Any) -> tuple[list[str], int]:
        from gongzhi.accounts.service import create_user

        comm = _community(s, live)
        names = []
        for i in range(n):
            user = create_user(s, username=f"p{uuid.uuid4().hex[:10]}", password=live_db.PASSWORD,
                               role="party_member", scope_code=comm.code, display_name=f"党员{i}")
            r = service.register(s, live_db.principal(s, user.username), name=f"党员{i}", employer_unit_id=None,
                                 employer_name="并发测试单位")
            r.status = "confirmed"
            names.append(user.username)
        post = ServicePost(name="并发岗位", slots=SLOTS, region_id=comm.id, scope_path=comm.path)
        s.add(post)
        s.flush()
        return names, post.id

    return in_session(live, _work)


def test_no_more_claims_than_slots(live: LiveCity) -> None:
    names, post_id = _members(live, MEMBERS)

    def claim(i: int) -> int:
        return in_session(live, lambda s: service.claim_post(s, live_db.principal(s, names[i]), post_id).id)

    results = race(MEMBERS, claim)
    ok = [r for r in results if isinstance(r, int)]
    errors = [r for r in results if not isinstance(r, int)]
    assert len(ok) == SLOTS
    assert all(isinstance(e, AppError) and e.code == "post_full" for e in errors), errors
    claims = in_session(live, lambda s: s.scalar(select(func.count()).select_from(PostClaim)
                                                 .where(PostClaim.post_id == post_id)))
    assert claims == SLOTS


def test_a_log_is_confirmed_and_paid_once(live: LiveCity) -> None:
    names, _post = _members(live, 1)

    def _log(s: Any) -> int:
        return service.log_service(s, live_db.principal(s, names[0]), served_on=service.today(), hours=2,
                                   what="并发确认测试").id

    log_id = in_session(live, _log)

    def confirm(_i: int) -> str:
        def _work(s: Any) -> str:
            p = live_db.principal(s, "community")
            log = service.get_log(s, p, log_id)
            return service.decide_log(s, p, log, confirm=True).status

        return in_session(live, _work)

    results = race(CONFIRMERS, confirm)
    assert results.count("confirmed") == 1, results
    assert all(isinstance(r, AppError) and r.status == 409 for r in results if r != "confirmed"), results
    user_id = in_session(live, lambda s: s.scalar(select(User.id).where(User.username == names[0])))
    postings = in_session(live, lambda s: s.scalar(select(func.count()).select_from(PointPosting).where(
        PointPosting.rule == "service_hour", PointPosting.user_id == user_id)))
    assert postings == 1
