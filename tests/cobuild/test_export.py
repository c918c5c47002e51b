"""Excel export of the desk's lists: exactly the filtered rows the user may see, Chinese headers, dates as dates;
and the micro-wish settings (claim limit, release days)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy.orm import Session

from gongzhi.cobuild import service
from gongzhi.core.errors import Conflict
from gongzhi.core.settings import Settings, get_settings
from tests import factories as f
from tests.cobuild import factories as cf
from tests.web import HTML, sign_in

API = "/api/v1/cobuild"


def _sheet(r: Any) -> tuple[list[str], list[dict[str, Any]]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    return headers, [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def test_needs_export_is_filtered_and_scoped(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    tag = f.unique_code("需")
    inside, outside = cf.grid(session, city), cf.grid(session, city, "outside")
    hit = cf.make_need(session, inside, title=f"{tag}买菜", wanted=(dt.date(2026, 12, 1), dt.date(2026, 12, 31)))
    cf.make_need(session, inside, title=f"{tag}修理", need_type="助残")
    cf.make_need(session, inside, title=f"{tag}已完成", status="done")
    far = cf.make_need(session, outside, title=f"{tag}外社区")
    headers, rows = _sheet(client.get(f"{API}/needs/export.xlsx", params={"q": tag, "need_type": "助老",
                                                                         "status": "open"},
                                      headers=auth("community")))
    assert headers[:3] == ["编号", "需求", "类型"]
    assert "登记时间" in headers
    assert [r["编号"] for r in rows] == [hit.id]
    assert rows[0]["状态"] == "待认领"
    assert isinstance(rows[0]["期望开始"], dt.datetime)  # a real Excel date, not text
    assert rows[0]["期望开始"].date() == dt.date(2026, 12, 1)
    assert isinstance(rows[0]["登记时间"], dt.datetime)
    # the whole search, unfiltered: every in-scope row, never the other community's
    _, rows = _sheet(client.get(f"{API}/needs/export.xlsx", params={"q": tag}, headers=auth("community")))
    assert len(rows) == 3
    assert far.id not in {r["编号"] for r in rows}
    _, rows = _sheet(client.get(f"{API}/needs/export.xlsx", params={"q": tag}, headers=auth("admin")))
    assert far.id in {r["编号"] for r in rows}
    assert len(rows) == 4


def test_outside_user_exports_none_of_another_communitys_rows(client: Any, auth: Any, session: Session,
                                                               city: dict[str, Any]) -> None:
    tag = f.unique_code("外")
    outside = cf.grid(session, city, "outside")
    poster = cf.user_id(session, "resident")
    cf.make_need(session, outside, title=f"{tag}需求")
    cf.make_resource(session, outside, title=f"{tag}资源")
    cf.make_wish(session, outside, poster=poster, title=f"{tag}心愿")
    for lst in ("needs", "resources", "projects", "wishes"):
        _, rows = _sheet(client.get(f"{API}/{lst}/export.xlsx", params={"q": tag}, headers=auth("community")))
        assert rows == [], lst
    _, rows = _sheet(client.get(f"{API}/resources/export.xlsx", params={"q": tag}, headers=auth("admin")))
    assert [r["资源"] for r in rows] == [f"{tag}资源"]


def test_resources_projects_wishes_exports(client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
    tag = f.unique_code("表")
    g = cf.grid(session, city)
    cf.make_resource(session, g, title=f"{tag}理发", resource_type="助老", windows=[["09:00", "11:00"]])
    cf.make_resource(session, g, title=f"{tag}辅导", resource_type="助学")
    headers, rows = _sheet(client.get(f"{API}/resources/export.xlsx", params={"q": tag, "resource_type": "助老"},
                                      headers=auth("community")))
    assert "提供方" in headers
    assert [r["资源"] for r in rows] == [f"{tag}理发"]
    assert rows[0]["可服务时间"] == "09:00–11:00"
    poster = cf.user_id(session, "resident")
    cf.make_wish(session, g, poster=poster, title=f"{tag}书包")
    cf.make_wish(session, g, poster=poster, title=f"{tag}台灯", status="pending")
    headers, rows = _sheet(client.get(f"{API}/wishes/export.xlsx", params={"q": tag, "status": "open"},
                                      headers=auth("community")))
    assert headers[:2] == ["编号", "心愿"]
    assert [(r["心愿"], r["状态"]) for r in rows] == [(f"{tag}书包", "待认领")]
    headers, rows = _sheet(client.get(f"{API}/projects/export.xlsx", params={"q": tag}, headers=auth("community")))
    assert "开始日期" in headers
    assert rows == []
    r = client.get(f"{API}/needs/export.xlsx", headers=auth("resident"))
    assert r.status_code == 403


def test_desk_tabs_link_the_export_with_their_filters(client: Any, session: Session, city: dict[str, Any]) -> None:
    sign_in(client, "community")
    r = client.get("/cobuild?tab=needs&q=买菜&status=open&type=助老", headers=HTML)
    assert r.status_code == 200
    assert "导出Excel" in r.text
    assert "/api/v1/cobuild/needs/export.xlsx?q=%E4%B9%B0%E8%8F%9C&amp;status=open&amp;need_type=%E5%8A%A9%E8%80%81" \
        in r.text
    r = client.get("/cobuild?tab=resources&type=助学", headers={**HTML, "HX-Request": "true"})
    assert "/api/v1/cobuild/resources/export.xlsx?q=&amp;resource_type=%E5%8A%A9%E5%AD%A6" in r.text
    r = client.get("/cobuild?tab=projects&status=done", headers=HTML)
    assert "/api/v1/cobuild/projects/export.xlsx?q=&amp;status=done" in r.text
    r = client.get("/cobuild/wishes?status=pending", headers=HTML)
    assert "/api/v1/cobuild/wishes/export.xlsx?q=&amp;status=pending" in r.text


class TestWishSettings:
    def test_env_and_validation(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GONGZHI_WISH_CLAIM_LIMIT", "5")
        monkeypatch.setenv("GONGZHI_WISH_RELEASE_DAYS", "7")
        s = Settings()
        assert (s.wish_claim_limit, s.wish_release_days) == (5, 7)
        monkeypatch.delenv("GONGZHI_WISH_CLAIM_LIMIT")
        monkeypatch.delenv("GONGZHI_WISH_RELEASE_DAYS")
        assert (Settings().wish_claim_limit, Settings().wish_release_days) == (3, 14)
        for bad in ({"wish_claim_limit": 0}, {"wish_release_days": 0}):
            with pytest.raises(ValidationError):
                Settings(**bad)

    def test_the_setting_changes_the_limit(self, monkeypatch: pytest.MonkeyPatch, session: Session,
                                           city: dict[str, Any], principal: Any) -> None:
        patched = get_settings().model_copy(update={"wish_claim_limit": 1, "wish_release_days": 2})
        monkeypatch.setattr(service, "get_settings", lambda: patched)
        g = cf.grid(session, city)
        poster = cf.user_id(session, "resident")
        first, second = (cf.make_wish(session, g, poster=poster, title=f"限{i}") for i in range(2))
        service.wish_action(session, principal("party"), first, "claim", {})
        with pytest.raises(Conflict) as exc:
            service.wish_action(session, principal("party"), second, "claim", {})
        assert exc.value.code == "claim_limit"
        assert "1个" in exc.value.message
        # staff may release after the configured days, not the default 14
        assert first.claimed_at is not None
        first.claimed_at = first.claimed_at - dt.timedelta(days=3)
        service.wish_action(session, principal("community"), first, "release", {})
        assert first.status == "open"
