"""The whole loop through the JSON API, as the people who use it move a case."""

from __future__ import annotations

from typing import Any


def ok(r: Any, status: str | None = None) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body = r.json()
    if status:
        assert body["status"] == status, body
    return body


class TestWholeLoop:
    def test_resident_to_closed(self, client: Any, auth: Any, report: Any, act: Any) -> None:
        a = report(tier="department")
        assert a["status"] == "received"
        assert a["grid_id"]
        assert a["tier"] == "department"
        assert a["due_at"]
        assert a["resolve_due_at"]
        i = a["id"]
        ok(act("community", i, "register", note="属实"), "registered")
        ok(act("community", i, "dispatch"), "dispatched")
        ok(act("handler", i, "return", reason="不属于本部门"), "registered")
        ok(act("community", i, "dispatch"), "dispatched")
        ok(act("handler", i, "accept"), "accepted")
        ok(act("handler", i, "start"), "in_progress")
        ok(act("handler", i, "resolve", reply="已拆除违章搭建"), "resolved")
        ok(act("grid", i, "verify", passed=True), "verified")
        ok(act("resident", i, "rate", rating=5, comment="满意"), "rated")
        done = ok(act("community", i, "close"), "closed")
        assert done["close_reason"] == "resolved"
        tl = client.get(f"/api/v1/appeals/{i}/timeline", headers=auth("resident")).json()["events"]
        assert [e["action"] for e in tl] == ["receive", "register", "dispatch", "return", "dispatch", "accept",
                                             "start", "resolve", "verify", "rate", "close"]
        assert [e["seq"] for e in tl] == list(range(1, 12))
        assert tl[3]["note"] == "不属于本部门"

    def test_wrong_role_is_refused_and_nothing_changes(self, client: Any, auth: Any, report: Any, act: Any) -> None:
        a = report(tier="grid")
        r = act("resident", a["id"], "register")
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "action_not_allowed"
        r = act("community", a["id"], "accept")
        assert r.status_code == 403
        r = act("community", a["id"], "resolve", reply="x")
        assert r.status_code == 403
        after = client.get(f"/api/v1/appeals/{a['id']}", headers=auth("community")).json()
        assert after["status"] == "received"
        assert after["version"] == a["version"]

    def test_wrong_state_is_409(self, report: Any, act: Any) -> None:
        a = report(tier="grid")
        r = act("community", a["id"], "dispatch")
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "invalid_transition"

    def test_stale_version_is_409(self, report: Any, act: Any) -> None:
        a = report(tier="grid")
        ok(act("community", a["id"], "register", version=a["version"]))
        r = act("community", a["id"], "reject", reason="重复", version=a["version"])
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "stale_version"

    def test_outside_scope_is_404(self, report: Any, act: Any) -> None:
        a = report(tier="grid")
        assert act("community2", a["id"], "register").status_code == 404
        assert act("grid2", a["id"], "metoo").status_code == 404
