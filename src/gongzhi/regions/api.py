"""JSON routes of the region tree."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from gongzhi.core.register_api import register_api
from gongzhi.core.web import CsrfChecked, CurrentPrincipal, PageDep, SessionDep, require
from gongzhi.regions import repository as repo
from gongzhi.regions import service
from gongzhi.regions.service import BUILDINGS

router = APIRouter(tags=["区域"])
CanRead = require("regions:read")
CanWrite = require("regions:write")


class RegionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    geometry: dict[str, Any] | None = None
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class RegionCreate(RegionUpdate):
    parent_code: str = Field(max_length=20)
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)  # type: ignore[assignment]
    level: Literal["district", "street", "community", "compound", "grid"]


@router.get("/api/v1/regions/locate", summary="坐标定位到网格")
def locate(session: SessionDep, _p: CurrentPrincipal, lat: Annotated[float, Query()], lon: Annotated[float, Query()],
           crs: Annotated[str, Query()] = "wgs84") -> dict[str, Any]:
    return service.locate(session, lon, lat, crs)


@router.get("/api/v1/regions", summary="区域列表")
def list_regions(session: SessionDep, principal: CurrentPrincipal, params: PageDep, _c: Any = CanRead,
                 level: str | None = None, parent: str | None = None) -> dict[str, Any]:
    parent_region = service.get_region(session, principal, parent) if parent else None
    rows, total = repo.search(session, principal, level=level, parent=parent_region, q=params.q,
                              offset=params.offset, limit=params.size)
    return {"items": [service.region_dict(r) for r in rows], "total": total, "page": params.page,
            "size": params.size}


@router.post("/api/v1/regions", status_code=201, summary="新建区域（小区、网格等）", dependencies=[CsrfChecked])
def create_region(body: RegionCreate, session: SessionDep, principal: CurrentPrincipal,
                  _c: Any = CanWrite) -> dict[str, Any]:
    region = service.create_region(session, principal, parent_code=body.parent_code, code=body.code,
                                   name=body.name, level=body.level, geometry=body.geometry, crs=body.crs)
    return service.region_dict(region)


@router.get("/api/v1/regions/{code}", summary="区域详情（含下级与网格负荷）")
def get_region(code: str, session: SessionDep, principal: CurrentPrincipal, _c: Any = CanRead) -> dict[str, Any]:
    return service.node_view(session, principal, code)


@router.get("/api/v1/regions/{code}/map", summary="下级区域边界 GeoJSON（含负荷）")
def region_map(code: str, session: SessionDep, principal: CurrentPrincipal, _c: Any = CanRead) -> dict[str, Any]:
    return service.map_features(session, principal, code)


@router.get("/api/v1/regions/{code}/grid-load", summary="网格负荷（按标准300–500户、600–1000人）")
def grid_load(code: str, session: SessionDep, principal: CurrentPrincipal, _c: Any = CanRead,
              status: Literal["overloaded", "normal", "underloaded"] | None = None) -> dict[str, Any]:
    items = service.grid_loads(session, principal, code, status)
    return {"items": items, "total": len(items), "standard": {"households": service.GRID_HOUSEHOLDS,
                                                              "people": service.GRID_PEOPLE}}


@router.patch("/api/v1/regions/{code}", summary="修改区域名称或边界", dependencies=[CsrfChecked])
def update_region(code: str, body: RegionUpdate, session: SessionDep, principal: CurrentPrincipal,
                  _c: Any = CanWrite) -> dict[str, Any]:
    region = service.update_region(session, principal, code, name=body.name, geometry=body.geometry, crs=body.crs)
    return service.region_dict(region)


register_api(router, BUILDINGS)
