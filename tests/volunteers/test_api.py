"""The JSON routes: the caller's own figures, 啄木鸟 reports through the appeal intake, the service-log desk."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from tests.volunteers import factories as vf


class TestMe:
    def test_party_member_and_volunteer(self, client: Any, auth: Any, session: Session) -> None:
        r = client.get("/api/v1/volunteers/me", headers=auth("party"))
        assert r.status_code == 200
        assert r.json()["reporting"] is None
        vf.make_reporting(session, vf.principal_of(session, "party"), name="卫党员")
        body = client.get("/api/v1/volunteers/me", headers=auth("party")).json()
        assert body["reporting"]["name"] == "卫党员"
        assert body["reporting"]["status"] == "confirmed"


class TestReports:
    def test_woodpecker_report_is_a_volunteer_appeal(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        data = {"title": "垃圾桶满溢", "region_code": city["scopes"]["grid"], "channel": "h5"}
        headers = {**auth("volunteer"), "Idempotency-Key": "zmn-1"}
        r = client.post("/api/v1/volunteers/reports", json=data, headers=headers)
        assert r.status_code == 201, r.text
        appeal = session.get(Appeal, r.json()["id"])
        assert appeal is not None
        assert appeal.channel == "volunteer"
        assert appeal.reporter_id == vf.principal_of(session, "volunteer").user_id
        again = client.post("/api/v1/volunteers/reports", json=data, headers=headers)
        assert again.status_code == 200
        assert again.json()["id"] == appeal.id

    def test_residents_and_bad_bodies(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        data = {"title": "垃圾桶满溢", "region_code": city["scopes"]["grid"]}
        assert client.post("/api/v1/volunteers/reports", json=data, headers=auth("resident")).status_code == 403
        bad = client.post("/api/v1/volunteers/reports", json={"title": "x"}, headers=auth("volunteer"))
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "validation_failed"


class TestLogDesk:
    def test_list_and_decide(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        who, _r = vf.party(session, comm, name="蒋服务")
        log = vf.make_log(session, who, hours=1.5)
        listed = client.get("/api/v1/volunteers/logs?status=pending", headers=auth("community")).json()
        assert any(i["id"] == log.id and i["name"] == "蒋服务" for i in listed["items"])
        assert client.get("/api/v1/volunteers/logs", headers=auth("party")).status_code == 403
        assert client.post(f"/api/v1/volunteers/logs/{log.id}/decide", json={"confirm": "maybe"},
                           headers=auth("community")).status_code == 422
        assert client.post(f"/api/v1/volunteers/logs/{log.id}/decide", json={"confirm": True},
                           headers=auth("community2")).status_code == 404
        r = client.post(f"/api/v1/volunteers/logs/{log.id}/decide", json={"confirm": True}, headers=auth("community"))
        assert r.status_code == 200
        assert r.json()["status"] == "confirmed"
        again = client.post(f"/api/v1/volunteers/logs/{log.id}/decide", json={"confirm": True},
                            headers=auth("community"))
        assert again.status_code == 409
