"""Login by token, who am I, and the slowing down of repeated failures."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD


class TestToken:
    def test_good_password_gives_a_bearer_token(self, client: Any) -> None:
        r = client.post("/api/v1/auth/token", data={"username": "grid", "password": PASSWORD})
        assert r.status_code == 200
        body = r.json()
        assert body["token_type"] == "bearer"
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200
        assert me.json()["role"] == "grid_worker"

    def test_bad_password_is_401_in_the_error_format(self, client: Any) -> None:
        r = client.post("/api/v1/auth/token", data={"username": "grid", "password": "wrong-password"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "bad_credentials"

    def test_repeated_failures_are_slowed_down(self, client: Any) -> None:
        for _ in range(5):
            assert client.post("/api/v1/auth/token", data={"username": "street", "password": "x"}).status_code == 401
        r = client.post("/api/v1/auth/token", data={"username": "street", "password": PASSWORD})
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        assert r.json()["error"]["code"] == "too_many_attempts"

    def test_no_token_is_401(self, client: Any) -> None:
        r = client.get("/api/v1/me")
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"

    def test_forged_token_is_401(self, client: Any) -> None:
        r = client.get("/api/v1/me", headers={"Authorization": "Bearer eyJ1aWQiOjF9.forged.sig"})
        assert r.status_code == 401
