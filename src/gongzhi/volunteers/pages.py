"""双报到 and volunteer pages: the Party member's phone page (报到, posts, pairs, problems, service log), the
volunteer's phone page (profile, team, 啄木鸟 reports, service log), the community desk (tabs: members, posts,
pairs, service logs, volunteers and teams, evaluations; Word and Excel downloads) and the employer unit's
page. Thin: each route parses a form and calls one service function."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals import api as appeals_api
from gongzhi.appeals import media
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.pages import CHANNEL_LABELS, read_photos
from gongzhi.appeals.service import to_dict as appeal_dict
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.register_api import xlsx_response
from gongzhi.core.settings import get_settings
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, PageParams, SessionDep, render, require, templates
from gongzhi.orgs.models import Unit
from gongzhi.people.models import CARE_TAGS, PartyMember
from gongzhi.regions.models import Region
from gongzhi.volunteers import excel, report, service
from gongzhi.volunteers import repository as repo
from gongzhi.volunteers.models import (
    GRADES,
    LOG_LABELS,
    PROBLEM_KINDS,
    REPORT_LABELS,
    VOLUNTEER_ROLES,
    Pairing,
    ProblemClaim,
    Reporting,
    ServiceLog,
    Team,
    Volunteer,
)

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, require(service.MANAGE)]  # the desk's changes: 403 before any lookup
Reader = Annotated[Principal, require(service.READ)]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABS = {"members": N_("报到党员"), "posts": N_("服务岗位"), "pairs": N_("结对帮扶"), "problems": N_("认领难题"),
        "logs": N_("服务记录"),
        "volunteers": N_("志愿者与队伍"), "evaluations": N_("年度评议")}


def _only(*roles: str) -> Any:
    def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden("该页面不适用于您的角色")
        return principal

    return Depends(_check)


def volunteer_nav(principal: Principal) -> list[tuple[str, str, str]]:
    """This domain's entries in the top menu for the role: (url, label, nav key)."""
    if principal.role == "party_member":
        return [("/volunteers/party", N_("双报到"), "vol-party")]
    if principal.role == "volunteer":
        return [("/volunteers/me", N_("志愿服务"), "vol-me")]
    if principal.can(service.READ):
        return [("/volunteers/desk", N_("党员志愿者"), "vol-desk")]
    if principal.role == "department_handler" and principal.unit_id is not None:
        return [("/volunteers/employer", N_("本单位在职党员"), "vol-employer")]
    return []


templates.env.globals["volunteer_nav"] = volunteer_nav


def _done(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _int(value: Any, field: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ValidationFailed("请填写整数", details={"field": field}) from exc


def _error(exc: AppError) -> dict[str, str]:
    d = exc.details
    field = str(d["field"]) if isinstance(d, dict) and isinstance(d.get("field"), str) else "_"
    if isinstance(d, dict) and "file" in d:
        field = "photos"
    return {field: exc.message}


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


# ---- the Party member's phone page ----------------------------------------------------------------------

def _party_context(session: Session, principal: Principal) -> dict[str, Any]:
    reporting = service.my_reporting(session, principal)
    ctx: dict[str, Any] = {"title": "双报到", "nav": "vol-party", "reporting": reporting,
                           "report_labels": REPORT_LABELS, "log_labels": LOG_LABELS, "today": service.today()}
    if reporting is None:
        ctx["community"] = service.community_of(session, principal)
        ctx["units"] = list(session.scalars(select(Unit.name).where(Unit.kind.not_in(("商铺",))).order_by(Unit.name)
                                            .limit(300)))
        return ctx
    ctx["member"] = repo.member(session, reporting)
    ctx["community"] = session.get(Region, reporting.region_id)
    ctx["posts"] = service.posts_view(session, reporting.scope_path, reporting)
    ctx["pairs"] = repo.pairings_of(session, reporting)
    ctx["visits"] = repo.visit_counts(session, [p.id for p, _h in ctx["pairs"]])
    ctx["problems"] = repo.problems_of(session, reporting)
    ctx["logs"] = list(session.scalars(repo.own_logs(reporting=reporting)
                                       .order_by(ServiceLog.served_on.desc(), ServiceLog.id.desc()).limit(20)))
    ctx["hours"] = service.hours_summary(session, reporting=reporting)
    return ctx


@router.get("/volunteers/party")
def party_page(request: Request, session: SessionDep,
               principal: Annotated[Principal, _only("party_member")]) -> Response:
    return render(request, "volunteers/party.html", {**_party_context(session, principal), "values": {},
                                                     "errors": {}, "saved": request.query_params.get("saved")})


@router.post("/volunteers/party/register", dependencies=[CsrfChecked])
async def party_register(request: Request, session: SessionDep,
                         principal: Annotated[Principal, _only("party_member")]) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("name", "employer_name", "skills")}
    unit_id = session.scalars(select(Unit.id).where(Unit.name == values["employer_name"])).first() \
        if values["employer_name"] else None
    try:
        await run_in_threadpool(service.register, session, principal, name=values["name"], employer_unit_id=unit_id,
                                employer_name=values["employer_name"], skills=values["skills"])
    except ValidationFailed as exc:
        return render(request, "volunteers/party.html", {**_party_context(session, principal), "values": values,
                                                         "errors": _error(exc)}, status_code=422)
    return _done(request, "/volunteers/party?saved=register")


@router.post("/volunteers/posts/{post_id}/claim", dependencies=[CsrfChecked])
def claim_post(post_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
               principal: Annotated[Principal, _only("party_member")]) -> Response:
    service.claim_post(session, principal, post_id)
    return _done(request, "/volunteers/party?saved=post#posts")


@router.post("/volunteers/posts/{post_id}/release", dependencies=[CsrfChecked])
def release_post(post_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                 principal: Annotated[Principal, _only("party_member")]) -> Response:
    service.release_post(session, principal, post_id)
    return _done(request, "/volunteers/party?saved=release#posts")


@router.get("/volunteers/party/households")
def households_page(request: Request, session: SessionDep, params: PageDep,
                    principal: Annotated[Principal, _only("party_member")],
                    tag: Annotated[str, Query(max_length=12)] = "") -> Response:
    tag = tag if tag in CARE_TAGS else ""
    rows, total = service.care_households(session, principal, q=params.q, tag=tag or None, offset=params.offset,
                                          limit=params.size)
    return render(request, "volunteers/households.html", {
        "title": "认对子", "nav": "vol-party", "rows": rows, "total": total, "params": params,
        "pages": _pages(total, params.size), "tag": tag, "care_tags": CARE_TAGS, "limit": service.PAIR_LIMIT})


@router.post("/volunteers/households/{household_id}/pair", dependencies=[CsrfChecked])
def pair_household(household_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                   principal: Annotated[Principal, _only("party_member")]) -> Response:
    service.pair(session, principal, household_id)
    return _done(request, "/volunteers/party?saved=pair#pairs")


@router.get("/volunteers/party/problems")
def problems_page(request: Request, session: SessionDep, params: PageDep,
                  principal: Annotated[Principal, _only("party_member")]) -> Response:
    rows, total = service.open_problems(session, principal, q=params.q, offset=params.offset, limit=params.size)
    reporting = service.my_reporting(session, principal)
    assert reporting is not None
    mine = {(c.target_kind, c.target_id) for c in repo.problems_of(session, reporting)}
    return render(request, "volunteers/problems.html", {
        "title": "认难题", "nav": "vol-party", "rows": rows, "total": total, "params": params,
        "pages": _pages(total, params.size), "mine": mine,
        "needs": service.open_needs(session, principal, q=params.q), "error": request.query_params.get("error")})


@router.post("/volunteers/problems", dependencies=[CsrfChecked])
async def claim_problem(request: Request, session: SessionDep,
                        principal: Annotated[Principal, _only("party_member")]) -> Response:
    form = await request.form()
    kind = str(form.get("kind") or "")
    target = _int(form.get("target_id"), "target_id")
    if target is None:
        raise ValidationFailed("请选择要认领的难题", details={"field": "target_id"})
    await run_in_threadpool(service.claim_problem, session, principal, kind, target)
    return _done(request, "/volunteers/party?saved=problem#problems")


# ---- service logs (both phone pages) --------------------------------------------------------------------

@router.post("/volunteers/logs", dependencies=[CsrfChecked])
async def log_service(request: Request, session: SessionDep,
                      principal: Annotated[Principal, _only("party_member", "volunteer")]) -> Response:
    settings = get_settings()
    form = await request.form(max_files=settings.photos_max + 2)
    values = {k: str(form.get(k) or "").strip() for k in ("served_on", "hours", "what", "link")}
    back = "/volunteers/party" if principal.role == "party_member" else "/volunteers/me"
    try:
        try:
            served_on = dt.date.fromisoformat(values["served_on"])
        except ValueError as exc:
            raise ValidationFailed("请选择服务日期", details={"field": "served_on"}) from exc
        try:
            hours = float(values["hours"])
        except ValueError as exc:
            raise ValidationFailed("请填写服务时长（小时）", details={"field": "hours"}) from exc
        link_kind, _, link_id = values["link"].partition(":")
        link = {f"{link_kind}_id": _int(link_id, "link")} if link_kind in ("post", "pairing", "problem") else {}
        files = await read_photos(form)
        stored = await run_in_threadpool(appeals_api.store_photos, files, False) if files else []

        def run() -> ServiceLog:
            with session.begin_nested():
                return service.log_service(session, principal, served_on=served_on, hours=hours, what=values["what"],
                                           photos=stored, **link)

        await run_in_threadpool(run)
    except ValidationFailed as exc:
        errors = _error(exc)
        ctx = _party_context(session, principal) if principal.role == "party_member" else \
            _me_context(session, principal)
        return render(request, "volunteers/party.html" if principal.role == "party_member" else "volunteers/me.html",
                      {**ctx, "values": values, "errors": errors, "log_open": True}, status_code=422)
    return _done(request, f"{back}?saved=log#logs")


@router.get("/volunteers/logs/{log_id}/photos/{index}")
def log_photo(log_id: Annotated[int, Path(ge=1)], index: Annotated[int, Path(ge=0, le=20)], session: SessionDep,
              principal: CurrentPrincipal, thumb: bool = False) -> Response:
    log = service.get_log(session, principal, log_id)
    if index >= len(log.photos):
        raise NotFound()
    p = log.photos[index]
    data = media.read(p["thumb_path"] if thumb else p["path"])
    return Response(data, media_type="image/jpeg" if thumb else p["content_type"],
                    headers={"Cache-Control": "private, max-age=3600"})


# ---- the volunteer's phone page -------------------------------------------------------------------------

def _me_context(session: Session, principal: Principal) -> dict[str, Any]:
    v = service.my_volunteer(session, principal)
    ctx: dict[str, Any] = {"title": "志愿服务", "nav": "vol-me", "volunteer": v, "roles": VOLUNTEER_ROLES,
                           "log_labels": LOG_LABELS, "today": service.today()}
    reports = list(session.scalars(repo.reports_by(principal.user_id).order_by(Appeal.id.desc()).limit(10)))
    ctx["reports"] = [appeal_dict(session, principal, a, full=False) for a in reports]
    ctx["report_count"] = repo.report_counts(session, [principal.user_id]).get(principal.user_id, 0)
    ctx["channel_labels"] = CHANNEL_LABELS
    if v is not None:
        team = session.get(Team, v.team_id) if v.team_id else None
        ctx["team"] = team
        ctx["team_members"] = repo.team_members(session, team) if team else []
        ctx["team_reports"] = service.team_report_counts(session, [team])[team.id] if team else 0
        ctx["logs"] = list(session.scalars(repo.own_logs(volunteer=v).order_by(ServiceLog.served_on.desc(),
                                                                              ServiceLog.id.desc()).limit(20)))
        ctx["hours"] = service.hours_summary(session, volunteer=v)
    return ctx


@router.get("/volunteers/me")
def me_page(request: Request, session: SessionDep,
            principal: Annotated[Principal, _only("volunteer")]) -> Response:
    ctx = _me_context(session, principal)
    v = ctx["volunteer"]
    values = {"name": v.name if v else principal.display_name, "roles": v.role_keys if v else [],
              "skills": v.skills if v else ""}
    return render(request, "volunteers/me.html", {**ctx, "values": values, "errors": {},
                                                  "saved": request.query_params.get("saved")})


@router.post("/volunteers/me/profile", dependencies=[CsrfChecked])
async def save_profile(request: Request, session: SessionDep,
                       principal: Annotated[Principal, _only("volunteer")]) -> Response:
    form = await request.form()
    values: dict[str, Any] = {"name": str(form.get("name") or ""), "skills": str(form.get("skills") or ""),
                              "roles": [str(r) for r in form.getlist("roles")]}
    try:
        await run_in_threadpool(service.save_profile, session, principal, name=values["name"],
                                roles=values["roles"], skills=values["skills"])
    except ValidationFailed as exc:
        return render(request, "volunteers/me.html", {**_me_context(session, principal), "values": values,
                                                      "errors": _error(exc), "profile_open": True},
                      status_code=422)
    return _done(request, "/volunteers/me?saved=profile")


# ---- the community desk ---------------------------------------------------------------------------------

def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise ValidationFailed(f"日期格式不正确：{value}", details={"field": "date"}) from exc


def _desk_filters(request: Request) -> dict[str, str]:
    qp = request.query_params
    return {k: qp.get(k, "")[:40] for k in ("tab", "community", "status", "who", "start", "end", "role", "team",
                                            "year", "unit")}


def _year(value: str) -> int:
    try:
        year = int(value) if value else service.today().year - 1
    except ValueError as exc:
        raise ValidationFailed("年度不正确", details={"field": "year"}) from exc
    if not 2000 <= year <= service.today().year:
        raise ValidationFailed("年度不正确", details={"field": "year"})
    return year


def _members_rows(session: Session, rows: list[Any], year: int) -> list[dict[str, Any]]:
    rids = [r.id for r, _m in rows]
    hours = repo.confirmed_hours(session, reporting_ids=rids, year=year)
    evs = repo.evaluations_for(session, rids, year)
    return [{"r": r, "m": m, "hours": hours.get(("r", r.id), 0.0), "ev": evs.get(r.id)} for r, m in rows]


def _logs_statement(principal: Principal, community: Region | None, params: PageParams, f: dict[str, str]) -> Any:
    stmt = repo.logs(principal, q=params.q, status=f["status"] or None, start=_day(f["start"]), end=_day(f["end"]),
                     who=f["who"] or None)
    return stmt.where(ServiceLog.scope_path == community.path) if community else stmt


@router.get("/volunteers/desk")
def desk(request: Request, session: SessionDep, principal: Reader, params: PageDep) -> Response:
    ctx = _desk_context(request, session, principal, params, _desk_filters(request))
    return render(request, "volunteers/desk.html", {**ctx, "values": {}, "errors": {}, "form_open": None})


def _desk_context(request: Request, session: Session, principal: Principal, params: PageParams,
                  f: dict[str, str]) -> dict[str, Any]:
    """What the desk shows for the filters `f`: the tab's rows, the community's posts or teams, the counts."""
    tab = f["tab"] if f["tab"] in TABS else "members"
    community = service.desk_community(session, principal, f["community"] or None)
    year = _year(f["year"])
    ctx: dict[str, Any] = {"title": "在职党员与志愿者", "nav": "vol-desk", "tab": tab, "tabs": TABS, "chosen": f,
                           "params": params, "community": community, "year": year, "grades": GRADES,
                           "communities": service.communities_under(session, principal),
                           "report_labels": REPORT_LABELS, "log_labels": LOG_LABELS, "roles": VOLUNTEER_ROLES,
                           "manage": principal.can(service.MANAGE), "problem_kinds": PROBLEM_KINDS,
                           "saved": request.query_params.get("saved")}
    if tab in ("members", "evaluations"):
        status = f["status"] if tab == "members" else "confirmed"
        stmt = repo.reportings(principal, q=params.q, status=status or None,
                               unit_id=_int(f["unit"], "unit"))
        if community:
            stmt = stmt.where(Reporting.scope_path == community.path)
        rows, total = repo.page(session, stmt, [Reporting.id.desc()], params.offset, params.size)
        ctx["rows"] = _members_rows(session, rows, year)
        units = {m.employer_unit_id for _r, m in rows if m.employer_unit_id}
        ctx["units"] = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(units)))} if units else {}
    elif tab == "posts":
        # posts belong to one community: the desk shows them once one is chosen
        ctx["posts"] = service.posts_view(session, community.path, active_only=False) if community else []
        total = len(ctx["posts"])
    elif tab == "pairs":
        stmt = repo.pairings(principal, q=params.q)
        if community:
            stmt = stmt.where(Pairing.scope_path == community.path)
        rows, total = repo.page(session, stmt, [Pairing.id.desc()], params.offset, params.size)
        ctx["rows"] = rows
        ctx["tags"] = repo.household_tags(session, [h.id for _p, h, _m in rows])
        ctx["visits"] = repo.visit_counts(session, [p.id for p, _h, _m in rows])
    elif tab == "problems":
        stmt = repo.problem_claims(principal, q=params.q)
        if community:
            stmt = stmt.where(ProblemClaim.scope_path == community.path)
        rows, total = repo.page(session, stmt, [ProblemClaim.ended_at.is_not(None), ProblemClaim.id.desc()],
                                params.offset, params.size)
        ctx["rows"] = rows
    elif tab == "logs":
        stmt = _logs_statement(principal, community, params, f)
        rows, total = repo.page(session, stmt, [ServiceLog.status.desc(), ServiceLog.served_on.desc(),
                                                ServiceLog.id.desc()], params.offset, params.size)
        ctx["rows"] = rows
    else:
        stmt = repo.volunteers(principal, q=params.q, role=f["role"] or None, team_id=_int(f["team"], "team"))
        if community:
            stmt = stmt.where(Volunteer.scope_path == community.path)
        rows, total = repo.page(session, stmt, [Volunteer.id], params.offset, params.size)
        vols = [v for (v,) in rows]
        ctx["rows"] = vols
        ctx["hours"] = repo.confirmed_hours(session, volunteer_ids=[v.id for v in vols])
        ctx["reports"] = repo.report_counts(session, [v.user_id for v in vols])
        tstmt = repo.teams(principal)
        if community:
            tstmt = tstmt.where(Team.scope_path == community.path)
        teams = list(session.scalars(tstmt.order_by(Team.id)))
        ctx["teams"] = teams
        ctx["team_sizes"] = {t.id: len(repo.team_members(session, t)) for t in teams}
        ctx["team_reports"] = service.team_report_counts(session, teams)
    ctx.update(total=total, pages=_pages(total, params.size), partial=None)
    return ctx


def _desk_rejected(request: Request, session: Session, principal: Principal, params: PageParams, exc: AppError, *,
                   form: str, tab: str, community: str, values: dict[str, Any], year: str = "") -> Response:
    """A desk form the service turned down: the desk again, on the form's tab with the form open, the message
    next to it (and at its field) and what was typed kept — as the phone forms do (`_error`, `values`)."""
    f = dict.fromkeys(("tab", "community", "status", "who", "start", "end", "role", "team", "year", "unit"), "")
    f.update(tab=tab, community=community, year=year)
    try:
        ctx = _desk_context(request, session, principal, params, f)
    except ValidationFailed:  # a year that cannot be shown: the default one
        ctx = _desk_context(request, session, principal, params, {**f, "year": ""})
    shown = any(row["r"].id == values.get("reporting_id") for row in ctx["rows"]) if form == "evaluate" \
        else ctx["community"] is not None
    # a form not on the page (no community chosen, the member not in the list) has its message on top
    ctx.update(values=values, errors=_error(exc), form_open=form, form_shown=shown, saved=None)
    return render(request, "volunteers/desk.html", ctx, status_code=409 if isinstance(exc, Conflict) else 422)


def _back(form: Any, default: str) -> str:
    """Back to the list the form was on (its filters and page kept), with the saved notice."""
    nxt = str(form.get("next") or "")
    if not nxt.startswith("/volunteers/") or nxt.startswith("//"):
        return default
    nxt = re.sub(r"[?&]saved=[^&]*", "", nxt).rstrip("?&")
    return nxt + ("&" if "?" in nxt else "?") + "saved=1"


@router.post("/volunteers/reportings/{reporting_id}/decide", dependencies=[CsrfChecked])
async def decide_reporting(reporting_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                           principal: Manager) -> Response:
    form = await request.form()
    r = service.get_reporting(session, principal, reporting_id)
    service.decide_reporting(session, principal, r, confirm=form.get("decision") != "reject",
                             note=str(form.get("note") or ""))
    return _done(request, _back(form, "/volunteers/desk?tab=members&saved=1"))


def _community_from_form(session: Session, principal: Principal, code: str) -> Region:
    community = service.desk_community(session, principal, code or None)
    if community is None:
        raise ValidationFailed("请先选择社区", details={"field": "community"})
    return community


def _texts(form: Any, *keys: str) -> dict[str, Any]:
    return {k: str(form.get(k) or "").strip() for k in keys}


async def _desk_create(request: Request, session: Session, principal: Principal, params: PageParams, *,
                       fields: tuple[str, ...], form_name: str, tab: str,
                       act: Callable[[Region, dict[str, Any]], None], lists: tuple[str, ...] = ()) -> Response:
    """One of the desk's "add" forms: read the fields (and list fields), act in a savepoint for the community
    chosen, and go back to the tab — or, when the service refuses, show the desk with the form open, the reason
    and what was typed (`_desk_rejected`)."""
    form = await request.form()
    values: dict[str, Any] = {**_texts(form, "community", *fields), **{k: [str(v) for v in form.getlist(k)]
                                                                      for k in lists}}
    try:
        community = _community_from_form(session, principal, values["community"])
        with session.begin_nested():
            act(community, values)
    except (ValidationFailed, Conflict) as exc:
        return _desk_rejected(request, session, principal, params, exc, form=form_name, tab=tab,
                              community=values["community"], values=values)
    return _done(request, f"/volunteers/desk?tab={tab}&community={community.code}&saved=1")


@router.post("/volunteers/posts", dependencies=[CsrfChecked])
async def create_post(request: Request, session: SessionDep, principal: Manager, params: PageDep) -> Response:
    def act(community: Region, v: dict[str, Any]) -> None:
        service.create_post(session, principal, community, name=v["name"], slots=_int(v["slots"], "slots") or 0,
                            description=v["description"], places=v["places"], time_text=v["time_text"])

    return await _desk_create(request, session, principal, params, form_name="post", tab="posts", act=act,
                              fields=("name", "slots", "description", "places", "time_text"))


@router.post("/volunteers/posts/{post_id}/active", dependencies=[CsrfChecked])
async def post_active(post_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                      principal: Manager) -> Response:
    """Switches a post off (no new claims; holders keep it) or on again."""
    form = await request.form()
    post = service.get_post(session, principal, post_id)
    service.set_post_active(session, principal, post, form.get("active") == "1")
    community = session.get(Region, post.region_id)
    return _done(request, f"/volunteers/desk?tab=posts&community={community.code if community else ''}&saved=1")


@router.post("/volunteers/logs/{log_id}/decide", dependencies=[CsrfChecked])
async def decide_log(log_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                     principal: Manager) -> Response:
    form = await request.form()
    log = service.get_log(session, principal, log_id)
    service.decide_log(session, principal, log, confirm=form.get("decision") != "reject",
                       reason=str(form.get("reason") or ""))
    return _done(request, _back(form, "/volunteers/desk?tab=logs&saved=1"))


@router.post("/volunteers/teams", dependencies=[CsrfChecked])
async def create_team(request: Request, session: SessionDep, principal: Manager, params: PageDep) -> Response:
    def act(community: Region, v: dict[str, Any]) -> None:
        service.create_team(session, principal, community, name=v["name"], description=v["description"])

    return await _desk_create(request, session, principal, params, form_name="team", tab="volunteers", act=act,
                              fields=("name", "description"))


@router.post("/volunteers/volunteers", dependencies=[CsrfChecked])
async def add_volunteer(request: Request, session: SessionDep, principal: Manager, params: PageDep) -> Response:
    def act(community: Region, v: dict[str, Any]) -> None:
        resident_id = service.resident_by_name(session, principal, community, v["resident_name"])
        service.add_resident_volunteer(session, principal, community, resident_id=resident_id, roles=v["roles"],
                                       skills=v["skills"])

    return await _desk_create(request, session, principal, params, form_name="volunteer", tab="volunteers",
                              act=act, fields=("resident_name", "skills"), lists=("roles",))


@router.post("/volunteers/volunteers/{volunteer_id}/team", dependencies=[CsrfChecked])
async def set_team(volunteer_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                   principal: Manager) -> Response:
    form = await request.form()
    v = service.get_volunteer(session, principal, volunteer_id)
    service.set_team(session, principal, v, _int(form.get("team_id"), "team_id"), leader=bool(form.get("leader")))
    return _done(request, _back(form, "/volunteers/desk?tab=volunteers&saved=1"))


@router.post("/volunteers/reportings/{reporting_id}/evaluate", dependencies=[CsrfChecked])
async def evaluate(reporting_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                   principal: Manager, params: PageDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {**_texts(form, "year", "grade", "comment", "community"), "reporting_id": reporting_id}
    r = service.get_reporting(session, principal, reporting_id)
    try:
        year = _year(values["year"])
        with session.begin_nested():
            service.evaluate(session, principal, r, year=year, grade=values["grade"], comment=values["comment"])
    except (ValidationFailed, Conflict) as exc:
        community = values["community"] or _code_of(session, r.region_id)
        return _desk_rejected(request, session, principal, params, exc, form="evaluate", tab="evaluations",
                              community=community, values=values, year=values["year"])
    return _done(request, _back(form, f"/volunteers/desk?tab=evaluations&year={year}&saved=1"))


def _code_of(session: Session, region_id: int) -> str:
    region = session.get(Region, region_id)
    return region.code if region is not None else ""


# ---- ending a pair, releasing a problem: the member on the phone, or the desk ----------------------------

def _ended(request: Request, principal: Principal, form: Any, saved: str, tab: str) -> Response:
    if principal.role == "party_member":
        return _done(request, f"/volunteers/party?saved={saved}#{tab}")
    return _done(request, _back(form, f"/volunteers/desk?tab={tab}&saved=1"))


@router.post("/volunteers/pairs/{pairing_id}/end", dependencies=[CsrfChecked])
async def end_pair(pairing_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                   principal: CurrentPrincipal) -> Response:
    form = await request.form()
    service.end_pair(session, principal, pairing_id)
    return _ended(request, principal, form, "unpair", "pairs")


@router.post("/volunteers/problems/{claim_id}/release", dependencies=[CsrfChecked])
async def release_problem(claim_id: Annotated[int, Path(ge=1)], request: Request, session: SessionDep,
                          principal: CurrentPrincipal) -> Response:
    form = await request.form()
    service.release_problem(session, principal, claim_id)
    return _ended(request, principal, form, "unproblem", "problems")


def _docx(data: bytes, name: str) -> Response:
    return Response(data, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"report.docx\"; filename*=UTF-8''{quote(name)}"})


@router.get("/volunteers/reportings/{reporting_id}/report.docx")
def member_report(reporting_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal,
                  year: Annotated[int, Query(ge=2000, le=2100)]) -> Response:
    r = session.get(Reporting, reporting_id)
    if r is None:
        raise NotFound()
    letters = service.member_report(session, principal, r, year)
    return _docx(report.build(letters), f"双报告-{letters[0]['name']}-{year}.docx")


@router.get("/volunteers/units/{unit_id}/report.docx")
def unit_report(unit_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal,
                year: Annotated[int, Query(ge=2000, le=2100)]) -> Response:
    unit, letters = service.unit_report(session, principal, unit_id, year)
    return _docx(report.build(letters), f"双报告-{unit.name}-{year}.docx")


@router.get("/volunteers/hours.xlsx")
def hours_export(request: Request, session: SessionDep, principal: Reader, params: PageDep) -> Response:
    f = _desk_filters(request)
    community = service.desk_community(session, principal, f["community"] or None)
    stmt = _logs_statement(principal, community, params, f)
    rows = list(session.execute(stmt.order_by(ServiceLog.served_on, ServiceLog.id).limit(50000)).tuples())
    return xlsx_response(excel.hours_workbook(rows), "服务时长.xlsx")


# ---- the employer unit's page ---------------------------------------------------------------------------

@router.get("/volunteers/employer")
def employer_page(request: Request, session: SessionDep, params: PageDep,
                  principal: Annotated[Principal, _only("department_handler")]) -> Response:
    if principal.unit_id is None:
        raise Forbidden("您的账号没有对应的单位")
    unit = session.get(Unit, principal.unit_id)
    year = _year(request.query_params.get("year", ""))
    stmt = repo.employer_reportings(principal.unit_id)
    if params.q:
        stmt = stmt.where(PartyMember.name.contains(params.q))
    rows, total = repo.page(session, stmt, [Reporting.id], params.offset, params.size)
    return render(request, "volunteers/employer.html", {
        "title": "本单位在职党员", "nav": "vol-employer", "unit": unit, "year": year, "params": params,
        "rows": _members_rows(session, rows, year), "total": total, "pages": _pages(total, params.size),
        "communities": {c.id: c for c in session.scalars(select(Region).where(
            Region.id.in_({r.region_id for r, _m in rows})))} if rows else {}})
