"""Rules of the region tree: the grid standard, loads, drill-down totals, point → grid, editing grids."""

from __future__ import annotations

import json
from typing import Any

import pytest
from shapely.geometry import Point, box, mapping, shape
from sqlalchemy.orm import Session

from gongzhi.core import geo
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.regions import service
from tests import factories as f
from tests.regions.helpers import expected_status, fill_grid, grids_of, sql_counts, sql_grid_counts

FAR_AWAY = (100.0, 30.0)  # in China (so GCJ-02 applies), hundreds of kilometres from Anning


class TestLoadStatus:
    @pytest.mark.parametrize(("households", "people", "status"), [
        (300, 600, "normal"), (500, 1000, "normal"), (400, 800, "normal"),
        (299, 599, "underloaded"), (0, 0, "underloaded"),
        (299, 600, "normal"), (300, 0, "normal"),  # under on one count only is still normal
        (501, 0, "overloaded"), (0, 1001, "overloaded"), (501, 1001, "overloaded"), (100, 1001, "overloaded"),
    ])
    def test_thresholds(self, households: int, people: int, status: str) -> None:
        assert service.load_status(households, people) == status
        assert expected_status(households, people) == status

    def test_standard_is_300_500_households_600_1000_people(self) -> None:
        assert service.GRID_HOUSEHOLDS == (300, 500)
        assert service.GRID_PEOPLE == (600, 1000)


class TestGridLoads:
    def test_loads_match_independent_sql_counts(self, session: Session, principal: Any,
                                                city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        grids = grids_of(session, community)
        assert len(grids) >= 3
        fill_grid(session, grids[0], households=510)
        fill_grid(session, grids[1], households=320, residents=650)
        fill_grid(session, grids[2], residents=1001)
        loads = {g["code"]: g for g in service.grid_loads(session, principal("community"), community.code, None)}
        counts = sql_grid_counts(session, community)
        assert set(loads) == set(counts)
        for code, (h, p) in counts.items():
            assert (loads[code]["households"], loads[code]["residents"]) == (h, p)
            assert loads[code]["load_status"] == expected_status(h, p)
        assert loads[grids[0].code]["load_status"] == "overloaded"
        assert loads[grids[1].code]["load_status"] == "normal"
        assert loads[grids[2].code]["load_status"] == "overloaded"
        assert loads[grids[0].code]["load_label"] == "超负荷"

    @pytest.mark.parametrize("status", ["overloaded", "normal", "underloaded"])
    def test_filter_by_status(self, session: Session, principal: Any, city: dict[str, Any], status: str) -> None:
        street = f.region(session, city["scopes"]["street"])
        grids = grids_of(session, street)
        fill_grid(session, grids[0], households=600)
        fill_grid(session, grids[-1], households=350)
        found = {g["code"] for g in service.grid_loads(session, principal("street"), street.code, status)}
        expected = {code for code, (h, p) in sql_grid_counts(session, street).items()
                    if expected_status(h, p) == status}
        assert found == expected
        assert found  # each status is present after the filling above

    def test_a_grid_reports_itself(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        [load] = service.grid_loads(session, principal("grid"), city["scopes"]["grid"], None)
        assert load["code"] == city["scopes"]["grid"]

    def test_outside_scope_is_not_found(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(NotFound):
            service.grid_loads(session, principal("grid"), city["other_grid"], None)


class TestNodeView:
    @pytest.mark.parametrize("level", ["city", "street", "community", "grid"])
    def test_totals_equal_independent_counts(self, session: Session, principal: Any, city: dict[str, Any],
                                             level: str) -> None:
        node = f.region(session, city["scopes"][level])
        view = service.node_view(session, principal("admin"), node.code)
        expected = sql_counts(session, node)
        assert (view["households"], view["residents"], view["buildings"]) == \
            (expected["households"], expected["residents"], expected["buildings"])

    def test_children_add_up_to_the_node(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        street = f.region(session, city["scopes"]["street"])
        view = service.node_view(session, principal("street"), street.code)
        kids = view["children"]
        assert kids
        assert {k["level"] for k in kids} == {"community"}
        assert sum(k["households"] for k in kids) == view["households"]
        assert sum(k["residents"] for k in kids) == view["residents"]
        assert sum(k["grids"] for k in kids) == len(grids_of(session, street))
        for k in kids:
            assert k["households"] == sql_counts(session, f.region(session, k["code"]))["households"]

    def test_overloaded_children_are_counted(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        grid = grids_of(session, community)[0]
        fill_grid(session, grid, households=501)
        view = service.node_view(session, principal("street"), city["scopes"]["street"])
        mine = next(k for k in view["children"] if k["code"] == community.code)
        assert mine["overloaded_grids"] >= 1
        grid_view = service.node_view(session, principal("community"), grid.code)
        assert grid_view["load_status"] == "overloaded"
        assert grid_view["standard"] == {"households": (300, 500), "people": (600, 1000)}

    def test_ancestors_are_linkable_only_inside_scope(self, session: Session, principal: Any,
                                                      city: dict[str, Any]) -> None:
        view = service.node_view(session, principal("community"), city["scopes"]["grid"])
        links = {a["level"]: a["linkable"] for a in view["ancestors"]}
        assert links["city"] is False
        assert links["street"] is False
        assert links["community"] is True

    def test_outside_scope_is_not_found(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(NotFound):
            service.node_view(session, principal("community"), city["other_community"])


class TestLocate:
    def test_grid_center_locates_its_grid_with_community_and_street(self, session: Session,
                                                                    city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        assert shape(json.loads(grid.geometry or "{}")).contains(Point(grid.center_lon, grid.center_lat))
        found = service.locate(session, grid.center_lon or 0, grid.center_lat or 0, "wgs84")
        assert found["grid"]["code"] == grid.code
        assert found["community"]["code"] == city["scopes"]["community"]
        assert found["street"]["code"] == city["scopes"]["street"]
        assert found["city"]["code"] == city["scopes"]["city"]

    @pytest.mark.parametrize("crs", ["gcj02", "bd09"])
    def test_phone_coordinates_are_converted(self, session: Session, city: dict[str, Any], crs: str) -> None:
        grid = f.region(session, city["other_grid"])
        lon, lat = geo.wgs84_to_gcj02(grid.center_lon, grid.center_lat)
        if crs == "bd09":
            lon, lat = geo.gcj02_to_bd09(lon, lat)
        found = service.locate(session, float(lon), float(lat), crs)
        assert found["grid"]["code"] == grid.code
        assert found["point"]["lon"] == pytest.approx(grid.center_lon, abs=1e-6)

    def test_outside_every_grid(self, session: Session) -> None:
        with pytest.raises(NotFound) as exc:
            service.locate(session, *FAR_AWAY, "wgs84")
        assert exc.value.code == "outside_grids"

    def test_bad_crs_and_out_of_range(self, session: Session) -> None:
        with pytest.raises(ValidationFailed):
            service.locate(session, 102.5, 24.9, "epsg4490")
        with pytest.raises(ValidationFailed):
            service.locate(session, 102.5, 95.0, "wgs84")

    def test_every_generated_grid_is_found_at_its_center(self, session: Session) -> None:
        import numpy as np

        grids = [g for g in grids_of(session, f.region(session, "530181000000")) if g.center_lon is not None]
        index = service.grid_index(session)
        found = index.locate_many(np.array([g.center_lon for g in grids]), np.array([g.center_lat for g in grids]))
        assert found.tolist() == [g.id for g in grids]


class TestUpdateRegion:
    def test_new_polygon_rebuilds_the_index(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        old_center = (grid.center_lon, grid.center_lat)
        assert service.locate(session, *old_center, "wgs84")["grid"]["code"] == grid.code
        with pytest.raises(NotFound):
            service.locate(session, *FAR_AWAY, "wgs84")
        square = box(FAR_AWAY[0] - 0.01, FAR_AWAY[1] - 0.01, FAR_AWAY[0] + 0.01, FAR_AWAY[1] + 0.01)
        service.update_region(session, principal("admin"), grid.code, name=None, geometry=mapping(square))
        assert service.locate(session, *FAR_AWAY, "wgs84")["grid"]["code"] == grid.code
        with pytest.raises(NotFound):
            service.locate(session, *old_center, "wgs84")
        assert (grid.center_lon, grid.center_lat) == pytest.approx(FAR_AWAY, abs=0.01)

    def test_polygon_in_gcj02_is_stored_in_wgs84(self, session: Session, principal: Any,
                                                 city: dict[str, Any]) -> None:
        square = box(FAR_AWAY[0] - 0.01, FAR_AWAY[1] - 0.01, FAR_AWAY[0] + 0.01, FAR_AWAY[1] + 0.01)
        moved = geo.transform_geometry(square, geo.wgs84_to_gcj02)
        region = service.update_region(session, principal("admin"), city["scopes"]["grid"], name=None,
                                       geometry=mapping(moved), crs="gcj02")
        assert shape(json.loads(region.geometry or "{}")).equals_exact(square, 1e-6)

    def test_rename(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        region = service.update_region(session, principal("admin"), city["scopes"]["grid"], name="新名网格",
                                       geometry=None)
        assert f.region(session, city["scopes"]["grid"]).name == region.name == "新名网格"

    @pytest.mark.parametrize("geometry", [{"type": "Point", "coordinates": [102.5, 24.9]},
                                          {"type": "Polygon", "coordinates": "nonsense"}, {"foo": 1}])
    def test_not_a_polygon_is_refused(self, session: Session, principal: Any, city: dict[str, Any],
                                      geometry: dict[str, Any]) -> None:
        with pytest.raises(ValidationFailed):
            service.update_region(session, principal("admin"), city["scopes"]["grid"], name=None, geometry=geometry)

    @pytest.mark.parametrize("username", ["leader", "street", "community", "grid"])
    def test_only_admins(self, session: Session, principal: Any, city: dict[str, Any], username: str) -> None:
        with pytest.raises(Forbidden):
            service.update_region(session, principal(username), city["scopes"]["grid"], name="x", geometry=None)


class TestCreateRegion:
    def test_new_grid_under_a_compound_is_located(self, session: Session, principal: Any,
                                                  city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        compound = f.ancestor(session, grid, "compound")
        square = box(FAR_AWAY[0] - 0.01, FAR_AWAY[1] - 0.01, FAR_AWAY[0] + 0.01, FAR_AWAY[1] + 0.01)
        code = compound.code + "999"
        region = service.create_region(session, principal("admin"), parent_code=compound.code, code=code,
                                       name="新网格", level="grid", geometry=mapping(square))
        assert region.path == f"{compound.path}{code}/"
        found = service.locate(session, *FAR_AWAY, "wgs84")
        assert found["grid"]["code"] == code
        assert found["compound"]["code"] == compound.code

    def test_level_must_be_below_the_parent(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(ValidationFailed):
            service.create_region(session, principal("admin"), parent_code=city["scopes"]["grid"], code="X1",
                                  name="x", level="community", geometry=None)

    def test_duplicate_code_is_a_conflict(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(Conflict):
            service.create_region(session, principal("admin"), parent_code=city["scopes"]["community"],
                                  code=city["scopes"]["grid"], name="x", level="grid", geometry=None)

    def test_only_admins(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(Forbidden):
            service.create_region(session, principal("community"), parent_code=city["scopes"]["community"],
                                  code="X2", name="x", level="compound", geometry=None)
