"""HTML pages of co-building: the community's desk (needs, resources, suggested matches and the assignment,
projects, the committee with its rotation and meetings), a unit's page, and the phone pages (post a need or a
micro-wish, my wishes, wishes to claim). Thin: each route calls the service and renders."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from gongzhi.cobuild import repository as repo
from gongzhi.cobuild import service
from gongzhi.cobuild.api import read_photo
from gongzhi.cobuild.models import (
    CLAIM_KINDS,
    CLAIM_STATUSES,
    NEED_SOURCES,
    NEED_STATUSES,
    NEED_TYPES,
    PROJECT_STATUSES,
    PROVIDER_KINDS,
    URGENCIES,
    WISH_KINDS,
    WISH_STATUSES,
)
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, Forbidden, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, render, templates
from gongzhi.regions.models import Region

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1)]
TABS = {"needs": N_("需求库"), "resources": N_("资源库"), "projects": N_("项目清单"), "committee": N_("大党委")}
LABELS = {"need_statuses": NEED_STATUSES, "urgencies": URGENCIES, "sources": NEED_SOURCES,
          "claim_kinds": CLAIM_KINDS, "claim_statuses": CLAIM_STATUSES, "project_statuses": PROJECT_STATUSES,
          "provider_kinds": PROVIDER_KINDS, "wish_kinds": WISH_KINDS, "wish_statuses": WISH_STATUSES,
          "need_types": NEED_TYPES, "tabs": TABS}
SCORE_PARTS = {"skills": N_("技能"), "distance": N_("距离"), "capacity": N_("余量"), "window": N_("时间"),
               "rating": N_("口碑")}


def cobuild_nav(principal: Principal) -> list[tuple[str, str, str]]:
    """The co-building entries of the menu, by role."""
    links: list[tuple[str, str, str]] = []
    if principal.can(service.READ):
        links.append(("/cobuild", N_("共驻共建"), "cobuild"))
    if repo.is_unit_handler(principal):
        links.append(("/cobuild/unit", N_("本单位共建"), "cobuild"))
    if principal.role in service.SERVING_ROLES:
        links.append(("/cobuild/wishes", N_("微心愿"), "wishes"))
    if principal.role == "resident":
        links.append(("/cobuild/wishes/mine", N_("我的心愿"), "wishes"))
    return links


templates.env.globals["cobuild_nav"] = cobuild_nav


def _errors(exc: ValidationFailed) -> dict[str, str]:
    return {d["field"]: d["reason"] for d in exc.details or [] if isinstance(d, dict)} or {"_": exc.message}


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _ctx(**kw: Any) -> dict[str, Any]:
    return {**LABELS, "score_parts": SCORE_PARTS, **kw}


def _back(url: str, **flash: str) -> Response:
    sep = "&" if "?" in url else "?"
    query = "&".join(f"{k}={v}" for k, v in flash.items())
    return RedirectResponse(url + (sep + query if query else ""), status_code=303)


def _refused(request: Request, exc: AppError, back: str, nav: str = "cobuild") -> Response:
    """A refused action on a page: the reason and the way back, with the error's status. Not found and not
    allowed are the app's own error pages."""
    if exc.status in (403, 404):
        raise exc
    return render(request, "cobuild/message.html", _ctx(title="未能完成", nav=nav, message=exc.message, back=back),
                  status_code=exc.status)


def _home_community(session: Session, principal: Principal, code: str | None) -> Region | None:
    """The community whose desk to show: the one asked for, or the actor's own (or first in scope)."""
    if code:
        return service.committee_region(session, principal, code)
    here = session.get(Region, principal.scope_region_id)
    assert here is not None
    if here.level in ("community", "street"):
        return here
    return repo.community_of(session, here.path)


# ---- the community's desk ---------------------------------------------------------------------------------

@router.get("/cobuild")
def desk(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    if not principal.can(service.READ):
        raise Forbidden("共驻共建工作台供社区、街道工作人员使用")
    qp = request.query_params
    tab = qp.get("tab", "needs") if qp.get("tab") in TABS else "needs"
    chosen = {k: qp.get(k, "") for k in ("status", "type", "community")}
    ctx = _ctx(title="共驻共建", nav="cobuild", tab=tab, params=params, chosen=chosen,
               community=_home_community(session, principal, chosen["community"] or None),
               manage=principal.can(service.MANAGE), partial="cobuild/_desk_table.html")
    if tab == "needs":
        rows, total = service.list_needs(session, principal, q=params.q, status=chosen["status"] or None,
                                         need_type=chosen["type"] or None, offset=params.offset, limit=params.size)
        ctx["rows"] = service.need_dicts(session, rows)
    elif tab == "resources":
        rows, total = service.list_resources(session, principal, q=params.q, resource_type=chosen["type"] or None,
                                             offset=params.offset, limit=params.size)
        ctx["rows"] = service.resource_dicts(session, rows)
    elif tab == "projects":
        rows, total = service.list_projects(session, principal, q=params.q, status=chosen["status"] or None,
                                            offset=params.offset, limit=params.size)
        ctx["rows"] = [service.project_dict(session, p) for p in rows]
    else:
        community = ctx["community"]
        ctx["committee"] = service.committee_view(session, community) if community else None
        ctx["units"] = _units_for(session, community) if community and ctx["manage"] else []
        rows, total = [], 0
    ctx.update(total=total, pages=_pages(total, params.size))
    return render(request, "cobuild/desk.html", ctx)


def _units_for(session: Session, region: Region) -> list[Any]:
    from sqlalchemy import select

    from gongzhi.core.db import prefix_range
    from gongzhi.orgs.models import Unit

    members = {m.unit_id for m in repo.memberships(session, region, active=None)}
    rows = session.scalars(select(Unit).where(prefix_range(Unit.scope_path, region.path),
                                              Unit.kind != "商铺").order_by(Unit.name).limit(300))
    return [u for u in rows if u.id not in members]


@router.post("/cobuild/committee/{region_code}/{action}", dependencies=[CsrfChecked])
async def committee_action(region_code: str, action: Annotated[str, Path(max_length=12)], request: Request,
                           session: SessionDep, principal: CurrentPrincipal) -> Response:
    """member (join with an agreement) · officer · generate (the year's rotation) · swap · replace · meeting."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    back = f"/cobuild?tab=committee&community={region_code}"
    region = service.committee_region(session, principal, region_code,
                                      to="read" if action == "meeting" else "manage")
    year = int(form.get("year") or service.today().year) if str(form.get("year", "")).isdigit() or not form.get(
        "year") else 0
    try:
        if action == "member":
            service.add_member(session, principal, region, form)
        elif action == "officer":
            service.add_officer(session, principal, region, int(form.get("membership_id") or 0), form)
        elif action == "generate":
            service.generate_rotation(session, principal, region, year)
        elif action == "swap":
            service.edit_rotation(session, principal, region, year, {"swap": [form.get("a"), form.get("b")]})
        elif action == "replace":
            service.edit_rotation(session, principal, region, year, form)
        elif action == "meeting":
            meeting = service.convene_meeting(session, principal, region, form)
            return _back(f"/cobuild/meetings/{meeting.id}", saved="1")
        else:
            return _back(back, error="unknown")
    except AppError as exc:
        return _refused(request, exc, back)
    return _back(back, saved="1")


@router.get("/cobuild/meetings/{meeting_id}")
def meeting_page(meeting_id: Id, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    meeting = service.get_meeting(session, principal, meeting_id)
    region = session.get(Region, meeting.region_id)
    return render(request, "cobuild/meeting.html", _ctx(
        title=meeting.title, nav="cobuild", m=service.meeting_dict(session, meeting), region=region,
        members=service.committee_view(session, region)["members"] if region else [],
        editor=principal.can(service.MANAGE) or (repo.is_unit_handler(principal)
                                                 and meeting.chair_unit_id == principal.unit_id),
        saved=request.query_params.get("saved")))


@router.post("/cobuild/meetings/{meeting_id}/{action}", dependencies=[CsrfChecked])
async def meeting_action(meeting_id: Id, action: Annotated[str, Path(max_length=12)], request: Request,
                         session: SessionDep, principal: CurrentPrincipal) -> Response:
    """attendance · minutes · need (turn decision `index` into a need)."""
    form = await request.form()
    meeting = service.get_meeting(session, principal, meeting_id)
    try:
        if action == "attendance":
            service.record_attendance(session, principal, meeting, {
                "unit_ids": [v for v in form.getlist("unit_ids") if isinstance(v, str)],
                "usernames": str(form.get("usernames") or "").replace("，", ",").replace(",", "\n").split(),
                "names": str(form.get("names") or "")})
        elif action == "minutes":
            service.record_minutes(session, principal, meeting, {"minutes": form.get("minutes"),
                                                                 "decisions": str(form.get("decisions") or "")})
        elif action == "need":
            service.need_from_decision(session, principal, meeting, int(str(form.get("index") or 0)),
                                       {"need_type": form.get("need_type")})
        else:
            return _back(f"/cobuild/meetings/{meeting.id}")
    except AppError as exc:
        return _refused(request, exc, f"/cobuild/meetings/{meeting.id}")
    return _back(f"/cobuild/meetings/{meeting.id}", saved="1")


# ---- needs, resources, matching ---------------------------------------------------------------------------

NEED_FIELDS = ("title", "need_type", "description", "skills", "beneficiary_count", "beneficiaries", "urgency",
               "wanted_from", "wanted_to", "region_code")
RESOURCE_FIELDS = ("title", "resource_type", "description", "skills", "capacity", "windows", "provider_kind",
                   "provider_name", "region_code")


@router.get("/cobuild/needs/new")
def new_need(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "cobuild/need_form.html", _ctx(title="提需求", nav="cobuild", values={"urgency": "normal",
                  "beneficiary_count": 1}, errors={}, staff=principal.can(service.READ)))


@router.post("/cobuild/needs/new", dependencies=[CsrfChecked])
async def create_need(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    form = await request.form()
    raw = {k: str(form.get(k) or "") for k in NEED_FIELDS}
    try:
        need = service.create_need(session, principal, raw)
    except ValidationFailed as exc:
        return render(request, "cobuild/need_form.html", _ctx(title="提需求", nav="cobuild", values=raw,
                      errors=_errors(exc), staff=principal.can(service.READ)), status_code=422)
    return _back(f"/cobuild/needs/{need.id}", saved="1")


@router.get("/cobuild/needs/{need_id}")
def need_page(need_id: Id, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    need = service.get_need(session, principal, need_id)
    show_suggestions = principal.can(service.READ) or need.created_by_id == principal.user_id
    return render(request, "cobuild/need.html", _ctx(
        title=need.title, nav="cobuild", n=service.need_dicts(session, [need])[0],
        claims=service.claim_dicts(session, repo.claims_of_need(session, need)),
        suggestions=service.suggestions(session, need) if show_suggestions else [],
        own_resources=service.own_resources(session, principal, need.need_type), manage=principal.can(service.MANAGE),
        can_claim=need.status in ("open", "claimed") and (repo.is_unit_handler(principal)
                                                           or principal.role in service.SERVING_ROLES),
        projects=[service.project_dict(session, p) for p in repo.projects_of_need(session, need)],
        saved=request.query_params.get("saved")))


@router.post("/cobuild/needs/{need_id}/claim", dependencies=[CsrfChecked])
async def claim_need(need_id: Id, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """A provider (or a Party member / volunteer without a resource) claims; staff pick a suggested resource."""
    form = await request.form()
    rid = str(form.get("resource_id") or "")
    note = str(form.get("note") or "")
    if principal.can(service.MANAGE) and rid.isdigit():
        claim = service.claim_resource(session, principal, int(rid), need_id=need_id, note=note)
        if form.get("accept"):
            service.accept_claim(session, principal, claim)
    else:
        service.claim_need(session, principal, need_id, resource_id=int(rid) if rid.isdigit() else None, note=note)
    return _back(f"/cobuild/needs/{need_id}", saved="1")


@router.post("/cobuild/claims/{claim_id}/{action}", dependencies=[CsrfChecked])
def claim_action(claim_id: Id, action: Annotated[str, Path(pattern="^(accept|decline|withdraw)$")],
                 session: SessionDep, principal: CurrentPrincipal) -> Response:
    claim, need = service.get_claim(session, principal, claim_id)
    if action == "accept":
        project = service.accept_claim(session, principal, claim)
        return _back(f"/cobuild/projects/{project.id}", saved="1")
    service.decline_claim(session, principal, claim, withdraw=action == "withdraw")
    return _back(f"/cobuild/needs/{need.id}", saved="1")


@router.get("/cobuild/resources/new")
def new_resource(request: Request, principal: CurrentPrincipal) -> Response:
    service.may_offer(principal)
    return render(request, "cobuild/resource_form.html", _ctx(title="提供资源", nav="cobuild",
                  values={"capacity": 1, "provider_kind": "unit"}, errors={}, staff=principal.can(service.MANAGE)))


@router.post("/cobuild/resources/new", dependencies=[CsrfChecked])
async def create_resource(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    form = await request.form()
    raw = {k: str(form.get(k) or "") for k in RESOURCE_FIELDS}
    try:
        service.create_resource(session, principal, raw)
    except ValidationFailed as exc:
        return render(request, "cobuild/resource_form.html", _ctx(title="提供资源", nav="cobuild", values=raw,
                      errors=_errors(exc), staff=principal.can(service.MANAGE)), status_code=422)
    return _back("/cobuild/unit" if repo.is_unit_handler(principal) else
                 "/cobuild?tab=resources" if principal.can(service.READ) else "/cobuild/wishes", saved="1")


@router.post("/cobuild/assignment/{region_code}", dependencies=[CsrfChecked])
def assignment(region_code: str, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    community = service.committee_region(session, principal, region_code, to="manage")
    result = service.assignment_dict(session, service.run_assignment(session, principal, community))
    return render(request, "cobuild/assignment.html", _ctx(title="统筹匹配", nav="cobuild", r=result,
                                                             community=community))


@router.post("/cobuild/assignment/{region_code}/accept", dependencies=[CsrfChecked])
async def accept_assignment(region_code: str, request: Request, session: SessionDep,
                            principal: CurrentPrincipal) -> Response:
    community = service.committee_region(session, principal, region_code, to="manage")
    form = await request.form()
    pairs = []
    for value in form.getlist("pair"):
        need_id, _, resource_id = str(value).partition(":")
        if need_id.isdigit() and resource_id.isdigit():
            pairs.append((int(need_id), int(resource_id)))
    service.accept_pairs(session, principal, community, pairs)
    return _back("/cobuild?tab=projects", saved=str(len(pairs)))


# ---- projects ---------------------------------------------------------------------------------------------

@router.get("/cobuild/projects/{project_id}")
def project_page(project_id: Id, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    project = service.get_project(session, principal, project_id)
    need = session.get(service.Need, project.need_id)
    return render(request, "cobuild/project.html", _ctx(
        title=project.title, nav="cobuild", p=service.project_dict(session, project),
        editor=service.may_edit_project(principal, project),
        rater=project.status == "done" and project.rating is None and (
            principal.can(service.MANAGE) or (need is not None and need.created_by_id == principal.user_id)),
        saved=request.query_params.get("saved"), today=dt.date.today()))


@router.post("/cobuild/projects/{project_id}/{action}", dependencies=[CsrfChecked])
async def project_action(project_id: Id, action: Annotated[str, Path(max_length=10)], request: Request,
                         session: SessionDep, principal: CurrentPrincipal) -> Response:
    """step (add) · done (a step) · finish · rate."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    project = service.get_project(session, principal, project_id)
    back = f"/cobuild/projects/{project.id}"
    try:
        if action == "step":
            service.add_step(session, principal, project, form)
        elif action == "done":
            service.complete_step(session, principal, project, int(form.get("step_id") or 0))
        elif action == "finish":
            service.finish_project(session, principal, project, form)
        elif action == "rate":
            service.rate_project(session, principal, project, form)
        else:
            return _back(back)
    except AppError as exc:
        return _refused(request, exc, back)
    return _back(back, saved="1")


# ---- the unit's page --------------------------------------------------------------------------------------

@router.get("/cobuild/unit")
def unit_page(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    view = service.unit_view(session, principal)
    return render(request, "cobuild/unit.html", _ctx(title=view["unit"].name, nav="cobuild", v=view,
                                                       saved=request.query_params.get("saved")))


# ---- micro-wishes (phone pages) ---------------------------------------------------------------------------

@router.get("/cobuild/wishes/new")
def new_wish(request: Request, principal: CurrentPrincipal) -> Response:
    service.may_post_wish(principal)
    return render(request, "cobuild/wish_form.html", _ctx(title="许个微心愿", nav="wishes",
                                                            values={"kind": "visit"}, errors={},
                                                            staff=principal.can(service.MANAGE)))


@router.post("/cobuild/wishes/new", dependencies=[CsrfChecked])
async def post_wish(request: Request, session: SessionDep, principal: CurrentPrincipal,
                    photo: Annotated[UploadFile | None, File()] = None) -> Response:
    form = await request.form()
    raw = {k: str(form.get(k) or "") for k in ("title", "kind", "description", "region_code", "poster_name")}
    try:
        wish = service.post_wish(session, principal, raw, await read_photo(photo))
    except ValidationFailed as exc:
        return render(request, "cobuild/wish_form.html", _ctx(title="许个微心愿", nav="wishes", values=raw,
                                                                errors=_errors(exc),
                                                                staff=principal.can(service.MANAGE)),
                      status_code=422)
    return _back(f"/cobuild/wishes/{wish.id}", saved="1")


@router.get("/cobuild/wishes/mine")
def my_wishes(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    rows, total = service.list_wishes(session, principal, mine=True, q=params.q, offset=params.offset,
                                      limit=params.size)
    needs, _ = service.list_needs(session, principal, mine=True, limit=20)
    return render(request, "cobuild/wishes.html", _ctx(
        title="我的心愿", nav="wishes", kind="mine", rows=[service.wish_dict(session, w) for w in rows], total=total,
        params=params, pages=_pages(total, params.size), needs=service.need_dicts(session, needs)))


@router.get("/cobuild/wishes")
def wishes(request: Request, session: SessionDep, principal: CurrentPrincipal, params: PageDep) -> Response:
    """Volunteers and Party members: open wishes to claim and their claims; staff: every wish, to review."""
    staff = principal.can(service.READ)
    status = request.query_params.get("status") or ("" if staff else "open")
    if status and status not in WISH_STATUSES:
        status = ""
    rows, total = service.list_wishes(session, principal, status=status or None, q=params.q, offset=params.offset,
                                      limit=params.size)
    mine, _ = service.list_wishes(session, principal, claimed_by_me=True, status="claimed", limit=20)
    return render(request, "cobuild/wishes.html", _ctx(
        title="微心愿", nav="wishes", kind="staff" if staff else "serve", status=status,
        rows=[service.wish_dict(session, w) for w in rows], total=total, params=params,
        pages=_pages(total, params.size), claimed=[service.wish_dict(session, w) for w in mine],
        limit=service.get_settings_limit(), manage=principal.can(service.MANAGE)))


@router.get("/cobuild/wishes/{wish_id}")
def wish_page(wish_id: Id, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    wish = service.get_wish(session, principal, wish_id)
    return render(request, "cobuild/wish.html", _ctx(
        title=wish.title, nav="wishes", w=service.wish_dict(session, wish, timeline=True),
        actions=service.wish_actions_for(principal, wish), saved=request.query_params.get("saved")))


@router.post("/cobuild/wishes/{wish_id}/{action}", dependencies=[CsrfChecked])
async def wish_action(wish_id: Id, action: Annotated[str, Path(max_length=10)], request: Request,
                      session: SessionDep, principal: CurrentPrincipal,
                      photo: Annotated[UploadFile | None, File()] = None) -> Response:
    form = await request.form()
    wish = service.get_wish(session, principal, wish_id)
    try:
        service.wish_action(session, principal, wish, action, {"note": str(form.get("note") or "")},
                            await read_photo(photo))
    except AppError as exc:
        return _refused(request, exc, f"/cobuild/wishes/{wish.id}", nav="wishes")
    return _back(f"/cobuild/wishes/{wish.id}", saved=action)


@router.get("/cobuild/wishes/{wish_id}/photo/{which}")
def wish_photo(wish_id: Id, which: Annotated[str, Path(pattern="^(wish|fulfil)$")], session: SessionDep,
               principal: CurrentPrincipal) -> Response:
    from gongzhi.cobuild.api import wish_photo as api_photo

    return api_photo(wish_id, which, session, principal)
