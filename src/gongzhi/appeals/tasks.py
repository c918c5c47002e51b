"""Background jobs of the appeal loop: the deadline sweep ("appeal.deadline_sweep").

The sweep reads only rows whose `next_check_at` has passed (an indexed range, not a scan of the open
appeals), in batches. Each batch is locked with FOR UPDATE SKIP LOCKED where the database has it
(PostgreSQL), so several workers share the work; every row is also changed with a compare-and-set on its
version (SQLite, and a user acting at the same moment): whoever loses skips the row, so nothing is done twice.

Per row, at most one thing happens per sweep:
- the step passed its limit → `overdue` (and 督办); an overdue acceptance or resolution step is escalated one
  tier up (分级化解), which starts a new acceptance step there;
- the step passed 80 % of its limit → `warn`; the row wakes again at the limit."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals import flow, service
from gongzhi.appeals.flow import Status
from gongzhi.appeals.models import Appeal, AppealEvent
from gongzhi.core.db import now, update_rows

log = logging.getLogger("gongzhi.worker")
ESCALATING_STEPS = frozenset({Status.DISPATCHED.value, Status.ACCEPTED.value, Status.IN_PROGRESS.value})
OPEN_VALUES = tuple(s.value for s in flow.OPEN)


@dataclass
class SweepStats:
    examined: int = 0
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    skipped: int = 0  # batches rolled back because a row changed meanwhile (then done again)

    def add(self, other: SweepStats) -> None:
        for k in ("examined", "warned", "overdue", "escalated", "skipped"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


COLUMNS = (Appeal.id, Appeal.version, Appeal.status, Appeal.tier, Appeal.title, Appeal.due_at, Appeal.warn_at,
           Appeal.warned, Appeal.overdue, Appeal.event_seq, Appeal.assigned_region_id,
           Appeal.assigned_department_id, Appeal.scope_path, Appeal.matter_type_id, Appeal.escalation_level,
           Appeal.paused_at)
WARN_NOTE, OVERDUE_NOTE = "已用去80%的时限，即将超时", "已超过办理时限，自动督办"


def _due_batch(session: Session, at: dt.datetime, batch: int) -> list[Any]:
    # Only the wake-up instant: with a condition on the status as well, SQLite would walk the status index
    # through every open appeal. A row that is closed or paused meanwhile is put to sleep by `_move`.
    stmt = (select(*COLUMNS).where(Appeal.next_check_at <= at)
            .order_by(Appeal.next_check_at).limit(batch).with_for_update(skip_locked=True, of=Appeal))
    return list(session.execute(stmt))


@dataclass
class _Move:
    """What the sweep does to one row: the columns it sets, and the event and messages it writes (if any)."""

    values: dict[str, Any]
    action: str | None = None
    note: str = ""
    to_status: str | None = None
    data: dict[str, Any] | None = None
    tell: list[int] | None = None


def _move(routing: service.Routing, r: Any, at: dt.datetime) -> _Move:
    """At most one thing per row and sweep: escalate, flag overdue, warn, or sleep until the next instant."""
    if r.status not in OPEN_VALUES or r.paused_at is not None:  # closed is final; resuming sets the next wake
        return _Move({"next_check_at": None})
    if r.due_at is not None and at >= r.due_at and not r.overdue:
        if r.status in ESCALATING_STEPS and r.tier not in (None, "department"):
            values, data = routing.escalation(scope_path=r.scope_path, matter_type_id=r.matter_type_id,
                                              tier=r.tier, at=at)
            values.update(ever_overdue=True, escalation_level=r.escalation_level + 1, next_check_at=values["warn_at"])
            tell = routing.handler_user_ids(values["tier"], values["assigned_region_id"],
                                            values["assigned_department_id"])
            return _Move(values, "auto-escalate", f"超时未办，自动上提至{data['handler']}", values["status"], data,
                         tell + routing.dispatcher_user_ids(r.scope_path))
        handlers = routing.handler_user_ids(r.tier, r.assigned_region_id, r.assigned_department_id)
        return _Move({"overdue": True, "ever_overdue": True, "warned": True, "supervised": True,
                      "next_check_at": None}, "overdue", OVERDUE_NOTE, r.status, None,
                     handlers + routing.dispatcher_user_ids(r.scope_path))
    if r.warn_at is not None and at >= r.warn_at and not r.warned:
        return _Move({"warned": True, "next_check_at": r.due_at}, "warn", WARN_NOTE, r.status, None,
                     routing.handler_user_ids(r.tier, r.assigned_region_id, r.assigned_department_id))
    # woke early or already handled: sleep until the next instant that matters
    return _Move({"next_check_at": r.due_at if (r.due_at is not None and not r.overdue and r.due_at > at) else None})


class StaleBatch(RuntimeError):
    """A row of the batch changed between reading and writing (it cannot while the locks hold): redo it."""


def sweep_batch(session: Session, at: dt.datetime | None = None, batch: int = 2000) -> SweepStats:
    """One batch of the sweep, in the caller's transaction, set-based: the rows are read with their routing
    facts, each row's move is worked out in memory (`_move`; the rules of escalation are the service's,
    `Routing.escalation`), then one `UPDATE` per kind of move for all its rows, one insert of the events and one
    of the messages.

    The rows stay as read until the commit — locked FOR UPDATE SKIP LOCKED on PostgreSQL, and on SQLite the
    transaction holds the write lock from its first statement (BEGIN IMMEDIATE) — and every `UPDATE` still
    compares the version; should a count not add up, `StaleBatch` rolls the batch back."""
    from gongzhi.notify import service as notify

    at = at or now()
    stats = SweepStats()
    rows = _due_batch(session, at, batch)
    stats.examined = len(rows)
    routing = service.Routing(session)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    events: list[dict[str, Any]] = []
    messages: list[tuple[list[int], dict[str, Any]]] = []
    for r in rows:
        move = _move(routing, r, at)
        seq = r.event_seq + (1 if move.action else 0)
        groups[tuple(sorted(move.values))].append({**move.values, "id": r.id, "version": r.version, "event_seq": seq})
        if move.action is None:
            continue
        events.append({"appeal_id": r.id, "seq": seq, "at": at, "actor_id": None, "actor_name": "系统",
                       "actor_role": service.SYSTEM, "action": move.action, "from_status": r.status,
                       "to_status": move.to_status, "note": move.note,
                       "data": {"due_at": r.due_at.isoformat(), **(move.data or {})}})
        messages.append((move.tell or [], {"title": f"诉求 #{r.id}「{r.title[:20]}」：{move.note}", "body": move.note,
                                           "link": f"/appeals/{r.id}", "kind": "deadline", "appeal_id": r.id}))
        counter = {"warn": "warned", "overdue": "overdue", "auto-escalate": "escalated"}[move.action]
        setattr(stats, counter, getattr(stats, counter) + 1)
    table = Appeal.__table__
    for names, params in groups.items():
        changed = update_rows(session, table, params, keys=("id", "version"), columns=("event_seq", *names),
                              fixed={"updated_at": at}, bump="version")
        if changed != len(params):
            raise StaleBatch(f"{len(params) - changed} of {len(params)} rows changed meanwhile")
    if events:
        session.execute(AppealEvent.__table__.insert(), events)
    notify.notify_many(session, messages)
    return stats


def sweep(session_factory: Callable[[], Session], at: dt.datetime | None = None, batch: int = 2000,
          max_batches: int = 10_000) -> SweepStats:
    """The whole sweep: batches in their own transactions until nothing is due."""
    from gongzhi.core.db import unit_of_work

    total = SweepStats()
    at = at or now()
    for _ in range(max_batches):
        session = session_factory()
        try:
            with unit_of_work(session):
                stats = sweep_batch(session, at, batch)
        except StaleBatch as exc:  # rolled back as a whole; the next round reads it again
            log.warning("deadline sweep batch redone: %s", exc)
            total.skipped += 1
            continue
        finally:
            session.close()
        total.add(stats)
        if stats.examined < batch:
            break
    return total


def run_worker(session_factory: Callable[[], Session], *, interval: float = 30.0,
               stop: threading.Event | None = None, once: bool = False) -> None:
    """`gongzhi worker`: sweep deadlines, deliver the outbox and bring the dashboards' roll-ups up to date,
    forever (or once)."""
    from gongzhi.notify import service as notify

    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        try:
            stats = sweep(session_factory)
            if stats.examined:
                log.info("deadline sweep: %s", stats)
            session = session_factory()
            try:
                from gongzhi.core.db import unit_of_work

                with unit_of_work(session):
                    notify.deliver_pending(session)
            finally:
                session.close()
            from gongzhi.dashboard.rollup import refresh_in_worker

            refresh_in_worker(session_factory)  # the dashboards' roll-ups: the months whose appeals changed
        except Exception:  # a failed round is logged and retried next round; the worker stays up
            log.exception("worker round failed")
        if once:
            return
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def start_in_thread(session_factory: Callable[[], Session], interval: float = 30.0) -> threading.Event:
    """The demo runs the worker inside `serve`, in a daemon thread."""
    stop = threading.Event()
    threading.Thread(target=run_worker, args=(session_factory,), kwargs={"interval": interval, "stop": stop},
                     name="gongzhi-worker", daemon=True).start()
    return stop
