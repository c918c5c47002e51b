"""What each role sees first: the figures of their own part of the tree and the work waiting there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.core.auth import Principal
from gongzhi.core.db import prefix_range
from gongzhi.people.models import CARE_TAGS, GridStaff, Resident
from gongzhi.people.service import TIERS
from gongzhi.regions import repository as repo
from gongzhi.regions import service
from gongzhi.regions.models import Region

KEY_TAGS = ("独居老人", "残疾", "低保", "重点人群")


def _care_counts(session: Session, region: Region) -> dict[str, int]:
    return {tag: session.scalar(select(func.count()).select_from(Resident).where(
        prefix_range(Resident.scope_path, region.path), Resident.care_tags.contains(tag))) or 0
        for tag in KEY_TAGS}


def _my_grid_staff(session: Session, region: Region) -> list[dict[str, Any]]:
    """Who serves this part of the tree (names and tiers only): what a resident needs to reach them."""
    paths = [region.path] + ["/" + "/".join(region.path.strip("/").split("/")[:i]) + "/"
                             for i in range(1, region.path.count("/"))]
    rows = session.scalars(select(GridStaff).where(GridStaff.scope_path.in_(paths)).order_by(GridStaff.tier)
                           .limit(8))
    tiers = dict(TIERS)
    return [{"name": s.name, "tier": tiers[s.tier], "post": s.post, "phone": s.phone_masked} for s in rows]


def for_principal(session: Session, principal: Principal) -> dict[str, Any]:
    region = session.get(Region, principal.scope_region_id)
    assert region is not None
    ctx: dict[str, Any] = {"region": region, "ancestors": repo.ancestors(session, region)}
    if principal.can("regions:read"):
        ctx["totals"] = repo.totals(session, region)
        ctx["care"] = _care_counts(session, region)
        if region.level == "grid":
            ctx["load"] = service.load_status(ctx["totals"]["households"], ctx["totals"]["residents"])
        else:
            loads = service.grid_loads(session, principal, region.code, None)
            ctx["grid_count"] = len(loads)
            ctx["overloaded"] = sorted((g for g in loads if g["load_status"] == "overloaded"),
                                       key=lambda g: -g["households"])[:10]
            ctx["overloaded_count"] = sum(g["load_status"] == "overloaded" for g in loads)
            ctx["underloaded_count"] = sum(g["load_status"] == "underloaded" for g in loads)
    else:
        ctx["staff"] = _my_grid_staff(session, region)
    ctx["care_tags"] = CARE_TAGS
    from gongzhi.appeals import pages as appeal_pages  # the appeal desks' card: what waits on this role

    ctx["appeal_cards"] = appeal_pages.home_cards(session, principal)
    ctx["appeal_links"] = appeal_pages.appeal_nav(principal)
    from gongzhi.points import pages as points_pages  # the store and "my points" for residents

    ctx["appeal_links"] = ctx["appeal_links"] + points_pages.points_nav(principal)
    from gongzhi.volunteers import pages as volunteer_pages  # 双报到, volunteering, the desk, the employer's page

    ctx["appeal_links"] = ctx["appeal_links"] + volunteer_pages.volunteer_nav(principal)
    return ctx
