"""Demo appeals: real (de-identified) citizen messages and official replies from the public government
message-board data set, filed at places in the demo city and moved along the loop by the demo accounts,
so every desk (console, inbox, verify list, supervision, the resident's phone page) has work on it.

Read at load time from settings.data_dir; nothing of the data set is copied into the repository."""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections.abc import Callable
from typing import Any

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.accounts.service import principal_for
from gongzhi.appeals import service
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core.auth import Principal
from gongzhi.core.errors import AppError
from gongzhi.core.settings import get_settings
from gongzhi.duties.models import MatterType
from gongzhi.regions.models import Region

MESSAGES = "teddycup2020-c-gov-messages/csv/a4_full_replies.csv.gz"
# How far along the loop each demo appeal gets, as (share, steps): 0 received … 9 closed.
STAGES = ((0.12, 0), (0.10, 1), (0.14, 2), (0.10, 3), (0.12, 4), (0.12, 5), (0.10, 6), (0.08, 7), (0.12, 9))
_SPACE = re.compile(r"\s+")


def _clean(text: str, limit: int) -> str:
    return _SPACE.sub(" ", text or "").strip()[:limit]


def read_messages(limit: int) -> list[dict[str, str]]:
    path = get_settings().data_dir / MESSAGES
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = []
        for row in csv.DictReader(fh):
            title = _clean(row["留言主题"], 120)
            if len(title) >= 4:
                rows.append({"title": title, "description": _clean(row["留言详情"], 1500),
                             "reply": _clean(row["答复意见"], 1500) or "已按规定办理。"})
            if len(rows) >= limit:
                break
    return rows


def _user(session: Session, username: str) -> Principal | None:
    user = session.scalars(select(User).where(User.username == username)).first()
    return principal_for(session, user) if user else None


def _point_in(region: Region, rnd: random.Random) -> tuple[float, float]:
    geom = shape(json.loads(region.geometry or "null")) if region.geometry else None
    if geom is None:
        return region.center_lat or 0.0, region.center_lon or 0.0
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(30):
        from shapely.geometry import Point

        p = Point(rnd.uniform(minx, maxx), rnd.uniform(miny, maxy))
        if geom.contains(p):
            return p.y, p.x
    rp = geom.representative_point()
    return rp.y, rp.x


def load_demo_appeals(session: Session, *, count: int = 400, seed: int = 20241,
                      progress: Callable[[str, int, int], None] | None = None) -> int:
    """File `count` appeals (a third in the demo accounts' own grid and community) and move them along the loop.
    Does nothing if there are appeals already."""
    if session.scalar(select(func.count()).select_from(Appeal)):
        return 0
    messages = read_messages(count)
    if not messages:
        return 0
    from gongzhi.duties import service as duties

    rnd = random.Random(seed)
    who = {u: _user(session, u) for u in ("admin", "community", "street", "grid", "resident", "handler")}
    admin = who["admin"]
    if admin is None or who["resident"] is None:
        return 0
    home_grid = session.get(Region, who["resident"].scope_region_id)
    grids = list(session.scalars(select(Region).where(Region.level == "grid").order_by(Region.path)))
    matters = list(session.scalars(select(MatterType).where(MatterType.is_active.is_(True))))
    if not grids or not matters or home_grid is None:
        return 0
    shares = [s for s, _ in STAGES]
    done = 0
    for i, msg in enumerate(messages):
        home = i % 3 == 0
        grid = home_grid if home else rnd.choice(grids)
        lat, lon = _point_in(grid, rnd)
        suggested = duties.suggest_matter_types(session, f"{msg['title']} {msg['description']}", limit=1)
        matter = suggested[0] if suggested else rnd.choice(matters)
        reporter = who["resident"] if home else admin
        channel = "h5" if home else rnd.choice(("hotline", "hotline", "mailbox", "transfer", "patrol", "visit"))
        try:
            with session.begin_nested():
                appeal = service.intake(session, reporter, AppealCreate(
                    title=msg["title"], description=msg["description"], lat=lat, lon=lon, channel=channel,
                    matter_code=matter.code if rnd.random() < 0.7 else None,
                    reporter_name="" if home else rnd.choice(("王女士", "李先生", "张师傅", "刘阿姨", "陈先生")),
                    reporter_phone=None if home else f"139{rnd.randrange(10**8):08d}")).appeal
                steps = rnd.choices([s for _, s in STAGES], weights=shares)[0]
                _advance(session, appeal, steps, matter, msg["reply"], who, rnd)
            done += 1
        except AppError:
            continue  # a demo appeal the rules refuse (e.g. the admission list) is simply skipped
        if progress and i % 20 == 0:
            progress("诉求", i + 1, len(messages))
    if progress:
        progress("诉求", len(messages), len(messages))
    return done


def _advance(session: Session, appeal: Appeal, steps: int, matter: MatterType, reply: str,
             who: dict[str, Principal | None], rnd: random.Random) -> None:
    admin = who["admin"]
    assert admin is not None

    def as_(name: str) -> Principal:
        p = who.get(name)
        if p is None:
            return admin
        kinds = service.actor_kinds(session, p, appeal)
        return p if kinds - {"reader"} else admin

    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("community", "register", {"matter_code": matter.code}),
        ("community", "dispatch", {}),
        ("handler_of", "accept", {}),
        ("handler_of", "start", {}),
        ("handler_of", "resolve", {"reply": reply}),
        ("grid", "verify", {"passed": True}),
        ("resident", "rate", {"rating": rnd.choice((5, 5, 5, 4, 4, 3))}),
        ("community", "close", {"note": "已电话回访"}),
    ]
    for user, action, body in plan[:steps]:
        if appeal.status in ("rejected", "merged", "closed"):
            return
        if action == "rate" and appeal.reporter_id != (who["resident"].user_id if who["resident"] else None):
            continue
        if user == "handler_of":
            actor = _handler_for(session, appeal, who) or admin
        else:
            actor = as_(user)
        service.act(session, actor, appeal.id, action, ActionBody(**body))


def _handler_for(session: Session, appeal: Appeal, who: dict[str, Principal | None]) -> Principal | None:
    for name in ("grid", "community", "street", "handler"):
        p = who.get(name)
        if p is not None and "handler" in service.actor_kinds(session, p, appeal):
            return p
    return None
