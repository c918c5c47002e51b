"""The message centre page, its forms, and the unread badge in the top bar."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gongzhi.notify.models import Message
from tests.notify.factories import make_message
from tests.web import HTML, sign_in


def _read_at(session: Session, message_id: int) -> Any:
    session.expire_all()
    return session.get(Message, message_id).read_at  # type: ignore[union-attr]


class TestMessageCentre:
    def test_lists_my_messages_with_the_unread_marked(self, client: Any, session: Session) -> None:
        unread = make_message(session, user="resident", title="您的诉求已受理", link="/appeals/42", appeal_id=42)
        read = make_message(session, user="resident", title="早先的消息", read=True)
        theirs = make_message(session, user="grid", title="别人的消息")
        sign_in(client, "resident")
        r = client.get("/messages", headers=HTML)
        assert r.status_code == 200
        assert "消息中心" in r.text
        assert "您的诉求已受理" in r.text
        assert "早先的消息" in r.text
        assert "别人的消息" not in r.text
        assert f'id="message-{unread.id}"' in r.text
        assert f'class="card message unread" id="message-{unread.id}"' in r.text
        assert f'class="card message read" id="message-{read.id}"' in r.text
        assert 'value="/appeals/42"' in r.text  # "查看诉求" marks it read on the way to the appeal
        assert "查看诉求" in r.text
        assert f"message-{theirs.id}" not in r.text

    def test_unread_filter(self, client: Any, session: Session) -> None:
        make_message(session, user="resident", title="未读的")
        make_message(session, user="resident", title="读过的", read=True)
        sign_in(client, "resident")
        r = client.get("/messages", params={"unread": 1}, headers=HTML)
        assert "未读的" in r.text
        assert "读过的" not in r.text

    def test_htmx_gets_the_list_only(self, client: Any, session: Session) -> None:
        make_message(session, user="resident", title="局部")
        sign_in(client, "resident")
        r = client.get("/messages", headers={**HTML, "HX-Request": "true"})
        assert "局部" in r.text
        assert "<html" not in r.text

    def test_in_english(self, client: Any, session: Session) -> None:
        make_message(session, user="resident", title="消息标题", link="/appeals/5", appeal_id=5)
        sign_in(client, "resident")
        r = client.get("/messages", params={"lang": "en"}, headers=HTML)
        assert "Messages" in r.text
        assert "Mark as read" in r.text
        assert "View appeal" in r.text

    def test_anonymous_is_sent_to_login(self, client: Any) -> None:
        r = client.get("/messages", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")


class TestMarkRead:
    def test_mark_one_read_goes_back_to_the_list(self, client: Any, session: Session) -> None:
        m = make_message(session, user="resident")
        csrf = sign_in(client, "resident")
        r = client.post(f"/messages/{m.id}/read", data={"csrf_token": csrf, "next": "/messages?page=1"},
                        headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/messages?page=1"
        assert _read_at(session, m.id) is not None

    def test_open_marks_read_and_goes_to_the_appeal(self, client: Any, session: Session) -> None:
        m = make_message(session, user="resident", link="/appeals/9")
        csrf = sign_in(client, "resident")
        r = client.post(f"/messages/{m.id}/read", data={"csrf_token": csrf, "next": m.link}, headers=HTML,
                        follow_redirects=False)
        assert r.headers["location"] == "/appeals/9"

    def test_next_outside_the_site_is_ignored(self, client: Any, session: Session) -> None:
        m = make_message(session, user="resident")
        csrf = sign_in(client, "resident")
        r = client.post(f"/messages/{m.id}/read", data={"csrf_token": csrf, "next": "//evil.example/"},
                        headers=HTML, follow_redirects=False)
        assert r.headers["location"] == "/messages"

    def test_htmx_gets_hx_redirect(self, client: Any, session: Session) -> None:
        m = make_message(session, user="resident")
        csrf = sign_in(client, "resident")
        r = client.post(f"/messages/{m.id}/read", data={"csrf_token": csrf},
                        headers={**HTML, "HX-Request": "true"}, follow_redirects=False)
        assert r.status_code == 200
        assert r.headers["HX-Redirect"] == "/messages"

    def test_another_users_message_is_404_and_stays_unread(self, client: Any, session: Session) -> None:
        theirs = make_message(session, user="grid")
        csrf = sign_in(client, "resident")
        r = client.post(f"/messages/{theirs.id}/read", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 404
        assert _read_at(session, theirs.id) is None

    def test_without_csrf_token_is_403(self, client: Any, session: Session) -> None:
        m = make_message(session, user="resident")
        sign_in(client, "resident")
        r = client.post(f"/messages/{m.id}/read", data={}, headers=HTML, follow_redirects=False)
        assert r.status_code == 403
        assert _read_at(session, m.id) is None

    def test_read_all(self, client: Any, session: Session) -> None:
        make_message(session, user="resident")
        make_message(session, user="resident")
        theirs = make_message(session, user="grid")
        csrf = sign_in(client, "resident")
        r = client.post("/messages/read-all", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/messages"
        page = client.get("/messages", params={"unread": 1}, headers=HTML)
        assert "还没有消息" in page.text or "没有未读消息" in page.text
        assert _read_at(session, theirs.id) is None


class TestBadge:
    def test_every_page_loads_the_badge_after_itself(self, client: Any) -> None:
        sign_in(client, "resident")
        home = client.get("/", headers=HTML)
        assert 'hx-get="/messages/badge" hx-trigger="load"' in home.text
        assert 'href="/messages"' in home.text  # without JavaScript it is a plain link

    def test_shows_my_unread_count(self, client: Any, session: Session) -> None:
        sign_in(client, "volunteer")
        client.post("/messages/read-all", data={"csrf_token": sign_in(client, "volunteer")}, headers=HTML)
        r = client.get("/messages/badge", headers={**HTML, "HX-Request": "true"})
        assert r.status_code == 200
        assert 'class="tag"' not in r.text  # nothing unread: no count
        make_message(session, user="volunteer")
        make_message(session, user="volunteer")
        make_message(session, user="grid")
        r = client.get("/messages/badge", headers={**HTML, "HX-Request": "true"})
        assert ">2</span>" in r.text
        assert "<html" not in r.text

    def test_many_is_99_plus(self, client: Any, session: Session) -> None:
        for _ in range(100):
            session.add(Message(user_id=make_message(session, user="party").user_id, title="多", body="", link=""))
        session.commit()
        sign_in(client, "party")
        assert ">99+</span>" in client.get("/messages/badge", headers=HTML).text
