"""The audit log: every write through the API leaves who, what, before and after — and never personal data
in the clear; only admins read it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import audit
from gongzhi.core.audit import AuditEvent
from gongzhi.people.models import Resident
from tests import factories as f


def events(session: Session, *, entity: str, entity_id: Any, action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt.order_by(AuditEvent.id)))


def assert_no_personal_data(event: AuditEvent, *clear: str) -> None:
    for blob in (event.before, event.after):
        if blob is None:
            continue
        data = json.loads(blob)
        assert not [k for k in data if k.endswith(("_enc", "_hash"))], data
        for value in clear:
            assert value not in blob


class TestWritesThroughTheApi:
    def test_create_records_actor_and_after_without_clear_numbers(self, client: Any, auth: Any, session: Session,
                                                                  city: dict[str, Any]) -> None:
        body = f.payload("residents", city["scopes"]["grid"])
        r = client.post("/api/v1/residents", json=body, headers=auth("grid"))
        assert r.status_code == 201, r.text
        [event] = events(session, entity="residents", entity_id=r.json()["id"], action="create")
        assert event.actor_name == "grid"
        assert event.actor_id is not None
        assert event.before is None
        after = json.loads(event.after or "{}")
        assert after["name"] == body["name"]
        assert after["id_number_masked"] == r.json()["id_number"]
        assert_no_personal_data(event, body["id_number"], body["phone"])

    def test_update_records_before_and_after_of_changed_columns_only(self, client: Any, auth: Any,
                                                                     session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="旧名")
        new_phone = f.new_phone()
        r = client.patch(f"/api/v1/residents/{row.id}", json={"name": "新名", "phone": new_phone},
                         headers=auth("community"))
        assert r.status_code == 200, r.text
        [event] = events(session, entity="residents", entity_id=row.id, action="update")
        assert event.actor_name == "community"
        before, after = json.loads(event.before or "{}"), json.loads(event.after or "{}")
        assert before["name"] == "旧名"
        assert after["name"] == "新名"
        assert "gender" not in after  # unchanged columns are not repeated
        assert after["phone_masked"] == new_phone[:3] + "****" + new_phone[-4:]
        assert_no_personal_data(event, new_phone)

    def test_delete_records_before(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="将删除",
                              id_number=number)
        row_id = row.id
        r = client.delete(f"/api/v1/residents/{row_id}", headers=auth("street"))
        assert r.status_code == 204
        [event] = events(session, entity="residents", entity_id=row_id, action="delete")
        assert event.actor_name == "street"
        assert event.after is None
        assert json.loads(event.before or "{}")["name"] == "将删除"
        assert_no_personal_data(event, number)

    def test_reveal_is_recorded_without_the_value(self, client: Any, auth: Any, session: Session,
                                                  city: dict[str, Any]) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), id_number=number)
        r = client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "id_number"}, headers=auth("grid"))
        assert r.status_code == 200
        [event] = events(session, entity="residents", entity_id=row.id, action="reveal")
        assert event.actor_name == "grid"
        assert number not in (event.summary or "") + (event.before or "") + (event.after or "")

    def test_refused_write_leaves_no_event(self, client: Any, auth: Any, session: Session,
                                           city: dict[str, Any]) -> None:
        before = f.count(session, AuditEvent)
        body = {**f.payload("residents", city["scopes"]["grid"]), "id_number": "530181198507231230"}
        assert client.post("/api/v1/residents", json=body, headers=auth("grid")).status_code == 422
        assert f.count(session, AuditEvent) == before


class TestRecord:
    def test_acting_as_names_the_actor(self, session: Session) -> None:
        with audit.acting_as(audit.Actor(None, "cli", "10.0.0.1")):
            audit.record(session, "export", "residents", summary="导出居民")
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert (event.actor_name, event.ip, event.action, event.summary) == ("cli", "10.0.0.1", "export", "导出居民")

    def test_muted_writes_leave_no_per_row_events(self, session: Session, city: dict[str, Any]) -> None:
        before = f.count(session, AuditEvent)
        with audit.muted():
            f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        assert f.count(session, AuditEvent) == before

    def test_flush_hook_captures_orm_writes_outside_requests(self, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        assert [e.action for e in events(session, entity="residents", entity_id=row.id)] == ["create"]
        row.name = "改"
        session.flush()
        session.delete(session.get(Resident, row.id))
        session.flush()
        assert [e.action for e in events(session, entity="residents", entity_id=row.id)] == \
            ["create", "update", "delete"]


class TestAuditApi:
    def test_admin_reads_the_log_filtered_by_action(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "phone"}, headers=auth("grid"))
        r = client.get("/api/v1/audit", params={"action": "reveal", "entity": "residents"}, headers=auth("admin"))
        assert r.status_code == 200
        body = r.json()
        assert body["total"] >= 1
        assert {e["action"] for e in body["items"]} == {"reveal"}
        assert body["items"][0]["entity_id"] == str(row.id)
        assert body["items"][0]["actor"] == "grid"

    @pytest.mark.parametrize("username", ["leader", "street", "community", "grid", "handler", "party", "volunteer",
                                          "resident"])
    def test_everyone_else_is_refused(self, client: Any, auth: Any, username: str) -> None:
        r = client.get("/api/v1/audit", headers=auth(username))
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "forbidden"

    def test_anonymous_is_401(self, client: Any) -> None:
        assert client.get("/api/v1/audit").status_code == 401
