"""The generated city: the real streets and communities of the division data, the real county outline, and
generated compounds, grids, buildings, households, residents, units, Party organisations and grid staff.

Geometry is a nested partition: the county outline is cut into streets, each street into communities, each
community into compounds and each compound into grids (k-means seeds, Voronoi cells clipped to the parent),
so the grids tile the governed area without gaps or overlaps (不留空白). Seeds are denser near the county seat,
so town cells are small and village cells large. Everything is drawn from one seeded generator: the same
seed gives the same city. Rows are written with bulk inserts in one transaction per street."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPoint, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, delete, func, insert, select

from gongzhi.core import audit, crypto, geo, idcard
from gongzhi.core.db import get_engine, now, reset_sequences
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
    # The demo is Anning with all its streets, communities and 1,288 grids, at a tenth of the households.
    "demo": Scale("530181", grids=1288, households_mean=40),
    "anning": Scale("530181", grids=1288),
    # Yantai: grids in the urban communities (居委会/社区) only, as its 5,158 urban grids are.
    "yantai": Scale("3706", grids=5158, households_mean=372, village_weight=0.0, extra_staff_per_grid=4.0,
                    in_service_per_community=14),
    # A small city for the test suite: two streets of Anning, three communities each.
    "tiny": Scale("530181", grids=24, households_mean=12, streets=2, communities_per_street=3,
                  in_service_per_community=3),
}

# NBS statistical units without a polygon of their own take a half of their host district's outline.
HOSTS = {"370671": "370613", "370676": "370611"}


def divisions_dir() -> Path:
    return get_settings().data_dir / "china-admin-divisions-2023"


def boundaries_dir() -> Path:
    return get_settings().data_dir / "china-boundaries-geojson" / "county-datav"


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        yield from csv.DictReader(fh)  # every value a string: codes keep their leading digits


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
    for r in _read_csv(base / "streets.csv"):
        if r["areaCode"] in area_codes:
            s = Division(r["code"] + "000", r["name"], [], kind=_street_kind(r["name"]))
            streets[r["code"]] = s
            by_area[r["areaCode"]].append(s)
    for r in _read_csv(base / "villages.csv.gz"):
        s = streets.get(r["streetCode"])
        if s is not None:
            urban = _is_urban(r["name"])
            s.children.append(Division(r["code"], r["name"], [], urban=urban, kind="社区" if urban else "村"))
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

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6])
HOUSEHOLD_P = np.array([0.22, 0.33, 0.24, 0.13, 0.06, 0.02])


class People:
    """Draws households and residents; ID numbers are unique by construction (a serial per area and day)."""

    def __init__(self, rng: np.random.Generator, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.serials: dict[tuple[str, dt.date], int] = {}
        self.surname_p = 1.0 / np.arange(1, len(names.SURNAMES) + 1) ** 0.9
        self.surname_p /= self.surname_p.sum()

    def surname(self) -> str:
        return names.SURNAMES[self.rng.choice(len(names.SURNAMES), p=self.surname_p)]

    def given(self, male: bool) -> str:
        pool = names.MALE if male else names.FEMALE
        n = 1 if self.rng.random() < 0.3 else 2
        return "".join(pool[i] for i in self.rng.integers(0, len(pool), n))

    def id_number(self, area: str, birth: dt.date, male: bool) -> str:
        key = (area, birth)
        serial = self.serials.get(key, int(self.rng.integers(0, 50)) * 2 + (1 if male else 0))
        if serial % 2 != (1 if male else 0):
            serial += 1
        self.serials[key] = serial + 1
        return idcard.make(area, birth, serial % 1000)

    def birth(self, age: int) -> dt.date:
        return self.today - dt.timedelta(days=int(age * 365.25 + self.rng.integers(0, 365)))

    def phone(self) -> str:
        return "1" + str(self.rng.choice([3, 5, 7, 8, 9])) + "".join(map(str, self.rng.integers(0, 10, 9)))

    def household(self, area: str) -> list[dict[str, Any]]:
        size = int(self.rng.choice(HOUSEHOLD_SIZES, p=HOUSEHOLD_P))
        surname = self.surname()
        head_age = int(np.clip(self.rng.normal(52, 15), 22, 92))
        head_male = self.rng.random() < 0.62
        members: list[tuple[str, int, bool, str]] = [(surname, head_age, head_male, "户主")]
        if size >= 2:
            members.append((self.surname(), int(np.clip(head_age + self.rng.integers(-5, 4), 20, 95)),
                            not head_male, "配偶"))
        for _ in range(size - len(members)):
            if head_age > 58 and self.rng.random() < 0.5:
                members.append((surname, max(0, head_age - int(self.rng.integers(48, 60))),
                                bool(self.rng.random() < 0.5), "孙子女"))
            else:
                members.append((surname, max(0, head_age - int(self.rng.integers(22, 36))),
                                bool(self.rng.random() < 0.51), "子女"))
        people = []
        for fam, age, male, rel in members:
            name = fam + self.given(male)
            birth = self.birth(age)
            tags = []
            if size == 1 and age >= 65:
                tags.append("独居老人")
            elif size == 2 and age >= 65 and all(m[1] >= 60 for m in members):
                tags.append("空巢老人")
            r = self.rng.random()
            if r < 0.02:
                tags.append("残疾")
            if 0.02 <= r < 0.05:
                tags.append("低保")
            if 0.05 <= r < 0.06:
                tags.append("重点人群")
            if male and age > 30 and 0.06 <= r < 0.08:
                tags.append("退役军人")
            people.append({"name": name, "gender": "男" if male else "女", "birth_date": birth, "relation": rel,
                           "id_number": self.id_number(area, birth, male), "age": age,
                           "phone": self.phone() if age >= 16 else None, "care_tags": ",".join(tags),
                           "ethnicity": names.ETHNICITIES[int(self.rng.integers(0, len(names.ETHNICITIES)))],
                           "is_party_member": bool(age >= 22 and self.rng.random() < 0.075)})
        return people


def grid_households(rng: np.random.Generator, mean: int, village: bool) -> int:
    """Households in one grid: most within the 300–500 standard (scaled by `mean`), some over and under."""
    r = rng.random()
    f = mean / 390
    if r < 0.06:
        return max(1, int(rng.uniform(505, 660) * f))
    if r < 0.14 or (village and r < 0.3):
        return max(1, int(rng.uniform(170, 295) * f))
    return max(1, int(np.clip(rng.normal(390, 50), 300, 500) * f))


# ---- loading ----------------------------------------------------------------------------------------------

class Writer:
    """Bulk inserts with ids assigned here, so children can point at parents without a round trip."""

    BATCH = 5000

    def __init__(self, conn: Connection) -> None:
        from gongzhi import models

        self.conn = conn
        self.tables = {t: models.Base.metadata.tables[t] for t in (
            "regions", "buildings", "households", "residents", "units", "party_orgs", "party_members",
            "grid_staff")}
        self.next_id = {t: (conn.scalar(select(func.max(tbl.c.id))) or 0) + 1 for t, tbl in self.tables.items()}
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in self.tables}
        self.counts: dict[str, int] = dict.fromkeys(self.tables, 0)
        self.stamp = now()
        # executemany needs the same keys in every row: start each row from the table's defaults
        self.blank = {t: {c.name: (c.default.arg if c.default is not None and c.default.is_scalar else None)
                          for c in tbl.columns} for t, tbl in self.tables.items()}

    def add(self, table: str, row: dict[str, Any]) -> int:
        rid = self.next_id[table]
        self.next_id[table] += 1
        full = {**self.blank[table], **row, "id": rid, "created_at": self.stamp, "updated_at": self.stamp}
        self.rows[table].append(full)
        if len(self.rows[table]) >= self.BATCH:
            self.flush(table)
        return rid

    def flush(self, table: str | None = None) -> None:
        order = ["regions", "buildings", "households", "residents", "units", "party_orgs", "party_members",
                 "grid_staff"]
        for t in order if table is None else order[: order.index(table) + 1]:
            if self.rows[t]:
                self.conn.execute(insert(self.tables[t]), self.rows[t])
                self.counts[t] += len(self.rows[t])
                self.rows[t] = []


@dataclass
class Ctx:
    w: Writer
    part: Partitioner
    people: People
    rng: np.random.Generator
    scale: Scale
    area: str
    city_name: str


def _region(ctx: Ctx, code: str, name: str, level: str, parent: tuple[int, str] | None, geom: BaseGeometry | None,
            kind: str | None = None) -> tuple[int, str]:
    path = (parent[1] if parent else "/") + code + "/"
    c = geom.representative_point() if geom is not None else None
    rid = ctx.w.add("regions", {
        "code": code, "name": name, "level": level, "kind": kind, "parent_id": parent[0] if parent else None,
        "path": path, "geometry": _geojson(geom, 5 if level in ("city", "district", "street") else 6)
        if geom is not None else None, "center_lon": c.x if c else None, "center_lat": c.y if c else None})
    return rid, path


def _community(ctx: Ctx, comm: Division, node: tuple[int, str], poly: BaseGeometry, grids: int,
               street_org: int) -> None:
    rng, w = ctx.rng, ctx.w
    short = comm.name.removesuffix("居委会").removesuffix("居民委员会").removesuffix("村委会") \
        .removesuffix("村民委员会")
    comm_org = w.add("party_orgs", {"name": f"{short}{'社区大党委' if comm.urban else '村党委'}",
                                    "level": "community_committee", "parent_id": street_org,
                                    "region_id": node[0], "scope_path": node[1],
                                    "secretary_name": ctx.people.surname() + ctx.people.given(True)})
    # station chief and instructor serve the whole community
    for tier in ("station_chief", "instructor"):
        _staff(ctx, tier, "A", node)
    _units(ctx, node, short, poly)
    for _ in range(ctx.scale.in_service_per_community):
        male = rng.random() < 0.55
        w.add("party_members", {
            "name": ctx.people.surname() + ctx.people.given(male), "gender": "男" if male else "女",
            "kind": "in_service", "org_id": comm_org, "region_id": node[0], "scope_path": node[1],
            "employer_name": ctx.city_name + names.EMPLOYERS[int(rng.integers(0, len(names.EMPLOYERS)))],
            "is_center_household": False,
            **_phone_cols(ctx.people.phone())})
    if grids == 0:
        return
    n_compounds = max(1, round(grids / 1.85))
    compound_cells = ctx.part.split(poly, n_compounds)
    per_compound = apportion(grids, [float(c.area) ** 0.5 for c in compound_cells], 1)
    serial = 0
    for ci, (ccell, ng) in enumerate(zip(compound_cells, per_compound, strict=True), start=1):
        cname = (names.COMPOUND_WORDS[int(rng.integers(0, len(names.COMPOUND_WORDS)))]
                 + names.COMPOUND_SUFFIXES[int(rng.integers(0, len(names.COMPOUND_SUFFIXES)))])
        if not comm.urban:
            cname = f"{short}第{ci}村民小组"
        compound = _region(ctx, f"{comm.code12}{ci:02d}", cname, "compound", node, ccell)
        for gcell in ctx.part.split(ccell, ng):
            serial += 1
            gname = f"{short}第{serial}网格"
            grid = _region(ctx, f"{comm.code12}{ci:02d}{serial:03d}", gname, "grid", compound, gcell)
            _grid(ctx, grid, gcell, cname, comm_org, gname, not comm.urban)


def _phone_cols(phone: str | None) -> dict[str, Any]:
    sealed = crypto.seal("phone", phone)
    return {"phone_enc": sealed["enc"], "phone_hash": sealed["hash"], "phone_masked": sealed["masked"]}


def _staff(ctx: Ctx, tier: str, post: str, node: tuple[int, str]) -> None:
    male = ctx.rng.random() < 0.45
    ctx.w.add("grid_staff", {"name": ctx.people.surname() + ctx.people.given(male), "tier": tier, "post": post,
                             "region_id": node[0], "scope_path": node[1],
                             "is_party_member": bool(ctx.rng.random() < 0.6), **_phone_cols(ctx.people.phone())})


def _units(ctx: Ctx, node: tuple[int, str], short: str, poly: BaseGeometry) -> None:
    rng = ctx.rng
    n = int(rng.integers(3, 9))
    pts = ctx.part.points_in(poly, n)
    for i in range(n):
        if rng.random() < 0.45:
            kind, name = "商铺", short + names.SHOP_WORDS[int(rng.integers(0, len(names.SHOP_WORDS)))]
        else:
            kind, tpl = names.UNIT_TEMPLATES[int(rng.integers(0, len(names.UNIT_TEMPLATES)))]
            name = tpl.format(s=short, n=int(rng.integers(1, 4)),
                              w=names.COMPOUND_WORDS[int(rng.integers(0, len(names.COMPOUND_WORDS)))])
        ctx.w.add("units", {"name": name, "kind": kind, "region_id": node[0], "scope_path": node[1],
                            "address": f"{short}{names.ROADS[int(rng.integers(0, len(names.ROADS)))]}"
                                       f"{int(rng.integers(1, 300))}号",
                            "contact_name": ctx.people.surname() + ctx.people.given(bool(rng.random() < 0.5)),
                            "is_member_unit": kind != "商铺" and bool(rng.random() < 0.7),
                            "lon": float(pts[i, 0]), "lat": float(pts[i, 1]),
                            **_phone_cols(ctx.people.phone())})


def _grid(ctx: Ctx, grid: tuple[int, str], cell: BaseGeometry, compound_name: str, comm_org: int, gname: str,
          village: bool) -> None:
    rng, w, people = ctx.rng, ctx.w, ctx.people
    gid, gpath = grid
    _staff(ctx, "grid_worker", "A", grid)
    if rng.random() < ctx.scale.extra_staff_per_grid % 1 or ctx.scale.extra_staff_per_grid >= 1:
        for i in range(max(1, int(ctx.scale.extra_staff_per_grid))):
            _staff(ctx, "grid_leader" if i == 0 else "grid_worker", "B" if i else "A", grid)
    branch = w.add("party_orgs", {"name": f"{gname}党支部", "level": "branch", "parent_id": comm_org,
                                  "region_id": gid, "scope_path": gpath})
    n_households = grid_households(rng, ctx.scale.households_mean, village)
    per_building = 24 if not village else 6
    n_buildings = max(1, math.ceil(n_households / per_building))
    pts = ctx.part.points_in(cell, n_buildings)
    road = names.ROADS[int(rng.integers(0, len(names.ROADS)))]
    hh_left = n_households
    for b in range(n_buildings):
        bname = f"{b + 1}栋" if not village else f"{b + 1}号院"
        bcode = f"{grid[1].rstrip('/').rsplit('/', 1)[-1]}{b + 1:03d}"
        address = f"{compound_name}{bname}" if not village else f"{road}{b + 1}号"
        bid = w.add("buildings", {"code": bcode, "name": bname, "address": address, "floors": 6 if not village else 2,
                                  "lon": float(pts[b, 0]), "lat": float(pts[b, 1]), "region_id": gid,
                                  "scope_path": gpath})
        if b % 4 == 0:
            w.add("party_orgs", {"name": f"{gname}{bname}党小组", "level": "group", "parent_id": branch,
                                 "region_id": gid, "scope_path": gpath})
        for h in range(min(per_building, hh_left)):
            room = f"{h // 4 + 1}0{h % 4 + 1}" if not village else ""
            members = people.household(ctx.area)
            hid = w.add("households", {"code": f"{bcode}{h + 1:03d}", "building_id": bid, "room": room or None,
                                       "address": f"{address}{room}", "head_name": members[0]["name"],
                                       "household_type": "户籍" if rng.random() < 0.8 else "流动",
                                       "region_id": gid, "scope_path": gpath})
            for m in members:
                idc = crypto.seal("id_number", m["id_number"])
                rid = w.add("residents", {
                    "household_id": hid, "name": m["name"], "gender": m["gender"], "birth_date": m["birth_date"],
                    "relation": m["relation"], "ethnicity": m["ethnicity"], "care_tags": m["care_tags"],
                    "is_party_member": m["is_party_member"], "region_id": gid, "scope_path": gpath,
                    "id_number_enc": idc["enc"], "id_number_hash": idc["hash"], "id_number_masked": idc["masked"],
                    **_phone_cols(m["phone"])})
                if m["is_party_member"]:
                    w.add("party_members", {"name": m["name"], "gender": m["gender"], "kind": "registered",
                                            "resident_id": rid, "org_id": branch, "region_id": gid,
                                            "scope_path": gpath, "is_center_household": bool(rng.random() < 0.12),
                                            **_phone_cols(m["phone"])})
        hh_left -= per_building


def _wipe(conn: Connection) -> None:
    from gongzhi import models

    for t in ("grid_staff", "party_members", "party_orgs", "units", "residents", "households", "buildings"):
        conn.execute(delete(models.Base.metadata.tables[t]))
    conn.execute(delete(models.Base.metadata.tables["login_attempts"]))
    conn.execute(delete(models.Base.metadata.tables["users"]))
    regions = models.Base.metadata.tables["regions"]
    for level in ("grid", "compound", "community", "street", "district", "city"):
        conn.execute(delete(regions).where(regions.c.level == level))


def city_exists(url: str | None = None) -> bool:
    with get_engine(url).connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(Region)))


def generate_city(*, scale: str, seed: int, progress: Progress | None = None, force: bool = False,
                  url: str | None = None) -> dict[str, Any]:
    """Load a generated city into the database; refuses if one is there unless `force` (which replaces it)."""
    from gongzhi.core.errors import Conflict

    spec = SCALES[scale]
    report = progress or (lambda _s, _d, _t: None)
    engine = get_engine(url)
    city, areas = load_divisions(spec)
    outlines = load_outlines()
    rng = np.random.default_rng(seed)
    today = dt.date(2026, 1, 1)  # fixed, so a seed gives the same ages whatever the day
    with engine.begin() as conn:
        regions = conn.execute(select(func.count()).select_from(Region)).scalar_one()
        if regions and not force:
            raise Conflict("数据库中已有城市数据；如需替换请加 --force", code="city_exists")
        if regions:
            _wipe(conn)
        w = Writer(conn)
        # outlines per county-level unit; a unit without one takes half of its host's
        shapes: dict[str, tuple[BaseGeometry, tuple[float, float]]] = {}
        for a in areas:
            code6 = a.code12[:6]
            if code6 in outlines:
                shapes[code6] = outlines[code6]
        for zone, host in HOSTS.items():
            if zone in {a.code12[:6] for a in areas} and host in shapes:
                poly, seat = shapes[host]
                cx = poly.centroid.x
                minx, miny, maxx, maxy = poly.bounds
                east = shapely.box(cx, miny, maxx, maxy)
                shapes[zone] = (poly.intersection(east), (float((cx + maxx) / 2), seat[1]))
                shapes[host] = (poly.difference(east), seat)
        city_geom = shapely.union_all([g for g, _ in shapes.values()])
        top_level_is_area = len(areas) == 1
        city_ctx = Ctx(w, Partitioner(rng, (0.0, 0.0)), People(rng, today), rng, spec, "", city.name)
        city_node = _region(city_ctx, city.code12, city.name, "city", None, city_geom, city.kind)
        # grids per community across the whole city
        communities = [(a, s, c) for a in areas for s in a.children for c in s.children]
        weights = [(1.0 if c.urban else spec.village_weight) * float(rng.uniform(0.7, 1.3)) for _, _, c in communities]
        grid_counts = dict(zip([c.code12 for _, _, c in communities], apportion(spec.grids, weights, 1), strict=True))
        total_streets = sum(len(a.children) for a in areas)
        done_streets = 0
        report("街道", 0, total_streets)
        for a in areas:
            code6 = a.code12[:6]
            poly, seat = shapes[code6]
            part = Partitioner(rng, seat)
            ctx = Ctx(w, part, People(rng, today), rng, spec, code6, city.name)
            if top_level_is_area:
                area_node = city_node
            else:
                area_node = _region(ctx, a.code12, a.name, "district", city_node, poly, a.kind)
            street_cells = part.split(poly, len(a.children))
            for street, scell in zip(a.children, street_cells, strict=True):
                snode = _region(ctx, street.code12, street.name, "street", area_node, scell, street.kind)
                sorg = w.add("party_orgs", {"name": f"{street.name}{'大工委' if street.kind == '街道' else '党委'}",
                                            "level": "street_committee", "region_id": snode[0],
                                            "scope_path": snode[1]})
                comms = sorted(street.children, key=lambda c: not c.urban)  # urban communities nearest the seat
                cells = part.split(scell, len(comms)) if comms else []
                for comm, ccell in zip(comms, cells, strict=True):
                    cnode = _region(ctx, comm.code12, comm.name, "community", snode, ccell, comm.kind)
                    _community(ctx, comm, cnode, ccell, grid_counts[comm.code12], sorg)
                w.flush()
                done_streets += 1
                report("街道", done_streets, total_streets)
        w.flush()
        reset_sequences(conn, list(w.tables))
    with engine.begin() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            audit.record(session, "generate", "regions", city.code12,
                         summary=f"生成城市 {city.name}（scale={scale}, seed={seed}）", after=w.counts)
            session.flush()
    from gongzhi.regions.service import invalidate_index

    invalidate_index()
    labels = {"regions": "区域节点", "buildings": "楼栋", "households": "住户", "residents": "居民",
              "units": "驻区单位", "party_orgs": "党组织", "party_members": "党员", "grid_staff": "网格力量"}
    counts = {labels[k]: v for k, v in w.counts.items()}
    with engine.connect() as conn:
        counts["网格"] = conn.scalar(select(func.count()).select_from(Region).where(Region.level == "grid")) or 0
    return {"city": city.name, "counts": counts, "city_code": city.code12}
