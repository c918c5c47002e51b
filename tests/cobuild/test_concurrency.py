"""Real concurrent transactions (each on its own connection, committed): two people claim the same wish at once —
exactly one wins; one resource with capacity 1 accepted for two needs at once — exactly one project."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import principal_for
from gongzhi.cobuild import service
from gongzhi.cobuild.models import Claim, Need, Project, Resource, Wish, WishEvent
from gongzhi.core.errors import Conflict
from tests.cobuild import factories as cf


def _race(engine: Engine, jobs: list[Callable[[Session], None]]) -> list[str]:
    """Run each job in its own thread and transaction, all released at once; 'ok' or the conflict's code."""
    barrier = threading.Barrier(len(jobs))
    results: list[str] = [""] * len(jobs)

    def run(i: int) -> None:
        with Session(engine) as s:
            barrier.wait()
            try:
                jobs[i](s)
                s.commit()
                results[i] = "ok"
            except Conflict as exc:
                s.rollback()
                results[i] = exc.code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _principal(s: Session, username: str) -> Any:
    return principal_for(s, s.scalars(select(User).where(User.username == username)).one())


@pytest.fixture
def committed(engine: Engine, city: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Rows committed for real (the race needs them), removed afterwards."""
    made: dict[str, Any] = {}
    yield made
    with Session(engine) as s:
        if "wish" in made:
            s.execute(delete(WishEvent).where(WishEvent.wish_id == made["wish"]))
            s.execute(delete(Wish).where(Wish.id == made["wish"]))
        if "needs" in made:
            claims = select(Claim.id).where(Claim.need_id.in_(made["needs"]))
            s.execute(delete(Project).where(Project.claim_id.in_(claims)))
            s.execute(delete(Claim).where(Claim.need_id.in_(made["needs"])))
            s.execute(delete(Need).where(Need.id.in_(made["needs"])))
        if "resource" in made:
            s.execute(delete(Resource).where(Resource.id == made["resource"]))
        s.commit()


def test_two_claimers_one_wish(engine: Engine, city: dict[str, Any], committed: dict[str, Any]) -> None:
    with Session(engine) as s:
        wish = cf.make_wish(s, cf.grid(s, city), poster=cf.user_id(s, "resident"))
        committed["wish"] = wish.id

    def claim(username: str) -> Callable[[Session], None]:
        def job(s: Session) -> None:
            p = _principal(s, username)
            service.wish_action(s, p, service.get_wish(s, p, committed["wish"]), "claim", {})
        return job

    results = _race(engine, [claim("party"), claim("volunteer")])
    assert sorted(results) == ["invalid_transition", "ok"]
    with Session(engine) as s:
        row = s.get(Wish, committed["wish"])
        assert row.status == "claimed"
        events = s.scalars(select(WishEvent.action).where(WishEvent.wish_id == row.id)).all()
        assert list(events).count("claim") == 1


def test_capacity_holds_under_concurrent_acceptance(engine: Engine, city: dict[str, Any],
                                                    committed: dict[str, Any]) -> None:
    with Session(engine) as s:
        g = cf.grid(s, city)
        res = cf.make_resource(s, g, capacity=1)
        needs = [cf.make_need(s, g, title=f"竞争需求{i}") for i in range(2)]
        claims = []
        for n in needs:
            c = Claim(need_id=n.id, resource_id=res.id, kind="owner", status="pending")
            s.add(c)
            claims.append(c)
        s.commit()
        committed.update(resource=res.id, needs=[n.id for n in needs])
        claim_ids = [c.id for c in claims]

    def accept(claim_id: int) -> Callable[[Session], None]:
        def job(s: Session) -> None:
            p = _principal(s, "community")
            claim, _ = service.get_claim(s, p, claim_id)
            service.accept_claim(s, p, claim)
        return job

    results = _race(engine, [accept(i) for i in claim_ids])
    assert sorted(results) == ["capacity_full", "ok"]
    with Session(engine) as s:
        projects = s.scalars(select(Project).where(Project.resource_id == committed["resource"])).all()
        assert len(projects) == 1
