"""What the access matrix (tests/test_access_matrix.py) expects of assessment's routes and sends to them.

The set lies at the demo street (inside) or at the other street (outside), ranking communities; a scorecard or
score is for the demo community (inside) or the other community (outside). Access goes by permission alone:
`assessment:read` to see, `assessment:manage` (admins) to define sets, `assessment:score` to compute, score and
publish; an object outside the scope → 404. A community's staff read a set of their street (it contains their
community), so they are inside too."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.assessment import factories as af
from tests.matrix import Endpoint

API, PAGE = "/api/v1/assessment", "/assessment"
PERIOD = "2026-10"
DRAFT_ROUTES = ("/classes", "/indicators", "/indicators/{indicator_id}", "/activate", "/{action}")


def endpoints() -> list[Endpoint]:
    read, manage, score = ("assessment:read",), ("assessment:manage",), ("assessment:score",)
    one = f"{API}/sets/{{set_id}}"
    per = f"{one}/periods/{{period}}"
    reg = f"{per}/regions/{{region_code}}"
    page_one = f"{PAGE}/sets/{{set_id}}"
    page_per = f"{page_one}/periods/{{period}}"
    page_reg = f"{page_per}/regions/{{region_code}}"
    return [
        Endpoint("GET", f"{API}/metrics", "api", read),
        Endpoint("GET", f"{API}/sets", "api", read),
        Endpoint("POST", f"{API}/sets", "api", manage, 201, body="as_set"),
        Endpoint("GET", one, "api", read, scoped=True),
        Endpoint("PATCH", one, "api", manage, scoped=True, body="as_set_update"),
        Endpoint("POST", f"{one}/classes", "api", manage, 201, scoped=True, body="as_class"),
        Endpoint("POST", f"{one}/indicators", "api", manage, 201, scoped=True, body="as_indicator"),
        Endpoint("PATCH", f"{one}/indicators/{{indicator_id}}", "api", manage, scoped=True,
                 body="as_indicator_update"),
        Endpoint("DELETE", f"{one}/indicators/{{indicator_id}}", "api", manage, 204, scoped=True),
        Endpoint("POST", f"{one}/activate", "api", manage, scoped=True),
        Endpoint("GET", f"{per}/ranking", "api", read, scoped=True),
        Endpoint("GET", f"{per}/ranking.xlsx", "api", read, scoped=True),
        Endpoint("POST", f"{per}/compute", "api", score, scoped=True),
        Endpoint("POST", f"{per}/publish", "api", score, scoped=True),
        Endpoint("GET", reg, "api", read, scoped=True),
        Endpoint("GET", f"{reg}/scorecard.xlsx", "api", read, scoped=True),
        Endpoint("PUT", f"{reg}/scores/{{indicator_code}}", "api", score, scoped=True, body="as_score"),
        # pages
        Endpoint("GET", PAGE, "page", read),
        Endpoint("GET", f"{PAGE}/sets/new", "page", manage),
        Endpoint("POST", f"{PAGE}/sets/new", "page", manage, 303, body="as_set_form", redirect="/assessment/sets/"),
        Endpoint("GET", page_one, "page", read, scoped=True),
        Endpoint("POST", f"{page_one}/{{action}}", "page", manage, 303, scoped=True, body="as_class_form",
                 redirect="/assessment/sets/"),
        Endpoint("GET", page_per, "page", read, scoped=True),
        Endpoint("POST", f"{page_per}/{{action}}", "page", score, 303, scoped=True, redirect="/assessment/sets/"),
        Endpoint("GET", page_reg, "page", read, scoped=True),
        Endpoint("GET", f"{page_reg}/score", "page", score, scoped=True),
        Endpoint("POST", f"{page_reg}/score", "page", score, 303, scoped=True, body="as_score_form",
                 redirect="/assessment/sets/"),
    ]


def prepare(session: Session, city: dict[str, Any], ep: Endpoint, place: str, path: str,
            kwargs: dict[str, Any]) -> str:
    street = af.street(session, city, place)
    comm = af.community(session, city, place)
    draft = ep.route.endswith(DRAFT_ROUTES) and ep.method in ("POST", "PATCH", "DELETE") and \
        not ep.route.endswith(("/score", "/periods/{period}/{action}"))
    s = None
    if "{set_id}" in path:
        s = af.make_set(session, street, status="draft" if draft else "active")
        path = path.replace("{set_id}", str(s.id))
        if ep.route.endswith("/publish") or ep.route.endswith("/periods/{period}/{action}"):
            af.put_score(session, s, PERIOD, comm, "B01", 30)
    if "{indicator_id}" in path:
        assert s is not None
        path = path.replace("{indicator_id}", str(af.indicator(session, s, "B01").id))
    path = (path.replace("{period}", PERIOD).replace("{region_code}", comm.code).replace("{indicator_code}", "B01")
            .replace("{action}", "publish" if "/periods/" in path else "class"))
    classes = af.classes_of(session, s) if s is not None else []
    bodies: dict[str, dict[str, Any]] = {
        "as_set": {"json": {"name": "社区考核", "level": "community", "period_kind": "month",
                            "region_code": street.code}},
        "as_set_update": {"json": {"red_count": 2}},
        "as_class": {"json": {"name": "底线指标"}},
        "as_indicator": {"json": {"class_id": classes[0].id if classes else 0, "code": "C01", "name": "安全事故",
                                  "method": "veto"}},
        "as_indicator_update": {"json": {"guidance": "查看台账"}},
        "as_score": {"json": {"score": 30, "evidence": "台账齐全"}},
        "as_set_form": {"data": {"name": "社区考核", "level": "community", "period_kind": "month",
                                 "region_code": street.code, "red_count": "3", "yellow_count": "3"}},
        "as_class_form": {"data": {"name": "底线指标"}},
        "as_score_form": {"data": {"B01_score": "30", "B01_evidence": "台账齐全"}},
    }
    if ep.body in bodies:
        kwargs.update(bodies[ep.body])
    return path
