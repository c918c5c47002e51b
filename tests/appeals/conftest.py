"""Fixtures for the appeal loop: a small duty catalog of our own (one matter type per tier), the demo
department handler placed in its department, and a point inside the demo grid."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.duties.models import Department, DutyCategory, MatterType
from gongzhi.regions.models import Region
from tests.factories import unique_code


@dataclass
class Catalog:
    departments: list[Department]
    matters: dict[str, MatterType]  # by tier


@pytest.fixture
def catalog(session: Session, city: dict[str, Any]) -> Catalog:
    root = session.scalars(select(Region).where(Region.parent_id.is_(None))).one()
    deps = [Department(code=unique_code("D"), name=f"测试部门{i}", region_id=root.id) for i in range(3)]
    session.add_all(deps)
    session.flush()
    top = DutyCategory(code=unique_code("C"), name="城乡建设", level=1)
    session.add(top)
    session.flush()
    sub = DutyCategory(code=unique_code("C"), name="城市建设和市政管理", level=2, parent_id=top.id)
    session.add(sub)
    session.flush()
    names = {"grid": "占道经营", "community": "邻里纠纷", "street": "小区改造", "department": "违章建筑"}
    matters = {}
    for tier, name in names.items():
        matters[tier] = MatterType(code=unique_code("M"), name=name, category_id=sub.id, tier=tier,
                                   lead_department_id=deps[0].id, assist_department_ids=[deps[1].id],
                                   accept_hours=4, resolve_days=3, keywords=name)
        session.add(matters[tier])
    handler = session.scalars(select(User).where(User.username == "handler")).one()
    handler.department_id = deps[0].id
    session.commit()
    return Catalog(deps, matters)


@pytest.fixture
def grid_point(session: Session, city: dict[str, Any]) -> tuple[float, float]:
    """(lat, lon) of a point inside the demo accounts' grid, WGS-84."""
    grid = session.scalars(select(Region).where(Region.code == city["scopes"]["grid"])).one()
    p = shape(json.loads(grid.geometry)).representative_point()
    return p.y, p.x


@pytest.fixture
def other_point(session: Session, city: dict[str, Any]) -> tuple[float, float]:
    """A point in the grid outside the demo accounts' scope (grid2 / community2)."""
    grid = session.scalars(select(Region).where(Region.code == city["other_grid"])).one()
    p = shape(json.loads(grid.geometry)).representative_point()
    return p.y, p.x


@pytest.fixture
def report(client: Any, auth: Any, grid_point: tuple[float, float], catalog: Catalog) -> Any:
    """report(tier=..., user="resident", **fields) → the JSON of a new appeal filed through the API."""

    def _report(tier: str | None = "grid", user: str = "resident", point: tuple[float, float] | None = None,
                **fields: Any) -> dict[str, Any]:
        lat, lon = point or grid_point
        body = {"title": "楼下有人占道经营", "description": "每天晚上摆摊到十一点", "lat": lat, "lon": lon,
                "channel": {"resident": "h5", "grid": "patrol", "volunteer": "volunteer"}.get(user, "hotline")}
        if tier:
            body["matter_code"] = catalog.matters[tier].code
        body.update(fields)
        r = client.post("/api/v1/appeals", json=body, headers=auth(user))
        assert r.status_code == 201, r.text
        return r.json()

    return _report


@pytest.fixture
def act(client: Any, auth: Any) -> Any:
    """act(user, appeal_id, action, **body) → the response (not asserted)."""

    def _act(user: str, appeal_id: int, action: str, **body: Any) -> Any:
        return client.post(f"/api/v1/appeals/{appeal_id}/{action}", json=body, headers=auth(user))

    return _act
