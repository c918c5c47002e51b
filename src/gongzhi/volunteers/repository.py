"""SQL for 双报到 and volunteers. Every row carries its community's `scope_path`; `scoped` is the one place that
restricts a statement to what an actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from gongzhi.core.auth import Principal
from gongzhi.core.db import prefix_range
from gongzhi.people.models import Household, PartyMember, Resident
from gongzhi.volunteers.models import (
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


def scoped(stmt: Select[Any], principal: Principal, column: Any) -> Select[Any]:
    clause = principal.scope_clause(column)
    return stmt if clause is None else stmt.where(clause)


def page(session: Session, stmt: Select[Any], order: Iterable[Any], offset: int, limit: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()), total


# ---- reporting members ---------------------------------------------------------------------------------

def reporting_of_user(session: Session, user_id: int) -> Reporting | None:
    return session.scalars(select(Reporting).where(Reporting.user_id == user_id)).first()


def reportings(principal: Principal, *, q: str | None = None, status: str | None = None,
               unit_id: int | None = None) -> Select[Any]:
    stmt = select(Reporting, PartyMember).join(PartyMember, PartyMember.id == Reporting.member_id)
    if q:
        stmt = stmt.where(or_(PartyMember.name.contains(q), PartyMember.employer_name.contains(q)))
    if status:
        stmt = stmt.where(Reporting.status == status)
    if unit_id is not None:
        stmt = stmt.where(PartyMember.employer_unit_id == unit_id)
    return scoped(stmt, principal, Reporting.scope_path)


def unlinked_member(session: Session, community_path: str, name: str, employer_name: str) -> PartyMember | None:
    """The community's one in-service member of this name and employer that no reporting uses yet, if exactly one."""
    used = select(Reporting.member_id)
    rows = list(session.scalars(select(PartyMember).where(
        PartyMember.scope_path == community_path, PartyMember.kind == "in_service", PartyMember.name == name,
        PartyMember.employer_name == employer_name, PartyMember.id.not_in(used)).limit(2)))
    return rows[0] if len(rows) == 1 else None


def employer_reportings(unit_id: int) -> Select[Any]:
    """An employer unit's members wherever they report: what the unit's handler may see."""
    return select(Reporting, PartyMember).join(PartyMember, PartyMember.id == Reporting.member_id).where(
        PartyMember.employer_unit_id == unit_id, Reporting.status == "confirmed")


def member(session: Session, reporting: Reporting) -> PartyMember:
    m = session.get(PartyMember, reporting.member_id)
    assert m is not None
    return m


# ---- posts, pairs, problems ----------------------------------------------------------------------------

def posts(community_path: str, *, active_only: bool = True) -> Select[Any]:
    stmt = select(ServicePost).where(ServicePost.scope_path == community_path)
    return stmt.where(ServicePost.is_active.is_(True)) if active_only else stmt


def claim_counts(session: Session, post_ids: Iterable[int]) -> dict[int, int]:
    ids = list(post_ids)
    if not ids:
        return {}
    rows = session.execute(select(PostClaim.post_id, func.count()).where(PostClaim.post_id.in_(ids))
                           .group_by(PostClaim.post_id))
    return dict(rows.tuples().all())


def claimed_posts(session: Session, reporting: Reporting) -> list[ServicePost]:
    return list(session.scalars(select(ServicePost).join(PostClaim, PostClaim.post_id == ServicePost.id)
                                .where(PostClaim.reporting_id == reporting.id).order_by(ServicePost.id)))


def post_claim(session: Session, post: ServicePost, reporting: Reporting) -> PostClaim | None:
    return session.scalars(select(PostClaim).where(PostClaim.post_id == post.id,
                                                   PostClaim.reporting_id == reporting.id)).first()


def locked(session: Session, model: Any, row_id: int) -> Any:
    """The row, locked until the transaction ends and read afresh (PostgreSQL's FOR UPDATE; SQLite has one writer
    at a time anyway): decisions and claims on one row queue behind each other and see what the one before
    them committed."""
    return session.scalars(select(model).where(model.id == row_id).with_for_update()
                           .execution_options(populate_existing=True)).first()


def care_households(community_path: str, *, q: str | None = None, tag: str | None = None) -> Select[Any]:
    """Households of the community with at least one resident carrying a care tag (or this tag)."""
    has_tag = Resident.care_tags.contains(tag) if tag else Resident.care_tags != ""
    members = select(Resident.household_id).where(prefix_range(Resident.scope_path, community_path), has_tag,
                                                  Resident.household_id.is_not(None))
    stmt = select(Household).where(Household.id.in_(members))
    if q:
        stmt = stmt.where(or_(Household.head_name.contains(q), Household.address.contains(q)))
    return stmt


def household_tags(session: Session, household_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(household_ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    for hid, tags in session.execute(select(Resident.household_id, Resident.care_tags)
                                     .where(Resident.household_id.in_(ids), Resident.care_tags != "")):
        for t in tags.split(","):
            if t and t not in out[hid]:
                out[hid].append(t)
    return out


def pairings_of(session: Session, reporting: Reporting) -> list[tuple[Pairing, Household]]:
    return list(session.execute(select(Pairing, Household).join(Household, Household.id == Pairing.household_id)
                                .where(Pairing.reporting_id == reporting.id, Pairing.ended_at.is_(None))
                                .order_by(Pairing.id)).tuples())


def pairings(principal: Principal, *, q: str | None = None) -> Select[Any]:
    stmt = (select(Pairing, Household, PartyMember).join(Household, Household.id == Pairing.household_id)
            .join(Reporting, Reporting.id == Pairing.reporting_id)
            .join(PartyMember, PartyMember.id == Reporting.member_id))
    if q:
        stmt = stmt.where(or_(PartyMember.name.contains(q), Household.head_name.contains(q),
                              Household.address.contains(q)))
    return scoped(stmt, principal, Pairing.scope_path)


def problem_claims(principal: Principal, *, q: str | None = None) -> Select[Any]:
    """Members' problem claims (current and released) with the member, for the desk."""
    stmt = (select(ProblemClaim, PartyMember).join(Reporting, Reporting.id == ProblemClaim.reporting_id)
            .join(PartyMember, PartyMember.id == Reporting.member_id))
    if q:
        stmt = stmt.where(or_(PartyMember.name.contains(q), ProblemClaim.title.contains(q)))
    return scoped(stmt, principal, ProblemClaim.scope_path)


def count_pairings(session: Session, reporting: Reporting) -> int:
    return session.scalar(select(func.count()).where(Pairing.reporting_id == reporting.id,
                                                    Pairing.ended_at.is_(None))) or 0


def visit_counts(session: Session, pairing_ids: Iterable[int]) -> dict[int, int]:
    ids = list(pairing_ids)
    if not ids:
        return {}
    rows = session.execute(select(ServiceLog.pairing_id, func.count()).where(ServiceLog.pairing_id.in_(ids))
                           .group_by(ServiceLog.pairing_id))
    return {k: v for k, v in rows.tuples() if k is not None}


def problems_of(session: Session, reporting: Reporting) -> list[ProblemClaim]:
    return list(session.scalars(select(ProblemClaim).where(ProblemClaim.reporting_id == reporting.id,
                                                          ProblemClaim.ended_at.is_(None))
                                .order_by(ProblemClaim.id.desc())))


def open_appeals(community_path: str, statuses: Iterable[str], *, q: str | None = None) -> Select[Any]:
    stmt = select(Appeal).where(prefix_range(Appeal.scope_path, community_path), Appeal.status.in_(list(statuses)))
    if q:
        stmt = stmt.where(or_(Appeal.title.contains(q), Appeal.address.contains(q)))
    return stmt


# ---- volunteers and teams ------------------------------------------------------------------------------

def volunteer_of_user(session: Session, user_id: int) -> Volunteer | None:
    return session.scalars(select(Volunteer).where(Volunteer.user_id == user_id)).first()


def volunteers(principal: Principal, *, q: str | None = None, role: str | None = None,
               team_id: int | None = None) -> Select[Any]:
    stmt = select(Volunteer)
    if q:
        stmt = stmt.where(or_(Volunteer.name.contains(q), Volunteer.skills.contains(q)))
    if role:
        stmt = stmt.where(Volunteer.roles.contains(role))
    if team_id is not None:
        stmt = stmt.where(Volunteer.team_id == team_id)
    return scoped(stmt, principal, Volunteer.scope_path)


def teams(principal: Principal) -> Select[Any]:
    return scoped(select(Team), principal, Team.scope_path)


def team_members(session: Session, team: Team) -> list[Volunteer]:
    return list(session.scalars(select(Volunteer).where(Volunteer.team_id == team.id)
                                .order_by(Volunteer.is_leader.desc(), Volunteer.id)))


def report_counts(session: Session, user_ids: Iterable[int | None]) -> dict[int, int]:
    """啄木鸟 reports (appeals filed through the volunteer channel) per reporting user."""
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(Appeal.reporter_id, func.count()).where(
        Appeal.reporter_id.in_(ids), Appeal.channel == "volunteer").group_by(Appeal.reporter_id))
    return {k: v for k, v in rows.tuples() if k is not None}


def residents_named(session: Session, community_path: str, name: str) -> list[int]:
    return list(session.scalars(select(Resident.id).where(prefix_range(Resident.scope_path, community_path),
                                                          Resident.name == name).limit(5)))


def reports_by(user_id: int) -> Select[Any]:
    return select(Appeal).where(Appeal.reporter_id == user_id, Appeal.channel == "volunteer")


# ---- service logs --------------------------------------------------------------------------------------

def logs(principal: Principal, *, q: str | None = None, status: str | None = None,
         start: dt.date | None = None, end: dt.date | None = None, who: str | None = None) -> Select[Any]:
    """Logs with the name of whoever served (a reporting member's or a volunteer's)."""
    name = func.coalesce(PartyMember.name, Volunteer.name).label("name")
    stmt = (select(ServiceLog, name)
            .outerjoin(Reporting, Reporting.id == ServiceLog.reporting_id)
            .outerjoin(PartyMember, PartyMember.id == Reporting.member_id)
            .outerjoin(Volunteer, Volunteer.id == ServiceLog.volunteer_id))
    if q:
        stmt = stmt.where(or_(PartyMember.name.contains(q), Volunteer.name.contains(q), ServiceLog.what.contains(q)))
    if status:
        stmt = stmt.where(ServiceLog.status == status)
    if start:
        stmt = stmt.where(ServiceLog.served_on >= start)
    if end:
        stmt = stmt.where(ServiceLog.served_on <= end)
    if who == "party":
        stmt = stmt.where(ServiceLog.reporting_id.is_not(None))
    elif who == "volunteer":
        stmt = stmt.where(ServiceLog.volunteer_id.is_not(None))
    return scoped(stmt, principal, ServiceLog.scope_path)


def own_logs(*, reporting: Reporting | None = None, volunteer: Volunteer | None = None) -> Select[Any]:
    if reporting is not None:
        return select(ServiceLog).where(ServiceLog.reporting_id == reporting.id)
    assert volunteer is not None
    return select(ServiceLog).where(ServiceLog.volunteer_id == volunteer.id)


def confirmed_hours(session: Session, *, reporting_ids: Iterable[int] = (), volunteer_ids: Iterable[int] = (),
                    year: int | None = None) -> dict[tuple[str, int], float]:
    """Confirmed hours per ("r", reporting id) and ("v", volunteer id), for one year or all time."""
    out: dict[tuple[str, int], float] = {}
    for key, column, ids in (("r", ServiceLog.reporting_id, list(reporting_ids)),
                             ("v", ServiceLog.volunteer_id, list(volunteer_ids))):
        if not ids:
            continue
        stmt = select(column, func.sum(ServiceLog.hours)).where(column.in_(ids), ServiceLog.status == "confirmed")
        if year is not None:
            stmt = stmt.where(ServiceLog.served_on >= dt.date(year, 1, 1),
                              ServiceLog.served_on <= dt.date(year, 12, 31))
        for k, v in session.execute(stmt.group_by(column)).tuples():
            out[(key, k)] = float(v or 0)
    return out


# ---- evaluations ---------------------------------------------------------------------------------------

def evaluation(session: Session, reporting: Reporting, year: int) -> Evaluation | None:
    return session.scalars(select(Evaluation).where(Evaluation.reporting_id == reporting.id,
                                                    Evaluation.year == year)).first()


def evaluations_for(session: Session, reporting_ids: Iterable[int], year: int) -> dict[int, Evaluation]:
    ids = list(reporting_ids)
    if not ids:
        return {}
    return {e.reporting_id: e for e in session.scalars(select(Evaluation).where(
        Evaluation.reporting_id.in_(ids), Evaluation.year == year))}
