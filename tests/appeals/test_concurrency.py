"""Concurrent requests on one appeal, in real concurrent transactions: threads, each with its own session and
connection, on a live database of the run's backend (a new SQLite file, or a new PostgreSQL database), started
together at a barrier.

- 50 handlers accepting one dispatched appeal: exactly one succeeds; every other one gets 409
  (stale_version when it lost the race at the write, invalid_transition when it read the appeal after the
  winner committed), and the timeline holds one accept event.
- 100 parallel retries of one intake (the same Idempotency-Key from one user; the same external id on a
  12345 transfer): every retry answers the same appeal; there is one appeal row, one receive event and one
  key row.

Each property is checked at the service layer (what every face calls) and through the JSON API (the status
codes and the Idempotency-Key header as clients see them). Nothing here is PostgreSQL-specific: on SQLite
the threads' connections share the database file, and SQLite's one-writer lock serialises them.

The group-commit intake (gongzhi.appeals.intake_batch) is held to the same: concurrent intakes each get their
own appeal with its receive event, a retried Idempotency-Key still gives one appeal, the errors are the
classic path's, and the 201 body is what GET answers for the stored appeal.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from gongzhi.appeals import service
from gongzhi.appeals.models import Appeal, AppealEvent, IdempotencyKey
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core.db import unit_of_work
from gongzhi.core.errors import AppError
from tests.appeals import live_db
from tests.appeals.live_db import LiveCity

T = TypeVar("T")
ACCEPTORS = 50
RETRIES = 100


@pytest.fixture(scope="module")
def live(pytestconfig: pytest.Config) -> Iterator[LiveCity]:
    """A database of this module's own on the run's backend, with the tiny city, accounts and a catalog."""
    backend = pytestconfig.getoption("--backend")
    with live_db.new_database(backend, prefix="gongzhi_conc") as url, live_db.pointed_at(url):
        yield live_db.build(url)


def race(n: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run work(0) … work(n-1) in n threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(n, timeout=60)

    def one(i: int) -> T | BaseException:
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def in_session(live: LiveCity, fn: Callable[[Any], T]) -> T:
    """fn(session) in one transaction on a connection of its own, committed when fn returns."""
    session = live.session()
    try:
        with unit_of_work(session):
            return fn(session)
    finally:
        session.close()


def dispatched_to_department(live: LiveCity, title: str) -> int:
    """A resident's appeal, registered and dispatched by the community to our department: what `handler`
    may accept."""
    lat, lon = live.grid_point

    def _intake(s: Any) -> int:
        data = AppealCreate(title=title, description="并发测试", lat=lat, lon=lon,
                            matter_code=live.matters["department"])
        return service.intake(s, live_db.principal(s, "resident"), data).appeal.id

    appeal_id = in_session(live, _intake)
    for action in ("register", "dispatch"):
        in_session(live, lambda s, a=action: service.act(s, live_db.principal(s, "community"), appeal_id, a,
                                                         ActionBody()))
    status, tier = in_session(live, lambda s: s.execute(select(Appeal.status, Appeal.tier)
                                                        .where(Appeal.id == appeal_id)).one())
    assert (status, tier) == ("dispatched", "department")
    return appeal_id


def events(live: LiveCity, appeal_id: int) -> list[tuple[int, str]]:
    return in_session(live, lambda s: list(s.execute(select(AppealEvent.seq, AppealEvent.action)
                                                     .where(AppealEvent.appeal_id == appeal_id)
                                                     .order_by(AppealEvent.seq)).tuples()))


def count_appeals(live: LiveCity, **where: Any) -> int:
    stmt = select(func.count()).select_from(Appeal).filter_by(**where)
    return int(in_session(live, lambda s: s.scalar(stmt)))


def assert_one_accept(live: LiveCity, appeal_id: int) -> None:
    assert [a for _, a in events(live, appeal_id)] == ["receive", "register", "dispatch", "accept"]
    assert [seq for seq, _ in events(live, appeal_id)] == [1, 2, 3, 4]
    status, seq = in_session(live, lambda s: s.execute(
        select(Appeal.status, Appeal.event_seq).where(Appeal.id == appeal_id)).one())
    assert (status, seq) == ("accepted", 4)


def app_client(live: LiveCity, *, group_commit: bool = False) -> Any:
    """The real app whose requests each open their own session on the live database (one transaction per
    request, as served); without the suite's rolled-back session override. With `group_commit`, intake goes
    through gongzhi.appeals.intake_batch."""
    from fastapi.testclient import TestClient

    from gongzhi.app import create_app
    from gongzhi.appeals import intake_batch
    from gongzhi.core.web import get_session

    app = intake_batch.create_app() if group_commit else create_app()

    def _session() -> Iterator[Any]:
        session = live.session()
        try:
            with unit_of_work(session):
                yield session
        finally:
            session.close()

    app.dependency_overrides[get_session] = _session
    return TestClient(app, raise_server_exceptions=False)


def error_code(r: Any) -> str | None:
    """The error code of an answer (None for a success; the start of the body when it is not our JSON)."""
    if r.status_code < 400:
        return None
    try:
        return str(r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return r.text[:60]


def token(client: Any, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": live_db.PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class TestManyAcceptOne:
    def test_service_one_of_50_accepts(self, live: LiveCity) -> None:
        appeal_id = dispatched_to_department(live, "并发接单（服务层）")

        def accept(_i: int) -> int:
            return in_session(live, lambda s: service.act(s, live_db.principal(s, "handler"), appeal_id, "accept",
                                                          ActionBody()).version)

        results = race(ACCEPTORS, accept)
        wins = [r for r in results if not isinstance(r, BaseException)]
        losses = [r for r in results if isinstance(r, BaseException)]
        unexpected = [repr(e) for e in losses if not (isinstance(e, AppError) and e.status == 409)]
        assert not unexpected, unexpected[:5]
        assert len(wins) == 1, Counter(getattr(e, "code", type(e).__name__) for e in losses)
        assert {e.code for e in losses} <= {"stale_version", "invalid_transition"}  # type: ignore[attr-defined]
        assert_one_accept(live, appeal_id)

    def test_api_one_of_50_accepts(self, live: LiveCity) -> None:
        appeal_id = dispatched_to_department(live, "并发接单（接口）")
        client = app_client(live)
        headers = token(client, "handler")
        results = race(ACCEPTORS, lambda _i: client.post(f"/api/v1/appeals/{appeal_id}/accept", json={},
                                                        headers=headers))
        assert not [r for r in results if isinstance(r, BaseException)]
        codes = Counter((r.status_code, error_code(r)) for r in results)  # type: ignore[arg-type]
        assert codes[(200, None)] == 1, codes
        assert sum(n for (status, _), n in codes.items() if status == 409) == ACCEPTORS - 1, codes
        assert {code for (status, code) in codes if status == 409} <= {"stale_version", "invalid_transition"}
        assert_one_accept(live, appeal_id)


class TestIdempotentIntake:
    def test_service_same_key_100_retries_one_appeal(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        title = "幂等受理（服务层，同一Idempotency-Key）"
        data = AppealCreate(title=title, lat=lat, lon=lon, matter_code=live.matters["grid"])

        def submit(_i: int) -> tuple[int, bool]:
            def _go(s: Any) -> tuple[int, bool]:
                p = live_db.principal(s, "resident")
                r = service.intake(s, p, data, idempotency_key=service.idempotency_scope(p, "retry-svc-1"))
                return r.appeal.id, r.created
            return in_session(live, _go)

        results = race(RETRIES, submit)
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        assert not errors, errors[:5]
        ids = Counter(r[0] for r in results)  # type: ignore[index]
        assert len(ids) == 1, ids
        assert sum(1 for r in results if r[1]) == 1  # type: ignore[index]
        (appeal_id,) = ids
        assert count_appeals(live, title=title) == 1
        assert events(live, appeal_id) == [(1, "receive")]
        keys = in_session(live, lambda s: s.scalar(select(func.count()).select_from(IdempotencyKey)
                                                   .where(IdempotencyKey.appeal_id == appeal_id)))
        assert keys == 1

    def test_service_same_external_id_100_transfers_one_appeal(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        title = "12345转办（服务层，同一external_id）"
        data = AppealCreate(title=title, lat=lat, lon=lon, channel="transfer", external_id="12345-2026-000001",
                            matter_code=live.matters["street"], reporter_name="张先生", reporter_phone="13800138000")

        def submit(_i: int) -> tuple[int, bool]:
            def _go(s: Any) -> tuple[int, bool]:
                r = service.intake(s, live_db.principal(s, "community"), data)
                return r.appeal.id, r.created
            return in_session(live, _go)

        results = race(RETRIES, submit)
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        assert not errors, errors[:5]
        assert len({r[0] for r in results}) == 1  # type: ignore[index]
        assert sum(1 for r in results if r[1]) == 1  # type: ignore[index]
        assert count_appeals(live, channel="transfer", external_id="12345-2026-000001") == 1
        assert events(live, results[0][0]) == [(1, "receive")]  # type: ignore[index]

    def test_api_same_key_100_retries_one_appeal(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        client = app_client(live)
        headers = {**token(client, "resident"), "Idempotency-Key": "retry-api-1"}
        title = "幂等受理（接口，同一Idempotency-Key）"
        body = {"title": title, "lat": lat, "lon": lon, "matter_code": live.matters["grid"]}
        results = race(RETRIES, lambda _i: client.post("/api/v1/appeals", json=body, headers=headers))
        assert not [r for r in results if isinstance(r, BaseException)]
        statuses = Counter(r.status_code for r in results)  # type: ignore[union-attr]
        assert statuses == {201: 1, 200: RETRIES - 1}, statuses
        ids = {r.json()["id"] for r in results}  # type: ignore[union-attr]
        assert len(ids) == 1
        assert all(r.headers.get("Idempotent-Replayed") == "true" for r in results  # type: ignore[union-attr]
                   if r.status_code == 200)  # type: ignore[union-attr]
        assert count_appeals(live, title=title) == 1
        assert events(live, ids.pop()) == [(1, "receive")]

    def test_api_same_external_id_100_transfers_one_appeal(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        client = app_client(live)
        headers = token(client, "community")
        body = {"title": "12345转办（接口，同一external_id）", "lat": lat, "lon": lon, "channel": "transfer",
                "external_id": "12345-2026-000002", "matter_code": live.matters["community"]}
        results = race(RETRIES, lambda _i: client.post("/api/v1/appeals", json=body, headers=headers))
        assert not [r for r in results if isinstance(r, BaseException)]
        statuses = Counter(r.status_code for r in results)  # type: ignore[union-attr]
        assert statuses == {201: 1, 200: RETRIES - 1}, statuses
        ids = {r.json()["id"] for r in results}  # type: ignore[union-attr]
        assert len(ids) == 1
        assert count_appeals(live, channel="transfer", external_id="12345-2026-000002") == 1
        assert events(live, ids.pop()) == [(1, "receive")]


class TestGroupCommit:
    """The group-commit intake route, many requests at once, through the app."""

    def test_100_concurrent_intakes_each_committed_with_its_timeline(self, live: LiveCity) -> None:
        from gongzhi.appeals import intake_batch

        client = app_client(live, group_commit=True)
        headers = token(client, "resident")
        points, codes = live.grid_points, list(live.matters.values())
        before = intake_batch.committer().batches
        results = race(RETRIES, lambda i: client.post("/api/v1/appeals", headers=headers, json={
            "title": f"合并提交 {i}", "description": "并发受理", "lat": points[i % len(points)][0],
            "lon": points[i % len(points)][1], "matter_code": codes[i % len(codes)]}))
        assert not [r for r in results if isinstance(r, BaseException)]
        assert Counter(r.status_code for r in results) == {201: RETRIES}  # type: ignore[union-attr]
        ids = [r.json()["id"] for r in results]  # type: ignore[union-attr]
        assert len(set(ids)) == RETRIES
        assert intake_batch.committer().batches - before < RETRIES  # some requests shared a commit
        stored = in_session(live, lambda s: dict(s.execute(
            select(Appeal.id, Appeal.status).where(Appeal.id.in_(ids))).tuples().all()))
        assert set(stored) == set(ids)
        assert set(stored.values()) == {"received"}
        firsts = in_session(live, lambda s: s.execute(
            select(AppealEvent.appeal_id, AppealEvent.action).where(AppealEvent.appeal_id.in_(ids),
                                                                    AppealEvent.seq == 1)).tuples().all())
        assert sorted(firsts) == sorted((i, "receive") for i in ids)

    def test_same_key_100_retries_one_appeal(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        client = app_client(live, group_commit=True)
        headers = {**token(client, "resident"), "Idempotency-Key": "retry-batch-1"}
        title = "幂等受理（合并提交，同一Idempotency-Key）"
        body = {"title": title, "lat": lat, "lon": lon, "matter_code": live.matters["grid"]}
        results = race(RETRIES, lambda _i: client.post("/api/v1/appeals", json=body, headers=headers))
        assert not [r for r in results if isinstance(r, BaseException)]
        assert Counter(r.status_code for r in results) == {201: 1, 200: RETRIES - 1}  # type: ignore[union-attr]
        ids = {r.json()["id"] for r in results}  # type: ignore[union-attr]
        assert len(ids) == 1
        assert count_appeals(live, title=title) == 1
        assert events(live, ids.pop()) == [(1, "receive")]

    def test_answer_is_what_get_shows(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        client = app_client(live, group_commit=True)
        headers = token(client, "resident")
        for tier in ("grid", "community", "street", "department"):
            r = client.post("/api/v1/appeals", headers=headers, json={
                "title": f"答复一致（{tier}）", "description": "对照", "lat": lat, "lon": lon,
                "reporter_phone": "13900139000", "matter_code": live.matters[tier]})
            assert r.status_code == 201, r.text
            created = r.json()
            assert r.headers["Location"] == f"/api/v1/appeals/{created['id']}"
            shown = client.get(f"/api/v1/appeals/{created['id']}", headers=headers).json()
            assert {k: v for k, v in created.items() if k not in ("duplicates", "suggested_matters")} == shown
            assert (created["version"], created["reporter"]["phone"]) == (1, "139****9000")

    def test_errors_are_the_classic_ones(self, live: LiveCity) -> None:
        lat, lon = live.grid_point
        client = app_client(live, group_commit=True)
        headers = token(client, "resident")
        ok = {"title": "错误对照", "lat": lat, "lon": lon, "matter_code": live.matters["grid"]}
        cases = [
            ({}, {**ok}, 401, "unauthorized"),
            ({"Authorization": "Bearer forged"}, {**ok}, 401, "unauthorized"),
            (headers, {**ok, "matter_code": "NO-SUCH"}, 422, "unknown_matter"),
            (headers, {**ok, "lat": 10.0, "lon": 10.0}, 422, "outside_grids"),
            (headers, {**ok, "channel": "hotline"}, 403, "channel_not_allowed"),
            (headers, {**ok, "title": "x"}, 422, "validation_failed"),
        ]
        for h, body, status, code in cases:
            r = client.post("/api/v1/appeals", headers=h, json=body)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
