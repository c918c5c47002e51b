"""Shared set-up for the region tests: independent SQL counts and bulk filling of a grid."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from gongzhi.people.models import Household, Resident
from gongzhi.regions.models import Region
from tests import factories as f

# The grid standard, written out here rather than imported, so a change to the service is caught.
HOUSEHOLDS = (300, 500)
PEOPLE = (600, 1000)


def expected_status(households: int, people: int) -> str:
    if households > HOUSEHOLDS[1] or people > PEOPLE[1]:
        return "overloaded"
    if households < HOUSEHOLDS[0] and people < PEOPLE[0]:
        return "underloaded"
    return "normal"


def sql_counts(session: Session, node: Region) -> dict[str, int]:
    """Households, residents and buildings under `node`, counted by joining the region tree (not scope_path)."""
    out = {}
    for table in ("households", "residents", "buildings"):
        out[table] = session.execute(text(
            f"SELECT count(*) FROM {table} t JOIN regions r ON r.id = t.region_id WHERE r.path LIKE :p"),
            {"p": node.path + "%"}).scalar_one()
    return out


def sql_grid_counts(session: Session, node: Region) -> dict[str, tuple[int, int]]:
    """(households, residents) per grid code under `node`."""
    rows = session.execute(text(
        "SELECT g.code,"
        " (SELECT count(*) FROM households h WHERE h.region_id = g.id),"
        " (SELECT count(*) FROM residents p WHERE p.region_id = g.id)"
        " FROM regions g WHERE g.level = 'grid' AND g.path LIKE :p"), {"p": node.path + "%"})
    return {code: (int(h), int(p)) for code, h, p in rows}


def fill_grid(session: Session, grid: Region, *, households: int = 0, residents: int = 0) -> None:
    """Bulk-add bare households and residents to a grid (no personal numbers: only the counts matter)."""
    placed: dict[str, Any] = {"region_id": grid.id, "scope_path": grid.path}
    if households:
        prefix = f.unique_code("F")
        session.execute(insert(Household), [{"code": f"{prefix}-{i}", "household_type": "常住", **placed}
                                            for i in range(households)])
    if residents:
        session.execute(insert(Resident), [{"name": f"填充{i}", "gender": "男", "care_tags": "",
                                            "is_party_member": False, **placed} for i in range(residents)])
    session.commit()  # a savepoint only; see tests/factories.py


def grids_of(session: Session, node: Region) -> list[Region]:
    from sqlalchemy import select

    return list(session.scalars(select(Region).where(Region.level == "grid", Region.path.like(node.path + "%"))
                                .order_by(Region.path)))
