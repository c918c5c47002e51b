"""The assessment pages through the browser's forms: the list, the set editor with its weights error, the ranking
with the red and yellow lists and change arrows, a scorecard, and the manual score form that keeps what was typed
when it is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.assessment.models import Indicator, IndicatorSet, Period, Score
from tests import factories as f
from tests.assessment import factories as af
from tests.web import HTML, sign_in

OCT, SEP = "2026-10", "2026-09"
MANUAL = [{"cls": "基础指标", "code": "A01", "name": "综合", "method": "manual", "max_score": 100}]


def _post(client: Any, url: str, csrf: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf, **(data or {})}, headers=HTML, follow_redirects=False)


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


class TestSetEditor:
    def test_build_a_set_from_the_pages(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        csrf = sign_in(client, "admin")
        assert client.get("/assessment/sets/new", headers=HTML).status_code == 200
        r = _post(client, "/assessment/sets/new", csrf, {"name": "", "level": "community", "period_kind": "month",
                                                         "region_code": city["scopes"]["community"],
                                                         "red_count": "3", "yellow_count": "x"})
        assert r.status_code == 422
        assert "请填写名称" in r.text
        assert "黄榜个数应为数字" in r.text
        assert f'value="{city["scopes"]["community"]}"' in r.text  # kept what was typed
        r = _post(client, "/assessment/sets/new", csrf, {"name": "社区考核", "level": "community",
                                                         "period_kind": "month", "region_code": city["scopes"]["city"],
                                                         "red_count": "3", "yellow_count": "3"})
        assert r.status_code == 303
        url = r.headers["location"]
        s = session.scalars(select(IndicatorSet).where(IndicatorSet.name == "社区考核")).one()
        assert url == f"/assessment/sets/{s.id}"
        assert _post(client, f"{url}/class", csrf, {"name": "基础指标"}).status_code == 303
        cls = af.classes_of(session, s)[0]
        r = _post(client, f"{url}/indicator", csrf, {"class_id": str(cls.id), "code": "A01", "name": "组织建设",
                                                     "method": "manual", "max_score": "60"})
        assert r.status_code == 303
        r = _post(client, f"{url}/indicator", csrf, {"class_id": str(cls.id), "code": "A01", "name": "群众满意率",
                                                     "method": "computed", "max_score": "30", "metric": "",
                                                     "full_at": "0.95", "zero_at": "0.6"})
        assert r.status_code == 422
        assert "编号 A01 已被“组织建设”使用" in r.text
        assert "请选择计算所用的数据指标" in r.text
        assert 'value="群众满意率"' in r.text
        assert _count(session, Indicator, Indicator.set_id == s.id) == 1
        r = _post(client, f"{url}/activate", csrf)
        assert r.status_code == 422
        assert "各项指标分值合计应为 100 分，现为 60 分（还差 40 分）" in r.text
        assert "还差 40 分，启用前须补足到 100 分" in r.text
        _post(client, f"{url}/indicator", csrf, {"class_id": str(cls.id), "code": "A02", "name": "群众满意率",
                                                 "method": "computed", "max_score": "40",
                                                 "metric": "appeal_satisfaction_rate", "full_at": "0.95",
                                                 "zero_at": "0.6"})
        assert _post(client, f"{url}/activate", csrf).status_code == 303
        page = client.get(url, headers=HTML)
        assert "分值合计正好 100 分" in page.text
        assert "群众满意率" in page.text
        r = _post(client, f"{url}/class", csrf, {"name": "品牌指标"})
        assert r.status_code == 409
        assert "不能再改" in r.text

    def test_readers_see_the_set_without_forms(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        s = af.make_set(session, f.region(session, city["scopes"]["city"]), status="draft")
        sign_in(client, "community")
        r = client.get(f"/assessment/sets/{s.id}", headers=HTML)
        assert r.status_code == 200
        assert "网格力量配备" in r.text
        assert "增加指标" not in r.text
        assert s.name in client.get("/assessment", headers=HTML).text


class TestRankingPage:
    def test_lists_colours_and_arrows(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        region = f.region(session, city["scopes"]["city"])
        s = af.make_set(session, region, indicators=MANUAL, red=1, yellow=1)
        comms = af.children(session, region, "community")
        for period, totals in ((SEP, [50, 60, 70, 80, 90]), (OCT, [95, 60, 70, 80, 65, 55])):
            for c, total in zip(comms, totals, strict=False):
                af.put_score(session, s, period, c, "A01", total)
        sign_in(client, "leader")
        r = client.get(f"/assessment/sets/{s.id}/periods/{OCT}", headers=HTML)
        assert r.status_code == 200
        page = r.text
        assert 'class="row-red"' in page
        assert 'class="row-yellow"' in page
        assert "▲4" in page  # comms[0]: fifth in September, first in October
        assert "▼" in page
        assert "新上榜" in page  # comms[5] had no September score
        red = page.split('class="board red-board"', 1)[1].split("</section>", 1)[0]
        assert comms[0].name in red
        yellow = page.split('class="board yellow-board"', 1)[1].split("</section>", 1)[0]
        assert comms[5].name in yellow
        assert "发布本期结果" in page

    def test_community_staff_see_only_their_row(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        region = f.region(session, city["scopes"]["city"])
        s = af.make_set(session, region, indicators=MANUAL)
        comms = af.children(session, region, "community")
        for i, c in enumerate(comms):
            af.put_score(session, s, OCT, c, "A01", 10 * (i + 1))
        sign_in(client, "community")
        page = client.get(f"/assessment/sets/{s.id}/periods/{OCT}", headers=HTML).text
        mine = f.region(session, city["scopes"]["community"])
        other = f.region(session, city["other_community"])
        assert mine.name in page
        assert other.name not in page.split("<table", 1)[1]
        assert "发布本期结果" not in page
        assert client.get(f"/assessment/sets/{s.id}/periods/{OCT}/regions/{mine.code}", headers=HTML).status_code \
            == 200
        r = client.get(f"/assessment/sets/{s.id}/periods/{OCT}/regions/{other.code}", headers=HTML)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")

    def test_compute_and_publish_from_the_page(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        s = af.make_set(session, f.region(session, city["scopes"]["city"]))
        csrf = sign_in(client, "leader")
        base = f"/assessment/sets/{s.id}/periods/{OCT}"
        r = _post(client, f"{base}/compute", csrf)
        assert (r.status_code, r.headers["location"]) == (303, f"{base}?done=compute")
        assert _count(session, Score, Score.set_id == s.id) == len(af.children(
            session, f.region(session, city["scopes"]["city"]), "community"))
        assert _post(client, f"{base}/publish", csrf).status_code == 303
        assert session.scalars(select(Period).where(Period.set_id == s.id)).one().status == "published"
        r = _post(client, f"{base}/compute", csrf)
        assert r.status_code == 409
        assert "已发布" in r.text


class TestScoreForm:
    def test_refused_form_keeps_what_was_typed(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        s = af.make_set(session, f.region(session, city["scopes"]["city"]), indicators=[
            {"cls": "基础指标", "code": "A01", "name": "组织建设", "method": "manual", "max_score": 60},
            {"cls": "品牌指标", "code": "B01", "name": "党建品牌", "method": "manual", "max_score": 40},
            {"cls": "底线指标", "code": "C01", "name": "越级上访", "method": "veto", "max_score": 0, "deduction": 5},
        ])
        comm = city["scopes"]["community"]
        url = f"/assessment/sets/{s.id}/periods/{OCT}/regions/{comm}/score"
        csrf = sign_in(client, "street")
        assert client.get(url, headers=HTML).status_code == 200
        r = _post(client, url, csrf, {"A01_score": "55", "A01_evidence": "支部标准化台账", "B01_score": "48",
                                      "B01_evidence": "", "C01_failed": "1", "C01_evidence": ""})
        assert r.status_code == 422
        assert 'value="55"' in r.text
        assert "支部标准化台账" in r.text
        assert 'value="48"' in r.text
        assert "B01 得分应在0到40之间" in r.text
        assert "请填写B01 评分依据（佐证）" in r.text
        assert "请填写C01 情况说明（佐证）" in r.text
        assert 'name="C01_failed" value="1" checked' in r.text
        assert _count(session, Score, Score.set_id == s.id) == 0
        r = _post(client, url, csrf, {"A01_score": "55", "A01_evidence": "支部标准化台账", "B01_score": "",
                                      "B01_evidence": "", "C01_failed": "1", "C01_evidence": "越级上访1起"})
        assert r.status_code == 303
        card = client.get(r.headers["location"], headers=HTML)
        assert "评分已保存" in card.text
        assert "越级上访1起" in card.text
        scores = {sc.indicator_id: sc.score for sc in session.scalars(select(Score).where(Score.set_id == s.id))}
        assert sorted(scores.values()) == [-5.0, 55.0]
        again = client.get(url, headers=HTML).text
        assert 'value="55"' in again

    def test_readers_cannot_score(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        s = af.make_set(session, f.region(session, city["scopes"]["city"]))
        sign_in(client, "community")
        url = f"/assessment/sets/{s.id}/periods/{OCT}/regions/{city['scopes']['community']}/score"
        assert client.get(url, headers=HTML).status_code == 403
