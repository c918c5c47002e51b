"""The JSON API's faces of the assessment rules: shapes, statuses and error bodies (422/409/404/403), nothing
changed on error, and the Excel exports opened with openpyxl."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.assessment.models import IndicatorSet, Score
from tests import factories as f
from tests.assessment import factories as af

API = "/api/v1/assessment"
OCT, SEP = "2026-10", "2026-09"
MANUAL = [{"cls": "基础指标", "code": "A01", "name": "综合", "method": "manual", "max_score": 100}]


def _ranked(session: Session, city: dict[str, Any], totals: dict[str, list[float]]) -> tuple[IndicatorSet, list[Any]]:
    region = f.region(session, city["scopes"]["city"])
    s = af.make_set(session, region, indicators=MANUAL, red=2, yellow=2)
    comms = af.children(session, region, "community")
    for period, values in totals.items():
        for c, total in zip(comms, values, strict=False):
            af.put_score(session, s, period, c, "A01", total)
    return s, comms


def test_define_a_set_and_activate_it(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    admin = auth("admin")
    r = client.post(f"{API}/sets", json={"name": "社区考核", "region_code": city["scopes"]["street"]}, headers=admin)
    assert r.status_code == 201, r.text
    set_id = r.json()["id"]
    assert r.json()["status"] == "draft"
    cls = client.post(f"{API}/sets/{set_id}/classes", json={"name": "基础指标"}, headers=admin).json()
    r = client.post(f"{API}/sets/{set_id}/indicators", json={
        "class_id": cls["id"], "code": "A01", "name": "群众满意率", "method": "computed", "max_score": 70,
        "metric": "appeal_satisfaction_rate", "full_at": 0.95, "zero_at": 0.6}, headers=admin)
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/sets/{set_id}/activate", headers=admin)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "weights_not_100"
    assert error["details"] == {"total": 70.0, "missing": 30.0}
    r = client.post(f"{API}/sets/{set_id}/indicators", json={"class_id": cls["id"], "code": "A02", "name": "组织",
                                                             "method": "manual", "max_score": 30}, headers=admin)
    assert r.status_code == 201
    r = client.post(f"{API}/sets/{set_id}/activate", headers=admin)
    assert (r.status_code, r.json()["status"]) == (200, "active")
    r = client.post(f"{API}/sets/{set_id}/classes", json={"name": "品牌指标"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "set_not_draft")
    detail = client.get(f"{API}/sets/{set_id}", headers=auth("community")).json()
    assert [i["code"] for i in detail["classes"][0]["indicators"]] == ["A01", "A02"]
    assert detail["weight_total"] == 100.0
    assert client.post(f"{API}/sets", json={"name": "x"}, headers=auth("leader")).status_code == 403
    r = client.patch(f"{API}/sets/{set_id}", json={"status": "draft"}, headers=admin)
    assert (r.status_code, r.json()["error"]["details"][0]["field"]) == (422, "status")
    r = client.patch(f"{API}/sets/{set_id}", json={"status": "archived", "red_count": 5}, headers=admin)
    assert (r.status_code, r.json()["status"], r.json()["red_count"]) == (200, "archived", 5)
    r = client.post(f"{API}/sets/{set_id}/periods/{OCT}/compute", headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "set_not_active")


def test_manual_score_errors_leave_nothing(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    s = af.make_set(session, f.region(session, city["scopes"]["city"]))
    url = f"{API}/sets/{s.id}/periods/{OCT}/regions/{city['scopes']['community']}/scores/B01"
    r = client.put(url, json={"score": 55, "evidence": ""}, headers=auth("street"))
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "validation_failed"
    assert {d["field"] for d in body["details"]} == {"score", "evidence"}
    r = client.put(url, json={"score": "很多", "evidence": "x"}, headers=auth("street"))
    assert r.status_code == 422
    assert "error" in r.json()
    r = client.put(url, json={"score": 12, "evidence": "x", "extra": 1}, headers=auth("street"))
    assert r.status_code == 422
    assert session.scalar(select(func.count()).select_from(Score).where(Score.set_id == s.id)) == 0
    r = client.put(url, json={"score": 12.5, "evidence": "台账齐全"}, headers=auth("street"))
    assert r.status_code == 200, r.text
    assert (r.json()["score"], r.json()["assessor"]) == (12.5, "街道干部")
    r = client.put(url.replace("B01", "A01"), json={"score": 1, "evidence": "x"}, headers=auth("street"))
    assert (r.status_code, r.json()["error"]["code"]) == (409, "computed_indicator")
    r = client.put(url.replace(city["scopes"]["community"], city["other_community"]),
                   json={"score": 1, "evidence": "x"}, headers=auth("street"))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    assert client.put(url, json={"score": 1, "evidence": "x"}, headers=auth("community")).status_code == 403


def test_ranking_json_with_lists_and_change(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    s, comms = _ranked(session, city, {SEP: [50, 60, 70, 80, 90, 40], OCT: [95, 60, 70, 80, 65]})
    r = client.get(f"{API}/sets/{s.id}/periods/{OCT}/ranking", headers=auth("leader"))
    assert r.status_code == 200
    body = r.json()
    rows = body["rows"]
    assert [row["total"] for row in rows[:5]] == [95, 80, 70, 65, 60]
    assert rows[0]["region_code"] == comms[0].code
    assert (rows[0]["rank"], rows[0]["previous_rank"], rows[0]["rank_delta"], rows[0]["score_delta"]) == (1, 5, 4, 45)
    assert rows[-1]["rank"] is None  # the sixth community has no October score
    assert body["red"] == [comms[0].name, comms[3].name]
    assert body["yellow"] == [comms[4].name, comms[1].name]
    assert body["ranked"] == 5
    assert body["previous"] == SEP


def test_community_staff_see_their_own_row_and_scorecard(client: Any, auth: Any, session: Session,
                                                         city: dict[str, Any]) -> None:
    s, _ = _ranked(session, city, {OCT: [10, 20, 30, 40, 50, 60]})
    mine = client.get(f"{API}/sets/{s.id}/periods/{OCT}/ranking", headers=auth("community")).json()
    assert [row["region_code"] for row in mine["rows"]] == [city["scopes"]["community"]]
    assert mine["ranked"] == 6
    base = f"{API}/sets/{s.id}/periods/{OCT}/regions"
    r = client.get(f"{base}/{city['scopes']['community']}", headers=auth("community"))
    assert r.status_code == 200
    assert r.json()["lines"][0]["evidence"] == "台账"
    r = client.get(f"{base}/{city['other_community']}", headers=auth("community"))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


def test_publish_freezes(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    s = af.make_set(session, f.region(session, city["scopes"]["city"]))
    base = f"{API}/sets/{s.id}/periods/{OCT}"
    assert client.post(f"{base}/publish", headers=auth("leader")).json()["error"]["code"] == "nothing_to_publish"
    r = client.post(f"{base}/compute", headers=auth("leader"))
    assert r.status_code == 200, r.text
    r = client.post(f"{base}/publish", headers=auth("leader"))
    assert (r.status_code, r.json()["status"]) == (200, "published")
    count = session.scalar(select(func.count()).select_from(Score).where(Score.set_id == s.id))
    for method, url, body in (("post", f"{base}/compute", None), ("post", f"{base}/publish", None),
                              ("put", f"{base}/regions/{city['scopes']['community']}/scores/B01",
                               {"score": 1, "evidence": "x"})):
        r = client.request(method.upper(), url, json=body, headers=auth("admin"))
        assert (r.status_code, r.json()["error"]["code"]) == (409, "period_published")
    assert session.scalar(select(func.count()).select_from(Score).where(Score.set_id == s.id)) == count
    r = client.post(f"{API}/sets/{s.id}/periods/2026-13/compute", headers=auth("leader"))
    assert (r.status_code, r.json()["error"]["code"]) == (422, "bad_period")


def test_ranking_export_holds_the_ranking(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    s, comms = _ranked(session, city, {SEP: [50, 60, 70, 80, 90, 40], OCT: [95, 60, 70, 80, 65, 65]})
    r = client.get(f"{API}/sets/{s.id}/periods/{OCT}/ranking.xlsx", headers=auth("leader"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("名次", "被考核单位", "区划代码")
    assert "总分" in rows[0]
    total, board = rows[0].index("总分"), rows[0].index("榜单")
    data = rows[1:]
    assert [row[2] for row in data] == [c.code for c in (comms[0], comms[3], comms[2], comms[4], comms[5],
                                                         comms[1])]
    assert [row[0] for row in data] == [1, 2, 3, 4, 4, 6]
    assert [row[total] for row in data] == [95, 80, 70, 65, 65, 60]
    assert [row[board] for row in data] == ["红榜", "红榜", None, "黄榜", "黄榜", "黄榜"]
    mine = load_workbook(io.BytesIO(client.get(f"{API}/sets/{s.id}/periods/{OCT}/ranking.xlsx",
                                               headers=auth("community")).content)).active
    assert [row[2] for row in mine.iter_rows(min_row=2, values_only=True)] == [city["scopes"]["community"]]


def test_scorecard_export(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    s, comms = _ranked(session, city, {OCT: [10, 20, 30, 40, 50, 60]})
    r = client.get(f"{API}/sets/{s.id}/periods/{OCT}/regions/{comms[0].code}/scorecard.xlsx", headers=auth("street"))
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("类别", "编号", "指标")
    assert rows[1][1:3] == ("A01", "综合")
    assert rows[1][6] == 10
    assert rows[-1][2] == "合计"
    assert rows[-1][6] == 10
