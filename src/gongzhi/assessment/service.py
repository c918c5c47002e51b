"""The assessment rules (docs/assessment.md): indicator sets whose weights add up to 100, period keys, scores
computed from metrics between two thresholds or typed by assessors with evidence, bottom-line vetoes, rankings
with shared ranks, the red and yellow lists (红黄榜) and the change since the previous period; publishing freezes
a period. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gongzhi.assessment import repository as repo
from gongzhi.assessment.metrics import METRICS
from gongzhi.assessment.models import (
    LEVELS,
    METHODS,
    NO_DATA,
    PERIOD_KINDS,
    PERIOD_STATUSES,
    SET_STATUSES,
    Indicator,
    IndicatorClass,
    IndicatorSet,
    Period,
    Score,
)
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.core.forms import Errors
from gongzhi.core.forms import text as _text
from gongzhi.regions.models import LEVEL_ORDER, Level, Region

SHANGHAI = ZoneInfo("Asia/Shanghai")
READ, MANAGE, SCORE = "assessment:read", "assessment:manage", "assessment:score"
FULL = 100.0  # what the weights of a set add up to
CENT = 0.005  # weights and totals are compared to the hundredth


class SetNotDraft(Conflict):
    code = "set_not_draft"


class SetNotActive(Conflict):
    code = "set_not_active"


class PeriodPublished(Conflict):
    code = "period_published"


class ComputedIndicator(Conflict):
    code = "computed_indicator"


class NothingToPublish(Conflict):
    code = "nothing_to_publish"


class WeightsNot100(ValidationFailed):
    code = "weights_not_100"


class BadPeriod(ValidationFailed):
    code = "bad_period"


class FuturePeriod(ValidationFailed):
    code = "future_period"


class OutOfSetScope(Forbidden):
    code = "out_of_set_scope"


def today() -> dt.date:
    return now().astimezone(SHANGHAI).date()


# ---- input ------------------------------------------------------------------------------------------------

def _number(raw: Mapping[str, Any], name: str, errors: Errors, label: str, *, low: float, high: float,
            required: bool = False) -> float | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        if required:
            errors.add(name, f"请填写{label}")
        return None
    if isinstance(value, bool):
        errors.add(name, f"{label}应为数字")
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        errors.add(name, f"{label}应为数字")
        return None
    if number != number or not low <= number <= high:  # NaN too
        errors.add(name, f"{label}应在{low:g}到{high:g}之间")
        return None
    return number


def _int(raw: Mapping[str, Any], name: str, errors: Errors, label: str, *, default: int, low: int = 0,
         high: int = 1000) -> int:
    number = _number(raw, name, errors, label, low=low, high=high)
    if number is None:
        return default
    if number != int(number):
        errors.add(name, f"{label}应为整数")
        return default
    return int(number)


def _choice(raw: Mapping[str, Any], name: str, errors: Errors, label: str, choices: Mapping[str, str],
            default: str | None = None) -> str:
    value = str(raw.get(name) or default or "").strip()
    if value not in choices:
        errors.add(name, f"请选择{label}（可选：{'、'.join(choices)}）")
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "on", "yes", "是")


# ---- periods ----------------------------------------------------------------------------------------------

PATTERNS = {"month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
            "year": re.compile(r"^(\d{4})$")}
EXAMPLES = {"month": "2026-10", "quarter": "2026-Q3", "year": "2026"}


def period_bounds(kind: str, key: str) -> tuple[dt.date, dt.date]:
    """`[start, end)` of a period key of this kind; 422 `bad_period` for any other key."""
    match = PATTERNS[kind].match(key or "")
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise BadPeriod(f"考核期应写作 {EXAMPLES[kind]}（{PERIOD_KINDS[kind]}）", details={"period": key})
    year = int(match.group(1))
    if kind == "year":
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    first = int(match.group(2)) if kind == "month" else 3 * int(match.group(2)) - 2
    months = 1 if kind == "month" else 3
    end_month = first + months
    end = dt.date(year + 1, end_month - 12, 1) if end_month > 12 else dt.date(year, end_month, 1)
    return dt.date(year, first, 1), end


def period_of(kind: str, day: dt.date) -> str:
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def previous_period(kind: str, key: str) -> str:
    start, _ = period_bounds(kind, key)
    return period_of(kind, start - dt.timedelta(days=1))


def complete_periods(kind: str, day: dt.date, n: int) -> list[str]:
    """The last `n` periods that ended before `day`, oldest first."""
    keys = [previous_period(kind, period_of(kind, day))]
    while len(keys) < n:
        keys.append(previous_period(kind, keys[-1]))
    return keys[::-1]


def period_label(kind: str, key: str) -> str:
    if kind == "month":
        return f"{key[:4]}年{int(key[5:])}月"
    if kind == "quarter":
        return f"{key[:4]}年第{key[-1]}季度"
    return f"{key}年度"


# ---- scoring ----------------------------------------------------------------------------------------------

def linear_score(indicator: Indicator, value: float | None) -> float:
    """A computed indicator's points: full marks at `full_at` or beyond, none at `zero_at` or beyond, linear in
    between (either direction: `full_at < zero_at` when lower is better); no data → by `if_no_data`."""
    if value is None:
        return round(indicator.max_score, 2) if indicator.if_no_data == "full" else 0.0
    full, zero = indicator.full_at, indicator.zero_at
    assert full is not None
    assert zero is not None
    share = (value - zero) / (full - zero)
    return round(indicator.max_score * min(1.0, max(0.0, share)), 2)


def veto_score(indicator: Indicator, failed: bool) -> float:
    """A failed bottom-line item deducts its points; a zeroing one (no deduction) scores 0 and zeroes the total."""
    return -round(indicator.deduction or 0.0, 2) if failed else 0.0


def zeroes_total(indicator: Indicator) -> bool:
    return indicator.method == "veto" and not indicator.deduction


# ---- sets -------------------------------------------------------------------------------------------------

def _need(principal: Principal, permission: str, message: str = "您的角色无权进行此操作") -> None:
    if not principal.can(permission):
        raise Forbidden(message)


def get_set(session: Session, principal: Principal, set_id: int, *, to: str = READ) -> IndicatorSet:
    """A set the actor may see (and, with `to`, act on by permission), or 403/404."""
    _need(principal, READ)
    if to != READ:
        _need(principal, to, "只有管理员可以维护指标体系" if to == MANAGE else "您的角色不能评分")
    row = repo.get_set(session, principal, set_id)
    if row is None:
        raise NotFound()
    return row


def list_sets(session: Session, principal: Principal) -> list[IndicatorSet]:
    _need(principal, READ)
    return repo.list_sets(session, principal)


def _set_fields(session: Session, principal: Principal, raw: Mapping[str, Any], errors: Errors,
                current: IndicatorSet | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if current is None or "name" in raw:
        out["name"] = _text(raw, "name", errors, "名称", required=True, limit=80)
    if current is None or "description" in raw:
        out["description"] = _text(raw, "description", errors, "说明", limit=2000)
    for name, label in (("red_count", "红榜个数"), ("yellow_count", "黄榜个数")):
        if current is None or name in raw:
            out[name] = _int(raw, name, errors, label, default=3, low=0, high=100)
    if current is None:
        out["level"] = _choice(raw, "level", errors, "考核层级", LEVELS, "community")
        out["period_kind"] = _choice(raw, "period_kind", errors, "考核周期", PERIOD_KINDS, "month")
        code = _text(raw, "region_code", errors, "所属区域代码", limit=20) or principal.scope_code
        region = repo.region_by_code(session, code)
        if region is None or not principal.covers(region.path):
            errors.add("region_code", "没有这个区域，或不在您的管辖范围内")
        elif out["level"] in LEVELS and LEVEL_ORDER[Level(region.level)] >= LEVEL_ORDER[Level(out["level"])]:
            label = LEVELS[out["level"]]
            errors.add("region_code", f"所属区域应在{label}之上（被考核的{label}在它之下）")
        else:
            out["region"] = region
    return out


def create_set(session: Session, principal: Principal, raw: Mapping[str, Any]) -> IndicatorSet:
    """A new draft set over a region in the admin's scope."""
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    errors = Errors()
    values = _set_fields(session, principal, raw, errors, None)
    errors.raise_if_any()
    region = values.pop("region")
    row = IndicatorSet(**values, status="draft", region_id=region.id, scope_path=region.path,
                       created_by_id=principal.user_id)
    session.add(row)
    session.flush()
    return row


def update_set(session: Session, principal: Principal, indicator_set: IndicatorSet,
               raw: Mapping[str, Any]) -> IndicatorSet:
    """Name, description and the sizes of the lists; `status: archived` retires the set."""
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    errors = Errors()
    values = _set_fields(session, principal, raw, errors, indicator_set)
    status = raw.get("status")
    if status is not None and status not in ("archived", indicator_set.status):
        errors.add("status", "这里只能归档指标体系；启用请用“启用”并先核对分值")
    errors.raise_if_any()
    for k, v in values.items():
        setattr(indicator_set, k, v)
    if status == "archived":
        indicator_set.status = "archived"
    session.flush()
    return indicator_set


def _draft(indicator_set: IndicatorSet) -> None:
    if indicator_set.status != "draft":
        raise SetNotDraft("指标体系已启用，类别和指标不能再改；如需调整请新建指标体系")


def add_class(session: Session, principal: Principal, indicator_set: IndicatorSet,
              raw: Mapping[str, Any]) -> IndicatorClass:
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    _draft(indicator_set)
    errors = Errors()
    name = _text(raw, "name", errors, "类别名称", required=True, limit=40)
    existing = repo.classes(session, indicator_set)
    if name and any(c.name == name for c in existing):
        errors.add("name", f"已有类别“{name}”")
    seq = _int(raw, "seq", errors, "顺序", default=len(existing) + 1)
    errors.raise_if_any()
    row = IndicatorClass(set_id=indicator_set.id, name=name, seq=seq)
    session.add(row)
    session.flush()
    return row


def _indicator_fields(session: Session, indicator_set: IndicatorSet, raw: Mapping[str, Any],
                      current: Indicator | None) -> dict[str, Any]:
    errors = Errors()
    base: dict[str, Any] = {}
    if current is not None:
        base = {k: getattr(current, k) for k in ("class_id", "code", "name", "seq", "max_score", "method", "metric",
                                                 "full_at", "zero_at", "if_no_data", "deduction", "guidance")}
    merged = {**base, **raw}
    classes = {c.id: c for c in repo.classes(session, indicator_set)}
    class_id = _number(merged, "class_id", errors, "类别", low=1, high=2**31, required=True)
    if class_id is not None and int(class_id) not in classes:
        errors.add("class_id", "请选择本指标体系的类别")
    code = _text(merged, "code", errors, "编号", required=True, limit=20)
    other = repo.indicator_by_code(session, indicator_set, code) if code else None
    if other is not None and other is not current:
        errors.add("code", f"编号 {code} 已被“{other.name}”使用")
    out: dict[str, Any] = {
        "class_id": int(class_id) if class_id is not None else None, "code": code,
        "name": _text(merged, "name", errors, "指标名称", required=True, limit=120),
        "guidance": _text(merged, "guidance", errors, "评分说明", limit=2000),
        "method": _choice(merged, "method", errors, "评分方式", METHODS),
        "seq": _int(merged, "seq", errors, "顺序", default=current.seq if current else 0),
        "metric": None, "full_at": None, "zero_at": None, "deduction": None, "if_no_data": "zero", "max_score": 0.0,
    }
    method = out["method"]
    if method in ("computed", "manual"):
        out["max_score"] = _number(merged, "max_score", errors, "分值", low=0.01, high=FULL, required=True) or 0.0
    if method == "computed":
        metric = str(merged.get("metric") or "").strip()
        if metric not in METRICS:
            errors.add("metric", "请选择计算所用的数据指标")
        out["metric"] = metric
        out["full_at"] = _number(merged, "full_at", errors, "满分线", low=-1e9, high=1e9, required=True)
        out["zero_at"] = _number(merged, "zero_at", errors, "零分线", low=-1e9, high=1e9, required=True)
        if out["full_at"] is not None and out["full_at"] == out["zero_at"]:
            errors.add("zero_at", "满分线和零分线不能相同")
        out["if_no_data"] = _choice(merged, "if_no_data", errors, "无数据时", NO_DATA, "zero")
    elif method == "veto":
        out["deduction"] = _number(merged, "deduction", errors, "扣分", low=0, high=FULL)
    errors.raise_if_any()
    return out


def add_indicator(session: Session, principal: Principal, indicator_set: IndicatorSet,
                  raw: Mapping[str, Any]) -> Indicator:
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    _draft(indicator_set)
    values = _indicator_fields(session, indicator_set, raw, None)
    if not values["seq"]:
        values["seq"] = len(repo.indicators(session, indicator_set)) + 1
    row = Indicator(set_id=indicator_set.id, **values)
    session.add(row)
    session.flush()
    return row


def get_indicator(session: Session, indicator_set: IndicatorSet, indicator_id: int) -> Indicator:
    row = session.get(Indicator, indicator_id)
    if row is None or row.set_id != indicator_set.id:
        raise NotFound("没有这个指标")
    return row


def update_indicator(session: Session, principal: Principal, indicator_set: IndicatorSet, indicator: Indicator,
                     raw: Mapping[str, Any]) -> Indicator:
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    _draft(indicator_set)
    for k, v in _indicator_fields(session, indicator_set, raw, indicator).items():
        setattr(indicator, k, v)
    session.flush()
    return indicator


def delete_indicator(session: Session, principal: Principal, indicator_set: IndicatorSet,
                     indicator: Indicator) -> None:
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    _draft(indicator_set)
    session.delete(indicator)
    session.flush()


def weight_total(indicators: list[Indicator]) -> float:
    return round(sum(i.max_score for i in indicators if i.method != "veto"), 2)


def activate(session: Session, principal: Principal, indicator_set: IndicatorSet) -> IndicatorSet:
    """A draft becomes active once its weights add up to 100; from then on it is computed and scored."""
    _need(principal, MANAGE, "只有管理员可以维护指标体系")
    _draft(indicator_set)
    rows = repo.indicators(session, indicator_set)
    total = weight_total(rows)
    if abs(total - FULL) > CENT:
        gap = round(FULL - total, 2)
        hint = f"还差 {gap:g} 分" if gap > 0 else f"超出 {-gap:g} 分"
        raise WeightsNot100(f"各项指标分值合计应为 100 分，现为 {total:g} 分（{hint}）",
                            details={"total": total, "missing": gap})
    indicator_set.status = "active"
    session.flush()
    return indicator_set


# ---- compute, score, publish ------------------------------------------------------------------------------

def _bounds(indicator_set: IndicatorSet, key: str) -> tuple[dt.date, dt.date]:
    start, end = period_bounds(indicator_set.period_kind, key)
    if start > today():
        raise FuturePeriod(f"{period_label(indicator_set.period_kind, key)}还没有开始")
    return start, end


def _still_open(session: Session, indicator_set: IndicatorSet, key: str) -> None:
    """409 for a set not active or a published period, before any input is looked at."""
    if indicator_set.status != "active":
        raise SetNotActive("指标体系启用后才能计算和评分")
    row = repo.get_period(session, indicator_set, key)
    if row is not None and row.status == "published":
        raise PeriodPublished(f"{period_label(indicator_set.period_kind, key)}的考核结果已发布，不能再修改")


def _open_period(session: Session, indicator_set: IndicatorSet, key: str) -> Period:
    """The period row, locked and still open (created the first time), or 409 once published."""
    if indicator_set.status != "active":
        raise SetNotActive("指标体系启用后才能计算和评分")
    row = repo.get_period(session, indicator_set, key, lock=True)
    if row is None:  # two first scorers at once: one insert wins, both then wait on the same locked row
        repo.add_period(session, indicator_set, key)
        row = repo.get_period(session, indicator_set, key, lock=True)
        assert row is not None
    if row.status == "published":
        raise PeriodPublished(f"{period_label(indicator_set.period_kind, key)}的考核结果已发布，不能再修改")
    return row


def _covers_set(principal: Principal, indicator_set: IndicatorSet) -> None:
    if not principal.covers(indicator_set.scope_path):
        raise OutOfSetScope("计算和发布针对整个考核范围，需由覆盖该范围的领导或管理员进行")


def compute_period(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str) -> Period:
    """Write the computed indicators' scores of every ranked region (replacing earlier computed ones)."""
    _need(principal, SCORE, "您的角色不能评分")
    _covers_set(principal, indicator_set)
    start, end = _bounds(indicator_set, key)
    period = _open_period(session, indicator_set, key)
    computed = [i for i in repo.indicators(session, indicator_set) if i.method == "computed"]
    ids = {i.id for i in computed}
    existing = {(s.region_id, s.indicator_id): s for s in repo.scores(session, indicator_set, key)
                if s.indicator_id in ids}
    at = now()
    for region in repo.ranked_regions(session, indicator_set):
        for ind in computed:
            assert ind.metric is not None
            value = METRICS[ind.metric].fn(session, region, start, end)
            row = existing.get((region.id, ind.id))
            if row is None:
                row = Score(set_id=indicator_set.id, period=key, region_id=region.id, scope_path=region.path,
                            indicator_id=ind.id)
                session.add(row)
            row.value = None if value is None else round(value, 4)
            row.score = linear_score(ind, value)
            row.evidence = "" if value is not None else "无数据"
            row.assessor_id, row.assessor_name, row.scored_at = principal.user_id, "系统计算", at
    period.computed_at = at
    session.flush()
    return period


def scored_region(session: Session, principal: Principal, indicator_set: IndicatorSet, code: str) -> Region:
    """A region the set ranks and the actor's scope holds, or 404."""
    region = repo.region_by_code(session, code)
    if (region is None or region.level != indicator_set.level or not region.path.startswith(indicator_set.scope_path)
            or not principal.covers(region.path)):
        raise NotFound("没有这个被考核单位，或不在您的管辖范围内")
    return region


def _checked(indicator: Indicator, raw: Mapping[str, Any], errors: Errors,
             prefix: str = "") -> tuple[float, float, str]:
    """(value, score, evidence) of one typed score, or reasons added to `errors` (fields named `prefix+name`)."""
    fields = {f"{prefix}{k}" if prefix else k: v for k, v in raw.items()}
    if indicator.method == "manual":
        points = _number(fields, f"{prefix}score", errors, f"{indicator.code} 得分", low=0, high=indicator.max_score,
                         required=True)
        evidence = _text(fields, f"{prefix}evidence", errors, f"{indicator.code} 评分依据（佐证）", required=True,
                         limit=2000)
        value = round(points, 2) if points is not None else 0.0
        return value, value, evidence
    failed = _flag(raw.get("failed"))
    evidence = _text(fields, f"{prefix}evidence", errors, f"{indicator.code} 情况说明（佐证）", required=failed,
                     limit=2000)
    return (1.0 if failed else 0.0), veto_score(indicator, failed), evidence


def enter_scores(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str, region_code: str,
                 items: list[tuple[str, Mapping[str, Any]]], *, prefixed: bool = False) -> list[Score]:
    """Assessors' scores for one region: manual indicators (0..max, evidence required) and bottom-line items
    (failed or passed; evidence required when failed), each replacing the earlier one. All or nothing: every
    item is checked before any is stored (422 naming each field)."""
    _need(principal, SCORE, "您的角色不能评分")
    region = scored_region(session, principal, indicator_set, region_code)
    checked = []
    errors = Errors()
    for code, raw in items:
        indicator = repo.indicator_by_code(session, indicator_set, code)
        if indicator is None:
            raise NotFound(f"没有编号为 {code} 的指标")
        if indicator.method == "computed":
            raise ComputedIndicator(f"{code} 由数据自动计算，不能人工评分")
        checked.append((indicator, _checked(indicator, raw, errors, f"{code}_" if prefixed else "")))
    _bounds(indicator_set, key)
    _still_open(session, indicator_set, key)
    errors.raise_if_any()
    _open_period(session, indicator_set, key)
    given = {s.indicator_id: s for s in repo.scores(session, indicator_set, key, region)}
    out, at = [], now()
    for indicator, (value, score, evidence) in checked:
        row = given.get(indicator.id)
        if row is None:
            row = Score(set_id=indicator_set.id, period=key, region_id=region.id, scope_path=region.path,
                        indicator_id=indicator.id)
            session.add(row)
        row.value, row.score, row.evidence = value, score, evidence
        row.assessor_id, row.assessor_name, row.scored_at = principal.user_id, principal.display_name, at
        out.append(row)
    session.flush()
    return out


def save_score_form(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str,
                    region_code: str, form: Mapping[str, str]) -> list[Score]:
    """The score form of one region: fields `<code>_score`, `<code>_evidence` and `<code>_failed`. A manual
    indicator left blank is skipped; every bottom-line item is confirmed (passed unless ticked)."""
    items: list[tuple[str, Mapping[str, Any]]] = []
    for ind in repo.indicators(session, indicator_set):
        typed = {k: form.get(f"{ind.code}_{k}", "") for k in ("score", "evidence", "failed")}
        if ind.method == "veto" or (ind.method == "manual" and (typed["score"].strip() or typed["evidence"].strip())):
            items.append((ind.code, typed))
    if not items:
        raise ValidationFailed("请至少填写一项得分", details=[{"field": "_", "reason": "请至少填写一项得分"}])
    return enter_scores(session, principal, indicator_set, key, region_code, items, prefixed=True)


def require_manage(principal: Principal) -> None:
    _need(principal, MANAGE, "只有管理员可以维护指标体系")


def enter_score(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str, region_code: str,
                indicator_code: str, raw: Mapping[str, Any]) -> Score:
    """One assessor's score (see `enter_scores`)."""
    return enter_scores(session, principal, indicator_set, key, region_code, [(indicator_code, raw)])[0]


def publish_period(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str) -> Period:
    """Freeze the period: its ranking is the published one (月度通报); no score changes after this."""
    _need(principal, SCORE, "您的角色不能发布考核结果")
    _covers_set(principal, indicator_set)
    _bounds(indicator_set, key)
    period = _open_period(session, indicator_set, key)
    if not repo.score_count(session, indicator_set, key):
        raise NothingToPublish("这一期还没有任何得分，请先计算或评分")
    period.status, period.published_at, period.published_by_id = "published", now(), principal.user_id
    session.flush()
    return period


# ---- ranking ----------------------------------------------------------------------------------------------

@dataclass
class Row:
    region: Region
    total: float | None = None  # None: not scored in this period
    by_class: dict[int, float] = field(default_factory=dict)
    vetoed: bool = False
    deducted: float = 0.0
    rank: int | None = None
    red: bool = False
    yellow: bool = False
    prev_total: float | None = None
    prev_rank: int | None = None

    @property
    def is_new(self) -> bool:
        return self.total is not None and self.prev_rank is None

    @property
    def score_delta(self) -> float | None:
        if self.total is None or self.prev_total is None:
            return None
        return round(self.total - self.prev_total, 2)

    @property
    def rank_delta(self) -> int | None:
        """Places moved up (positive) or down (negative) since the previous period."""
        if self.rank is None or self.prev_rank is None:
            return None
        return self.prev_rank - self.rank


def _rows(session: Session, indicator_set: IndicatorSet, key: str, regions: list[Region],
          indicators: list[Indicator]) -> list[Row]:
    """Every ranked region with its total, shared rank and lists for one period (unscored regions unranked)."""
    by_id = {i.id: i for i in indicators}
    rows = {r.id: Row(r) for r in regions}
    for s in repo.scores(session, indicator_set, key):
        row, ind = rows.get(s.region_id), by_id.get(s.indicator_id)
        if row is None or ind is None:
            continue
        row.total = (row.total or 0.0) + s.score
        row.by_class[ind.class_id] = round(row.by_class.get(ind.class_id, 0.0) + s.score, 2)
        if ind.method == "veto" and s.value:
            row.deducted += -s.score
            row.vetoed = row.vetoed or zeroes_total(ind)
    scored = [r for r in rows.values() if r.total is not None]
    for r in scored:
        r.total = 0.0 if r.vetoed else max(0.0, round(r.total or 0.0, 2))
    scored.sort(key=lambda r: (-(r.total or 0.0), r.region.code))
    for i, r in enumerate(scored):
        same = i > 0 and abs((r.total or 0) - (scored[i - 1].total or 0)) < CENT
        r.rank = scored[i - 1].rank if same else i + 1
    for r in scored:
        r.red = indicator_set.red_count > 0 and (r.rank or 0) <= indicator_set.red_count and not r.vetoed
    if scored and indicator_set.yellow_count > 0:
        lowest = sorted(r.total or 0.0 for r in scored)
        bar = lowest[min(indicator_set.yellow_count, len(lowest)) - 1]
        for r in scored:
            r.yellow = not r.red and ((r.total or 0.0) <= bar + CENT / 2 or r.vetoed)
    for r in scored:
        r.yellow = r.yellow or r.vetoed
    return sorted(rows.values(), key=lambda r: (r.rank is None, r.rank or 0, r.region.code))


def ranking(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str) -> dict[str, Any]:
    """The period's ranking as the actor may see it: rows of regions in their scope, with ranks in the whole set,
    the red and yellow lists and the change since the previous period."""
    period_bounds(indicator_set.period_kind, key)
    regions = repo.ranked_regions(session, indicator_set)
    inds = repo.indicators(session, indicator_set)
    rows = _rows(session, indicator_set, key, regions, inds)
    prev_key = previous_period(indicator_set.period_kind, key)
    previous = {r.region.id: r for r in _rows(session, indicator_set, prev_key, regions, inds)}
    for r in rows:
        p = previous.get(r.region.id)
        if p is not None and p.total is not None:
            r.prev_total, r.prev_rank = p.total, p.rank
    visible = [r for r in rows if principal.covers(r.region.path)]
    period = repo.get_period(session, indicator_set, key)
    nxt = _next_period(indicator_set, key)
    return {"set": indicator_set, "period": key, "label": period_label(indicator_set.period_kind, key),
            "status": period.status if period else "open", "period_row": period, "rows": visible,
            "ranked": sum(1 for r in rows if r.rank is not None), "regions": len(rows),
            "classes": repo.classes(session, indicator_set), "previous": prev_key,
            "previous_label": period_label(indicator_set.period_kind, prev_key),
            "next": nxt, "next_label": period_label(indicator_set.period_kind, nxt) if nxt else None,
            "can_score": _can_act(principal, indicator_set)}


def _next_period(indicator_set: IndicatorSet, key: str) -> str | None:
    _, end = period_bounds(indicator_set.period_kind, key)
    return period_of(indicator_set.period_kind, end) if end <= today() else None


def _can_act(principal: Principal, indicator_set: IndicatorSet) -> bool:
    return principal.can(SCORE) and principal.covers(indicator_set.scope_path) and indicator_set.status == "active"


def row_dict(r: Row) -> dict[str, Any]:
    return {"region_code": r.region.code, "region_name": r.region.name, "total": r.total, "rank": r.rank,
            "red": r.red, "yellow": r.yellow, "vetoed": r.vetoed, "deducted": round(r.deducted, 2),
            "by_class": {str(k): v for k, v in r.by_class.items()}, "previous_total": r.prev_total,
            "previous_rank": r.prev_rank, "score_delta": r.score_delta, "rank_delta": r.rank_delta, "new": r.is_new}


def ranking_dict(view: Mapping[str, Any]) -> dict[str, Any]:
    s = view["set"]
    return {"set_id": s.id, "set_name": s.name, "period": view["period"], "label": view["label"],
            "status": view["status"], "status_label": PERIOD_STATUSES[view["status"]], "ranked": view["ranked"],
            "previous": view["previous"], "classes": [{"id": c.id, "name": c.name} for c in view["classes"]],
            "red_count": s.red_count, "yellow_count": s.yellow_count,
            "rows": [row_dict(r) for r in view["rows"]],
            "red": [r.region.name for r in view["rows"] if r.red],
            "yellow": [r.region.name for r in view["rows"] if r.yellow]}


def scorecard(session: Session, principal: Principal, indicator_set: IndicatorSet, key: str,
              region_code: str) -> dict[str, Any]:
    """One region's scores indicator by indicator, with evidence, its total and its place in the ranking."""
    region = scored_region(session, principal, indicator_set, region_code)
    view = ranking(session, principal, indicator_set, key)
    row = next(r for r in view["rows"] if r.region.id == region.id)
    classes = {c.id: c for c in view["classes"]}
    given = {s.indicator_id: s for s in repo.scores(session, indicator_set, key, region)}
    lines = []
    for ind in repo.indicators(session, indicator_set):
        s = given.get(ind.id)
        lines.append({"indicator_id": ind.id, "code": ind.code, "name": ind.name, "class_id": ind.class_id,
                      "class_name": classes[ind.class_id].name, "method": ind.method,
                      "method_label": METHODS[ind.method], "max_score": ind.max_score, "deduction": ind.deduction,
                      "metric": ind.metric, "unit": METRICS[ind.metric].unit if ind.metric in METRICS else None,
                      "full_at": ind.full_at, "zero_at": ind.zero_at, "guidance": ind.guidance,
                      "value": s.value if s else None, "score": s.score if s else None,
                      "evidence": s.evidence if s else "", "assessor": s.assessor_name if s else "",
                      "scored_at": s.scored_at if s else None, "scored": s is not None})
    return {**view, "region": region, "row": row, "lines": lines}


def scorecard_dict(card: Mapping[str, Any]) -> dict[str, Any]:
    lines = [dict(line) for line in card["lines"]]
    return {"set_id": card["set"].id, "period": card["period"], "label": card["label"], "status": card["status"],
            "ranked": card["ranked"], **row_dict(card["row"]), "lines": lines}


# ---- views ------------------------------------------------------------------------------------------------

def set_dict(session: Session, indicator_set: IndicatorSet, *, detail: bool = False) -> dict[str, Any]:
    region = session.get(Region, indicator_set.region_id)
    assert region is not None
    out: dict[str, Any] = {
        "id": indicator_set.id, "name": indicator_set.name, "description": indicator_set.description,
        "level": indicator_set.level, "level_label": LEVELS[indicator_set.level],
        "period_kind": indicator_set.period_kind, "period_kind_label": PERIOD_KINDS[indicator_set.period_kind],
        "status": indicator_set.status, "status_label": SET_STATUSES[indicator_set.status],
        "red_count": indicator_set.red_count, "yellow_count": indicator_set.yellow_count,
        "region_code": region.code, "region_name": region.name,
        "periods": [{"period": p.period, "label": period_label(indicator_set.period_kind, p.period),
                     "status": p.status, "status_label": PERIOD_STATUSES[p.status]}
                    for p in repo.periods(session, indicator_set)],
    }
    inds = repo.indicators(session, indicator_set)
    out["weight_total"] = weight_total(inds)
    out["indicator_count"] = len(inds)
    if detail:
        out["classes"] = [{"id": c.id, "name": c.name, "seq": c.seq,
                           "weight": round(sum(i.max_score for i in inds if i.class_id == c.id), 2),
                           "indicators": [indicator_dict(i) for i in inds if i.class_id == c.id]}
                          for c in repo.classes(session, indicator_set)]
    return out


def indicator_dict(i: Indicator) -> dict[str, Any]:
    return {"id": i.id, "class_id": i.class_id, "code": i.code, "name": i.name, "seq": i.seq,
            "max_score": i.max_score, "method": i.method, "method_label": METHODS[i.method], "metric": i.metric,
            "metric_name": METRICS[i.metric].name if i.metric in METRICS else None, "full_at": i.full_at,
            "zero_at": i.zero_at, "if_no_data": i.if_no_data, "deduction": i.deduction, "guidance": i.guidance}


def metric_dicts(principal: Principal) -> list[dict[str, str]]:
    _need(principal, READ)
    return [{"key": m.key, "name": m.name, "unit": m.unit, "description": m.description} for m in METRICS.values()]


def current_period(indicator_set: IndicatorSet) -> str:
    """The period a set's page links to when it has none yet: the last complete one."""
    return complete_periods(indicator_set.period_kind, today(), 1)[0]

