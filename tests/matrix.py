"""The access matrix's vocabulary (tests/test_access_matrix.py). A domain describes its own routes in
`tests/<domain>/matrix.py`: `endpoints()` lists them, `prepare(session, city, ep, place, path, kwargs)` fills in
the ids in the path and a valid body and returns the path; the domain is then named in `DOMAINS` below."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# tests/<domain>/matrix.py modules, each owning the routes under its prefixes
DOMAINS: dict[str, tuple[str, ...]] = {
    "tests.volunteers.matrix": ("/api/v1/volunteers", "/volunteers"),
    "tests.points.matrix": ("/api/v1/points", "/points"),
    "tests.cobuild.matrix": ("/api/v1/cobuild", "/cobuild"),
    "tests.assessment.matrix": ("/api/v1/assessment", "/assessment"),
    "tests.dashboard.matrix": ("/api/v1/dashboard", "/dashboard"),
}


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
    rule: Any = None  # (role, outside) → status, for routes whose access depends on the object, not a permission

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route
