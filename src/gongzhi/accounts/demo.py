"""The demo accounts: one per role, placed on real nodes of the generated city."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import gongzhi.duties.models  # noqa: F401 - users.department_id refers to departments
from gongzhi.accounts.models import User
from gongzhi.accounts.service import create_user
from gongzhi.core.auth import ROLE_LABELS
from gongzhi.regions.models import Region


def demo_scopes(session: Session) -> dict[str, Region]:
    """City; its first street; that street's first community with grids; that community's first grid."""
    city = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).one()
    grid = session.scalars(select(Region).where(Region.level == "grid").order_by(Region.path)).first()
    assert grid is not None, "the city has no grids"
    chain = {r.level: r for r in session.scalars(select(Region).where(
        Region.code.in_(grid.path.strip("/").split("/"))))}
    return {"city": city, "street": chain["street"], "community": chain["community"], "grid": grid}


DEMO = (  # username, role, scope level, display name
    ("admin", "admin", "city", "系统管理员"),
    ("leader", "leader", "city", "市领导"),
    ("street", "street_staff", "street", "街道干部"),
    ("community", "community_staff", "community", "社区书记"),
    ("grid", "grid_worker", "grid", "网格员"),
    ("handler", "department_handler", "city", "部门经办人"),
    ("party", "party_member", "community", "在职党员"),
    ("volunteer", "volunteer", "community", "志愿者"),
    ("resident", "resident", "grid", "居民"),
)


def ensure_demo_accounts(session: Session, password: str) -> list[tuple[str, str, str]]:
    scopes = demo_scopes(session)
    rows = []
    for username, role, level, name in DEMO:
        region = scopes[level]
        if session.scalars(select(User).where(User.username == username)).first() is None:
            create_user(session, username=username, password=password, role=role, scope_code=region.code,
                        display_name=name)
        rows.append((username, ROLE_LABELS[role], f"{region.name}（{region.code}）"))
    assign_demo_departments(session)
    return rows


DEMO_DEPARTMENTS = {"handler": "CGJ"}  # the demo handler works for 城市管理局 (the duty catalog's code)


def assign_demo_departments(session: Session, departments: dict[str, str] = DEMO_DEPARTMENTS) -> None:
    """Put department handlers in their department, once the duty catalog is loaded (else leave them be)."""
    from gongzhi.duties.models import Department

    for username, code in departments.items():
        user = session.scalars(select(User).where(User.username == username)).first()
        dep = session.scalars(select(Department).where(Department.code == code)).first()
        if user is not None and dep is not None and user.department_id is None:
            user.department_id = dep.id
    session.flush()
