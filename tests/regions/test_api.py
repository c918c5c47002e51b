"""JSON routes of the region tree: locate, drill-down, grid load, editing grids."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import box, mapping
from sqlalchemy.orm import Session

from gongzhi.core import geo
from tests import factories as f
from tests.regions.helpers import expected_status, fill_grid, grids_of, sql_counts, sql_grid_counts
from tests.registers_contract import RegisterContract

FAR_AWAY = (100.0, 30.0)


def _square(lon: float, lat: float, half: float = 0.01) -> dict[str, Any]:
    return dict(mapping(box(lon - half, lat - half, lon + half, lat + half)))


class TestLocate:
    @pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
    def test_each_coordinate_system_finds_the_grid(self, client: Any, auth: Any, session: Session,
                                                   city: dict[str, Any], crs: str) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        lon, lat = grid.center_lon, grid.center_lat
        if crs != "wgs84":
            lon, lat = geo.wgs84_to_gcj02(lon, lat)
        if crs == "bd09":
            lon, lat = geo.gcj02_to_bd09(lon, lat)
        r = client.get("/api/v1/regions/locate", params={"lon": float(lon), "lat": float(lat), "crs": crs},
                       headers=auth("resident"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["grid"]["code"] == grid.code
        assert body["community"]["code"] == city["scopes"]["community"]
        assert body["street"]["code"] == city["scopes"]["street"]
        assert body["point"]["crs"] == "wgs84"
        assert body["point"]["lon"] == pytest.approx(grid.center_lon, abs=1e-6)
        assert body["point"]["lat"] == pytest.approx(grid.center_lat, abs=1e-6)

    def test_default_crs_is_wgs84(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        grid = f.region(session, city["other_grid"])
        r = client.get("/api/v1/regions/locate", params={"lon": grid.center_lon, "lat": grid.center_lat},
                       headers=auth("grid"))
        assert r.json()["grid"]["code"] == grid.code  # any signed-in user may locate any point

    def test_outside_every_grid_is_404(self, client: Any, auth: Any) -> None:
        r = client.get("/api/v1/regions/locate", params={"lon": FAR_AWAY[0], "lat": FAR_AWAY[1]},
                       headers=auth("grid"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "outside_grids"
        assert r.json()["error"]["details"]["crs"] == "wgs84"

    def test_bad_crs_is_422_json(self, client: Any, auth: Any) -> None:
        r = client.get("/api/v1/regions/locate", params={"lon": 102.5, "lat": 24.9, "crs": "mercator"},
                       headers=auth("grid"))
        assert r.status_code == 422
        error = r.json()["error"]
        assert error["code"] == "validation_failed"
        assert "wgs84" in error["message"]
        assert error["details"] == {"crs": "mercator"}

    @pytest.mark.parametrize("params", [{"lon": 102.5}, {"lon": "east", "lat": 24.9}, {"lon": 200, "lat": 24.9}])
    def test_missing_or_bad_numbers_are_422(self, client: Any, auth: Any, params: dict[str, Any]) -> None:
        r = client.get("/api/v1/regions/locate", params=params, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_failed"

    def test_anonymous_is_401(self, client: Any) -> None:
        assert client.get("/api/v1/regions/locate", params={"lon": 102.5, "lat": 24.9}).status_code == 401


class TestGridLoad:
    @pytest.mark.parametrize("status", ["overloaded", "normal", "underloaded"])
    def test_status_filter_matches_sql_counts(self, client: Any, auth: Any, session: Session,
                                              city: dict[str, Any], status: str) -> None:
        street = f.region(session, city["scopes"]["street"])
        grids = grids_of(session, street)
        fill_grid(session, grids[0], households=501)
        fill_grid(session, grids[1], residents=1001)
        fill_grid(session, grids[2], households=300)
        fill_grid(session, grids[3], residents=600)
        fill_grid(session, grids[4], households=299, residents=599)
        r = client.get(f"/api/v1/regions/{street.code}/grid-load", params={"status": status},
                       headers=auth("street"))
        assert r.status_code == 200
        body = r.json()
        counts = sql_grid_counts(session, street)
        expected = {code for code, (h, p) in counts.items() if expected_status(h, p) == status}
        assert {g["code"] for g in body["items"]} == expected
        assert body["total"] == len(expected)
        for g in body["items"]:
            assert (g["households"], g["residents"]) == counts[g["code"]]
            assert g["load_status"] == status
        assert body["standard"] == {"households": [300, 500], "people": [600, 1000]}

    def test_without_filter_every_grid_is_listed(self, client: Any, auth: Any, session: Session,
                                                 city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        r = client.get(f"/api/v1/regions/{community.code}/grid-load", headers=auth("community"))
        assert {g["code"] for g in r.json()["items"]} == set(sql_grid_counts(session, community))

    def test_unknown_status_is_422(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get(f"/api/v1/regions/{city['scopes']['street']}/grid-load", params={"status": "busy"},
                       headers=auth("street"))
        assert r.status_code == 422

    def test_outside_scope_is_404(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get(f"/api/v1/regions/{city['other_community']}/grid-load", headers=auth("community"))
        assert r.status_code == 404


class TestNodeView:
    @pytest.mark.parametrize("level", ["city", "street", "community", "grid"])
    def test_totals_equal_independent_counts(self, client: Any, auth: Any, session: Session,
                                             city: dict[str, Any], level: str) -> None:
        node = f.region(session, city["scopes"][level])
        r = client.get(f"/api/v1/regions/{node.code}", headers=auth("leader"))
        assert r.status_code == 200
        body = r.json()
        assert body["code"] == node.code
        assert body["level"] == level
        counts = sql_counts(session, node)
        assert (body["households"], body["residents"], body["buildings"]) == \
            (counts["households"], counts["residents"], counts["buildings"])
        if level != "grid":
            assert sum(c["residents"] for c in body["children"]) == counts["residents"]

    def test_new_resident_is_counted(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        code = city["scopes"]["community"]
        before = client.get(f"/api/v1/regions/{code}", headers=auth("community")).json()["residents"]
        f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        assert client.get(f"/api/v1/regions/{code}", headers=auth("community")).json()["residents"] == before + 1

    def test_unknown_code_is_404(self, client: Any, auth: Any) -> None:
        assert client.get("/api/v1/regions/999999999999", headers=auth("admin")).status_code == 404

    def test_map_lists_child_outlines_with_load(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get(f"/api/v1/regions/{city['scopes']['street']}/map", headers=auth("street"))
        assert r.status_code == 200
        body = r.json()
        assert body["type"] == "FeatureCollection"
        assert body["features"]
        assert all(feat["properties"]["level"] == "community" for feat in body["features"])


class TestList:
    def test_grids_under_a_parent(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        r = client.get("/api/v1/regions", params={"level": "grid", "parent": community.code, "size": 200},
                       headers=auth("community"))
        assert r.status_code == 200
        assert {g["code"] for g in r.json()["items"]} == {g.code for g in grids_of(session, community)}
        assert r.json()["total"] == len(grids_of(session, community))

    def test_list_is_limited_to_the_scope(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get("/api/v1/regions", params={"size": 200}, headers=auth("grid"))
        assert [g["code"] for g in r.json()["items"]] == [city["scopes"]["grid"]]

    def test_parent_outside_scope_is_404(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get("/api/v1/regions", params={"parent": city["other_community"]}, headers=auth("community"))
        assert r.status_code == 404


class TestPatchRegion:
    def test_new_polygon_moves_locate_at_once(self, client: Any, auth: Any, session: Session,
                                              city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        old = {"lon": grid.center_lon, "lat": grid.center_lat}
        far = {"lon": FAR_AWAY[0], "lat": FAR_AWAY[1]}
        assert client.get("/api/v1/regions/locate", params=old, headers=auth("grid")).status_code == 200
        assert client.get("/api/v1/regions/locate", params=far, headers=auth("grid")).status_code == 404
        r = client.patch(f"/api/v1/regions/{grid.code}", json={"geometry": _square(*FAR_AWAY)},
                         headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert r.json()["center"] == pytest.approx(list(FAR_AWAY), abs=0.01)
        moved = client.get("/api/v1/regions/locate", params=far, headers=auth("grid"))
        assert moved.status_code == 200
        assert moved.json()["grid"]["code"] == grid.code
        assert client.get("/api/v1/regions/locate", params=old, headers=auth("grid")).status_code == 404

    def test_polygon_sent_in_bd09(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        square = box(FAR_AWAY[0] - 0.01, FAR_AWAY[1] - 0.01, FAR_AWAY[0] + 0.01, FAR_AWAY[1] + 0.01)
        baidu = geo.transform_geometry(square, lambda x, y: geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(x, y)))
        r = client.patch(f"/api/v1/regions/{city['scopes']['grid']}", json={"geometry": mapping(baidu),
                                                                            "crs": "bd09"}, headers=auth("admin"))
        assert r.status_code == 200
        found = client.get("/api/v1/regions/locate", params={"lon": FAR_AWAY[0], "lat": FAR_AWAY[1]},
                           headers=auth("admin"))
        assert found.json()["grid"]["code"] == city["scopes"]["grid"]

    def test_rename(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        r = client.patch(f"/api/v1/regions/{city['scopes']['grid']}", json={"name": "改名网格"}, headers=auth("admin"))
        assert r.json()["name"] == "改名网格"
        assert f.region(session, city["scopes"]["grid"]).name == "改名网格"

    def test_point_geometry_is_422(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.patch(f"/api/v1/regions/{city['scopes']['grid']}",
                         json={"geometry": {"type": "Point", "coordinates": [102.5, 24.9]}}, headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_failed"

    def test_unknown_field_is_422(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.patch(f"/api/v1/regions/{city['scopes']['grid']}", json={"level": "street"}, headers=auth("admin"))
        assert r.status_code == 422

    @pytest.mark.parametrize("username", ["leader", "street", "community", "grid"])
    def test_only_admins(self, client: Any, auth: Any, city: dict[str, Any], username: str) -> None:
        r = client.patch(f"/api/v1/regions/{city['scopes']['grid']}", json={"name": "x"}, headers=auth(username))
        assert r.status_code == 403


class TestCreateRegion:
    def test_admin_creates_a_grid(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        compound = f.ancestor(session, f.region(session, city["scopes"]["grid"]), "compound")
        code = compound.code + "998"
        r = client.post("/api/v1/regions", json={"parent_code": compound.code, "code": code, "name": "新建网格",
                                                 "level": "grid", "geometry": _square(*FAR_AWAY)},
                        headers=auth("admin"))
        assert r.status_code == 201, r.text
        assert r.json()["level_label"] == "网格"
        assert f.region(session, code).path == f"{compound.path}{code}/"
        node = client.get(f"/api/v1/regions/{code}", headers=auth("admin")).json()
        assert [a["code"] for a in node["ancestors"]][-1] == compound.code
        found = client.get("/api/v1/regions/locate", params={"lon": FAR_AWAY[0], "lat": FAR_AWAY[1]},
                           headers=auth("admin"))
        assert found.json()["grid"]["code"] == code

    def test_duplicate_code_is_409(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/regions", json={"parent_code": city["scopes"]["community"],
                                                 "code": city["scopes"]["grid"], "name": "x", "level": "grid"},
                        headers=auth("admin"))
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "duplicate_code"

    def test_level_above_the_parent_is_422(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/regions", json={"parent_code": city["scopes"]["grid"], "code": "X9",
                                                 "name": "x", "level": "street"}, headers=auth("admin"))
        assert r.status_code == 422

    def test_code_with_punctuation_is_422(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/regions", json={"parent_code": city["scopes"]["community"], "code": "a/b",
                                                 "name": "x", "level": "compound"}, headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "bad_code"

    def test_community_staff_may_not(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/regions", json={"parent_code": city["scopes"]["community"], "code": "X8",
                                                 "name": "x", "level": "compound"}, headers=auth("community"))
        assert r.status_code == 403


# ---- the building register (its routes live with the region tree) ------------------------------------------


class TestBuildingsContract(RegisterContract):
    kind = "buildings"
    bad = {"name": ""}  # noqa: RUF012
    bad_field = "name"


class TestBuildings:
    def test_duplicate_code_is_refused(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        existing = f.make_building(session, grid=f.region(session, city["scopes"]["grid"]))
        body = {**f.payload("buildings", city["scopes"]["grid"]), "code": existing.code}
        r = client.post("/api/v1/buildings", json=body, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"] == [{"field": "code", "column": "楼栋编码",
                                                 "reason": "楼栋编码已存在，不能重复登记"}]

    def test_floors_must_be_a_whole_number(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = {**f.payload("buildings", city["scopes"]["grid"]), "floors": 6.5}
        r = client.post("/api/v1/buildings", json=body, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "floors"

    def test_building_with_households_is_in_use(self, client: Any, auth: Any, session: Session,
                                                city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        building = f.make_building(session, grid=grid)
        f.make_household(session, grid=grid, building=building)
        r = client.delete(f"/api/v1/buildings/{building.id}", headers=auth("grid"))
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "in_use"

    def test_search_by_code_and_filter_by_grid(self, client: Any, auth: Any, session: Session,
                                               city: dict[str, Any]) -> None:
        building = f.make_building(session, grid=f.region(session, city["scopes"]["grid"]))
        r = client.get("/api/v1/buildings", params={"q": building.code, "grid_code": city["scopes"]["grid"]},
                       headers=auth("community"))
        assert [i["id"] for i in r.json()["items"]] == [building.id]
