"""积分 — earning rules, awards, the store (积分超市), redemption, hand-over (核销), cancel/refund and statements.

Other domains call one function, `award()`, inside their own transaction; everything else here is called by
the points routes. The ledger mechanics (double entry, idempotency, no negative balance) are in ledger.py."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.web import SHANGHAI
from gongzhi.orgs.models import Unit
from gongzhi.people.models import Household
from gongzhi.points import ledger
from gongzhi.points import repository as repo
from gongzhi.points.ledger import InsufficientPoints, Leg
from gongzhi.points.models import (
    ITEM_KINDS,
    LIMIT_PERIODS,
    RULES,
    PointAccount,
    PointPosting,
    PointRule,
    Redemption,
    StoreItem,
    StoreItemPhoto,
)
from gongzhi.regions.models import Region

__all__ = ["InsufficientPoints", "award"]


@dataclass(frozen=True)
class RuleSetting:
    rule: str
    enabled: bool
    points: int
    daily_cap: int | None
    monthly_cap: int | None
    custom: bool = False  # the community's own row, not the default


# What a community gets until it sets its own (docs/points.md).
DEFAULT_RULES: dict[str, RuleSetting] = {
    "report_verified": RuleSetting("report_verified", True, 10, 30, None),
    "wish_fulfilled": RuleSetting("wish_fulfilled", True, 20, 60, None),
    "service_hour": RuleSetting("service_hour", True, 10, 80, 600),
    "meeting_attended": RuleSetting("meeting_attended", True, 5, 10, None),
    "civic_act": RuleSetting("civic_act", True, 10, 30, 200),
}
FEE_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CODE_DIGITS = 8


class OutOfStock(Conflict):
    code = "out_of_stock"


class LimitReached(Conflict):
    code = "limit_reached"


# ---- rules ------------------------------------------------------------------------------------------------

def rule_setting(session: Session, community_id: int, rule: str) -> RuleSetting:
    row = session.scalars(select(PointRule).where(PointRule.community_id == community_id,
                                                  PointRule.rule == rule)).first()
    if row is None:
        return DEFAULT_RULES[rule]
    return RuleSetting(row.rule, row.enabled, row.points, row.daily_cap, row.monthly_cap, custom=True)


def rule_settings(session: Session, community: Region) -> list[RuleSetting]:
    return [rule_setting(session, community.id, r) for r in RULES]


def _local_day_start(at: dt.datetime) -> dt.datetime:
    local = at.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def _local_month_start(at: dt.datetime) -> dt.datetime:
    local = at.astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def _earned_since(session: Session, user_id: int, rule: str, since: dt.datetime) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PointPosting.points), 0)).where(
        PointPosting.kind == "award", PointPosting.rule == rule, PointPosting.user_id == user_id,
        PointPosting.created_at >= since)) or 0)


def award(session: Session, *, community_id: int, user_id: int, rule: str, ref: str, quantity: float = 1,
          note: str = "") -> PointPosting | None:
    """Give `user_id` the points `rule` earns in the community for `ref` (e.g. "appeal:12"): the community's
    issuing account pays. Idempotent on (rule, ref, user): a second call returns the first posting. None when
    the rule is off, nothing is earned, or the user's daily/monthly cap for the rule is reached (a posting that
    would cross a cap is cut down to it). `community_id` may also name a grid or compound: its community's
    rules apply. Never commits: the caller's transaction does."""
    if rule not in RULES:
        raise ValueError(f"unknown points rule {rule!r}")
    key = f"award:{rule}:{ref}:{user_id}"
    existing = ledger.find_posting(session, key)
    if existing is not None:
        return existing
    community = session.get(Region, community_id)
    user = session.get(User, user_id)
    if community is None or user is None:
        raise NotFound()
    if community.level != "community":  # a grid or compound given: its community's rules and issuing account
        community = community_of(session, community.path) or community
    setting = rule_setting(session, community.id, rule)
    if not setting.enabled:
        return None
    points = round(setting.points * quantity)
    if points <= 0:
        return None
    holder = ledger.lock(session, ledger.user_account(session, user))  # one award at a time per user: caps hold
    at = now()
    for cap, since in ((setting.daily_cap, _local_day_start(at)), (setting.monthly_cap, _local_month_start(at))):
        if cap is not None:
            points = min(points, cap - _earned_since(session, user_id, rule, since))
    if points <= 0:
        return None
    issuer = ledger.issuer_account(session, community)
    posting = ledger.post(session, key=key, kind="award", legs=[Leg(issuer, -points), Leg(holder, points)],
                          community_id=community.id, rule=rule, ref=ref[:120], user_id=user_id, note=note)
    _tell(session, user_id, f"获得 {points} 积分：{_rule_label(rule)}", note or "可在积分超市兑换商品或服务。",
          "/points/statement")
    return posting


def _rule_label(rule: str) -> str:
    from gongzhi.points.models import RULE_LABELS

    return str(RULE_LABELS[rule])


def _tell(session: Session, user_id: int, title: str, body: str, link: str) -> None:
    """A message in the holder's message centre, written in the same transaction as the change it reports."""
    from gongzhi.notify.service import notify

    notify(session, [user_id], title=title, body=body, link=link, kind="points")


def community_of(session: Session, path: str) -> Region | None:
    """The community (社区) whose subtree holds `path`."""
    codes = path.strip("/").split("/")
    return session.scalars(select(Region).where(Region.code.in_(codes), Region.level == "community")).first()


def _need(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden()


def get_community(session: Session, principal: Principal, code: str) -> Region:
    region = session.scalars(select(Region).where(Region.code == code, Region.level == "community")).first()
    if region is None or not principal.covers(region.path):
        raise NotFound()
    return region


def manageable_communities(session: Session, principal: Principal) -> list[Region]:
    stmt = select(Region).where(Region.level == "community").order_by(Region.path)
    clause = principal.scope_clause(Region.path)
    if clause is not None:
        stmt = stmt.where(clause)
    return list(session.scalars(stmt.limit(500)))


def set_rule(session: Session, principal: Principal, community: Region, rule: str,
             raw: Mapping[str, Any]) -> RuleSetting:
    """A community's own setting for one rule (on/off, points per unit, caps)."""
    _need(principal, "points:manage")
    if rule not in RULES:
        raise NotFound()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"enabled": bool(raw.get("enabled"))}
    for name, required in (("points", True), ("daily_cap", False), ("monthly_cap", False)):
        value = raw.get(name)
        if value in (None, ""):
            if required:
                errors[name] = "请填写每单位积分"
            values[name] = None
            continue
        try:
            number = int(str(value))
        except ValueError:
            errors[name] = "须为整数"
            continue
        if not 0 < number <= 100000:
            errors[name] = "须为 1–100000 的整数"
        values[name] = number
    if errors:
        raise ValidationFailed("积分规则填写有误", details=errors)
    row = session.scalars(select(PointRule).where(PointRule.community_id == community.id,
                                                  PointRule.rule == rule)).first()
    if row is None:
        row = PointRule(community_id=community.id, scope_path=community.path, rule=rule, **values)
        session.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    session.flush()
    return rule_setting(session, community.id, rule)


# ---- civic acts (文明行为银行) -------------------------------------------------------------------------------

def residents_for_civic(session: Session, principal: Principal, q: str | None) -> list[User]:
    """Resident-side users (residents, volunteers, Party members) in the actor's scope, for the picker."""
    return repo.people_in_scope(session, principal, q)


def record_civic_act(session: Session, principal: Principal, *, user_id: int, note: str,
                     quantity: float = 1) -> PointPosting:
    """Staff record one civic act of a resident (文明行为银行) with what they did; the civic_act rule pays."""
    _need(principal, "points:civic")
    user = session.get(User, user_id)
    region = session.get(Region, user.scope_region_id) if user else None
    if user is None or region is None or not principal.covers(region.path) or \
            user.role not in ("resident", "volunteer", "party_member"):
        raise NotFound("未找到该居民或无权查看")
    note = note.strip()
    if not note:
        raise ValidationFailed("请写明文明行为", details={"note": "请写明文明行为"})
    if not 0 < quantity <= 10:
        raise ValidationFailed("次数须在 1–10 之间", details={"quantity": "次数须在 1–10 之间"})
    community = community_of(session, region.path)
    if community is None:
        raise ValidationFailed("该居民不在任何社区内")
    posting = award(session, community_id=community.id, user_id=user.id, rule="civic_act",
                    ref=f"civic:{uuid.uuid4().hex}", quantity=quantity, note=note)
    if posting is None:
        raise Conflict("文明行为积分规则已关闭或该居民已达上限", code="rule_off_or_capped")
    posting.created_by = principal.user_id
    return posting


# ---- store items ------------------------------------------------------------------------------------------

def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def store_clause(principal: Principal) -> Any:
    """Items the actor may see: the store of the community they live in (items placed on an ancestor of
    their scope) and, for staff, every item inside their scope."""
    if principal.sees_all:
        return None
    from sqlalchemy import or_

    return or_(StoreItem.scope_path.in_(_ancestor_paths(principal.scope_path)),
               principal.scope_clause(StoreItem.scope_path))


def list_items(session: Session, principal: Principal, *, q: str | None = None, kind: str | None = None,
               community_id: int | None = None, include_inactive: bool = False, offset: int = 0,
               limit: int = 20) -> tuple[list[StoreItem], int]:
    if include_inactive and not principal.can("points:manage") and principal.unit_id is None:
        include_inactive = False
    unit_only = principal.unit_id if principal.role == "department_handler" and principal.unit_id else None
    return repo.items(session, store_clause(principal), q=q, kind=kind, community_id=community_id,
                      active_at=None if include_inactive else now(), unit_id=unit_only, offset=offset,
                      limit=limit)


def get_item(session: Session, principal: Principal, item_id: int) -> StoreItem:
    item = session.get(StoreItem, item_id)
    if item is None:
        raise NotFound()
    if principal.sees_all or principal.covers(item.scope_path) or \
            principal.scope_path.startswith(item.scope_path) or item.unit_id == principal.unit_id:
        return item
    raise NotFound()


def _can_edit_item(principal: Principal, item_path: str) -> bool:
    return principal.can("points:manage") and principal.covers(item_path)


def item_fields(session: Session, principal: Principal, raw: Mapping[str, Any], *,
                current: StoreItem | None) -> dict[str, Any]:
    """Check an item's fields (from JSON or a form): the values to store, or ValidationFailed listing each."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def text(name: str, label: str, max_len: int, required: bool) -> None:
        if name not in raw and current is not None:
            return
        value = str(raw.get(name) or "").strip()
        if required and not value:
            errors[name] = f"请填写{label}"
        elif len(value) > max_len:
            errors[name] = f"{label}最多 {max_len} 字"
        out[name] = value

    def number(name: str, label: str, low: int, high: int, required: bool) -> None:
        if name not in raw and current is not None:
            return
        value = raw.get(name)
        if value in (None, ""):
            if required:
                errors[name] = f"请填写{label}"
            out[name] = None
            return
        try:
            n = int(str(value))
        except ValueError:
            errors[name] = f"{label}须为整数"
            return
        if not low <= n <= high:
            errors[name] = f"{label}须在 {low}–{high} 之间"
        out[name] = n

    text("name", "名称", 60, True)
    text("description", "说明", 2000, False)
    number("price", "所需积分", 1, 1_000_000, True)
    number("stock", "库存", 0, 1_000_000, True)
    number("per_person_limit", "每人限兑", 1, 1000, False)
    number("fee_yuan", "抵扣金额", 1, 100000, False)
    number("cancel_hours", "可取消时限", 0, 24 * 90, False)
    if "kind" in raw or current is None:
        kind = str(raw.get("kind") or "goods")
        if kind not in ITEM_KINDS:
            errors["kind"] = "类型无效"
        out["kind"] = kind
    if "limit_period" in raw or current is None:
        period = str(raw.get("limit_period") or "month")
        if period not in LIMIT_PERIODS:
            errors["limit_period"] = "限兑周期无效"
        out["limit_period"] = period
    if "active" in raw or current is None:
        out["active"] = raw.get("active") not in (False, "false", "0", "", None) if "active" in raw else True
    for name in ("starts_at", "ends_at"):
        if name in raw:
            value = raw.get(name)
            if value in (None, ""):
                out[name] = None
            elif isinstance(value, dt.datetime):
                out[name] = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
            else:
                try:
                    parsed = dt.datetime.fromisoformat(str(value))
                except ValueError:
                    errors[name] = "时间格式应为 2026-12-01 或 2026-12-01T08:00"
                    continue
                out[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    if out.get("cancel_hours", 1) is None:
        out["cancel_hours"] = 72
    community = None
    if current is None or "community_code" in raw:
        code = str(raw.get("community_code") or "")
        community = session.scalars(select(Region).where(Region.code == code,
                                                         Region.level == "community")).first()
        if community is None or not principal.covers(community.path):
            errors["community_code"] = "请选择您辖区内的社区"
        else:
            out["community_id"], out["scope_path"] = community.id, community.path
    if current is None or "unit_id" in raw:
        unit = None
        try:
            unit = session.get(Unit, int(str(raw.get("unit_id") or 0)))
        except ValueError:
            pass
        path = community.path if community else current.scope_path if current else None
        if unit is None or path is None or not unit.scope_path.startswith(path):
            errors["unit_id"] = "请选择本社区的商户或单位"
        else:
            out["unit_id"] = unit.id
    kind = out.get("kind", current.kind if current else "goods")
    unit_id = out.get("unit_id", current.unit_id if current else None)
    if kind == "property_fee" and "unit_id" not in errors:
        unit = session.get(Unit, unit_id) if unit_id else None
        if unit is None or unit.kind != "物业公司":
            errors["unit_id"] = "物业费抵扣须由物业公司提供"
        if not out.get("fee_yuan", current.fee_yuan if current else None):
            errors["fee_yuan"] = "请填写每份抵扣的物业费金额（元）"
    starts, ends = out.get("starts_at", current.starts_at if current else None), \
        out.get("ends_at", current.ends_at if current else None)
    if starts and ends and ends <= starts:
        errors["ends_at"] = "结束时间须晚于开始时间"
    if errors:
        raise ValidationFailed("商品信息填写有误", details=errors)
    return out


def create_item(session: Session, principal: Principal, raw: Mapping[str, Any]) -> StoreItem:
    _need(principal, "points:manage")
    values = item_fields(session, principal, raw, current=None)
    item = StoreItem(created_by=principal.user_id, **values)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, principal: Principal, item: StoreItem, raw: Mapping[str, Any]) -> StoreItem:
    """Change an item; stock is set to the number given (the count on the shelf)."""
    _need(principal, "points:manage")
    if not _can_edit_item(principal, item.scope_path):
        raise NotFound()
    values = item_fields(session, principal, raw, current=item)
    for k, v in values.items():
        setattr(item, k, v)
    session.flush()
    return item


def add_item_photo(session: Session, principal: Principal, item: StoreItem, data: bytes,
                   filename: str) -> StoreItemPhoto:
    from gongzhi.appeals.media import check_and_store

    _need(principal, "points:manage")
    if not _can_edit_item(principal, item.scope_path):
        raise NotFound()
    if repo.photo_count(session, item.id) >= 6:
        raise Conflict("每件商品最多 6 张照片", code="too_many_photos")
    stored = check_and_store(data, filename, keep_location=False)
    photo = StoreItemPhoto(item_id=item.id, content_type=stored.content_type, path=stored.path,
                           thumb_path=stored.thumb_path, width=stored.width, height=stored.height,
                           size=stored.size)
    session.add(photo)
    session.flush()
    return photo


def get_item_photo(session: Session, item: StoreItem, photo_id: int) -> StoreItemPhoto:
    photo = session.get(StoreItemPhoto, photo_id)
    if photo is None or photo.item_id != item.id:
        raise NotFound()
    return photo


def photos_of(session: Session, items: list[StoreItem]) -> dict[int, list[StoreItemPhoto]]:
    return repo.photos_by_item(session, [i.id for i in items])


# ---- redemption -------------------------------------------------------------------------------------------

def _period_start(period: str, at: dt.datetime) -> dt.datetime | None:
    local = at.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        start = local
    elif period == "week":
        start = local - dt.timedelta(days=local.weekday())
    elif period == "month":
        start = local.replace(day=1)
    elif period == "year":
        start = local.replace(month=1, day=1)
    else:
        return None
    return start.astimezone(dt.UTC)


def _new_code(session: Session) -> str:
    for _ in range(20):
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        if repo.redemption_by_open_code(session, code) is None:
            return code
    raise Conflict("取件码生成失败，请重试", code="code_busy")


def redeem(session: Session, principal: Principal, item: StoreItem, *, quantity: int = 1,
           household_id: int | None = None, fee_period: str | None = None,
           key: str | None = None) -> Redemption:
    """兑换 online: stock down, points from the holder to the item's unit, an open redemption with a pick-up
    code. With `key` (the client's idempotency key) a retry returns the first redemption."""
    at = now()
    if key is not None and not re.fullmatch(r"[A-Za-z0-9_.:-]{8,80}", key):
        raise ValidationFailed("幂等键格式无效", details={"key": "8–80 个字母、数字或 _.:-"})
    if not 1 <= quantity <= 100:
        raise ValidationFailed("数量须在 1–100 之间", details={"quantity": "数量须在 1–100 之间"})
    if not item.active or (item.starts_at and at < item.starts_at) or (item.ends_at and at >= item.ends_at):
        raise Conflict("该商品当前不可兑换", code="item_inactive")
    user = session.get(User, principal.user_id)
    assert user is not None
    holder = ledger.lock(session, ledger.user_account(session, user))  # this holder's redemptions in turn
    posting_key = f"redeem:{user.id}:{key}" if key else f"redeem:{uuid.uuid4().hex}"
    if key:
        earlier = ledger.find_posting(session, posting_key)
        if earlier is not None:
            found = repo.redemption_by_posting(session, earlier.id)
            assert found is not None
            return found
    household = None
    if item.kind == "property_fee":
        errors = {}
        household = session.get(Household, household_id) if household_id else None
        if household is None or not household.scope_path.startswith(item.scope_path):
            errors["household_id"] = "请选择本社区内要抵扣物业费的房屋"
        if not fee_period or not FEE_PERIOD.match(fee_period):
            errors["fee_period"] = "请填写抵扣的物业费月份，如 2026-12"
        if errors:
            raise ValidationFailed("物业费抵扣信息不完整", details=errors)
    points = item.price * quantity
    if holder.balance < points:
        raise InsufficientPoints(f"积分不足：需要 {points}，当前 {holder.balance}",
                                 details={"needed": points, "balance": holder.balance})
    if item.per_person_limit is not None:
        taken = repo.taken_since(session, user.id, item.id, _period_start(item.limit_period, at))
        if taken + quantity > item.per_person_limit:
            raise LimitReached(f"每人{_period_label(item.limit_period)}限兑 {item.per_person_limit} 件，"
                               f"您已兑 {taken} 件", details={"limit": item.per_person_limit, "taken": taken})
    moved = session.execute(update(StoreItem).where(StoreItem.id == item.id, StoreItem.stock >= quantity)
                            .values(stock=StoreItem.stock - quantity)
                            .execution_options(synchronize_session=False)).rowcount
    session.expire(item, ["stock"])
    if moved != 1:
        raise OutOfStock("库存不足，已兑完", details={"item": item.id})
    unit = session.get(Unit, item.unit_id)
    assert unit is not None
    posting = ledger.post(session, key=posting_key, kind="redeem", community_id=item.community_id,
                          legs=[Leg(holder, -points), Leg(ledger.unit_account(session, unit), points)],
                          ref=f"item:{item.id}", user_id=user.id, note=item.name, created_by=user.id)
    code = _new_code(session)
    redemption = Redemption(item_id=item.id, unit_id=item.unit_id, community_id=item.community_id,
                            scope_path=item.scope_path, user_id=user.id, account_id=holder.id, quantity=quantity,
                            points=points, status="open", code=code, open_code=code,
                            household_id=household.id if household else None,
                            fee_period=fee_period if household else None, posting_id=posting.id, created_at=at)
    session.add(redemption)
    try:
        session.flush()
    except IntegrityError as exc:  # two redemptions drew the same code at once (1 in 10^8): ask to retry
        raise Conflict("取件码冲突，请重试", code="code_busy") from exc
    return redemption


def _period_label(period: str) -> str:
    from gongzhi.points.models import LIMIT_PERIOD_LABELS

    return LIMIT_PERIOD_LABELS[period]


def get_redemption(session: Session, principal: Principal, redemption_id: int) -> Redemption:
    """The holder's own, the handing-over unit's, or one inside a manager's scope; else 404."""
    r = session.get(Redemption, redemption_id)
    if r is None:
        raise NotFound()
    if r.user_id == principal.user_id or (principal.unit_id is not None and r.unit_id == principal.unit_id) or \
            (principal.can("points:read") and principal.covers(r.scope_path)):
        return r
    raise NotFound()


def lookup_code(session: Session, principal: Principal, code: str) -> Redemption:
    """The open redemption a shop is shown a code for — only the shop's own (another shop's code: 404)."""
    _need(principal, "points:handover")
    code = re.sub(r"\D", "", code or "")
    r = repo.redemption_by_open_code(session, code) if len(code) == CODE_DIGITS else None
    if r is None or principal.unit_id is None or r.unit_id != principal.unit_id:
        raise NotFound("取件码无效、已使用或不属于本店")
    return r


def hand_over(session: Session, principal: Principal, code: str) -> Redemption:
    """核销: the unit hands the item over (or the property company books the fee credit). Once only: the
    status moves from open with a compare-and-set, so of two tries racing one wins and the other gets 409."""
    r = lookup_code(session, principal, code)
    at = now()
    done = session.execute(update(Redemption).where(Redemption.id == r.id, Redemption.status == "open")
                           .values(status="handed_over", open_code=None, handed_over_at=at,
                                   handed_over_by=principal.user_id)
                           .execution_options(synchronize_session=False)).rowcount
    session.expire(r)
    if done != 1:
        raise Conflict("该取件码已核销或已取消", code="already_used")
    item = session.get(StoreItem, r.item_id)
    _tell(session, r.user_id, f"已领取：{item.name if item else ''} × {r.quantity}", "商户已核销您的取件码。",
          f"/points/redemptions/{r.id}")
    return r


def _reverse(session: Session, principal: Principal, r: Redemption, *, from_statuses: tuple[str, ...],
             to_status: str, reason: str) -> Redemption:
    item = session.get(StoreItem, r.item_id)
    assert item is not None
    at = now()
    if at > r.created_at + dt.timedelta(hours=item.cancel_hours):
        raise Conflict(f"已超过 {item.cancel_hours} 小时的取消/退还时限", code="window_passed")
    user = session.get(User, r.user_id)
    assert user is not None
    holder = ledger.lock(session, ledger.user_account(session, user))
    done = session.execute(update(Redemption).where(Redemption.id == r.id, Redemption.status.in_(from_statuses))
                           .values(status=to_status, open_code=None, closed_at=at, closed_by=principal.user_id,
                                   close_reason=reason[:200])
                           .execution_options(synchronize_session=False)).rowcount
    session.expire(r)
    if done != 1:
        raise Conflict("该兑换已核销、取消或退还，不能再操作", code="not_reversible")
    session.execute(update(StoreItem).where(StoreItem.id == item.id).values(stock=StoreItem.stock + r.quantity)
                    .execution_options(synchronize_session=False))
    session.expire(item, ["stock"])
    unit = session.get(Unit, r.unit_id)
    assert unit is not None
    reversal = ledger.post(session, key=f"reverse:{r.posting_id}", kind="reverse", community_id=r.community_id,
                           legs=[Leg(ledger.unit_account(session, unit), -r.points), Leg(holder, r.points)],
                           ref=f"redemption:{r.id}", user_id=r.user_id, note=reason, reverses_id=r.posting_id,
                           created_by=principal.user_id)
    r.reversal_id = reversal.id
    session.flush()
    if to_status == "refunded":
        _tell(session, r.user_id, f"积分已退还：{item.name} {r.points} 积分", reason, f"/points/redemptions/{r.id}")
    return r


def cancel(session: Session, principal: Principal, r: Redemption, reason: str = "") -> Redemption:
    """The holder takes back an open redemption within the item's time limit: stock and points return."""
    if r.user_id != principal.user_id:
        raise NotFound()
    return _reverse(session, principal, r, from_statuses=("open",), to_status="cancelled",
                    reason=reason.strip() or "本人取消")


def refund(session: Session, principal: Principal, r: Redemption, reason: str) -> Redemption:
    """Staff refund an open or handed-over redemption (item returned) within the time limit."""
    _need(principal, "points:manage")
    if not principal.covers(r.scope_path):
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed("请写明退还原因", details={"reason": "请写明退还原因"})
    return _reverse(session, principal, r, from_statuses=("open", "handed_over"), to_status="refunded",
                    reason=reason.strip())


def list_redemptions(session: Session, principal: Principal, *, mine: bool = False, status: str | None = None,
                     item_id: int | None = None, community_id: int | None = None, unit_only: bool = False,
                     since: dt.datetime | None = None, until: dt.datetime | None = None, q: str | None = None,
                     offset: int = 0, limit: int = 20) -> tuple[list[Redemption], int]:
    if mine:
        return repo.redemptions(session, user_id=principal.user_id, status=status, item_id=item_id,
                                since=since, until=until, q=q, offset=offset, limit=limit)
    if unit_only:
        _need(principal, "points:handover")
        if principal.unit_id is None:
            return [], 0
        return repo.redemptions(session, unit_id=principal.unit_id, status=status, item_id=item_id,
                                since=since, until=until, q=q, offset=offset, limit=limit)
    _need(principal, "points:read")
    return repo.redemptions(session, scope=principal.scope_clause(Redemption.scope_path), status=status,
                            item_id=item_id, community_id=community_id, since=since, until=until, q=q,
                            offset=offset, limit=limit)


# ---- statements -------------------------------------------------------------------------------------------

def my_account(session: Session, principal: Principal) -> PointAccount:
    user = session.get(User, principal.user_id)
    assert user is not None
    return ledger.user_account(session, user)


def get_account(session: Session, principal: Principal, account_id: int) -> PointAccount:
    """An account's statement is open to its holder, a unit's handlers, and managers over its scope."""
    acc = session.get(PointAccount, account_id)
    if acc is None:
        raise NotFound()
    if acc.user_id == principal.user_id or (acc.unit_id is not None and acc.unit_id == principal.unit_id) or \
            (principal.can("points:read") and principal.covers(acc.scope_path)):
        return acc
    raise NotFound()


def statement(session: Session, account: PointAccount, *, since: dt.datetime | None = None,
              until: dt.datetime | None = None, offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
    """The account's entries, newest first, each with the balance right after it (流水 with 余额)."""
    return repo.statement(session, account.id, since=since, until=until, offset=offset, limit=limit)


def list_accounts(session: Session, principal: Principal, *, kind: str | None = None, q: str | None = None,
                  offset: int = 0, limit: int = 20) -> tuple[list[PointAccount], int]:
    _need(principal, "points:read")
    return repo.accounts(session, principal.scope_clause(PointAccount.scope_path), kind=kind, q=q, offset=offset,
                         limit=limit)


def units_for_items(session: Session, principal: Principal, community: Region | None) -> list[Unit]:
    return repo.units_in(session, community.path if community else None, principal.scope_clause(Unit.scope_path))


# ---- display and export -----------------------------------------------------------------------------------

def redemption_dicts(session: Session, rows: list[Redemption]) -> list[dict[str, Any]]:
    """Redemptions with their item, unit and holder names, for lists, JSON and the export."""
    from gongzhi.points.models import REDEMPTION_STATUS_LABELS

    items = repo.items_by_id(session, [r.item_id for r in rows])
    units = repo.units_by_id(session, [r.unit_id for r in rows])
    users = repo.users_by_id(session, [r.user_id for r in rows])
    out = []
    for r in rows:
        item, unit, user = items.get(r.item_id), units.get(r.unit_id), users.get(r.user_id)
        out.append({
            "id": r.id, "item_id": r.item_id, "item_name": item.name if item else "", "item_kind": item.kind if item
            else "", "unit_id": r.unit_id, "unit_name": unit.name if unit else "", "user_id": r.user_id,
            "holder": (user.display_name or user.username) if user else "", "quantity": r.quantity,
            "points": r.points, "status": r.status, "status_label": REDEMPTION_STATUS_LABELS[r.status],
            "code": r.code if r.status == "open" else None, "household_id": r.household_id,
            "fee_period": r.fee_period, "fee_yuan": (item.fee_yuan or 0) * r.quantity if item and
            item.kind == "property_fee" else None, "created_at": r.created_at, "handed_over_at": r.handed_over_at,
            "closed_at": r.closed_at, "close_reason": r.close_reason,
            "cancel_until": r.created_at + dt.timedelta(hours=item.cancel_hours) if item else None,
        })
    return out


def export_redemptions(session: Session, principal: Principal, **filters: Any) -> bytes:
    """The redemptions list (with its filters) as .xlsx, every matching row."""


    from gongzhi.core import audit
    from gongzhi.core.web import _local

    rows, _ = list_redemptions(session, principal, offset=0, limit=100_000, **filters)
    data = _xlsx("积分兑换", ["编号", "商品", "商户/单位", "兑换人", "数量", "积分", "状态", "兑换时间", "核销时间",
                             "物业费月份", "抵扣金额（元）", "取消/退还原因"],
                 ([d["id"], d["item_name"], d["unit_name"], d["holder"], d["quantity"], d["points"],
                   str(d["status_label"]), _local(d["created_at"]), _local(d["handed_over_at"]),
                   d["fee_period"] or "", d["fee_yuan"] or "", d["close_reason"]]
                  for d in redemption_dicts(session, rows)))
    audit.record(session, "export", "points_redemptions", summary=f"导出积分兑换 {len(rows)} 条")
    return data


def _xlsx(title: str, header: list[str], rows: Any) -> bytes:
    """One sheet with a header row, as .xlsx bytes (streamed: write-only workbook)."""
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_statement(session: Session, account: PointAccount, *, since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> bytes:


    from gongzhi.core.web import _local

    rows, _ = statement(session, account, since=since, until=until, offset=0, limit=100_000)
    return _xlsx("积分流水", ["时间", "摘要", "收入", "支出", "余额"],
                 ([_local(e["created_at"]), entry_label(e), e["amount"] if e["amount"] > 0 else "",
                   -e["amount"] if e["amount"] < 0 else "", e["balance"]] for e in rows))


def entry_label(e: Mapping[str, Any]) -> str:
    """What an entry was for, in the statement's words."""
    from gongzhi.points.models import RULE_LABELS

    if e["kind"] == "award":
        label = str(RULE_LABELS.get(e["rule"] or "", "奖励"))
        return f"{label}：{e['note']}" if e["note"] else label
    if e["kind"] == "redeem":
        return f"兑换：{e['note']}"
    if e["kind"] == "reverse":
        return f"退还：{e['note']}" if e["note"] else "退还"
    return e["note"] or "调整"


def qr_svg(code: str) -> str:
    """The pick-up code as an SVG QR code (server-side, no script; a full QR code, not Micro QR, which phone
    scanners often cannot read)."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make_qr(code, error="m").save(buf, kind="svg", border=2, xmldecl=False, svgns=True, omitsize=True)
    return buf.getvalue().decode()
