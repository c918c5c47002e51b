"""Rules of the region tree: grid load against the standard, point → grid, drill-down, editing grids."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy.orm import Session

from gongzhi.core import geo
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.i18n import N_
from gongzhi.regions import repository as repo
from gongzhi.regions.models import LEVEL_LABELS, LEVEL_ORDER, Level, Region

# 网格划分标准 (seeds 000, 004): 300–500 households, 600–1,000 people per grid.
GRID_HOUSEHOLDS = (300, 500)
GRID_PEOPLE = (600, 1000)
LOAD_LABELS = {"overloaded": N_("超负荷"), "normal": N_("正常"), "underloaded": N_("偏少")}


def load_status(households: int, people: int) -> str:
    """Over the standard on either count is overloaded (split it, 动态调整); under on both is underloaded."""
    if households > GRID_HOUSEHOLDS[1] or people > GRID_PEOPLE[1]:
        return "overloaded"
    if households < GRID_HOUSEHOLDS[0] and people < GRID_PEOPLE[0]:
        return "underloaded"
    return "normal"


def region_dict(r: Region) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "level": r.level, "level_label": LEVEL_LABELS[Level(r.level)],
            "kind": r.kind, "center": [r.center_lon, r.center_lat] if r.center_lon is not None else None}


# ---- point → grid -------------------------------------------------------------------------------------

_index = geo.GridIndex()
_index_checked = 0.0
_index_lock = threading.Lock()
INDEX_RECHECK_SECONDS = 2.0


def grid_index(session: Session) -> geo.GridIndex:
    """The process's grid index, rebuilt when the grids changed (checked at most every 2 s, so several
    processes converge quickly; a change made in this process invalidates at once)."""
    global _index_checked
    if time.monotonic() - _index_checked < INDEX_RECHECK_SECONDS and _index.version is not None:
        return _index
    with _index_lock:
        version = repo.grid_version(session)
        if version != _index.version:
            rows = [(gid, shape(json.loads(g))) for gid, g in repo.grid_polygons(session)]
            _index.build(version, rows)
        _index_checked = time.monotonic()
    return _index


def invalidate_index() -> None:
    global _index_checked
    _index_checked = 0.0
    _index.version = None


def locate(session: Session, lon: float, lat: float, crs: str) -> dict[str, Any]:
    if crs not in geo.CRS:
        raise ValidationFailed(f"坐标系 crs 只能是 {', '.join(geo.CRS)}", details={"crs": crs})
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("经纬度超出范围", details={"lat": lat, "lon": lon})
    wlon, wlat = geo.to_wgs84(lon, lat, crs)
    grid_id = grid_index(session).locate(float(wlon), float(wlat))
    grid = repo.by_ids(session, [grid_id]).get(grid_id) if grid_id is not None else None
    if grid_id is not None and grid is None:  # the index is older than the grids: rebuild and ask again
        invalidate_index()
        grid_id = grid_index(session).locate(float(wlon), float(wlat))
        grid = repo.by_ids(session, [grid_id]).get(grid_id) if grid_id is not None else None
    if grid is None:
        raise NotFound("该位置不在任何网格内", code="outside_grids",
                       details={"lat": float(wlat), "lon": float(wlon), "crs": "wgs84"})
    chain = {r.level: region_dict(r) for r in repo.ancestors(session, grid)}
    return {"point": {"lon": float(wlon), "lat": float(wlat), "crs": "wgs84"}, "grid": region_dict(grid),
            "compound": chain.get("compound"), "community": chain.get("community"), "street": chain.get("street"),
            "district": chain.get("district"), "city": chain.get("city")}


# ---- drill-down ------------------------------------------------------------------------------------------

def get_region(session: Session, principal: Principal, code: str) -> Region:
    region = repo.get_by_code(session, principal, code)
    if region is None:
        raise NotFound("未找到该区域或不在您的管辖范围内")
    return region


@dataclass
class ChildLoad:
    region: Region
    households: int
    residents: int
    grids: int
    overloaded: int
    underloaded: int

    @property
    def status(self) -> str | None:
        return load_status(self.households, self.residents) if self.region.level == "grid" else None

    def to_dict(self) -> dict[str, Any]:
        return {**region_dict(self.region), "households": self.households, "residents": self.residents,
                "grids": self.grids, "overloaded_grids": self.overloaded, "underloaded_grids": self.underloaded,
                "load_status": self.status}


def children_with_load(session: Session, region: Region) -> list[ChildLoad]:
    kids = repo.children(session, region)
    grids = repo.grids_under(session, region) if region.level != "grid" else []
    households, residents = repo.grid_counts(session, region)
    loads = {c.id: ChildLoad(c, 0, 0, 0, 0, 0) for c in kids}
    by_path = sorted(((c.path, c.id) for c in kids), reverse=True)
    for g in grids:
        owner = next((cid for p, cid in by_path if g.path.startswith(p)), None)
        if owner is None:
            continue
        cl = loads[owner]
        h, r = households[g.id], residents[g.id]
        cl.households += h
        cl.residents += r
        cl.grids += 1
        status = load_status(h, r)
        cl.overloaded += status == "overloaded"
        cl.underloaded += status == "underloaded"
    return [loads[c.id] for c in kids]


def node_view(session: Session, principal: Principal, code: str) -> dict[str, Any]:
    region = get_region(session, principal, code)
    totals = repo.totals(session, region)
    kids = children_with_load(session, region)
    view: dict[str, Any] = {
        **region_dict(region),
        "ancestors": [{**region_dict(a), "linkable": principal.covers(a.path)}
                      for a in repo.ancestors(session, region)],
        **totals,
        "children": [k.to_dict() for k in kids],
    }
    if region.level == "grid":
        view["load_status"] = load_status(totals["households"], totals["residents"])
        view["standard"] = {"households": GRID_HOUSEHOLDS, "people": GRID_PEOPLE}
    return view


def grid_loads(session: Session, principal: Principal, code: str, status: str | None) -> list[dict[str, Any]]:
    region = get_region(session, principal, code)
    households, residents = repo.grid_counts(session, region)
    out = []
    for g in repo.grids_under(session, region) if region.level != "grid" else [region]:
        s = load_status(households[g.id], residents[g.id])
        if status is None or s == status:
            out.append({**region_dict(g), "households": households[g.id], "residents": residents[g.id],
                        "load_status": s, "load_label": LOAD_LABELS[s]})
    return out


def map_features(session: Session, principal: Principal, code: str) -> dict[str, Any]:
    """GeoJSON for the map: the node's children (grids below a community), each with its load."""
    region = get_region(session, principal, code)
    features: list[dict[str, Any]] = []
    if region.level == "grid":
        for b in repo.buildings_in(session, region):
            if b.lon is not None:
                features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                                 "properties": {"name": b.name, "id": b.id, "kind": "building"}})
        if region.geometry:
            features.append({"type": "Feature", "geometry": json.loads(region.geometry),
                             "properties": {**region_dict(region), "kind": "outline"}})
    else:
        for child in children_with_load(session, region):
            if child.region.geometry:
                features.append({"type": "Feature", "geometry": json.loads(child.region.geometry),
                                 "properties": child.to_dict()})
    return {"type": "FeatureCollection", "features": features}


# ---- editing (admins) ----------------------------------------------------------------------------------

def _parse_polygon(geojson: dict[str, Any], crs: str) -> tuple[str, float, float]:
    try:
        geom = shape(geojson)
    except (ValueError, AttributeError, KeyError, TypeError) as exc:
        raise ValidationFailed("边界不是有效的 GeoJSON 几何", details={"geometry": str(exc)}) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValidationFailed("边界必须是面（Polygon 或 MultiPolygon）")
    if crs != "wgs84":
        geom = geo.transform_geometry(geom, lambda x, y: geo.to_wgs84(x, y, crs))
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    c = geom.representative_point()
    return json.dumps(mapping(geom)), c.x, c.y


def update_region(session: Session, principal: Principal, code: str, *, name: str | None,
                  geometry: dict[str, Any] | None, crs: str = "wgs84") -> Region:
    if not principal.can("regions:write"):
        raise Forbidden()
    region = get_region(session, principal, code)
    if name is not None:
        region.name = name
    if geometry is not None:
        region.geometry, region.center_lon, region.center_lat = _parse_polygon(geometry, crs)
    session.flush()
    if region.level == "grid":
        invalidate_index()
    return region


def create_region(session: Session, principal: Principal, *, parent_code: str, code: str, name: str,
                  level: str, geometry: dict[str, Any] | None, crs: str = "wgs84") -> Region:
    if not principal.can("regions:write"):
        raise Forbidden()
    parent = get_region(session, principal, parent_code)
    if level not in LEVEL_ORDER or LEVEL_ORDER[Level(level)] <= LEVEL_ORDER[Level(parent.level)]:
        raise ValidationFailed("下级区域的层级必须低于上级", details={"parent": parent.level, "level": level})
    if repo.get_by_code_unscoped(session, code) is not None:
        raise Conflict("区域代码已存在", code="duplicate_code", details={"code": code})
    if not code.isalnum():
        raise AppError("区域代码只能包含字母和数字", code="bad_code", status=422)
    region = Region(code=code, name=name, level=level, parent_id=parent.id, path=f"{parent.path}{code}/")
    if geometry is not None:
        region.geometry, region.center_lon, region.center_lat = _parse_polygon(geometry, crs)
    session.add(region)
    session.flush()
    if level == "grid":
        invalidate_index()
    return region


# ---- the building register ----------------------------------------------------------------------------

def _buildings() -> Any:
    from gongzhi.core.registers import Field, Ref, Register, register
    from gongzhi.regions.models import Building

    return register(Register(
        kind="buildings", label=N_("楼栋"), model=Building, search=("name", "code", "address"), order_by="code",
        unique=("code",),
        fields=[
            Field("grid_code", N_("所属网格代码"), "region", ref=Ref(Region, "code", "region_id", ("grid",)),
                  filter=True),
            Field("code", N_("楼栋编码"), required=True, max_len=24),
            Field("name", N_("楼栋名称"), required=True, max_len=60),
            Field("address", N_("地址"), max_len=200),
            Field("floors", N_("层数"), "int", in_list=False),
            Field("lon", N_("经度"), "float", in_list=False),
            Field("lat", N_("纬度"), "float", in_list=False),
        ],
    ))


BUILDINGS = _buildings()
