"""Random action sequences by random (mostly well-chosen) users, checking after every step the invariants the
loop promises: the timeline is complete and ordered, an appeal is in one state at a time (the last event's
target), deadlines are never before creation, and a closed appeal never moves again."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from gongzhi.appeals import repository as repo
from gongzhi.appeals import service
from gongzhi.appeals.flow import ACTIONS, FINAL, Status
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import AppealCreate
from gongzhi.core.errors import AppError
from tests.appeals.test_transitions import ALLOWED, USERS, body_for

STEP = st.tuples(st.sampled_from(sorted(ACTIONS)), st.booleans(), st.integers(0, 100), st.sampled_from(USERS))


def check(session: Session, appeal: Appeal, closed_events: int | None) -> None:
    events = repo.timeline(session, appeal)
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "timeline has a gap or a repeat"
    assert appeal.event_seq == len(events)
    assert all(a.at <= b.at for a, b in pairwise(events)), "timeline out of order"
    assert events[0].action == "receive"
    assert events[0].from_status is None
    for prev, ev in pairwise(events):
        assert ev.from_status == prev.to_status, f"{ev.action}: from {ev.from_status} after {prev.to_status}"
    assert events[-1].to_status == appeal.status, "the appeal's state is not its last event's target"
    for t in (appeal.due_at, appeal.warn_at, appeal.resolve_due_at):
        assert t is None or t >= appeal.created_at, "a deadline before creation"
    if closed_events is not None:
        assert len(events) == closed_events, "a closed appeal moved"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=30))
def test_random_sequences_keep_the_invariants(session: Session, principal: Any, catalog: Any,
                                              grid_point: tuple[float, float], steps: list[Any]) -> None:
    lat, lon = grid_point
    nested = session.begin_nested()  # each example undoes its own work
    try:
        appeal = service.intake(session, principal("resident"), AppealCreate(
            title="路灯不亮", description="小区门口路灯坏了一周", lat=lat, lon=lon,
            matter_code=catalog.matters["grid"].code)).appeal
        parent = service.intake(session, principal("resident"), AppealCreate(
            title="路灯坏了", lat=lat, lon=lon, matter_code=catalog.matters["grid"].code)).appeal
        closed_at_events: int | None = None
        for action, well_chosen, pick, anyone in steps:
            allowed = sorted(ALLOWED.get(action, set()))
            user = allowed[pick % len(allowed)] if well_chosen and allowed else anyone
            body = body_for(action, catalog, parent_id=parent.id, dep_code=catalog.departments[1].code)
            try:
                with session.begin_nested():
                    service.act(session, principal(user), appeal.id, action, body)
            except AppError:
                session.refresh(appeal)
            if Status(appeal.status) in FINAL and closed_at_events is None:
                closed_at_events = appeal.event_seq
            check(session, appeal, closed_at_events)
            check(session, parent, None)
    finally:
        nested.rollback()
