"""Pages of the region tree: drill-down with map, scoped like the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests import factories as f
from tests.regions.helpers import sql_counts
from tests.web import HTML, sign_in


class TestRegionPage:
    def test_community_page_shows_its_figures_and_children(self, client: Any, session: Session,
                                                           city: dict[str, Any]) -> None:
        sign_in(client, "community")
        node = f.region(session, city["scopes"]["community"])
        r = client.get(f"/regions/{node.code}", headers=HTML)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert f"<title>{node.name} · 共治</title>" in r.text
        assert f"{sql_counts(session, node)['residents']:,}" in r.text
        compound = f.ancestor(session, f.region(session, city["scopes"]["grid"]), "compound")
        assert compound.name in r.text

    def test_grid_page_lists_its_buildings(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        sign_in(client, "grid")
        building = f.make_building(session, grid=f.region(session, city["scopes"]["grid"]), name="页面测试楼")
        r = client.get(f"/regions/{city['scopes']['grid']}", headers=HTML)
        assert r.status_code == 200
        assert building.name in r.text

    def test_root_redirects_to_the_scope(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "street")
        r = client.get("/regions", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == f"/regions/{city['scopes']['street']}"

    def test_outside_scope_is_a_404_page(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "community")
        r = client.get(f"/regions/{city['other_community']}", headers=HTML)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "404 · 未找到" in r.text

    def test_role_without_the_map_gets_a_403_page(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "resident")
        r = client.get(f"/regions/{city['scopes']['grid']}", headers=HTML)
        assert r.status_code == 403
        assert "403 · 无权操作" in r.text

    def test_anonymous_is_sent_to_login(self, client: Any, city: dict[str, Any]) -> None:
        r = client.get(f"/regions/{city['scopes']['grid']}", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == f"/login?next=/regions/{city['scopes']['grid']}"
