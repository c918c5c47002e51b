"""Factories for the Open311 suite: a matter type with its department and categories, API keys, and appeals
written straight through the ORM (not through the intake under test) at any time and in any state."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal, AppealEvent
from gongzhi.core import crypto
from gongzhi.core.db import now
from gongzhi.duties.models import Department, DutyCategory, MatterType
from gongzhi.open311 import service
from gongzhi.open311.models import ApiKey
from gongzhi.regions.models import Region
from tests.factories import unique_code

API = "/open311/v2"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def root(session: Session) -> Region:
    return session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id).limit(1)).one()


def region(session: Session, code: str) -> Region:
    return session.scalars(select(Region).where(Region.code == code)).one()


def inside(grid: Region) -> tuple[float, float]:
    """(lat, lon) of a point inside `grid`, WGS-84."""
    p = shape(json.loads(grid.geometry or "{}")).representative_point()
    return p.y, p.x


@dataclass
class Service:
    matter: MatterType
    department: Department
    group: DutyCategory
    sub: DutyCategory

    @property
    def code(self) -> str:
        return self.matter.code


def make_service(session: Session, *, name: str = "路灯不亮", tier: str = "department",
                 keywords: str = "路灯 照明，夜间", active: bool = True, group_name: str = "城乡建设") -> Service:
    city = root(session)
    dep = Department(code=unique_code("D"), name=f"市城市管理局{unique_code('')}", region_id=city.id)
    group = DutyCategory(code=unique_code("C"), name=group_name, level=1)
    session.add_all([dep, group])
    session.flush()
    sub = DutyCategory(code=unique_code("C"), name="市政设施", level=2, parent_id=group.id)
    session.add(sub)
    session.flush()
    mt = MatterType(code=unique_code("M"), name=name, category_id=sub.id, lead_department_id=dep.id, tier=tier,
                    accept_hours=4, resolve_days=3, keywords=keywords, is_active=active)
    session.add(mt)
    session.commit()  # a savepoint: a failing request's rollback must not undo the set-up
    return Service(mt, dep, group, sub)


def make_key(session: Session, name: str = "测试应用", *, revoked: bool = False) -> tuple[ApiKey, str]:
    key, raw = service.create_key(session, name)
    if revoked:
        service.revoke_key(session, key.id)
    session.commit()
    return key, raw


def make_appeal(session: Session, *, matter: MatterType | None, grid: Region, status: str = "received",
                created_at: dt.datetime | None = None, reporter_name: str = "王小明", phone: str | None = "13912345678",
                description: str = "路灯不亮已经三天", reply: str = "", tier: str | None = None,
                department: Department | None = None, assigned: Region | None = None, note: str = "",
                resolve_due_at: dt.datetime | None = None, parent: Appeal | None = None) -> Appeal:
    at = created_at or now()
    lat, lon = inside(grid)
    sealed = crypto.seal("phone", phone)
    final = status in ("closed", "rejected", "merged")
    appeal = Appeal(title=description[:40], description=description, channel="hotline", status=status, lat=lat,
                    lon=lon, address="测试路1号", grid_id=grid.id, region_id=grid.id, scope_path=grid.path,
                    matter_type_id=matter.id if matter else None, category_id=matter.category_id if matter else None,
                    tier=tier, assigned_department_id=department.id if department else None,
                    assigned_region_id=assigned.id if assigned else None, reporter_name=reporter_name,
                    phone_enc=sealed["enc"], phone_hash=sealed["hash"], phone_masked=sealed["masked"], reply=reply,
                    resolve_due_at=resolve_due_at, parent_id=parent.id if parent else None,
                    closed_at=at + dt.timedelta(hours=5) if final else None, created_at=at,
                    updated_at=at + dt.timedelta(hours=1), event_seq=1)
    session.add(appeal)
    session.flush()
    session.add(AppealEvent(appeal_id=appeal.id, seq=1, at=at, actor_name="测试", actor_role="admin",
                            action="receive", from_status=None, to_status=status, note=note, data={}))
    session.commit()
    return appeal


def form(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


# ---- reading answers ------------------------------------------------------------------------------------
# The spec's list elements, written out here (not imported) so a change to the renderer is caught.
LISTS = {"services", "service_requests", "errors", "attributes", "values", "endpoints", "formats"}


def xml_tree(text: str) -> Any:
    import xml.etree.ElementTree as ET

    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>'), text[:80]
    return ET.fromstring(text.encode())


def xml_data(element: Any) -> Any:
    """An XML answer converted back, mechanically: a list element → list, an element with children → dict."""
    if element.tag in LISTS:
        return [xml_data(child) for child in element]
    if len(element):
        return {child.tag: xml_data(child) for child in element}
    return element.text


def as_text(value: Any) -> Any:
    """A JSON answer with every leaf as XML would carry it: booleans as true/false, numbers as text, "" as None."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return None
    return str(value)


def matrix_request(session: Session, route: str, body: str, grid_code: str) -> tuple[str, dict[str, Any]]:
    """(URL, request arguments) for the access matrix (tests/test_access_matrix.py): a fresh service, and an
    appeal or a POST body — with a live api_key for `open311`, without one for `open311_no_key`."""
    svc = make_service(session)
    grid = region(session, grid_code)
    path = route.replace("{fmt}", "json").replace("{service_code}", svc.code)
    if "{service_request_id}" in path:
        path = path.replace("{service_request_id}", str(make_appeal(session, matter=svc.matter, grid=grid).id))
    if not route.endswith("/requests.{fmt}"):
        return path, {}
    lat, lon = inside(grid)
    data = {"service_code": svc.code, "lat": str(lat), "long": str(lon), "description": "路灯不亮"}
    if body == "open311":
        data["api_key"] = make_key(session)[1]
    return path, {"data": data}
