"""The access matrix: every route of the app × every role (and anonymous) × an object inside or outside the
actor's scope, with the expected status derived from `ROLE_PERMISSIONS`, the one source of truth:

- public routes answer everyone;
- anonymous → 401 (JSON API) or 303 to /login (pages);
- a role without a permission the route needs → 403 (before looking at the object);
- an object outside the actor's scope → 404 (nothing leaks that it exists);
- otherwise the route's success status.

`test_every_route_has_an_expectation` fails when the app gains a route the matrix does not describe.
Signed-in actors send their bearer token (pages accept it too, and it spares the CSRF token; CSRF itself is
tested in tests/accounts/test_pages.py). One app and client serve the whole module; each case still runs in
its own rolled-back transaction."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.routing import Mount

import gongzhi.orgs.service
import gongzhi.people.service
import gongzhi.regions.service  # noqa: F401 - the registers describe themselves on import
from gongzhi.core.auth import ROLE_PERMISSIONS
from gongzhi.core.registers import REGISTRY
from tests import conftest
from tests import factories as f
from tests.matrix import DOMAINS, Endpoint
from tests.notify import factories as nf

# demo account → role (tests/conftest.py and gongzhi.accounts.demo); scope level in brackets
ACTORS: dict[str, str | None] = {
    "anonymous": None,
    "admin": "admin",  # city
    "leader": "leader",  # city
    "street": "street_staff",  # the demo street
    "community": "community_staff",  # the demo community
    "grid": "grid_worker",  # the demo grid
    "handler": "department_handler",  # city
    "party": "party_member",  # the demo community
    "volunteer": "volunteer",  # the demo community
    "resident": "resident",  # the demo grid
}
CITY_WIDE = {"admin", "leader", "handler"}
KINDS = ("buildings", "households", "residents", "units", "party_orgs", "party_members", "grid_staff")
SENSITIVE = {k: next(f_.name for f_ in REGISTRY[k].fields if f_.sensitive)
             for k in KINDS if any(f_.sensitive for f_ in REGISTRY[k].fields)}
HTML = {"Accept": "text/html,application/xhtml+xml"}


def _register_endpoints() -> list[Endpoint]:
    out: list[Endpoint] = []
    for kind in KINDS:
        url = REGISTRY[kind].url
        read, write = f"{kind}:read", f"{kind}:write"
        api = f"/api/v1/{url}"
        out += [
            Endpoint("GET", api, "api", (read,), kind=kind),
            Endpoint("POST", api, "api", (write,), 201, kind=kind, body="create"),
            Endpoint("GET", f"{api}/template.xlsx", "api", (read,), kind=kind),
            Endpoint("GET", f"{api}/export.xlsx", "api", (read,), kind=kind),
            Endpoint("POST", f"{api}/import", "api", (write,), kind=kind, body="import"),
            Endpoint("GET", f"{api}/{{row_id}}", "api", (read,), scoped=True, kind=kind),
            Endpoint("PATCH", f"{api}/{{row_id}}", "api", (read, write), scoped=True, kind=kind, body="update"),
            Endpoint("DELETE", f"{api}/{{row_id}}", "api", (read, write), 204, scoped=True, kind=kind),
        ]
        if kind in SENSITIVE:
            out.append(Endpoint("POST", f"{api}/{{row_id}}/reveal", "api", (read, "personal:reveal"), scoped=True,
                                kind=kind))
        page = "/registers/{url}"
        out += [
            Endpoint("GET", page, "page", (read,), kind=kind),
            Endpoint("GET", f"{page}/new", "page", (write,), kind=kind),
            Endpoint("POST", f"{page}/new", "page", (write,), 303, kind=kind, body="form",
                     redirect=f"/registers/{url}/"),
            Endpoint("GET", f"{page}/import", "page", (write,), kind=kind),
            Endpoint("POST", f"{page}/import", "page", (write,), kind=kind, body="import"),
            Endpoint("GET", f"{page}/{{row_id}}", "page", (read,), scoped=True, kind=kind),
            Endpoint("GET", f"{page}/{{row_id}}/edit", "page", (read, write), scoped=True, kind=kind),
            Endpoint("POST", f"{page}/{{row_id}}/edit", "page", (read, write), 303, scoped=True, kind=kind,
                     body="form", redirect=f"/registers/{url}/"),
            Endpoint("POST", f"{page}/{{row_id}}/delete", "page", (read, write), 303, scoped=True, kind=kind,
                     redirect=f"/registers/{url}"),
        ]
        if kind in SENSITIVE:
            out.append(Endpoint("POST", f"{page}/{{row_id}}/reveal", "page", (read, "personal:reveal"),
                                scoped=True, kind=kind))
    return out


def appeal_readable(role: str, outside: bool) -> int:
    """The matrix's appeal lies in the target grid, handled at grid tier, filed by nobody in ACTORS: staff read it
    inside their scope, residents, volunteers and Party members too (their own scope, for "me too"); a department
    handler does not (not their department's case); admins and leaders read everything."""
    if role in ("admin", "leader"):
        return 200
    if role == "department_handler" or outside:
        return 404
    return 200


def appeal_upload(role: str, outside: bool) -> int:
    """Photos may be added by the handler (the grid worker), verifiers and dispatchers — not by mere readers."""
    seen = appeal_readable(role, outside)
    if seen != 200:
        return seen
    return 201 if role in ("admin", "street_staff", "community_staff", "grid_worker") else 403


def _appeal_endpoints() -> list[Endpoint]:
    api = "/api/v1/appeals"
    one = f"{api}/{{appeal_id}}"
    return [
        Endpoint("POST", api, "api", (), 201, body="appeal"),
        Endpoint("GET", api, "api", ()),
        Endpoint("GET", f"{api}/queues", "api", ()),
        Endpoint("POST", f"{api}/bulk-dispatch", "api", ("appeals:dispatch",), body="bulk_dispatch"),
        Endpoint("GET", one, "api", (), scoped=True, rule=appeal_readable),
        Endpoint("GET", f"{one}/timeline", "api", (), scoped=True, rule=appeal_readable),
        Endpoint("GET", f"{one}/duplicates", "api", (), scoped=True, rule=appeal_readable),
        Endpoint("POST", f"{one}/photos", "api", (), 201, scoped=True, rule=appeal_upload, body="photos"),
        Endpoint("GET", f"{one}/photos/{{photo_id}}", "api", (), scoped=True, rule=appeal_readable),
        Endpoint("POST", f"{one}/{{action}}", "api", (), scoped=True, rule=appeal_readable, url=None,
                 body="metoo"),
    ]


def _roles(*roles: str) -> Any:
    """A page for these roles only: 200 for them, 403 for the rest (gongzhi.appeals.pages gates by role)."""
    return lambda role, _outside: 200 if role in roles else 403


def appeal_page_action(role: str, outside: bool) -> int:
    """"Me too" from the appeal page: a redirect back to it for everyone who may read the appeal."""
    seen = appeal_readable(role, outside)
    return 303 if seen == 200 else seen


def _appeal_page_endpoints() -> list[Endpoint]:
    """The appeal pages (gongzhi.appeals.pages): phone pages, desks by role or permission, one appeal."""
    return [
        Endpoint("GET", "/appeals/new", "page", ()),
        Endpoint("POST", "/appeals/new", "page", (), 303, body="appeal_form", redirect="/appeals/"),
        Endpoint("GET", "/appeals/mine", "page", ()),
        Endpoint("GET", "/appeals/nearby", "page", (), rule=_roles("resident", "volunteer", "party_member")),
        Endpoint("GET", "/appeals/inbox", "page", (), rule=_roles("department_handler", "grid_worker",
                                                                  "community_staff", "street_staff", "admin")),
        Endpoint("GET", "/appeals/verify", "page", (), rule=_roles("grid_worker", "community_staff", "admin")),
        Endpoint("GET", "/appeals/supervision", "page", ("appeals:supervise",)),
        Endpoint("GET", "/appeals/console", "page", ("appeals:dispatch",)),
        Endpoint("POST", "/appeals/console/dispatch", "page", ("appeals:dispatch",), 303,
                 redirect="/appeals/console"),
        Endpoint("GET", "/appeals/matters", "page", ("duties:read",)),
        Endpoint("GET", "/appeals/{appeal_id}", "page", (), scoped=True, rule=appeal_readable),
        Endpoint("POST", "/appeals/{appeal_id}/{action}", "page", (), scoped=True, rule=appeal_page_action,
                 body="metoo", redirect="/appeals/"),
    ]


def _calendar_endpoints() -> list[Endpoint]:
    """The working-day calendar: everyone signed in reads it, only admins change it."""
    api, page, write = "/api/v1/calendar", "/admin/calendar", ("calendar:write",)
    return [
        Endpoint("GET", f"{api}/{{year}}", "api", ()),
        Endpoint("GET", f"{api}/{{year}}/template.xlsx", "api", ()),
        Endpoint("PUT", f"{api}/{{year}}", "api", write, body="calendar_year"),
        Endpoint("POST", f"{api}/{{year}}/import", "api", write, body="calendar_import"),
        Endpoint("PUT", f"{api}/days/{{day}}", "api", write, body="calendar_day"),
        Endpoint("DELETE", f"{api}/days/{{day}}", "api", write, 204),
        Endpoint("GET", page, "page", write),
        Endpoint("POST", f"{page}/day", "page", write, 303, body="calendar_form", redirect=page),
        Endpoint("POST", f"{page}/known", "page", write, 303, body="calendar_known", redirect=page),
        Endpoint("POST", f"{page}/import", "page", write, body="calendar_import"),
    ]


def _open311_endpoints() -> list[Endpoint]:
    """Open311 GeoReport v2 (tests/open311): reading is public; posting needs an api_key, never a login — with
    a valid key every actor (anonymous too) gets 200, without one every actor (admin too) gets 403. No token is
    ever issued (every service is realtime), so every token is 404 for everyone."""
    v2 = "/open311/v2"
    return [
        Endpoint("GET", f"{v2}/discovery.{{fmt}}", "open311", None, url=f"{v2}/discovery.json"),
        Endpoint("GET", f"{v2}/services.{{fmt}}", "open311", None, url=f"{v2}/services.xml"),
        Endpoint("GET", f"{v2}/services/{{service_code}}.{{fmt}}", "open311", None, body="open311"),
        Endpoint("POST", f"{v2}/requests.{{fmt}}", "open311", None, body="open311"),
        Endpoint("POST", f"{v2}/requests.{{fmt}}", "open311", None, 403, body="open311_no_key"),
        Endpoint("GET", f"{v2}/requests.{{fmt}}", "open311", None, url=f"{v2}/requests.json"),
        Endpoint("GET", f"{v2}/requests/{{service_request_id}}.{{fmt}}", "open311", None, body="open311"),
        Endpoint("GET", f"{v2}/tokens/{{token}}.{{fmt}}", "open311", None, 404, url=f"{v2}/tokens/1.xml"),
    ]


def _duty_endpoints() -> list[Endpoint]:
    """The duty catalog: all staff read it, admins change it; a community's admission list is scoped to the
    community (its own staff, its street, admins write; a grid worker reads their community's). Ids, codes and
    bodies: tests/duties/matrix.py."""
    read, write, admit = ("duties:read",), ("duties:read", "duties:write"), ("duties:read", "admission:write")
    api, adm = "/api/v1/duties", "/api/v1/duties/admission/{community_code}"
    page, padm = "/duties", "/duties/admission/{community_code}"
    return [
        Endpoint("GET", f"{api}/departments", "api", read),
        Endpoint("POST", f"{api}/departments", "api", write, 201, body="duty_department"),
        Endpoint("GET", f"{api}/departments/template.xlsx", "api", read),
        Endpoint("GET", f"{api}/departments/export.xlsx", "api", read),
        Endpoint("POST", f"{api}/departments/import", "api", write, body="duty_import_departments"),
        Endpoint("GET", f"{api}/departments/{{department_id}}", "api", read),
        Endpoint("PATCH", f"{api}/departments/{{department_id}}", "api", write, body="duty_department_update"),
        Endpoint("GET", f"{api}/categories", "api", read),
        Endpoint("POST", f"{api}/categories", "api", write, 201, body="duty_category"),
        Endpoint("PATCH", f"{api}/categories/{{category_id}}", "api", write, body="duty_category_update"),
        Endpoint("GET", f"{api}/matter-types", "api", read),
        Endpoint("POST", f"{api}/matter-types", "api", write, 201, body="duty_matter"),
        Endpoint("GET", f"{api}/matter-types/template.xlsx", "api", read),
        Endpoint("GET", f"{api}/matter-types/export.xlsx", "api", read),
        Endpoint("POST", f"{api}/matter-types/import", "api", write, body="duty_import_matters"),
        Endpoint("GET", f"{api}/matter-types/{{matter_type_id}}", "api", read),
        Endpoint("PATCH", f"{api}/matter-types/{{matter_type_id}}", "api", write, body="duty_matter_update"),
        Endpoint("GET", f"{api}/suggest", "api", read, body="duty_suggest"),
        Endpoint("GET", f"{api}/admission", "api", read),
        Endpoint("GET", f"{api}/admission/template.xlsx", "api", read),
        Endpoint("GET", adm, "api", read, scoped=True),
        Endpoint("POST", adm, "api", admit, 201, scoped=True, body="duty_admission"),
        Endpoint("GET", f"{adm}/export.xlsx", "api", read, scoped=True),
        Endpoint("POST", f"{adm}/import", "api", admit, scoped=True, body="duty_import_admission"),
        Endpoint("GET", f"{adm}/check", "api", read, scoped=True, body="duty_check"),
        Endpoint("GET", f"{adm}/{{item_id}}", "api", read, scoped=True),
        Endpoint("PATCH", f"{adm}/{{item_id}}", "api", admit, scoped=True, body="duty_admission_update"),
        Endpoint("DELETE", f"{adm}/{{item_id}}", "api", admit, 204, scoped=True),
        Endpoint("GET", page, "page", read),
        Endpoint("GET", f"{page}/matter-types/new", "page", write),
        Endpoint("POST", f"{page}/matter-types/new", "page", write, 303, body="duty_matter_form",
                 redirect="/duties/matter-types/"),
        Endpoint("GET", f"{page}/matter-types/{{matter_type_id}}", "page", read),
        Endpoint("GET", f"{page}/matter-types/{{matter_type_id}}/edit", "page", write),
        Endpoint("POST", f"{page}/matter-types/{{matter_type_id}}/edit", "page", write, 303, body="duty_matter_form",
                 redirect="/duties/matter-types/"),
        Endpoint("GET", f"{page}/departments", "page", read),
        Endpoint("GET", f"{page}/import/{{kind}}", "page", write),
        Endpoint("POST", f"{page}/import/{{kind}}", "page", write, body="duty_import_matters"),
        Endpoint("GET", f"{page}/admission", "page", read),
        Endpoint("GET", padm, "page", read, scoped=True),
        Endpoint("GET", f"{padm}/new", "page", admit, scoped=True),
        Endpoint("POST", f"{padm}/new", "page", admit, 303, scoped=True, body="duty_admission_form",
                 redirect="/duties/admission/"),
        Endpoint("GET", f"{padm}/import", "page", admit, scoped=True),
        Endpoint("POST", f"{padm}/import", "page", admit, scoped=True, body="duty_import_admission"),
        Endpoint("GET", f"{padm}/{{item_id}}/edit", "page", admit, scoped=True),
        Endpoint("POST", f"{padm}/{{item_id}}/edit", "page", admit, 303, scoped=True, body="duty_admission_form",
                 redirect="/duties/admission/"),
        Endpoint("POST", f"{padm}/{{item_id}}/delete", "page", admit, 303, scoped=True,
                 redirect="/duties/admission/"),
    ]


ENDPOINTS: list[Endpoint] = [
    # public
    Endpoint("GET", "/healthz", "api", None, url="/healthz"),
    Endpoint("GET", "/api/openapi.json", "api", None, url="/api/openapi.json"),
    Endpoint("GET", "/api/docs", "page", None, url="/api/docs"),
    Endpoint("GET", "/redoc", "page", None, url="/redoc"),
    Endpoint("GET", "/docs/oauth2-redirect", "page", None, url="/docs/oauth2-redirect"),
    Endpoint("MOUNT", "/static", "page", None, url="/static/app.css"),
    Endpoint("MOUNT", "/vendor/htmx", "page", None, url="/vendor/htmx/htmx.min.js"),
    Endpoint("MOUNT", "/vendor/leaflet", "page", None, url="/vendor/leaflet/leaflet.js"),
    Endpoint("MOUNT", "/vendor/echarts", "page", None, url="/vendor/echarts/echarts.min.js"),
    Endpoint("POST", "/api/v1/auth/token", "api", None, body="token"),
    Endpoint("GET", "/login", "page", None, ok_signed_in=303),
    Endpoint("POST", "/login", "page", None, 303, body="login", redirect="/"),
    Endpoint("POST", "/logout", "page", None, 303, redirect="/login"),
    # signed in
    Endpoint("GET", "/api/v1/me", "api", ()),
    Endpoint("GET", "/api/v1/regions/locate", "api", ()),
    Endpoint("GET", "/", "page", ()),
    # regions
    Endpoint("GET", "/api/v1/regions", "api", ("regions:read",)),
    Endpoint("POST", "/api/v1/regions", "api", ("regions:write",), 201, body="region"),
    Endpoint("GET", "/api/v1/regions/{code}", "api", ("regions:read",), scoped=True),
    Endpoint("GET", "/api/v1/regions/{code}/map", "api", ("regions:read",), scoped=True),
    Endpoint("GET", "/api/v1/regions/{code}/grid-load", "api", ("regions:read",), scoped=True),
    Endpoint("PATCH", "/api/v1/regions/{code}", "api", ("regions:write",), scoped=True, body="region_update"),
    Endpoint("GET", "/regions", "page", ("regions:read",), 303, redirect="/regions/"),
    Endpoint("GET", "/regions/{code}", "page", ("regions:read",), scoped=True),
    # audit
    Endpoint("GET", "/api/v1/audit", "api", ("audit:read",)),
    Endpoint("GET", "/audit", "page", ("audit:read",)),
    # notifications: every signed-in user, their own messages only (another user's message → 404)
    Endpoint("GET", "/api/v1/messages", "api", ()),
    Endpoint("GET", "/api/v1/messages/unread-count", "api", ()),
    Endpoint("POST", "/api/v1/messages/read", "api", (), body="messages_read"),
    Endpoint("GET", "/messages", "page", ()),
    Endpoint("GET", "/messages/badge", "page", ()),
    Endpoint("POST", "/messages/read-all", "page", (), 303, redirect="/messages"),
    Endpoint("POST", "/messages/{message_id}/read", "page", (), 303, scoped=True, redirect="/messages"),
    *_register_endpoints(),
    *_duty_endpoints(),
    *_appeal_endpoints(),
    *_appeal_page_endpoints(),
    *_calendar_endpoints(),
    *_open311_endpoints(),
    *(ep for module in DOMAINS for ep in importlib.import_module(module).endpoints()),
]


def expected(ep: Endpoint, role: str | None, outside: bool) -> int:
    """The status the matrix demands, from the permissions alone."""
    if ep.needs is None:
        return ep.ok_signed_in if role is not None and ep.ok_signed_in else ep.ok
    if role is None:
        return 401 if ep.face == "api" else 303
    if ep.rule is not None:
        return int(ep.rule(role, outside))
    if any(p not in ROLE_PERMISSIONS[role] for p in ep.needs):
        return 403
    if ep.scoped and outside:
        return 404
    return ep.ok


def _cases() -> Iterator[Any]:
    for ep in ENDPOINTS:
        for actor in ACTORS:
            places = ["inside"]
            if ep.scoped and actor != "anonymous" and actor not in CITY_WIDE:
                places.append("outside")
            for place in places:
                shown = ep.route.replace("{url}", REGISTRY[ep.kind].url) if ep.kind else ep.route
                yield pytest.param(ep, actor, place, id=f"{ep.method} {shown} | {actor} | {place}")


# ---- one app for the module; each case gets the test's rolled-back session ------------------------------

_current: dict[str, Session] = {}


@pytest.fixture(scope="module")
def matrix_client(city: dict[str, Any]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from gongzhi.app import create_app
    from gongzhi.core.db import unit_of_work
    from gongzhi.core.web import get_session

    app = create_app()

    def _session() -> Iterator[Session]:
        with unit_of_work(_current["session"]) as session:
            yield session

    app.dependency_overrides[get_session] = _session
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def mclient(matrix_client: Any, session: Session) -> Iterator[Any]:
    _current["session"] = session
    matrix_client.cookies.clear()
    yield matrix_client
    _current.pop("session", None)


def _headers(client: Any, actor: str, face: str) -> dict[str, str]:
    headers = dict(HTML) if face == "page" else {}
    if ACTORS[actor] is None:
        return headers
    if actor not in conftest._tokens:
        r = client.post("/api/v1/auth/token", data={"username": actor, "password": conftest.PASSWORD})
        assert r.status_code == 200, r.text
        conftest._tokens[actor] = r.json()["access_token"]
    return {**headers, "Authorization": f"Bearer {conftest._tokens[actor]}"}


def _form(kind: str, grid_code: str) -> dict[str, Any]:
    """A register's create/edit form as a browser posts it: check boxes as repeated values."""
    data: dict[str, Any] = {}
    for name, value in f.payload(kind, grid_code).items():
        field = REGISTRY[kind].field(name)
        if field.kind == "tags":
            data[name] = str(value).split(",")
        elif field.kind == "bool":
            if value:
                data[name] = "是"
        else:
            data[name] = str(value)
    return data


def _request(client: Any, session: Session, city: dict[str, Any], ep: Endpoint, actor: str,
             place: str) -> Any:
    grid_code = city["scopes"]["grid"]
    target_code = city["other_grid"] if place == "outside" else grid_code
    path = ep.url or ep.route
    if ep.kind:
        path = path.replace("{url}", REGISTRY[ep.kind].url)
        if "{row_id}" in path:
            row = f.make_row(session, ep.kind, f.region(session, target_code))
            path = path.replace("{row_id}", str(row.id))
    path = path.replace("{code}", target_code)
    if "{message_id}" in path:  # a message of the actor's own (inside), or another user's (outside)
        path = path.replace("{message_id}", str(nf.message_id_for(session, actor, place)))
    if "{appeal_id}" in path:
        appeal = f.make_appeal(session, f.region(session, target_code))
        path = path.replace("{appeal_id}", str(appeal.id)).replace("{action}", "metoo")
        if "{photo_id}" in path:
            path = path.replace("{photo_id}", str(f.make_appeal_photo(session, appeal).id))
    path = path.replace("{year}", "2027").replace("{day}", "2026-10-01")  # calendar: an unknown year, a holiday
    headers = _headers(client, actor, ep.face)
    kwargs: dict[str, Any] = {"headers": headers}
    if ep.route == "/api/v1/regions/locate":
        grid = f.region(session, grid_code)
        kwargs["params"] = {"lon": grid.center_lon, "lat": grid.center_lat}
    if ep.kind in SENSITIVE and path.endswith("/reveal"):
        kwargs["params"] = {"field": SENSITIVE[ep.kind]}
    if ep.body == "create":
        kwargs["json"] = f.payload(ep.kind or "", grid_code)
    elif ep.body == "update":
        kwargs["json"] = f.UPDATES[ep.kind or ""]
    elif ep.body == "import":
        reg = REGISTRY[ep.kind or ""]
        kwargs["files"] = {"file": ("data.xlsx", f.register_workbook(reg, [f.payload(reg.kind, grid_code)]), f.XLSX)}
    elif ep.body == "form":
        kwargs["data"] = _form(ep.kind or "", grid_code)
    elif ep.body == "region":
        kwargs["json"] = {"parent_code": city["scopes"]["community"], "code": f.unique_code("R"), "name": "新小区",
                          "level": "compound"}
    elif ep.body == "appeal":
        grid = f.region(session, target_code)
        role = ACTORS[actor]
        channel = {"resident": "h5", "volunteer": "volunteer", "party_member": "volunteer", "grid_worker": "patrol",
                   "leader": "mailbox", "department_handler": "transfer"}.get(role or "", "hotline")
        kwargs["json"] = {"title": "路灯不亮", "lat": grid.center_lat, "lon": grid.center_lon, "channel": channel,
                          "region_code": grid.code}
    elif ep.body == "appeal_form":  # the report form as a browser posts it; each role's first channel
        grid = f.region(session, target_code)
        kwargs["data"] = {"title": "路灯不亮", "lat": str(grid.center_lat), "lon": str(grid.center_lon),
                          "region_code": grid.code}
    elif ep.body == "bulk_dispatch":
        kwargs["json"] = {"ids": [f.make_appeal(session, f.region(session, target_code)).id]}
    elif ep.body == "photos":
        kwargs["files"] = {"photos": ("p.png", f.tiny_png(), "image/png")}
    elif ep.body == "metoo":
        kwargs["json"] = {}
    elif ep.body == "region_update":
        kwargs["json"] = {"name": "改名网格"}
    elif ep.body == "messages_read":
        kwargs["json"] = {"all": True}
    elif ep.body == "calendar_day":
        kwargs["json"] = {"is_workday": False, "name": "国庆节"}
    elif ep.body == "calendar_year":
        kwargs["json"] = {"known": True}
    elif ep.body == "calendar_import":
        rows = [("2027-10-01", "休息", "国庆节")]
        kwargs["files"] = {"file": ("2027.xlsx", f.workbook(("日期", "是否上班", "名称"), rows), f.XLSX)}
        kwargs["data"] = {"year": "2027"}
    elif ep.body == "calendar_form":
        kwargs["data"] = {"date": "2026-10-01", "kind": "rest", "name": "国庆节", "year": "2026"}
    elif ep.body == "calendar_known":
        kwargs["data"] = {"year": "2027", "known": "1"}
    elif ep.body == "token":
        kwargs["data"] = {"username": "grid" if actor == "anonymous" else actor, "password": conftest.PASSWORD}
    elif ep.body == "login":
        username = "grid" if actor == "anonymous" else actor
        form = client.get("/login", headers=HTML)  # anonymous here: the token is only sent with the POST
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        kwargs["data"] = {"username": username, "password": conftest.PASSWORD, "csrf_token": csrf, "next": "/"}
    if ep.face == "open311" and ep.body:  # a service, an appeal and a key of our own (tests/open311)
        from tests.open311 import factories as o311

        path, extra = o311.matrix_request(session, ep.route, ep.body, grid_code)
        kwargs.update(extra)
    if ep.route.startswith(("/api/v1/duties", "/duties")):  # the duty catalog (tests/duties/matrix.py)
        from tests.duties import matrix as duties_matrix

        path = duties_matrix.prepare(session, city, ep.body, place, path, kwargs)
    for module, prefixes in DOMAINS.items():
        if ep.route.startswith(prefixes):
            path = importlib.import_module(module).prepare(session, city, ep, place, path, kwargs)
    method = "GET" if ep.method == "MOUNT" else ep.method
    return client.request(method, path, **kwargs)


@pytest.mark.parametrize(("ep", "actor", "place"), list(_cases()))
def test_access(mclient: Any, session: Session, city: dict[str, Any], principal: Any, ep: Endpoint, actor: str,
                place: str) -> None:
    role = ACTORS[actor]
    if place == "outside":  # the premise of the case: the object really is outside this actor's scope
        assert not principal(actor).covers(f.region(session, city["other_grid"]).path)
    want = expected(ep, role, place == "outside")
    r = _request(mclient, session, city, ep, actor, place)
    assert r.status_code == want, f"{ep.method} {ep.route} as {actor} ({place}): {r.status_code} {r.text[:300]}"
    if want == 303:
        location = r.headers["location"]
        if role is None and ep.needs is not None:
            assert location.startswith("/login?next="), location
        elif ep.redirect:
            assert location.startswith(ep.redirect), location
    if want in (401, 403, 404) and ep.face == "api":
        assert r.json()["error"]["code"] in ("unauthorized", "forbidden", "not_found")
    if want in (403, 404) and ep.face == "page":
        assert r.headers["content-type"].startswith("text/html")


# ---- the matrix covers the whole app ----------------------------------------------------------------------

def _app_routes() -> set[tuple[str, str]]:
    from gongzhi.app import create_app

    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any]) -> None:
        for r in routes:
            if hasattr(r, "original_router"):  # FastAPI ≥ 0.165 wraps included routers
                walk(r.original_router.routes)
            elif isinstance(r, Mount):
                found.add(("MOUNT", r.path))
            else:
                for method in (r.methods or set()) - {"HEAD"}:
                    found.add((method, r.path))

    walk(create_app().router.routes)
    return found


def _matrix_routes() -> set[tuple[str, str]]:
    keys = set()
    for ep in ENDPOINTS:
        route = ep.route
        if ep.kind and route.startswith("/registers/"):
            keys.add((ep.method, route))  # one generic page route serves every register
        else:
            keys.add(ep.key)
    return keys


def test_every_route_has_an_expectation() -> None:
    missing = _app_routes() - _matrix_routes()
    stale = _matrix_routes() - _app_routes()
    assert not missing, f"routes without an access expectation: {sorted(missing)}"
    assert not stale, f"expectations for routes that no longer exist: {sorted(stale)}"


def test_every_register_page_route_is_expanded_for_every_register() -> None:
    for method, route in _app_routes():
        if not route.startswith("/registers/"):
            continue
        kinds = {ep.kind for ep in ENDPOINTS if (ep.method, ep.route) == (method, route)}
        wanted = set(SENSITIVE) if route.endswith("/reveal") else set(KINDS)
        assert kinds == wanted, (method, route)


def test_every_role_is_in_the_matrix() -> None:
    from gongzhi.accounts.models import ROLES

    assert {r for r in ACTORS.values() if r} == set(ROLES) == set(ROLE_PERMISSIONS)
