"""Coordinates (WGS-84, GCJ-02, BD-09) and the point → grid index."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon, box

from gongzhi.core import geo

# Points across China: Anning, Kunming, Beijing, Urumqi, Harbin, Sanya.
CHINA = [(102.478, 24.919), (102.71, 25.04), (116.397, 39.909), (87.617, 43.793), (126.535, 45.803),
         (109.512, 18.252)]
OUTSIDE = [(2.3522, 48.8566), (-74.006, 40.7128), (139.69, 35.69), (151.21, -33.87)]  # Paris, NY, Tokyo, Sydney


class TestGcj02:
    @pytest.mark.parametrize(("lon", "lat"), CHINA)
    def test_round_trip_error_is_below_1e_6_degree(self, lon: float, lat: float) -> None:
        glon, glat = geo.wgs84_to_gcj02(lon, lat)
        back_lon, back_lat = geo.gcj02_to_wgs84(glon, glat)
        assert abs(float(back_lon) - lon) < 1e-6
        assert abs(float(back_lat) - lat) < 1e-6

    @pytest.mark.parametrize(("lon", "lat"), CHINA)
    def test_offset_inside_china_is_hundreds_of_metres(self, lon: float, lat: float) -> None:
        glon, glat = geo.wgs84_to_gcj02(lon, lat)
        shift = np.hypot(float(glon) - lon, float(glat) - lat)
        assert 1e-4 < shift < 1e-2  # roughly 10 m to 1 km

    @pytest.mark.parametrize(("lon", "lat"), OUTSIDE)
    def test_point_outside_china_is_unchanged(self, lon: float, lat: float) -> None:
        assert tuple(map(float, geo.wgs84_to_gcj02(lon, lat))) == (lon, lat)
        assert tuple(map(float, geo.gcj02_to_wgs84(lon, lat))) == (lon, lat)

    def test_vectorised_call_matches_scalar_calls(self) -> None:
        lons, lats = np.array([p[0] for p in CHINA]), np.array([p[1] for p in CHINA])
        vlon, vlat = geo.wgs84_to_gcj02(lons, lats)
        for i, (lon, lat) in enumerate(CHINA):
            slon, slat = geo.wgs84_to_gcj02(lon, lat)
            assert vlon[i] == pytest.approx(float(slon), abs=1e-12)
            assert vlat[i] == pytest.approx(float(slat), abs=1e-12)


class TestBd09:
    @pytest.mark.parametrize(("lon", "lat"), CHINA)
    def test_gcj02_bd09_round_trip(self, lon: float, lat: float) -> None:
        blon, blat = geo.gcj02_to_bd09(lon, lat)
        back_lon, back_lat = geo.bd09_to_gcj02(blon, blat)
        assert abs(float(back_lon) - lon) < 1e-6
        assert abs(float(back_lat) - lat) < 1e-6

    @pytest.mark.parametrize(("lon", "lat"), CHINA)
    def test_wgs84_to_bd09_and_back(self, lon: float, lat: float) -> None:
        blon, blat = geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(lon, lat))
        back_lon, back_lat = geo.to_wgs84(blon, blat, "bd09")
        assert abs(float(back_lon) - lon) < 1e-6
        assert abs(float(back_lat) - lat) < 1e-6

    def test_bd09_is_offset_from_gcj02(self) -> None:
        blon, blat = geo.gcj02_to_bd09(102.478, 24.919)
        assert float(blon) - 102.478 == pytest.approx(0.0065, abs=2e-3)
        assert float(blat) - 24.919 == pytest.approx(0.006, abs=2e-3)


class TestToWgs84:
    def test_wgs84_is_returned_as_is(self) -> None:
        assert tuple(map(float, geo.to_wgs84(102.5, 24.9, "wgs84"))) == (102.5, 24.9)

    def test_unknown_crs_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown crs"):
            geo.to_wgs84(102.5, 24.9, "epsg3857")

    def test_transform_geometry_moves_every_vertex(self) -> None:
        square = box(102.4, 24.8, 102.5, 24.9)
        moved = geo.transform_geometry(square, geo.wgs84_to_gcj02)
        back = geo.transform_geometry(moved, geo.gcj02_to_wgs84)
        assert not moved.equals_exact(square, 1e-5)
        assert back.equals_exact(square, 1e-6)


def _index() -> geo.GridIndex:
    idx = geo.GridIndex()
    idx.build("v1", [(11, box(0, 0, 1, 1)), (12, box(1, 0, 2, 1)),
                     (13, Polygon([(0, 1), (2, 1), (1, 2)]))])
    return idx


class TestGridIndex:
    def test_locate_finds_the_containing_polygon(self) -> None:
        idx = _index()
        assert idx.locate(0.5, 0.5) == 11
        assert idx.locate(1.5, 0.5) == 12
        assert idx.locate(1.0, 1.5) == 13

    def test_locate_outside_every_polygon_is_none(self) -> None:
        assert _index().locate(5.0, 5.0) is None
        assert _index().locate(0.1, 1.8) is None  # inside the bounding box of the triangle, outside it

    def test_point_on_a_shared_edge_goes_to_one_grid_deterministically(self) -> None:
        idx = _index()
        first = idx.locate(1.0, 0.5)
        assert first in (11, 12)
        assert all(idx.locate(1.0, 0.5) == first for _ in range(5))

    def test_locate_many_answers_each_point_and_minus_one_outside(self) -> None:
        lon = np.array([0.5, 1.5, 1.0, 5.0, 0.25])
        lat = np.array([0.5, 0.5, 1.5, 5.0, 0.75])
        assert geo.GridIndex.locate_many(_index(), lon, lat).tolist() == [11, 12, 13, -1, 11]

    def test_empty_index_finds_nothing(self) -> None:
        idx = geo.GridIndex()
        assert idx.locate(0.5, 0.5) is None
        idx.build("empty", [])
        assert idx.locate_many(np.array([0.5]), np.array([0.5])).tolist() == [-1]

    def test_rebuild_swaps_the_polygons_and_version(self) -> None:
        idx = _index()
        idx.build("v2", [(21, box(4, 4, 6, 6))])
        assert idx.version == "v2"
        assert idx.locate(5.0, 5.0) == 21
        assert idx.locate(0.5, 0.5) is None
