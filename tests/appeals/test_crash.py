"""A 201 means committed: a server taking appeals from several clients is killed with SIGKILL mid-load (no
shutdown, no flush, no chance to finish a transaction), and afterwards every appeal whose creation was
acknowledged is in the database — received, with its receive event — and no appeal is there half-written.

The server is the real command, `gongzhi serve --no-worker`, on a database of its own of the run's backend
(a new SQLite file, or a new PostgreSQL database); the database is opened again after the kill (for SQLite,
recovering from the write-ahead log the dead process left). The same holds for the group-commit intake
(gongzhi.appeals.intake_batch), which acknowledges a whole batch after one commit."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gongzhi.appeals.models import Appeal, AppealEvent
from tests.appeals import live_db
from tests.appeals.live_db import LiveCity

CLIENTS = 8
KILL_AFTER = 1.5  # seconds of load before the kill
MIN_ACKED = 20  # …and at least this many acknowledged appeals


@pytest.fixture
def live(pytestconfig: pytest.Config) -> Iterator[LiveCity]:
    backend = pytestconfig.getoption("--backend")
    with live_db.new_database(backend, prefix="gongzhi_crash") as url, live_db.pointed_at(url):
        yield live_db.build(url)


def load(base: str, token: str, live: LiveCity, stop: threading.Event, acked: list[int],
         refused: list[str], worker: int) -> None:
    """Send appeals one after another until the server is gone; note every 201's id (list.append is atomic)."""
    points = live.grid_points
    headers = {"Authorization": f"Bearer {token}"}
    matters = list(live.matters.values())
    with httpx.Client(base_url=base, timeout=30) as client:
        i = 0
        while not stop.is_set():
            lat, lon = points[(worker * 7 + i) % len(points)]
            body = {"title": f"崩溃测试 {worker}-{i}", "description": "服务器将被强行终止", "lat": lat, "lon": lon,
                    "matter_code": matters[i % len(matters)]}
            try:
                r = client.post("/api/v1/appeals", json=body, headers=headers)
            except httpx.TransportError:  # the server died under us: this one was never acknowledged
                return
            if r.status_code == 201:
                acked.append(int(r.json()["id"]))
            else:
                refused.append(f"{r.status_code} {r.text[:200]}")
            i += 1


@pytest.mark.parametrize("group_commit", [False, True], ids=["gongzhi-serve", "group-commit"])
def test_acknowledged_appeals_survive_sigkill(live: LiveCity, tmp_path: Path, group_commit: bool) -> None:
    server = live_db.start_server(live.url, log=tmp_path / "server.log", group_commit=group_commit)
    try:
        token = live_db.login(server.base, "resident")
        stop = threading.Event()
        acked: list[int] = []
        refused: list[str] = []
        threads = [threading.Thread(target=load, args=(server.base, token, live, stop, acked, refused, w),
                                    daemon=True) for w in range(CLIENTS)]
        for t in threads:
            t.start()
        started = time.monotonic()
        while time.monotonic() - started < KILL_AFTER or len(acked) < MIN_ACKED:
            assert time.monotonic() - started < 60, f"only {len(acked)} appeals acknowledged in 60 s"
            assert server.proc.poll() is None, server.log.read_text(errors="replace")[-3000:]
            time.sleep(0.05)
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert server.proc.returncode == -signal.SIGKILL
    finally:
        live_db.stop_server(server)
    assert not refused, refused[:5]
    assert len(acked) >= MIN_ACKED

    engine = live.engine()
    engine.dispose()  # nothing of before the kill: a fresh connection reads what is on disk
    with live.session() as s:
        rows = {r.id: r for r in s.execute(select(Appeal.id, Appeal.status, Appeal.event_seq)
                                             .where(Appeal.title.like("崩溃测试 %")))}
        first_events: dict[int, Any] = {e.appeal_id: e for e in s.execute(
            select(AppealEvent.appeal_id, AppealEvent.action, AppealEvent.to_status)
            .where(AppealEvent.seq == 1, AppealEvent.appeal_id.in_(list(rows) or [-1])))}
    missing = sorted(set(acked) - set(rows))
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged appeals lost: {missing[:20]}"
    for appeal_id in acked:
        assert rows[appeal_id].status == "received", rows[appeal_id]
        assert appeal_id in first_events, f"appeal {appeal_id} acknowledged without its receive event"
        assert (first_events[appeal_id].action, first_events[appeal_id].to_status) == ("receive", "received")
    # Appeals whose request was cut off may or may not be there, but never without their timeline.
    half = sorted(i for i in rows if i not in first_events)
    assert not half, f"{len(half)} appeals stored without their receive event: {half[:20]}"
