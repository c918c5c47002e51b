"""The appeal loop's rules: intake from every channel, routing, deadlines, every action's side effects,
duplicates and "me too". The state machine itself (who may move what where) is in flow.py."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gongzhi.appeals import flow
from gongzhi.appeals import repository as repo
from gongzhi.appeals.flow import Status
from gongzhi.appeals.media import StoredPhoto
from gongzhi.appeals.models import Appeal, AppealEvent, AppealFollower, AppealPart, AppealPhoto, IdempotencyKey
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core import crypto, geo
from gongzhi.core.auth import Principal
from gongzhi.core.calendar import get_calendar
from gongzhi.core.db import now
from gongzhi.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.settings import get_settings
from gongzhi.duties.models import TIERS, Department, DutyCategory, MatterType
from gongzhi.notify import service as notify
from gongzhi.regions import repository as regions_repo
from gongzhi.regions import service as regions
from gongzhi.regions.models import Region

# Which channels each role may file under. Open311 requests come in through the Open311 endpoint only.
STAFF_CHANNELS = ("hotline", "mailbox", "visit", "patrol", "volunteer", "h5", "transfer")
ROLE_CHANNELS: dict[str, tuple[str, ...]] = {
    "resident": ("h5",), "volunteer": ("volunteer", "h5"), "party_member": ("volunteer", "h5"),
    "grid_worker": ("patrol", "visit", "h5"), "community_staff": STAFF_CHANNELS, "street_staff": STAFF_CHANNELS,
    "admin": STAFF_CHANNELS, "leader": ("mailbox",), "department_handler": ("transfer",),
}
SYSTEM = "system"


class StaleAppeal(Conflict):
    code = "stale_version"

    def __init__(self, appeal_id: int) -> None:
        super().__init__("该诉求已被他人更新，请刷新后重试", details={"appeal_id": appeal_id})


class NotAdmitted(Conflict):
    code = "not_admitted"


# ---- who is acting -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """Who makes a move: a user, or the system (the deadline sweep)."""

    user_id: int | None
    name: str
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user_id or None, principal.display_name, principal.role)


SYSTEM_ACTOR = Actor(None, "系统", SYSTEM)


# ---- deadlines ------------------------------------------------------------------------------------------

def set_step(session: Session, appeal: Appeal, start: dt.datetime, due: dt.datetime | None) -> None:
    """Start a new step with its limit: warnings at 80 %, the sweep wakes at the warning instant."""
    appeal.due_at = due
    appeal.warn_at = get_calendar(session).warn_at(start, due) if due is not None else None
    appeal.warned = False
    appeal.overdue = False
    appeal.next_check_at = appeal.warn_at if appeal.paused_at is None else None


class Routing:
    """Where appeals go and whom to tell, from plain values (a scope path, a matter type, a tier), with what it
    looked up kept for the life of the object: one transition makes one, the deadline sweep one per batch
    (thousands of rows share a few regions, matter types and handlers)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._regions: dict[str, Region | None] = {}  # by code
        self._matters: dict[int, MatterType | None] = {}
        self._departments: dict[int, Department | None] = {}
        self._handlers: dict[tuple[str | None, int | None, int | None], list[int]] = {}
        self._dispatchers: dict[int, list[int]] = {}
        self._steps: dict[tuple[dt.datetime, int], tuple[dt.datetime, dt.datetime]] = {}

    def matter(self, matter_type_id: int | None) -> MatterType | None:
        if not matter_type_id:
            return None
        if matter_type_id not in self._matters:
            self._matters[matter_type_id] = self.session.get(MatterType, matter_type_id)
        return self._matters[matter_type_id]

    def department(self, department_id: int | None) -> Department | None:
        if not department_id:
            return None
        if department_id not in self._departments:
            self._departments[department_id] = self.session.get(Department, department_id)
        return self._departments[department_id]

    def accept_hours(self, matter_type_id: int | None) -> int:
        mt = self.matter(matter_type_id)
        return mt.accept_hours if mt else 4

    def resolve_days(self, matter_type_id: int | None) -> int:
        mt = self.matter(matter_type_id)
        return mt.resolve_days if mt else 5

    def region_at(self, scope_path: str, level: str) -> Region | None:
        """The region of `level` (grid, community, street …) on a scope path."""
        codes = scope_path.strip("/").split("/")
        missing = [c for c in codes if c not in self._regions]
        if missing:
            found = {r.code: r for r in self.session.scalars(select(Region).where(Region.code.in_(missing)))}
            self._regions.update({c: found.get(c) for c in missing})
        return next((r for c in codes if (r := self._regions[c]) is not None and r.level == level), None)

    def route(self, scope_path: str, matter_type_id: int | None,
              tier: str) -> tuple[str, Region | None, Department | None]:
        """The handler at `tier`: the region of that level the appeal lies in, or the matter's lead department.
        Falls back one tier up where the tier does not exist (no grid there, no lead department)."""
        for t in TIERS[TIERS.index(tier):]:
            if t == "department":
                mt = self.matter(matter_type_id)
                dep = self.department(mt.lead_department_id) if mt else None
                if dep is not None:
                    return t, None, dep
                return "street", self.region_at(scope_path, "street"), None
            region = self.region_at(scope_path, t)
            if region is not None:
                return t, region, None
        raise AssertionError("unreachable")

    def handler_user_ids(self, tier: str | None, region_id: int | None, department_id: int | None) -> list[int]:
        """The accounts that handle an appeal at this tier and place (to notify them)."""
        from gongzhi.accounts.models import User

        if tier is None:
            return []
        key = (tier, region_id, department_id)
        if key not in self._handlers:
            stmt = select(User.id).where(User.is_active.is_(True), User.role == flow.TIER_ROLE[tier])
            if tier == "department":
                stmt = stmt.where(User.department_id == department_id)
            else:
                stmt = stmt.where(User.scope_region_id == region_id)
            self._handlers[key] = list(self.session.scalars(stmt.limit(50)))
        return self._handlers[key]

    def dispatcher_user_ids(self, scope_path: str) -> list[int]:
        """The community staff who dispatch the appeal's community (派单)."""
        from gongzhi.accounts.models import User

        community = self.region_at(scope_path, "community")
        if community is None:
            return []
        if community.id not in self._dispatchers:
            self._dispatchers[community.id] = list(self.session.scalars(select(User.id).where(
                User.is_active.is_(True), User.role == "community_staff",
                User.scope_region_id == community.id).limit(20)))
        return self._dispatchers[community.id]

    def label(self, tier: str | None, region_id: int | None, department_id: int | None) -> str:
        """Who handles it, as shown: the department's or the region's name."""
        if tier == "department" and department_id:
            dep = self.department(department_id)
            return dep.name if dep else ""
        if region_id:
            region = self.session.get(Region, region_id)
            return region.name if region else ""
        return ""

    def step(self, start: dt.datetime, hours: int) -> tuple[dt.datetime, dt.datetime]:
        """The limit and the warning instant of a step of `hours` working hours from `start` (a sweep's
        escalations all start at one instant: the calendar is asked once per limit)."""
        key = (start, hours)
        if key not in self._steps:
            cal = get_calendar(self.session)
            due = cal.add_working_hours(start, hours)
            self._steps[key] = (due, cal.warn_at(start, due))
        return self._steps[key]

    def escalation(self, *, scope_path: str, matter_type_id: int | None, tier: str | None,
                   at: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        """分级化解 — the columns that move an appeal one tier up and start a new acceptance step there (the
        sweep wakes it at 80 % of the new limit), and the event's data. At the department tier there is nobody
        above: it stays, supervised."""
        current = tier or "grid"
        if current == "department":
            return {"supervised": True}, {"tier": current, "moved": False}
        new_tier, region, dep = self.route(scope_path, matter_type_id, TIERS[TIERS.index(current) + 1])
        due, warn = self.step(at, self.accept_hours(matter_type_id))
        values = {"supervised": True, "tier": new_tier, "assigned_region_id": region.id if region else None,
                  "assigned_department_id": dep.id if dep else None, "status": Status.DISPATCHED.value,
                  "dispatched_at": at, "accepted_at": None, "due_at": due, "warn_at": warn,
                  "warned": False, "overdue": False}
        label = dep.name if dep else (region.name if region else "")
        return values, {"tier": new_tier, "from_tier": current, "moved": True, "handler": label}


def _matter(session: Session, appeal: Appeal) -> MatterType | None:
    return Routing(session).matter(appeal.matter_type_id)


def _resolve_days(session: Session, appeal: Appeal) -> int:
    return Routing(session).resolve_days(appeal.matter_type_id)


def _accept_hours(session: Session, appeal: Appeal) -> int:
    return Routing(session).accept_hours(appeal.matter_type_id)


# ---- routing --------------------------------------------------------------------------------------------

def _region_at(session: Session, appeal: Appeal, level: str) -> Region | None:
    """The appeal's region at `level` (its grid, community or street), from its scope path."""
    return Routing(session).region_at(appeal.scope_path, level)


def route(session: Session, appeal: Appeal, tier: str) -> tuple[str, Region | None, Department | None]:
    """The handler at `tier` for this appeal (see `Routing.route`)."""
    return Routing(session).route(appeal.scope_path, appeal.matter_type_id, tier)


def _assign(appeal: Appeal, tier: str, region: Region | None, dep: Department | None) -> None:
    appeal.tier = tier
    appeal.assigned_region_id = region.id if region else None
    appeal.assigned_department_id = dep.id if dep else None


def handler_user_ids(session: Session, appeal: Appeal) -> list[int]:
    """The accounts that handle the appeal now (to notify them)."""
    return Routing(session).handler_user_ids(appeal.tier, appeal.assigned_region_id, appeal.assigned_department_id)


def _dispatcher_user_ids(session: Session, appeal: Appeal) -> list[int]:
    return Routing(session).dispatcher_user_ids(appeal.scope_path)


# ---- intake ---------------------------------------------------------------------------------------------

@dataclass
class Intake:
    appeal: Appeal
    created: bool
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)


def _place(session: Session, principal: Principal | None, data: AppealCreate) -> tuple[Region, Region | None,
                                                                                      float | None, float | None]:
    """(the deepest region the appeal lies in, its grid or None, WGS-84 lat, lon)."""
    if data.lat is not None and data.lon is not None:
        lon, lat = (float(v) for v in geo.to_wgs84(data.lon, data.lat, data.crs))
        grid_id = regions.grid_index(session).locate(lon, lat)
        grid = session.get(Region, grid_id) if grid_id is not None else None
        if grid is not None:
            return grid, grid, lat, lon
        if data.region_code is None:
            raise ValidationFailed("该位置不在本市任何网格内，请核对定位或填写所属区域", code="outside_grids",
                                   details={"lat": lat, "lon": lon, "crs": "wgs84"})
    else:
        lat = lon = None
    if data.region_code is not None:
        region = regions_repo.get_by_code_unscoped(session, data.region_code)
        if region is None:
            raise ValidationFailed(f"区域代码 {data.region_code} 不存在", code="unknown_region",
                                   details={"region_code": data.region_code})
        return region, (region if region.level == "grid" else None), lat, lon
    if principal is not None and principal.role in ("resident", "grid_worker"):
        region = session.get(Region, principal.scope_region_id)
        assert region is not None
        return region, (region if region.level == "grid" else None), lat, lon
    raise ValidationFailed("请提供位置（lat/lon）或所属区域代码 region_code", code="location_required")


def _classify(session: Session, data: AppealCreate) -> tuple[DutyCategory | None, MatterType | None]:
    if data.matter_code:
        mt = session.scalars(select(MatterType).where(MatterType.code == data.matter_code)).first()
        if mt is None or not mt.is_active:
            raise ValidationFailed(f"事项编码 {data.matter_code} 不存在", code="unknown_matter",
                                   details={"matter_code": data.matter_code})
        return session.get(DutyCategory, mt.category_id), mt
    if data.category_code:
        cat = session.scalars(select(DutyCategory).where(DutyCategory.code == data.category_code)).first()
        if cat is None:
            raise ValidationFailed(f"分类编码 {data.category_code} 不存在", code="unknown_category",
                                   details={"category_code": data.category_code})
        return cat, None
    return None, None


def idempotency_scope(principal: Principal | None, key: str, *, caller: str | None = None) -> str:
    """Keys are per caller, so two callers' "1" never collide."""
    who = caller or (f"user:{principal.user_id}" if principal else "anon")
    return f"{who}:{key}"[:160]


def intake(session: Session, principal: Principal | None, data: AppealCreate, *,
           photos: Iterable[StoredPhoto] = (), idempotency_key: str | None = None,
           actor: Actor | None = None) -> Intake:
    """受理 — take an appeal from any channel: locate it, classify it if we can, propose its handler, start the
    dispatch clock. A repeated Idempotency-Key or external id returns the first appeal."""
    if principal is not None and data.channel not in ROLE_CHANNELS.get(principal.role, ()) and \
            not (data.channel == "open311" and actor is not None):
        raise Forbidden(f"您的角色不能通过「{data.channel}」渠道登记诉求", code="channel_not_allowed",
                        details={"channel": data.channel, "allowed": list(ROLE_CHANNELS.get(principal.role, ()))})
    if idempotency_key:
        first = repo.by_idempotency_key(session, idempotency_key)
        if first is not None:
            return Intake(first, created=False)
    if data.external_id:
        first = repo.by_external_id(session, data.channel, data.external_id)
        if first is not None:
            return Intake(first, created=False)
    if data.reporter_phone and not crypto.normalise(data.reporter_phone).isdigit():
        raise ValidationFailed("联系电话格式不正确", details={"reporter_phone": data.reporter_phone})

    region, grid, lat, lon = _place(session, principal, data)
    category, matter = _classify(session, data)
    actor = actor or (Actor.of(principal) if principal else SYSTEM_ACTOR)
    at = now()
    phone = crypto.seal("phone", None if data.anonymous else data.reporter_phone)
    appeal = Appeal(
        title=data.title, description=data.description, channel=data.channel, external_id=data.external_id,
        status=Status.RECEIVED.value, priority=data.priority, lat=lat, lon=lon, address=data.address,
        grid_id=grid.id if grid else None, region_id=region.id, scope_path=region.path,
        category_id=(category.id if category else None), matter_type_id=(matter.id if matter else None),
        reporter_id=principal.user_id if principal and principal.user_id else None, anonymous=data.anonymous,
        reporter_name="" if data.anonymous else (data.reporter_name or (
            principal.display_name if principal and principal.role in ("resident", "volunteer", "party_member")
            else "")),
        phone_enc=phone["enc"], phone_hash=phone["hash"], phone_masked=phone["masked"],
        location_consent=data.location_consent, created_at=at, updated_at=at, event_seq=0,
    )
    try:
        with session.begin_nested():  # a racing retry with the same key or external id loses here, not later
            session.add(appeal)
            session.flush()
            if idempotency_key:
                session.add(IdempotencyKey(key=idempotency_key, appeal_id=appeal.id, created_at=at))
                session.flush()
    except IntegrityError:
        first = (repo.by_idempotency_key(session, idempotency_key) if idempotency_key else None) or \
            (repo.by_external_id(session, data.channel, data.external_id) if data.external_id else None)
        if first is None:
            raise
        return Intake(first, created=False)

    cal = get_calendar(session)
    if matter is not None:
        tier, hregion, dep = route(session, appeal, matter.tier)
        _assign(appeal, tier, hregion, dep)
        appeal.resolve_due_at = cal.add_working_days(at, matter.resolve_days)
    set_step(session, appeal, at, cal.add_working_hours(at, get_settings().dispatch_hours))
    stored = list(photos)
    for p in stored:
        session.add(AppealPhoto(appeal_id=appeal.id, kind="report", content_type=p.content_type, path=p.path,
                                thumb_path=p.thumb_path, width=p.width, height=p.height, size=p.size, created_at=at))
    if appeal.reporter_id is not None:
        session.add(AppealFollower(appeal_id=appeal.id, user_id=appeal.reporter_id, reason="reporter", created_at=at))
    _event(session, appeal, actor, "receive", None, Status.RECEIVED, note="",
           data={"channel": data.channel, "external_id": data.external_id, "photo_count": len(stored)}, at=at)
    session.flush()
    result = Intake(appeal, created=True)
    if matter is None:
        from gongzhi.duties import service as duties

        result.suggestions = [{"code": m.code, "name": m.name} for m in
                              duties.suggest_matter_types(session, f"{data.title} {data.description}", limit=5)]
    result.duplicates = duplicates(session, appeal)
    return result


# ---- duplicates -----------------------------------------------------------------------------------------

def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in text if not ch.isspace())
    return {t[i:i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def duplicates(session: Session, appeal: Appeal, *, limit: int = 5) -> list[dict[str, Any]]:
    """Likely duplicates of `appeal`: open, same matter type (when known), within the radius and the time
    window, with similar text. Ranked by a blend of text similarity and distance."""
    if appeal.lat is None or appeal.lon is None:
        return []
    s = get_settings()
    dlat = s.duplicate_radius_m / 111_320.0
    dlon = dlat / max(0.2, math.cos(math.radians(appeal.lat)))
    since = appeal.created_at - dt.timedelta(days=s.duplicate_days)
    open_states = frozenset(st.value for st in flow.OPEN)
    found = []
    for other in repo.nearby_open(session, matter_type_id=appeal.matter_type_id, lat=appeal.lat, lon=appeal.lon,
                                  dlat=dlat, dlon=dlon, since=since, exclude_id=appeal.id, statuses=open_states):
        dist = _metres(appeal.lat, appeal.lon, other.lat, other.lon)
        sim = similarity(f"{appeal.title}{appeal.description[:200]}", f"{other.title}{other.description}")
        if dist > s.duplicate_radius_m or sim < 0.12:
            continue
        score = sim * 0.7 + (1 - dist / s.duplicate_radius_m) * 0.3
        found.append({"id": other.id, "title": other.title, "status": other.status, "distance_m": round(dist),
                      "similarity": round(sim, 2), "score": round(score, 3),
                      "created_at": other.created_at.isoformat()})
    found.sort(key=lambda d: -d["score"])
    return found[:limit]


# ---- timeline -------------------------------------------------------------------------------------------

def _event(session: Session, appeal: Appeal, actor: Actor, action: str, from_status: Status | str | None,
           to_status: Status | str, *, note: str = "", data: dict[str, Any] | None = None,
           at: dt.datetime | None = None) -> AppealEvent:
    appeal.event_seq = (appeal.event_seq or 0) + 1
    ev = AppealEvent(appeal_id=appeal.id, seq=appeal.event_seq, at=at or now(), actor_id=actor.user_id,
                     actor_name=actor.name, actor_role=actor.role, action=action,
                     from_status=str(from_status) if from_status else None, to_status=str(to_status), note=note,
                     data=data or {})
    session.add(ev)
    return ev


def timeline(session: Session, principal: Principal, appeal_id: int) -> list[AppealEvent]:
    return repo.timeline(session, get_appeal(session, principal, appeal_id))


def get_appeal(session: Session, principal: Principal, appeal_id: int) -> Appeal:
    appeal = repo.get_readable(session, principal, appeal_id)
    if appeal is None:
        raise NotFound("未找到该诉求或不在您的管辖范围内")
    return appeal


def actor_kinds(session: Session, principal: Principal, appeal: Appeal) -> frozenset[str]:
    assigned = session.get(Region, appeal.assigned_region_id) if appeal.assigned_region_id else None
    part_deps = frozenset(p.department_id for p in repo.parts(session, appeal) if p.status != "done")
    return flow.actor_kinds(principal, appeal, part_departments=part_deps,
                            assigned_path=assigned.path if assigned else None,
                            is_follower=repo.is_following(session, appeal, principal.user_id) is not None)


# ---- actions --------------------------------------------------------------------------------------------

def act(session: Session, principal: Principal, appeal_id: int, action: str, body: ActionBody) -> Appeal:
    """Take one action on an appeal: the guard, the side effects, the timeline event, the notifications, in
    the caller's transaction. A concurrent change makes this fail with 409 and change nothing."""
    try:
        return _act(session, principal, appeal_id, action, body)
    except StaleDataError as exc:  # another transaction changed the appeal first (also seen by an autoflush)
        raise StaleAppeal(appeal_id) from exc


def _act(session: Session, principal: Principal, appeal_id: int, action: str, body: ActionBody) -> Appeal:
    appeal = get_appeal(session, principal, appeal_id)
    if body.version is not None and body.version != appeal.version:
        raise StaleAppeal(appeal.id)
    kinds = actor_kinds(session, principal, appeal)
    spec = flow.guard(action, appeal, kinds)
    handler = _HANDLERS[spec.name]
    before = Status(appeal.status)
    at = now()
    result = handler(session, appeal, Actor.of(principal), body, at, kinds, principal)
    after = Status(appeal.status)
    ev = _event(session, appeal, Actor.of(principal), result.get("action", spec.name), before, after,
                note=result.get("note", body.note or body.reason), data=result.get("data", {}), at=at)
    appeal.updated_at = at
    session.flush()
    _tell(session, appeal, ev, result)
    return appeal


def _require(value: Any, field_name: str, message: str) -> None:
    if value is None or value == "" or value == []:
        raise ValidationFailed(message, code="missing_field", details={"field": field_name})


Result = dict[str, Any]


def _register(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
              _kinds: frozenset[str], _p: Principal) -> Result:
    if body.matter_code:
        mt = session.scalars(select(MatterType).where(MatterType.code == body.matter_code)).first()
        if mt is None or not mt.is_active:
            raise ValidationFailed(f"事项编码 {body.matter_code} 不存在", code="unknown_matter",
                                   details={"matter_code": body.matter_code})
        appeal.matter_type_id, appeal.category_id = mt.id, mt.category_id
    mt = _matter(session, appeal)
    if mt is None:
        raise ValidationFailed("立案前须确定事项类型（matter_code）", code="missing_field",
                               details={"field": "matter_code"})
    if body.priority:
        appeal.priority = body.priority
    tier, region, dep = route(session, appeal, mt.tier)
    _assign(appeal, tier, region, dep)
    community = _region_at(session, appeal, "community")
    if community is not None and tier in ("grid", "community"):
        from gongzhi.duties import service as duties

        item = duties.admission_check(session, community.id, mt.id)
        if item is not None:  # 社区事务准入清单: the community may not take this on
            appeal.status = Status.REJECTED.value
            appeal.close_reason = "not_admitted"
            appeal.closed_at = at
            appeal.next_check_at = None
            return {"action": "reject", "note": f"不属于社区事务准入清单：{item.title}",
                    "data": {"admission_item": item.as_reason(), "matter_code": mt.code}}
    appeal.status = Status.REGISTERED.value
    appeal.registered_at = at
    if appeal.resolve_due_at is None:
        appeal.resolve_due_at = get_calendar(session).add_working_days(at, mt.resolve_days)
    return {"data": {"matter_code": mt.code, "tier": tier}}


def _reject(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    _require(body.reason, "reason", "不予受理须说明理由")
    appeal.status = Status.REJECTED.value
    appeal.close_reason = "rejected"
    appeal.closed_at = at
    appeal.next_check_at = None
    return {"note": body.reason}


def _merge(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
           _k: frozenset[str], principal: Principal) -> Result:
    _require(body.parent_id, "parent_id", "请指定要合并到的诉求（parent_id）")
    assert body.parent_id is not None
    parent = repo.get_readable(session, principal, body.parent_id)
    if parent is None:
        raise NotFound("未找到要合并到的诉求或不在您的管辖范围内", details={"parent_id": body.parent_id})
    if parent.id == appeal.id or Status(parent.status) in flow.FINAL:
        raise Conflict("只能合并到另一件办理中的诉求", code="bad_merge_target",
                       details={"parent_id": parent.id, "status": parent.status})
    appeal.parent_id = parent.id
    appeal.status = Status.MERGED.value
    appeal.closed_at = at
    appeal.close_reason = "merged"
    appeal.next_check_at = None
    parent.metoo_count += 1
    if appeal.reporter_id is not None and repo.is_following(session, parent, appeal.reporter_id) is None:
        session.add(AppealFollower(appeal_id=parent.id, user_id=appeal.reporter_id, reason="merged", created_at=at))
    _event(session, parent, actor, "absorb", parent.status, parent.status, note=f"合并了重复诉求 #{appeal.id}",
           data={"child_id": appeal.id}, at=at)
    return {"note": body.note or f"与 #{parent.id} 重复，已合并，将随其办理", "data": {"parent_id": parent.id}}


def _dispatch_to(session: Session, appeal: Appeal, body: ActionBody, principal: Principal) -> dict[str, Any]:
    mt = _matter(session, appeal)
    tier = body.tier or appeal.tier or (mt.tier if mt else "community")
    if tier == "department":
        if body.department_code:
            dep = session.scalars(select(Department).where(Department.code == body.department_code)).first()
            if dep is None or not dep.is_active:
                raise ValidationFailed(f"部门编码 {body.department_code} 不存在", code="unknown_department",
                                       details={"department_code": body.department_code})
            _assign(appeal, "department", None, dep)
        else:
            t, region, dep = route(session, appeal, "department")
            _assign(appeal, t, region, dep)
    else:
        if body.region_code:
            region = regions_repo.get_by_code(session, principal, body.region_code)
            if region is None or region.level != tier:
                raise ValidationFailed(f"区域 {body.region_code} 不存在、不在管辖范围内或不是「{tier}」一级",
                                       code="bad_dispatch_target", details={"region_code": body.region_code})
            _assign(appeal, tier, region, None)
        else:
            t, region, dep = route(session, appeal, tier)
            _assign(appeal, t, region, dep)
    return {"tier": appeal.tier, "region_id": appeal.assigned_region_id,
            "department_id": appeal.assigned_department_id}


def _dispatch(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
              _k: frozenset[str], principal: Principal) -> Result:
    target = _dispatch_to(session, appeal, body, principal)
    appeal.status = Status.DISPATCHED.value
    appeal.dispatched_at = at
    set_step(session, appeal, at, get_calendar(session).add_working_hours(at, _accept_hours(session, appeal)))
    return {"data": {**target, "handler": handler_label(session, appeal)}}


def _accept(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    appeal.status = Status.ACCEPTED.value
    appeal.accepted_at = at
    # The resolution limit runs from acceptance (the estimate made at intake is replaced).
    appeal.resolve_due_at = get_calendar(session).add_working_days(at, _resolve_days(session, appeal))
    set_step(session, appeal, at, appeal.resolve_due_at)
    return {"data": {"resolve_due_at": _iso(appeal.resolve_due_at)}}


def _return(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    _require(body.reason, "reason", "退单须说明理由")
    returned_from = handler_label(session, appeal)
    appeal.status = Status.REGISTERED.value
    appeal.accepted_at = None
    set_step(session, appeal, at, get_calendar(session).add_working_hours(at, get_settings().dispatch_hours))
    return {"note": body.reason, "data": {"returned_by": returned_from}}


def _start(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
           _k: frozenset[str], _p: Principal) -> Result:
    appeal.status = Status.IN_PROGRESS.value
    return {}


def _pause(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
           _k: frozenset[str], _p: Principal) -> Result:
    _require(body.reason, "reason", "请说明等待群众的原因")
    if appeal.paused_at is not None:
        raise Conflict("计时已暂停", code="already_paused")
    appeal.paused_at = at
    appeal.next_check_at = None
    return {"note": body.reason, "data": {"paused": True}}


def _resume(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    if appeal.paused_at is None:
        raise Conflict("计时没有暂停", code="not_paused")
    cal = get_calendar(session)
    paused_at = appeal.paused_at
    appeal.paused_at = None
    if appeal.resolve_due_at is not None:
        appeal.resolve_due_at = cal.resume_due(appeal.resolve_due_at, paused_at, at)
    if appeal.due_at is not None:
        due = cal.resume_due(appeal.due_at, paused_at, at)
        warned, overdue = appeal.warned, appeal.overdue
        set_step(session, appeal, at, due)
        appeal.warned, appeal.overdue = warned, overdue
        appeal.next_check_at = None if overdue else (due if warned else appeal.warn_at)
    return {"data": {"paused_seconds": int((at - paused_at).total_seconds()), "due_at": _iso(appeal.due_at)}}


def _extend(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    _require(body.days, "days", "请填写延期的工作日数（days）")
    _require(body.reason, "reason", "申请延期须说明理由")
    if appeal.extension_days is not None:
        raise Conflict("已有待审批的延期申请", code="extension_pending")
    appeal.extension_days = body.days
    return {"note": body.reason, "data": {"days": body.days}}


def _approve_extension(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
                       _k: frozenset[str], _p: Principal) -> Result:
    if appeal.extension_days is None:
        raise Conflict("没有待审批的延期申请", code="no_extension_pending")
    _require(body.approve, "approve", "请选择同意或不同意（approve）")
    days = appeal.extension_days
    appeal.extension_days = None
    if not body.approve:
        return {"action": "deny-extension", "data": {"days": days, "approved": False}}
    cal = get_calendar(session)
    base = appeal.resolve_due_at or at
    appeal.resolve_due_at = cal.add_working_days(max(base, at), days)
    set_step(session, appeal, at, appeal.resolve_due_at)
    return {"data": {"days": days, "approved": True, "resolve_due_at": _iso(appeal.resolve_due_at)}}


def _photos_of(session: Session, appeal: Appeal, ids: list[int]) -> list[int]:
    if not ids:
        return []
    found = set(session.scalars(select(AppealPhoto.id).where(AppealPhoto.appeal_id == appeal.id,
                                                              AppealPhoto.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed("照片不属于该诉求", code="unknown_photo", details={"photo_ids": missing})
    return ids


def _resolve(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
             _k: frozenset[str], _p: Principal) -> Result:
    _require(body.reply, "reply", "办结须填写答复意见（reply）")
    open_parts = [p for p in repo.parts(session, appeal) if p.status != "done"]
    if open_parts:
        names = [session.get(Department, p.department_id).name for p in open_parts]  # type: ignore[union-attr]
        raise Conflict(f"还有 {len(open_parts)} 个报到部门未报告办理情况：{'、'.join(names)}", code="parts_open",
                       details={"departments": names})
    photos = _photos_of(session, appeal, body.photo_ids)
    appeal.status = Status.RESOLVED.value
    appeal.reply = body.reply
    appeal.resolved_at = at
    appeal.paused_at = None
    on_time = appeal.resolve_due_at is None or at <= appeal.resolve_due_at
    set_step(session, appeal, at, get_calendar(session).add_working_hours(at, get_settings().verify_hours))
    return {"note": body.reply, "data": {"photos": photos, "on_time": on_time}}


def _report(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], principal: Principal) -> Result:
    _require(body.report, "report", "请填写本部门办理情况（report）")
    part = next((p for p in repo.parts(session, appeal) if p.department_id == principal.department_id
                 and p.status != "done"), None)
    if part is None and principal.sees_all:
        part = next((p for p in repo.parts(session, appeal) if p.status != "done"), None)
    if part is None:
        raise Conflict("没有待报告的部门任务", code="no_open_part")
    part.status, part.report, part.done_at = "done", body.report, at
    dep = session.get(Department, part.department_id)
    left = sum(1 for p in repo.parts(session, appeal) if p.status != "done")
    return {"note": body.report, "data": {"department": dep.name if dep else "", "parts_left": left,
                                          "on_time": at <= part.due_at}}


def _reopen_to_handler(session: Session, appeal: Appeal, at: dt.datetime) -> None:
    appeal.status = Status.IN_PROGRESS.value
    appeal.reopen_count += 1
    appeal.resolved_at = appeal.verified_at = None
    set_step(session, appeal, at, get_calendar(session).add_working_days(at, _resolve_days(session, appeal)))


def _verify(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    _require(body.passed, "passed", "请填写核查结论（passed: true/false）")
    photos = _photos_of(session, appeal, body.photo_ids)
    if body.passed:
        appeal.status = Status.VERIFIED.value
        appeal.verified_at = at
        set_step(session, appeal, at, None)
        _award_reporter(session, appeal)
        return {"data": {"passed": True, "photos": photos}}
    _require(body.note, "note", "核查未通过须说明问题")
    _reopen_to_handler(session, appeal, at)
    return {"action": "verify-failed", "data": {"passed": False, "photos": photos}}


def _award_reporter(session: Session, appeal: Appeal) -> None:
    """A report verified on site earns its reporter points (gongzhi.points, rule report_verified)."""
    community = _region_at(session, appeal, "community")
    if appeal.reporter_id is not None and community is not None:
        from gongzhi.points.service import award

        award(session, community_id=community.id, user_id=appeal.reporter_id, rule="report_verified",
              ref=f"appeal:{appeal.id}")


def _reopen(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    _require(body.reason, "reason", "重新办理须说明理由")
    _reopen_to_handler(session, appeal, at)
    return {"note": body.reason}


def _rate(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
          _k: frozenset[str], _p: Principal) -> Result:
    _require(body.rating, "rating", "请打分（rating：1–5）")
    assert body.rating is not None
    appeal.rating = body.rating
    if body.rating <= 2 and not appeal.review_reopened:  # unsatisfied: reviewed once more by the handler
        appeal.review_reopened = True
        _reopen_to_handler(session, appeal, at)
        return {"action": "rate-unsatisfied", "note": body.comment,
                "data": {"rating": body.rating, "reopened": True}}
    appeal.status = Status.RATED.value
    return {"note": body.comment, "data": {"rating": body.rating}}


def _close(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
           _k: frozenset[str], _p: Principal) -> Result:
    if appeal.status == Status.VERIFIED and appeal.reporter_id is not None and not appeal.anonymous \
            and not body.note:
        raise ValidationFailed("报告人尚未评价；未评价结案须说明原因（note）", code="missing_field",
                               details={"field": "note"})
    appeal.status = Status.CLOSED.value
    appeal.closed_at = at
    appeal.close_reason = "unsatisfied" if appeal.rating is not None and appeal.rating <= 2 else "resolved"
    set_step(session, appeal, at, None)
    return {"data": {"close_reason": appeal.close_reason}}


def escalate_one_tier(session: Session, appeal: Appeal, at: dt.datetime) -> dict[str, Any]:
    """分级化解 — move the appeal to the tier above and start a new acceptance step; flag it for supervision
    (the rules: `Routing.escalation`, which the deadline sweep applies to whole batches)."""
    values, data = Routing(session).escalation(scope_path=appeal.scope_path, matter_type_id=appeal.matter_type_id,
                                               tier=appeal.tier, at=at)
    for name, value in values.items():
        setattr(appeal, name, value)
    if data["moved"]:
        appeal.escalation_level += 1
        appeal.next_check_at = appeal.warn_at if appeal.paused_at is None else None
    return data


def _escalate(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
              _k: frozenset[str], _p: Principal) -> Result:
    _require(body.reason, "reason", "上提须说明理由")
    if appeal.tier == "department":
        raise Conflict("已在部门一级，无法再上提；可督办", code="top_tier")
    if appeal.tier is None:
        raise Conflict("尚未确定办理层级，请先立案派单", code="no_tier")
    return {"note": body.reason, "data": escalate_one_tier(session, appeal, at)}


def _supervise(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
               _k: frozenset[str], _p: Principal) -> Result:
    _require(body.note, "note", "督办须填写督办意见")
    appeal.supervised = True
    return {}


def _summon(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
            _k: frozenset[str], _p: Principal) -> Result:
    _require(body.department_codes, "department_codes", "请选择要吹哨的部门（department_codes）")
    codes = list(dict.fromkeys(body.department_codes))
    deps = {d.code: d for d in session.scalars(select(Department).where(Department.code.in_(codes)))}
    missing = [c for c in codes if c not in deps or not deps[c].is_active]
    if missing:
        raise ValidationFailed(f"部门编码不存在：{'、'.join(missing)}", code="unknown_department",
                               details={"department_codes": missing})
    existing = {p.department_id for p in repo.parts(session, appeal)}
    cal = get_calendar(session)
    days = body.days or _resolve_days(session, appeal)
    due = cal.add_working_days(at, days)
    added = []
    for c in codes:
        if deps[c].id in existing:
            continue
        session.add(AppealPart(appeal_id=appeal.id, department_id=deps[c].id, task=body.task, status="open",
                               due_at=due, created_at=at))
        added.append(deps[c].name)
    if not added:
        raise Conflict("这些部门都已报到", code="already_summoned")
    street = _region_at(session, appeal, "street")
    _assign(appeal, "street", street, None)  # the street leads and the departments report to it
    appeal.status = Status.IN_PROGRESS.value
    appeal.accepted_at = appeal.accepted_at or at
    if appeal.resolve_due_at is None or appeal.resolve_due_at < due:
        appeal.resolve_due_at = due
    set_step(session, appeal, at, appeal.resolve_due_at)
    return {"note": body.task, "data": {"departments": added, "part_due_at": _iso(due)}}


def _metoo(session: Session, appeal: Appeal, actor: Actor, body: ActionBody, at: dt.datetime,
           _k: frozenset[str], principal: Principal) -> Result:
    if appeal.reporter_id == principal.user_id:
        raise Conflict("这是您自己反映的诉求", code="own_appeal")
    if repo.is_following(session, appeal, principal.user_id) is not None:
        raise Conflict("您已关注该诉求", code="already_following")
    session.add(AppealFollower(appeal_id=appeal.id, user_id=principal.user_id, reason="metoo", created_at=at))
    appeal.metoo_count += 1
    return {"data": {"metoo_count": appeal.metoo_count}}


_HANDLERS = {
    "register": _register, "reject": _reject, "merge": _merge, "dispatch": _dispatch, "accept": _accept,
    "return": _return, "start": _start, "pause": _pause, "resume": _resume, "extend": _extend,
    "approve-extension": _approve_extension, "resolve": _resolve, "report": _report, "verify": _verify,
    "reopen": _reopen, "rate": _rate, "close": _close, "escalate": _escalate, "supervise": _supervise,
    "summon": _summon, "metoo": _metoo,
}
assert set(_HANDLERS) == set(flow.ACTIONS), "every action has exactly one handler"


def add_photos(session: Session, principal: Principal, appeal_id: int, stored: list[StoredPhoto],
               kind: str) -> list[AppealPhoto]:
    """Attach evidence or report photos; reporters, handlers and verifiers of the appeal may."""
    appeal = get_appeal(session, principal, appeal_id)
    kinds = actor_kinds(session, principal, appeal)
    if not kinds & {flow.HANDLER, flow.VERIFIER, flow.REPORTER, flow.PART, flow.DISPATCHER}:
        raise Forbidden("您不能为该诉求上传照片")
    if Status(appeal.status) in flow.FINAL:
        raise flow.InvalidTransition("诉求已结束，不能再上传照片")
    count = session.scalar(select(func.count()).where(AppealPhoto.appeal_id == appeal.id)) or 0
    if count + len(stored) > get_settings().photos_max * 3:
        raise ValidationFailed("照片数量超出上限", code="too_many_photos")
    rows = [AppealPhoto(appeal_id=appeal.id, kind=kind, content_type=p.content_type, path=p.path,
                        thumb_path=p.thumb_path, width=p.width, height=p.height, size=p.size) for p in stored]
    session.add_all(rows)
    session.flush()
    return rows


# ---- notifications --------------------------------------------------------------------------------------

TELL_HANDLER = {"dispatch", "escalate", "supervise", "verify-failed", "reopen", "rate-unsatisfied", "return",
                "approve-extension", "deny-extension", "summon", "report", "resume", "auto-escalate", "warn",
                "overdue"}
TELL_REPORTER = {"register", "reject", "merge", "accept", "resolve", "verify", "close", "verify-failed",
                 "reopen", "summon", "rate-unsatisfied"}


def _tell(session: Session, appeal: Appeal, ev: AppealEvent, result: Result) -> None:
    """Tell the reporter and followers what moved, and the (new) handler what to do — in this transaction;
    SMS to a reporter without an account goes through the outbox after commit."""
    label = flow.ACTIONS[ev.action].label if ev.action in flow.ACTIONS else ev.action
    title = f"诉求 #{appeal.id}「{appeal.title[:20]}」：{label}"
    link = f"/appeals/{appeal.id}"
    body = ev.note or flow.STATUS_LABELS[Status(appeal.status)]
    users: set[int] = set()
    if ev.action in TELL_REPORTER:
        users.update(repo.followers(session, [appeal.id]))
        if ev.action == "merge" and appeal.parent_id:
            link = f"/appeals/{appeal.parent_id}"
        if appeal.reporter_id is None and appeal.phone_enc is not None and \
                ev.action in ("register", "resolve", "close", "reject"):
            notify.enqueue(session, "sms", crypto.decrypt(appeal.phone_enc), f"【共治】{title}。{body[:60]}",
                           dedupe_key=f"appeal:{appeal.id}:{ev.seq}")
    if ev.action in TELL_HANDLER:
        users.update(handler_user_ids(session, appeal))
    if ev.action == "summon":
        deps = [p.department_id for p in repo.parts(session, appeal)]
        from gongzhi.accounts.models import User

        users.update(session.scalars(select(User.id).where(User.department_id.in_(deps))))
    if ev.action == "report":
        users.update(handler_user_ids(session, appeal))
    if ev.action in ("resolve",):
        users.update(_verifier_user_ids(session, appeal))
    if ev.actor_id is not None:
        users.discard(ev.actor_id)
    if users:
        notify.notify(session, users, title=title, body=body, link=link, kind="appeal", appeal_id=appeal.id)
    if appeal.parent_id is None:
        merged = [c for c in repo.children(session, appeal) if c.reporter_id]
        if merged and ev.action in TELL_REPORTER:
            notify.notify(session, {c.reporter_id for c in merged if c.reporter_id and c.reporter_id not in users},
                          title=title, body=body, link=link, kind="appeal", appeal_id=appeal.id)


def _verifier_user_ids(session: Session, appeal: Appeal) -> list[int]:
    from gongzhi.accounts.models import User

    if appeal.grid_id is None:
        return _dispatcher_user_ids(session, appeal)
    return list(session.scalars(select(User.id).where(User.is_active.is_(True), User.role == "grid_worker",
                                                      User.scope_region_id == appeal.grid_id).limit(20)))


def system_event(session: Session, appeal: Appeal, action: str, *, note: str, data: dict[str, Any],
                 before: str, at: dt.datetime) -> AppealEvent:
    """A move made by the deadline sweep (warning, overdue, automatic escalation), with its notifications."""
    ev = _event(session, appeal, SYSTEM_ACTOR, action, before, appeal.status, note=note, data=data, at=at)
    appeal.updated_at = at
    users = set(handler_user_ids(session, appeal))
    if action in ("overdue", "auto-escalate"):
        users.update(_dispatcher_user_ids(session, appeal))
    if users:
        notify.notify(session, users, title=f"诉求 #{appeal.id}「{appeal.title[:20]}」：{note}",
                      body=note, link=f"/appeals/{appeal.id}", kind="deadline", appeal_id=appeal.id)
    return ev


# ---- reading --------------------------------------------------------------------------------------------

def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def handler_label(session: Session, appeal: Appeal) -> str:
    return Routing(session).label(appeal.tier, appeal.assigned_region_id, appeal.assigned_department_id)


def is_staff(principal: Principal) -> bool:
    return principal.role in repo.STAFF_ROLES or principal.role == "department_handler"


def to_dict(session: Session, principal: Principal, appeal: Appeal, *, full: bool = True) -> dict[str, Any]:
    """The appeal as the API shows it to `principal`: the reporter's identity only to staff (never for an
    anonymous appeal) and to the reporter; phone numbers masked."""
    mt = _matter(session, appeal)
    shows_reporter = appeal.reporter_id == principal.user_id or (is_staff(principal) and not appeal.anonymous)
    d: dict[str, Any] = {
        "id": appeal.id, "version": appeal.version, "title": appeal.title, "description": appeal.description,
        "channel": appeal.channel, "external_id": appeal.external_id, "status": appeal.status,
        "status_label": str(flow.STATUS_LABELS[Status(appeal.status)]), "priority": appeal.priority,
        "lat": appeal.lat, "lon": appeal.lon, "address": appeal.address, "grid_id": appeal.grid_id,
        "scope_path": appeal.scope_path, "matter_code": mt.code if mt else None, "matter_name": mt.name if mt else None,
        "tier": appeal.tier, "handler": handler_label(session, appeal),
        "assigned_department_id": appeal.assigned_department_id, "assigned_region_id": appeal.assigned_region_id,
        "escalation_level": appeal.escalation_level, "supervised": appeal.supervised, "parent_id": appeal.parent_id,
        "metoo_count": appeal.metoo_count, "reopen_count": appeal.reopen_count, "rating": appeal.rating,
        "reply": appeal.reply, "close_reason": appeal.close_reason, "anonymous": appeal.anonymous,
        "due_at": _iso(appeal.due_at), "warn_at": _iso(appeal.warn_at), "resolve_due_at": _iso(appeal.resolve_due_at),
        "warned": appeal.warned, "overdue": appeal.overdue, "ever_overdue": appeal.ever_overdue,
        "paused": appeal.paused_at is not None, "extension_days": appeal.extension_days,
        "created_at": _iso(appeal.created_at), "updated_at": _iso(appeal.updated_at),
        "registered_at": _iso(appeal.registered_at), "dispatched_at": _iso(appeal.dispatched_at),
        "accepted_at": _iso(appeal.accepted_at), "resolved_at": _iso(appeal.resolved_at),
        "verified_at": _iso(appeal.verified_at), "closed_at": _iso(appeal.closed_at),
        "reporter": ({"name": appeal.reporter_name, "phone": appeal.phone_masked, "user_id": appeal.reporter_id}
                     if shows_reporter else None),
    }
    if full:
        kinds = actor_kinds(session, principal, appeal)
        d["actions"] = [a.name for a in flow.available(appeal, kinds)]
        d["photos"] = [{"id": p.id, "kind": p.kind, "url": f"/api/v1/appeals/{appeal.id}/photos/{p.id}",
                        "thumb_url": f"/api/v1/appeals/{appeal.id}/photos/{p.id}?thumb=1", "width": p.width,
                        "height": p.height} for p in repo.photos(session, appeal)]
        d["parts"] = [{"department": (session.get(Department, p.department_id) or Department(name="")).name,
                       "department_id": p.department_id, "task": p.task, "status": p.status,
                       "due_at": _iso(p.due_at), "report": p.report, "done_at": _iso(p.done_at)}
                      for p in repo.parts(session, appeal)]
        d["following"] = flow.FOLLOWER in kinds
        if appeal.parent_id is not None:  # a merged duplicate follows its parent to the end
            parent = session.get(Appeal, appeal.parent_id)
            if parent is not None:
                d["parent"] = {"id": parent.id, "title": parent.title, "status": parent.status,
                               "status_label": str(flow.STATUS_LABELS[Status(parent.status)]),
                               "reply": parent.reply, "closed_at": _iso(parent.closed_at)}
    return d


def event_dict(ev: AppealEvent) -> dict[str, Any]:
    label = flow.ACTIONS[ev.action].label if ev.action in flow.ACTIONS else EVENT_LABELS.get(ev.action, ev.action)
    return {"seq": ev.seq, "at": ev.at.isoformat(), "actor_name": ev.actor_name, "actor_role": ev.actor_role,
            "action": ev.action, "action_label": str(label), "from_status": ev.from_status,
            "to_status": ev.to_status, "note": ev.note, "data": ev.data}


EVENT_LABELS = {"receive": N_("受理"), "absorb": N_("合并重复诉求"), "verify-failed": N_("核查未通过"),
                "rate-unsatisfied": N_("不满意，复核"), "deny-extension": N_("不同意延期"), "warn": N_("即将超时"),
                "overdue": N_("已超时"), "auto-escalate": N_("超时自动上提")}


# ---- lists ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AppealFilters:
    status: tuple[str, ...] = ()
    channel: str | None = None
    tier: str | None = None
    matter_code: str | None = None
    region_code: str | None = None
    department_id: int | None = None
    overdue: bool | None = None
    warned: bool | None = None
    supervised: bool | None = None
    mine: bool = False  # reported or followed by me
    assigned_to_me: bool = False  # what I (or my department) must act on
    to_verify: bool = False
    q: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None


def list_statement(session: Session, principal: Principal, f: AppealFilters) -> Any:
    stmt = repo.readable(principal)
    if f.status:
        bad = [s for s in f.status if s not in {st.value for st in Status}]
        if bad:
            raise ValidationFailed(f"状态无效：{'、'.join(bad)}", details={"status": bad})
        stmt = stmt.where(Appeal.status.in_(f.status))
    if f.channel:
        stmt = stmt.where(Appeal.channel == f.channel)
    if f.tier:
        stmt = stmt.where(Appeal.tier == f.tier)
    if f.matter_code:
        mt = session.scalars(select(MatterType).where(MatterType.code == f.matter_code)).first()
        stmt = stmt.where(Appeal.matter_type_id == (mt.id if mt else -1))
    if f.region_code:
        region = regions_repo.get_by_code_unscoped(session, f.region_code)
        if region is None:
            raise ValidationFailed(f"区域代码 {f.region_code} 不存在", details={"region_code": f.region_code})
        from gongzhi.core.db import prefix_range

        stmt = stmt.where(prefix_range(Appeal.scope_path, region.path))
    if f.department_id is not None:
        stmt = stmt.where(Appeal.assigned_department_id == f.department_id)
    for col, val in ((Appeal.overdue, f.overdue), (Appeal.warned, f.warned), (Appeal.supervised, f.supervised)):
        if val is not None:
            stmt = stmt.where(col.is_(val))
    if f.mine:
        stmt = stmt.where((Appeal.reporter_id == principal.user_id) | repo._followed_by(principal.user_id))
    if f.assigned_to_me:
        stmt = stmt.where(assigned_clause(session, principal))
    if f.to_verify:
        stmt = stmt.where(Appeal.status == Status.RESOLVED.value)
    if f.q:
        like = f"%{f.q}%"
        if f.q.isdigit():
            stmt = stmt.where((Appeal.id == int(f.q)) | Appeal.title.like(like))
        else:
            stmt = stmt.where(Appeal.title.like(like) | Appeal.address.like(like) | Appeal.description.like(like))
    if f.created_from:
        stmt = stmt.where(Appeal.created_at >= f.created_from)
    if f.created_to:
        stmt = stmt.where(Appeal.created_at < f.created_to)
    return stmt


def assigned_clause(session: Session, principal: Principal) -> Any:
    """Appeals waiting on `principal` as their handler (or as a summoned department)."""
    from sqlalchemy import exists, false

    handling = Appeal.status.in_([s.value for s in flow.HANDLING])
    if principal.role == "department_handler":
        if principal.department_id is None:
            return false()
        part = exists().where(AppealPart.appeal_id == Appeal.id, AppealPart.department_id == principal.department_id,
                              AppealPart.status != "done")
        return (handling & (Appeal.tier == "department") &
                (Appeal.assigned_department_id == principal.department_id)) | part
    tier = {v: k for k, v in flow.TIER_ROLE.items()}.get(principal.role)
    if tier is None:
        return false() if not principal.sees_all else handling
    region_ids = select(Region.id).where(principal.scope_clause(Region.path)) if not principal.sees_all else None
    clause = handling & (Appeal.tier == tier)
    return clause & Appeal.assigned_region_id.in_(region_ids) if region_ids is not None else clause


def list_appeals(session: Session, principal: Principal, f: AppealFilters, *, page: int, size: int,
                 order: str = "-created_at") -> tuple[list[Appeal], int]:
    stmt = list_statement(session, principal, f)
    total = repo.count(session, stmt)
    col = {"created_at": Appeal.created_at, "due_at": Appeal.due_at, "id": Appeal.id,
           "updated_at": Appeal.updated_at}.get(order.lstrip("-"))
    if col is None:
        raise ValidationFailed("排序字段无效", details={"order": order})
    ordering = (col.desc() if order.startswith("-") else col.asc()).nulls_last()  # both databases alike
    rows = list(session.scalars(stmt.order_by(ordering, Appeal.id.desc()).offset((page - 1) * size).limit(size)))
    return rows, total


def queue_counts(session: Session, principal: Principal) -> dict[str, int]:
    """Counts for the dispatch console's queues, in one query per queue over the readable set."""
    base = repo.readable(principal).with_only_columns(func.count())
    out: dict[str, int] = {}
    for st in (Status.RECEIVED, Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS,
               Status.RESOLVED, Status.VERIFIED, Status.RATED):
        out[st.value] = int(session.scalar(base.where(Appeal.status == st.value)) or 0)
    open_states = [s.value for s in flow.OPEN]
    out["overdue"] = int(session.scalar(base.where(Appeal.status.in_(open_states), Appeal.overdue.is_(True))) or 0)
    out["warned"] = int(session.scalar(base.where(Appeal.status.in_(open_states), Appeal.warned.is_(True),
                                                  Appeal.overdue.is_(False))) or 0)
    out["supervised"] = int(session.scalar(base.where(Appeal.status.in_(open_states),
                                                      Appeal.supervised.is_(True))) or 0)
    return out


def bulk_dispatch(session: Session, principal: Principal, ids: list[int], body: ActionBody) -> dict[str, Any]:
    """Dispatch many registered appeals to their routed handlers (or one chosen target). Each is its own
    savepoint: one that cannot be dispatched is reported and the rest go through."""
    done, failed = [], []
    for appeal_id in dict.fromkeys(ids):
        try:
            with session.begin_nested():
                act(session, principal, appeal_id, "dispatch", body.model_copy(update={"version": None}))
            done.append(appeal_id)
        except AppError as exc:
            failed.append({"id": appeal_id, "code": exc.code, "message": exc.message})
    return {"dispatched": done, "failed": failed}
