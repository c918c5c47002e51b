"""The register engine: one description per register (fields, place in the tree, references, sensitive
data) drives validation, scope, the JSON API, the pages and Excel in and out, so every register obeys the
same rules. Domain rules that are not about one field go into a register's `check` hook."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gongzhi.core import audit, crypto, idcard
from gongzhi.core.auth import Principal
from gongzhi.core.db import prefix_range
from gongzhi.core.errors import AppError, Forbidden, NotFound, ValidationFailed

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
TRUE = {"是", "true", "1", "yes", "y", "√", "True", "TRUE"}
FALSE = {"否", "false", "0", "no", "n", "", "False", "FALSE"}


@dataclass(frozen=True)
class Ref:
    """A reference to another row by a key users know (a code or a name), resolved within scope."""

    model: Any
    key: str  # column users type, e.g. "code" or "name"
    target: str  # attribute on our model, e.g. "household_id"
    levels: tuple[str, ...] = ()  # for references to regions: allowed levels
    placed: bool = True  # the referenced model has scope_path


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "str"  # str text int float bool date choice tags id_number phone ref region
    required: bool = False
    choices: tuple[str, ...] = ()
    max_len: int = 200
    ref: Ref | None = None
    in_list: bool = True
    filter: bool = False
    help: str = ""
    codes: tuple[tuple[str, str], ...] = ()  # (stored code, Chinese label) for choices stored as codes

    def label_of(self, code: Any) -> Any:
        return dict(self.codes).get(code, code)

    @property
    def sensitive(self) -> bool:
        return self.kind in ("id_number", "phone")


@dataclass
class Register:
    kind: str
    label: str
    model: Any
    fields: list[Field]
    search: tuple[str, ...] = ("name",)
    order_by: str = "id"
    check: Callable[[Session, Principal, dict[str, Any], Any, dict[str, str]], None] | None = None
    title: Callable[[Any], str] = lambda row: getattr(row, "name", str(row.id))
    extra_filters: dict[str, Callable[[Any, str], Any]] = field(default_factory=dict)
    unique: tuple[str, ...] = ()  # fields no two rows may share (codes, ID numbers)

    @property
    def url(self) -> str:
        return self.kind.replace("_", "-")

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def region_field(self) -> Field:
        return next(f for f in self.fields if f.kind == "region")


REGISTRY: dict[str, Register] = {}


def register(reg: Register) -> Register:
    REGISTRY[reg.kind] = reg
    return reg


# ---- reading ---------------------------------------------------------------------------------------------

def readable(reg: Register, principal: Principal) -> Any:
    """The one data-scope filter of every register: rows whose place lies in the actor's subtree."""
    stmt = select(reg.model)
    clause = principal.scope_clause(reg.model.scope_path)
    return stmt if clause is None else stmt.where(clause)


def _need(principal: Principal, reg: Register, action: str) -> None:
    if not principal.can(f"{reg.kind}:{action}"):
        raise Forbidden()


def list_rows(session: Session, principal: Principal, reg: Register, *, q: str | None,
              filters: dict[str, str], offset: int, limit: int) -> tuple[list[Any], int]:
    _need(principal, reg, "read")
    stmt = apply_filters(session, reg, readable(reg, principal), q, filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.order_by(getattr(reg.model, reg.order_by)).offset(offset).limit(limit)))
    return rows, total


def apply_filters(session: Session, reg: Register, stmt: Any, q: str | None, filters: dict[str, str]) -> Any:
    from gongzhi.regions.models import Region

    model = reg.model
    if q:
        conds = [getattr(model, c).contains(q) for c in reg.search]
        for f in reg.fields:
            if f.kind == "id_number" and len(q) == 18:
                conds.append(model.id_number_hash == crypto.blind_index(q))
            if f.kind == "phone" and len(q) >= 7:
                conds.append(model.phone_hash == crypto.blind_index(q))
        stmt = stmt.where(or_(*conds))
    for name, value in filters.items():
        if value in (None, ""):
            continue
        if name in reg.extra_filters:
            stmt = stmt.where(reg.extra_filters[name](model, value))
            continue
        f = next((x for x in reg.fields if x.name == name and x.filter), None)
        if f is None:
            continue
        if f.kind == "region":
            region = session.scalars(select(Region).where(Region.code == value)).first()
            stmt = stmt.where(prefix_range(model.scope_path, region.path)) if region else stmt.where(False)
        elif f.kind == "tags":
            stmt = stmt.where(model.care_tags.contains(value))
        elif f.kind == "bool":
            stmt = stmt.where(getattr(model, f.name).is_(value in TRUE))
        else:
            stmt = stmt.where(getattr(model, f.name) == value)
    return stmt


def get_row(session: Session, principal: Principal, reg: Register, row_id: int, *, to: str = "read") -> Any:
    """The row if the actor may see it, else 404; `to="write"` refuses a role that may not write (403) before
    looking, so a read-only role gets 403 wherever the row is, as on the edit form."""
    _need(principal, reg, "read")
    if to != "read":
        _need(principal, reg, to)
    row = session.scalars(readable(reg, principal).where(reg.model.id == row_id)).first()
    if row is None:
        raise NotFound()
    return row


class Lookup:
    """Batch-resolves the regions and references of many rows, with a cache: one query per kind, not per row."""

    def __init__(self, session: Session, principal: Principal | None) -> None:
        self.session = session
        self.principal = principal
        self.cache: dict[tuple[Any, str, Any], Any] = {}

    def preload(self, model: Any, key: str, values: Iterable[Any]) -> None:
        wanted = {v for v in values if v not in (None, "") and (model, key, v) not in self.cache}
        col = getattr(model, key)
        chunk = list(wanted)
        for i in range(0, len(chunk), 500):
            part = chunk[i:i + 500]
            for obj in self.session.scalars(select(model).where(col.in_(part))):
                self.cache[(model, key, getattr(obj, key))] = obj
            for v in part:
                self.cache.setdefault((model, key, v), None)

    def get(self, model: Any, key: str, value: Any) -> Any:
        if (model, key, value) not in self.cache:
            self.preload(model, key, [value])
        return self.cache.get((model, key, value))


def to_dict(session: Session, principal: Principal, reg: Register, rows: list[Any],
            lookup: Lookup | None = None) -> list[dict[str, Any]]:
    """What the API and pages show: references by their key, sensitive values masked."""
    from gongzhi.regions.models import Region

    lk = lookup or Lookup(session, principal)
    lk.preload(Region, "id", [r.region_id for r in rows])
    for f in reg.fields:
        if f.kind == "ref" and f.ref is not None:
            lk.preload(f.ref.model, "id", [getattr(r, f.ref.target) for r in rows])
    out = []
    for row in rows:
        d: dict[str, Any] = {"id": row.id}
        for f in reg.fields:
            if f.kind == "region":
                region = lk.get(Region, "id", row.region_id)
                d[f.name] = region.code if region else None
                d[f.name.removesuffix("_code") + "_name"] = region.name if region else None
            elif f.kind == "ref" and f.ref is not None:
                target = lk.get(f.ref.model, "id", getattr(row, f.ref.target))
                d[f.name] = getattr(target, f.ref.key) if target else None
                d[f.name + "_id"] = getattr(row, f.ref.target)
            elif f.sensitive:
                d[f.name] = getattr(row, f"{f.name}_masked")
            elif f.codes:
                d[f.name] = getattr(row, f.name)
                d[f.name + "_label"] = f.label_of(d[f.name])
            else:
                v = getattr(row, f.name)
                d[f.name] = v.isoformat() if isinstance(v, dt.date) else v
        d["updated_at"] = row.updated_at.isoformat() if getattr(row, "updated_at", None) else None
        out.append(d)
    return out


def reveal(session: Session, principal: Principal, reg: Register, row: Any, name: str) -> str | None:
    """The clear value of one sensitive field; only for holders of the reveal permission; always audited."""
    f = next((x for x in reg.fields if x.name == name and x.sensitive), None)
    if f is None:
        raise NotFound("没有这个敏感字段", code="unknown_field")
    if not principal.can("personal:reveal"):
        raise Forbidden("您的角色无权查看完整的个人信息")
    blob = getattr(row, f"{name}_enc")
    value = crypto.decrypt(blob) if blob else None
    audit.record(session, "reveal", reg.model.__tablename__, row.id, summary=f"查看完整{f.label}")
    return value


# ---- writing ---------------------------------------------------------------------------------------------

def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    return str(v).strip()


def clean(session: Session, principal: Principal, reg: Register, raw: dict[str, Any], *,
          partial: bool, lookup: Lookup, current: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Turn user input (API JSON, a form or an Excel row) into column values, or reasons in Chinese."""
    from gongzhi.regions.models import Region

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in reg.fields:
        if partial and f.name not in raw:
            continue
        v = raw.get(f.name)
        s = _text(v)
        if s == "":
            if f.required:
                errors[f.name] = f"{f.label}不能为空"
            elif f.kind == "region":
                errors[f.name] = f"{f.label}不能为空"
            elif f.sensitive:
                values.update({f"{f.name}_{k}": x for k, x in crypto.seal(f.kind, None).items()})
            elif f.kind == "ref" and f.ref is not None:
                values[f.ref.target] = None
            elif f.kind == "bool":
                values[f.name] = False
            elif f.kind == "tags":
                values[f.name] = ""
            else:
                values[f.name] = None
            continue
        if len(s) > f.max_len:
            errors[f.name] = f"{f.label}不能超过{f.max_len}个字符"
            continue
        try:
            if f.kind in ("str", "text"):
                values[f.name] = s
            elif f.kind == "int":
                values[f.name] = int(s)
            elif f.kind == "float":
                values[f.name] = float(s)
            elif f.kind == "bool":
                if s not in TRUE | FALSE:
                    raise ValueError
                values[f.name] = s in TRUE
            elif f.kind == "date":
                values[f.name] = v if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else \
                    dt.date.fromisoformat(s.replace("/", "-"))
            elif f.kind == "choice" and f.codes:
                by_label = {label: code for code, label in f.codes}
                if s not in by_label and s not in dict(f.codes):
                    errors[f.name] = f"{f.label}只能是：{'、'.join(label for _, label in f.codes)}"
                    continue
                values[f.name] = by_label.get(s, s)
            elif f.kind == "choice":
                if s not in f.choices:
                    errors[f.name] = f"{f.label}只能是：{'、'.join(f.choices)}"
                    continue
                values[f.name] = s
            elif f.kind == "tags":
                tags = [t for t in re.split(r"[,，、;；\s]+", s) if t]
                bad = [t for t in tags if t not in f.choices]
                if bad:
                    errors[f.name] = f"未知的{f.label}：{'、'.join(bad)}（可选：{'、'.join(f.choices)}）"
                    continue
                values[f.name] = ",".join(dict.fromkeys(tags))
            elif f.kind == "id_number":
                reason = idcard.validate(s)
                if reason:
                    errors[f.name] = reason
                    continue
                values.update({f"{f.name}_{k}": x for k, x in crypto.seal(f.kind, s).items()})
                values["_id_number"] = s.upper()
            elif f.kind == "phone":
                if not PHONE_RE.match(s):
                    errors[f.name] = f"{f.label}格式不正确（手机号11位，或带区号的座机）"
                    continue
                values.update({f"{f.name}_{k}": x for k, x in crypto.seal(f.kind, s).items()})
            elif f.kind == "region":
                region = lookup.get(Region, "code", s)
                if region is None or not principal.covers(region.path):
                    errors[f.name] = f"{f.label} {s} 不存在或不在您的管辖范围内"
                    continue
                levels = f.ref.levels if f.ref else ()
                if levels and region.level not in levels:
                    errors[f.name] = f"{f.label} {s} 不是{'或'.join(_LEVEL_NAMES[x] for x in levels)}"
                    continue
                values["region_id"] = region.id
                values["scope_path"] = region.path
                values["_region"] = region
            elif f.kind == "ref" and f.ref is not None:
                target = lookup.get(f.ref.model, f.ref.key, s)
                if target is None or (f.ref.placed and not principal.covers(target.scope_path)):
                    errors[f.name] = f"{f.label} {s} 不存在或不在您的管辖范围内"
                    continue
                values[f.ref.target] = target.id
                values[f"_{f.name}"] = target
        except (ValueError, TypeError):
            kind = {"int": "整数", "float": "数字", "bool": "“是”或“否”", "date": "日期（如 2024-01-31）"}
            errors[f.name] = f"{f.label}应为{kind.get(f.kind, '有效值')}"
    for name in reg.unique:
        if name in errors or name not in raw:
            continue
        column, value = unique_key(reg, name, values)
        if value is None:
            continue
        other = lookup.get(reg.model, column, value)
        if other is not None and (current is None or other.id != current.id):
            errors[name] = f"{_label(reg, name)}已存在，不能重复登记"
    if reg.check is not None:
        reg.check(session, principal, values, current, errors)
    return values, errors


def unique_key(reg: Register, name: str, values: dict[str, Any]) -> tuple[str, Any]:
    """The stored column and value that make `name` unique (the keyed hash for sensitive fields)."""
    f = reg.field(name)
    if f.sensitive:
        return f"{name}_hash", values.get(f"{name}_hash")
    return name, values.get(name)


_LEVEL_NAMES = {"city": "市", "district": "区县", "street": "街道", "community": "社区/村", "compound": "小区",
                "grid": "网格"}


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not k.startswith("_")}


def _raise(errors: dict[str, str], reg: Register) -> None:
    if errors:
        details = [{"field": k, "column": _label(reg, k), "reason": v} for k, v in errors.items()]
        raise ValidationFailed("；".join(errors.values()), details=details)


def _label(reg: Register, name: str) -> str:
    return next((f.label for f in reg.fields if f.name == name), name)


def create_row(session: Session, principal: Principal, reg: Register, raw: dict[str, Any]) -> Any:
    _need(principal, reg, "write")
    values, errors = clean(session, principal, reg, raw, partial=False, lookup=Lookup(session, principal))
    _raise(errors, reg)
    row = reg.model(**_columns(values))
    session.add(row)
    session.flush()
    return row


def update_row(session: Session, principal: Principal, reg: Register, row: Any, raw: dict[str, Any]) -> Any:
    _need(principal, reg, "write")
    values, errors = clean(session, principal, reg, raw, partial=True, lookup=Lookup(session, principal),
                           current=row)
    _raise(errors, reg)
    for k, v in _columns(values).items():
        setattr(row, k, v)
    session.flush()
    return row


def delete_row(session: Session, principal: Principal, reg: Register, row: Any) -> None:
    _need(principal, reg, "write")
    session.delete(row)
    try:
        session.flush()
    except IntegrityError as exc:  # still referenced elsewhere, e.g. a household with residents
        raise AppError("该记录仍被其他记录引用，不能删除", code="in_use", status=409) from exc
