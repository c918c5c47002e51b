"""The JSON API's faces of the rules: shapes, statuses and error bodies (422/409/404/403), nothing changed on
error."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.cobuild.models import ChairTerm, Need
from tests import factories as f
from tests.cobuild import factories as cf


def test_need_create_list_and_errors(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    r = client.post("/api/v1/cobuild/needs", json={"title": "帮老人买菜", "need_type": "助老",
                                                   "skills": ["陪伴"], "wanted_from": "2026-12-01"},
                    headers=auth("resident"))
    assert r.status_code == 201, r.text
    assert r.json()["region_code"] == city["scopes"]["grid"]
    before = session.scalar(select(func.count()).select_from(Need))
    r = client.post("/api/v1/cobuild/needs", json={"title": "", "need_type": "修路"}, headers=auth("resident"))
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"title", "need_type"}
    assert session.scalar(select(func.count()).select_from(Need)) == before
    r = client.post("/api/v1/cobuild/needs", json={"title": "x", "need_type": "助老", "extra": 1},
                    headers=auth("resident"))
    assert r.status_code == 422
    mine = client.get("/api/v1/cobuild/needs?mine=true", headers=auth("resident")).json()
    assert [n["title"] for n in mine["items"]] == ["帮老人买菜"]
    assert mine["total"] == 1


def test_suggestions_show_parts(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    g = cf.grid(session, city)
    need = cf.make_need(session, g, skills="理发")
    cf.make_resource(session, g, skills="理发", title="理发队")
    r = client.get(f"/api/v1/cobuild/needs/{need.id}/suggestions", headers=auth("community"))
    assert r.status_code == 200
    top = r.json()[0]
    assert top["resource"]["title"] == "理发队"
    assert set(top["parts"]) == {"skills", "distance", "capacity", "window", "rating"}


def test_rotation_api(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    comm = cf.community(session, city)
    cf.make_members(session, comm, 6)
    url = f"/api/v1/cobuild/committees/{comm.code}/rotation/2028"
    r = client.post(url, headers=auth("street"))
    assert r.status_code == 201
    assert [t["slot"] for t in r.json()] == [1, 2, 3, 4, 5, 6]
    assert client.post(url, headers=auth("street")).json()["error"]["code"] == "rotation_exists"
    r = client.patch(url, json={"swap": [1, 9]}, headers=auth("community"))
    assert r.status_code == 422
    assert client.post(url, headers=auth("grid")).status_code == 403
    assert session.scalar(select(func.count()).select_from(ChairTerm).where(ChairTerm.year == 2028)) == 6


def test_claim_conflicts(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    g = cf.grid(session, city)
    need = cf.make_need(session, g, need_type="助学")
    wrong = cf.make_resource(session, g, resource_type="助老")
    r = client.post(f"/api/v1/cobuild/resources/{wrong.id}/claim", json={"need_id": need.id},
                    headers=auth("community"))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "type_mismatch"
    r = client.post(f"/api/v1/cobuild/needs/{need.id}/claim", json={}, headers=auth("party"))
    assert r.status_code == 201
    claim_id = r.json()["id"]
    r = client.post(f"/api/v1/cobuild/claims/{claim_id}/accept", headers=auth("community"))
    assert r.status_code == 200
    assert r.json()["project"]["owner_name"]
    r = client.post(f"/api/v1/cobuild/claims/{claim_id}/accept", headers=auth("community"))
    assert r.status_code == 409


def test_wish_api_with_photo(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    wish = cf.make_wish(session, cf.grid(session, city), poster=cf.user_id(session, "resident"))
    r = client.post(f"/api/v1/cobuild/wishes/{wish.id}/claim", headers=auth("volunteer"))
    assert r.status_code == 200
    assert r.json()["status"] == "claimed"
    r = client.post(f"/api/v1/cobuild/wishes/{wish.id}/fulfil", headers=auth("volunteer"),
                    files={"photo": ("x.txt", b"not an image", "text/plain")})
    assert r.status_code == 422
    assert wish.status == "claimed"
    r = client.post(f"/api/v1/cobuild/wishes/{wish.id}/fulfil", headers=auth("volunteer"), data={"note": "送到了"},
                    files={"photo": ("p.png", f.tiny_png(), "image/png")})
    assert r.status_code == 200
    assert r.json()["has_fulfil_photo"] is True
    photo = client.get(f"/api/v1/cobuild/wishes/{wish.id}/photo/fulfil", headers=auth("resident"))
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/png"
    assert client.post(f"/api/v1/cobuild/wishes/{wish.id}/dance", headers=auth("resident")).status_code == 404
