"""What the access matrix (tests/test_access_matrix.py) sends to the 双报到 and volunteer routes. The phone pages
go by role (a Party member's or a volunteer's own); the community desk by permission (volunteers:read to look,
volunteers:manage to change) and scope (a row of the actor's community inside, of the other community outside);
logs, photos and the Word reports also by who the row belongs to (`rule=`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from gongzhi.appeals.media import check_and_store
from gongzhi.core.auth import ROLE_PERMISSIONS
from gongzhi.volunteers import service
from gongzhi.volunteers.models import Evaluation, Pairing, PostClaim, ProblemClaim
from tests import factories as f
from tests.matrix import Endpoint
from tests.volunteers import factories as vf

READ, MANAGE = ("volunteers:read",), ("volunteers:manage",)
CITY_WIDE = ("admin", "leader")


def _roles(*roles: str, ok: int = 200, scoped: bool = False) -> Any:
    """A phone page for these roles only (403 for the rest); `scoped`: an object of another community → 404."""
    return lambda role, outside: (404 if scoped and outside else ok) if role in roles else 403


def _desk_reader(role: str, outside: bool) -> int:
    """A row the desk may read (its author aside): volunteers:read and the row's community in scope, else 404."""
    if "volunteers:read" not in ROLE_PERMISSIONS[role]:
        return 404
    return 404 if outside and role not in CITY_WIDE else 200


def _unit_report(role: str, outside: bool) -> int:
    """All members of one unit: the desk gets those inside its scope (none outside → 404); the unit's own handler
    would get all; the demo handler acts for no unit and other roles may not (403)."""
    if "volunteers:read" not in ROLE_PERMISSIONS[role]:
        return 403
    return 404 if outside and role not in CITY_WIDE else 200


def _member_or_desk(ok: int) -> Any:
    """Ending a pair or releasing a problem claim: the member their own (another's → 404), the desk with
    volunteers:manage inside its scope (outside → 404), every other role 403."""
    def rule(role: str, outside: bool) -> int:
        if role == "party_member":
            return 404 if outside else ok
        if "volunteers:manage" not in ROLE_PERMISSIONS[role]:
            return 403
        return 404 if outside and role not in CITY_WIDE else ok

    return rule


def endpoints() -> list[Endpoint]:
    api, page = "/api/v1/volunteers", "/volunteers"
    party, volunteer = _roles("party_member"), _roles("volunteer")
    return [
        Endpoint("GET", f"{api}/me", "api", ()),
        Endpoint("POST", f"{api}/reports", "api", (), body="vol_report",
                 rule=_roles("volunteer", "party_member", ok=201)),
        Endpoint("GET", f"{api}/logs", "api", READ),
        Endpoint("POST", f"{api}/logs/{{log_id}}/decide", "api", MANAGE, scoped=True, body="vol_decide_json"),
        Endpoint("POST", f"{api}/posts/{{post_id}}/active", "api", MANAGE, scoped=True, body="vol_active_json"),
        Endpoint("POST", f"{api}/pairs/{{pairing_id}}/end", "api", (), scoped=True, rule=_member_or_desk(200)),
        Endpoint("POST", f"{api}/problems/{{claim_id}}/release", "api", (), scoped=True, rule=_member_or_desk(200)),
        # the Party member's phone pages
        Endpoint("GET", f"{page}/party", "page", (), rule=party),
        Endpoint("POST", f"{page}/party/register", "page", (), 303, body="vol_register", redirect="/volunteers/party",
                 rule=_roles("party_member", ok=303)),
        Endpoint("POST", f"{page}/posts/{{post_id}}/claim", "page", (), 303, scoped=True, redirect="/volunteers/party",
                 rule=_roles("party_member", ok=303, scoped=True)),
        Endpoint("POST", f"{page}/posts/{{post_id}}/release", "page", (), 303, scoped=True,
                 redirect="/volunteers/party", rule=_roles("party_member", ok=303, scoped=True)),
        Endpoint("GET", f"{page}/party/households", "page", (), rule=party),
        Endpoint("POST", f"{page}/households/{{household_id}}/pair", "page", (), 303, scoped=True,
                 redirect="/volunteers/party", rule=_roles("party_member", ok=303, scoped=True)),
        Endpoint("GET", f"{page}/party/problems", "page", (), rule=party),
        # ending a pair, releasing a problem: the member (phone) or the desk
        Endpoint("POST", f"{page}/pairs/{{pairing_id}}/end", "page", (), 303, scoped=True, redirect="/volunteers/",
                 rule=_member_or_desk(303)),
        Endpoint("POST", f"{page}/problems/{{claim_id}}/release", "page", (), 303, scoped=True,
                 redirect="/volunteers/", rule=_member_or_desk(303)),
        Endpoint("POST", f"{page}/problems", "page", (), 303, scoped=True, body="vol_problem",
                 redirect="/volunteers/party", rule=_roles("party_member", ok=303, scoped=True)),
        Endpoint("POST", f"{page}/logs", "page", (), 303, body="vol_log", redirect="/volunteers/",
                 rule=_roles("party_member", "volunteer", ok=303)),
        Endpoint("GET", f"{page}/logs/{{log_id}}/photos/{{index}}", "page", (), scoped=True, rule=_desk_reader),
        # the volunteer's phone page
        Endpoint("GET", f"{page}/me", "page", (), rule=volunteer),
        Endpoint("POST", f"{page}/me/profile", "page", (), 303, body="vol_profile", redirect="/volunteers/me",
                 rule=_roles("volunteer", ok=303)),
        # the community desk
        Endpoint("GET", f"{page}/desk", "page", READ),
        Endpoint("GET", f"{page}/hours.xlsx", "page", READ),
        Endpoint("POST", f"{page}/reportings/{{reporting_id}}/decide", "page", MANAGE, 303, scoped=True,
                 body="vol_decide", redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/posts", "page", MANAGE, 303, scoped=True, body="vol_post",
                 redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/posts/{{post_id}}/active", "page", MANAGE, 303, scoped=True, body="vol_active",
                 redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/logs/{{log_id}}/decide", "page", MANAGE, 303, scoped=True, body="vol_decide",
                 redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/teams", "page", MANAGE, 303, scoped=True, body="vol_team",
                 redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/volunteers", "page", MANAGE, 303, scoped=True, body="vol_add_volunteer",
                 redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/volunteers/{{volunteer_id}}/team", "page", MANAGE, 303, scoped=True,
                 body="vol_set_team", redirect="/volunteers/desk"),
        Endpoint("POST", f"{page}/reportings/{{reporting_id}}/evaluate", "page", MANAGE, 303, scoped=True,
                 body="vol_evaluate", redirect="/volunteers/desk"),
        Endpoint("GET", f"{page}/reportings/{{reporting_id}}/report.docx", "page", (), scoped=True,
                 rule=_desk_reader),
        Endpoint("GET", f"{page}/units/{{unit_id}}/report.docx", "page", (), scoped=True, rule=_unit_report),
        # the employer unit's page: a handler acting for a unit (the demo handler acts for none)
        Endpoint("GET", f"{page}/employer", "page", (), rule=lambda _role, _outside: 403),
    ]


def prepare(session: Session, city: dict[str, Any], ep: Endpoint, place: str, path: str,
            kwargs: dict[str, Any]) -> str:
    comm = vf.community(session, city, place)
    home = vf.community(session, city)
    # the demo Party member has reported (and been confirmed) at home; the demo volunteer has a profile
    party = vf.principal_of(session, "party")
    mine = service.my_reporting(session, party)
    if mine is None and not ep.route.endswith("/register"):
        mine = vf.make_reporting(session, party, name="矩阵党员")
    volunteer = vf.principal_of(session, "volunteer")
    if service.my_volunteer(session, volunteer) is None:
        vf.make_volunteer(session, volunteer)
    year = service.today().year
    if "{post_id}" in path:
        post = vf.make_post(session, comm)
        if path.endswith("/release") and place == "inside" and mine is not None:
            session.add(PostClaim(post_id=post.id, reporting_id=mine.id))
            session.commit()
        path = path.replace("{post_id}", str(post.id))
    if "{pairing_id}" in path or "{claim_id}" in path:
        # inside: the demo member's own row; outside: another member's in the other community
        owner = mine if place == "inside" and mine is not None else vf.party(session, comm, name="矩阵结对")[1]
        placed = {"reporting_id": owner.id, "region_id": comm.id, "scope_path": comm.path}
        if "{pairing_id}" in path:
            row: Any = Pairing(household_id=vf.make_care_household(session, comm).id, care_tags="独居老人", **placed)
        else:
            appeal = f.make_appeal(session, vf.grid_of(session, comm))
            row = ProblemClaim(target_kind="appeal", target_id=appeal.id, title="矩阵难题", **placed)
        session.add(row)
        session.commit()
        path = path.replace("{pairing_id}", str(row.id)).replace("{claim_id}", str(row.id))
    if "{household_id}" in path:
        path = path.replace("{household_id}", str(vf.make_care_household(session, comm).id))
    if "{log_id}" in path:
        who, _r = vf.party(session, comm, name="矩阵服务")
        log = vf.make_log(session, who)
        if "{index}" in path:
            log.photos = [asdict(check_and_store(f.tiny_png(), "p.png", keep_location=False))]
            session.commit()
        path = path.replace("{log_id}", str(log.id)).replace("{index}", "0")
    if "{reporting_id}" in path:
        unit = vf.make_unit(session, comm)
        _who, r = vf.party(session, comm, unit=unit, status="pending" if path.endswith("/decide") else "confirmed")
        if path.endswith(".docx"):
            _evaluation(session, r, year)
            path += f"?year={year}"
        path = path.replace("{reporting_id}", str(r.id))
    if "{unit_id}" in path:
        unit = vf.make_unit(session, comm)
        _who, r = vf.party(session, comm, unit=unit)
        _evaluation(session, r, year)
        path = path.replace("{unit_id}", str(unit.id)) + f"?year={year}"
    if "{volunteer_id}" in path:
        who = vf.account(session, "volunteer", comm, name="矩阵志愿者")
        path = path.replace("{volunteer_id}", str(vf.make_volunteer(session, who).id))
    grid = vf.grid_of(session, home)
    bodies: dict[str, dict[str, Any]] = {
        "vol_report": {"json": {"title": "路灯不亮", "region_code": grid.code}},
        "vol_decide_json": {"json": {"confirm": True}},
        "vol_decide": {"data": {"decision": "confirm"}},
        "vol_active_json": {"json": {"active": False}},
        "vol_active": {"data": {"active": "0"}},
        "vol_register": {"data": {"name": "矩阵报到", "employer_name": "矩阵单位"}},
        "vol_problem": {"data": {"kind": "appeal",
                                 "target_id": str(f.make_appeal(session, vf.grid_of(session, comm)).id)}},
        "vol_log": {"data": {"served_on": service.today().isoformat(), "hours": "1", "what": "矩阵服务"}},
        "vol_profile": {"data": {"name": "矩阵志愿者", "roles": ["patrol"]}},
        "vol_post": {"data": {"community": comm.code, "name": "矩阵岗位", "slots": "2"}},
        "vol_team": {"data": {"community": comm.code, "name": f"矩阵队{f.unique_code('')}"}},
        "vol_set_team": {"data": {"team_id": ""}},
        "vol_add_volunteer": {"data": {"community": comm.code, "resident_name": _resident(session, comm),
                                       "roles": ["guard"]}},
        "vol_evaluate": {"data": {"year": str(year), "grade": "合格"}},
    }
    if ep.body in bodies:
        kwargs.update(bodies[ep.body])
    return path


def _resident(session: Session, comm: Any) -> str:
    name = f"矩阵居民{f.unique_code('')}"
    f.make_resident(session, grid=vf.grid_of(session, comm), name=name)
    return name


def _evaluation(session: Session, r: Any, year: int) -> Evaluation:
    ev = Evaluation(reporting_id=r.id, year=year, grade="合格", comment="", figures=service.figures(session, r, year),
                    region_id=r.region_id, scope_path=r.scope_path)
    session.add(ev)
    session.commit()
    return ev
