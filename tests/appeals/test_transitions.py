"""Every action × every role (inside and outside scope) × every state: allowed where the rules say, refused
everywhere else, and a refusal changes nothing. The expected roles are written out here by hand, from
docs/appeals.md, not derived from the code under test."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.appeals import service
from gongzhi.appeals.flow import ACTIONS, Status
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core.errors import AppError

USERS = ("admin", "leader", "street", "community", "grid", "handler", "party", "volunteer", "resident",
         "community2", "grid2")

# Who may take each action on an appeal in the demo grid, handled at grid tier by the demo grid worker and
# reported by the demo resident (docs/appeals.md, "Who may act").
ALLOWED: dict[str, set[str]] = {
    "register": {"admin", "street", "community"},
    "reject": {"admin", "street", "community"},
    "merge": {"admin", "street", "community"},
    "dispatch": {"admin", "street", "community"},
    "accept": {"admin", "grid"},
    "return": {"admin", "grid"},
    "start": {"admin", "grid"},
    "pause": {"admin", "grid"},
    "resume": {"admin", "grid", "street", "community"},
    "extend": {"admin", "grid"},
    "approve-extension": {"admin", "street", "community", "leader"},
    "resolve": {"admin", "grid"},
    "verify": {"admin", "grid", "community"},
    "reopen": {"admin", "street", "community", "leader"},
    "rate": {"resident"},
    "close": {"admin", "street", "community"},
    "escalate": {"admin", "street", "community", "leader"},
    "supervise": {"admin", "street", "leader"},
    "summon": {"admin", "street"},
    "metoo": {"admin", "leader", "street", "community", "grid", "party", "volunteer"},  # the reporter: 409
}
# Who cannot even see it (→ 404): the department handler (not their department's case) and the staff of
# another grid and community.
BLIND = {"handler", "community2", "grid2"}

# The path to each state, and one valid body per action.
PATH = [("register", "community"), ("dispatch", "community"), ("accept", "grid"), ("start", "grid"),
        ("resolve", "grid"), ("verify", "grid"), ("rate", "resident")]
STATE_AFTER = {0: Status.RECEIVED, 1: Status.REGISTERED, 2: Status.DISPATCHED, 3: Status.ACCEPTED,
               4: Status.IN_PROGRESS, 5: Status.RESOLVED, 6: Status.VERIFIED, 7: Status.RATED}


def body_for(action: str, catalog: Any, parent_id: int | None = None, dep_code: str = "") -> ActionBody:
    return ActionBody(**{
        "register": {"matter_code": catalog.matters["grid"].code},
        "reject": {"reason": "不属实"}, "merge": {"parent_id": parent_id}, "dispatch": {},
        "return": {"reason": "不归我管"}, "pause": {"reason": "等群众在家"},
        "extend": {"days": 3, "reason": "材料未齐"},
        "approve-extension": {"approve": True}, "resolve": {"reply": "已处理完毕"},
        "verify": {"passed": True}, "reopen": {"reason": "群众反映未解决"}, "rate": {"rating": 5},
        "escalate": {"reason": "网格无法解决"}, "supervise": {"note": "请加快办理"},
        "summon": {"department_codes": [dep_code], "task": "到场处置"}, "close": {"note": "已回访"},
    }.get(action, {}))


@pytest.fixture
def make(session: Session, principal: Any, catalog: Any, grid_point: tuple[float, float]) -> Any:
    """make(steps) → an appeal in the demo grid (grid-tier matter) moved along PATH for `steps` steps."""

    def _make(steps: int, *, prepare: str | None = None) -> Appeal:
        lat, lon = grid_point
        appeal = service.intake(session, principal("resident"), AppealCreate(
            title="楼道灯坏了", description="三单元楼道灯不亮", lat=lat, lon=lon, channel="h5",
            matter_code=catalog.matters["grid"].code)).appeal
        for action, user in PATH[:steps]:
            service.act(session, principal(user), appeal.id, action, body_for(action, catalog))
        if prepare == "paused":
            service.act(session, principal("grid"), appeal.id, "pause", ActionBody(reason="等群众"))
        if prepare == "extension":
            service.act(session, principal("grid"), appeal.id, "extend", ActionBody(days=2, reason="等材料"))
        session.commit()
        return appeal

    return _make


def source_steps(action: str) -> int:
    """The first state along PATH from which `action` may be taken."""
    for steps, st in STATE_AFTER.items():
        if st in ACTIONS[action].sources:
            return steps
    raise AssertionError(action)


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("action", sorted(set(ACTIONS) - {"report"}))
def test_who_may_act(session: Session, principal: Any, make: Any, catalog: Any, action: str, user: str) -> None:
    prepare = {"resume": "paused", "approve-extension": "extension"}.get(action)
    appeal = make(source_steps(action), prepare=prepare)
    parent = make(0) if action == "merge" else None
    before = (appeal.status, appeal.version, appeal.event_seq)
    body = body_for(action, catalog, parent_id=parent.id if parent else None, dep_code=catalog.departments[1].code)
    try:
        with session.begin_nested():
            service.act(session, principal(user), appeal.id, action, body)
        outcome = 200
    except AppError as exc:
        outcome = exc.status
        session.refresh(appeal)
        assert (appeal.status, appeal.version, appeal.event_seq) == before, "a refused action changed the appeal"
    if user in BLIND:
        want = 404
    elif user in ALLOWED[action]:
        want = 200
    elif action == "metoo" and user == "resident":
        want = 409  # one's own appeal
    else:
        want = 403
    assert outcome == want, f"{user} {action}: {outcome}"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_refused_from_every_other_state(session: Session, principal: Any, make: Any, catalog: Any,
                                        action: str) -> None:
    """From each state along the path that is not a source of the action: 409, even for a user who may take it."""
    user = "resident" if action == "rate" else "admin"
    for steps, state in STATE_AFTER.items():
        if state in ACTIONS[action].sources:
            continue
        appeal = make(steps)
        with pytest.raises(AppError) as exc:
            service.act(session, principal(user), appeal.id, action, body_for(action, catalog))
        assert exc.value.status == 409, (action, state, exc.value.code)


class TestDepartmentTier:
    """A department-tier matter: only that department's handler (and admin) may accept, return and resolve."""

    @pytest.mark.parametrize("user", ["handler", "grid", "community", "street"])
    def test_accept(self, session: Session, principal: Any, catalog: Any, grid_point: Any, user: str) -> None:
        lat, lon = grid_point
        appeal = service.intake(session, principal("resident"), AppealCreate(
            title="违章搭建", lat=lat, lon=lon, matter_code=catalog.matters["department"].code)).appeal
        service.act(session, principal("community"), appeal.id, "register", ActionBody())
        service.act(session, principal("community"), appeal.id, "dispatch", ActionBody())
        assert appeal.tier == "department"
        assert appeal.assigned_department_id == catalog.departments[0].id
        if user == "handler":
            service.act(session, principal(user), appeal.id, "accept", ActionBody())
            assert appeal.status == "accepted"
        else:
            with pytest.raises(AppError) as exc:
                service.act(session, principal(user), appeal.id, "accept", ActionBody())
            assert exc.value.status == 403
