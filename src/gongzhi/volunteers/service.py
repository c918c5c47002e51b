"""The rules of 双报到 and volunteering: who may report, claim, pair and log; the community's confirmations;
points for confirmed hours; the yearly evaluation (一评) and its figures; 啄木鸟 reports through the appeal
intake. Services flush, never commit: the request owns the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.appeals import flow
from gongzhi.appeals import service as appeals
from gongzhi.appeals.media import StoredPhoto
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import AppealCreate
from gongzhi.cobuild import service as cobuild
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.web import SHANGHAI
from gongzhi.notify import service as notify
from gongzhi.orgs.models import Unit
from gongzhi.people.models import Household, PartyMember, Resident
from gongzhi.points import service as points
from gongzhi.regions.models import Region
from gongzhi.volunteers import repository as repo
from gongzhi.volunteers.models import (
    GRADES,
    VOLUNTEER_ROLES,
    Evaluation,
    Pairing,
    PostClaim,
    ProblemClaim,
    Reporting,
    ServiceLog,
    ServicePost,
    Team,
    Volunteer,
)

MANAGE = "volunteers:manage"
READ = "volunteers:read"
PAIR_LIMIT = 3  # households one member looks after at a time
PROBLEM_LIMIT = 5  # problems one member holds at a time
LOG_MAX_AGE_DAYS = 366  # a service log is filed within a year of the service
OPEN_APPEALS = tuple(s.value for s in flow.OPEN)


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


# ---- where and who -------------------------------------------------------------------------------------

def community_of(session: Session, principal: Principal) -> Region:
    """The community a phone-page user belongs to: their scope node, or its community ancestor (a resident's
    or volunteer's grid lies in one)."""
    codes = principal.scope_path.strip("/").split("/")
    region = session.scalars(select(Region).where(Region.code.in_(codes), Region.level == "community")).first()
    if region is None:
        raise Forbidden("您的账号不属于任何社区，无法报到或登记服务", code="no_community")
    return region


def desk_community(session: Session, principal: Principal, code: str | None) -> Region | None:
    """The community a desk user looks at: the chosen one inside their scope, their own, or None (all)."""
    if not principal.can(READ):
        raise Forbidden()
    if code:
        region = session.scalars(select(Region).where(Region.code == code, Region.level == "community")).first()
        if region is None or not principal.covers(region.path):
            raise NotFound()
        return region
    own = session.get(Region, principal.scope_region_id)
    return own if own is not None and own.level == "community" else None


def _staff(principal: Principal, path: str) -> None:
    """The community desk may change this row: permission first (403), then scope (404)."""
    if not principal.can(MANAGE):
        raise Forbidden("只有社区、街道工作人员可以处理")
    if not principal.covers(path):
        raise NotFound()


def _placed(region: Region) -> dict[str, Any]:
    return {"region_id": region.id, "scope_path": region.path}


def communities_under(session: Session, principal: Principal) -> list[Region]:
    stmt = select(Region).where(Region.level == "community").order_by(Region.path)
    clause = principal.scope_clause(Region.path)
    return list(session.scalars(stmt if clause is None else stmt.where(clause)).all())


# ---- 双报到 -------------------------------------------------------------------------------------------

def my_reporting(session: Session, principal: Principal) -> Reporting | None:
    return repo.reporting_of_user(session, principal.user_id)


def _confirmed_reporting(session: Session, principal: Principal) -> Reporting:
    if principal.role != "party_member":
        raise Forbidden("只有在职党员可以认岗、认对子、认难题")
    r = my_reporting(session, principal)
    if r is None:
        raise Conflict("请先到社区报到", code="not_reported")
    if r.status != "confirmed":
        raise Conflict("社区尚未确认您的报到，确认后才能认领", code="not_confirmed")
    return r


def register(session: Session, principal: Principal, *, name: str, employer_unit_id: int | None,
             employer_name: str, skills: str = "") -> Reporting:
    """报到 — an in-service Party member registers with their employer and reports to their home community; the
    community confirms. Their PartyMember row is the register's row of that name and employer in the community
    that no reporting uses yet (exactly one), or a new one."""
    if principal.role != "party_member":
        raise Forbidden("只有在职党员账号可以报到")
    if my_reporting(session, principal) is not None:
        raise Conflict("您已报到，无需重复", code="already_reported")
    name, employer_name = name.strip(), employer_name.strip()
    if not 2 <= len(name) <= 40:
        raise ValidationFailed("请填写姓名（2–40 字）", details={"field": "name"})
    unit = None
    if employer_unit_id is not None:
        unit = session.get(Unit, employer_unit_id)
        if unit is None:
            raise ValidationFailed("工作单位不存在，请重新选择", details={"field": "employer_unit_id"})
        employer_name = unit.name
    if not employer_name or len(employer_name) > 100:
        raise ValidationFailed("请选择或填写工作单位", details={"field": "employer_name"})
    if len(skills) > 200:
        raise ValidationFailed("特长最多 200 字", details={"field": "skills"})
    community = community_of(session, principal)
    member = repo.unlinked_member(session, community.path, name, employer_name)
    if member is None:
        member = PartyMember(name=name, kind="in_service", **_placed(community))
        session.add(member)
    member.employer_unit_id, member.employer_name = (unit.id if unit else None), employer_name
    session.flush()
    reporting = Reporting(member_id=member.id, user_id=principal.user_id, status="pending", skills=skills.strip(),
                          **_placed(community))
    session.add(reporting)
    session.flush()
    staff = _community_staff(session, community)
    notify.notify(session, staff, title="在职党员报到", body=f"{name}（{employer_name}）向本社区报到，请确认。",
                  link="/volunteers/desk?tab=members&status=pending", kind="volunteers")
    return reporting


def _community_staff(session: Session, community: Region) -> list[int]:
    from gongzhi.accounts.models import User

    return list(session.scalars(select(User.id).where(User.is_active.is_(True), User.role == "community_staff",
                                                      User.scope_region_id == community.id).limit(20)))


def get_reporting(session: Session, principal: Principal, reporting_id: int) -> Reporting:
    r = session.get(Reporting, reporting_id)
    if r is None or not principal.covers(r.scope_path):
        raise NotFound()
    return r


def decide_reporting(session: Session, principal: Principal, reporting: Reporting, *, confirm: bool,
                     note: str = "") -> Reporting:
    """The community confirms (or turns down) a member's 报到, once."""
    _staff(principal, reporting.scope_path)
    reporting = repo.locked(session, Reporting, reporting.id)
    if reporting.status != "pending":
        raise Conflict("该报到已处理", code="already_decided")
    if not confirm and not note.strip():
        raise ValidationFailed("请填写不通过的原因", details={"field": "note"})
    reporting.status = "confirmed" if confirm else "rejected"
    reporting.decided_by, reporting.decided_at, reporting.note = principal.user_id, now(), note.strip()[:200]
    session.flush()
    if reporting.user_id:
        notify.notify(session, [reporting.user_id], title="报到已确认" if confirm else "报到未通过",
                      body="社区已确认您的报到，可以认岗、认对子、认难题了。" if confirm else f"原因：{reporting.note}",
                      link="/volunteers/party", kind="volunteers")
    return reporting


# ---- 认岗位 -------------------------------------------------------------------------------------------

def create_post(session: Session, principal: Principal, community: Region, *, name: str, slots: int,
                description: str = "", places: str = "", time_text: str = "") -> ServicePost:
    _staff(principal, community.path)
    name = name.strip()
    if not 2 <= len(name) <= 60:
        raise ValidationFailed("请填写岗位名称（2–60 字）", details={"field": "name"})
    if not 1 <= slots <= 500:
        raise ValidationFailed("名额须在 1–500 之间", details={"field": "slots"})
    if len(places) > 200 or len(time_text) > 100 or len(description) > 2000:
        raise ValidationFailed("地点最多 200 字，时间最多 100 字，说明最多 2000 字", details={"field": "description"})
    post = ServicePost(name=name, slots=slots, description=description.strip(), places=places.strip(),
                       time_text=time_text.strip(), **_placed(community))
    session.add(post)
    session.flush()
    return post


def get_post(session: Session, principal: Principal, post_id: int) -> ServicePost:
    post = session.get(ServicePost, post_id)
    if post is None or not principal.covers(post.scope_path):
        raise NotFound()
    return post


def set_post_active(session: Session, principal: Principal, post: ServicePost, active: bool) -> ServicePost:
    _staff(principal, post.scope_path)
    post.is_active = active
    session.flush()
    return post


def claim_post(session: Session, principal: Principal, post_id: int) -> PostClaim:
    """认岗位 — no more members than the post's slots: the post row is locked while counting."""
    reporting = _confirmed_reporting(session, principal)
    post = repo.locked(session, ServicePost, post_id)  # claims of one post queue here: slots hold
    if post is None or post.scope_path != reporting.scope_path:
        raise NotFound()
    if not post.is_active:
        raise Conflict("该岗位已停用", code="post_inactive")
    if repo.post_claim(session, post, reporting) is not None:
        raise Conflict("您已认领该岗位", code="already_claimed")
    if repo.claim_counts(session, [post.id]).get(post.id, 0) >= post.slots:
        raise Conflict("该岗位名额已满", code="post_full", details={"slots": post.slots})
    claim = PostClaim(post_id=post.id, reporting_id=reporting.id, created_at=now())
    session.add(claim)
    session.flush()
    return claim


def release_post(session: Session, principal: Principal, post_id: int) -> None:
    reporting = _confirmed_reporting(session, principal)
    post = get_post(session, principal, post_id)
    claim = repo.post_claim(session, post, reporting)
    if claim is None:
        raise NotFound("您没有认领该岗位")
    session.delete(claim)
    session.flush()


def posts_view(session: Session, community_path: str, reporting: Reporting | None = None,
               *, active_only: bool = True) -> list[dict[str, Any]]:
    posts = list(session.scalars(repo.posts(community_path, active_only=active_only).order_by(ServicePost.id)))
    counts = repo.claim_counts(session, [p.id for p in posts])
    mine = {p.id for p in repo.claimed_posts(session, reporting)} if reporting else set()
    return [{"post": p, "taken": counts.get(p.id, 0), "left": max(0, p.slots - counts.get(p.id, 0)),
             "mine": p.id in mine} for p in posts]


# ---- 认对子 -------------------------------------------------------------------------------------------

def pair(session: Session, principal: Principal, household_id: int) -> Pairing:
    """认对子 — pair with a household of the community that needs care (a resident with a care tag)."""
    reporting = _confirmed_reporting(session, principal)
    household = session.get(Household, household_id)
    if household is None or not household.scope_path.startswith(reporting.scope_path):
        raise NotFound()
    tags = repo.household_tags(session, [household.id])[household.id]
    if not tags:
        raise Conflict("该户没有需要关爱的成员，无需结对", code="no_care_need")
    earlier = session.scalars(select(Pairing).where(Pairing.reporting_id == reporting.id,
                                                    Pairing.household_id == household.id)).first()
    if earlier is not None and earlier.ended_at is None:
        raise Conflict("您已与该户结对", code="already_paired")
    if repo.count_pairings(session, reporting) >= PAIR_LIMIT:
        raise Conflict(f"每位党员最多结对 {PAIR_LIMIT} 户", code="pair_limit", details={"limit": PAIR_LIMIT})
    if earlier is not None:  # an ended pair taken up again: the same row, its visits kept
        earlier.ended_at, earlier.ended_by = None, None
        earlier.care_tags = ",".join(tags)[:120]
        session.flush()
        return earlier
    p = Pairing(reporting_id=reporting.id, household_id=household.id, care_tags=",".join(tags)[:120],
                created_at=now(), region_id=reporting.region_id, scope_path=reporting.scope_path)
    session.add(p)
    session.flush()
    return p


def care_households(session: Session, principal: Principal, *, q: str | None, tag: str | None, offset: int,
                    limit: int) -> tuple[list[dict[str, Any]], int]:
    reporting = _confirmed_reporting(session, principal)
    stmt = repo.care_households(reporting.scope_path, q=q, tag=tag)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(Household.id).offset(offset).limit(limit)))
    tags = repo.household_tags(session, [h.id for h in rows])
    paired = {p.household_id for p, _h in repo.pairings_of(session, reporting)}
    return [{"household": h, "tags": tags[h.id], "paired": h.id in paired} for h in rows], total


# ---- 认难题 -------------------------------------------------------------------------------------------

def claim_problem(session: Session, principal: Principal, kind: str, target_id: int) -> ProblemClaim:
    """认难题 — take on an open appeal of the community, or a need of its needs list."""
    reporting = _confirmed_reporting(session, principal)
    if kind not in ("appeal", "need"):
        raise ValidationFailed("难题类型只能是诉求或需求", details={"field": "kind"})
    earlier = session.scalars(select(ProblemClaim).where(ProblemClaim.reporting_id == reporting.id,
                                                         ProblemClaim.target_kind == kind,
                                                         ProblemClaim.target_id == target_id)).first()
    if earlier is not None and earlier.ended_at is None:
        raise Conflict("您已认领该难题", code="already_claimed")
    if len(repo.problems_of(session, reporting)) >= PROBLEM_LIMIT:
        raise Conflict(f"每位党员同时最多认领 {PROBLEM_LIMIT} 个难题", code="problem_limit")
    if kind == "appeal":
        appeal = session.get(Appeal, target_id)
        if appeal is None or not appeal.scope_path.startswith(reporting.scope_path):
            raise NotFound()
        if appeal.status not in OPEN_APPEALS:
            raise Conflict("该诉求已办结，不能再认领", code="appeal_closed")
        title = appeal.title
    else:
        title = _claim_need(session, principal, reporting, target_id)
    if earlier is not None:  # a released problem claimed again: the same row
        earlier.ended_at, earlier.ended_by, earlier.title = None, None, title[:200]
        session.flush()
        return earlier
    claim = ProblemClaim(reporting_id=reporting.id, target_kind=kind, target_id=target_id, title=title[:200],
                         created_at=now(), region_id=reporting.region_id, scope_path=reporting.scope_path)
    session.add(claim)
    session.flush()
    return claim


def _own_or_staff(session: Session, principal: Principal, row: Pairing | ProblemClaim) -> None:
    """A member ends only their own pair or claim (another's is 404); the desk needs volunteers:manage (403) and
    the row inside its scope (404)."""
    if principal.role == "party_member":
        mine = my_reporting(session, principal)
        if mine is None or row.reporting_id != mine.id:
            raise NotFound()
        return
    _staff(principal, row.scope_path)


def end_pair(session: Session, principal: Principal, pairing_id: int) -> Pairing:
    """Ends a pair (认对子): by the member or by the community desk. The row stays, with `ended_at`/`ended_by`,
    so its visits and the year's figures keep it; the household may be paired again later."""
    p = session.get(Pairing, pairing_id)
    if p is None:
        raise NotFound()
    _own_or_staff(session, principal, p)
    p = repo.locked(session, Pairing, p.id)
    if p.ended_at is not None:
        raise Conflict("该结对已结束", code="already_ended")
    p.ended_at, p.ended_by = now(), principal.user_id
    session.flush()
    return p


def release_problem(session: Session, principal: Principal, claim_id: int) -> ProblemClaim:
    """Releases a problem claim (认难题): by the member or by the community desk; the row stays with
    `ended_at`/`ended_by` and no longer counts towards PROBLEM_LIMIT."""
    c = session.get(ProblemClaim, claim_id)
    if c is None:
        raise NotFound()
    _own_or_staff(session, principal, c)
    c = repo.locked(session, ProblemClaim, c.id)
    if c.ended_at is not None:
        raise Conflict("该难题已放弃认领", code="already_ended")
    c.ended_at, c.ended_by = now(), principal.user_id
    session.flush()
    return c


def _claim_need(session: Session, principal: Principal, reporting: Reporting, need_id: int) -> str:
    """A need of the member's own community, claimed through the needs list (its rules decide: a member's claim
    waits for the community to accept it into a project); returns the need's title."""
    need = cobuild.get_need(session, principal, need_id)
    if not need.scope_path.startswith(reporting.scope_path):
        raise NotFound()
    cobuild.claim_need(session, principal, need.id, note="在职党员认难题")
    return need.title


def open_needs(session: Session, principal: Principal, *, q: str | None, limit: int = 10) -> list[Any]:
    """Open needs of the member's community (the needs list decides what the member may read)."""
    reporting = _confirmed_reporting(session, principal)
    rows, _total = cobuild.list_needs(session, principal, q=q, status="open", limit=limit)
    return [n for n in rows if n.scope_path.startswith(reporting.scope_path)]


def open_problems(session: Session, principal: Principal, *, q: str | None, offset: int,
                  limit: int) -> tuple[list[Appeal], int]:
    reporting = _confirmed_reporting(session, principal)
    stmt = repo.open_appeals(reporting.scope_path, OPEN_APPEALS, q=q)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(session.scalars(stmt.order_by(Appeal.id.desc()).offset(offset).limit(limit))), total


# ---- volunteers -------------------------------------------------------------------------------------

def my_volunteer(session: Session, principal: Principal) -> Volunteer | None:
    return repo.volunteer_of_user(session, principal.user_id)


def _roles(roles: Iterable[str]) -> str:
    keys = [r for r in dict.fromkeys(roles) if r]
    bad = [r for r in keys if r not in VOLUNTEER_ROLES]
    if bad or not keys:
        raise ValidationFailed("请至少选择一个志愿者角色", details={"field": "roles", "unknown": bad})
    return ",".join(keys)


def save_profile(session: Session, principal: Principal, *, name: str, roles: Iterable[str],
                 skills: str = "") -> Volunteer:
    """A volunteer keeps their own profile: name, the five roles (one or more) and skills."""
    if principal.role != "volunteer":
        raise Forbidden("只有志愿者账号可以填写志愿者档案")
    name = name.strip()
    if not 2 <= len(name) <= 40:
        raise ValidationFailed("请填写姓名（2–40 字）", details={"field": "name"})
    if len(skills) > 200:
        raise ValidationFailed("特长最多 200 字", details={"field": "skills"})
    keys = _roles(roles)
    v = my_volunteer(session, principal)
    if v is None:
        v = Volunteer(user_id=principal.user_id, name=name, roles=keys, skills=skills.strip(),
                      **_placed(community_of(session, principal)))
        session.add(v)
    else:
        v.name, v.roles, v.skills = name, keys, skills.strip()
    session.flush()
    return v


def resident_by_name(session: Session, principal: Principal, community: Region, name: str) -> int:
    """The one resident of the community with this name (the desk enrols by name), else a form error."""
    _staff(principal, community.path)
    ids = repo.residents_named(session, community.path, name.strip())
    if not ids:
        raise ValidationFailed(f"本社区没有名为「{name.strip()}」的居民", details={"field": "resident_name"})
    if len(ids) > 1:
        raise ValidationFailed(f"本社区有 {len(ids)} 位居民名为「{name.strip()}」，请到居民台账中核对后再添加",
                               details={"field": "resident_name"})
    return ids[0]


def add_resident_volunteer(session: Session, principal: Principal, community: Region, *, resident_id: int,
                           roles: Iterable[str], skills: str = "") -> Volunteer:
    """The community enrols a resident of its registers who has no account."""
    _staff(principal, community.path)
    resident = session.get(Resident, resident_id)
    if resident is None or not resident.scope_path.startswith(community.path):
        raise NotFound()
    if session.scalars(select(Volunteer).where(Volunteer.resident_id == resident.id)).first() is not None:
        raise Conflict("该居民已是志愿者", code="already_volunteer")
    v = Volunteer(resident_id=resident.id, name=resident.name, roles=_roles(roles), skills=skills.strip()[:200],
                  **_placed(community))
    session.add(v)
    session.flush()
    return v


def create_team(session: Session, principal: Principal, community: Region, *, name: str,
                description: str = "") -> Team:
    _staff(principal, community.path)
    name = name.strip()
    if not 2 <= len(name) <= 60:
        raise ValidationFailed("请填写队伍名称（2–60 字）", details={"field": "name"})
    if session.scalars(select(Team).where(Team.scope_path == community.path, Team.name == name)).first():
        raise Conflict("本社区已有同名队伍", code="duplicate_team", details={"field": "name"})
    team = Team(name=name, description=description.strip()[:2000], **_placed(community))
    session.add(team)
    session.flush()
    return team


def get_volunteer(session: Session, principal: Principal, volunteer_id: int) -> Volunteer:
    v = session.get(Volunteer, volunteer_id)
    if v is None or not principal.covers(v.scope_path):
        raise NotFound()
    return v


def set_team(session: Session, principal: Principal, volunteer: Volunteer, team_id: int | None, *,
             leader: bool = False) -> Volunteer:
    """Put a volunteer in one of their community's teams (or none); one leader per team."""
    _staff(principal, volunteer.scope_path)
    if team_id is None:
        volunteer.team_id, volunteer.is_leader = None, False
    else:
        team = session.get(Team, team_id)
        if team is None or team.scope_path != volunteer.scope_path:
            raise ValidationFailed("队伍不存在或不属于该志愿者的社区", details={"field": "team_id"})
        if leader:
            for other in repo.team_members(session, team):
                other.is_leader = False
        volunteer.team_id, volunteer.is_leader = team.id, leader
    session.flush()
    return volunteer


def check_reporter(principal: Principal) -> None:
    """Only volunteers and Party members file 啄木鸟 reports (403 before any photo is stored)."""
    if principal.role not in ("volunteer", "party_member"):
        raise Forbidden("只有志愿者和在职党员可以提交啄木鸟报告")


def file_report(session: Session, principal: Principal, data: AppealCreate,
                photos: Iterable[StoredPhoto] = (), idempotency_key: str | None = None) -> appeals.Intake:
    """啄木鸟 — a volunteer's (or Party member's) report becomes an appeal through the appeal loop's intake,
    on the volunteer channel, with them as its reporter."""
    check_reporter(principal)
    return appeals.intake(session, principal, data.model_copy(update={"channel": "volunteer"}), photos=photos,
                          idempotency_key=idempotency_key)


def team_report_counts(session: Session, teams: list[Team]) -> dict[int, int]:
    out: dict[int, int] = {}
    for t in teams:
        members = repo.team_members(session, t)
        counts = repo.report_counts(session, [m.user_id for m in members])
        out[t.id] = sum(counts.values())
    return out


# ---- service logs ---------------------------------------------------------------------------------------

def log_service(session: Session, principal: Principal, *, served_on: dt.date, hours: float, what: str,
                photos: Iterable[StoredPhoto] = (), post_id: int | None = None, pairing_id: int | None = None,
                problem_id: int | None = None) -> ServiceLog:
    """服务记录 — a reporting member or a volunteer logs service; the community confirms it. A member's log may
    name one of their posts, pairs (a visit) or problems."""
    reporting = volunteer = None
    if principal.role == "party_member":
        reporting = _confirmed_reporting(session, principal)
        place = reporting
    elif principal.role == "volunteer":
        volunteer = my_volunteer(session, principal)
        if volunteer is None:
            raise Conflict("请先填写志愿者档案", code="no_profile")
        place = volunteer  # type: ignore[assignment]
        if post_id or pairing_id or problem_id:
            raise ValidationFailed("志愿者的服务记录不关联岗位、结对或难题", details={"field": "link"})
    else:
        raise Forbidden("只有在职党员和志愿者可以登记服务")
    what = what.strip()
    if not 2 <= len(what) <= 2000:
        raise ValidationFailed("请填写服务内容（2–2000 字）", details={"field": "what"})
    if not 0 < hours <= 24:
        raise ValidationFailed("服务时长须大于 0、不超过 24 小时", details={"field": "hours"})
    if served_on > today():
        raise ValidationFailed("服务日期不能晚于今天", details={"field": "served_on"})
    if served_on < today() - dt.timedelta(days=LOG_MAX_AGE_DAYS):
        raise ValidationFailed("只能登记一年以内的服务", details={"field": "served_on"})
    if reporting is not None:
        _check_link(session, reporting, post_id, pairing_id, problem_id)
    log = ServiceLog(reporting_id=reporting.id if reporting else None, volunteer_id=volunteer.id if volunteer else None,
                     user_id=principal.user_id, served_on=served_on, hours=round(float(hours), 1), what=what,
                     post_id=post_id, pairing_id=pairing_id, problem_id=problem_id, status="pending",
                     photos=[asdict(p) for p in photos], created_at=now(), region_id=place.region_id,
                     scope_path=place.scope_path)
    session.add(log)
    session.flush()
    return log


def _check_link(session: Session, reporting: Reporting, post_id: int | None, pairing_id: int | None,
                problem_id: int | None) -> None:
    if sum(x is not None for x in (post_id, pairing_id, problem_id)) > 1:
        raise ValidationFailed("一条服务记录只能关联一个岗位、结对或难题", details={"field": "link"})
    if post_id is not None:
        post = session.get(ServicePost, post_id)
        if post is None or repo.post_claim(session, post, reporting) is None:
            raise ValidationFailed("只能关联您认领的岗位", details={"field": "link"})
    if pairing_id is not None:
        p = session.get(Pairing, pairing_id)
        if p is None or p.reporting_id != reporting.id or p.ended_at is not None:
            raise ValidationFailed("只能关联您的结对户", details={"field": "link"})
    if problem_id is not None:
        c = session.get(ProblemClaim, problem_id)
        if c is None or c.reporting_id != reporting.id or c.ended_at is not None:
            raise ValidationFailed("只能关联您认领的难题", details={"field": "link"})


def get_log(session: Session, principal: Principal, log_id: int) -> ServiceLog:
    """A log its author or the community desk may see."""
    log = session.get(ServiceLog, log_id)
    if log is None or not (log.user_id == principal.user_id or (principal.can(READ) and
                                                                principal.covers(log.scope_path))):
        raise NotFound()
    return log


def decide_log(session: Session, principal: Principal, log: ServiceLog, *, confirm: bool,
               reason: str = "") -> ServiceLog:
    """The community confirms a log (its hours then count and earn `service_hour` points, once) or sends it
    back with a reason. Only a pending log is decided."""
    _staff(principal, log.scope_path)
    log = repo.locked(session, ServiceLog, log.id)  # two desks deciding at once: the second sees the first
    if log.status != "pending":
        raise Conflict("该服务记录已处理", code="already_decided")
    if not confirm and not reason.strip():
        raise ValidationFailed("请填写退回原因", details={"field": "reason"})
    log.status = "confirmed" if confirm else "rejected"
    log.decided_by, log.decided_at, log.reason = principal.user_id, now(), reason.strip()[:200]
    session.flush()
    if confirm:
        award_hours(session, log)
    if log.user_id:
        notify.notify(session, [log.user_id], title="服务记录已确认" if confirm else "服务记录被退回",
                      body=f"{log.served_on:%m月%d日} {log.hours:g} 小时：{log.what[:40]}"
                      + ("" if confirm else f"。原因：{log.reason}"),
                      link="/volunteers/party" if log.reporting_id else "/volunteers/me", kind="volunteers")
    return log


def award_hours(session: Session, log: ServiceLog) -> Any:
    """Points for a confirmed log: the points ledger's `service_hour` rule, idempotent on the log."""
    if log.status != "confirmed" or log.user_id is None:
        return None
    return points.award(session, community_id=log.region_id, user_id=log.user_id, rule="service_hour",
                        ref=f"volunteers.log:{log.id}", quantity=log.hours, note=log.what[:60])


def hours_summary(session: Session, *, reporting: Reporting | None = None,
                  volunteer: Volunteer | None = None) -> dict[str, float]:
    out = {"confirmed": 0.0, "pending": 0.0, "rejected": 0.0, "year": 0.0}
    for log in session.scalars(repo.own_logs(reporting=reporting, volunteer=volunteer)):
        out[log.status] += log.hours
        if log.status == "confirmed" and log.served_on.year == today().year:
            out["year"] += log.hours
    return {k: round(v, 1) for k, v in out.items()}


# ---- 一评 and 双报告 --------------------------------------------------------------------------------------

def figures(session: Session, reporting: Reporting, year: int) -> dict[str, Any]:
    """The year's figures, counted from the rows: 啄木鸟 reports filed, confirmed hours, posts and pairs held by
    the year's end, problems claimed in the year."""
    start = dt.datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    reports = 0
    if reporting.user_id is not None:
        reports = session.scalar(select(func.count()).select_from(Appeal).where(
            Appeal.reporter_id == reporting.user_id, Appeal.channel == "volunteer", Appeal.created_at >= start,
            Appeal.created_at < end)) or 0
    hours = repo.confirmed_hours(session, reporting_ids=[reporting.id], year=year).get(("r", reporting.id), 0.0)
    posts = session.scalar(select(func.count()).select_from(PostClaim).where(
        PostClaim.reporting_id == reporting.id, PostClaim.created_at < end)) or 0
    pairs = session.scalar(select(func.count()).select_from(Pairing).where(
        Pairing.reporting_id == reporting.id, Pairing.created_at < end)) or 0
    problems = session.scalar(select(func.count()).select_from(ProblemClaim).where(
        ProblemClaim.reporting_id == reporting.id, ProblemClaim.created_at >= start,
        ProblemClaim.created_at < end)) or 0
    logs = session.scalar(select(func.count()).select_from(ServiceLog).where(
        ServiceLog.reporting_id == reporting.id, ServiceLog.status == "confirmed",
        ServiceLog.served_on >= dt.date(year, 1, 1), ServiceLog.served_on <= dt.date(year, 12, 31))) or 0
    return {"reports": reports, "hours": round(hours, 1), "logs": logs, "posts": posts, "pairs": pairs,
            "problems": problems}


def evaluate(session: Session, principal: Principal, reporting: Reporting, *, year: int, grade: str,
             comment: str = "") -> Evaluation:
    """一评 — the community grades a confirmed member for a finished or current year; grading again replaces the
    grade and recounts the figures."""
    _staff(principal, reporting.scope_path)
    if reporting.status != "confirmed":
        raise Conflict("只能评议已报到的党员", code="not_confirmed")
    if grade not in GRADES:
        raise ValidationFailed(f"等次只能是：{'、'.join(GRADES)}", details={"field": "grade"})
    if not 2000 <= year <= today().year:
        raise ValidationFailed("年度不正确", details={"field": "year"})
    if len(comment) > 2000:
        raise ValidationFailed("评语最多 2000 字", details={"field": "comment"})
    ev = repo.evaluation(session, reporting, year)
    if ev is None:
        ev = Evaluation(reporting_id=reporting.id, year=year, region_id=reporting.region_id,
                        scope_path=reporting.scope_path)
        session.add(ev)
    ev.grade, ev.comment, ev.evaluated_by = grade, comment.strip(), principal.user_id
    ev.figures = figures(session, reporting, year)
    session.flush()
    return ev


def report_letters(session: Session, reportings: list[Reporting], year: int) -> list[dict[str, Any]]:
    """What each 双报告 letter says: member, unit, community, figures, grade, comment. Members without an
    evaluation for the year are left out."""
    evs = repo.evaluations_for(session, [r.id for r in reportings], year)
    out = []
    for r in reportings:
        ev = evs.get(r.id)
        if ev is None:
            continue
        m = repo.member(session, r)
        community = session.get(Region, r.region_id)
        out.append({"name": m.name, "employer": m.employer_name or "", "community": community.name if community
                    else "", "year": year, "grade": ev.grade, "comment": ev.comment, "figures": ev.figures,
                    "evaluated_at": ev.updated_at})
    return out


def member_report(session: Session, principal: Principal, reporting: Reporting, year: int) -> list[dict[str, Any]]:
    """One member's letter: for the community desk, or for the handler of the member's employer unit."""
    if not _may_read_report(session, principal, reporting):
        raise NotFound()
    letters = report_letters(session, [reporting], year)
    if not letters:
        raise NotFound(f"{year} 年尚未评议该党员")
    return letters


def _may_read_report(session: Session, principal: Principal, reporting: Reporting) -> bool:
    if principal.can(READ) and principal.covers(reporting.scope_path):
        return True
    return principal.unit_id is not None and principal.role == "department_handler" and \
        repo.member(session, reporting).employer_unit_id == principal.unit_id


def unit_report(session: Session, principal: Principal, unit_id: int, year: int) -> tuple[Unit, list[dict[str, Any]]]:
    """Every evaluated member of one employer unit in one document: the unit's handler gets all of them, the
    community desk those reporting inside its scope."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    if principal.role == "department_handler" and principal.unit_id == unit_id:
        stmt = repo.employer_reportings(unit_id)
    elif principal.can(READ):
        stmt = repo.reportings(principal, status="confirmed", unit_id=unit_id)
    else:
        raise Forbidden("只有社区或该单位的经办人可以下载")
    reportings = [r for r, _m in session.execute(stmt.order_by(Reporting.id)).tuples()]
    letters = report_letters(session, reportings, year)
    if not letters:
        raise NotFound(f"{year} 年该单位没有已评议的报到党员")
    return unit, letters
