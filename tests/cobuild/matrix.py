"""What the access matrix (tests/test_access_matrix.py) expects of co-building's routes and sends to them.

Objects lie in the demo grid or community (inside) or in the other grid or community (outside). Access goes by
permission (`cobuild:read` for the desk, `cobuild:manage` to change the committee, accept claims and run the
assignment) and, for needs, resources, projects and wishes, by role and by whose object it is — those routes
carry a `rule`. The demo `handler` acts for no unit, so the unit's page answers everyone 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.cobuild.models import Claim, Meeting, Project, ProjectStep
from tests import factories as f
from tests.cobuild import factories as cf
from tests.matrix import Endpoint

API, PAGE = "/api/v1/cobuild", "/cobuild"
MANAGERS = ("admin", "street_staff", "community_staff")
READERS = (*MANAGERS, "leader", "grid_worker")
SERVING = ("party_member", "volunteer")


def committee_read(role: str, outside: bool) -> int:
    """A committee lies at the community: its readers see it, a grid worker's scope (a grid) does not hold it."""
    if role not in READERS:
        return 403
    if role == "grid_worker" or outside:
        return 404
    return 200


def _meeting_edit(ok: int) -> Any:
    def rule(role: str, outside: bool) -> int:
        seen = committee_read(role, outside)
        if seen != 200:
            return seen
        return ok if role in MANAGERS else 403

    return rule


def convene(role: str, outside: bool) -> int:
    """Staff convene; leaders read but do not convene; the chair unit would (no demo actor chairs)."""
    seen = committee_read(role, outside)
    if seen != 200:
        return seen
    return 201 if role in MANAGERS else 403


def object_read(role: str, outside: bool) -> int:
    """A need, project or wish in the target grid raised by someone else: staff and serving roles over their
    scope see it; a resident sees only their own; a handler without a unit sees nothing of it."""
    if role in ("resident", "department_handler"):
        return 404
    if outside and role not in ("admin", "leader"):
        return 404
    return 200


def resource_read(role: str, outside: bool) -> int:
    """Resources are offered to be found: a resident sees those of their own grid and above."""
    if role == "department_handler":
        return 404
    if outside and role not in ("admin", "leader"):
        return 404
    return 200


def _managed(ok: int) -> Any:
    def rule(role: str, outside: bool) -> int:
        seen = object_read(role, outside)
        if seen != 200:
            return seen
        return ok if role in MANAGERS else 403

    return rule


def _claims_need(ok: int) -> Any:
    """Claiming without a resource is for Party members and volunteers (认难题); staff must name a resource."""
    def rule(role: str, outside: bool) -> int:
        seen = object_read(role, outside)
        if seen != 200:
            return seen
        return ok if role in SERVING else 422

    return rule


def _claims_wish(ok: int) -> Any:
    def rule(role: str, outside: bool) -> int:
        seen = object_read(role, outside)
        if seen != 200:
            return seen
        return ok if role in SERVING else 403

    return rule


def _roles(ok: int, *roles: str) -> Any:
    return lambda role, _outside: ok if role in roles else 403


def _raisers(ok: int) -> Any:
    """Who may raise a need: everyone but leaders and handlers acting for no unit."""
    return lambda role, _outside: 403 if role in ("leader", "department_handler") else ok


def endpoints() -> list[Endpoint]:
    read, manage = ("cobuild:read",), ("cobuild:manage",)
    com = f"{API}/committees/{{region_code}}"
    meet = f"{API}/meetings/{{meeting_id}}"
    need, res, proj = f"{API}/needs/{{need_id}}", f"{API}/resources/{{resource_id}}", f"{API}/projects/{{project_id}}"
    wish = f"{API}/wishes/{{wish_id}}"
    offer = _roles(201, *MANAGERS, *SERVING)
    return [
        Endpoint("GET", com, "api", (), scoped=True, rule=committee_read),
        Endpoint("POST", f"{com}/members", "api", manage, 201, scoped=True, body="cb_member"),
        Endpoint("PATCH", f"{com}/members/{{membership_id}}", "api", manage, scoped=True, body="cb_member_update"),
        Endpoint("POST", f"{com}/members/{{membership_id}}/officers", "api", manage, 201, scoped=True,
                 body="cb_officer"),
        Endpoint("GET", f"{com}/rotation/{{year}}", "api", (), scoped=True, rule=committee_read),
        Endpoint("POST", f"{com}/rotation/{{year}}", "api", manage, 201, scoped=True, body="cb_members6"),
        Endpoint("PATCH", f"{com}/rotation/{{year}}", "api", manage, scoped=True, body="cb_rotation_edit"),
        Endpoint("POST", f"{com}/meetings", "api", (), 201, scoped=True, rule=convene, body="cb_meeting"),
        Endpoint("GET", meet, "api", (), scoped=True, rule=committee_read),
        Endpoint("POST", f"{meet}/attendance", "api", (), scoped=True, rule=_meeting_edit(200), body="cb_attend"),
        Endpoint("POST", f"{meet}/minutes", "api", (), scoped=True, rule=_meeting_edit(200), body="cb_minutes"),
        Endpoint("POST", f"{meet}/decisions/{{index}}/need", "api", (), scoped=True, rule=_meeting_edit(201),
                 body="cb_decision"),
        Endpoint("GET", f"{API}/needs", "api", ()),
        Endpoint("GET", f"{API}/needs/export.xlsx", "api", read),
        Endpoint("POST", f"{API}/needs", "api", (), rule=_raisers(201), body="cb_need"),
        Endpoint("GET", need, "api", (), scoped=True, rule=object_read),
        Endpoint("GET", f"{need}/suggestions", "api", (), scoped=True, rule=object_read),
        Endpoint("POST", f"{need}/claim", "api", (), scoped=True, rule=_claims_need(201), body="cb_claim"),
        Endpoint("GET", f"{API}/resources", "api", ()),
        Endpoint("GET", f"{API}/resources/export.xlsx", "api", read),
        Endpoint("POST", f"{API}/resources", "api", (), rule=offer, body="cb_resource"),
        Endpoint("GET", res, "api", (), scoped=True, rule=resource_read),
        Endpoint("POST", f"{res}/claim", "api", (), scoped=True, rule=_managed(201), body="cb_claim_resource"),
        Endpoint("POST", f"{API}/claims/{{claim_id}}/{{action}}", "api", (), scoped=True, rule=_managed(200)),
        Endpoint("POST", f"{API}/assignment/{{region_code}}", "api", manage, scoped=True),
        Endpoint("POST", f"{API}/assignment/{{region_code}}/accept", "api", manage, 201, scoped=True,
                 body="cb_pairs"),
        Endpoint("GET", f"{API}/projects", "api", ()),
        Endpoint("GET", f"{API}/projects/export.xlsx", "api", read),
        Endpoint("GET", proj, "api", (), scoped=True, rule=object_read),
        Endpoint("POST", f"{proj}/steps", "api", (), scoped=True, rule=_managed(201), body="cb_step"),
        Endpoint("POST", f"{proj}/steps/{{step_id}}/done", "api", (), scoped=True, rule=_managed(200)),
        Endpoint("POST", f"{proj}/finish", "api", (), scoped=True, rule=_managed(200), body="cb_finish"),
        Endpoint("POST", f"{proj}/rate", "api", (), scoped=True, rule=_managed(200), body="cb_rate"),
        Endpoint("GET", f"{API}/wishes", "api", ()),
        Endpoint("GET", f"{API}/wishes/export.xlsx", "api", read),
        Endpoint("POST", f"{API}/wishes", "api", (), rule=_roles(201, *MANAGERS, "resident"), body="cb_wish"),
        Endpoint("GET", wish, "api", (), scoped=True, rule=object_read),
        Endpoint("GET", f"{wish}/photo/{{which}}", "api", (), scoped=True, rule=object_read),
        Endpoint("POST", f"{wish}/{{action}}", "api", (), scoped=True, rule=_claims_wish(200), body="cb_wish_claim"),
        Endpoint("GET", f"{API}/unit", "api", (), rule=_roles(200)),
        # pages
        Endpoint("GET", PAGE, "page", read),
        Endpoint("POST", f"{PAGE}/committee/{{region_code}}/{{action}}", "page", manage, 303, scoped=True,
                 body="cb_members6", redirect="/cobuild"),
        Endpoint("GET", f"{PAGE}/meetings/{{meeting_id}}", "page", (), scoped=True, rule=committee_read),
        Endpoint("POST", f"{PAGE}/meetings/{{meeting_id}}/{{action}}", "page", (), scoped=True,
                 rule=_meeting_edit(303), body="cb_minutes_form", redirect="/cobuild/meetings/"),
        Endpoint("GET", f"{PAGE}/needs/new", "page", ()),
        Endpoint("POST", f"{PAGE}/needs/new", "page", (), rule=_raisers(303), body="cb_need_form",
                 redirect="/cobuild/needs/"),
        Endpoint("GET", f"{PAGE}/needs/{{need_id}}", "page", (), scoped=True, rule=object_read),
        Endpoint("POST", f"{PAGE}/needs/{{need_id}}/claim", "page", (), scoped=True, rule=_claims_need(303),
                 body="cb_claim_form", redirect="/cobuild/needs/"),
        Endpoint("POST", f"{PAGE}/claims/{{claim_id}}/{{action}}", "page", (), scoped=True, rule=_managed(303),
                 redirect="/cobuild/needs/"),
        Endpoint("GET", f"{PAGE}/resources/new", "page", (), rule=_roles(200, *MANAGERS, *SERVING)),
        Endpoint("POST", f"{PAGE}/resources/new", "page", (), rule=_roles(303, *MANAGERS, *SERVING),
                 body="cb_resource_form", redirect="/cobuild"),
        Endpoint("POST", f"{PAGE}/assignment/{{region_code}}", "page", manage, scoped=True),
        Endpoint("POST", f"{PAGE}/assignment/{{region_code}}/accept", "page", manage, 303, scoped=True,
                 body="cb_pairs_form", redirect="/cobuild"),
        Endpoint("GET", f"{PAGE}/projects/{{project_id}}", "page", (), scoped=True, rule=object_read),
        Endpoint("POST", f"{PAGE}/projects/{{project_id}}/{{action}}", "page", (), scoped=True, rule=_managed(303),
                 body="cb_step_form", redirect="/cobuild/projects/"),
        Endpoint("GET", f"{PAGE}/unit", "page", (), rule=_roles(200)),
        Endpoint("GET", f"{PAGE}/wishes/new", "page", (), rule=_roles(200, *MANAGERS, "resident")),
        Endpoint("POST", f"{PAGE}/wishes/new", "page", (), rule=_roles(303, *MANAGERS, "resident"),
                 body="cb_wish_form", redirect="/cobuild/wishes/"),
        Endpoint("GET", f"{PAGE}/wishes/mine", "page", ()),
        Endpoint("GET", f"{PAGE}/wishes", "page", ()),
        Endpoint("GET", f"{PAGE}/wishes/{{wish_id}}", "page", (), scoped=True, rule=object_read),
        Endpoint("POST", f"{PAGE}/wishes/{{wish_id}}/{{action}}", "page", (), scoped=True, rule=_claims_wish(303),
                 redirect="/cobuild/wishes/"),
        Endpoint("GET", f"{PAGE}/wishes/{{wish_id}}/photo/{{which}}", "page", (), scoped=True, rule=object_read),
    ]


def prepare(session: Session, city: dict[str, Any], ep: Endpoint, place: str, path: str,
            kwargs: dict[str, Any]) -> str:
    comm = cf.community(session, city, place)
    grid = cf.grid(session, city, place)
    demo_grid, demo_comm = city["scopes"]["grid"], city["scopes"]["community"]
    body = ep.body or ""
    path = path.replace("{region_code}", comm.code).replace("{year}", "2031").replace("{index}", "0")
    members = []
    if "{membership_id}" in path or body in ("cb_members6", "cb_rotation_edit"):
        members = cf.make_members(session, comm, 6)
        path = path.replace("{membership_id}", str(members[0].id))
    if body == "cb_rotation_edit":
        for i, m in enumerate(members):
            cf.chair(session, comm, 2027, i + 1, m.unit_id)  # the matrix puts 2027 in {year}
    if "{meeting_id}" in path:
        meeting = Meeting(title="联席会议", held_at=dt.datetime(2031, 3, 1, 1, 0, tzinfo=dt.UTC), place="会议室",
                          agenda=["议题"], decisions=["为老人助餐"], minutes="", status="planned",
                          region_id=comm.id, scope_path=comm.path)
        session.add(meeting)
        session.commit()
        path = path.replace("{meeting_id}", str(meeting.id))
    need = resource = None
    if "{need_id}" in path or "{claim_id}" in path or body in ("cb_claim_resource", "cb_pairs", "cb_pairs_form"):
        need = cf.make_need(session, grid)
        path = path.replace("{need_id}", str(need.id))
    if "{resource_id}" in path or body in ("cb_pairs", "cb_pairs_form") or "{claim_id}" in path:
        resource = cf.make_resource(session, grid)
        path = path.replace("{resource_id}", str(resource.id))
    if "{claim_id}" in path:
        assert need is not None
        assert resource is not None
        claim = Claim(need_id=need.id, resource_id=resource.id, kind="owner", status="pending")
        session.add(claim)
        session.commit()
        path = path.replace("{claim_id}", str(claim.id)).replace("{action}", "decline")
    if "{project_id}" in path:
        need = cf.make_need(session, grid, status="in_project")
        claim = Claim(need_id=need.id, kind="member", status="accepted")
        session.add(claim)
        session.flush()
        rate = ep.route.endswith("/rate")
        project = Project(title=need.title, need_id=need.id, claim_id=claim.id, owner_name="某志愿者",
                          start_on=dt.date(2026, 11, 1), status="done" if rate else "active", region_id=grid.id,
                          scope_path=grid.path)
        session.add(project)
        session.flush()
        if "{step_id}" in path:
            step = ProjectStep(project_id=project.id, seq=1, title="上门", done=False)
            session.add(step)
            session.flush()
            path = path.replace("{step_id}", str(step.id))
        session.commit()
        path = path.replace("{project_id}", str(project.id))
        path = path.replace("{action}", "step")
    if "{wish_id}" in path:
        poster = cf.user_id(session, "grid2")  # someone who is none of the actors
        wish = cf.make_wish(session, grid, poster=poster)
        if "{which}" in path:
            from gongzhi.appeals.media import check_and_store

            wish.photo_path = check_and_store(f.tiny_png(), "w.png", keep_location=False).path
            session.commit()
        path = path.replace("{wish_id}", str(wish.id)).replace("{which}", "wish").replace("{action}", "claim")
    path = path.replace("{action}", "generate" if ep.route.startswith(f"{PAGE}/committee") else "minutes")
    unit_node = cf.grid(session, city, place)
    bodies: dict[str, dict[str, Any]] = {
        "cb_member": {"json": {"unit_id": f.make_unit(session, node=unit_node, kind="学校").id if body == "cb_member"
                               else 0, "signed_on": "2026-01-01", "terms": "共建", "pledged": "操场"}},
        "cb_member_update": {"json": {"pledged": "操场、图书室"}},
        "cb_officer": {"json": {"name": "李兼职", "post": "兼职委员"}},
        "cb_members6": {"data": {"year": "2031"}},
        "cb_rotation_edit": {"json": {"swap": [1, 2]}},
        "cb_meeting": {"json": {"held_at": "2031-03-01T09:00:00", "agenda": ["议题一"]}},
        "cb_attend": {"json": {"names": ["居民代表"]}},
        "cb_minutes": {"json": {"minutes": "议定事项", "decisions": ["为老人助餐"]}},
        "cb_minutes_form": {"data": {"minutes": "议定事项", "decisions": "为老人助餐"}},
        "cb_decision": {"json": {"need_type": "助老"}},
        "cb_need": {"json": {"title": "帮老人买菜", "need_type": "助老", "region_code": demo_grid}},
        "cb_need_form": {"data": {"title": "帮老人买菜", "need_type": "助老", "region_code": demo_grid}},
        "cb_claim": {"json": {"note": "我来"}},
        "cb_claim_form": {"data": {"note": "我来"}},
        "cb_resource": {"json": {"title": "理发服务", "resource_type": "助老", "region_code": demo_comm}},
        "cb_resource_form": {"data": {"title": "理发服务", "resource_type": "助老", "region_code": demo_comm}},
        "cb_claim_resource": {"json": {"need_id": need.id if need else 0}},
        "cb_pairs": {"json": {"pairs": [[need.id, resource.id]] if need and resource else []}},
        "cb_pairs_form": {"data": {"pair": f"{need.id}:{resource.id}" if need and resource else ""}},
        "cb_step": {"json": {"title": "采购"}},
        "cb_step_form": {"data": {"title": "采购"}},
        "cb_finish": {"json": {"outcome": "完成"}},
        "cb_rate": {"json": {"rating": 5}},
        "cb_wish": {"json": {"title": "想要书包", "kind": "supplies", "region_code": demo_grid}},
        "cb_wish_form": {"data": {"title": "想要书包", "kind": "supplies", "region_code": demo_grid}},
        "cb_wish_claim": {"data": {"note": ""}},
    }
    if body in bodies:
        kwargs.update(bodies[body])
    return path
