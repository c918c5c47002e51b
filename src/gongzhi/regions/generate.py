"""The generated city: the real streets and communities of the division data, the real county outline, and
generated compounds, grids, buildings, households, residents, units, Party organisations and grid staff.

Geometry is a nested partition: the county outline is cut into streets, each street into communities, each
community into compounds and each compound into grids (k-means seeds, Voronoi cells clipped to the parent),
so the grids tile the governed area without gaps or overlaps (不留空白). Seeds are denser near the county seat,
so town cells are small and village cells large. The same seed gives the same city: geometry is drawn from a
numpy generator seeded with it, everything per row (people, names, staff, units) from a `random.Random` seeded
from that generator.

Speed matters because a Yantai-sized city has ~5 M residents (docs/benchmarks.md): the per-row work is plain
Python (scalar draws from `random.Random`, cached date and ID-number parts, one AES-GCM call and one HMAC per
sealed value, `Sealer`); rows are written as tuples through the driver's executemany on a background thread
(`Writer`); the indexes on unordered keys are built after the load (`_bulk_load`). It all happens in one
transaction, so a failed run leaves the database as it was."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import gzip
import hmac
import json
import math
import operator
import os
import random
from collections import deque
from collections.abc import Callable, Container, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPoint, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, delete, func, select

from gongzhi.core import audit, crypto, geo, idcard
from gongzhi.core.db import get_engine, indexes_dropped, now, reset_sequences
from gongzhi.core.settings import get_settings
from gongzhi.regions import names
from gongzhi.regions.models import Region

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Scale:
    """How big a city to build."""

    city_code: str  # 6 digits (a county-level city) or 4 digits (a prefecture city)
    grids: int
    households_mean: int = 390
    village_weight: float = 0.35  # a village's share of grids relative to an urban community; 0: no grids
    streets: int | None = None  # keep only the first N streets (tests)
    communities_per_street: int | None = None
    extra_staff_per_grid: float = 0.53  # 网格长 beside each grid's 网格员 (Anning: 1,976 staff for 1,288 grids)
    in_service_per_community: int = 40  # 在职党员 reporting to each community (Anning: 4,000+)


SCALES: dict[str, Scale] = {
    # Anning: its 9 streets and 102 communities, 1,288 grids (seed 000) at the 300–500-household standard.
    "anning": Scale("530181", grids=1288),
    # Yantai: grids in the urban communities (居委会/社区) only, as its 5,158 urban grids are; 4.8 M people over
    # 5,158 grids is ~930 a grid, near the top of the standard, hence the higher mean.
    "yantai": Scale("3706", grids=5158, households_mean=456, village_weight=0.0, extra_staff_per_grid=4.0,
                    in_service_per_community=14),
    # A small city for the test suite: two streets of Anning, three communities each.
    "tiny": Scale("530181", grids=24, households_mean=12, streets=2, communities_per_street=3,
                  in_service_per_community=3),
}
# The demo is Anning as it is: all 9 streets, 102 communities and 1,288 grids at the real grid standard, so the
# map shows the overloaded and underloaded grids a street officer would look for (about 45 s to load).
SCALES["demo"] = SCALES["anning"]

# NBS statistical units without a polygon of their own take a half of their host district's outline.
HOSTS = {"370671": "370613", "370676": "370611"}


def divisions_dir() -> Path:
    return get_settings().data_dir / "china-admin-divisions-2023"


def boundaries_dir() -> Path:
    return get_settings().data_dir / "china-boundaries-geojson" / "county-datav"


def _read_csv(path: Path, where: tuple[str, Container[str]] | None = None) -> Iterator[dict[str, str]]:
    """Rows as dicts of strings (codes keep their leading zeros). With `where=(column, values)` only rows whose
    column is in `values` become dicts: the villages file has 660,000 rows and a dict for each costs seconds."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        reader = csv.reader(fh)
        header = next(reader)
        col = header.index(where[0]) if where else -1
        for row in reader:
            if where is None or row[col] in where[1]:
                yield dict(zip(header, row, strict=True))


@dataclass
class Division:
    code12: str
    name: str
    children: list[Division]
    urban: bool = True
    kind: str | None = None


def _is_urban(name: str) -> bool:
    return not (name.endswith("村委会") or name.endswith("村民委员会"))


def _street_kind(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return suffix
    return "其他"


def load_divisions(scale: Scale) -> tuple[Division, list[Division]]:
    """The city node and its county-level units, with streets and communities, from the NBS files."""
    base = divisions_dir()
    code = scale.city_code
    if len(code) == 6:
        area = next(r for r in _read_csv(base / "areas.csv") if r["code"] == code)
        areas = [area]
        city = Division(code + "000000", area["name"], [], kind="县级市")
    else:
        city_row = next(r for r in _read_csv(base / "cities.csv") if r["code"] == code)
        areas = [r for r in _read_csv(base / "areas.csv") if r["cityCode"] == code]
        city = Division(code + "00000000", city_row["name"], [], kind="地级市")
    area_codes = {a["code"] for a in areas}
    streets: dict[str, Division] = {}
    by_area: dict[str, list[Division]] = {a: [] for a in area_codes}
    for r in _read_csv(base / "streets.csv", where=("areaCode", area_codes)):
        s = Division(r["code"] + "000", r["name"], [], kind=_street_kind(r["name"]))
        streets[r["code"]] = s
        by_area[r["areaCode"]].append(s)
    for r in _read_csv(base / "villages.csv.gz", where=("streetCode", streets)):
        urban = _is_urban(r["name"])
        streets[r["streetCode"]].children.append(
            Division(r["code"], r["name"], [], urban=urban, kind="社区" if urban else "村"))
    units = []
    for a in sorted(areas, key=lambda a: a["code"]):
        kids = sorted(by_area[a["code"]], key=lambda s: s.code12)
        for s in kids:
            s.children.sort(key=lambda c: c.code12)
            if scale.communities_per_street:
                s.children = s.children[: scale.communities_per_street]
        if scale.streets:
            kids = kids[: scale.streets]
        units.append(Division(a["code"] + "000000", a["name"], kids, kind="区县"))
    return city, units


def load_outlines() -> dict[str, tuple[BaseGeometry, tuple[float, float]]]:
    """County outlines converted from GCJ-02 to WGS-84, with the county seat, by 6-digit code."""
    out = {}
    for path in sorted(boundaries_dir().glob("*_full.json")):
        for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
            props = f["properties"]
            geom = geo.transform_geometry(shape(f["geometry"]), geo.gcj02_to_wgs84)
            cx, cy = geo.gcj02_to_wgs84(*props["center"])
            out[str(props["adcode"])] = (shapely.make_valid(geom), (float(cx), float(cy)))
    return out


# ---- geometry -------------------------------------------------------------------------------------------

class Partitioner:
    def __init__(self, rng: np.random.Generator, seat: tuple[float, float]) -> None:
        self.rng = rng
        self.seat = np.array(seat)

    def density(self, pts: np.ndarray) -> np.ndarray:
        d2 = ((pts - self.seat) ** 2).sum(axis=1)
        return 0.08 + np.exp(-d2 / (2 * 0.035**2)) + 0.25 * np.exp(-d2 / (2 * 0.12**2))

    def sample(self, poly: BaseGeometry, n: int) -> np.ndarray:
        minx, miny, maxx, maxy = poly.bounds
        shapely.prepare(poly)
        got: list[np.ndarray] = []
        count = 0
        for _ in range(200):
            m = max(4 * n, 256)
            pts = np.column_stack([self.rng.uniform(minx, maxx, m), self.rng.uniform(miny, maxy, m)])
            inside = pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]
            if len(inside):
                dens = self.density(inside)
                keep = inside[self.rng.uniform(0, dens.max(), len(inside)) < dens]
                got.append(keep)
                count += len(keep)
            if count >= n:
                break
        if count == 0:
            c = poly.representative_point()
            return np.array([[c.x, c.y]])
        return np.concatenate(got)[:n]

    def split(self, poly: BaseGeometry, k: int) -> list[BaseGeometry]:
        """`k` cells tiling `poly`, nearest the county seat first."""
        if k <= 1:
            return [poly]
        for attempt in range(4):
            pts = self.sample(poly, max(30 * k, 300))
            if len(pts) < k:
                continue
            seeds, _ = kmeans2(pts, k, minit="++", seed=self.rng, iter=15 + attempt * 10)
            seeds = seeds + self.rng.normal(0, 1e-9, seeds.shape)  # no two seeds on one spot
            cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=poly, ordered=True)
            parts = [shapely.make_valid(c.intersection(poly)) for c in cells.geoms]
            parts = [_polygonal(p) for p in parts]
            if len(parts) == k and all(p is not None and p.area > 0 for p in parts):
                order = np.argsort([((np.array(p.centroid.coords[0]) - self.seat) ** 2).sum() for p in parts])
                return [parts[i] for i in order]  # type: ignore[misc]
        raise RuntimeError(f"could not split a polygon into {k} cells")

    def points_in(self, poly: BaseGeometry, n: int) -> np.ndarray:
        minx, miny, maxx, maxy = poly.bounds
        shapely.prepare(poly)
        out = np.empty((0, 2))
        for _ in range(100):
            m = max(4 * n, 32)
            pts = np.column_stack([self.rng.uniform(minx, maxx, m), self.rng.uniform(miny, maxy, m)])
            out = np.concatenate([out, pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]])
            if len(out) >= n:
                return out[:n]
        c = poly.representative_point()
        return np.repeat([[c.x, c.y]], n, axis=0)


def _polygonal(g: BaseGeometry) -> BaseGeometry | None:
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    if g.geom_type == "GeometryCollection":
        polys = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(polys) if polys else None
    return None


def _geojson(g: BaseGeometry, precision: int = 6) -> str:
    g = shapely.set_precision(g, 10**-precision) if precision else g
    return json.dumps(mapping(g), separators=(",", ":"))


def apportion(total: int, weights: list[float], minimum: int) -> list[int]:
    """Largest-remainder split of `total` by `weights`, each positive weight getting at least `minimum`."""
    w = np.array(weights, dtype=float)
    base = np.where(w > 0, minimum, 0)
    rest = total - int(base.sum())
    if rest < 0 or w.sum() == 0:
        return [int(x) for x in base]
    share = w / w.sum() * rest
    out = base + np.floor(share).astype(int)
    for i in np.argsort(-(share - np.floor(share)))[: total - int(out.sum())]:
        out[i] += 1
    return [int(x) for x in out]


# ---- people ---------------------------------------------------------------------------------------------

HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
# Mean 2.04 people a household: the seeds' two standards (300–500 households, 600–1,000 people) imply 2.0, so a
# grid inside the household standard is inside the people standard too.
HOUSEHOLD_P = (0.36, 0.37, 0.16, 0.07, 0.03, 0.01)
PHONE_SECOND_DIGITS = "35789"
# The 3-digit serials of GB 11643 with their part of the check-digit sum (digits 15–17 weigh 8, 4, 2).
SERIALS = [f"{s:03d}" for s in range(1000)]
SERIAL_SUMS = [sum(int(c) * w for c, w in zip(t, idcard.WEIGHTS[14:], strict=True)) for t in SERIALS]


class Weighted:
    """`random.choices` for one item, without its per-call list: a bisect on the cumulative weights."""

    def __init__(self, items: Any, weights: Any) -> None:
        self.items = items
        self.cum = [float(x) for x in np.cumsum(weights)]
        self.hi = len(self.cum) - 1  # a draw at the very top (rounding) still lands on the last item

    def draw(self, rnd: random.Random) -> Any:
        return self.items[bisect.bisect(self.cum, rnd.random() * self.cum[-1], 0, self.hi)]


@dataclass(slots=True)
class Person:
    name: str
    male: bool
    birth: dt.date
    relation: str
    id_number: str
    phone: str | None
    care_tags: str
    ethnicity: str
    is_party_member: bool


class People:
    """Draws households and residents. ID numbers are unique by construction (a serial per area and day).

    All draws are scalar draws from `random.Random` (about 0.1 µs each, against 1–3 µs for a call into a numpy
    Generator); a resident takes about fifteen. Birth dates and the ID prefix with its partial GB 11643
    checksum are cached per (area, day), as a city has only ~35,000 distinct birth days."""

    def __init__(self, rnd: random.Random, today: dt.date) -> None:
        self.rnd = rnd
        self.today = today.toordinal()
        self.surnames = Weighted(names.SURNAMES, 1.0 / np.arange(1, len(names.SURNAMES) + 1) ** 0.9)
        self.sizes = Weighted(HOUSEHOLD_SIZES, HOUSEHOLD_P)
        # (area, day ordinal) → [next serial, the 14-digit prefix, its weighted digit sum]
        self.serials: dict[tuple[str, int], list[Any]] = {}
        self.days: dict[int, dt.date] = {}

    def surname(self) -> str:
        return self.surnames.draw(self.rnd)  # type: ignore[no-any-return]

    def given(self, male: bool) -> str:
        r = self.rnd.random
        pool = names.MALE if male else names.FEMALE
        first = pool[int(r() * len(pool))]
        return first if r() < 0.3 else first + pool[int(r() * len(pool))]

    def full_name(self, male: bool) -> str:
        return self.surname() + self.given(male)

    def id_number(self, area: str, day: int, male: bool) -> str:
        """GB 11643: area, birth date, a serial (odd for men) and the check digit; the serial starts at a random
        even number below 100 per (area, day) and counts up, so no two residents share a number."""
        key = (area, day)
        state = self.serials.get(key)
        if state is None:
            prefix = f"{area[:6]}{self.days[day]:%Y%m%d}"
            state = [int(self.rnd.random() * 50) * 2, prefix,
                     sum(int(c) * w for c, w in zip(prefix, idcard.WEIGHTS, strict=False))]
            self.serials[key] = state
        serial = state[0]
        if serial % 2 != male:
            serial += 1
        state[0] = serial + 1
        serial %= 1000
        return state[1] + SERIALS[serial] + idcard.CHECK[(state[2] + SERIAL_SUMS[serial]) % 11]

    def birth_day(self, age: int) -> int:
        """The ordinal of a birth date `age` years (and up to a year more) before today."""
        day = self.today - int(age * 365.25 + int(self.rnd.random() * 365))
        if day not in self.days:
            self.days[day] = dt.date.fromordinal(day)
        return day

    def phone(self) -> str:
        r = self.rnd.random
        return f"1{PHONE_SECOND_DIGITS[int(r() * 5)]}{int(r() * 1e9):09d}"

    def household(self, area: str) -> list[Person]:
        r, rnd = self.rnd.random, self.rnd
        size = self.sizes.draw(rnd)
        surname = self.surname()
        head_age = int(min(max(rnd.gauss(52, 15), 22), 92))
        head_male = r() < 0.62
        members: list[tuple[str, int, bool, str]] = [(surname, head_age, head_male, "户主")]
        if size >= 2:
            members.append((self.surname(), min(max(head_age + rnd.randrange(-5, 4), 20), 95), not head_male,
                            "配偶"))
        for _ in range(size - len(members)):
            if head_age > 58 and r() < 0.5:
                members.append((surname, max(0, head_age - rnd.randrange(48, 60)), r() < 0.5, "孙子女"))
            else:
                members.append((surname, max(0, head_age - rnd.randrange(22, 36)), r() < 0.51, "子女"))
        elderly_pair = size == 2 and all(m[1] >= 60 for m in members)
        people = []
        for fam, age, male, rel in members:
            name = fam + self.given(male)
            day = self.birth_day(age)
            tags = []
            if size == 1 and age >= 65:
                tags.append("独居老人")
            elif elderly_pair and age >= 65:
                tags.append("空巢老人")
            x = r()
            if x < 0.02:
                tags.append("残疾")
            elif x < 0.05:
                tags.append("低保")
            elif x < 0.06:
                tags.append("重点人群")
            elif male and age > 30 and x < 0.08:
                tags.append("退役军人")
            people.append(Person(
                name, male, self.days[day], rel, self.id_number(area, day, male),
                self.phone() if age >= 16 else None, ",".join(tags),
                names.ETHNICITIES[int(r() * len(names.ETHNICITIES))], age >= 22 and r() < 0.075))
        return people


def grid_households(rnd: random.Random, mean: int, village: bool) -> int:
    """Households in one grid: most within the 300–500 standard around `mean`, about 6 % over and 8 % under
    (more under in villages). A `mean` below the standard (the test city) scales everything down."""
    r = rnd.random()
    f = 1.0 if mean >= 300 else mean / 390
    centre = mean if mean >= 300 else 390
    if r < 0.06:
        return max(1, int(rnd.uniform(505, 660) * f))
    if r < 0.14 or (village and r < 0.3):
        return max(1, int(rnd.uniform(170, 295) * f))
    return max(1, int(min(max(rnd.gauss(centre, 45), 300), 500) * f))


# ---- sealing personal numbers -----------------------------------------------------------------------------

NOT_GIVEN = (None, None, None)


class Sealer:
    """`crypto.seal` for generated numbers, column for column: AES-256-GCM nonce + ciphertext under the same key
    and associated data, the same HMAC-SHA256 blind index, the same mask. About 3× faster, which matters for
    ten million values: generated values are already normal (no regex), the nonces come from one `os.urandom`
    call per 4,096 values (a system call each cost ~1–3 µs), and the HMAC is a copy of one keyed with the
    index key (`hmac.new` per value re-derives the key pads, ~4 µs under OpenSSL 3).
    tests/regions/test_generate.py checks it against `crypto.decrypt`, `crypto.blind_index` and the masks."""

    AAD = b"gongzhi"  # crypto.encrypt's associated data
    NONCES = 4096

    def __init__(self) -> None:
        settings = get_settings()
        self.aead = AESGCM(settings.aes_key())
        self.keyed = hmac.new(settings.index_key(), digestmod="sha256")
        self.pool = b""
        self.pos = 0

    def _nonce(self) -> bytes:
        if self.pos >= len(self.pool):
            self.pool, self.pos = os.urandom(crypto.NONCE * self.NONCES), 0
        self.pos += crypto.NONCE
        return self.pool[self.pos - crypto.NONCE:self.pos]

    def _seal(self, value: str) -> tuple[bytes, str]:
        data = value.encode()
        nonce = self._nonce()
        mac = self.keyed.copy()
        mac.update(data)
        return nonce + self.aead.encrypt(nonce, data, self.AAD), mac.hexdigest()

    def id_number(self, value: str) -> tuple[bytes, str, str]:
        enc, index = self._seal(value)
        return enc, index, value[:4] + "*" * (len(value) - 8) + value[-4:]

    def phone(self, value: str | None) -> tuple[bytes | None, str | None, str | None]:
        if not value:
            return NOT_GIVEN
        enc, index = self._seal(value)
        return enc, index, value[:3] + "*" * (len(value) - 7) + value[-4:]


# ---- loading ----------------------------------------------------------------------------------------------

# The columns each table is written with, in the order rows are built (`Writer.add_row`); `id` comes first and
# the timestamps and any other column (notes …) are appended with their defaults.
FIELDS: dict[str, tuple[str, ...]] = {
    "regions": ("code", "name", "level", "kind", "parent_id", "path", "geometry", "center_lon", "center_lat"),
    "buildings": ("code", "name", "address", "floors", "lon", "lat", "region_id", "scope_path"),
    "households": ("code", "building_id", "room", "address", "head_name", "household_type", "region_id",
                   "scope_path"),
    "residents": ("household_id", "name", "gender", "birth_date", "relation", "ethnicity", "care_tags",
                  "is_party_member", "region_id", "scope_path", "id_number_enc", "id_number_hash",
                  "id_number_masked", "phone_enc", "phone_hash", "phone_masked"),
    "units": ("name", "kind", "address", "contact_name", "is_member_unit", "lon", "lat", "region_id", "scope_path",
              "phone_enc", "phone_hash", "phone_masked"),
    "party_orgs": ("name", "level", "parent_id", "secretary_name", "region_id", "scope_path"),
    "party_members": ("name", "gender", "kind", "resident_id", "org_id", "employer_name", "is_center_household",
                      "region_id", "scope_path", "phone_enc", "phone_hash", "phone_masked"),
    "grid_staff": ("name", "tier", "post", "is_party_member", "region_id", "scope_path", "phone_enc", "phone_hash",
                   "phone_masked"),
}
# Parents before children, for the foreign keys.
TABLE_ORDER = ("regions", "buildings", "households", "residents", "units", "party_orgs", "party_members",
               "grid_staff")


class Writer:
    """Bulk inserts with ids assigned here, so children can point at parents without a round trip.

    Rows are plain tuples sent through the driver's executemany (`exec_driver_sql`): `insert(table)` ran
    SQLAlchemy's bind processing on every value of millions of rows, which cost more than SQLite's own work.
    The only conversions the drivers need are done once (the timestamps, the same on every row) or cached
    (dates, `date_value`); str, int, float, bool, bytes and None go to sqlite3 and psycopg as they are, and are
    stored as SQLAlchemy would store them.

    The batches are executed on one background thread, in the order they were sent (parents first). Both
    drivers release the GIL while the database works (sqlite3 around each step, psycopg on the socket), so on
    a second core the inserts overlap with drawing the next rows. Only that thread touches the connection
    until `close()`; a failed batch is raised in the generating thread at the next send or at `close()`."""

    BATCH = 5000
    IN_FLIGHT = 8  # batches queued at most: bounds memory, and an error surfaces within a few batches

    def __init__(self, conn: Connection) -> None:
        from gongzhi import models

        self.conn = conn
        dialect = conn.dialect
        mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
        self.sql: dict[str, str] = {}
        self.tail: dict[str, tuple[Any, ...]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        self.getters: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {}
        stamp = now()
        for t in TABLE_ORDER:
            tbl = models.Base.metadata.tables[t]
            fields = FIELDS[t]
            rest = [c for c in tbl.columns if c.name not in ("id", *fields, "created_at", "updated_at")]
            cols = ["id", *fields, "created_at", "updated_at", *(c.name for c in rest)]
            assert set(cols) == {c.name for c in tbl.columns}, t
            self.sql[t] = f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
            stamps = tuple(self._processor(tbl.c[c].type)(stamp) for c in ("created_at", "updated_at"))
            self.tail[t] = stamps + tuple(_scalar_default(c) for c in rest)
            self.defaults[t] = {f: _scalar_default(tbl.c[f]) for f in fields}
            self.getters[t] = operator.itemgetter(*fields)
        self.next_id = {t: (conn.scalar(select(func.max(models.Base.metadata.tables[t].c.id))) or 0) + 1
                        for t in TABLE_ORDER}
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLE_ORDER}
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        birth_date = models.Base.metadata.tables["residents"].c.birth_date
        self.date_value = lru_cache(maxsize=None)(self._processor(birth_date.type))
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongzhi-generate-writer")
        self.in_flight: deque[Future[Any]] = deque()

    def _processor(self, type_: Any) -> Callable[[Any], Any]:
        """SQLAlchemy's own bind conversion for a column type on this dialect (identity if it has none)."""
        proc = type_.dialect_impl(self.conn.dialect).bind_processor(self.conn.dialect)
        return proc or (lambda v: v)

    def add(self, table: str, **values: Any) -> int:
        """One row by column name (missing columns take their default); for the smaller tables."""
        return self.add_row(table, self.getters[table]({**self.defaults[table], **values}))

    def add_row(self, table: str, values: tuple[Any, ...]) -> int:
        """One row as a tuple in `FIELDS[table]` order; for the tables with millions of rows."""
        rid = self.next_id[table]
        self.next_id[table] = rid + 1
        rows = self.rows[table]
        rows.append((rid, *values, *self.tail[table]))
        if len(rows) >= self.BATCH:
            self.flush(table)
        return rid

    def flush(self, table: str | None = None) -> None:
        """Send the pending rows of `table` and of every table before it in `TABLE_ORDER` (its parents)."""
        for t in TABLE_ORDER if table is None else TABLE_ORDER[: TABLE_ORDER.index(table) + 1]:
            if self.rows[t]:
                self.in_flight.append(self.pool.submit(self.conn.exec_driver_sql, self.sql[t], self.rows[t]))
                self.counts[t] += len(self.rows[t])
                self.rows[t] = []
        while len(self.in_flight) > self.IN_FLIGHT:
            self.in_flight.popleft().result()

    def close(self) -> None:
        """Wait for every batch sent (raising the first failure) and stop the thread; the connection is free
        for the caller again. Called on failure too, so nothing is written behind the rollback's back."""
        try:
            while self.in_flight:
                self.in_flight.popleft().result()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _scalar_default(column: Any) -> Any:
    return column.default.arg if column.default is not None and column.default.is_scalar else None


@dataclass
class Ctx:
    w: Writer
    part: Partitioner
    people: People
    rnd: random.Random
    seal: Sealer
    scale: Scale
    area: str
    city_name: str

    def pick(self, items: Any) -> Any:
        return items[int(self.rnd.random() * len(items))]


def _region(ctx: Ctx, code: str, name: str, level: str, parent: tuple[int, str] | None, geom: BaseGeometry | None,
            kind: str | None = None) -> tuple[int, str]:
    path = (parent[1] if parent else "/") + code + "/"
    c = geom.representative_point() if geom is not None else None
    rid = ctx.w.add(
        "regions", code=code, name=name, level=level, kind=kind, parent_id=parent[0] if parent else None,
        path=path, geometry=_geojson(geom, 5 if level in ("city", "district", "street") else 6)
        if geom is not None else None, center_lon=c.x if c else None, center_lat=c.y if c else None)
    return rid, path


def _short(name: str) -> str:
    return name.removesuffix("居委会").removesuffix("居民委员会").removesuffix("村委会").removesuffix("村民委员会")


def _community(ctx: Ctx, comm: Division, node: tuple[int, str], poly: BaseGeometry, grids: int,
               street_org: int) -> None:
    rnd, w = ctx.rnd, ctx.w
    short = _short(comm.name)
    comm_org = w.add("party_orgs", name=f"{short}{'社区大党委' if comm.urban else '村党委'}",
                     level="community_committee", parent_id=street_org, region_id=node[0], scope_path=node[1],
                     secretary_name=ctx.people.full_name(True))
    # station chief and instructor serve the whole community
    for tier in ("station_chief", "instructor"):
        _staff(ctx, tier, "A", node)
    _units(ctx, node, short, poly)
    for _ in range(ctx.scale.in_service_per_community):
        male = rnd.random() < 0.55
        w.add("party_members", name=ctx.people.full_name(male), gender="男" if male else "女", kind="in_service",
              org_id=comm_org, region_id=node[0], scope_path=node[1],
              employer_name=ctx.city_name + ctx.pick(names.EMPLOYERS), is_center_household=False,
              **_phone_cols(ctx, ctx.people.phone()))
    if grids == 0:
        return
    n_compounds = max(1, round(grids / 1.85))
    compound_cells = ctx.part.split(poly, n_compounds)
    per_compound = apportion(grids, [float(c.area) ** 0.5 for c in compound_cells], 1)
    serial = 0
    for ci, (ccell, ng) in enumerate(zip(compound_cells, per_compound, strict=True), start=1):
        cname = ctx.pick(names.COMPOUND_WORDS) + ctx.pick(names.COMPOUND_SUFFIXES)
        if not comm.urban:
            cname = f"{short}第{ci}村民小组"
        compound = _region(ctx, f"{comm.code12}{ci:02d}", cname, "compound", node, ccell)
        for gcell in ctx.part.split(ccell, ng):
            serial += 1
            gname = f"{short}第{serial}网格"
            grid = _region(ctx, f"{comm.code12}{ci:02d}{serial:03d}", gname, "grid", compound, gcell)
            _grid(ctx, grid, gcell, cname, comm_org, gname, not comm.urban)


def _phone_cols(ctx: Ctx, phone: str | None) -> dict[str, Any]:
    enc, index, masked = ctx.seal.phone(phone)
    return {"phone_enc": enc, "phone_hash": index, "phone_masked": masked}


def _staff(ctx: Ctx, tier: str, post: str, node: tuple[int, str]) -> None:
    male = ctx.rnd.random() < 0.45
    ctx.w.add("grid_staff", name=ctx.people.full_name(male), tier=tier, post=post, region_id=node[0],
              scope_path=node[1], is_party_member=ctx.rnd.random() < 0.6, **_phone_cols(ctx, ctx.people.phone()))


def _units(ctx: Ctx, node: tuple[int, str], short: str, poly: BaseGeometry) -> None:
    rnd = ctx.rnd
    n = rnd.randrange(3, 9)
    pts = ctx.part.points_in(poly, n)
    for i in range(n):
        if rnd.random() < 0.45:
            kind, name = "商铺", short + ctx.pick(names.SHOP_WORDS)
        else:
            kind, tpl = ctx.pick(names.UNIT_TEMPLATES)
            name = tpl.format(s=short, n=rnd.randrange(1, 4), w=ctx.pick(names.COMPOUND_WORDS))
        ctx.w.add("units", name=name, kind=kind, region_id=node[0], scope_path=node[1],
                  address=f"{short}{ctx.pick(names.ROADS)}{rnd.randrange(1, 300)}号",
                  contact_name=ctx.people.full_name(rnd.random() < 0.5),
                  is_member_unit=kind != "商铺" and rnd.random() < 0.7,
                  lon=float(pts[i, 0]), lat=float(pts[i, 1]), **_phone_cols(ctx, ctx.people.phone()))


def _grid(ctx: Ctx, grid: tuple[int, str], cell: BaseGeometry, compound_name: str, comm_org: int, gname: str,
          village: bool) -> None:
    """One grid's staff, Party branch and groups, buildings, households and residents — the hot loop: households
    and residents are built as tuples (`Writer.add_row`) and sealed with `Sealer`."""
    rnd, w, people, seal = ctx.rnd, ctx.w, ctx.people, ctx.seal
    gid, gpath = grid
    _staff(ctx, "grid_worker", "A", grid)
    if rnd.random() < ctx.scale.extra_staff_per_grid % 1 or ctx.scale.extra_staff_per_grid >= 1:
        for i in range(max(1, int(ctx.scale.extra_staff_per_grid))):
            _staff(ctx, "grid_leader" if i == 0 else "grid_worker", "B" if i else "A", grid)
    branch = w.add("party_orgs", name=f"{gname}党支部", level="branch", parent_id=comm_org, region_id=gid,
                   scope_path=gpath)
    n_households = grid_households(rnd, ctx.scale.households_mean, village)
    per_building = 24 if not village else 6
    n_buildings = max(1, math.ceil(n_households / per_building))
    pts = ctx.part.points_in(cell, n_buildings)
    road = ctx.pick(names.ROADS)
    gcode = gpath.rstrip("/").rsplit("/", 1)[-1]
    date_value = w.date_value
    hh_left = n_households
    for b in range(n_buildings):
        bname = f"{b + 1}栋" if not village else f"{b + 1}号院"
        bcode = f"{gcode}{b + 1:03d}"
        address = f"{compound_name}{bname}" if not village else f"{road}{b + 1}号"
        bid = w.add("buildings", code=bcode, name=bname, address=address, floors=6 if not village else 2,
                    lon=float(pts[b, 0]), lat=float(pts[b, 1]), region_id=gid, scope_path=gpath)
        if b % 4 == 0:
            w.add("party_orgs", name=f"{gname}{bname}党小组", level="group", parent_id=branch, region_id=gid,
                  scope_path=gpath)
        for h in range(min(per_building, hh_left)):
            room = f"{h // 4 + 1}0{h % 4 + 1}" if not village else ""
            members = people.household(ctx.area)
            hid = w.add_row("households", (f"{bcode}{h + 1:03d}", bid, room or None, f"{address}{room}",
                                           members[0].name, "户籍" if rnd.random() < 0.8 else "流动", gid, gpath))
            for m in members:
                gender = "男" if m.male else "女"
                rid = w.add_row("residents", (
                    hid, m.name, gender, date_value(m.birth), m.relation, m.ethnicity, m.care_tags,
                    m.is_party_member, gid, gpath, *seal.id_number(m.id_number), *seal.phone(m.phone)))
                if m.is_party_member:
                    w.add("party_members", name=m.name, gender=gender, kind="registered", resident_id=rid,
                          org_id=branch, region_id=gid, scope_path=gpath,
                          is_center_household=rnd.random() < 0.12, **_phone_cols(ctx, m.phone))
        hh_left -= per_building


def _wipe(conn: Connection) -> None:
    from gongzhi import models

    for t in ("grid_staff", "party_members", "party_orgs", "units", "residents", "households", "buildings"):
        conn.execute(delete(models.Base.metadata.tables[t]))
    for t in ("idempotency_keys", "appeal_followers", "appeal_photos", "appeal_parts", "appeal_events",
              "messages", "outbox"):  # the appeal loop, which points at regions and users
        conn.execute(delete(models.Base.metadata.tables[t]))
    appeals = models.Base.metadata.tables["appeals"]
    conn.execute(appeals.update().values(parent_id=None))
    conn.execute(delete(appeals))
    conn.execute(delete(models.Base.metadata.tables["login_attempts"]))
    conn.execute(delete(models.Base.metadata.tables["users"]))
    for t in ("admission_items", "matter_types", "duty_categories", "departments"):  # the duty catalog
        conn.execute(delete(models.Base.metadata.tables[t]))
    regions = models.Base.metadata.tables["regions"]
    for level in ("grid", "compound", "community", "street", "district", "city"):
        conn.execute(delete(regions).where(regions.c.level == level))


# Indexed columns whose values arrive in no order (names, keyed hashes). Every other index of these tables is
# on ids or paths, which the generator writes in ascending runs (appends at one end of the B-tree: cheap).
UNORDERED_KEYS = {"name", "head_name", "id_number_hash", "phone_hash"}


@contextmanager
def _bulk_load(conn: Connection) -> Iterator[None]:
    """Load without the indexes on unordered keys and build them afterwards, in the caller's transaction.

    Maintaining such an index row by row is a B-tree insert at a random leaf per row; once the index outgrows
    the page cache each costs a page read and write, and at Yantai scale (4.9 M residents, three such indexes)
    that cost more than the rows themselves. Building the index after the load is one scan and one sort."""
    with indexes_dropped(conn, TABLE_ORDER, lambda ix: {c.name for c in ix.columns} <= UNORDERED_KEYS):
        yield


def city_exists(url: str | None = None) -> bool:
    with get_engine(url).connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(Region)))


def _outlines(areas: list[Division]) -> dict[str, tuple[BaseGeometry, tuple[float, float]]]:
    """Outline and seat per county-level unit; a unit without an outline of its own takes half of its host's."""
    outlines = load_outlines()
    shapes = {a.code12[:6]: outlines[a.code12[:6]] for a in areas if a.code12[:6] in outlines}
    for zone, host in HOSTS.items():
        if zone in {a.code12[:6] for a in areas} and host in shapes:
            poly, seat = shapes[host]
            cx = poly.centroid.x
            _, miny, maxx, maxy = poly.bounds
            east = shapely.box(cx, miny, maxx, maxy)
            shapes[zone] = (poly.intersection(east), (float((cx + maxx) / 2), seat[1]))
            shapes[host] = (poly.difference(east), seat)
    return shapes


def generate_city(*, scale: str, seed: int, progress: Progress | None = None, force: bool = False,
                  url: str | None = None) -> dict[str, Any]:
    """Load a generated city into the database in one transaction; refuses if one is there unless `force`
    (which replaces it)."""
    from gongzhi.core.errors import Conflict

    spec = SCALES[scale]
    report = progress or (lambda _s, _d, _t: None)
    engine = get_engine(url)
    city, areas = load_divisions(spec)
    shapes = _outlines(areas)
    rng = np.random.default_rng(seed)  # geometry
    rnd = random.Random(int(rng.integers(2**63)))  # everything drawn per row
    seal = Sealer()
    today = dt.date(2026, 1, 1)  # fixed, so a seed gives the same ages whatever the day
    with engine.begin() as conn:
        regions = conn.execute(select(func.count()).select_from(Region)).scalar_one()
        if regions and not force:
            raise Conflict("数据库中已有城市数据；如需替换请加 --force", code="city_exists")
        if regions:
            _wipe(conn)
        with _bulk_load(conn):
            w = Writer(conn)
            try:
                _build(w, spec, city, areas, shapes, rng, rnd, seal, today, report)
            finally:
                w.close()
        reset_sequences(conn, list(TABLE_ORDER))
        from sqlalchemy.orm import Session as DutySession

        from gongzhi.duties.catalog import load_demo  # the duty catalog and every community's admission list

        with DutySession(bind=conn) as duty_session:
            duties = load_demo(duty_session)
            from gongzhi.core.calendar import seed_official

            seed_official(duty_session)  # official holidays and make-up workdays: deadlines count working days
            duty_session.flush()
    with engine.begin() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            audit.record(session, "generate", "regions", city.code12,
                         summary=f"生成城市 {city.name}（scale={scale}, seed={seed}）", after=w.counts)
            session.flush()
    if engine.dialect.name == "sqlite":
        # The commit has copied the write-ahead log into the file; give its disk space back (as large as the
        # city, several GB at Yantai scale) rather than wait for the last connection to close.
        raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    from gongzhi.regions.service import invalidate_index

    invalidate_index()
    labels = {"regions": "区域节点", "buildings": "楼栋", "households": "住户", "residents": "居民",
              "units": "驻区单位", "party_orgs": "党组织", "party_members": "党员", "grid_staff": "网格力量"}
    counts = {labels[k]: v for k, v in w.counts.items()}
    counts.update({"职能部门": duties.get("departments", 0), "事项": duties.get("matter_types", 0),
                   "准入清单事项": duties.get("admission_items", 0)})
    with engine.connect() as conn:
        counts["网格"] = conn.scalar(select(func.count()).select_from(Region).where(Region.level == "grid")) or 0
    return {"city": city.name, "counts": counts, "city_code": city.code12}


def _build(w: Writer, spec: Scale, city: Division, areas: list[Division],
           shapes: dict[str, tuple[BaseGeometry, tuple[float, float]]], rng: np.random.Generator,
           rnd: random.Random, seal: Sealer, today: dt.date, report: Progress) -> None:
    """The city, street by street, top down (a node before its children)."""
    city_geom = shapely.union_all([g for g, _ in shapes.values()])
    city_ctx = Ctx(w, Partitioner(rng, (0.0, 0.0)), People(rnd, today), rnd, seal, spec, "", city.name)
    city_node = _region(city_ctx, city.code12, city.name, "city", None, city_geom, city.kind)
    # grids per community across the whole city
    communities = [c for a in areas for s in a.children for c in s.children]
    weights = [(1.0 if c.urban else spec.village_weight) * rnd.uniform(0.7, 1.3) for c in communities]
    grid_counts = dict(zip([c.code12 for c in communities], apportion(spec.grids, weights, 1), strict=True))
    total_streets = sum(len(a.children) for a in areas)
    done_streets = 0
    report("街道", 0, total_streets)
    for a in areas:
        code6 = a.code12[:6]
        poly, seat = shapes[code6]
        part = Partitioner(rng, seat)
        ctx = Ctx(w, part, People(rnd, today), rnd, seal, spec, code6, city.name)
        if len(areas) == 1:  # a county-level city: its streets hang from the city node
            area_node = city_node
        else:
            area_node = _region(ctx, a.code12, a.name, "district", city_node, poly, a.kind)
        street_cells = part.split(poly, len(a.children))
        for street, scell in zip(a.children, street_cells, strict=True):
            snode = _region(ctx, street.code12, street.name, "street", area_node, scell, street.kind)
            sorg = w.add("party_orgs", name=f"{street.name}{'大工委' if street.kind == '街道' else '党委'}",
                         level="street_committee", region_id=snode[0], scope_path=snode[1])
            comms = sorted(street.children, key=lambda c: not c.urban)  # urban communities nearest the seat
            cells = part.split(scell, len(comms)) if comms else []
            for comm, ccell in zip(comms, cells, strict=True):
                cnode = _region(ctx, comm.code12, comm.name, "community", snode, ccell, comm.kind)
                _community(ctx, comm, cnode, ccell, grid_counts[comm.code12], sorg)
            w.flush()
            done_streets += 1
            report("街道", done_streets, total_streets)
    w.flush()
