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

from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the app's path template
    face: str  # "api" | "page"
    needs: tuple[str, ...] | None  # None: public; (): any signed-in user; else every permission listed
    ok: int = 200
    scoped: bool = False  # acts on one object or region: outside the actor's scope → 404
    kind: str | None = None  # the register it belongs to
    body: str | None = None  # what to send: create, update, import, form, region, region_update, login, token
    redirect: str | None = None  # Location of a successful redirect (prefix)
    ok_signed_in: int | None = None  # a public route that answers signed-in users differently
    url: str | None = None  # a concrete URL for public routes and mounts

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route


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
    *_register_endpoints(),
]


def expected(ep: Endpoint, role: str | None, outside: bool) -> int:
    """The status the matrix demands, from the permissions alone."""
    if ep.needs is None:
        return ep.ok_signed_in if role is not None and ep.ok_signed_in else ep.ok
    if role is None:
        return 401 if ep.face == "api" else 303
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
    elif ep.body == "region_update":
        kwargs["json"] = {"name": "改名网格"}
    elif ep.body == "token":
        kwargs["data"] = {"username": "grid" if actor == "anonymous" else actor, "password": conftest.PASSWORD}
    elif ep.body == "login":
        username = "grid" if actor == "anonymous" else actor
        form = client.get("/login", headers=HTML)  # anonymous here: the token is only sent with the POST
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        kwargs["data"] = {"username": username, "password": conftest.PASSWORD, "csrf_token": csrf, "next": "/"}
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
