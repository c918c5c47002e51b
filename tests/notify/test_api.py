"""The message centre's JSON API: my messages (paged, unread only), my unread count, mark read — and never
anyone else's."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.notify.models import Message
from tests.notify.factories import make_message


def _read_at(session: Session, message_id: int) -> Any:
    session.expire_all()
    return session.get(Message, message_id).read_at  # type: ignore[union-attr]


class TestList:
    def test_my_messages_only(self, client: Any, session: Session, auth: Any) -> None:
        mine = make_message(session, user="grid", title="我的消息", link="/appeals/7", appeal_id=7)
        theirs = make_message(session, user="community", title="别人的消息")
        r = client.get("/api/v1/messages", headers=auth("grid"))
        assert r.status_code == 200
        body = r.json()
        ids = {m["id"] for m in body["items"]}
        assert mine.id in ids
        assert theirs.id not in ids
        item = next(m for m in body["items"] if m["id"] == mine.id)
        assert item["title"] == "我的消息"
        assert item["link"] == "/appeals/7"
        assert item["appeal_id"] == 7
        assert item["unread"] is True
        assert item["read_at"] is None
        assert body["unread"] >= 1
        assert {"total", "page", "size", "pages"} <= set(body)

    def test_unread_only_and_paging(self, client: Any, session: Session, auth: Any) -> None:
        read = make_message(session, user="volunteer", read=True)
        for i in range(3):
            make_message(session, user="volunteer", title=f"未读{i}")
        r = client.get("/api/v1/messages", params={"unread": 1, "size": 2}, headers=auth("volunteer"))
        body = r.json()
        assert body["total"] == body["unread"] >= 3
        assert len(body["items"]) == 2
        assert body["pages"] >= 2
        assert read.id not in {m["id"] for m in body["items"]}
        assert all(m["unread"] for m in body["items"])

    def test_anonymous_is_401(self, client: Any) -> None:
        assert client.get("/api/v1/messages").status_code == 401


class TestUnreadCount:
    def test_counts_mine(self, client: Any, session: Session, auth: Any) -> None:
        before = client.get("/api/v1/messages/unread-count", headers=auth("party")).json()["unread"]
        make_message(session, user="party")
        make_message(session, user="volunteer")
        assert client.get("/api/v1/messages/unread-count", headers=auth("party")).json() == {"unread": before + 1}


class TestMarkRead:
    def test_ids(self, client: Any, session: Session, auth: Any) -> None:
        a, b = make_message(session, user="grid"), make_message(session, user="grid")
        r = client.post("/api/v1/messages/read", json={"ids": [a.id]}, headers=auth("grid"))
        assert r.status_code == 200
        assert r.json()["marked"] == 1
        assert _read_at(session, a.id) is not None
        assert _read_at(session, b.id) is None

    def test_another_users_id_is_404_and_changes_nothing(self, client: Any, session: Session, auth: Any) -> None:
        mine, theirs = make_message(session, user="grid"), make_message(session, user="grid2")
        r = client.post("/api/v1/messages/read", json={"ids": [mine.id, theirs.id]}, headers=auth("grid"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
        assert _read_at(session, mine.id) is None
        assert _read_at(session, theirs.id) is None

    def test_all_marks_mine_only(self, client: Any, session: Session, auth: Any) -> None:
        make_message(session, user="grid")
        theirs = make_message(session, user="community")
        r = client.post("/api/v1/messages/read", json={"all": True}, headers=auth("grid"))
        assert r.status_code == 200
        assert r.json()["unread"] == 0
        assert _read_at(session, theirs.id) is None

    @pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"all": False}, {"ids": "1"},
                                      {"ids": [1], "extra": 1}])
    def test_either_ids_or_all(self, client: Any, auth: Any, body: dict[str, Any]) -> None:
        r = client.post("/api/v1/messages/read", json=body, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_failed"
