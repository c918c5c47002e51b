"""Notifications (通知): telling people that something they care about moved.

Two ways out, both written in the caller's transaction, so a change and the news of it commit or vanish together:

- `notify()` — in-app messages (站内消息) in each user's message centre, with an unread badge in the top bar.
- `enqueue()` — an SMS or WeChat message in the outbox. It is sent only after the transaction commits: an
  after-commit hook hands the new rows to a background thread of this process, which sends them with a session
  of its own, so the request does not wait for the gateway. A session bound to one connection rather than to
  the engine (the tests; a caller managing its own connection) is delivered on that connection, in the
  committing thread, right after the commit, since a connection cannot be shared between threads. A rollback
  sends nothing.

Nothing is lost: if the process dies before sending, or the gateway fails, the row stays `pending`, and the
worker's job `deliver_pending()` sends it later — after 1, 2, 4, 8 minutes of backoff, and gives up (`failed`)
after the fifth attempt. Each attempt first claims the row (one UPDATE, a compare-and-set; see
`repository.claim`), so several senders — worker processes, the after-commit thread — never send one item twice
while the claim holds. Delivery is at least once: a sender that dies after the gateway accepted a message but
before recording it sends that message again after the lease (5 minutes).

Message centre reads (`list_messages`, `unread_count`, `mark_read`) see only the acting user's own messages.
See docs/notifications.md."""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction

from gongzhi.core import crypto
from gongzhi.core.auth import Principal
from gongzhi.core.db import now
from gongzhi.core.errors import NotFound, ValidationFailed
from gongzhi.core.web import Page, PageParams
from gongzhi.notify import repository
from gongzhi.notify.gateways import Gateway, LoggingGateway, gateway_for, mask, set_gateway
from gongzhi.notify.models import CHANNELS, Message, OutboxItem

__all__ = ["BACKOFF_BASE", "CLAIM_LEASE", "MAX_ATTEMPTS", "DeliveryReport", "Gateway", "LoggingGateway",
           "backoff", "deliver", "deliver_pending", "enqueue", "gateway_for", "get_message", "list_messages",
           "mark_read", "notify", "set_gateway", "unread_count", "wait_for_deliveries"]

log = logging.getLogger("gongzhi.notify")

MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)
CLAIM_LEASE = dt.timedelta(minutes=5)  # longer than any gateway may take to answer
TITLE_MAX, LINK_MAX, KIND_MAX = 120, 200, 20
_ENQUEUED = "gongzhi.notify.enqueued"  # session.info: outbox ids written in the current transaction


# ---- in-app messages -----------------------------------------------------------------------------------

def notify(session: Session, user_ids: Iterable[int], *, title: str, body: str, link: str = "",
           kind: str = "appeal", appeal_id: int | None = None) -> int:
    """Put one message into each user's message centre, in the caller's transaction: it appears when the change
    it reports commits. Each user once, however often listed; accounts that are gone or disabled are skipped
    (a stale follower must not break a transition). `link` is a path inside the app ("/appeals/123").
    Returns how many messages were written."""
    return notify_many(session, [(user_ids, {"title": title, "body": body, "link": link, "kind": kind,
                                             "appeal_id": appeal_id})])


def notify_many(session: Session, batch: Iterable[tuple[Iterable[int], dict[str, Any]]]) -> int:
    """`notify` for many messages at once (the deadline sweep's thousands): each item is the users and the
    message (title, body, link, kind, appeal_id); one lookup of the active accounts, one insert."""
    checked: list[tuple[list[int], dict[str, Any]]] = []
    for user_ids, msg in batch:
        link, kind, title = msg.get("link", ""), msg.get("kind", "appeal"), msg["title"]
        if link and (not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX):
            raise ValueError(f"link must be a path inside the app of at most {LINK_MAX} characters: {link!r}")
        if not kind or len(kind) > KIND_MAX:
            raise ValueError(f"kind must be 1–{KIND_MAX} characters: {kind!r}")
        wanted = list(dict.fromkeys(int(u) for u in user_ids if u is not None))
        if wanted:
            title = title if len(title) <= TITLE_MAX else title[:TITLE_MAX - 1] + "…"
            checked.append((wanted, {"title": title, "body": msg["body"], "link": link, "kind": kind,
                                     "appeal_id": msg.get("appeal_id")}))
    if not checked:
        return 0
    active = repository.active_user_ids(session, list({u for wanted, _ in checked for u in wanted}))
    at = now()
    rows = [{"user_id": uid, **msg, "created_at": at, "read_at": None}
            for wanted, msg in checked for uid in wanted if uid in active]
    repository.add_messages(session, rows)
    return len(rows)


def list_messages(session: Session, principal: Principal, *, unread_only: bool = False,
                  page: PageParams | None = None) -> Page:
    """The user's own messages, newest first (`page.q` searches the titles)."""
    page = page or PageParams(page=1, size=20, q=None)
    rows, total = repository.page(session, principal, unread_only=unread_only, q=page.q, offset=page.offset,
                                  limit=page.size)
    return Page(items=rows, total=total, page=page.page, size=page.size)


def unread_count(session: Session, principal: Principal) -> int:
    return repository.count_unread(session, principal)


def get_message(session: Session, principal: Principal, message_id: int) -> Message:
    """One of the user's own messages; anyone else's is "not found", so nothing tells that it exists."""
    message = repository.get(session, principal, message_id)
    if message is None:
        raise NotFound()
    return message


def mark_read(session: Session, principal: Principal, ids: Iterable[int] | Literal["all"]) -> int:
    """Mark the user's messages read: the given ids, or "all". An id that is not one of the user's own messages
    (another user's, or none at all) refuses the whole request with NotFound and changes nothing. Returns how
    many were unread."""
    if ids == "all":
        return repository.mark_read(session, principal, None, now())
    wanted = {int(i) for i in ids}
    if not wanted:
        return 0
    if repository.owned_ids(session, principal, wanted) != wanted:
        raise NotFound()
    return repository.mark_read(session, principal, wanted, now())


# ---- the outbox ------------------------------------------------------------------------------------------

def _recipient(channel: str, recipient: str) -> str:
    value = (recipient or "").strip()
    if channel == "sms":
        value = crypto.normalise(value)
        ok = value.removeprefix("+").isdigit() and 5 <= len(value) <= 20
    else:
        ok = 0 < len(value) <= 128 and value.isprintable() and " " not in value
    if not ok:
        raise ValidationFailed("接收人无效", code="bad_recipient", details={"channel": channel})
    return value


def enqueue(session: Session, channel: str, recipient: str, body: str, dedupe_key: str | None = None) -> OutboxItem:
    """Ask for an SMS ("sms", to a phone number) or a WeChat message ("wechat", to an openid) to be sent once the
    caller's transaction commits — never before, and not at all if it rolls back. The recipient is stored
    encrypted. With a `dedupe_key` the same key enqueues once: the existing item is returned (a retried
    request, a repeated sweep). Raises ValidationFailed for a recipient that cannot be one."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}: {channel!r}")
    if dedupe_key is not None and len(dedupe_key) > 120:
        raise ValueError("dedupe_key is at most 120 characters")
    to = _recipient(channel, recipient)
    if dedupe_key is not None:
        existing = repository.outbox_by_key(session, dedupe_key)
        if existing is not None:
            return existing
    at = now()
    item = repository.add_outbox_item(session, {
        "channel": channel, "to_enc": crypto.encrypt(to), "to_masked": mask(channel, to), "body": body,
        "status": "pending", "attempts": 0, "next_attempt_at": at, "created_at": at, "dedupe_key": dedupe_key})
    if item is None:  # the key was taken meanwhile, by a transaction that has committed: that row stands
        existing = repository.outbox_by_key(session, dedupe_key) if dedupe_key is not None else None
        if existing is None:
            raise RuntimeError(f"outbox: dedupe key {dedupe_key!r} conflicted, but no row holds it")
        return existing
    session.info.setdefault(_ENQUEUED, []).append(item.id)
    return item


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, 8 minutes…, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass
class DeliveryReport:
    """What one delivery run did, for the worker's log."""

    sent: int = 0
    retrying: int = 0  # failed this time; tried again after the backoff
    failed: int = 0  # given up

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def deliver_pending(session: Session, limit: int = 100) -> DeliveryReport:
    """The worker's job ("notify.deliver_pending", every minute or so): send up to `limit` due outbox items —
    those whose after-commit delivery failed or never ran. Safe to run in several processes at once. It commits
    (the claim before sending, each outcome after), so give it a session of its own."""
    return _deliver(session, ids=None, limit=limit)


def deliver(session: Session, ids: Iterable[int]) -> DeliveryReport:
    """Send these outbox items now, if they are still due (what the after-commit hook does). Commits."""
    wanted = sorted({int(i) for i in ids})
    return _deliver(session, ids=wanted, limit=len(wanted)) if wanted else DeliveryReport()


def _deliver(session: Session, *, ids: list[int] | None, limit: int) -> DeliveryReport:
    report = DeliveryReport()
    at = now()
    if ids is None:
        report.failed += repository.give_up_expired(session, at=at, max_attempts=MAX_ATTEMPTS)
    claimed = repository.claim(session, at=at, lease_until=at + CLAIM_LEASE, limit=limit,
                               max_attempts=MAX_ATTEMPTS, ids=ids)
    session.commit()  # the claim holds from here; no transaction stays open while a gateway is talked to
    for item in claimed:
        try:
            gateway_for(item.channel).send(crypto.decrypt(item.to_enc), item.body)
        except Exception as exc:  # any failure of a gateway (or its set-up) is a failed attempt, retried
            error = f"{type(exc).__name__}: {exc}"
            if item.attempts >= MAX_ATTEMPTS:
                status, next_at = "failed", now()
                report.failed += 1
            else:
                status, next_at = "pending", now() + backoff(item.attempts)
                report.retrying += 1
            log.warning("outbox %s: attempt %s of %s failed (%s): %s", item.id, item.attempts, MAX_ATTEMPTS,
                        status, error)
            repository.record_failure(session, item.id, attempts=item.attempts, error=error, status=status,
                                      next_attempt_at=next_at)
        else:
            repository.record_sent(session, item.id, at=now())
            report.sent += 1
        session.commit()  # each outcome at once: a crash later does not resend what was sent
    return report


# ---- after commit ----------------------------------------------------------------------------------------

class _Dispatcher:
    """One background thread per process that delivers what committed transactions enqueued, so a request
    answers without waiting for a gateway. Items it has not reached when the process ends stay pending, and
    the worker sends them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[Engine, list[int]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, engine: Engine, ids: list[int]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                if self._pid != os.getpid():  # a forked worker process inherits no thread: start afresh
                    self._queue = queue.Queue()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name="gongzhi-notify",
                                                daemon=True)
                self._thread.start()
            self._queue.put((engine, ids))

    @staticmethod
    def _run(jobs: queue.Queue[tuple[Engine, list[int]]]) -> None:
        while True:
            engine, ids = jobs.get()
            try:
                with Session(bind=engine, expire_on_commit=False) as session:
                    deliver(session, ids)
            except Exception:  # the items stay pending; the worker retries them
                log.exception("outbox %s: delivery after commit failed; left to the worker", ids)
            finally:
                jobs.task_done()

    def wait(self, timeout: float | None = None) -> bool:
        """Until everything submitted so far is delivered (True), or the timeout passes (False)."""
        jobs = self._queue
        deadline = None if timeout is None else time.monotonic() + timeout
        with jobs.all_tasks_done:
            while jobs.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                jobs.all_tasks_done.wait(remaining)
        return True


_dispatcher = _Dispatcher()


def wait_for_deliveries(timeout: float | None = None) -> bool:
    """Block until the after-commit thread has delivered what was handed to it (tests; a clean shutdown)."""
    return _dispatcher.wait(timeout)


def _hand_over(session: Session, ids: list[int]) -> None:
    bind: Any = session.get_bind(OutboxItem)
    if isinstance(bind, Engine):
        _dispatcher.submit(bind, ids)
    elif isinstance(bind, Connection):
        with Session(bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False) as inline:
            deliver(inline, ids)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction has not committed yet
        return
    ids = session.info.pop(_ENQUEUED, None)
    if not ids:
        return
    try:
        _hand_over(session, ids)
    except Exception:  # the commit has happened; a failed hand-over is the worker's to finish
        log.exception("outbox %s: hand-over after commit failed; left to the worker", ids)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without committing (rolled back, or its session closed) sends nothing."""
    if transaction.parent is None:
        session.info.pop(_ENQUEUED, None)
