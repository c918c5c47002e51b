"""Open311 API keys: stored only as a hash, shown once, revocable — through the service and the CLI."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gongzhi.cli import app as cli
from gongzhi.core.audit import AuditEvent
from gongzhi.core.db import unit_of_work
from gongzhi.core.errors import AppError, NotFound
from gongzhi.open311 import service as open311
from gongzhi.open311.formats import Open311Error
from gongzhi.open311.models import ApiKey


class TestCreateKey:
    def test_only_the_hash_is_stored(self, session: Session) -> None:
        key, raw = open311.create_key(session, "  市民通App  ")
        assert len(raw) >= 40
        assert key.name == "市民通App"
        assert key.prefix == raw[:8]
        assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest() != raw
        row = session.execute(select(ApiKey.__table__)).mappings().all()
        assert not any(raw in str(dict(r)) for r in row)

    def test_every_key_is_new(self, session: Session) -> None:
        raws = {open311.create_key(session, "a")[1] for _ in range(5)}
        assert len(raws) == 5

    @pytest.mark.parametrize("name", ["", "   ", "x" * 41])
    def test_a_name_is_required(self, session: Session, name: str) -> None:
        with pytest.raises(AppError):
            open311.create_key(session, name)

    def test_creation_is_audited_without_the_key(self, session: Session) -> None:
        key, raw = open311.create_key(session, "审计")
        ev = session.scalars(select(AuditEvent).where(AuditEvent.entity == "open311_keys",
                                                      AuditEvent.entity_id == str(key.id))).one()
        assert ev.action == "create"
        assert raw not in (ev.summary or "") + (ev.after or "")


class TestAuthenticate:
    def test_a_live_key(self, session: Session) -> None:
        key, raw = open311.create_key(session, "a")
        assert open311.authenticate(session, raw) is key
        assert key.last_used_at is not None

    @pytest.mark.parametrize("raw", [None, "", "wrong"])
    def test_missing_or_wrong_is_403(self, session: Session, raw: str | None) -> None:
        with pytest.raises(Open311Error) as exc:
            open311.authenticate(session, raw)
        assert exc.value.status == 403

    def test_revoked_is_403(self, session: Session) -> None:
        key, raw = open311.create_key(session, "a")
        open311.revoke_key(session, key.id)
        with pytest.raises(Open311Error) as exc:
            open311.authenticate(session, raw)
        assert exc.value.status == 403
        assert "停用" in exc.value.message


class TestRevokeKey:
    def test_revoking_twice_keeps_the_first_time(self, session: Session) -> None:
        key, _ = open311.create_key(session, "a")
        first = open311.revoke_key(session, key.id).revoked_at
        assert first is not None
        assert open311.revoke_key(session, key.id).revoked_at == first

    def test_an_unknown_key(self, session: Session) -> None:
        with pytest.raises(NotFound):
            open311.revoke_key(session, 987654321)


# ---- the command line -----------------------------------------------------------------------------------------

@pytest.fixture
def run(session: Session, monkeypatch: pytest.MonkeyPatch) -> Any:
    """run(*args) → the CliRunner result of `gongzhi …`, working in the test's rolled-back transaction."""

    @contextmanager
    def scope() -> Iterator[Session]:
        with unit_of_work(session):
            yield session

    monkeypatch.setattr("gongzhi.core.db.session_scope", scope)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})


class TestCli:
    def test_create_prints_the_key_once(self, run: Any, session: Session) -> None:
        result = run("open311", "keys", "create", "--name", "合作平台")
        assert result.exit_code == 0, result.output
        raw = result.output.strip().splitlines()[-1]
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", raw), result.output
        key = session.scalars(select(ApiKey).where(ApiKey.name == "合作平台")).one()
        assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert open311.authenticate(session, raw) is key
        listed = run("open311", "keys", "list")
        assert listed.exit_code == 0
        assert "合作平台" in listed.output
        assert key.prefix in listed.output
        assert raw not in listed.output

    def test_revoke(self, run: Any, session: Session) -> None:
        key, raw = open311.create_key(session, "将停用")
        session.commit()
        result = run("open311", "keys", "revoke", str(key.id))
        assert result.exit_code == 0, result.output
        session.refresh(key)
        assert key.revoked_at is not None
        assert "已停用" in run("open311", "keys", "list").output
        with pytest.raises(Open311Error):
            open311.authenticate(session, raw)

    def test_revoke_an_unknown_key_fails(self, run: Any) -> None:
        result = run("open311", "keys", "revoke", "987654321")
        assert result.exit_code == 2
        assert "987654321" in result.output

    def test_create_without_a_name_fails(self, run: Any) -> None:
        assert run("open311", "keys", "create", "--name", " ").exit_code == 2
