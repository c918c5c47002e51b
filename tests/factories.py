"""Typed factory functions for the tests: rows written straight through the ORM (not through the services
under test), with unique codes and valid, unique ID and phone numbers that never clash with the generated city
(which uses Anning's area code 530181; ours use 110101).

Each factory commits: in the test session that only releases a savepoint (the test's transaction is still
rolled back at the end), and it keeps the set-up when a request under test fails and rolls its work back."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.core import crypto, idcard
from gongzhi.orgs.models import PartyOrg, Unit
from gongzhi.people.models import GridStaff, Household, PartyMember, Resident
from gongzhi.regions.models import Building, Region

TEST_AREA = "110101"
_serial = itertools.count(1)
_run = random.Random().randrange(10_000, 99_999)  # keeps codes unique across runs sharing one database


def next_serial() -> int:
    return next(_serial)


def unique_code(prefix: str = "T") -> str:
    return f"{prefix}{_run}{next_serial():06d}"


def new_id_number(*, birth: dt.date | None = None, male: bool = True) -> str:
    """A valid GB 11643 number, unique in this run; odd 17th digit for men, even for women."""
    n = next_serial()
    birth = birth or dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37 + _run) % 20000)
    serial = (n * 2 + (1 if male else 0)) % 1000
    if (serial % 2 == 1) != male:
        serial = (serial + 1) % 1000
    return idcard.make(TEST_AREA, birth, serial)


def new_phone() -> str:
    return f"139{(_run * 1000 + next_serial()) % 100_000_000:08d}"


def sealed(kind: str, name: str, value: str | None) -> dict[str, Any]:
    return {f"{name}_{k}": v for k, v in crypto.seal(kind, value).items()}


# ---- regions -------------------------------------------------------------------------------------------

def region(session: Session, code: str) -> Region:
    return session.scalars(select(Region).where(Region.code == code)).one()


def ancestor(session: Session, node: Region, level: str) -> Region:
    codes = node.path.strip("/").split("/")
    return session.scalars(select(Region).where(Region.code.in_(codes), Region.level == level)).one()


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _placed(node: Region) -> dict[str, Any]:
    return {"region_id": node.id, "scope_path": node.path}


# ---- registers -----------------------------------------------------------------------------------------

def make_building(session: Session, *, grid: Region, name: str = "测试楼", code: str | None = None,
                  lon: float | None = None, lat: float | None = None) -> Building:
    row = Building(code=code or unique_code("B"), name=name, address=f"测试路{next_serial()}号", floors=6,
                   lon=lon, lat=lat, **_placed(grid))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_household(session: Session, *, grid: Region, building: Building | None = None, code: str | None = None,
                   head_name: str = "测试户主", household_type: str = "常住") -> Household:
    row = Household(code=code or unique_code("H"), building_id=building.id if building else None, room="101",
                    address="测试路1号101", head_name=head_name, household_type=household_type, **_placed(grid))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_resident(session: Session, *, grid: Region, household: Household | None = None, name: str = "测试居民",
                  id_number: str | None = None, phone: str | None = None, male: bool = True,
                  care_tags: str = "", is_party_member: bool = False) -> Resident:
    number = id_number or new_id_number(male=male)
    row = Resident(name=name, household_id=household.id if household else None, gender=idcard.gender(number),
                   birth_date=idcard.birth_date(number), care_tags=care_tags, is_party_member=is_party_member,
                   relation="户主", **_placed(grid), **sealed("id_number", "id_number", number),
                   **sealed("phone", "phone", phone or new_phone()))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_unit(session: Session, *, node: Region, name: str = "测试单位", kind: str = "商铺",
              phone: str | None = None, credit_code: str | None = None) -> Unit:
    row = Unit(name=name, kind=kind, credit_code=credit_code, address="测试路8号", contact_name="联系人",
               **_placed(node), **sealed("phone", "phone", phone or new_phone()))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_party_org(session: Session, *, node: Region, name: str | None = None, level: str = "branch",
                   parent: PartyOrg | None = None) -> PartyOrg:
    row = PartyOrg(name=name or f"测试党支部{unique_code('')}", level=level, parent_id=parent.id if parent else None,
                   secretary_name="书记", **_placed(node))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_party_member(session: Session, *, node: Region, name: str = "测试党员", kind: str = "registered",
                      phone: str | None = None, is_center_household: bool = False) -> PartyMember:
    row = PartyMember(name=name, gender="男", kind=kind, employer_name="测试单位",
                      is_center_household=is_center_household, **_placed(node),
                      **sealed("phone", "phone", phone or new_phone()))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_grid_staff(session: Session, *, node: Region, name: str = "测试网格员", tier: str = "grid_worker",
                    post: str = "A", phone: str | None = None) -> GridStaff:
    row = GridStaff(name=name, tier=tier, post=post, is_party_member=False, **_placed(node),
                    **sealed("phone", "phone", phone or new_phone()))
    session.add(row)
    session.commit()  # a savepoint: the request's rollback on error must not undo the set-up
    return row


def make_row(session: Session, kind: str, node: Region) -> Any:
    """One fresh, unreferenced row of register `kind` placed on `node` (a grid)."""
    makers = {
        "buildings": lambda: make_building(session, grid=node),
        "households": lambda: make_household(session, grid=node),
        "residents": lambda: make_resident(session, grid=node),
        "units": lambda: make_unit(session, node=node),
        "party_orgs": lambda: make_party_org(session, node=node),
        "party_members": lambda: make_party_member(session, node=node),
        "grid_staff": lambda: make_grid_staff(session, node=node),
    }
    return makers[kind]()


def payload(kind: str, grid_code: str) -> dict[str, Any]:
    """A valid create body (API JSON / form / Excel row, by field name) for register `kind` in grid `grid_code`."""
    bodies: dict[str, dict[str, Any]] = {
        "buildings": {"grid_code": grid_code, "code": unique_code("B"), "name": "新楼", "floors": 7},
        "households": {"grid_code": grid_code, "code": unique_code("H"), "room": "301", "head_name": "王新",
                       "household_type": "常住"},
        "residents": {"grid_code": grid_code, "name": "李新", "id_number": new_id_number(male=False),
                      "phone": new_phone(), "care_tags": "独居老人"},
        "units": {"region_code": grid_code, "name": "新开商铺", "kind": "商铺", "phone": new_phone()},
        "party_orgs": {"region_code": grid_code, "name": f"新党小组{unique_code('')}", "level": "group"},
        "party_members": {"region_code": grid_code, "name": "赵新", "kind": "registered", "phone": new_phone()},
        "grid_staff": {"region_code": grid_code, "name": "钱新", "tier": "grid_worker", "post": "B",
                       "phone": new_phone()},
    }
    return bodies[kind]


UPDATES: dict[str, dict[str, Any]] = {
    "buildings": {"name": "改名楼"},
    "households": {"room": "909"},
    "residents": {"name": "改名"},
    "units": {"name": "改名单位"},
    "party_orgs": {"secretary_name": "新书记"},
    "party_members": {"name": "改名"},
    "grid_staff": {"name": "改名"},
}


# ---- Excel ---------------------------------------------------------------------------------------------

def workbook(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An .xlsx with one sheet: `headers` then `rows`, built with openpyxl as a user's Excel would be."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_workbook(reg: Any, rows: Iterable[dict[str, Any]]) -> bytes:
    """An .xlsx whose columns are every field of register `reg` (labels as headers, required ones starred)."""
    headers = [f.label + ("*" if f.required or f.kind == "region" else "") for f in reg.fields]
    return workbook(headers, ([r.get(f.name) for f in reg.fields] for r in rows))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- appeals -----------------------------------------------------------------------------------------------

def tiny_png(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def make_appeal(session: Session, grid: Region, *, status: str = "received", title: str = "路灯不亮",
                reporter_id: int | None = None, **fields: Any) -> Any:
    """An appeal in `grid`, handled at grid tier by that grid, with its first timeline event."""
    from gongzhi.appeals.models import Appeal, AppealEvent
    from gongzhi.core.db import now

    at = now()
    appeal = Appeal(title=title, description="", channel="hotline", status=status, lat=grid.center_lat,
                    lon=grid.center_lon, grid_id=grid.id, region_id=grid.id, scope_path=grid.path, tier="grid",
                    assigned_region_id=grid.id, reporter_id=reporter_id, created_at=at, updated_at=at, event_seq=1,
                    **fields)
    session.add(appeal)
    session.flush()
    session.add(AppealEvent(appeal_id=appeal.id, seq=1, at=at, actor_name="测试", actor_role="system",
                            action="receive", from_status=None, to_status=status, data={}))
    session.commit()
    return appeal


def make_appeal_photo(session: Session, appeal: Any) -> Any:
    from gongzhi.appeals.media import check_and_store
    from gongzhi.appeals.models import AppealPhoto

    p = check_and_store(tiny_png(), "p.png", keep_location=False)
    row = AppealPhoto(appeal_id=appeal.id, kind="report", content_type=p.content_type, path=p.path,
                      thumb_path=p.thumb_path, width=p.width, height=p.height, size=p.size)
    session.add(row)
    session.commit()
    return row
