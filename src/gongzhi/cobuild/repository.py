"""Co-building SQL and data scope. Every read of a need, resource, project, wish or committee goes through the
`*_filter(principal)` clauses here: staff see their scope; a unit's handler, volunteers and Party members see
their community (to claim); residents see what they posted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gongzhi.cobuild.models import (
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
from gongzhi.orgs.models import Unit
from gongzhi.regions.models import Region

STAFF_ROLES = frozenset({"admin", "leader", "street_staff", "community_staff", "grid_worker"})
SERVING_ROLES = frozenset({"volunteer", "party_member"})  # claim needs and wishes in their community


def is_unit_handler(principal: Principal) -> bool:
    return principal.role == "department_handler" and principal.unit_id is not None


def _sees_scope(principal: Principal) -> bool:
    return principal.role in STAFF_ROLES or principal.role in SERVING_ROLES or is_unit_handler(principal)


def need_filter(principal: Principal) -> Any:
    if principal.sees_all:
        return None
    mine = Need.created_by_id == principal.user_id
    if _sees_scope(principal):
        return or_(principal.scope_clause(Need.scope_path), mine)
    return mine


def resource_filter(principal: Principal) -> Any:
    """Resources are offered to be found: a resident sees those of their grid and the places above it."""
    if principal.sees_all:
        return None
    # everyone sees what is offered at their own place or above it (a community's resources, to a resident)
    mine = or_(Resource.user_id == principal.user_id, Resource.scope_path.in_(ancestor_paths(principal.scope_path)))
    if _sees_scope(principal) or principal.role == "resident":
        return or_(principal.scope_clause(Resource.scope_path), mine)
    return mine


def project_filter(principal: Principal) -> Any:
    if principal.sees_all:
        return None
    mine = or_(Project.owner_user_id == principal.user_id,
               Project.need_id.in_(select(Need.id).where(Need.created_by_id == principal.user_id)))
    if _sees_scope(principal):
        return or_(principal.scope_clause(Project.scope_path), mine)
    return mine


def wish_filter(principal: Principal) -> Any:
    if principal.sees_all:
        return None
    mine = or_(Wish.poster_id == principal.user_id, Wish.claimer_id == principal.user_id)
    if principal.role in STAFF_ROLES:
        return or_(principal.scope_clause(Wish.scope_path), mine)
    if principal.role in SERVING_ROLES:  # not yet approved or hidden wishes stay with staff and the poster
        return or_(mine, (principal.scope_clause(Wish.scope_path)) & Wish.status.notin_(("pending", "hidden")))
    return mine


def _where(stmt: Select[Any], clause: Any) -> Select[Any]:
    return stmt if clause is None else stmt.where(clause)


def readable_needs(principal: Principal) -> Select[Any]:
    return _where(select(Need), need_filter(principal))


def readable_resources(principal: Principal) -> Select[Any]:
    return _where(select(Resource), resource_filter(principal))


def readable_projects(principal: Principal) -> Select[Any]:
    return _where(select(Project), project_filter(principal))


def readable_wishes(principal: Principal) -> Select[Any]:
    return _where(select(Wish), wish_filter(principal))


def get_need(session: Session, principal: Principal, need_id: int, *, lock: bool = False) -> Need | None:
    stmt = readable_needs(principal).where(Need.id == need_id)
    if lock:  # re-read under the lock: the row may have changed since this session loaded it
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def get_resource(session: Session, principal: Principal, resource_id: int) -> Resource | None:
    return session.scalars(readable_resources(principal).where(Resource.id == resource_id)).first()


def get_project(session: Session, principal: Principal, project_id: int) -> Project | None:
    return session.scalars(readable_projects(principal).where(Project.id == project_id)).first()


def get_wish(session: Session, principal: Principal, wish_id: int, *, lock: bool = False) -> Wish | None:
    stmt = readable_wishes(principal).where(Wish.id == wish_id)
    if lock:  # re-read under the lock: the row may have changed since this session loaded it
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def page(session: Session, stmt: Select[Any], order: Iterable[Any], offset: int, limit: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.order_by(*order).offset(offset).limit(limit))), total


# ---- regions and units ------------------------------------------------------------------------------------

def region_by_code(session: Session, code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.code == code)).first()


def ancestor_paths(path: str) -> list[str]:
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]


def community_of(session: Session, path: str) -> Region | None:
    return session.scalars(select(Region).where(Region.path.in_(ancestor_paths(path)),
                                                Region.level == "community")).first()


def units_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Unit]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(wanted)))}


def regions_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Region]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(wanted)))}


# ---- the committee ----------------------------------------------------------------------------------------

def memberships(session: Session, region: Region, *, active: bool | None = True) -> list[CommitteeMembership]:
    stmt = select(CommitteeMembership).where(CommitteeMembership.region_id == region.id)
    if active is not None:
        stmt = stmt.where(CommitteeMembership.is_active.is_(active))
    return list(session.scalars(stmt.order_by(CommitteeMembership.signed_on, CommitteeMembership.id)))


def membership(session: Session, region: Region, membership_id: int) -> CommitteeMembership | None:
    return session.scalars(select(CommitteeMembership).where(CommitteeMembership.region_id == region.id,
                                                             CommitteeMembership.id == membership_id)).first()


def membership_of_unit(session: Session, region: Region, unit_id: int) -> CommitteeMembership | None:
    return session.scalars(select(CommitteeMembership).where(CommitteeMembership.region_id == region.id,
                                                             CommitteeMembership.unit_id == unit_id)).first()


def memberships_of_unit(session: Session, unit_id: int) -> list[CommitteeMembership]:
    return list(session.scalars(select(CommitteeMembership).where(CommitteeMembership.unit_id == unit_id)
                                .order_by(CommitteeMembership.id)))


def officers(session: Session, membership_ids: list[int]) -> list[CommitteeOfficer]:
    if not membership_ids:
        return []
    return list(session.scalars(select(CommitteeOfficer).where(CommitteeOfficer.membership_id.in_(membership_ids))
                                .order_by(CommitteeOfficer.id)))


def chair_terms(session: Session, region: Region, year: int) -> list[ChairTerm]:
    return list(session.scalars(select(ChairTerm).where(ChairTerm.region_id == region.id, ChairTerm.year == year)
                                .order_by(ChairTerm.slot)))


def last_chaired(session: Session, region: Region, before_year: int) -> dict[int, int]:
    """unit id → the last year (before `before_year`) it chaired this committee."""
    rows = session.execute(select(ChairTerm.unit_id, func.max(ChairTerm.year)).where(
        ChairTerm.region_id == region.id, ChairTerm.year < before_year).group_by(ChairTerm.unit_id))
    return dict(rows.tuples().all())


def chair_terms_of_unit(session: Session, unit_id: int) -> list[ChairTerm]:
    return list(session.scalars(select(ChairTerm).where(ChairTerm.unit_id == unit_id)
                                .order_by(ChairTerm.year.desc(), ChairTerm.slot)))


def meetings(session: Session, region: Region) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(Meeting.region_id == region.id)
                                .order_by(Meeting.held_at.desc())))


def meeting(session: Session, meeting_id: int) -> Meeting | None:
    return session.get(Meeting, meeting_id)


def meetings_of_unit(session: Session, unit_id: int) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(Meeting.chair_unit_id == unit_id)
                                .order_by(Meeting.held_at.desc())))


def attendance(session: Session, meeting: Meeting) -> list[MeetingAttendance]:
    return list(session.scalars(select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id)
                                .order_by(MeetingAttendance.id)))


# ---- claims, capacity, ratings ----------------------------------------------------------------------------

def claims_of_need(session: Session, need: Need) -> list[Claim]:
    return list(session.scalars(select(Claim).where(Claim.need_id == need.id).order_by(Claim.id)))


def claim(session: Session, claim_id: int) -> Claim | None:
    return session.get(Claim, claim_id)


def pending_claims(session: Session, need_ids: list[int]) -> list[Claim]:
    if not need_ids:
        return []
    return list(session.scalars(select(Claim).where(Claim.need_id.in_(need_ids), Claim.status == "pending")
                                .order_by(Claim.id)))


def used_capacity(session: Session, resource_ids: Iterable[int]) -> dict[int, int]:
    """Needs each resource has taken on: accepted claims whose project was not cancelled."""
    wanted = list(set(resource_ids))
    if not wanted:
        return {}
    stmt = (select(Claim.resource_id, func.count()).join(Project, Project.claim_id == Claim.id)
            .where(Claim.resource_id.in_(wanted), Claim.status == "accepted", Project.status != "cancelled")
            .group_by(Claim.resource_id))
    return dict(session.execute(stmt).tuples().all())


def provider_ratings(session: Session, resource_ids: Iterable[int]) -> dict[int, tuple[float, int]]:
    """resource id → (average rating, count) over the rated projects of the same provider (its unit, or the
    user who offers it): a provider's record follows all of its resources."""
    wanted = list(set(resource_ids))
    if not wanted:
        return {}
    res = list(session.execute(select(Resource.id, Resource.unit_id, Resource.user_id, Resource.provider_name)
                               .where(Resource.id.in_(wanted))))
    rated = session.execute(select(Resource.unit_id, Resource.user_id, Resource.provider_name,
                                   func.avg(Project.rating), func.count())
                            .join(Project, Project.resource_id == Resource.id).where(Project.rating.is_not(None))
                            .group_by(Resource.unit_id, Resource.user_id, Resource.provider_name))
    by_unit: dict[int, list[float]] = {}
    by_user: dict[int, list[float]] = {}
    by_name: dict[str, list[float]] = {}
    for unit_id, user_id, name, avg, n in rated:
        for key, table in ((unit_id, by_unit), (user_id, by_user)):
            if key is not None:
                acc = table.setdefault(key, [0.0, 0])
                acc[0] += float(avg) * n
                acc[1] += n
        if unit_id is None and user_id is None:
            acc = by_name.setdefault(name, [0.0, 0])
            acc[0] += float(avg) * n
            acc[1] += n
    out: dict[int, tuple[float, int]] = {}
    for rid, unit_id, user_id, name in res:
        acc = (by_unit.get(unit_id) if unit_id is not None else by_user.get(user_id) if user_id is not None
               else by_name.get(name))
        if acc and acc[1]:
            out[rid] = (acc[0] / acc[1], int(acc[1]))
    return out


def resources_for(session: Session, community: Region) -> list[Resource]:
    """Active resources that can serve a community: offered inside it, or at its street or above."""
    from gongzhi.core.db import prefix_range

    stmt = select(Resource).where(Resource.is_active.is_(True), or_(
        prefix_range(Resource.scope_path, community.path), Resource.scope_path.in_(ancestor_paths(community.path))))
    return list(session.scalars(stmt.order_by(Resource.id)))


def open_needs_in(session: Session, community: Region) -> list[Need]:
    from gongzhi.core.db import prefix_range

    return list(session.scalars(select(Need).where(prefix_range(Need.scope_path, community.path),
                                                   Need.status == "open").order_by(Need.id)))


def steps(session: Session, project: Project) -> list[ProjectStep]:
    return list(session.scalars(select(ProjectStep).where(ProjectStep.project_id == project.id)
                                .order_by(ProjectStep.seq)))


def step(session: Session, project: Project, step_id: int) -> ProjectStep | None:
    return session.scalars(select(ProjectStep).where(ProjectStep.project_id == project.id,
                                                     ProjectStep.id == step_id)).first()


def projects_of_need(session: Session, need: Need) -> list[Project]:
    return list(session.scalars(select(Project).where(Project.need_id == need.id).order_by(Project.id)))


def projects_of_unit(session: Session, unit_id: int) -> list[Project]:
    return list(session.scalars(select(Project).where(Project.unit_id == unit_id).order_by(Project.id.desc())))


def claims_by_unit(session: Session, unit_id: int) -> list[Claim]:
    stmt = select(Claim).join(Resource, Resource.id == Claim.resource_id).where(Resource.unit_id == unit_id)
    return list(session.scalars(stmt.order_by(Claim.id.desc()).limit(50)))


# ---- wishes -----------------------------------------------------------------------------------------------

def open_claims_of(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Wish).where(Wish.claimer_id == user_id,
                                                                           Wish.status == "claimed")) or 0)


def wish_timeline(session: Session, wish: Wish) -> list[WishEvent]:
    return list(session.scalars(select(WishEvent).where(WishEvent.wish_id == wish.id).order_by(WishEvent.seq)))


def count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
