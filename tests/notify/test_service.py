"""Notifications: in-app messages (written in the caller's transaction, read by their owner only) and the
outbox (sent after commit only, retried with backoff, given up after five attempts, sent once by racing
senders, recipients kept encrypted)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from gongzhi.accounts.models import User
from gongzhi.core import crypto
from gongzhi.core.db import now
from gongzhi.core.errors import NotFound, ValidationFailed
from gongzhi.core.web import PageParams
from gongzhi.notify import gateways as gw
from gongzhi.notify import repository, service
from gongzhi.notify.gateways import LoggingGateway
from gongzhi.notify.models import Message, OutboxItem
from tests import factories as f
from tests.notify.factories import make_message, user_id


class Clock:
    """The service's clock, moved by hand."""

    def __init__(self) -> None:
        self.t = now()

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, delta: dt.timedelta) -> None:
        self.t += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(service, "now", c)
    return c


class Flaky:
    """A gateway that fails its first `failures` calls (all of them with failures=-1)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.sent: list[tuple[str, str]] = []

    def send(self, recipient: str, body: str) -> None:
        self.calls += 1
        if self.failures < 0 or self.calls <= self.failures:
            raise ConnectionError("gateway down")
        self.sent.append((recipient, body))


def fresh(session: Session, item_id: int) -> OutboxItem:
    """The row as stored now (delivery writes through a session of its own)."""
    return session.scalars(select(OutboxItem).where(OutboxItem.id == item_id)
                           .execution_options(populate_existing=True)).one()


def stored_item(session: Session, phone: str, body: str = "测试", **values: Any) -> OutboxItem:
    """An outbox row written straight through the ORM: no after-commit delivery is asked for."""
    columns: dict[str, Any] = {"channel": "sms", "to_enc": crypto.encrypt(phone), "to_masked": crypto.mask_phone(phone),
                               "body": body, "status": "pending", "attempts": 0, "next_attempt_at": service.now(),
                               "created_at": service.now()}
    item = OutboxItem(**{**columns, **values})
    session.add(item)
    session.commit()
    return item


# ---- in-app messages -------------------------------------------------------------------------------------

class TestNotify:
    def test_one_message_per_user_however_often_listed(self, session: Session) -> None:
        grid, community = user_id(session, "grid"), user_id(session, "community")
        n = service.notify(session, [grid, community, grid], title="诉求 #1：已派遣", body="请及时处理",
                           link="/appeals/1", appeal_id=1)
        assert n == 2
        rows = session.scalars(select(Message).where(Message.appeal_id == 1, Message.title == "诉求 #1：已派遣")).all()
        assert sorted(r.user_id for r in rows) == sorted([grid, community])
        assert all(r.read_at is None and r.kind == "appeal" and r.link == "/appeals/1" for r in rows)

    def test_written_in_the_callers_transaction(self, session: Session) -> None:
        uid = user_id(session, "grid")
        service.notify(session, [uid], title="回滚的消息", body="")
        session.rollback()
        assert f.count(session, Message, Message.title == "回滚的消息") == 0

    def test_disabled_and_unknown_accounts_are_skipped(self, session: Session) -> None:
        grid, party = user_id(session, "grid"), user_id(session, "party")
        session.execute(update(User).where(User.id == party).values(is_active=False))
        assert service.notify(session, [grid, party, 10**9], title="跳过", body="") == 1
        assert f.count(session, Message, Message.title == "跳过") == 1

    def test_nobody_is_nothing(self, session: Session) -> None:
        assert service.notify(session, [], title="无人", body="") == 0

    def test_a_long_title_is_shortened(self, session: Session) -> None:
        service.notify(session, [user_id(session, "grid")], title="长" * 200, body="", kind="deadline")
        row = session.scalars(select(Message).where(Message.title.startswith("长长"))).one()
        assert len(row.title) == 120
        assert row.title.endswith("…")
        assert row.kind == "deadline"

    @pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example", "appeals/1", "/" + "a" * 200])
    def test_link_must_be_a_path_inside_the_app(self, session: Session, link: str) -> None:
        with pytest.raises(ValueError, match="link"):
            service.notify(session, [user_id(session, "grid")], title="x", body="", link=link)


class TestListMessages:
    def test_a_user_sees_only_their_own(self, session: Session, principal: Any) -> None:
        mine = make_message(session, user="grid", title="给网格员")
        make_message(session, user="community", title="给社区")
        page = service.list_messages(session, principal("grid"))
        assert mine.id in {m.id for m in page.items}
        assert {m.user_id for m in page.items} == {user_id(session, "grid")}

    def test_unread_only_and_newest_first(self, session: Session, principal: Any) -> None:
        old = make_message(session, user="grid", title="旧", at=now() - dt.timedelta(days=1))
        read = make_message(session, user="grid", title="已读", read=True)
        new = make_message(session, user="grid", title="新")
        ids = [m.id for m in service.list_messages(session, principal("grid"), unread_only=True).items]
        assert read.id not in ids
        assert ids.index(new.id) < ids.index(old.id)

    def test_paging_and_search(self, session: Session, principal: Any) -> None:
        for i in range(5):
            make_message(session, user="volunteer", title=f"分页{i}")
        page = service.list_messages(session, principal("volunteer"), page=PageParams(page=2, size=2, q="分页"))
        assert page.total == 5
        assert page.pages == 3
        assert [m.title for m in page.items] == ["分页2", "分页1"]


class TestUnreadCount:
    def test_counts_own_unread_only(self, session: Session, principal: Any) -> None:
        before = service.unread_count(session, principal("party"))
        make_message(session, user="party")
        make_message(session, user="party", read=True)
        make_message(session, user="volunteer")
        assert service.unread_count(session, principal("party")) == before + 1


class TestMarkRead:
    def test_marks_the_given_own_messages(self, session: Session, principal: Any) -> None:
        a, b = make_message(session, user="grid"), make_message(session, user="grid")
        assert service.mark_read(session, principal("grid"), [a.id]) == 1
        assert session.get(Message, a.id).read_at is not None  # type: ignore[union-attr]
        assert session.get(Message, b.id).read_at is None  # type: ignore[union-attr]

    def test_another_users_message_is_not_found_and_nothing_changes(self, session: Session, principal: Any) -> None:
        mine, theirs = make_message(session, user="grid"), make_message(session, user="grid2")
        with pytest.raises(NotFound):
            service.mark_read(session, principal("grid"), [mine.id, theirs.id])
        session.expire_all()
        assert session.get(Message, mine.id).read_at is None  # type: ignore[union-attr]
        assert session.get(Message, theirs.id).read_at is None  # type: ignore[union-attr]

    def test_no_such_message_is_not_found(self, session: Session, principal: Any) -> None:
        with pytest.raises(NotFound):
            service.mark_read(session, principal("grid"), [10**9])

    def test_all_marks_only_the_users_own(self, session: Session, principal: Any) -> None:
        make_message(session, user="grid")
        make_message(session, user="grid")
        theirs = make_message(session, user="community")
        assert service.mark_read(session, principal("grid"), "all") >= 2
        assert service.unread_count(session, principal("grid")) == 0
        session.expire_all()
        assert session.get(Message, theirs.id).read_at is None  # type: ignore[union-attr]

    def test_reading_again_keeps_the_first_time(self, session: Session, principal: Any) -> None:
        m = make_message(session, user="grid", read=True)
        first = m.read_at
        assert service.mark_read(session, principal("grid"), [m.id]) == 0
        session.expire_all()
        assert session.get(Message, m.id).read_at == first  # type: ignore[union-attr]

    def test_get_message_of_another_user_is_not_found(self, session: Session, principal: Any) -> None:
        theirs = make_message(session, user="community")
        with pytest.raises(NotFound):
            service.get_message(session, principal("grid"), theirs.id)
        assert service.get_message(session, principal("community"), theirs.id).id == theirs.id


# ---- the outbox --------------------------------------------------------------------------------------------

class TestEnqueue:
    def test_the_recipient_is_never_stored_in_the_clear(self, session: Session) -> None:
        phone = f.new_phone()
        item = service.enqueue(session, "sms", f"{phone[:3]}-{phone[3:7]} {phone[7:]}", "您的诉求已办结")
        session.flush()
        raw = session.execute(text("SELECT * FROM outbox WHERE id = :id"), {"id": item.id}).mappings().one()
        for column, value in raw.items():
            if isinstance(value, bytes | bytearray | memoryview):
                assert phone.encode() not in bytes(value), column
                assert phone[-8:].encode() not in bytes(value), column
            else:
                assert phone not in str(value), column
                assert phone[3:7] not in str(value), column
        assert raw["to_masked"] == phone[:3] + "****" + phone[-4:]
        assert crypto.decrypt(bytes(raw["to_enc"])) == phone  # normalised: no spaces or dashes

    def test_wechat_recipient_is_an_openid(self, session: Session) -> None:
        item = service.enqueue(session, "wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "消息")
        assert item.to_masked == "oUpF***eS6o"
        assert crypto.decrypt(item.to_enc) == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

    @pytest.mark.parametrize(("channel", "recipient"), [("sms", ""), ("sms", "不是号码"), ("sms", "12"),
                                                       ("wechat", ""), ("wechat", "has space")])
    def test_a_recipient_that_cannot_be_one_is_refused(self, session: Session, channel: str,
                                                       recipient: str) -> None:
        with pytest.raises(ValidationFailed):
            service.enqueue(session, channel, recipient, "x")

    def test_unknown_channel(self, session: Session) -> None:
        with pytest.raises(ValueError, match="channel"):
            service.enqueue(session, "email", "a@b.c", "x")

    def test_the_same_dedupe_key_enqueues_once(self, session: Session, gateways: dict[str, LoggingGateway]) -> None:
        key = f"test:{f.unique_code()}"
        phone = f.new_phone()
        first = service.enqueue(session, "sms", phone, "一次", dedupe_key=key)
        again = service.enqueue(session, "sms", phone, "一次", dedupe_key=key)
        assert again.id == first.id
        session.commit()
        assert service.enqueue(session, "sms", phone, "一次", dedupe_key=key).id == first.id
        session.commit()
        assert f.count(session, OutboxItem, OutboxItem.dedupe_key == key) == 1
        assert gateways["sms"].sent == [(phone, "一次")]


    def test_racing_transactions_with_one_key_enqueue_once(self, engine: Engine,
                                                           gateways: dict[str, LoggingGateway]) -> None:
        # PostgreSQL: the second INSERT waits on the first's unique-index entry. SQLite: the second transaction
        # waits for the first's write lock (BEGIN IMMEDIATE). Either way the second finds the first's row.
        key, phone = f"test:{f.unique_code()}", f.new_phone()
        first = Session(bind=engine, expire_on_commit=False)
        item = service.enqueue(first, "sms", phone, "竞争", dedupe_key=key)  # not committed yet
        found: dict[str, int] = {}

        def second() -> None:
            with Session(bind=engine, expire_on_commit=False) as s:
                found["id"] = service.enqueue(s, "sms", phone, "竞争", dedupe_key=key).id
                s.commit()

        racer = threading.Thread(target=second)
        racer.start()
        try:
            racer.join(0.5)
            assert racer.is_alive()  # its INSERT waits for the first transaction
            first.commit()
            racer.join(20)
            assert found == {"id": item.id}
            assert service.wait_for_deliveries(20)
            assert gateways["sms"].sent == [(phone, "竞争")]
        finally:
            first.close()
            with Session(bind=engine) as s:
                s.execute(delete(OutboxItem).where(OutboxItem.dedupe_key == key))
                s.commit()


class TestAfterCommit:
    def test_nothing_is_sent_before_the_commit_and_once_after(self, session: Session,
                                                               gateways: dict[str, LoggingGateway]) -> None:
        phone = f.new_phone()
        item = service.enqueue(session, "sms", phone, "已受理")
        session.flush()
        assert gateways["sms"].sent == []
        session.commit()
        assert gateways["sms"].sent == [(phone, "已受理")]
        row = fresh(session, item.id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
        assert row.sent_at is not None
        session.commit()  # a later commit of the same session sends nothing again
        assert service.deliver_pending(session).attempted == 0
        assert gateways["sms"].sent == [(phone, "已受理")]

    def test_a_rollback_sends_nothing(self, session: Session, gateways: dict[str, LoggingGateway]) -> None:
        phone = f.new_phone()
        service.enqueue(session, "sms", phone, "回滚")
        session.rollback()
        session.commit()
        assert service.deliver_pending(session).attempted == 0
        assert gateways["sms"].sent == []
        assert f.count(session, OutboxItem, OutboxItem.body == "回滚") == 0

    def test_a_released_savepoint_is_not_the_commit(self, session: Session,
                                                     gateways: dict[str, LoggingGateway]) -> None:
        phone = f.new_phone()
        with session.begin_nested():
            service.enqueue(session, "sms", phone, "保存点")
        assert gateways["sms"].sent == []
        session.commit()
        assert gateways["sms"].sent == [(phone, "保存点")]

    def test_a_rolled_back_savepoint_sends_nothing(self, session: Session,
                                                   gateways: dict[str, LoggingGateway]) -> None:
        kept, dropped = f.new_phone(), f.new_phone()
        service.enqueue(session, "sms", kept, "保留")
        nested = session.begin_nested()
        service.enqueue(session, "wechat", "oDroppedOpenId1234", "撤销")
        service.enqueue(session, "sms", dropped, "撤销")
        nested.rollback()
        session.commit()
        assert gateways["sms"].sent == [(kept, "保留")]
        assert gateways["wechat"].sent == []

    def test_each_channel_has_its_gateway(self, session: Session, gateways: dict[str, LoggingGateway]) -> None:
        service.enqueue(session, "wechat", "oWeChatOpenId5678", "微信")
        session.commit()
        assert gateways["wechat"].sent == [("oWeChatOpenId5678", "微信")]
        assert gateways["sms"].sent == []

    def test_an_engine_bound_session_is_delivered_by_the_background_thread(self, engine: Engine) -> None:
        threads: list[str] = []

        class Recording:
            def send(self, _recipient: str, _body: str) -> None:
                threads.append(threading.current_thread().name)

        service.set_gateway("sms", Recording())
        with Session(bind=engine, expire_on_commit=False) as s:  # as requests and jobs get theirs
            item = service.enqueue(s, "sms", f.new_phone(), "后台")
            s.commit()
        try:
            assert service.wait_for_deliveries(20)
            assert threads == ["gongzhi-notify"]
            with Session(bind=engine) as s:
                assert s.get(OutboxItem, item.id).status == "sent"  # type: ignore[union-attr]
        finally:
            with Session(bind=engine) as s:
                s.execute(delete(OutboxItem).where(OutboxItem.id == item.id))
                s.commit()


class TestRetry:
    def test_a_failed_delivery_stays_pending_and_is_retried_after_the_backoff(
            self, session: Session, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
        flaky = Flaky(failures=1)
        service.set_gateway("sms", flaky)
        phone = f.new_phone()
        with caplog.at_level(logging.WARNING, logger="gongzhi.notify"):
            item = service.enqueue(session, "sms", phone, "重试")
            session.commit()  # the after-commit attempt fails
        row = fresh(session, item.id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == "ConnectionError: gateway down"
        assert row.next_attempt_at == clock() + service.backoff(1)
        assert phone not in caplog.text
        assert service.deliver_pending(session).attempted == 0  # not due yet
        clock.advance(service.backoff(1))
        report = service.deliver_pending(session)
        assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
        assert flaky.sent == [(phone, "重试")]
        row = fresh(session, item.id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)

    @pytest.mark.usefixtures("clock")
    def test_a_gateway_that_cannot_be_loaded_is_a_failed_attempt(self, session: Session,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        service.set_gateway("sms", None)
        monkeypatch.setattr(gw, "get_settings", lambda: type("S", (), {"sms_gateway": "no.such.module:Gw"})())
        item = service.enqueue(session, "sms", f.new_phone(), "坏配置")
        session.commit()
        row = fresh(session, item.id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "ModuleNotFoundError" in (row.last_error or "")


class TestBackoff:
    def test_the_delay_doubles_up_to_an_hour(self) -> None:
        minutes = [service.backoff(n).total_seconds() / 60 for n in range(1, 9)]
        assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]

    def test_failed_after_five_attempts_each_after_its_backoff(self, session: Session, clock: Clock) -> None:
        down = Flaky(failures=-1)
        service.set_gateway("sms", down)
        item = service.enqueue(session, "sms", f.new_phone(), "总失败")
        session.commit()
        for attempt in range(1, service.MAX_ATTEMPTS):
            row = fresh(session, item.id)
            assert (row.status, row.attempts, down.calls) == ("pending", attempt, attempt)
            assert row.next_attempt_at == clock() + service.backoff(attempt)
            clock.advance(service.backoff(attempt) - dt.timedelta(seconds=1))
            assert service.deliver_pending(session).attempted == 0  # a second early: nothing
            clock.advance(dt.timedelta(seconds=1))
            report = service.deliver_pending(session)
            assert report.attempted == 1
        assert report.failed == 1
        row = fresh(session, item.id)
        assert (row.status, row.attempts, down.calls) == ("failed", 5, 5)
        assert row.sent_at is None
        clock.advance(dt.timedelta(days=1))
        assert service.deliver_pending(session).attempted == 0
        assert down.calls == 5


class TestCrashedAttempt:
    def test_an_attempt_that_never_reported_back_is_retried_after_the_lease(
            self, session: Session, clock: Clock, gateways: dict[str, LoggingGateway]) -> None:
        phone = f.new_phone()
        item = stored_item(session, phone, "崩溃后重发")
        claimed = repository.claim(session, at=clock(), lease_until=clock() + service.CLAIM_LEASE, limit=10,
                                   max_attempts=service.MAX_ATTEMPTS, ids=[item.id])
        session.commit()  # … and the sender dies before sending
        assert [r.id for r in claimed] == [item.id]
        assert service.deliver_pending(session).attempted == 0  # the claim still holds
        clock.advance(service.CLAIM_LEASE)
        assert service.deliver_pending(session).sent == 1
        assert gateways["sms"].sent == [(phone, "崩溃后重发")]
        assert fresh(session, item.id).attempts == 2

    @pytest.mark.usefixtures("clock")
    def test_a_last_attempt_that_never_reported_back_is_given_up(self, session: Session,
                                                                 gateways: dict[str, LoggingGateway]) -> None:
        item = stored_item(session, f.new_phone(), attempts=service.MAX_ATTEMPTS)
        report = service.deliver_pending(session)
        assert report.failed >= 1
        row = fresh(session, item.id)
        assert row.status == "failed"
        assert row.last_error == "no report from the last attempt"
        assert gateways["sms"].sent == []

    @pytest.mark.usefixtures("clock")
    def test_a_run_takes_no_more_than_its_limit(self, session: Session, gateways: dict[str, LoggingGateway]) -> None:
        for _ in range(5):
            stored_item(session, f.new_phone())
        assert service.deliver_pending(session, limit=3).sent == 3
        assert len(gateways["sms"].sent) == 3
        assert service.deliver_pending(session, limit=3).sent == 2

    def test_a_claimed_item_is_not_claimed_again(self, session: Session, clock: Clock) -> None:
        item = stored_item(session, f.new_phone())
        args: dict[str, Any] = {"at": clock(), "lease_until": clock() + service.CLAIM_LEASE, "limit": 10,
                                "max_attempts": service.MAX_ATTEMPTS, "ids": [item.id]}
        assert len(repository.claim(session, **args)) == 1
        assert repository.claim(session, **args) == []


class TestConcurrentSenders:
    @pytest.fixture
    def committed_items(self, engine: Engine) -> Iterator[dict[int, str]]:
        """40 due outbox rows committed for real (each sender below has a connection of its own)."""
        items = {}
        with Session(bind=engine, expire_on_commit=False) as s:
            rows = [OutboxItem(channel="sms", to_enc=crypto.encrypt(p), to_masked=crypto.mask_phone(p), body=p,
                               status="pending", attempts=0, next_attempt_at=now(), created_at=now())
                    for p in (f.new_phone() for _ in range(40))]
            s.add_all(rows)
            s.commit()
            items = {r.id: r.body for r in rows}
        yield items
        with Session(bind=engine) as s:
            s.execute(delete(OutboxItem).where(OutboxItem.id.in_(items)))
            s.commit()

    def test_two_workers_send_each_item_exactly_once(self, engine: Engine, committed_items: dict[int, str]) -> None:
        lock = threading.Lock()
        sends: list[tuple[str, str]] = []

        class Slow:
            def send(self, recipient: str, _body: str) -> None:
                time.sleep(0.01)  # long enough for the other worker to come round
                with lock:
                    sends.append((threading.current_thread().name, recipient))

        service.set_gateway("sms", Slow())
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                with Session(bind=engine, expire_on_commit=False) as s:
                    start.wait()
                    while service.deliver_pending(s, limit=6).attempted:
                        pass
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, name=f"worker-{i}") for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        recipients = [r for _, r in sends]
        assert sorted(recipients) == sorted(committed_items.values())  # all of them, each once
        assert {name for name, _ in sends} == {"worker-0", "worker-1"}  # both took a share
        with Session(bind=engine) as s:
            statuses = s.scalars(select(OutboxItem.status).where(OutboxItem.id.in_(committed_items))).all()
            attempts = s.scalars(select(OutboxItem.attempts).where(OutboxItem.id.in_(committed_items))).all()
        assert set(statuses) == {"sent"}
        assert set(attempts) == {1}


# ---- gateways ------------------------------------------------------------------------------------------------

class PluggedGateway:
    """What an operator's plug-in looks like: made with no arguments, send() or raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, recipient: str, body: str) -> None:
        self.sent.append((recipient, body))


def make_plugged() -> PluggedGateway:
    return PluggedGateway()


class TestGateways:
    def test_logging_gateway_logs_the_masked_recipient(self, caplog: pytest.LogCaptureFixture) -> None:
        g = LoggingGateway("sms")
        with caplog.at_level(logging.INFO, logger="gongzhi.notify"):
            g.send("13912345678", "您好")
        assert "139****5678" in caplog.text
        assert "13912345678" not in caplog.text
        assert "您好" in caplog.text
        assert g.sent == [("13912345678", "您好")]

    @pytest.mark.parametrize("spec", ["tests.notify.test_service:PluggedGateway",
                                      "tests.notify.test_service.PluggedGateway",
                                      "tests.notify.test_service:make_plugged"])
    def test_a_dotted_path_plugs_a_gateway_in(self, spec: str) -> None:
        assert isinstance(gw.load(spec, "sms"), PluggedGateway)

    def test_logging_is_the_default(self) -> None:
        assert isinstance(gw.load("logging", "wechat"), LoggingGateway)

    def test_bad_specs(self) -> None:
        with pytest.raises(ValueError, match="sms_gateway"):
            gw.load("nodots", "sms")
        with pytest.raises(TypeError, match="send"):
            gw.load("tests.notify.test_service:Clock", "sms")

    def test_gateway_for_reads_the_settings_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        service.set_gateway("wechat", None)
        monkeypatch.setattr(gw, "get_settings",
                            lambda: type("S", (), {"wechat_gateway": "tests.notify.test_service:PluggedGateway"})())
        first = gw.gateway_for("wechat")
        assert isinstance(first, PluggedGateway)
        assert gw.gateway_for("wechat") is first
