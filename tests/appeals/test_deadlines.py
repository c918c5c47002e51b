"""Deadlines on the appeal: each step's limit in working time from the catalog, warnings at 80 %, the clock
paused while waiting for the resident, extensions, and the sweep (warn, overdue, escalate; never twice)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gongzhi.appeals import repository as repo
from gongzhi.appeals import service, tasks
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core.calendar import get_calendar
from gongzhi.core.db import now
from gongzhi.notify.models import Message
from gongzhi.regions.models import Region


@pytest.fixture
def filed(session: Session, principal: Any, catalog: Any, grid_point: tuple[float, float]) -> Any:
    def _filed(tier: str = "grid", to: str = "received") -> Appeal:
        lat, lon = grid_point
        a = service.intake(session, principal("resident"), AppealCreate(
            title="井盖松动", lat=lat, lon=lon, matter_code=catalog.matters[tier].code)).appeal
        steps = {"received": [], "registered": ["register"], "dispatched": ["register", "dispatch"],
                 "accepted": ["register", "dispatch", "accept"]}[to]
        handler = {"grid": "grid", "community": "community", "street": "street", "department": "handler"}[tier]
        for action in steps:
            user = handler if action == "accept" else "community"
            service.act(session, principal(user), a.id, action, ActionBody())
        session.flush()
        return a

    return _filed


class TestStepLimits:
    def test_intake_starts_the_dispatch_clock(self, session: Session, filed: Any) -> None:
        a = filed()
        cal = get_calendar(session)
        assert a.due_at == cal.add_working_hours(a.created_at, 2)
        assert a.warn_at == cal.warn_at(a.created_at, a.due_at)
        assert a.next_check_at == a.warn_at
        assert a.resolve_due_at == cal.add_working_days(a.created_at, 3)

    def test_dispatch_then_accept(self, session: Session, filed: Any) -> None:
        a = filed(to="dispatched")
        cal = get_calendar(session)
        assert a.due_at == cal.add_working_hours(a.dispatched_at, 4)  # the matter's acceptance limit
        a = filed(to="accepted")
        assert a.resolve_due_at == cal.add_working_days(a.accepted_at, 3)
        assert a.due_at == a.resolve_due_at

    def test_extension_adds_working_days_on_approval(self, session: Session, principal: Any, filed: Any) -> None:
        a = filed(to="accepted")
        before = a.resolve_due_at
        service.act(session, principal("grid"), a.id, "extend", ActionBody(days=2, reason="等配件"))
        assert a.resolve_due_at == before
        assert a.extension_days == 2
        service.act(session, principal("community"), a.id, "approve-extension", ActionBody(approve=True))
        assert a.resolve_due_at == get_calendar(session).add_working_days(before, 2)
        assert a.extension_days is None

    def test_refused_extension_changes_no_deadline(self, session: Session, principal: Any, filed: Any) -> None:
        a = filed(to="accepted")
        before = a.resolve_due_at
        service.act(session, principal("grid"), a.id, "extend", ActionBody(days=5, reason="等配件"))
        service.act(session, principal("street"), a.id, "approve-extension", ActionBody(approve=False))
        assert a.resolve_due_at == before
        assert a.extension_days is None
        assert repo.timeline(session, a)[-1].action == "deny-extension"

    def test_pause_stops_the_clock(self, session: Session, principal: Any, filed: Any) -> None:
        a = filed(to="accepted")
        service.act(session, principal("grid"), a.id, "pause", ActionBody(reason="群众不在家"))
        assert a.paused_at is not None
        assert a.next_check_at is None
        due, paused = a.due_at, a.paused_at
        # as if paused three days ago: the working time left is carried over from the moment of the pause
        session.execute(update(Appeal).where(Appeal.id == a.id).values(paused_at=paused - dt.timedelta(days=3)))
        session.refresh(a)
        service.act(session, principal("grid"), a.id, "resume", ActionBody())
        cal = get_calendar(session)
        assert a.paused_at is None
        assert a.due_at == cal.resume_due(due, paused - dt.timedelta(days=3), a.updated_at)
        assert a.due_at > due

    def test_paused_appeal_is_not_swept(self, session: Session, principal: Any, filed: Any) -> None:
        a = filed(to="accepted")
        service.act(session, principal("grid"), a.id, "pause", ActionBody(reason="群众不在家"))
        session.flush()
        tasks.sweep_batch(session, at=now() + dt.timedelta(days=60))
        session.refresh(a)
        assert not a.overdue
        assert repo.timeline(session, a)[-1].action == "pause"


def _force(session: Session, a: Appeal, *, warn: dt.timedelta, due: dt.timedelta) -> dt.datetime:
    at = now()
    session.execute(update(Appeal).where(Appeal.id == a.id).values(
        warn_at=at + warn, due_at=at + due, next_check_at=at + min(warn, due)))
    session.refresh(a)
    return at


class TestSweep:
    def test_warning_at_80_percent(self, session: Session, filed: Any) -> None:
        a = filed(to="dispatched")
        at = _force(session, a, warn=dt.timedelta(minutes=-1), due=dt.timedelta(hours=1))
        stats = tasks.sweep_batch(session, at=at)
        session.refresh(a)
        assert stats.warned >= 1
        assert a.warned
        assert not a.overdue
        assert a.next_check_at == a.due_at
        ev = repo.timeline(session, a)[-1]
        assert ev.action == "warn"
        assert ev.actor_role == "system"
        told = session.scalars(select(Message).where(Message.appeal_id == a.id, Message.kind == "deadline")).all()
        assert told, "the handler was not told"

    def test_overdue_acceptance_escalates_one_tier(self, session: Session, filed: Any) -> None:
        a = filed(to="dispatched")
        assert a.tier == "grid"
        at = _force(session, a, warn=dt.timedelta(hours=-2), due=dt.timedelta(minutes=-1))
        tasks.sweep_batch(session, at=at)
        session.refresh(a)
        community = session.get(Region, a.assigned_region_id)
        assert a.tier == "community"
        assert community is not None
        assert community.level == "community"
        assert a.status == "dispatched"
        assert a.supervised
        assert a.escalation_level == 1
        assert a.ever_overdue
        assert a.due_at > at
        assert not a.overdue
        assert repo.timeline(session, a)[-1].action == "auto-escalate"

    def test_overdue_at_department_tier_is_flagged_and_supervised(self, session: Session, filed: Any) -> None:
        a = filed(tier="department", to="dispatched")
        at = _force(session, a, warn=dt.timedelta(hours=-2), due=dt.timedelta(minutes=-1))
        tasks.sweep_batch(session, at=at)
        session.refresh(a)
        assert a.tier == "department"
        assert a.overdue
        assert a.supervised
        assert a.next_check_at is None
        assert repo.timeline(session, a)[-1].action == "overdue"

    def test_overdue_before_dispatch_is_flagged(self, session: Session, filed: Any) -> None:
        a = filed()
        at = _force(session, a, warn=dt.timedelta(hours=-2), due=dt.timedelta(minutes=-1))
        tasks.sweep_batch(session, at=at)
        session.refresh(a)
        assert a.status == "received"
        assert a.overdue
        assert a.supervised

    def test_two_sweeps_act_once(self, session: Session, filed: Any) -> None:
        a = filed(to="dispatched")
        at = _force(session, a, warn=dt.timedelta(minutes=-1), due=dt.timedelta(hours=1))
        tasks.sweep_batch(session, at=at)
        tasks.sweep_batch(session, at=at)
        assert [e.action for e in repo.timeline(session, a)].count("warn") == 1

    def test_a_concurrent_change_wins_over_the_sweep(self, session: Session, filed: Any) -> None:
        """The sweep read the row, then a user changed it (the locks rule this out; should it happen anyway):
        the sweep's compare-and-set misses and the whole batch is refused, to be read again."""
        a = filed(to="dispatched")
        at = _force(session, a, warn=dt.timedelta(minutes=-1), due=dt.timedelta(hours=1))
        rows = tasks._due_batch(session, at, 10)
        session.execute(update(Appeal).where(Appeal.id == a.id).values(version=Appeal.version + 1))
        real = tasks._due_batch
        tasks._due_batch = lambda *_a, **_k: rows  # type: ignore[assignment]
        try:
            with pytest.raises(tasks.StaleBatch):
                tasks.sweep_batch(session, at=at)
        finally:
            tasks._due_batch = real  # type: ignore[assignment]
        assert "warn" not in [e.action for e in repo.timeline(session, a)]

    def test_closed_appeals_are_not_swept(self, session: Session, filed: Any, principal: Any) -> None:
        a = filed()
        service.act(session, principal("community"), a.id, "reject", ActionBody(reason="重复"))
        at = _force(session, a, warn=dt.timedelta(hours=-2), due=dt.timedelta(minutes=-1))
        tasks.sweep_batch(session, at=at)
        assert repo.timeline(session, a)[-1].action == "reject"
