"""What the access matrix (tests/test_access_matrix.py) expects of the dashboards' routes and sends to them.

Every route reads: it needs `dashboard:read` and shows the region named by `region` — the demo grid (inside every
scoped role's node) or the other grid (outside, → 404, also for exports, the bulletin and drill-down)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.matrix import Endpoint

API, PAGE = "/api/v1/dashboard", "/dashboard"
READ = ("dashboard:read",)


def endpoints() -> list[Endpoint]:
    api = ("summary", "trend", "breakdown", "grids", "cases", "open", "activity", "map", "export.xlsx", "report.docx",
           "report.xlsx")
    return [*(Endpoint("GET", f"{API}/{name}", "api", READ, scoped=True) for name in api),
            *(Endpoint("GET", route, "page", READ, scoped=True)
              for route in (PAGE, f"{PAGE}/cases", f"{PAGE}/open", f"{PAGE}/screen"))]


def prepare(session: Session, city: dict[str, Any], ep: Endpoint, place: str, path: str,
            kwargs: dict[str, Any]) -> str:
    grid = city["other_grid"] if place == "outside" else city["scopes"]["grid"]
    return f"{path}?region={grid}"
