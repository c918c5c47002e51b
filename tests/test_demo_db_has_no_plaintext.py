"""A generated city holds no ID or phone number in the clear: every number decrypted from the database is
looked for in the raw bytes of the SQLite file, and none may be there."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from gongzhi.cli import alembic_config
from gongzhi.core import crypto
from gongzhi.core.db import get_engine

SENSITIVE_COLUMNS = {
    "residents": ("id_number", "phone"),
    "units": ("phone",),
    "party_members": ("phone",),
    "grid_staff": ("phone",),
}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from gongzhi.regions.generate import generate_city

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    generate_city(scale="tiny", seed=20241, url=url)
    engine = get_engine(url)
    clear: dict[str, list[str]] = {"id_number": [], "phone": []}
    masked: list[str] = []
    with engine.connect() as conn:
        for table, names in SENSITIVE_COLUMNS.items():
            for name in names:
                rows = conn.execute(text(f"SELECT {name}_enc, {name}_masked FROM {table}"
                                         f" WHERE {name}_enc IS NOT NULL"))
                for blob, mask in rows:
                    clear[name].append(crypto.decrypt(blob))
                    masked.append(mask)
    raw_conn = engine.raw_connection()  # outside any transaction, so the checkpoint can take every page
    try:
        busy, _, _ = raw_conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        raw_conn.close()
    engine.dispose()
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    raw = b"".join(p.read_bytes() for p in files)
    yield {"clear": clear, "masked": masked, "raw": raw, "files": files}
    get_engine(url).dispose()


class TestDemoDatabase:
    def test_the_city_has_personal_numbers(self, demo_file: dict[str, Any]) -> None:
        assert len(demo_file["clear"]["id_number"]) > 100
        assert len(demo_file["clear"]["phone"]) > 100

    def test_the_grep_works_masks_are_there_in_the_clear(self, demo_file: dict[str, Any]) -> None:
        found = [m for m in set(demo_file["masked"]) if m.encode() in demo_file["raw"]]
        assert len(found) == len(set(demo_file["masked"]))

    def test_wal_was_checkpointed_into_the_file(self, demo_file: dict[str, Any]) -> None:
        wal = [p for p in demo_file["files"] if p.name.endswith("-wal")]
        assert all(p.stat().st_size == 0 for p in wal)

    def test_no_clear_id_number_in_the_file(self, demo_file: dict[str, Any]) -> None:
        raw = demo_file["raw"]
        leaked = [n for n in demo_file["clear"]["id_number"] if n.encode() in raw]
        assert leaked == []

    def test_no_clear_phone_number_in_the_file(self, demo_file: dict[str, Any]) -> None:
        raw = demo_file["raw"]
        leaked = [p for p in demo_file["clear"]["phone"] if p.encode() in raw]
        assert leaked == []

    def test_numbers_are_valid_and_distinct(self, demo_file: dict[str, Any]) -> None:
        from gongzhi.core import idcard

        numbers = demo_file["clear"]["id_number"]
        assert len(set(numbers)) == len(numbers)
        assert [n for n in numbers if idcard.validate(n)] == []

