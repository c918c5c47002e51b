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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gongzhi.appeals import flow, service
from gongzhi.appeals.flow import Status
from gongzhi.appeals.models import Appeal, AppealEvent
from gongzhi.core.db import now

log = logging.getLogger("gongzhi.worker")
ESCALATING_STEPS = frozenset({Status.DISPATCHED.value, Status.ACCEPTED.value, Status.IN_PROGRESS.value})
OPEN_VALUES = tuple(s.value for s in flow.OPEN)


@dataclass
class SweepStats:
    examined: int = 0
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    skipped: int = 0  # changed by someone else meanwhile

    def add(self, other: SweepStats) -> None:
        for k in ("examined", "warned", "overdue", "escalated", "skipped"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


COLUMNS = (Appeal.id, Appeal.version, Appeal.status, Appeal.tier, Appeal.title, Appeal.due_at, Appeal.warn_at,
           Appeal.warned, Appeal.overdue, Appeal.event_seq, Appeal.assigned_region_id,
           Appeal.assigned_department_id, Appeal.scope_path)


def _due_batch(session: Session, at: dt.datetime, batch: int) -> list[Any]:
    stmt = (select(*COLUMNS).where(Appeal.next_check_at <= at, Appeal.status.in_(OPEN_VALUES),
                                   Appeal.paused_at.is_(None))
            .order_by(Appeal.next_check_at).limit(batch).with_for_update(skip_locked=True, of=Appeal))
    return list(session.execute(stmt))


class _Recipients:
    """Who to tell about a row, cached per handler for one batch (thousands of rows share a few handlers)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[Any, ...], list[int]] = {}

    def for_row(self, appeal: Any) -> list[int]:
        key = (appeal.tier, appeal.assigned_region_id, appeal.assigned_department_id)
        if key not in self.cache:
            self.cache[key] = service.handler_user_ids(self.session, appeal)
        return self.cache[key]


def sweep_batch(session: Session, at: dt.datetime | None = None, batch: int = 2000) -> SweepStats:
    """One batch of the sweep, in the caller's transaction."""
    from gongzhi.notify.models import Message

    at = at or now()
    stats = SweepStats()
    rows = _due_batch(session, at, batch)
    stats.examined = len(rows)
    events: list[dict[str, Any]] = []
    messages: list[Message] = []
    recipients = _Recipients(session)
    escalate: list[int] = []
    table = Appeal.__table__
    for r in rows:
        if r.due_at is not None and at >= r.due_at and not r.overdue:
            if r.status in ESCALATING_STEPS and r.tier not in (None, "department"):
                escalate.append(r.id)
                continue
            action, values, note = "overdue", {"overdue": True, "ever_overdue": True, "warned": True,
                                               "supervised": True, "next_check_at": None}, "已超过办理时限，自动督办"
        elif r.warn_at is not None and at >= r.warn_at and not r.warned:
            action, values, note = "warn", {"warned": True, "next_check_at": r.due_at}, "已用去80%的时限，即将超时"
        else:  # woke early or already handled: sleep until the next instant that matters
            nxt = r.due_at if (r.due_at is not None and not r.overdue and r.due_at > at) else None
            values, action = {"next_check_at": nxt}, None
        seq = r.event_seq + (1 if action else 0)
        res = session.execute(update(table).where(table.c.id == r.id, table.c.version == r.version)
                              .values(version=r.version + 1, event_seq=seq, updated_at=at, **values))
        if res.rowcount != 1:
            stats.skipped += 1
            continue
        if action is None:
            continue
        events.append({"appeal_id": r.id, "seq": seq, "at": at, "actor_id": None, "actor_name": "系统",
                       "actor_role": service.SYSTEM, "action": action, "from_status": r.status,
                       "to_status": r.status, "note": note, "data": {"due_at": r.due_at.isoformat()}})
        for uid in recipients.for_row(r):
            messages.append(Message(user_id=uid, title=f"诉求 #{r.id}「{r.title[:20]}」：{note}", body=note,
                                    link=f"/appeals/{r.id}", kind="deadline", appeal_id=r.id, created_at=at))
        if action == "warn":
            stats.warned += 1
        else:
            stats.overdue += 1
    if events:
        session.execute(AppealEvent.__table__.insert(), events)
    session.add_all(messages)
    for appeal_id in escalate:
        appeal = session.get(Appeal, appeal_id)
        if appeal is None or not appeal.due_at or at < appeal.due_at or appeal.overdue:
            stats.skipped += 1
            continue
        before = appeal.status
        appeal.ever_overdue = True
        data = service.escalate_one_tier(session, appeal, at)
        service.system_event(session, appeal, "auto-escalate", note=f"超时未办，自动上提至{data.get('handler', '')}",
                             data=data, before=before, at=at)
        stats.escalated += 1
    session.flush()
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
        finally:
            session.close()
        total.add(stats)
        if stats.examined < batch:
            break
    return total


def run_worker(session_factory: Callable[[], Session], *, interval: float = 30.0,
               stop: threading.Event | None = None, once: bool = False) -> None:
    """`gongzhi worker`: sweep deadlines and deliver the outbox, forever (or once)."""
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
