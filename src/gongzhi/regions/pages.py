"""Pages of the region tree: drill-down from city to household, with a map of grids coloured by load."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gongzhi.core.settings import get_settings
from gongzhi.core.web import CurrentPrincipal, SessionDep, render, require
from gongzhi.regions import repository as repo
from gongzhi.regions import service
from gongzhi.regions.service import LOAD_LABELS

router = APIRouter(include_in_schema=False, dependencies=[require("regions:read")])


@router.get("/regions")
def regions_root(principal: CurrentPrincipal) -> Response:
    return RedirectResponse(f"/regions/{principal.scope_code}", status_code=303)


@router.get("/regions/{code}")
def region_page(code: str, request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    view = service.node_view(session, principal, code)
    region = service.get_region(session, principal, code)
    buildings = repo.buildings_in(session, region) if region.level == "grid" else []
    settings = get_settings()
    return render(request, "regions/node.html", {
        "title": view["name"], "nav": "regions", "view": view, "buildings": buildings,
        "load_labels": LOAD_LABELS, "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
    })
