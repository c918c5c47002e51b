"""Fixtures for the Open311 suite: a service (matter type) of our own, a live API key, the demo grid."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.regions.models import Region
from tests.open311 import factories as o


@pytest.fixture
def svc(session: Session, city: dict[str, Any]) -> o.Service:
    return o.make_service(session)


@pytest.fixture
def api_key(session: Session, city: dict[str, Any]) -> str:
    return o.make_key(session)[1]


@pytest.fixture
def grid(session: Session, city: dict[str, Any]) -> Region:
    return o.region(session, city["scopes"]["grid"])


@pytest.fixture
def point(grid: Region) -> tuple[float, float]:
    return o.inside(grid)


@pytest.fixture
def post(client: Any, api_key: str, svc: o.Service, point: tuple[float, float]) -> Any:
    """post(fmt="json", **fields) → the response of POST requests with a valid key, service and location;
    a field given as None is left out."""

    def _post(fmt: str = "json", headers: dict[str, str] | None = None, **fields: Any) -> Any:
        lat, lon = point
        body = {"api_key": api_key, "service_code": svc.code, "lat": str(lat), "long": str(lon),
                "description": "小区门口路灯不亮，晚上很黑", **fields}
        return client.post(f"{o.API}/requests.{fmt}", data={k: v for k, v in body.items() if v is not None},
                           headers=headers)

    return _post
