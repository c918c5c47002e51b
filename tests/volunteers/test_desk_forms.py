"""The community desk's forms, turned down: the desk comes back (422, or 409 for a conflict) on the form's tab,
the form open, the message next to it and at its field, and everything typed kept — never the error page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.volunteers import service
from gongzhi.volunteers.models import Evaluation, ServicePost, Team, Volunteer
from tests import factories as f
from tests.volunteers import factories as vf
from tests.web import HTML, sign_in


@pytest.fixture
def comm(session: Session, city: dict[str, Any]) -> Any:
    return vf.community(session, city)


def _open(html: str, form_id: str) -> bool:
    return re.search(rf'<details[^>]*id="{form_id}"[^>]*\bopen\b', html) is not None


class TestPostForm:
    def test_bad_slots_keeps_everything(self, client: Any, session: Session, comm: Any) -> None:
        csrf = sign_in(client, "community")
        data = {"csrf_token": csrf, "community": comm.code, "name": "助老岗<b>", "slots": "abc",
                "time_text": "每周三下午", "places": "社区活动室", "description": "陪老人读报"}
        r = client.post("/volunteers/posts", headers=HTML, data=data)
        assert r.status_code == 422
        assert "未保存，请修改后再提交" in r.text
        assert "请填写整数" in r.text
        assert _open(r.text, "post-form")
        for typed in ("助老岗&lt;b&gt;", "每周三下午", "社区活动室", "陪老人读报"):
            assert typed in r.text
        assert 'class="has-error"' in r.text
        r = client.post("/volunteers/posts", headers=HTML, data={**data, "slots": "0"})
        assert r.status_code == 422
        assert "名额须在 1–500 之间" in r.text
        assert session.scalars(select(ServicePost).where(ServicePost.name == "助老岗<b>")).first() is None

    def test_no_community_is_a_form_error_not_a_crash(self, client: Any) -> None:
        csrf = sign_in(client, "street")
        r = client.post("/volunteers/posts", headers=HTML, data={"csrf_token": csrf, "name": "助老岗", "slots": "2"})
        assert r.status_code == 422
        assert "请先选择社区" in r.text


class TestTeamForm:
    def test_duplicate_name_is_409_with_the_form(self, client: Any, session: Session, comm: Any) -> None:
        service.create_team(session, vf.staff(session, comm), comm, name="红马甲服务队")
        session.commit()
        csrf = sign_in(client, "community")
        r = client.post("/volunteers/teams", headers=HTML,
                        data={"csrf_token": csrf, "community": comm.code, "name": "红马甲服务队",
                              "description": "周末巡查"})
        assert r.status_code == 409
        assert "本社区已有同名队伍" in r.text
        assert _open(r.text, "team-form")
        assert "周末巡查" in r.text
        assert len(list(session.scalars(select(Team).where(Team.name == "红马甲服务队")))) == 1
        r = client.post("/volunteers/teams", headers=HTML,
                        data={"csrf_token": csrf, "community": comm.code, "name": "队", "description": "说明"})
        assert r.status_code == 422
        assert "请填写队伍名称（2–60 字）" in r.text


class TestVolunteerForm:
    def test_unknown_resident_keeps_name_skills_and_roles(self, client: Any, comm: Any) -> None:
        csrf = sign_in(client, "community")
        r = client.post("/volunteers/volunteers", headers=HTML,
                        data={"csrf_token": csrf, "community": comm.code, "resident_name": "查无此人",
                              "skills": "修自行车", "roles": ["guard", "errand"]})
        assert r.status_code == 422
        assert "本社区没有名为「查无此人」的居民" in r.text
        assert _open(r.text, "volunteer-form")
        assert 'value="查无此人"' in r.text
        assert 'value="修自行车"' in r.text
        assert 'value="guard" checked' in r.text
        assert 'value="errand" checked' in r.text
        assert 'value="patrol" checked' not in r.text

    def test_no_role_and_already_a_volunteer(self, client: Any, session: Session, comm: Any) -> None:
        f.make_resident(session, grid=vf.grid_of(session, comm), name="苗守望")
        csrf = sign_in(client, "community")
        data = {"csrf_token": csrf, "community": comm.code, "resident_name": "苗守望"}
        r = client.post("/volunteers/volunteers", headers=HTML, data=data)
        assert r.status_code == 422
        assert "苗守望" in r.text
        assert client.post("/volunteers/volunteers", headers=HTML, follow_redirects=False,
                           data={**data, "roles": ["guard"]}).status_code == 303
        r = client.post("/volunteers/volunteers", headers=HTML, data={**data, "roles": ["guard"]})
        assert r.status_code == 409
        assert "该居民已是志愿者" in r.text
        assert len(list(session.scalars(select(Volunteer).where(Volunteer.name == "苗守望")))) == 1


class TestEvaluateForm:
    def test_bad_grade_or_year_keeps_the_comment(self, client: Any, session: Session, comm: Any) -> None:
        _who, r = vf.party(session, comm, name="冯志强")
        year = service.today().year
        csrf = sign_in(client, "community")
        res = client.post(f"/volunteers/reportings/{r.id}/evaluate", headers=HTML,
                          data={"csrf_token": csrf, "year": str(year), "grade": "很好", "comment": "热心肠",
                                "community": comm.code})
        assert res.status_code == 422
        assert "等次只能是" in res.text
        assert 'value="热心肠"' in res.text
        assert "冯志强" in res.text
        res = client.post(f"/volunteers/reportings/{r.id}/evaluate", headers=HTML,
                          data={"csrf_token": csrf, "year": "1999", "grade": "优秀", "comment": "热心肠"})
        assert res.status_code == 422
        assert "年度不正确" in res.text
        assert session.scalars(select(Evaluation).where(Evaluation.reporting_id == r.id)).first() is None

    def test_unconfirmed_member_is_409(self, client: Any, session: Session, comm: Any) -> None:
        _who, r = vf.party(session, comm, name="待确认者", status="pending")
        csrf = sign_in(client, "community")
        res = client.post(f"/volunteers/reportings/{r.id}/evaluate", headers=HTML,
                          data={"csrf_token": csrf, "year": str(service.today().year), "grade": "合格",
                                "comment": "再观察"})
        assert res.status_code == 409
        assert "只能评议已报到的党员" in res.text
