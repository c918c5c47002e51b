"""Group commit for appeal intake (受理): concurrent `POST /api/v1/appeals` requests are gathered into one
transaction, and each is acknowledged only after that transaction has committed.

Why: the classic path (service.intake + to_dict in the request's own transaction) costs ~20 SQL statements
and one commit per appeal; the statement round trips and the commit, not Python, bound the rate — on SQLite
every writer also queues on the database's one write lock. Here one writer thread per process takes whatever
requests are waiting (natural batching: no timer, a batch is whatever arrived while the previous one was being
written) and handles them together in a fixed number of statements per batch:

    principals  (users ⋈ regions, by id)          matters (⋈ lead department, by code)
    grids, and the streets/communities on their paths       existing idempotency keys / external ids
    likely duplicates (one query over all the batch's neighbourhoods)
    BEGIN (SQLite: IMMEDIATE) · INSERT appeals … RETURNING id · INSERT keys · followers · receive events · COMMIT

then answers every request of the batch at once. The rules are the service's: the same channel check, place,
classification, routing (service.route's fall-through), deadlines (set_step), sealing, follower and receive
event, and the same duplicate ranking (service.similarity, service._metres); the answer has the shape of
service.to_dict(). Differences: `version` is 1 (the classic path inserts, then updates to 2), and duplicates
are looked up before the batch is written, so two appeals of one batch do not list each other.

What keeps the guarantee: a future is resolved only after `COMMIT` returned, so a 201 means the appeal, its
key, its follower row and its receive event are committed (tests/appeals/test_crash.py kills a server mid-load
and checks). Anything the fast path does not handle — photos, no matter code (suggestions), no point, a
replayed Idempotency-Key or external id, a request that repeats one earlier in its own batch, any database
error while writing the batch (a unique key won by another process, a lock timeout) — is answered by the
classic path in its own transaction (`FALLBACK`), after the batch's commit, so a replay sees the first appeal.

Wiring: see `create_appeal` (a route that needs no request session) and docs/benchmarks.md; until wired,
`uvicorn gongzhi.appeals.intake_batch:create_app --factory` serves the whole app with this route in front.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.orm import Session

from gongzhi.appeals import flow, service
from gongzhi.appeals.flow import Status
from gongzhi.appeals.models import Appeal, AppealEvent, AppealFollower, IdempotencyKey
from gongzhi.appeals.schemas import AppealCreate
from gongzhi.core import crypto, geo
from gongzhi.core.auth import Principal
from gongzhi.core.calendar import get_calendar
from gongzhi.core.db import get_engine, now
from gongzhi.core.errors import AppError, Forbidden, Unauthorized, ValidationFailed
from gongzhi.core.settings import get_settings
from gongzhi.duties.models import TIERS, Department, MatterType
from gongzhi.regions import service as regions
from gongzhi.regions.models import Region

log = logging.getLogger("gongzhi.intake")
MAX_BATCH = 256
FALLBACK = object()  # "answer this one with the classic path"
OPEN_VALUES = tuple(s.value for s in flow.OPEN)


@functools.cache
def _statements() -> dict[str, Any]:
    """Every statement of a batch, built once: SQLAlchemy then finds each compiled form by the statement's
    memoised cache key instead of building a key per batch (lists are expanding parameters)."""
    from gongzhi.accounts.models import User

    ids, codes = bindparam("ids", expanding=True), bindparam("codes", expanding=True)
    appeals = Appeal.__table__
    return {
        "principals": select(User.id, User.username, User.display_name, User.password_hash, User.role,
                             User.is_active, User.department_id, Region.id.label("rid"), Region.path, Region.code,
                             Region.name).join(Region, Region.id == User.scope_region_id).where(User.id.in_(ids)),
        "matters": select(MatterType.id, MatterType.code, MatterType.name, MatterType.category_id, MatterType.tier,
                          MatterType.lead_department_id, MatterType.resolve_days, MatterType.is_active,
                          Department.name.label("dep_name"))
        .outerjoin(Department, Department.id == MatterType.lead_department_id).where(MatterType.code.in_(codes)),
        "grids": select(Region.id, Region.path, Region.name).where(Region.id.in_(ids)),
        "on_paths": select(Region.id, Region.code, Region.level, Region.name, Region.path).where(
            Region.code.in_(codes), Region.level.in_(("grid", "community", "street"))),
        "keys": select(IdempotencyKey.key).where(IdempotencyKey.key.in_(codes)),
        "externals": select(Appeal.channel, Appeal.external_id).where(Appeal.external_id.in_(codes)),
        "insert_appeals": insert(appeals).returning(appeals.c.id, sort_by_parameter_order=True),
        "insert_appeals_with_ids": insert(appeals),
        "max_id": select(func.max(appeals.c.id)),
        "insert_keys": insert(IdempotencyKey.__table__),
        "insert_followers": insert(AppealFollower.__table__),
        "insert_events": insert(AppealEvent.__table__),
    }


@functools.cache
def _neighbourhoods(n: int) -> Any:
    """For each of `n` boxes (lat0, lat1, lon0, lon1, matter type): the 50 newest open appeals of the last days
    inside it, tagged with the box's number — service.duplicates' candidate query (repository.nearby_open), once
    per box, in one statement. One variant per batch-size bucket; each part uses the matter-type index, as the
    single query does (an OR of the boxes would make SQLite scan every open appeal)."""
    from sqlalchemy import literal_column, union_all

    parts = []
    for i in range(n):
        part = (select(Appeal.id, Appeal.title, Appeal.description, Appeal.status, Appeal.lat, Appeal.lon,
                       Appeal.created_at, Appeal.matter_type_id, literal_column(str(i)).label("box"))
                .where(Appeal.status.in_(OPEN_VALUES), Appeal.created_at >= bindparam("since"),
                       Appeal.lat.between(bindparam(f"la0_{i}"), bindparam(f"la1_{i}")),
                       Appeal.lon.between(bindparam(f"lo0_{i}"), bindparam(f"lo1_{i}")),
                       Appeal.matter_type_id == bindparam(f"mt_{i}"))
                .order_by(Appeal.created_at.desc()).limit(50).subquery(f"box{i}"))
        parts.append(select(part))
    return union_all(*parts)


# ---- who is asking -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credential:
    """What the request proves about its sender before the database is asked: a user id, and a check of the
    user's current password hash (accounts.service.principal_from_request's rules: a bearer token's
    fingerprint, or the signed session cookie's)."""

    user_id: int
    check: Callable[[str], bool]


def credential(request: Request) -> Credential | None:
    """The request's credential, or None (→ 401). Reads only the request: the user row is checked later, in
    the batch, against the same rules as principal_from_request."""
    from gongzhi.core.security import read_token, token_matches

    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        data = read_token(auth[7:].strip())
        if data is None or not isinstance(data.get("uid"), int):
            return None
        return Credential(data["uid"], lambda password_hash: token_matches(data, password_hash))
    if "session" in request.scope:
        uid, fp = request.session.get("uid"), request.session.get("fp")
        if isinstance(uid, int):
            return Credential(uid, lambda password_hash: fp == password_hash[-10:])
    return None


def eligible(data: AppealCreate, files: list[Any]) -> bool:
    """Does the fast path handle this request? (The rest goes to the classic path.)"""
    return not files and data.matter_code is not None and data.lat is not None and data.lon is not None


# ---- the writer ----------------------------------------------------------------------------------------------

@dataclass
class _Item:
    cred: Credential
    data: AppealCreate
    key: str | None  # the raw Idempotency-Key header
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    # filled in by the batch
    principal: Principal | None = None
    scoped_key: str | None = None
    row: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    done: bool = False

    def resolve(self, outcome: Any) -> None:
        if self.done:
            return
        self.done = True

        def _set() -> None:
            if not self.future.done():
                if isinstance(outcome, BaseException):
                    self.future.set_exception(outcome)
                else:
                    self.future.set_result(outcome)

        self.loop.call_soon_threadsafe(_set)


class GroupCommitter:
    """The writer threads for one database, in this process: one for SQLite (one writer at a time is all the
    database allows), several for PostgreSQL (a batch spends most of its time waiting for the server, and
    batches of different threads commit in parallel). Each takes whatever requests are waiting."""

    def __init__(self, url: str, *, writers: int | None = None, max_batch: int = MAX_BATCH) -> None:
        self.url = url
        self.max_batch = max_batch
        self.writers = writers or (1 if url.startswith("sqlite") else 4)
        self.queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.batches = 0
        self.items = 0

    def submit(self, item: _Item) -> None:
        if len(self.threads) < self.writers or not all(t.is_alive() for t in self.threads):
            with self.lock:
                self.threads = [t for t in self.threads if t.is_alive()]
                while len(self.threads) < self.writers:
                    t = threading.Thread(target=self._run, name=f"gongzhi-intake-{len(self.threads)}", daemon=True)
                    t.start()
                    self.threads.append(t)
        self.queue.put(item)

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                write_batch(self.url, batch)
            except BaseException as exc:  # the batch failed before its commit: nobody was acknowledged
                log.exception("intake batch of %d failed", len(batch))
                for it in batch:
                    it.resolve(exc if isinstance(exc, AppError) else FALLBACK)
            self.batches += 1
            self.items += len(batch)


_committers: dict[str, GroupCommitter] = {}
_committers_lock = threading.Lock()


def committer(url: str | None = None) -> GroupCommitter:
    """The process's writer for `url` (default: the configured database)."""
    url = url or get_settings().database_url
    with _committers_lock:
        if url not in _committers:
            _committers[url] = GroupCommitter(url)
        return _committers[url]


async def submit(cred: Credential, data: AppealCreate, idempotency_key: str | None) -> dict[str, Any] | None:
    """The 201 body of the new appeal once its batch has committed, or None: answer with the classic path.
    Raises the AppError (401, 403, 422 …) the classic path would raise."""
    loop = asyncio.get_running_loop()
    item = _Item(cred, data, idempotency_key, loop, loop.create_future())
    committer().submit(item)
    outcome = await item.future
    return None if outcome is FALLBACK else outcome  # type: ignore[no-any-return]


# ---- one batch -------------------------------------------------------------------------------------------------

def write_batch(url: str, batch: list[_Item]) -> None:
    """Everything the fast path does for `batch`, in one transaction; each item is resolved exactly once."""
    with get_engine(url).connect() as conn:
        session = Session(bind=conn)  # for the process caches that check their version (grid index, calendar)
        try:
            live = _principals(conn, batch)
            live = _classify_and_place(conn, session, live)
            live = _drop_repeats(conn, live)
            dups = _duplicates(conn, live)
            _insert(conn, live)
        except BaseException:
            conn.rollback()
            for it in batch:
                if not it.done and it.row:
                    it.resolve(FALLBACK)  # nothing of it was committed: the classic path decides
            raise
        finally:
            session.close()
    for it in live:  # committed: acknowledge
        it.resolve(_body(it, dups.get(id(it), [])))
    for it in batch:
        it.resolve(FALLBACK)  # those put aside (replays, repeats in the batch): after the commit


def _principals(conn: Connection, batch: list[_Item]) -> list[_Item]:
    uids = sorted({it.cred.user_id for it in batch})
    rows = {r.id: r for r in conn.execute(_statements()["principals"], {"ids": uids})}
    live = []
    for it in batch:
        r = rows.get(it.cred.user_id)
        if r is None or not r.is_active or not it.cred.check(r.password_hash):
            it.resolve(Unauthorized())
            continue
        p = Principal(user_id=r.id, username=r.username, display_name=r.display_name or r.username, role=r.role,
                      scope_region_id=r.rid, scope_path=r.path, scope_code=r.code, scope_name=r.name,
                      department_id=r.department_id)
        allowed = service.ROLE_CHANNELS.get(p.role, ())
        if it.data.channel not in allowed:
            it.resolve(Forbidden(f"您的角色不能通过「{it.data.channel}」渠道登记诉求", code="channel_not_allowed",
                                 details={"channel": it.data.channel, "allowed": list(allowed)}))
            continue
        if it.data.reporter_phone and not crypto.normalise(it.data.reporter_phone).isdigit():
            it.resolve(ValidationFailed("联系电话格式不正确", details={"reporter_phone": it.data.reporter_phone}))
            continue
        it.principal = p
        it.scoped_key = service.idempotency_scope(p, it.key) if it.key else None
        live.append(it)
    return live


def _classify_and_place(conn: Connection, session: Session, batch: list[_Item]) -> list[_Item]:
    """Matter, grid, handler (service.route's fall-through) and deadlines (service.set_step) of each item."""
    import numpy as np

    if not batch:
        return []
    sql = _statements()
    codes = sorted({it.data.matter_code for it in batch if it.data.matter_code})
    matters = {m.code: m for m in conn.execute(sql["matters"], {"codes": codes})}
    index = regions.grid_index(session)
    lon, lat = zip(*(geo.to_wgs84(it.data.lon, it.data.lat, it.data.crs) for it in batch), strict=True)
    grid_ids = index.locate_many(np.array(lon, dtype=float), np.array(lat, dtype=float))
    grids = {g.id: g for g in conn.execute(sql["grids"], {"ids": sorted({int(g) for g in grid_ids if g >= 0})})}
    path_codes = sorted({c for g in grids.values() for c in g.path.strip("/").split("/")})
    on_paths = {(r.code, r.level): r for r in conn.execute(sql["on_paths"], {"codes": path_codes})}
    cal = get_calendar(session)
    settings = get_settings()
    at = now()  # the batch's moment of receipt: its requests arrived within the same few milliseconds
    due = cal.add_working_hours(at, settings.dispatch_hours)
    warn = cal.warn_at(at, due)
    resolve_due: dict[int, dt.datetime] = {}
    live = []
    for it, wlon, wlat, gid in zip(batch, lon, lat, grid_ids, strict=True):
        grid = grids.get(int(gid)) if gid >= 0 else None
        if grid is None:
            if it.data.region_code is None:
                it.resolve(ValidationFailed("该位置不在本市任何网格内，请核对定位或填写所属区域", code="outside_grids",
                                            details={"lat": float(wlat), "lon": float(wlon), "crs": "wgs84"}))
            else:
                it.resolve(FALLBACK)  # an address and a region code: the classic path places it
            continue
        mt = matters.get(it.data.matter_code)
        if mt is None or not mt.is_active:
            it.resolve(ValidationFailed(f"事项编码 {it.data.matter_code} 不存在", code="unknown_matter",
                                        details={"matter_code": it.data.matter_code}))
            continue
        p, data = it.principal, it.data
        assert p is not None
        path = grid.path.strip("/").split("/")

        def region_at(level: str, path: list[str] = path) -> Any:
            return next((on_paths[(c, level)] for c in path if (c, level) in on_paths), None)

        tier, region, dep_id, handler = mt.tier, None, None, ""
        for t in TIERS[TIERS.index(mt.tier):]:
            if t == "department":
                if mt.lead_department_id is not None and mt.dep_name is not None:
                    tier, dep_id, handler = t, mt.lead_department_id, mt.dep_name
                else:
                    tier, region = "street", region_at("street")
                break
            region = region_at(t)
            if region is not None:
                tier = t
                break
        if region is not None:
            handler = region.name
        if mt.resolve_days not in resolve_due:
            resolve_due[mt.resolve_days] = cal.add_working_days(at, mt.resolve_days)
        phone = crypto.seal("phone", None if data.anonymous else data.reporter_phone)
        it.row = {
            "version": 1, "title": data.title, "description": data.description, "channel": data.channel,
            "external_id": data.external_id, "status": Status.RECEIVED.value, "priority": data.priority,
            "lat": float(wlat), "lon": float(wlon), "address": data.address, "grid_id": grid.id,
            "region_id": grid.id, "scope_path": grid.path, "category_id": mt.category_id, "matter_type_id": mt.id,
            "tier": tier, "assigned_region_id": region.id if region is not None else None,
            "assigned_department_id": dep_id, "escalation_level": 0, "supervised": False,
            "reporter_id": p.user_id or None, "anonymous": data.anonymous,
            "reporter_name": "" if data.anonymous else (data.reporter_name or (p.display_name if p.role == "resident"
                                                                               else "")),
            "phone_enc": phone["enc"], "phone_hash": phone["hash"], "phone_masked": phone["masked"],
            "location_consent": data.location_consent, "parent_id": None, "metoo_count": 0, "reopen_count": 0,
            "review_reopened": False, "reply": "", "rating": None, "close_reason": "", "due_at": due,
            "warn_at": warn, "resolve_due_at": resolve_due[mt.resolve_days], "warned": False,
            "overdue": False, "ever_overdue": False, "next_check_at": warn, "paused_at": None,
            "extension_days": None, "event_seq": 1, "created_at": at, "updated_at": at, "registered_at": None,
            "dispatched_at": None, "accepted_at": None, "resolved_at": None, "verified_at": None, "closed_at": None,
        }
        it.extra = {"matter_code": mt.code, "matter_name": mt.name, "handler": handler,
                    "assigned_path": region.path if region is not None else None}
        live.append(it)
    return live


def _drop_repeats(conn: Connection, batch: list[_Item]) -> list[_Item]:
    """Put aside every item whose Idempotency-Key or external id is already stored, or repeats an earlier
    item of this batch: the classic path answers them (with the first appeal) after the commit."""
    keys = {it.scoped_key for it in batch if it.scoped_key}
    externals = {it.data.external_id for it in batch if it.data.external_id}
    sql = _statements()
    stored_keys = set(conn.scalars(sql["keys"], {"codes": sorted(keys)})) if keys else set()
    stored_ext = set(conn.execute(sql["externals"], {"codes": sorted(externals)}).tuples()) if externals else set()
    seen_keys: set[str] = set()
    seen_ext: set[tuple[str, str]] = set()
    live = []
    for it in batch:
        ext = (it.data.channel, it.data.external_id) if it.data.external_id else None
        if (it.scoped_key and (it.scoped_key in stored_keys or it.scoped_key in seen_keys)) or \
                (ext and (ext in stored_ext or ext in seen_ext)):
            it.row = {}
            continue  # resolved with FALLBACK after the commit
        if it.scoped_key:
            seen_keys.add(it.scoped_key)
        if ext:
            seen_ext.add(ext)
        live.append(it)
    return live


def _duplicates(conn: Connection, batch: list[_Item]) -> dict[int, list[dict[str, Any]]]:
    """service.duplicates for every item, from one query over all their neighbourhoods."""
    if not batch:
        return {}
    s = get_settings()
    boxes = {}
    for it in batch:
        r = it.row
        dlat = s.duplicate_radius_m / 111_320.0
        dlon = dlat / max(0.2, math.cos(math.radians(r["lat"])))
        boxes[id(it)] = (r["lat"] - dlat, r["lat"] + dlat, r["lon"] - dlon, r["lon"] + dlon)
    since = min(it.row["created_at"] for it in batch) - dt.timedelta(days=s.duplicate_days)
    size = 1 << (len(batch) - 1).bit_length()  # statement variants: 1, 2, 4 … MAX_BATCH boxes
    params: dict[str, Any] = {"since": since}
    for i in range(size):
        if i < len(batch):
            it = batch[i]
            b = boxes[id(it)]
            params.update({f"la0_{i}": b[0], f"la1_{i}": b[1], f"lo0_{i}": b[2], f"lo1_{i}": b[3],
                           f"mt_{i}": it.row["matter_type_id"]})
        else:  # padding: an empty box
            params.update({f"la0_{i}": 1.0, f"la1_{i}": 0.0, f"lo0_{i}": 1.0, f"lo1_{i}": 0.0, f"mt_{i}": -1})
    by_box: dict[int, list[Any]] = {}
    for o in conn.execute(_neighbourhoods(size), params):
        by_box.setdefault(o.box, []).append(o)
    grams: dict[int, set[str]] = {}  # each candidate's text bigrams, once per batch (service.similarity's measure)
    out: dict[int, list[dict[str, Any]]] = {}
    for i, it in enumerate(batch):
        r = it.row
        near = sorted(by_box.get(i, ()), key=lambda o: o.created_at, reverse=True)
        mine = service._bigrams(f"{r['title']}{r['description']}")
        found = []
        for o in near:
            dist = service._metres(r["lat"], r["lon"], o.lat, o.lon)
            if dist > s.duplicate_radius_m:
                continue
            if o.id not in grams:
                grams[o.id] = service._bigrams(f"{o.title}{o.description}")
            theirs = grams[o.id]
            sim = len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0
            if sim < 0.12:
                continue
            found.append({"id": o.id, "title": o.title, "status": o.status, "distance_m": round(dist),
                          "similarity": round(sim, 2), "score": round(sim * 0.7 + (1 - dist / s.duplicate_radius_m)
                                                                      * 0.3, 3),
                          "created_at": o.created_at.isoformat()})
        found.sort(key=lambda d: -d["score"])
        out[id(it)] = found[:5]
    return out


def _begin_write(conn: Connection) -> None:
    """The batch's writes go in the transaction of its reads. On SQLite that transaction holds the write lock
    from its start (core.db begins every transaction with BEGIN IMMEDIATE; on a connection that would leave the
    BEGIN to pysqlite it is taken here), so nothing the reads saw can change before the inserts."""
    if not conn.in_transaction():
        conn.begin()
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        if dbapi is not None and not dbapi.in_transaction:
            dbapi.execute("BEGIN IMMEDIATE")


def _insert(conn: Connection, batch: list[_Item]) -> None:
    if not batch:
        conn.rollback()
        return
    _begin_write(conn)
    sql = _statements()
    if conn.dialect.name == "sqlite":
        # SQLite returns a multi-row INSERT's ids in no promised order, and SQLAlchemy then inserts row by row;
        # this transaction holds the only write lock, so the next ids are max(id) + 1, + 2 …
        first = int(conn.scalar(sql["max_id"]) or 0) + 1
        for k, it in enumerate(batch):
            it.row["id"] = first + k
        conn.execute(sql["insert_appeals_with_ids"], [it.row for it in batch])
    else:
        ids = conn.execute(sql["insert_appeals"], [it.row for it in batch]).scalars().all()
        for it, appeal_id in zip(batch, ids, strict=True):
            it.row["id"] = appeal_id
    keys = [{"key": it.scoped_key, "appeal_id": it.row["id"], "created_at": it.row["created_at"]}
            for it in batch if it.scoped_key]
    if keys:
        conn.execute(sql["insert_keys"], keys)
    followers = [{"appeal_id": it.row["id"], "user_id": it.row["reporter_id"], "reason": "reporter",
                  "created_at": it.row["created_at"]} for it in batch if it.row["reporter_id"] is not None]
    if followers:
        conn.execute(sql["insert_followers"], followers)
    events = []
    for it in batch:
        p = it.principal
        assert p is not None
        events.append({"appeal_id": it.row["id"], "seq": 1, "at": it.row["created_at"], "actor_id": p.user_id or None,
                       "actor_name": p.display_name, "actor_role": p.role, "action": "receive", "from_status": None,
                       "to_status": Status.RECEIVED.value, "note": "",
                       "data": {"channel": it.data.channel, "external_id": it.data.external_id, "photos": 0}})
    conn.execute(sql["insert_events"], events)
    conn.commit()


# ---- the answer ------------------------------------------------------------------------------------------------

def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def _body(it: _Item, duplicates: list[dict[str, Any]]) -> dict[str, Any]:
    """service.to_dict(full=True) of the new appeal, for its reporter, from what the batch already knows (a new
    appeal has no photos, no parts, and its reporter follows it)."""
    r, p = it.row, it.principal
    assert p is not None
    appeal = SimpleNamespace(**r)  # what flow reads of an Appeal, without an ORM instance's bookkeeping
    following = r["reporter_id"] is not None and r["reporter_id"] == p.user_id  # the reporter's follower row
    kinds = flow.actor_kinds(p, appeal, part_departments=frozenset(),  # type: ignore[arg-type]
                             assigned_path=it.extra["assigned_path"], is_follower=following)
    shows_reporter = r["reporter_id"] == p.user_id or (service.is_staff(p) and not r["anonymous"])
    d: dict[str, Any] = {
        "id": r["id"], "version": r["version"], "title": r["title"], "description": r["description"],
        "channel": r["channel"], "external_id": r["external_id"], "status": r["status"],
        "status_label": str(flow.STATUS_LABELS[Status(r["status"])]), "priority": r["priority"],
        "lat": r["lat"], "lon": r["lon"], "address": r["address"], "grid_id": r["grid_id"],
        "scope_path": r["scope_path"], "matter_code": it.extra["matter_code"],
        "matter_name": it.extra["matter_name"], "tier": r["tier"], "handler": it.extra["handler"],
        "assigned_department_id": r["assigned_department_id"], "assigned_region_id": r["assigned_region_id"],
        "escalation_level": r["escalation_level"], "supervised": r["supervised"], "parent_id": r["parent_id"],
        "metoo_count": r["metoo_count"], "reopen_count": r["reopen_count"], "rating": r["rating"],
        "reply": r["reply"], "close_reason": r["close_reason"], "anonymous": r["anonymous"],
        "due_at": _iso(r["due_at"]), "warn_at": _iso(r["warn_at"]), "resolve_due_at": _iso(r["resolve_due_at"]),
        "warned": r["warned"], "overdue": r["overdue"], "ever_overdue": r["ever_overdue"],
        "paused": r["paused_at"] is not None, "extension_days": r["extension_days"],
        "created_at": _iso(r["created_at"]), "updated_at": _iso(r["updated_at"]),
        "registered_at": None, "dispatched_at": None, "accepted_at": None, "resolved_at": None,
        "verified_at": None, "closed_at": None,
        "reporter": ({"name": r["reporter_name"], "phone": r["phone_masked"], "user_id": r["reporter_id"]}
                     if shows_reporter else None),
        "actions": [a.name for a in flow.available(appeal, kinds)],  # type: ignore[arg-type]
        "photos": [], "parts": [],
        "following": flow.FOLLOWER in kinds,
        "duplicates": duplicates, "suggested_matters": [],
    }
    return d


# ---- the route ---------------------------------------------------------------------------------------------

async def create_appeal(request: Request,
                        idempotency_key: Annotated[str | None, Header(max_length=120)] = None) -> Response:
    """登记诉求 — POST /api/v1/appeals with group commit. No request session: the batch authenticates (the same
    rules as the CurrentPrincipal dependency) and writes; other requests take the classic path."""
    from gongzhi.appeals.api import parse_intake

    cred = credential(request)
    if cred is None:
        raise Unauthorized()
    data, files = await parse_intake(request)
    if eligible(data, files):
        body = await submit(cred, data, idempotency_key)
        if body is not None:
            return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/appeals/{body['id']}"})
    return await run_in_threadpool(_classic, request, data, files, idempotency_key)


def _classic(request: Request, data: AppealCreate, files: list[tuple[str, bytes]],
             idempotency_key: str | None) -> Response:
    """api.create_appeal's own path, in a transaction of its own."""
    from gongzhi.accounts.service import principal_from_request
    from gongzhi.appeals.api import store_photos
    from gongzhi.core import audit
    from gongzhi.core.db import unit_of_work

    with Session(get_engine(get_settings().database_url), expire_on_commit=False) as session, \
            unit_of_work(session):
        principal = principal_from_request(session, request)
        if principal is None:
            raise Unauthorized()
        audit.set_actor(audit.Actor(principal.user_id, principal.username,
                                    request.client.host if request.client else None), session)
        key = service.idempotency_scope(principal, idempotency_key) if idempotency_key else None
        stored = store_photos(files, data.location_consent) if files else []
        result = service.intake(session, principal, data, photos=stored, idempotency_key=key)
        body = service.to_dict(session, principal, result.appeal)
        body["duplicates"] = result.duplicates
        body["suggested_matters"] = result.suggestions
        session.flush()
    headers = {"Location": f"/api/v1/appeals/{result.appeal.id}"}
    if not result.created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=201 if result.created else 200, headers=headers)


def create_app() -> Any:
    """The whole app with the group-commit intake route in front of the classic one (until api.py is wired):
    `uvicorn gongzhi.appeals.intake_batch:create_app --factory`."""
    from gongzhi.app import create_app as base
    from gongzhi.core.web import CsrfChecked

    app = base()
    app.add_api_route("/api/v1/appeals", create_appeal, methods=["POST"], status_code=201,
                      dependencies=[CsrfChecked], summary="登记诉求（各渠道，合并提交）", tags=["诉求"])
    app.router.routes.insert(0, app.router.routes.pop())  # matched before the classic route
    return app
