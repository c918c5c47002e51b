"""The city generator at tiny scale, each run into its own fresh SQLite file: the geometry is a partition, the
streets and communities are the real ones, the personal numbers are valid and sealed as `crypto.seal` seals
them, the same seed gives the same city, and a failed run leaves nothing behind."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import Engine, inspect, text

from gongzhi.core import crypto, idcard
from gongzhi.core.db import get_engine
from gongzhi.core.settings import get_settings
from gongzhi.regions import generate

SEED = 11
TABLES = ("regions", "buildings", "households", "residents", "units", "party_orgs", "party_members", "grid_staff")
SEALED = {"residents": ("id_number", "phone"), "units": ("phone",), "party_members": ("phone",),
          "grid_staff": ("phone",)}


def _fresh(tmp: Path, name: str) -> tuple[str, Engine]:
    """A migrated, empty SQLite database of its own (get_engine caches one engine per URL)."""
    from alembic import command

    from gongzhi.cli import alembic_config

    url = f"sqlite:///{tmp / name}.db"
    command.upgrade(alembic_config(url), "head")
    return url, get_engine(url)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[Engine, dict[str, Any]]]]:
    tmp = tmp_path_factory.mktemp("generate")
    out = []
    for name in ("first", "second"):
        url, engine = _fresh(tmp, name)
        out.append((engine, generate.generate_city(scale="tiny", seed=SEED, url=url)))
    yield out
    for engine, _ in out:
        engine.dispose()


@pytest.fixture(scope="module")
def db(runs: list[tuple[Engine, dict[str, Any]]]) -> Engine:
    return runs[0][0]


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def _grids(engine: Engine) -> list[Any]:
    return _rows(engine, "SELECT id, code, path, geometry FROM regions WHERE level = 'grid' ORDER BY code")


def test_counts_reported(runs: list[tuple[Engine, dict[str, Any]]]) -> None:
    engine, summary = runs[0]
    assert summary["counts"]["网格"] == generate.SCALES["tiny"].grids == len(_grids(engine))
    for table, label in (("residents", "居民"), ("households", "住户"), ("buildings", "楼栋")):
        assert _rows(engine, f"SELECT count(*) FROM {table}")[0][0] == summary["counts"][label] > 0


def test_grids_tile_without_overlaps(db: Engine) -> None:
    polys = [shape(json.loads(g.geometry)) for g in _grids(db)]
    assert all(p.is_valid and p.area > 0 for p in polys)
    union = shapely.union_all(polys)
    # Coordinates are stored rounded to 1e-6°, each polygon on its own, so where one grid has a vertex on its
    # neighbour's edge the two may overlap by a sliver: at most half the rounding step along each edge. A real
    # overlap (one grid drawn twice, two cells not clipped apart) is orders of magnitude larger.
    rounding = sum(p.length for p in polys) * 0.5e-6
    assert 0 <= sum(p.area for p in polys) - union.area <= rounding
    assert union.area > 1000 * rounding


def test_grids_fill_their_community(db: Engine) -> None:
    comms = _rows(db, "SELECT path, geometry FROM regions WHERE level = 'community'")
    grids = _grids(db)
    for path, geom in comms:
        inside = [shape(json.loads(g.geometry)) for g in grids if g.path.startswith(path)]
        assert inside, path
        assert shapely.union_all(inside).area == pytest.approx(shape(json.loads(geom)).area, rel=1e-4)


def test_buildings_lie_in_their_grid(db: Engine) -> None:
    grids = {g.id: shape(json.loads(g.geometry)) for g in _grids(db)}
    buildings = _rows(db, "SELECT region_id, lon, lat FROM buildings")
    assert {b.region_id for b in buildings} == set(grids)  # every grid has buildings
    for b in buildings:
        # a hair of tolerance for the stored polygon's 1e-6° rounding
        assert grids[b.region_id].buffer(1e-6).contains(shapely.Point(b.lon, b.lat)), b


def test_grid_index_places_buildings_and_agrees_with_a_bare_strtree(db: Engine) -> None:
    """GridIndex (with its raster prefilter) over the generated grids, as service.grid_index builds it."""
    import numpy as np

    from gongzhi.core.geo import GridIndex

    grids = _grids(db)
    index = GridIndex()
    index.build("test", [(g.id, shape(json.loads(g.geometry))) for g in grids])
    polys = {g.id: shape(json.loads(g.geometry)) for g in grids}
    buildings = _rows(db, "SELECT region_id, lon, lat FROM buildings")
    found = index.locate_many(np.array([b.lon for b in buildings]), np.array([b.lat for b in buildings]))
    for b, gid in zip(buildings, found, strict=True):
        if polys[b.region_id].exterior.distance(shapely.Point(b.lon, b.lat)) > 1e-6:  # clear of the rounding
            assert gid == b.region_id, b
    # random points over the whole city (most outside every grid): the same hits as a bare tree query
    city = shape(json.loads(_rows(db, "SELECT geometry FROM regions WHERE level = 'city'")[0][0]))
    rng = np.random.default_rng(SEED)
    minx, miny, maxx, maxy = city.bounds
    lon, lat = rng.uniform(minx, maxx, 50_000), rng.uniform(miny, maxy, 50_000)
    ids = np.array(list(polys))
    pt, geom = shapely.STRtree(list(polys.values())).query(shapely.points(lon, lat), predicate="intersects")
    expected = np.full(len(lon), -1)
    expected[pt[::-1]] = ids[geom[::-1]]
    got = index.locate_many(lon, lat)
    assert (got >= 0).sum() > 100
    assert np.array_equal(got, expected)


def test_grid_codes_extend_their_community(db: Engine) -> None:
    comms = {r.path: r.code for r in _rows(db, "SELECT path, code FROM regions WHERE level = 'community'")}
    for g in _grids(db):
        community = next(code for path, code in comms.items() if g.path.startswith(path))
        assert len(community) == 12
        assert g.code.startswith(community)
        assert len(g.code) > 12


def test_streets_and_communities_are_real(db: Engine) -> None:
    path = get_settings().data_dir / "china-admin-divisions-2023" / "focus-areas" / "focus_villages.csv"
    with path.open(encoding="utf-8") as fh:  # every column a string, so codes keep their leading digits
        real = [r for r in csv.DictReader(fh) if r["areaCode"] == "530181"]
    scale = generate.SCALES["tiny"]
    streets = sorted({(r["streetCode"], r["streetName"]) for r in real})[: scale.streets]
    expected_comms = {
        (r["code"], r["name"], r["streetCode"])
        for s, _ in streets
        for r in sorted((r for r in real if r["streetCode"] == s), key=lambda r: r["code"])[
            : scale.communities_per_street]}
    got_streets = _rows(db, "SELECT code, name, path FROM regions WHERE level = 'street' ORDER BY code")
    assert [(s.code, s.name) for s in got_streets] == [(code + "000", name) for code, name in streets]
    got_comms = _rows(db, "SELECT c.code, c.name, s.code FROM regions c JOIN regions s ON s.id = c.parent_id "
                          "WHERE c.level = 'community'")
    assert {(c[0], c[1], c[2][:9]) for c in got_comms} == expected_comms
    city = _rows(db, "SELECT code, name FROM regions WHERE level = 'city'")
    assert [tuple(c) for c in city] == [("530181000000", "安宁市")]


def test_id_numbers_valid_and_sealed(db: Engine) -> None:
    rows = _rows(db, "SELECT gender, birth_date, id_number_enc, id_number_hash, id_number_masked, phone_enc, "
                     "phone_hash, phone_masked FROM residents")
    numbers = set()
    for r in rows:
        number = crypto.decrypt(r.id_number_enc)
        assert idcard.validate(number) is None, number
        assert number[:6] == "530181"
        assert idcard.birth_date(number) == dt.date.fromisoformat(r.birth_date)
        assert idcard.gender(number) == r.gender
        assert crypto.blind_index(number) == r.id_number_hash
        assert crypto.mask_id_number(number) == r.id_number_masked
        numbers.add(number)
        if r.phone_enc is not None:
            phone = crypto.decrypt(r.phone_enc)
            assert len(phone) == 11
            assert phone.startswith("1")
            assert (crypto.blind_index(phone), crypto.mask_phone(phone)) == (r.phone_hash, r.phone_masked)
        else:
            assert (r.phone_hash, r.phone_masked) == (None, None)
    assert len(numbers) == len(rows) > 0  # unique by construction


def test_every_sealed_phone_opens(db: Engine) -> None:
    for table in ("units", "party_members", "grid_staff"):
        rows = _rows(db, f"SELECT phone_enc, phone_hash, phone_masked FROM {table}")
        assert rows
        for enc, index, masked in rows:
            phone = crypto.decrypt(enc)
            assert (crypto.blind_index(phone), crypto.mask_phone(phone)) == (index, masked)


def test_same_seed_same_city(runs: list[tuple[Engine, dict[str, Any]]]) -> None:
    """Row for row identical, except ciphertexts (fresh nonces: compared decrypted) and the load time."""
    (a, sa), (b, sb) = runs
    assert sa == sb
    for table in TABLES:
        with a.connect() as conn:
            cols = [c["name"] for c in inspect(conn).get_columns(table)
                    if c["name"] not in ("created_at", "updated_at")]
        sql = f"SELECT {', '.join(cols)} FROM {table} ORDER BY id"
        ra, rb = _rows(a, sql), _rows(b, sql)
        assert len(ra) == len(rb) > 0, table
        enc = [i for i, c in enumerate(cols) if c.endswith("_enc")]
        for x, y in zip(ra, rb, strict=True):
            for i in enc:
                assert (x[i] is None) == (y[i] is None)
                if x[i] is not None:
                    assert x[i] != y[i]
                    assert crypto.decrypt(x[i]) == crypto.decrypt(y[i])
            assert [v for i, v in enumerate(x) if i not in enc] == [v for i, v in enumerate(y) if i not in enc]


def test_another_seed_another_city(tmp_path: Path, db: Engine) -> None:
    url, engine = _fresh(tmp_path, "other")
    try:
        generate.generate_city(scale="tiny", seed=SEED + 1, url=url)
        assert _rows(engine, "SELECT name FROM residents ORDER BY id LIMIT 50") != \
            _rows(db, "SELECT name FROM residents ORDER BY id LIMIT 50")
    finally:
        engine.dispose()


@pytest.mark.parametrize("where", ["generating", "writing"])
def test_failed_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """One transaction: a failure half-way — in the generating thread or in the writer thread — keeps no rows
    and restores the indexes dropped for the load."""
    from sqlalchemy.exc import DBAPIError

    url, engine = _fresh(tmp_path, "failed")
    try:
        def indexes() -> set[str]:
            with engine.connect() as conn:
                return {ix["name"] for t in TABLES for ix in inspect(conn).get_indexes(t)}

        before = indexes()
        assert "ix_residents_id_number_hash" in before
        monkeypatch.setattr(generate.Writer, "BATCH", 20)  # so that batches reach the database before the failure
        if where == "generating":
            calls = 0
            real = generate._grid

            def failing(*args: Any, **kwargs: Any) -> None:
                nonlocal calls
                calls += 1
                if calls == 15:  # in the second street, after the first was sent
                    raise RuntimeError("disk full")
                real(*args, **kwargs)

            monkeypatch.setattr(generate, "_grid", failing)
            expected: type[BaseException] = RuntimeError
        else:
            real_init = generate.Writer.__init__

            def broken_init(self: generate.Writer, conn: Any) -> None:
                real_init(self, conn)
                self.sql["party_members"] = self.sql["party_members"].replace("party_members", "no_such_table", 1)

            monkeypatch.setattr(generate.Writer, "__init__", broken_init)
            expected = DBAPIError
        with pytest.raises(expected):
            generate.generate_city(scale="tiny", seed=SEED, url=url)
        for table in TABLES:
            assert _rows(engine, f"SELECT count(*) FROM {table}")[0][0] == 0, table
        assert indexes() == before
        monkeypatch.undo()
        generate.generate_city(scale="tiny", seed=SEED, url=url)  # and the database is usable afterwards
        assert indexes() == before
        assert _rows(engine, "SELECT count(*) FROM residents")[0][0] > 0
    finally:
        engine.dispose()
