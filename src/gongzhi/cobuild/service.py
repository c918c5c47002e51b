"""The co-building rules (docs/cobuild.md): the big Party committee (members, agreements, part-time members, the
rotating chair, joint meetings), needs and resources with ranked suggestions and a whole-community assignment,
two-way claims that become projects, and micro-wishes with a claim limit. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.cobuild import matching
from gongzhi.cobuild import repository as repo
from gongzhi.cobuild.models import (
    MEETING_STATUSES,
    NEED_TYPES,
    PROVIDER_KINDS,
    URGENCIES,
    WISH_KINDS,
    ChairTerm,
    Claim,
    CommitteeMembership,
    CommitteeOfficer,
    Meeting,
    MeetingAttendance,
    Need,
    Project,
    ProjectStep,
    Resource,
    Wish,
    WishEvent,
)
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.forms import Errors
from gongzhi.core.forms import text as _text
from gongzhi.core.settings import get_settings
from gongzhi.orgs.models import Unit
from gongzhi.regions.models import Region

SHANGHAI = ZoneInfo("Asia/Shanghai")
READ, MANAGE = "cobuild:read", "cobuild:manage"
SLOTS = 6  # 双月轮值: six units a year, two months each
SERVING_ROLES = repo.SERVING_ROLES


def today() -> dt.date:
    return now().astimezone(SHANGHAI).date()


def slot_of(day: dt.date) -> int:
    """The two-month slot a day falls in: January–February is 1 … November–December is 6."""
    return (day.month + 1) // 2


def slot_months(slot: int) -> tuple[int, int]:
    return 2 * slot - 1, 2 * slot


# ---- points (gongzhi.points) -------------------------------------------------------------------------------

def _award(session: Session, *, community: Region | None, user_id: int | None, rule: str, ref: str,
           note: str = "") -> None:
    """Ask the points ledger to post `rule` to `user_id` (idempotent on rule+ref+user)."""
    if user_id is None or community is None:
        return
    from gongzhi.points.service import award

    award(session, community_id=community.id, user_id=user_id, rule=rule, ref=ref, note=note)


# ---- input ------------------------------------------------------------------------------------------------

def _int(raw: Mapping[str, Any], name: str, errors: Errors, label: str, *, default: int | None = None,
         low: int = 0, high: int = 1_000_000) -> int | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        if default is None:
            errors.add(name, f"请填写{label}")
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(name, f"{label}应为整数")
        return default
    if not low <= number <= high:
        errors.add(name, f"{label}应在{low}到{high}之间")
        return default
    return number


def _date(raw: Mapping[str, Any], name: str, errors: Errors, label: str, *, required: bool = False) -> dt.date | None:
    value = raw.get(name)
    if isinstance(value, dt.date):
        return value
    if value is None or str(value).strip() == "":
        if required:
            errors.add(name, f"请填写{label}")
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(name, f"{label}应为日期，如 2026-12-01")
        return None


def _datetime(raw: Mapping[str, Any], name: str, errors: Errors, label: str) -> dt.datetime | None:
    value = raw.get(name)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if value is None or str(value).strip() == "":
        errors.add(name, f"请填写{label}")
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(name, f"{label}应为日期时间，如 2026-12-01 09:30")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)  # typed in Beijing time


def _float(raw: Mapping[str, Any], name: str, errors: Errors, label: str, low: float, high: float) -> float | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        errors.add(name, f"{label}应为数字")
        return None
    if not low <= number <= high:
        errors.add(name, f"{label}超出范围")
        return None
    return number


def _choice(raw: Mapping[str, Any], name: str, errors: Errors, label: str, choices: Any,
            default: str | None = None) -> str:
    value = str(raw.get(name) or default or "").strip()
    if value not in choices:
        errors.add(name, f"请选择{label}（可选：{'、'.join(str(c) for c in choices)}）")
    return value


def _lines(value: Any, limit: int = 20) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).splitlines()
    return [str(v).strip()[:200] for v in items if str(v).strip()][:limit]


def _tags(value: Any) -> str:
    return ",".join(sorted(matching.split_tags(value if value is None or isinstance(value, str) else list(value))))


# ---- places -----------------------------------------------------------------------------------------------

def _need(principal: Principal, permission: str, message: str = "您的角色无权进行此操作") -> None:
    if not principal.can(permission):
        raise Forbidden(message)


def committee_region(session: Session, principal: Principal, code: str, *, to: str = "read") -> Region:
    """A community's 大党委 or a street's 大工委 the actor may open (`to="manage"`: change), or 404/403."""
    region = repo.region_by_code(session, code)
    if region is None or region.level not in ("community", "street"):
        raise NotFound("没有这个社区或街道")
    if to == "manage":
        _need(principal, MANAGE, "只有社区、街道工作人员可以管理大党委")
    elif not principal.can(READ) and not repo.is_unit_handler(principal):
        raise Forbidden()
    if not principal.covers(region.path):
        raise NotFound()
    return region


def _place(session: Session, principal: Principal, code: str | None, errors: Errors) -> Region | None:
    """Where a new need or resource lies: a region code inside the actor's scope, or their own scope node."""
    if not code:
        region = session.get(Region, principal.scope_region_id)
    else:
        region = repo.region_by_code(session, str(code).strip())
        if region is None or not principal.covers(region.path):
            errors.add("region_code", "所在区域不存在或不在您的范围内")
            return None
    if region is not None and region.level not in ("community", "compound", "grid"):
        errors.add("region_code", "请选择社区、小区或网格")
        return None
    return region


# ---- member units and agreements --------------------------------------------------------------------------

def add_member(session: Session, principal: Principal, region: Region, raw: Mapping[str, Any]) -> CommitteeMembership:
    """A unit in the area joins the committee with its co-building agreement (共驻共建协议)."""
    _need(principal, MANAGE)
    errors = Errors()
    unit_id = _int(raw, "unit_id", errors, "成员单位", low=1)
    signed_on = _date(raw, "signed_on", errors, "签约日期", required=True)
    term_end = _date(raw, "term_end", errors, "协议到期日")
    terms = _text(raw, "terms", errors, "协议内容", limit=4000)
    pledged = _text(raw, "pledged", errors, "承诺资源", limit=2000)
    unit = session.get(Unit, unit_id) if unit_id else None
    if unit_id and (unit is None or not unit.scope_path.startswith(region.path)):
        errors.add("unit_id", "该单位不在本辖区内")
    if signed_on and term_end and term_end < signed_on:
        errors.add("term_end", "协议到期日不能早于签约日期")
    errors.raise_if_any()
    assert unit is not None
    assert signed_on is not None
    if repo.membership_of_unit(session, region, unit.id) is not None:
        raise Conflict(f"{unit.name}已是成员单位", code="already_member")
    row = CommitteeMembership(region_id=region.id, scope_path=region.path, unit_id=unit.id, signed_on=signed_on,
                              term_end=term_end, terms=terms, pledged=pledged, is_active=True)
    unit.is_member_unit = True
    session.add(row)
    session.flush()
    return row


def update_member(session: Session, principal: Principal, region: Region, membership_id: int,
                  raw: Mapping[str, Any]) -> CommitteeMembership:
    _need(principal, MANAGE)
    row = repo.membership(session, region, membership_id)
    if row is None:
        raise NotFound()
    errors = Errors()
    if "terms" in raw:
        row.terms = _text(raw, "terms", errors, "协议内容", limit=4000)
    if "pledged" in raw:
        row.pledged = _text(raw, "pledged", errors, "承诺资源", limit=2000)
    if "term_end" in raw:
        row.term_end = _date(raw, "term_end", errors, "协议到期日")
        if row.term_end and row.term_end < row.signed_on:
            errors.add("term_end", "协议到期日不能早于签约日期")
    if "is_active" in raw:
        row.is_active = bool(raw["is_active"])
    errors.raise_if_any()
    session.flush()
    return row


def add_officer(session: Session, principal: Principal, region: Region, membership_id: int,
                raw: Mapping[str, Any]) -> CommitteeOfficer:
    """兼职委员: a person of a member unit on the committee, with post and term."""
    _need(principal, MANAGE)
    membership = repo.membership(session, region, membership_id)
    if membership is None:
        raise NotFound()
    errors = Errors()
    name = _text(raw, "name", errors, "姓名", required=True, limit=40)
    post = _text(raw, "post", errors, "职务", limit=60) or "兼职委员"
    start = _date(raw, "term_start", errors, "任期开始")
    end = _date(raw, "term_end", errors, "任期结束")
    if start and end and end < start:
        errors.add("term_end", "任期结束不能早于开始")
    errors.raise_if_any()
    row = CommitteeOfficer(membership_id=membership.id, name=name, post=post, term_start=start, term_end=end)
    session.add(row)
    session.flush()
    return row


# ---- the rotating chair (双月轮值) ---------------------------------------------------------------------------

def generate_rotation(session: Session, principal: Principal, region: Region, year: int) -> list[ChairTerm]:
    """Choose six active member units for `year`, those that chaired least recently first (never before comes
    first; then the longest-standing member), and give each two months in that order."""
    _need(principal, MANAGE)
    if not 2000 <= year <= 2100:
        raise ValidationFailed("年份无效", details=[{"field": "year", "reason": "年份应在2000到2100之间"}])
    if repo.chair_terms(session, region, year):
        raise Conflict(f"{year}年的轮值表已生成，可调换或替换单位", code="rotation_exists")
    members = repo.memberships(session, region)
    if len(members) < SLOTS:
        raise Conflict(f"成员单位不足{SLOTS}家（现有{len(members)}家），无法排出双月轮值", code="too_few_members")
    last = repo.last_chaired(session, region, year)
    members.sort(key=lambda m: (last.get(m.unit_id, 0), m.signed_on, m.unit_id))
    rows = [ChairTerm(region_id=region.id, scope_path=region.path, year=year, slot=i + 1, unit_id=m.unit_id)
            for i, m in enumerate(members[:SLOTS])]
    session.add_all(rows)
    session.flush()
    return rows


def edit_rotation(session: Session, principal: Principal, region: Region, year: int,
                  raw: Mapping[str, Any]) -> list[ChairTerm]:
    """Swap two slots (`swap`: [a, b]) or put another member unit in a slot (`slot`, `unit_id`)."""
    _need(principal, MANAGE)
    terms = {t.slot: t for t in repo.chair_terms(session, region, year)}
    if not terms:
        raise NotFound(f"{year}年还没有轮值表")
    swap = raw.get("swap")
    if swap:
        try:
            a, b = (int(x) for x in swap)
        except (TypeError, ValueError):
            raise ValidationFailed("调换需给出两个时段序号",
                                   details=[{"field": "swap", "reason": "应为两个1–6的序号"}]) from None
        if a not in terms or b not in terms or a == b:
            raise ValidationFailed("时段序号无效", details=[{"field": "swap", "reason": "应为两个不同的1–6的序号"}])
        terms[a].unit_id, terms[b].unit_id = terms[b].unit_id, terms[a].unit_id
        session.flush()
        return [terms[s] for s in sorted(terms)]
    errors = Errors()
    slot = _int(raw, "slot", errors, "时段", low=1, high=SLOTS)
    unit_id = _int(raw, "unit_id", errors, "成员单位", low=1)
    errors.raise_if_any()
    assert slot is not None
    assert unit_id is not None
    member = repo.membership_of_unit(session, region, unit_id)
    if member is None or not member.is_active:
        raise ValidationFailed("只能安排本大党委的在册成员单位",
                               details=[{"field": "unit_id", "reason": "不是成员单位"}])
    if any(t.unit_id == unit_id and s != slot for s, t in terms.items()):
        raise Conflict("该单位本年度已安排轮值，可改用调换", code="already_chairs")
    terms[slot].unit_id = unit_id
    session.flush()
    return [terms[s] for s in sorted(terms)]


def current_chair(session: Session, region: Region, day: dt.date | None = None) -> ChairTerm | None:
    day = day or today()
    return next((t for t in repo.chair_terms(session, region, day.year) if t.slot == slot_of(day)), None)


def rotation_dicts(session: Session, region: Region, year: int) -> list[dict[str, Any]]:
    terms = repo.chair_terms(session, region, year)
    units = repo.units_by_id(session, [t.unit_id for t in terms])
    day = today()
    return [{"slot": t.slot, "months": slot_months(t.slot), "unit_id": t.unit_id,
             "unit_name": units[t.unit_id].name if t.unit_id in units else "",
             "current": day.year == year and slot_of(day) == t.slot} for t in terms]


# ---- joint meetings (联席会议) -------------------------------------------------------------------------------

def _may_run_meeting(session: Session, principal: Principal, region: Region, day: dt.date) -> int | None:
    """Staff may convene any meeting; a unit's handler only while their unit chairs. Returns the chair unit."""
    chair = current_chair(session, region, day)
    if principal.can(MANAGE):
        return chair.unit_id if chair else None
    if repo.is_unit_handler(principal) and chair is not None and chair.unit_id == principal.unit_id:
        return chair.unit_id
    raise Forbidden("只有轮值主席单位或社区工作人员可以召集联席会议")


def convene_meeting(session: Session, principal: Principal, region: Region, raw: Mapping[str, Any]) -> Meeting:
    errors = Errors()
    title = _text(raw, "title", errors, "会议名称", limit=120)
    held_at = _datetime(raw, "held_at", errors, "会议时间")
    place = _text(raw, "place", errors, "地点", limit=120)
    agenda = _lines(raw.get("agenda"))
    if not agenda:
        errors.add("agenda", "请至少列出一项议程")
    errors.raise_if_any()
    assert held_at is not None
    chair_unit_id = _may_run_meeting(session, principal, region, held_at.astimezone(SHANGHAI).date())
    row = Meeting(region_id=region.id, scope_path=region.path, title=title or f"{region.name}联席会议",
                  held_at=held_at, place=place, agenda=agenda, chair_unit_id=chair_unit_id, status="planned",
                  convened_by_id=principal.user_id, minutes="", decisions=[])
    session.add(row)
    session.flush()
    return row


def get_meeting(session: Session, principal: Principal, meeting_id: int) -> Meeting:
    if not principal.can(READ) and not repo.is_unit_handler(principal):
        raise Forbidden()
    row = repo.meeting(session, meeting_id)
    if row is None or not principal.covers(row.scope_path):
        raise NotFound()
    return row


def _meeting_editor(principal: Principal, meeting: Meeting) -> None:
    if principal.can(MANAGE):
        return
    if repo.is_unit_handler(principal) and meeting.chair_unit_id == principal.unit_id:
        return
    raise Forbidden("只有轮值主席单位或社区工作人员可以记录会议")


def record_attendance(session: Session, principal: Principal, meeting: Meeting,
                      raw: Mapping[str, Any]) -> list[MeetingAttendance]:
    """Who came: member units (by id) and people (by account name, or a name only). Each attending account earns
    `meeting_attended` points once per meeting."""
    _meeting_editor(principal, meeting)
    region = session.get(Region, meeting.region_id)
    assert region is not None
    members = {m.unit_id for m in repo.memberships(session, region, active=None)}
    have = {a.name for a in repo.attendance(session, meeting)}
    added, errors = [], Errors()
    units = repo.units_by_id(session, [int(u) for u in raw.get("unit_ids") or [] if str(u).isdigit()])
    for uid in raw.get("unit_ids") or []:
        unit = units.get(int(uid)) if str(uid).isdigit() else None
        if unit is None or unit.id not in members:
            errors.add("unit_ids", f"单位 {uid} 不是本大党委成员单位")
        elif unit.name not in have:
            added.append(MeetingAttendance(meeting_id=meeting.id, name=unit.name, unit_id=unit.id))
            have.add(unit.name)
    for username in raw.get("usernames") or []:
        user = session.scalars(select(User).where(User.username == str(username).strip())).first()
        if user is None:
            errors.add("usernames", f"没有账号 {username}")
            continue
        name = user.display_name or user.username
        if name not in have:
            added.append(MeetingAttendance(meeting_id=meeting.id, name=name, user_id=user.id, unit_id=user.unit_id))
            have.add(name)
    for name in _lines(raw.get("names"), 200):
        if name not in have:
            added.append(MeetingAttendance(meeting_id=meeting.id, name=name[:60]))
            have.add(name)
    errors.raise_if_any()
    session.add_all(added)
    session.flush()
    community = repo.community_of(session, region.path) or region
    for a in added:
        _award(session, community=community, user_id=a.user_id, rule="meeting_attended", ref=f"meeting:{meeting.id}",
               note=meeting.title)
    return repo.attendance(session, meeting)


def record_minutes(session: Session, principal: Principal, meeting: Meeting, raw: Mapping[str, Any]) -> Meeting:
    """The minutes and decisions; the meeting counts as held."""
    _meeting_editor(principal, meeting)
    errors = Errors()
    minutes = _text(raw, "minutes", errors, "会议纪要", required=True, limit=20000)
    errors.raise_if_any()
    meeting.minutes = minutes
    meeting.decisions = _lines(raw.get("decisions"), 50)
    meeting.status = "held"
    session.flush()
    return meeting


def need_from_decision(session: Session, principal: Principal, meeting: Meeting, index: int,
                       raw: Mapping[str, Any]) -> Need:
    """A decision of a meeting becomes a need of the list (source 联席会议)."""
    _need(principal, MANAGE)
    if not 0 <= index < len(meeting.decisions or []):
        raise NotFound("没有这项决定")
    region = session.get(Region, meeting.region_id)
    assert region is not None
    code = raw.get("region_code") or (region.code if region.level == "community" else None)
    need = create_need(session, principal, {"title": meeting.decisions[index][:120], "need_type": raw.get("need_type"),
                                            "description": f"来自{meeting.title}的决定", "region_code": code,
                                            "beneficiary_count": raw.get("beneficiary_count") or 1})
    need.source, need.meeting_id = "meeting", meeting.id
    session.flush()
    return need


def meeting_dict(session: Session, meeting: Meeting) -> dict[str, Any]:
    units = repo.units_by_id(session, [meeting.chair_unit_id])
    local = meeting.held_at.astimezone(SHANGHAI)
    return {"id": meeting.id, "title": meeting.title, "held_at": meeting.held_at.isoformat(),
            "held_local": local.strftime("%Y-%m-%d %H:%M"), "place": meeting.place, "agenda": meeting.agenda,
            "minutes": meeting.minutes, "decisions": meeting.decisions, "status": meeting.status,
            "status_label": MEETING_STATUSES[meeting.status],
            "chair_unit": units[meeting.chair_unit_id].name if meeting.chair_unit_id in units else None,
            "attendance": [{"name": a.name, "unit_id": a.unit_id, "user_id": a.user_id}
                           for a in repo.attendance(session, meeting)]}


def committee_view(session: Session, region: Region, year: int | None = None) -> dict[str, Any]:
    """Everything the committee page shows: members with agreements and part-time members, this year's rotation
    and who chairs now, meetings."""
    year = year or today().year
    members = repo.memberships(session, region, active=None)
    units = repo.units_by_id(session, [m.unit_id for m in members])
    officers: dict[int, list[dict[str, Any]]] = {}
    for o in repo.officers(session, [m.id for m in members]):
        officers.setdefault(o.membership_id, []).append(
            {"id": o.id, "name": o.name, "post": o.post, "term_start": o.term_start, "term_end": o.term_end})
    chair = current_chair(session, region)
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "members": [{"id": m.id, "unit_id": m.unit_id, "unit_name": units[m.unit_id].name,
                     "unit_kind": units[m.unit_id].kind, "signed_on": m.signed_on, "term_end": m.term_end,
                     "terms": m.terms, "pledged": m.pledged, "is_active": m.is_active,
                     "officers": officers.get(m.id, [])} for m in members],
        "year": year, "rotation": rotation_dicts(session, region, year),
        "current_chair": units[chair.unit_id].name if chair and chair.unit_id in units else None,
        "meetings": [meeting_dict(session, m) for m in repo.meetings(session, region)[:20]],
    }


# ---- needs and resources ----------------------------------------------------------------------------------

def _source(principal: Principal) -> str:
    if repo.is_unit_handler(principal):
        return "unit"
    return {"resident": "resident", "volunteer": "resident", "party_member": "resident",
            "grid_worker": "grid"}.get(principal.role, "community")


def create_need(session: Session, principal: Principal, raw: Mapping[str, Any]) -> Need:
    """A need enters 需求库 from a resident, a grid worker, community staff or a unit."""
    if principal.role in ("leader",) or (principal.role == "department_handler" and principal.unit_id is None):
        raise Forbidden("您的角色不能登记需求")
    errors = Errors()
    title = _text(raw, "title", errors, "需求标题", required=True, limit=120)
    need_type = _choice(raw, "need_type", errors, "需求类型", NEED_TYPES)
    description = _text(raw, "description", errors, "需求描述", limit=4000)
    count = _int(raw, "beneficiary_count", errors, "受益人数", default=1, low=1, high=100000)
    beneficiaries = _text(raw, "beneficiaries", errors, "受益对象", limit=200)
    urgency = _choice(raw, "urgency", errors, "紧急程度", URGENCIES, default="normal")
    wanted_from = _date(raw, "wanted_from", errors, "期望开始日期")
    wanted_to = _date(raw, "wanted_to", errors, "期望完成日期")
    if wanted_from and wanted_to and wanted_to < wanted_from:
        errors.add("wanted_to", "期望完成日期不能早于开始日期")
    lat = _float(raw, "lat", errors, "纬度", -90, 90)
    lon = _float(raw, "lon", errors, "经度", -180, 180)
    region = _place(session, principal, raw.get("region_code"), errors)
    errors.raise_if_any()
    assert region is not None
    need = Need(title=title, need_type=need_type, description=description, skills=_tags(raw.get("skills")),
                beneficiary_count=count or 1, beneficiaries=beneficiaries, urgency=urgency, wanted_from=wanted_from,
                wanted_to=wanted_to, lat=lat, lon=lon, region_id=region.id, scope_path=region.path,
                source=_source(principal), status="open", created_by_id=principal.user_id,
                unit_id=principal.unit_id if repo.is_unit_handler(principal) else None)
    session.add(need)
    session.flush()
    return need


def may_offer(principal: Principal) -> None:
    if principal.can(MANAGE) or repo.is_unit_handler(principal) or principal.role in SERVING_ROLES:
        return
    raise Forbidden("资源由驻区单位、社会组织、志愿者和党员提供，或由社区代为登记")


def _windows(raw: Any, errors: Errors) -> list[list[str]]:
    out: list[list[str]] = []
    items = raw if isinstance(raw, list) else [line.replace("至", ",").replace("~", ",").split(",")
                                               for line in _lines(raw)]
    for item in items:
        try:
            a, b = (dt.date.fromisoformat(str(x).strip()) for x in item)
        except (TypeError, ValueError):
            errors.add("windows", "时间段应写成 开始日期,结束日期，如 2026-12-01,2026-12-31")
            return []
        if b < a:
            errors.add("windows", "时间段的结束不能早于开始")
            return []
        out.append([a.isoformat(), b.isoformat()])
    return out[:12]


def create_resource(session: Session, principal: Principal, raw: Mapping[str, Any]) -> Resource:
    """A resource enters 资源库: what it is, skills, capacity (needs it can take on), place, time windows."""
    may_offer(principal)
    errors = Errors()
    title = _text(raw, "title", errors, "资源名称", required=True, limit=120)
    rtype = _choice(raw, "resource_type", errors, "资源类型", NEED_TYPES)
    description = _text(raw, "description", errors, "说明", limit=4000)
    capacity = _int(raw, "capacity", errors, "可承接数量", default=1, low=1, high=1000)
    windows = _windows(raw.get("windows"), errors)
    lat = _float(raw, "lat", errors, "纬度", -90, 90)
    lon = _float(raw, "lon", errors, "经度", -180, 180)
    unit: Unit | None = None
    user_id: int | None = None
    if repo.is_unit_handler(principal):
        kind, unit = "unit", session.get(Unit, principal.unit_id)
    elif principal.role in SERVING_ROLES:
        kind, user_id = ("party_member" if principal.role == "party_member" else "volunteer"), principal.user_id
    else:  # staff register on behalf of a unit, a social organisation, or a named person
        kind = _choice(raw, "provider_kind", errors, "提供方类型", PROVIDER_KINDS, default="unit")
        unit_id = _int(raw, "unit_id", errors, "提供单位", default=0, low=0)
        if unit_id:
            unit = session.get(Unit, unit_id)
            if unit is None or not principal.covers(unit.scope_path):
                errors.add("unit_id", "该单位不存在或不在您的范围内")
                unit = None
    name = unit.name if unit else (_text(raw, "provider_name", errors, "提供方", limit=120) or principal.display_name)
    region_code = raw.get("region_code")
    if not region_code and unit is not None:
        region = repo.community_of(session, unit.scope_path)
        region_code = region.code if region and principal.covers(region.path) else None
    region = _place(session, principal, region_code, errors)
    errors.raise_if_any()
    assert region is not None
    row = Resource(title=title, resource_type=rtype, description=description, skills=_tags(raw.get("skills")),
                   capacity=capacity or 1, provider_kind=kind, provider_name=name, unit_id=unit.id if unit else None,
                   user_id=user_id, lat=lat if lat is not None else (unit.lat if unit else None),
                   lon=lon if lon is not None else (unit.lon if unit else None), windows=windows,
                   region_id=region.id, scope_path=region.path, is_active=True, created_by_id=principal.user_id)
    session.add(row)
    session.flush()
    return row


def get_need(session: Session, principal: Principal, need_id: int) -> Need:
    need = repo.get_need(session, principal, need_id)
    if need is None:
        raise NotFound()
    return need


def get_resource(session: Session, principal: Principal, resource_id: int) -> Resource:
    row = repo.get_resource(session, principal, resource_id)
    if row is None:
        raise NotFound()
    return row


def list_needs(session: Session, principal: Principal, *, q: str | None = None, status: str | None = None,
               need_type: str | None = None, mine: bool = False, offset: int = 0,
               limit: int = 20) -> tuple[list[Need], int]:
    stmt = repo.readable_needs(principal)
    if q:
        stmt = stmt.where(Need.title.contains(q) | Need.description.contains(q) | Need.beneficiaries.contains(q))
    if status:
        stmt = stmt.where(Need.status == status)
    if need_type:
        stmt = stmt.where(Need.need_type == need_type)
    if mine:
        stmt = stmt.where(Need.created_by_id == principal.user_id)
    return repo.page(session, stmt, (Need.id.desc(),), offset, limit)


def list_resources(session: Session, principal: Principal, *, q: str | None = None, resource_type: str | None = None,
                   unit_id: int | None = None, offset: int = 0, limit: int = 20) -> tuple[list[Resource], int]:
    stmt = repo.readable_resources(principal)
    if q:
        stmt = stmt.where(Resource.title.contains(q) | Resource.provider_name.contains(q)
                          | Resource.skills.contains(q))
    if resource_type:
        stmt = stmt.where(Resource.resource_type == resource_type)
    if unit_id:
        stmt = stmt.where(Resource.unit_id == unit_id)
    return repo.page(session, stmt, (Resource.id.desc(),), offset, limit)


def need_dicts(session: Session, rows: list[Need]) -> list[dict[str, Any]]:
    regions = repo.regions_by_id(session, [n.region_id for n in rows])
    return [{"id": n.id, "title": n.title, "need_type": n.need_type, "description": n.description,
             "skills": [s for s in n.skills.split(",") if s], "beneficiary_count": n.beneficiary_count,
             "beneficiaries": n.beneficiaries, "urgency": n.urgency, "urgency_label": URGENCIES[n.urgency],
             "wanted_from": n.wanted_from, "wanted_to": n.wanted_to, "source": n.source, "status": n.status,
             "region_code": regions[n.region_id].code, "region_name": regions[n.region_id].name,
             "lat": n.lat, "lon": n.lon, "created_at": n.created_at} for n in rows]


def resource_dicts(session: Session, rows: list[Resource]) -> list[dict[str, Any]]:
    regions = repo.regions_by_id(session, [r.region_id for r in rows])
    used = repo.used_capacity(session, [r.id for r in rows])
    return [{"id": r.id, "title": r.title, "resource_type": r.resource_type, "description": r.description,
             "skills": [s for s in r.skills.split(",") if s], "capacity": r.capacity,
             "capacity_left": max(0, r.capacity - used.get(r.id, 0)), "provider_kind": r.provider_kind,
             "provider_name": r.provider_name, "unit_id": r.unit_id, "windows": r.windows,
             "region_code": regions[r.region_id].code, "region_name": regions[r.region_id].name,
             "is_active": r.is_active} for r in rows]


def own_resources(session: Session, principal: Principal, resource_type: str) -> list[dict[str, Any]]:
    """The actor's own (or their unit's) active resources of a type: what they may claim a need with."""
    if repo.is_unit_handler(principal):
        clause = Resource.unit_id == principal.unit_id
    elif principal.role in SERVING_ROLES:
        clause = Resource.user_id == principal.user_id
    else:
        return []
    rows = session.scalars(select(Resource).where(clause, Resource.resource_type == resource_type,
                                                  Resource.is_active.is_(True)).order_by(Resource.id))
    return resource_dicts(session, list(rows))


# ---- matching ---------------------------------------------------------------------------------------------

def _need_in(need: Need) -> matching.NeedIn:
    return matching.NeedIn(id=need.id, type=need.need_type, skills=matching.split_tags(need.skills), lat=need.lat,
                           lon=need.lon, path=need.scope_path, window=(need.wanted_from, need.wanted_to),
                           urgency=need.urgency)


def _resources_in(session: Session, resources: list[Resource]) -> list[matching.ResourceIn]:
    used = repo.used_capacity(session, [r.id for r in resources])
    ratings = repo.provider_ratings(session, [r.id for r in resources])
    out = []
    for r in resources:
        reach = r.scope_path
        community = repo.community_of(session, r.scope_path) if r.scope_path.count("/") > 5 else None
        if community is not None:
            reach = community.path
        windows = tuple((dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in r.windows or [])
        out.append(matching.ResourceIn(id=r.id, type=r.resource_type, capacity=r.capacity,
                                       capacity_left=max(0, r.capacity - used.get(r.id, 0)),
                                       skills=matching.split_tags(r.skills), lat=r.lat, lon=r.lon, path=reach,
                                       windows=windows, rating=ratings[r.id][0] if r.id in ratings else None))
    return out


def suggestions(session: Session, need: Need, limit: int = 10) -> list[dict[str, Any]]:
    """Ranked resources for one need, with the parts of each score."""
    community = repo.community_of(session, need.scope_path)
    if community is None:
        return []
    resources = repo.resources_for(session, community)
    ranked = matching.suggest(_need_in(need), _resources_in(session, resources), limit)
    by_id = {r.id: r for r in resources}
    dicts = {d["id"]: d for d in resource_dicts(session, [by_id[s.resource_id] for s in ranked])}
    return [{"resource": dicts[s.resource_id], "score": s.score, "parts": s.parts, "km": s.km} for s in ranked]


@dataclass
class Assignment:
    community: Region
    pairs: list[tuple[int, int, float]]
    greedy_matched: int
    open_needs: int


def run_assignment(session: Session, principal: Principal, community: Region) -> Assignment:
    """The whole community at once: every open need against every resource that reaches it, the most needs
    matched under capacity (matching.assign). Nothing is written: staff accept the pairs they agree with."""
    _need(principal, MANAGE)
    needs = [_need_in(n) for n in repo.open_needs_in(session, community)]
    resources = _resources_in(session, repo.resources_for(session, community))
    pairs = matching.assign(needs, resources)
    problems = matching.check_feasible(pairs, needs, resources)
    assert not problems, problems  # the solver's answer is checked before anyone sees it
    return Assignment(community, pairs, len(matching.greedy(needs, resources)), len(needs))


def assignment_dict(session: Session, result: Assignment) -> dict[str, Any]:
    needs = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_([p[0] for p in result.pairs])))}
    resources = {r.id: r for r in session.scalars(select(Resource).where(
        Resource.id.in_([p[1] for p in result.pairs])))}
    return {"community_code": result.community.code, "open_needs": result.open_needs, "matched": len(result.pairs),
            "greedy_matched": result.greedy_matched,
            "pairs": [{"need_id": n, "need_title": needs[n].title, "need_type": needs[n].need_type,
                       "resource_id": r, "resource_title": resources[r].title,
                       "provider_name": resources[r].provider_name, "score": s} for n, r, s in result.pairs]}


def accept_pairs(session: Session, principal: Principal, community: Region,
                 pairs: list[tuple[int, int]]) -> list[Project]:
    """Staff accept pairs of the assignment (or of the suggestions): each becomes an accepted claim and a project."""
    _need(principal, MANAGE)
    projects = []
    for need_id, resource_id in pairs:
        need = get_need(session, principal, need_id)
        if not need.scope_path.startswith(community.path):
            raise NotFound()
        resource = get_resource(session, principal, resource_id)
        claim = _new_claim(session, principal, need, resource, "assignment", "")
        projects.append(accept_claim(session, principal, claim))
    return projects


# ---- claims (双向认领) and projects --------------------------------------------------------------------------

def _owns_resource(principal: Principal, resource: Resource) -> bool:
    return (resource.user_id == principal.user_id or
            (repo.is_unit_handler(principal) and resource.unit_id == principal.unit_id))


def _new_claim(session: Session, principal: Principal, need: Need, resource: Resource | None, kind: str,
               note: str) -> Claim:
    if need.status not in ("open", "claimed"):
        raise Conflict("该需求已在实施或已结束，不能再认领", code="need_taken")
    if resource is not None:
        if resource.resource_type != need.need_type:
            raise Conflict(f"资源类型（{resource.resource_type}）与需求类型（{need.need_type}）不符",
                           code="type_mismatch")
        if not resource.is_active:
            raise Conflict("该资源已停用", code="resource_inactive")
        left = resource.capacity - repo.used_capacity(session, [resource.id]).get(resource.id, 0)
        if left <= 0:
            raise Conflict("该资源已没有可承接的余量", code="capacity_full")
    for other in repo.claims_of_need(session, need):
        if other.status == "pending" and other.claimant_id == principal.user_id and (
                other.resource_id == (resource.id if resource else None)):
            raise Conflict("您已认领过，等待社区确认", code="already_claimed")
    claim = Claim(need_id=need.id, resource_id=resource.id if resource else None, kind=kind, status="pending",
                  claimant_id=principal.user_id, note=note[:400])
    if resource is not None:
        claim.score = matching.score(_need_in(need), _resources_in(session, [resource])[0]).score
    session.add(claim)
    need.status = "claimed"
    session.flush()
    return claim


def claim_need(session: Session, principal: Principal, need_id: int, *, resource_id: int | None = None,
               note: str = "") -> Claim:
    """A provider claims a need (双向认领, the provider's way) with one of their resources; a Party member or
    volunteer may claim it as a problem to solve themselves (认难题, no resource). Staff confirm the claim."""
    need = get_need(session, principal, need_id)
    resource = None
    if resource_id is not None:
        resource = get_resource(session, principal, resource_id)
        if not _owns_resource(principal, resource) and not principal.can(MANAGE):
            raise Forbidden("只能用自己（本单位）的资源认领")
        kind = "provider"
    elif principal.role in SERVING_ROLES or repo.is_unit_handler(principal):
        kind = "member"
    else:
        raise ValidationFailed("请选择用来认领的资源", details=[{"field": "resource_id", "reason": "请选择资源"}])
    return _new_claim(session, principal, need, resource, kind, note)


def claim_resource(session: Session, principal: Principal, resource_id: int, *, need_id: int,
                   note: str = "") -> Claim:
    """The need's side claims a resource (双向认领, the need's way): the person who raised the need, or staff."""
    resource = get_resource(session, principal, resource_id)
    need = get_need(session, principal, need_id)
    if need.created_by_id != principal.user_id and not principal.can(MANAGE):
        raise Forbidden("只有需求的提出人或社区工作人员可以为需求认领资源")
    return _new_claim(session, principal, need, resource, "owner", note)


def get_claim(session: Session, principal: Principal, claim_id: int) -> tuple[Claim, Need]:
    claim = repo.claim(session, claim_id)
    if claim is None:
        raise NotFound()
    return claim, get_need(session, principal, claim.need_id)


def accept_claim(session: Session, principal: Principal, claim: Claim) -> Project:
    """Staff confirm a claim: it becomes a project; the need's other pending claims are declined."""
    _need(principal, MANAGE, "只有社区工作人员可以确认认领")
    need = get_need(session, principal, claim.need_id)
    if claim.status != "pending":
        raise Conflict("该认领已处理", code="claim_decided")
    if need.status not in ("open", "claimed"):
        raise Conflict("该需求已在实施或已结束", code="need_taken")
    resource = None
    if claim.resource_id:  # locked: two acceptances at once cannot overfill it
        resource = session.scalars(select(Resource).where(Resource.id == claim.resource_id).with_for_update()
                                   .execution_options(populate_existing=True)).one()
    if resource is not None and resource.capacity - repo.used_capacity(session, [resource.id]).get(resource.id, 0) <= 0:
        raise Conflict("该资源已没有可承接的余量", code="capacity_full")
    stamp = now()
    claim.status, claim.decided_by_id, claim.decided_at = "accepted", principal.user_id, stamp
    for other in repo.claims_of_need(session, need):
        if other.id != claim.id and other.status == "pending":
            other.status, other.decided_by_id, other.decided_at = "declined", principal.user_id, stamp
    claimant = session.get(User, claim.claimant_id) if claim.claimant_id else None
    if resource is not None:
        owner_name, owner_user, unit_id = resource.provider_name, resource.user_id, resource.unit_id
    else:
        owner_name = claimant.display_name or claimant.username if claimant else "—"
        owner_user, unit_id = claim.claimant_id, claimant.unit_id if claimant else None
    project = Project(title=need.title, need_id=need.id, resource_id=resource.id if resource else None,
                      claim_id=claim.id, owner_name=owner_name, owner_user_id=owner_user, unit_id=unit_id,
                      start_on=today(), status="active", region_id=need.region_id, scope_path=need.scope_path)
    session.add(project)
    need.status = "in_project"
    session.flush()
    return project


def decline_claim(session: Session, principal: Principal, claim: Claim, *, withdraw: bool = False) -> Claim:
    """Staff decline a claim, or the claimant withdraws it; the need is open again when nothing is pending."""
    need = get_need(session, principal, claim.need_id)
    if withdraw:
        if claim.claimant_id != principal.user_id:
            raise Forbidden("只能撤回自己的认领")
    else:
        _need(principal, MANAGE, "只有社区工作人员可以处理认领")
    if claim.status != "pending":
        raise Conflict("该认领已处理", code="claim_decided")
    claim.status = "withdrawn" if withdraw else "declined"
    claim.decided_by_id, claim.decided_at = principal.user_id, now()
    session.flush()
    if need.status == "claimed" and not any(c.status == "pending" for c in repo.claims_of_need(session, need)):
        need.status = "open"
    session.flush()
    return claim


def claim_dicts(session: Session, rows: list[Claim]) -> list[dict[str, Any]]:
    resources = {r.id: r for r in session.scalars(select(Resource).where(
        Resource.id.in_([c.resource_id for c in rows if c.resource_id])))} if rows else {}
    users = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_([c.claimant_id for c in rows if c.claimant_id])))} if rows else {}
    return [{"id": c.id, "need_id": c.need_id, "resource_id": c.resource_id, "kind": c.kind, "status": c.status,
             "resource_title": resources[c.resource_id].title if c.resource_id in resources else None,
             "provider_name": resources[c.resource_id].provider_name if c.resource_id in resources else None,
             "claimant": (users[c.claimant_id].display_name or users[c.claimant_id].username)
             if c.claimant_id in users else None, "claimant_id": c.claimant_id, "note": c.note, "score": c.score,
             "created_at": c.created_at} for c in rows]


def get_project(session: Session, principal: Principal, project_id: int) -> Project:
    row = repo.get_project(session, principal, project_id)
    if row is None:
        raise NotFound()
    return row


def list_projects(session: Session, principal: Principal, *, q: str | None = None, status: str | None = None,
                  offset: int = 0, limit: int = 20) -> tuple[list[Project], int]:
    stmt = repo.readable_projects(principal)
    if q:
        stmt = stmt.where(Project.title.contains(q) | Project.owner_name.contains(q))
    if status:
        stmt = stmt.where(Project.status == status)
    return repo.page(session, stmt, (Project.id.desc(),), offset, limit)


def may_edit_project(principal: Principal, project: Project) -> bool:
    return principal.can(MANAGE) or project.owner_user_id == principal.user_id or (
        repo.is_unit_handler(principal) and project.unit_id == principal.unit_id)


def _project_editor(principal: Principal, project: Project) -> None:
    if not may_edit_project(principal, project):
        raise Forbidden("只有项目负责方或社区工作人员可以更新项目")


def add_step(session: Session, principal: Principal, project: Project, raw: Mapping[str, Any]) -> ProjectStep:
    _project_editor(principal, project)
    if project.status != "active":
        raise Conflict("项目已结束", code="project_closed")
    errors = Errors()
    title = _text(raw, "title", errors, "步骤", required=True, limit=120)
    due_on = _date(raw, "due_on", errors, "完成期限")
    errors.raise_if_any()
    seq = len(repo.steps(session, project)) + 1
    step = ProjectStep(project_id=project.id, seq=seq, title=title, due_on=due_on, done=False)
    session.add(step)
    session.flush()
    return step


def complete_step(session: Session, principal: Principal, project: Project, step_id: int) -> ProjectStep:
    _project_editor(principal, project)
    step = repo.step(session, project, step_id)
    if step is None:
        raise NotFound()
    if step.done:
        raise Conflict("该步骤已完成", code="step_done")
    step.done, step.done_at = True, now()
    session.flush()
    return step


def finish_project(session: Session, principal: Principal, project: Project, raw: Mapping[str, Any]) -> Project:
    """The project is done with its outcome; every step must be ticked off first."""
    _project_editor(principal, project)
    if project.status != "active":
        raise Conflict("项目已结束", code="project_closed")
    errors = Errors()
    outcome = _text(raw, "outcome", errors, "实施成效", required=True, limit=4000)
    errors.raise_if_any()
    if any(not s.done for s in repo.steps(session, project)):
        raise Conflict("还有未完成的步骤", code="steps_open")
    project.status, project.outcome, project.end_on, project.done_at = "done", outcome, today(), now()
    need = session.get(Need, project.need_id)
    if need is not None:
        need.status = "done"
    session.flush()
    return project


def rate_project(session: Session, principal: Principal, project: Project, raw: Mapping[str, Any]) -> Project:
    """The beneficiaries' rating (1–5 + comment), once, by whoever raised the need or staff on their behalf. It
    feeds the provider's past rating in matching."""
    need = session.get(Need, project.need_id)
    if not principal.can(MANAGE) and (need is None or need.created_by_id != principal.user_id):
        raise Forbidden("只有需求提出人或社区工作人员可以评价")
    if project.status != "done":
        raise Conflict("项目完成后才能评价", code="project_not_done")
    if project.rating is not None:
        raise Conflict("该项目已评价", code="already_rated")
    errors = Errors()
    rating = _int(raw, "rating", errors, "评分", low=1, high=5)
    comment = _text(raw, "comment", errors, "评价", limit=400)
    errors.raise_if_any()
    project.rating, project.rating_comment, project.rated_by_id = rating, comment, principal.user_id
    session.flush()
    return project


def project_dict(session: Session, project: Project) -> dict[str, Any]:
    need = session.get(Need, project.need_id)
    return {"id": project.id, "title": project.title, "need_id": project.need_id,
            "need_type": need.need_type if need else None, "resource_id": project.resource_id,
            "owner_name": project.owner_name, "unit_id": project.unit_id, "start_on": project.start_on,
            "end_on": project.end_on, "status": project.status, "outcome": project.outcome,
            "rating": project.rating, "rating_comment": project.rating_comment,
            "steps": [{"id": s.id, "seq": s.seq, "title": s.title, "due_on": s.due_on, "done": s.done}
                      for s in repo.steps(session, project)]}


# ---- micro-wishes (微心愿) ----------------------------------------------------------------------------------

def _wish_event(session: Session, principal: Principal, wish: Wish, action: str, before: str | None,
                note: str = "") -> None:
    wish.event_seq += 1
    session.add(WishEvent(wish_id=wish.id, seq=wish.event_seq, actor_id=principal.user_id,
                          actor_name=principal.display_name, action=action, from_status=before, to_status=wish.status,
                          note=note[:400]))


def _move(session: Session, principal: Principal, wish: Wish, allowed: tuple[str, ...], to: str, action: str,
          note: str = "") -> None:
    if wish.status not in allowed:
        raise Conflict("心愿当前状态不能进行此操作", code="invalid_transition",
                       details={"status": wish.status, "action": action})
    before, wish.status = wish.status, to
    session.flush()
    _wish_event(session, principal, wish, action, before, note)
    session.flush()


def _photo(photo: tuple[bytes, str] | None) -> str | None:
    if not photo:
        return None
    from gongzhi.appeals.media import check_and_store  # one set of checks for every uploaded photo

    return check_and_store(photo[0], photo[1], keep_location=False).path


def may_post_wish(principal: Principal) -> None:
    if principal.role != "resident" and not principal.can(MANAGE):
        raise Forbidden("微心愿由居民发布（社区可代为登记）")


def post_wish(session: Session, principal: Principal, raw: Mapping[str, Any],
              photo: tuple[bytes, str] | None = None) -> Wish:
    """A resident posts a small wish; it waits for the community to approve it before anyone can claim it."""
    may_post_wish(principal)
    errors = Errors()
    title = _text(raw, "title", errors, "心愿", required=True, limit=80)
    kind = _choice(raw, "kind", errors, "心愿类型", WISH_KINDS, default="other")
    description = _text(raw, "description", errors, "说明", limit=1000)
    poster_name = _text(raw, "poster_name", errors, "心愿人", limit=60) or principal.display_name
    region = _place(session, principal, raw.get("region_code"), errors)
    errors.raise_if_any()
    assert region is not None
    wish = Wish(title=title, kind=kind, description=description, status="pending", poster_id=principal.user_id,
                poster_name=poster_name,
                region_id=region.id, scope_path=region.path, photo_path=_photo(photo), event_seq=0)
    session.add(wish)
    session.flush()
    _wish_event(session, principal, wish, "post", None)
    session.flush()
    return wish


def get_wish(session: Session, principal: Principal, wish_id: int, *, lock: bool = False) -> Wish:
    wish = repo.get_wish(session, principal, wish_id, lock=lock)
    if wish is None:
        raise NotFound()
    return wish


def list_wishes(session: Session, principal: Principal, *, status: str | None = None, mine: bool = False,
                claimed_by_me: bool = False, q: str | None = None, offset: int = 0,
                limit: int = 20) -> tuple[list[Wish], int]:
    stmt = repo.readable_wishes(principal)
    if status:
        stmt = stmt.where(Wish.status == status)
    if mine:
        stmt = stmt.where(Wish.poster_id == principal.user_id)
    if claimed_by_me:
        stmt = stmt.where(Wish.claimer_id == principal.user_id)
    if q:
        stmt = stmt.where(Wish.title.contains(q) | Wish.description.contains(q))
    return repo.page(session, stmt, (Wish.id.desc(),), offset, limit)


def wish_action(session: Session, principal: Principal, wish: Wish, action: str, raw: Mapping[str, Any],
                photo: tuple[bytes, str] | None = None) -> Wish:
    """approve / hide (staff) · claim (volunteers, Party members; at most `wish_claim_limit` open claims each) ·
    release (the claimer, or staff after `wish_release_days`) · fulfil (the claimer, with a photo) · thank (the
    poster; the claimer earns `wish_fulfilled` points)."""
    note = str(raw.get("note") or "").strip()[:400]
    if action in ("approve", "hide"):
        _need(principal, MANAGE, "只有社区工作人员可以审核心愿")
        if action == "approve":
            _move(session, principal, wish, ("pending", "hidden"), "open", action, note)
        else:
            _move(session, principal, wish, ("pending", "open"), "hidden", action, note)
    elif action == "claim":
        if principal.role not in SERVING_ROLES:
            raise Forbidden("微心愿由志愿者和党员认领")
        # two claimers at once: one wins (the wish row is locked); one claimer twice at once: the limit holds
        session.execute(select(User.id).where(User.id == principal.user_id).with_for_update())
        wish = get_wish(session, principal, wish.id, lock=True)
        limit = get_settings_limit()
        if wish.status == "open" and repo.open_claims_of(session, principal.user_id) >= limit:
            raise Conflict(f"您已有{limit}个认领未完成，完成后再认领新的心愿", code="claim_limit")
        _move(session, principal, wish, ("open",), "claimed", action, note)
        wish.claimer_id, wish.claimer_name, wish.claimed_at = principal.user_id, principal.display_name, now()
    elif action == "release":
        if wish.claimer_id != principal.user_id:
            _need(principal, MANAGE, "只能放弃自己的认领")
            days = wish_release_days()
            if wish.status == "claimed" and wish.claimed_at and now() - wish.claimed_at < dt.timedelta(days=days):
                raise Conflict(f"认领未满{days}天，暂不能收回", code="too_early")
        _move(session, principal, wish, ("claimed",), "open", action, note)
        wish.claimer_id, wish.claimer_name, wish.claimed_at = None, "", None
    elif action == "fulfil":
        if wish.claimer_id != principal.user_id:
            raise Forbidden("只有认领人可以提交完成")
        if wish.status == "claimed" and not photo:
            raise ValidationFailed("请上传完成照片", details=[{"field": "photo", "reason": "请上传完成照片"}])
        _move(session, principal, wish, ("claimed",), "fulfilled", action, note)
        wish.fulfil_photo_path, wish.fulfil_note, wish.fulfilled_at = _photo(photo), note, now()
    elif action == "thank":
        if wish.poster_id != principal.user_id:
            raise Forbidden("只有心愿人可以致谢")
        _move(session, principal, wish, ("fulfilled",), "thanked", action, note)
        wish.thanks = note or "谢谢您！"
        community = repo.community_of(session, wish.scope_path)
        _award(session, community=community, user_id=wish.claimer_id, rule="wish_fulfilled", ref=f"wish:{wish.id}",
               note=wish.title)
    else:
        raise NotFound("没有这个操作")
    session.flush()
    return wish


def wish_actions_for(principal: Principal, wish: Wish) -> list[str]:
    """The buttons a wish's page offers this actor (the service still checks each)."""
    out = []
    if principal.can(MANAGE):
        out += {"pending": ["approve", "hide"], "open": ["hide"], "hidden": ["approve"]}.get(wish.status, [])
        if wish.status == "claimed" and wish.claimer_id != principal.user_id:
            out.append("release")
    if principal.role in SERVING_ROLES and wish.status == "open":
        out.append("claim")
    if wish.claimer_id == principal.user_id and wish.status == "claimed":
        out += ["fulfil", "release"]
    if wish.poster_id == principal.user_id and wish.status == "fulfilled":
        out.append("thank")
    return out


def get_settings_limit() -> int:
    """Open wish claims one person may hold (setting `wish_claim_limit`, 微心愿防囤积)."""
    return get_settings().wish_claim_limit


def wish_release_days() -> int:
    """Days a claim stays the claimer's before staff may release it (setting `wish_release_days`)."""
    return get_settings().wish_release_days


def wish_dict(session: Session, wish: Wish, *, timeline: bool = False) -> dict[str, Any]:
    d = {"id": wish.id, "title": wish.title, "kind": wish.kind, "kind_label": WISH_KINDS[wish.kind],
         "description": wish.description, "status": wish.status, "poster_name": wish.poster_name,
         "claimer_name": wish.claimer_name or None, "claimed_at": wish.claimed_at, "fulfilled_at": wish.fulfilled_at,
         "fulfil_note": wish.fulfil_note, "thanks": wish.thanks, "has_photo": bool(wish.photo_path),
         "has_fulfil_photo": bool(wish.fulfil_photo_path), "created_at": wish.created_at}
    if timeline:
        d["timeline"] = [{"seq": e.seq, "at": e.at, "actor": e.actor_name, "action": e.action, "from": e.from_status,
                          "to": e.to_status, "note": e.note} for e in repo.wish_timeline(session, wish)]
    return d


def wish_photo(wish: Wish, which: str) -> str:
    path = wish.photo_path if which == "wish" else wish.fulfil_photo_path if which == "fulfil" else None
    if not path:
        raise NotFound("没有照片")
    return path


# ---- the unit's page --------------------------------------------------------------------------------------

def unit_view(session: Session, principal: Principal) -> dict[str, Any]:
    """What a unit's handler sees: their agreements, pledged resources, claims, projects, meetings they chair."""
    if not repo.is_unit_handler(principal):
        raise Forbidden("该页面供驻区单位经办人使用")
    unit = session.get(Unit, principal.unit_id)
    assert unit is not None
    members = repo.memberships_of_unit(session, unit.id)
    regions = repo.regions_by_id(session, [m.region_id for m in members])
    resources, _ = list_resources(session, principal, unit_id=unit.id, limit=100)
    terms = repo.chair_terms_of_unit(session, unit.id)
    term_regions = repo.regions_by_id(session, [t.region_id for t in terms])
    return {"unit": unit,
            "memberships": [{"region_name": regions[m.region_id].name, "region_code": regions[m.region_id].code,
                             "signed_on": m.signed_on, "term_end": m.term_end, "terms": m.terms,
                             "pledged": m.pledged, "is_active": m.is_active} for m in members],
            "resources": resource_dicts(session, resources),
            "claims": claim_dicts(session, repo.claims_by_unit(session, unit.id)),
            "projects": [project_dict(session, p) for p in repo.projects_of_unit(session, unit.id)[:50]],
            "chair_terms": [{"year": t.year, "slot": t.slot, "months": slot_months(t.slot),
                             "region_name": term_regions[t.region_id].name} for t in terms],
            "meetings": [meeting_dict(session, m) for m in repo.meetings_of_unit(session, unit.id)[:20]]}
