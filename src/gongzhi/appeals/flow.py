"""The appeal state machine: which action moves an appeal from which states to which, and who may take it.

One table (`ACTIONS`) is the whole rulebook; `guard()` is the only gate. The service applies the side
effects of each action; this module knows nothing about the database."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from gongzhi.core.errors import AppError, Forbidden
from gongzhi.core.i18n import N_

if TYPE_CHECKING:
    from gongzhi.appeals.models import Appeal
    from gongzhi.core.auth import Principal


class Status(StrEnum):
    RECEIVED = "received"  # 受理
    REGISTERED = "registered"  # 立案
    REJECTED = "rejected"  # 不予受理
    MERGED = "merged"  # 合并
    DISPATCHED = "dispatched"  # 派单
    ACCEPTED = "accepted"  # 接单
    IN_PROGRESS = "in_progress"  # 处置
    RESOLVED = "resolved"  # 办结
    VERIFIED = "verified"  # 核查
    RATED = "rated"  # 评价
    CLOSED = "closed"  # 结案


STATUS_LABELS = {
    Status.RECEIVED: N_("已受理"), Status.REGISTERED: N_("已立案"), Status.REJECTED: N_("不予受理"),
    Status.MERGED: N_("已合并"), Status.DISPATCHED: N_("已派单"), Status.ACCEPTED: N_("已接单"),
    Status.IN_PROGRESS: N_("处置中"), Status.RESOLVED: N_("已办结"), Status.VERIFIED: N_("已核查"),
    Status.RATED: N_("已评价"), Status.CLOSED: N_("已结案"),
}

FINAL = frozenset({Status.REJECTED, Status.MERGED, Status.CLOSED})
OPEN = frozenset(Status) - FINAL
HANDLING = frozenset({Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS})

# Who may act. Each actor kind is decided by `actor_kinds()` from the role, the scope and the assignment.
DISPATCHER = "dispatcher"  # community or street staff over the appeal's place, admin: 派单
HANDLER = "handler"  # whoever the appeal is assigned to now (grid, community, street or department)
PART = "part"  # a department summoned onto the appeal (吹哨报到)
VERIFIER = "verifier"  # the grid worker (or community staff) of the appeal's grid: 核查
SUPERVISOR = "supervisor"  # street staff, leaders over the place, admin: 督办
SUMMONER = "summoner"  # street staff over the place, admin: 吹哨
REPORTER = "reporter"  # the person who reported it
FOLLOWER = "follower"  # someone following it already (said "me too", or reported a merged duplicate)
READER = "reader"  # anyone who may see it


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change (or the service decides, e.g. verify fails)
    who: frozenset[str]
    body: tuple[str, ...] = ()  # fields the action reads, for the docs and the forms
    danger: bool = False


def _a(name: str, label: str, sources: set[Status] | frozenset[Status], target: Status | None, who: set[str],
       body: tuple[str, ...] = (), danger: bool = False) -> Action:
    return Action(name, label, frozenset(sources), target, frozenset(who), body, danger)


S = Status
ACTIONS: dict[str, Action] = {a.name: a for a in (
    _a("register", N_("立案"), {S.RECEIVED}, S.REGISTERED, {DISPATCHER}, ("matter_code", "priority", "note")),
    _a("reject", N_("不予受理"), {S.RECEIVED, S.REGISTERED}, S.REJECTED, {DISPATCHER}, ("reason",), danger=True),
    _a("merge", N_("合并"), {S.RECEIVED, S.REGISTERED}, S.MERGED, {DISPATCHER}, ("parent_id", "note")),
    _a("dispatch", N_("派单"), {S.REGISTERED}, S.DISPATCHED, {DISPATCHER},
       ("tier", "region_code", "department_code", "note")),
    _a("accept", N_("接单"), {S.DISPATCHED}, S.ACCEPTED, {HANDLER}, ("note",)),
    _a("return", N_("退单"), {S.DISPATCHED, S.ACCEPTED}, S.REGISTERED, {HANDLER}, ("reason",), danger=True),
    _a("start", N_("开始处置"), {S.ACCEPTED}, S.IN_PROGRESS, {HANDLER}, ("note",)),
    _a("pause", N_("等待群众（暂停计时）"), {S.ACCEPTED, S.IN_PROGRESS}, None, {HANDLER}, ("reason",)),
    _a("resume", N_("恢复计时"), {S.ACCEPTED, S.IN_PROGRESS}, None, {HANDLER, DISPATCHER}, ("note",)),
    _a("extend", N_("申请延期"), {S.ACCEPTED, S.IN_PROGRESS}, None, {HANDLER}, ("days", "reason")),
    _a("approve-extension", N_("审批延期"), {S.ACCEPTED, S.IN_PROGRESS}, None, {DISPATCHER, SUPERVISOR},
       ("approve", "note")),
    _a("resolve", N_("办结"), {S.ACCEPTED, S.IN_PROGRESS}, S.RESOLVED, {HANDLER}, ("reply", "photos")),
    _a("report", N_("报告本部门办理情况"), {S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS}, None, {PART}, ("report",)),
    _a("verify", N_("现场核查"), {S.RESOLVED}, None, {VERIFIER}, ("passed", "note", "photos")),
    _a("reopen", N_("重新办理"), {S.RESOLVED, S.VERIFIED, S.RATED}, S.IN_PROGRESS, {DISPATCHER, SUPERVISOR},
       ("reason",), danger=True),
    _a("rate", N_("评价"), {S.VERIFIED}, None, {REPORTER}, ("rating", "comment")),
    _a("close", N_("结案"), {S.VERIFIED, S.RATED}, S.CLOSED, {DISPATCHER}, ("note",)),
    _a("escalate", N_("上提一级"), HANDLING | {S.REGISTERED}, S.DISPATCHED, {DISPATCHER, SUPERVISOR}, ("reason",)),
    _a("supervise", N_("督办"), OPEN - {S.RECEIVED}, None, {SUPERVISOR}, ("note",)),
    _a("summon", N_("吹哨报到"), {S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS}, S.IN_PROGRESS,
       {SUMMONER}, ("department_codes", "task", "days")),
    _a("metoo", N_("我也遇到"), OPEN, None, {READER}, ()),
)}

# Which state each target may come from: the closed-world list of moves, for the docs and the property test.
ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    s: frozenset(t for a in ACTIONS.values() if s in a.sources for t in
                 ([a.target] if a.target else []) + ({
                     "verify": [S.VERIFIED, S.IN_PROGRESS], "rate": [S.RATED, S.IN_PROGRESS],
                     "register": [S.REJECTED]}.get(a.name, [])))
    for s in Status
}

TIER_ROLE = {"grid": "grid_worker", "community": "community_staff", "street": "street_staff",
             "department": "department_handler"}


class InvalidTransition(AppError):
    status = 409
    code = "invalid_transition"


def actor_kinds(principal: Principal, appeal: Appeal, *, part_departments: frozenset[int] = frozenset(),
                assigned_path: str | None = None, is_follower: bool = False) -> frozenset[str]:
    """Every actor kind `principal` is for `appeal`. `assigned_path` is the path of the assigned region (if
    the handler is a region), `part_departments` the departments summoned onto it."""
    role = principal.role
    kinds = {READER}
    if principal.sees_all:
        return frozenset({DISPATCHER, HANDLER, PART, VERIFIER, SUPERVISOR, SUMMONER, READER}
                         | ({REPORTER} if appeal.reporter_id == principal.user_id else set())
                         | ({FOLLOWER} if is_follower else set()))
    covers = principal.covers(appeal.scope_path)
    if role in ("community_staff", "street_staff") and covers:
        kinds.add(DISPATCHER)
    if role in ("street_staff", "leader") and covers:
        kinds.add(SUPERVISOR)
    if role == "street_staff" and covers:
        kinds.add(SUMMONER)
    if role in ("grid_worker", "community_staff") and covers:
        kinds.add(VERIFIER)
    if appeal.tier and TIER_ROLE.get(appeal.tier) == role:
        if role == "department_handler":
            if principal.department_id is not None and principal.department_id == appeal.assigned_department_id:
                kinds.add(HANDLER)
        elif assigned_path is not None and principal.covers(assigned_path):
            kinds.add(HANDLER)
    if role == "department_handler" and principal.department_id in part_departments:
        kinds.add(PART)
    if appeal.reporter_id is not None and appeal.reporter_id == principal.user_id:
        kinds.add(REPORTER)
    if is_follower:
        kinds.add(FOLLOWER)
    return frozenset(kinds)


def guard(action_name: str, appeal: Appeal, kinds: frozenset[str]) -> Action:
    """The action, if `appeal`'s state allows it and the actor is one of those who may take it; else raise."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise InvalidTransition(f"未知操作：{action_name}", code="unknown_action", status=404,
                                details={"actions": sorted(ACTIONS)})
    if not (action.who & kinds):
        raise Forbidden(f"您不能对该诉求执行「{action.label}」", code="action_not_allowed",
                        details={"action": action_name, "status": appeal.status})
    if Status(appeal.status) not in action.sources:
        raise InvalidTransition(
            f"诉求当前为「{STATUS_LABELS[Status(appeal.status)]}」，不能「{action.label}」",
            details={"action": action_name, "status": appeal.status,
                     "allowed_from": sorted(s.value for s in action.sources)})
    return action


def available(appeal: Appeal, kinds: frozenset[str]) -> list[Action]:
    """The actions this actor may take now, for the page's buttons."""
    return [a for a in ACTIONS.values() if a.who & kinds and Status(appeal.status) in a.sources
            and not (a.name == "metoo" and kinds & {REPORTER, FOLLOWER})]  # "me too" once, never on one's own
