"""Open311 GeoReport v2 rules (docs/open311.md): the catalog as Open311 services, a posted service request as an
appeal on the `open311` channel, appeals as public service requests, and the API keys.

Mapping: service = matter type (事项), service_code = its code, group = its level-1 category; agency_responsible =
the handling department (or region); status `closed` = the appeal is closed, rejected or merged, `open`
otherwise. We are a "realtime" server: POST answers the new request's id at once, so no tokens are issued."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from gongzhi.appeals import service as appeals
from gongzhi.appeals.flow import STATUS_LABELS, Status
from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import AppealCreate
from gongzhi.core import audit, crypto
from gongzhi.core.db import now
from gongzhi.core.errors import AppError, NotFound
from gongzhi.core.settings import get_settings
from gongzhi.duties.models import DutyCategory, MatterType
from gongzhi.open311 import repository as repo
from gongzhi.open311.formats import Open311Error
from gongzhi.open311.models import ApiKey
from gongzhi.regions.models import Region

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
API_PATH = "/open311/v2"
# When this implementation's answers last changed shape (discovery's `changeset`): bump it with any change.
CHANGESET = dt.datetime(2026, 11, 22, 23, 4, tzinfo=dt.UTC)
MAX_REQUESTS = 1000  # GET requests answers at most this many, newest first (the spec's limit)
WINDOW = dt.timedelta(days=90)  # GET requests' default and widest date range
DESCRIPTION_MAX = 4000
CLOSED = (Status.CLOSED.value, Status.REJECTED.value, Status.MERGED.value)
KEY_USE_RESOLUTION = dt.timedelta(minutes=1)  # last_used_at is written at most this often per key

_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>|<!--|<!\[CDATA\[|<\?|&#?[A-Za-z0-9]+;")
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
_URL = re.compile(r"https?://[^\s<>\"]+")


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def w3(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the city's time zone: 2026-11-23T09:30:00+08:00."""
    return value.astimezone(_zone()).isoformat(timespec="seconds") if value is not None else None


# ---- keys ---------------------------------------------------------------------------------------------------

def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """A new key for the client application `name`: (the row, the key). The key is returned only here."""
    name = name.strip()
    if not name or len(name) > 40:
        raise AppError("密钥名称须为 1–40 个字符", code="invalid_name", details={"name": name})
    raw = secrets.token_urlsafe(32)
    key = ApiKey(name=name, key_hash=_hash(raw), prefix=raw[:8], created_at=now())
    session.add(key)
    session.flush()
    audit.record(session, "create", "open311_keys", key.id, summary=f"Open311 密钥「{name}」（{key.prefix}…）")
    return key, raw


def list_keys(session: Session) -> list[ApiKey]:
    return repo.keys(session)


def revoke_key(session: Session, key_id: int) -> ApiKey:
    """Stop a key at once; revoking twice is harmless (the first time is kept)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"没有编号为 {key_id} 的 Open311 密钥")
    if key.revoked_at is None:
        key.revoked_at = now()
        session.flush()
        audit.record(session, "revoke", "open311_keys", key.id, summary=f"停用 Open311 密钥「{key.name}」")
    return key


def authenticate(session: Session, raw: str | None) -> ApiKey:
    """The key's row, or 403 — missing, unknown and revoked keys alike, each with its own description."""
    if not raw:
        raise Open311Error("缺少 api_key：提交服务请求须提供 API 密钥", status=403)
    key = repo.key_by_hash(session, _hash(raw))
    if key is None:
        raise Open311Error("api_key 无效", status=403)
    if key.revoked_at is not None:
        raise Open311Error("api_key 已停用", status=403)
    at = now()
    if key.last_used_at is None or at - key.last_used_at >= KEY_USE_RESOLUTION:
        key.last_used_at = at
    return key


# ---- jurisdiction and discovery -----------------------------------------------------------------------------

def check_jurisdiction(session: Session, jurisdiction_id: str | None) -> None:
    """One endpoint serves one city, so jurisdiction_id is optional; when given it must be the city's code."""
    jurisdiction_id = (jurisdiction_id or "").strip()
    if not jurisdiction_id:
        return
    root = repo.city_root(session)
    if root is None or jurisdiction_id != root.code:
        served = f"：本接口只服务 {root.name}（jurisdiction_id={root.code}）" if root is not None else ""
        raise Open311Error(f"jurisdiction_id「{jurisdiction_id}」不存在{served}", status=404)


def discovery(session: Session, base_url: str) -> dict[str, Any]:
    root = repo.city_root(session)
    city = root.name if root is not None else "共治"
    changeset = w3(CHANGESET)
    return {
        "changeset": changeset,
        "contact": f"{city}城市基层治理平台（共治 gongzhi）管理员",
        "key_service": "API 密钥由平台管理员签发（gongzhi open311 keys create --name 应用名称），只在签发时显示一次",
        "endpoints": [{"specification": SPECIFICATION, "url": base_url.rstrip("/") + API_PATH,
                       "changeset": changeset, "type": "production", "formats": ["text/xml", "application/json"]}],
    }


# ---- services -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attribute:
    """One field of every service's definition. Only list types are used, so validation is exact."""

    code: str
    datatype: str  # singlevaluelist | multivaluelist
    required: bool
    order: int
    description: str
    values: tuple[tuple[str, str], ...]  # (key, name)

    def to_dict(self) -> dict[str, Any]:
        return {"variable": True, "code": self.code, "datatype": self.datatype, "required": self.required,
                "datatype_description": "从列表中选择" if self.datatype == "singlevaluelist" else "可多选",
                "order": self.order, "description": self.description,
                "values": [{"key": k, "name": n} for k, n in self.values]}


# Every service has metadata: how urgent, and whether the reporter's identity stays private.
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("urgency", "singlevaluelist", False, 1, "紧急程度：影响安全或大量群众的选「紧急」（不填为一般）",
              (("normal", "一般"), ("urgent", "紧急"))),
    Attribute("anonymous", "singlevaluelist", False, 2,
              "是否匿名：匿名时不保存姓名和电话，办理结果不会回访（不填为否）",
              (("false", "否"), ("true", "是"))),
)


def _group(mt: MatterType, cats: Mapping[int, DutyCategory]) -> DutyCategory | None:
    cat = cats.get(mt.category_id)
    while cat is not None and cat.parent_id is not None:
        cat = cats.get(cat.parent_id)
    return cat


def _keywords(mt: MatterType) -> str:
    return ", ".join(w for w in re.split(r"[,，、;；\s]+", mt.keywords or "") if w)


def notice(mt: MatterType) -> str:
    return f"按「{mt.name}」办理，承诺受理后 {mt.resolve_days} 个工作日内办结"


def list_services(session: Session) -> list[dict[str, Any]]:
    """GET services: every active matter type."""
    cats = repo.categories(session)
    out = []
    for mt in repo.active_matter_types(session):
        group, sub = _group(mt, cats), cats.get(mt.category_id)
        names = [c.name for c in dict.fromkeys((group, sub)) if c is not None] + [mt.name]
        out.append({"service_code": mt.code, "service_name": mt.name,
                    "description": f"{' / '.join(names)}。{notice(mt)}",
                    "metadata": True, "type": "realtime", "keywords": _keywords(mt),
                    "group": group.name if group is not None else None})
    return out


def _service(session: Session, code: str | None) -> MatterType:
    code = (code or "").strip()
    if not code:
        raise Open311Error("缺少 service_code")
    mt = repo.matter_type(session, code)
    if mt is None:
        raise Open311Error(f"service_code「{code}」不存在", status=404)
    return mt


def service_definition(session: Session, code: str) -> dict[str, Any]:
    mt = _service(session, code)
    return {"service_code": mt.code, "attributes": [a.to_dict() for a in ATTRIBUTES]}


# ---- POST requests ------------------------------------------------------------------------------------------

@dataclass
class Posted:
    """The arguments of POST requests: empty values are absent; attribute[code] and attribute[code][] collected."""

    fields: dict[str, str]
    attributes: dict[str, list[str]]

    @classmethod
    def parse(cls, pairs: Iterable[tuple[str, str]]) -> Posted:
        fields: dict[str, str] = {}
        attributes: dict[str, list[str]] = {}
        for name, raw in pairs:
            value = raw.strip()
            match = _ATTRIBUTE.fullmatch(name)
            if match:
                if value:
                    attributes.setdefault(match.group(1), []).append(value)
            elif value and name not in fields:
                fields[name] = value
        return cls(fields, attributes)

    def get(self, name: str) -> str | None:
        return self.fields.get(name)


def _float(posted: Posted, name: str, low: float, high: float) -> float:
    raw = posted.get(name)
    try:
        value = float(raw or "")
    except ValueError:
        raise Open311Error(f"{name}「{raw}」不是数字") from None
    if not low <= value <= high:
        raise Open311Error(f"{name} 须在 {low:g} 到 {high:g} 之间（WGS-84 度）")
    return value


@dataclass
class Location:
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    region_code: str | None = None


def _location(session: Session, posted: Posted) -> Location:
    """lat+long, address_string or address_id (a region code of the tree, e.g. a grid, or a building code)."""
    has_lat, has_long = posted.get("lat") is not None, posted.get("long") is not None
    if has_lat != has_long:
        raise Open311Error("lat 和 long 须同时提供")
    address = posted.get("address_string") or ""
    if len(address) > 200:
        raise Open311Error("address_string 不能超过 200 个字符")
    loc = Location(address=address)
    if has_lat:
        loc.lat, loc.lon = _float(posted, "lat", -90, 90), _float(posted, "long", -180, 180)
    address_id = posted.get("address_id")
    if address_id is not None:
        region = repo.region_by_code(session, address_id)
        building = repo.building_by_code(session, address_id) if region is None else None
        if region is None and building is None:
            raise Open311Error(f"address_id「{address_id}」不存在：请用区域（网格、社区…）编码或楼栋编码")
        if building is not None:
            grid = session.get(Region, building.region_id)
            assert grid is not None
            region = grid
            loc.address = loc.address or building.address or building.name
            if loc.lat is None and building.lat is not None and building.lon is not None:
                loc.lat, loc.lon = building.lat, building.lon
        loc.region_code = region.code
    if loc.lat is None and loc.region_code is None:
        if not address:
            raise Open311Error("缺少位置：请提供 lat 和 long、address_string 或 address_id 之一")
        root = repo.city_root(session)
        if root is None:
            raise Open311Error("本市尚未建立区域，无法按地址受理")
        loc.region_code = root.code  # the city receives it; dispatchers place it from the address
    return loc


def _description(posted: Posted) -> str:
    text = (posted.get("description") or "").replace("\r\n", "\n")
    if len(text) > DESCRIPTION_MAX:
        raise Open311Error(f"description 不能超过 {DESCRIPTION_MAX} 个字符（现为 {len(text)} 个）")
    if _HTML.search(text):
        raise Open311Error("description 不能包含 HTML 或代码")
    return text


def _attributes(posted: Posted) -> dict[str, list[str]]:
    known = {a.code: a for a in ATTRIBUTES}
    errors = [f"attribute[{code}] 不是该服务定义的属性" for code in posted.attributes if code not in known]
    for a in ATTRIBUTES:
        values = posted.attributes.get(a.code, [])
        keys = {k for k, _ in a.values}
        if a.required and not values:
            errors.append(f"缺少必填属性 attribute[{a.code}]（{a.description}）")
        if a.datatype == "singlevaluelist" and len(values) > 1:
            errors.append(f"attribute[{a.code}] 只能有一个值")
        bad = [v for v in values if v not in keys]
        if bad:
            errors.append(f"attribute[{a.code}] 的值「{'、'.join(bad)}」无效，可选：{'、'.join(sorted(keys))}")
    if errors:
        raise Open311Error("；".join(errors), details={"errors": errors})
    return posted.attributes


def _reporter(posted: Posted) -> tuple[str, str | None]:
    first, last = posted.get("first_name") or "", posted.get("last_name") or ""
    # Chinese names read family name first, with no space; Latin names given name first.
    name = (last + first) if any(ord(ch) > 0x2E7F for ch in first + last) else f"{first} {last}".strip()
    phone = posted.get("phone")
    if phone is not None:
        phone = crypto.normalise(phone).removeprefix("+")
        if not phone.isdigit() or len(phone) > 20:
            raise Open311Error("phone 格式不正确：只能包含数字（可带 +、空格、-）")
    return name[:40], phone


def _media_url(posted: Posted) -> str | None:
    url = posted.get("media_url")
    if url is not None and (len(url) > 500 or not _URL.fullmatch(url)):
        raise Open311Error("media_url 须为 http(s) 网址，且不超过 500 个字符")
    return url


def _title(description: str, mt: MatterType) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return first_line[:40] if len(first_line[:40]) >= 2 else mt.name[:120]


def create_request(session: Session, pairs: Iterable[tuple[str, str]], *,
                   idempotency_key: str | None = None) -> list[dict[str, Any]]:
    """POST requests: check the arguments in the spec's order (jurisdiction 404, api_key 403, service_code,
    location and the rest 400), then take the appeal in through the one intake every channel uses.
    `email` and `device_id` are not stored (nothing of ours would use them); `media_url` is appended to the
    description for the handler. A retry with the same Idempotency-Key answers the first request's id."""
    posted = Posted.parse(pairs)
    check_jurisdiction(session, posted.get("jurisdiction_id"))
    key = authenticate(session, posted.get("api_key"))
    mt = _service(session, posted.get("service_code"))
    loc = _location(session, posted)
    description = _description(posted)
    name, phone = _reporter(posted)
    media_url = _media_url(posted)
    attributes = _attributes(posted)
    email = posted.get("email")
    if email is not None and (len(email) > 254 or "@" not in email):
        raise Open311Error("email 格式不正确")
    stored = description + (f"\n\n图片：{media_url}" if media_url else "")
    if len(stored) > DESCRIPTION_MAX:
        raise Open311Error(f"description 与 media_url 合计不能超过 {DESCRIPTION_MAX} 个字符")
    try:
        data = AppealCreate(
            title=_title(description, mt), description=stored, channel="open311", lat=loc.lat, lon=loc.lon,
            crs="wgs84", address=loc.address, region_code=loc.region_code, matter_code=mt.code,
            priority=attributes.get("urgency", ["normal"])[0],
            anonymous=attributes.get("anonymous", ["false"])[0] == "true",
            reporter_name=name, reporter_phone=phone)
    except ValidationError as exc:
        raise Open311Error("；".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    scoped = appeals.idempotency_scope(None, idempotency_key, caller=f"open311:{key.id}") if idempotency_key else None
    try:
        result = appeals.intake(session, None, data, idempotency_key=scoped,
                                actor=appeals.Actor(None, f"Open311:{key.name}"[:60], "open311"))
    except AppError as exc:
        if exc.code == "outside_grids":
            raise Open311Error(f"位置 lat={loc.lat}, long={loc.lon} 不在本市任何网格内：请核对坐标（WGS-84），"
                               "或改用 address_string / address_id") from exc
        raise
    return [{"service_request_id": str(result.appeal.id), "service_notice": notice(mt),
             "account_id": posted.get("account_id")}]


# ---- GET requests -------------------------------------------------------------------------------------------

def _csv(raw: str | None) -> list[str]:
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


def _w3_arg(name: str, raw: str) -> dt.datetime:
    # An unencoded "+08:00" in a query string arrives as " 08:00": put the sign back.
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", raw.strip())
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(f"{name}「{raw}」不是 ISO 8601 时间，例如 2026-01-01T00:00:00+08:00") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=_zone())


def _window(start_raw: str | None, end_raw: str | None) -> tuple[dt.datetime, dt.datetime]:
    start = _w3_arg("start_date", start_raw) if start_raw else None
    end = _w3_arg("end_date", end_raw) if end_raw else None
    if start is None and end is None:
        end = now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error("end_date 不能早于 start_date")
    if end - start > WINDOW:
        raise Open311Error(f"start_date 到 end_date 不能超过 {WINDOW.days} 天")
    return start, end


def _request_ids(raw: str) -> list[int]:
    ids = _csv(raw)
    bad = [v for v in ids if not v.isdigit() or len(v) > 12]
    if bad:
        raise Open311Error(f"service_request_id「{'、'.join(bad)}」无效：应为数字编号")
    if len(ids) > MAX_REQUESTS:
        raise Open311Error(f"一次最多查询 {MAX_REQUESTS} 个 service_request_id")
    return [int(v) for v in dict.fromkeys(ids)]


def list_requests(session: Session, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET requests. `service_request_id` overrides every other filter; otherwise service_code, the date window
    (default: the last 90 days; at most 90 days) and status, at most MAX_REQUESTS rows, newest first."""
    args = {k: v.strip() for k, v in params.items() if v and v.strip()}
    check_jurisdiction(session, args.get("jurisdiction_id"))
    if "service_request_id" in args:
        rows = repo.public_requests(session, ids=_request_ids(args["service_request_id"]), limit=MAX_REQUESTS)
        return _public(session, rows)
    statuses = _csv(args.get("status"))
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        raise Open311Error(f"status「{'、'.join(bad)}」无效：只能是 open 或 closed")
    start, end = _window(args.get("start_date"), args.get("end_date"))
    codes = _csv(args.get("service_code"))
    mt_ids = repo.matter_types_by_code(session, codes) if codes else None
    only = set(statuses)
    rows = repo.public_requests(
        session, matter_type_ids=mt_ids, start=start, end=end,
        statuses=CLOSED if only == {"closed"} else None, exclude_statuses=CLOSED if only == {"open"} else None,
        limit=MAX_REQUESTS)
    return _public(session, rows)


def get_request(session: Session, request_id: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET requests/{id}: an array of one, as the spec has it."""
    check_jurisdiction(session, params.get("jurisdiction_id"))
    rows = repo.public_requests(session, ids=[int(request_id)], limit=1) if request_id.isdigit() and \
        len(request_id) <= 12 else []
    if not rows:
        raise Open311Error(f"service_request_id「{request_id}」不存在", status=404)
    return _public(session, rows)


def _status_notes(appeal: Appeal, last_note: str | None) -> str:
    """The reply when there is one; for rejected and merged requests, the reason given; else the current step.
    Other timeline notes are staff-internal and never published."""
    if appeal.reply:
        return appeal.reply
    if appeal.status in (Status.REJECTED.value, Status.MERGED.value) and last_note:
        return last_note
    return str(STATUS_LABELS[Status(appeal.status)])


def _public(session: Session, rows: list[tuple[Appeal, MatterType, str | None]]) -> list[dict[str, Any]]:
    """The public view: never the reporter's name, phone or account (not even for non-anonymous appeals)."""
    deps = repo.departments_by_id(session, {a.assigned_department_id for a, _, _ in rows if a.assigned_department_id}
                                  | {mt.lead_department_id for _, mt, _ in rows if mt.lead_department_id})
    regions = repo.regions_by_id(session, {r for a, _, _ in rows for r in (a.assigned_region_id, a.grid_id) if r})
    out = []
    for a, mt, note in rows:
        if a.tier == "department" and a.assigned_department_id in deps:
            agency: str | None = deps[a.assigned_department_id].name
        elif a.assigned_region_id in regions:
            agency = regions[a.assigned_region_id].name
        else:
            lead = deps.get(mt.lead_department_id) if mt.lead_department_id else None
            agency = lead.name if lead is not None else None
        closed = a.status in CLOSED
        grid = regions.get(a.grid_id) if a.grid_id else None
        out.append({
            "service_request_id": str(a.id), "status": "closed" if closed else "open",
            "status_notes": _status_notes(a, note), "service_name": mt.name, "service_code": mt.code,
            "description": a.description, "agency_responsible": agency, "service_notice": notice(mt),
            "requested_datetime": w3(a.created_at),
            "updated_datetime": w3(a.closed_at if closed and a.closed_at else a.updated_at),
            "expected_datetime": w3(a.resolve_due_at), "address": a.address or None,
            "address_id": grid.code if grid is not None else None, "zipcode": None, "lat": a.lat, "long": a.lon,
            "media_url": None,  # photos are shown to signed-in users only: there is no public URL to give
        })
    return out
