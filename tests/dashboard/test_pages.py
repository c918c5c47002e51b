"""The dashboards' pages: the leader's page with its figures and drill-down links, the cases behind a figure, the
open lists, the big screen; a bad month keeps the page and says why; roles without the permission get 403."""

from __future__ import annotations

from typing import Any

from tests.web import HTML


def _get(client: Any, auth: Any, user: str, url: str) -> Any:
    return client.get(url, headers={**HTML, **auth(user)})


def test_leader_page_shows_the_figures_and_drills_down(client: Any, auth: Any, history: dict[str, Any]) -> None:
    r = _get(client, auth, "leader", "/dashboard?from=2026-01&to=2026-10")
    assert r.status_code == 200
    api = client.get("/api/v1/dashboard/summary", params={"from": "2026-01", "to": "2026-10"},
                     headers=auth("leader")).json()
    html = r.text
    assert api["region"]["name"] in html
    assert f"{api['figures']['received']:,}" in html
    assert "metric=unsatisfied" in html  # the satisfaction card opens the unsatisfied cases
    kids = client.get("/api/v1/dashboard/breakdown", params={"dim": "child", "from": "2026-01", "to": "2026-10"},
                      headers=auth("leader")).json()["items"]
    for k in kids:
        assert f'/dashboard?region={k["code"]}&amp;from=2026-01&amp;to=2026-10' in html
    assert 'id="dash-data"' in html
    assert "/api/v1/dashboard/report.docx?region=" in html


def test_bad_month_keeps_the_page(client: Any, auth: Any) -> None:
    r = _get(client, auth, "leader", "/dashboard?from=2026-13")
    assert r.status_code == 200
    assert "月份格式应为" in r.text
    assert 'value="2026-13"' in r.text  # what was typed stays in the form


def test_cases_open_and_screen_pages(client: Any, auth: Any, city: dict[str, Any], history: dict[str, Any]) -> None:
    r = _get(client, auth, "community", f"/dashboard/cases?region={city['scopes']['grid']}&from=2026-01&to=2026-10"
                                        "&metric=resolved")
    assert r.status_code == 200
    total = client.get("/api/v1/dashboard/cases", params={"region": city["scopes"]["grid"], "from": "2026-01",
                                                         "to": "2026-10", "metric": "resolved"},
                       headers=auth("community")).json()["total"]
    assert f"共 {total:,} 件" in r.text
    assert _get(client, auth, "street", "/dashboard/open?kind=overdue").status_code == 200
    screen = _get(client, auth, "leader", "/dashboard/screen")
    assert screen.status_code == 200
    assert 'data-refresh="60"' in screen.text


def test_roles_without_dashboards(client: Any, auth: Any) -> None:
    for user in ("resident", "volunteer", "party", "handler"):
        r = _get(client, auth, user, "/dashboard")
        assert r.status_code == 403, user
    grid = _get(client, auth, "grid", "/dashboard")
    assert grid.status_code == 200
