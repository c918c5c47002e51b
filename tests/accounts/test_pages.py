"""Login, logout and the home page: CSRF on the forms, the session cookie's flags, what each role sees."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests import factories as f
from tests.conftest import PASSWORD
from tests.web import HTML, csrf_of, sign_in


def login_form(client: Any) -> str:
    r = client.get("/login", headers=HTML)
    assert r.status_code == 200
    return csrf_of(r.text)


def post_login(client: Any, username: str, password: str = PASSWORD, *, csrf: str | None, next: str = "/") -> Any:
    data = {"username": username, "password": password, "next": next}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post("/login", data=data, headers=HTML, follow_redirects=False)


def signed_in(client: Any) -> bool:
    return client.get("/", headers=HTML, follow_redirects=False).status_code == 200


class TestLoginForm:
    def test_form_carries_a_csrf_token_and_sets_the_session_cookie(self, client: Any) -> None:
        r = client.get("/login", headers=HTML)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert '<form method="post" action="/login"' in r.text
        assert len(csrf_of(r.text)) >= 20
        assert "gongzhi_session" in r.headers["set-cookie"]

    def test_signed_in_user_is_sent_on(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.get("/login", params={"next": "/registers/residents"}, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/registers/residents"


class TestLogin:
    def test_without_csrf_token_is_403_and_no_one_is_signed_in(self, client: Any) -> None:
        login_form(client)
        r = post_login(client, "grid", csrf=None)
        assert r.status_code == 403
        assert "表单已过期" in r.text
        assert not signed_in(client)

    def test_with_a_wrong_csrf_token_is_403(self, client: Any) -> None:
        login_form(client)
        assert post_login(client, "grid", csrf="forged-token-value").status_code == 403
        assert not signed_in(client)

    def test_token_of_another_session_is_refused(self, client: Any, app: Any) -> None:
        from fastapi.testclient import TestClient

        with TestClient(app) as other:
            foreign = login_form(other)
        login_form(client)
        assert post_login(client, "grid", csrf=foreign).status_code == 403

    def test_good_login_sets_an_httponly_samesite_cookie_and_redirects(self, client: Any) -> None:
        r = post_login(client, "community", csrf=login_form(client))
        assert r.status_code == 303
        assert r.headers["location"] == "/"
        cookie = r.headers["set-cookie"]
        attributes = [a.strip().lower() for a in cookie.split(";")]
        assert cookie.startswith("gongzhi_session=")
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        assert "path=/" in attributes
        assert any(a.startswith("max-age=") for a in attributes)
        assert signed_in(client)

    def test_next_is_followed_only_within_the_site(self, client: Any) -> None:
        r = post_login(client, "grid", csrf=login_form(client), next="/registers/residents?page=2")
        assert r.headers["location"] == "/registers/residents?page=2"
        client.cookies.clear()
        for evil in ("https://evil.example/", "//evil.example/x"):
            r = post_login(client, "grid", csrf=login_form(client), next=evil)
            assert r.headers["location"] == "/"
            client.cookies.clear()

    def test_wrong_password_rerenders_the_form_with_the_username(self, client: Any) -> None:
        r = post_login(client, "grid", "wrong-password", csrf=login_form(client))
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text
        assert 'value="grid"' in r.text
        assert not signed_in(client)

    def test_login_rotates_the_csrf_token(self, client: Any) -> None:
        before = login_form(client)
        post_login(client, "grid", csrf=before)
        after = csrf_of(client.get("/", headers=HTML).text)
        assert after != before
        assert client.post("/logout", data={"csrf_token": before}, headers=HTML,
                           follow_redirects=False).status_code == 403

    def test_a_tampered_cookie_is_anonymous(self, client: Any) -> None:
        sign_in(client, "grid")
        value = client.cookies.get("gongzhi_session")
        client.cookies.set("gongzhi_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
        r = client.get("/", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")


class TestLogout:
    def test_logout_ends_the_session(self, client: Any) -> None:
        token = sign_in(client, "grid")
        r = client.post("/logout", data={"csrf_token": token}, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login"
        assert not signed_in(client)

    def test_logout_without_csrf_token_is_403_and_keeps_the_session(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.post("/logout", headers=HTML, follow_redirects=False)
        assert r.status_code == 403
        assert signed_in(client)

    def test_csrf_token_in_the_htmx_header_is_accepted(self, client: Any) -> None:
        token = sign_in(client, "grid")
        r = client.post("/logout", headers={**HTML, "X-CSRF-Token": token}, follow_redirects=False)
        assert r.status_code == 303


class TestHome:
    def test_anonymous_is_sent_to_login(self, client: Any) -> None:
        r = client.get("/", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/"

    def test_api_clients_get_json_401(self, client: Any) -> None:
        r = client.get("/", headers={"Accept": "application/json"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"

    @pytest.mark.parametrize(("username", "label", "level"), [
        ("admin", "管理员", "city"), ("leader", "领导", "city"), ("street", "街道工作人员", "street"),
        ("community", "社区工作者", "community"), ("grid", "网格员", "grid"),
    ])
    def test_staff_see_the_figures_of_their_scope(self, client: Any, session: Session, city: dict[str, Any],
                                                  username: str, label: str, level: str) -> None:
        from tests.regions.helpers import sql_counts

        sign_in(client, username)
        node = f.region(session, city["scopes"][level])
        r = client.get("/", headers=HTML)
        assert r.status_code == 200
        assert label in r.text
        assert f"{node.name}（{node.code}）" in r.text
        assert f"{sql_counts(session, node)['residents']:,}" in r.text
        assert "我的网格服务团队" not in r.text

    @pytest.mark.parametrize("username", ["resident", "volunteer", "party"])
    def test_residents_see_their_grid_team_and_no_figures(self, client: Any, username: str) -> None:
        sign_in(client, username)
        r = client.get("/", headers=HTML)
        assert r.status_code == 200
        assert "我的网格服务团队" in r.text
        assert "重点关爱人群" not in r.text
        assert 'href="/registers/residents"' not in r.text

    def test_menu_follows_the_permissions(self, client: Any) -> None:
        sign_in(client, "admin")
        admin_home = client.get("/", headers=HTML).text
        assert 'href="/audit"' in admin_home
        assert 'href="/registers/party-orgs"' in admin_home
        client.cookies.clear()
        sign_in(client, "handler")
        handler_home = client.get("/", headers=HTML).text
        assert 'href="/audit"' not in handler_home
        assert 'href="/registers/units"' in handler_home
        assert 'href="/registers/residents"' not in handler_home
