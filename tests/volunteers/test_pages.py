"""The 双报到 and volunteer pages: the Party member's phone page end to end with the community desk, the
volunteer's page, the Word and Excel downloads, the employer unit's page, and forms that keep what was typed."""

from __future__ import annotations

import io
from typing import Any

import docx
import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.volunteers import service
from gongzhi.volunteers.models import Reporting, ServiceLog
from tests import factories as f
from tests.volunteers import factories as vf
from tests.web import HTML, csrf_of, sign_in


def _party_reporting(session: Session) -> Reporting:
    who = vf.principal_of(session, "party")
    r = service.my_reporting(session, who)
    assert r is not None
    return r


class TestPartyMemberFlow:
    def test_report_confirm_claim_log_and_confirm(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        unit = vf.make_unit(session, comm)
        post = vf.make_post(session, comm, slots=3, name="楼道清洁岗")
        csrf = sign_in(client, "party")
        home = client.get("/", headers=HTML)
        assert 'href="/volunteers/party"' in home.text
        page = client.get("/volunteers/party", headers=HTML)
        assert page.status_code == 200
        assert "提交报到" in page.text
        r = client.post("/volunteers/party/register", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "name": "钱卫东", "employer_name": unit.name, "skills": "电工"})
        assert r.status_code == 303, r.text
        assert "待确认" in client.get("/volunteers/party", headers=HTML).text
        reporting = _party_reporting(session)
        assert reporting.status == "pending"

        desk = f"/volunteers/desk?tab=members&community={comm.code}"
        staff = client.__class__(client.app)
        scsrf = sign_in(staff, "community")
        assert "钱卫东" in staff.get(desk, headers=HTML).text
        r = staff.post(f"/volunteers/reportings/{reporting.id}/decide", headers=HTML, follow_redirects=False,
                       data={"csrf_token": scsrf, "decision": "confirm", "next": desk})
        assert r.status_code == 303
        assert r.headers["location"] == desk + "&saved=1"

        page = client.get("/volunteers/party", headers=HTML)
        assert "楼道清洁岗" in page.text
        assert "已报到" in page.text
        r = client.post(f"/volunteers/posts/{post.id}/claim", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf})
        assert r.status_code == 303
        r = client.post("/volunteers/logs", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "served_on": service.today().isoformat(), "hours": "2.5",
                              "what": "清理楼道杂物", "link": f"post:{post.id}"},
                        files={"photos": ("p.png", f.tiny_png(), "image/png")})
        assert r.status_code == 303, r.text
        log = session.scalars(select(ServiceLog).where(ServiceLog.reporting_id == reporting.id)).one()
        assert log.post_id == post.id
        assert log.hours == 2.5
        assert len(log.photos) == 1
        assert client.get(f"/volunteers/logs/{log.id}/photos/0?thumb=1").status_code == 200

        logs = staff.get(f"/volunteers/desk?tab=logs&status=pending&community={comm.code}", headers=HTML)
        assert "清理楼道杂物" in logs.text
        r = staff.post(f"/volunteers/logs/{log.id}/decide", headers=HTML, follow_redirects=False,
                       data={"csrf_token": scsrf, "decision": "confirm"})
        assert r.status_code == 303
        session.refresh(log)
        assert log.status == "confirmed"
        assert "2.5" in client.get("/volunteers/party", headers=HTML).text

    def test_log_form_keeps_what_was_typed(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "party")
        vf.make_reporting(session, vf.principal_of(session, "party"))
        r = client.post("/volunteers/logs", headers=HTML,
                        data={"csrf_token": csrf, "served_on": service.today().isoformat(), "hours": "30",
                              "what": "看望独居老人"})
        assert r.status_code == 422
        assert "不超过 24 小时" in r.text
        assert "看望独居老人" in r.text
        assert session.scalars(select(ServiceLog)).first() is None or \
            session.scalars(select(ServiceLog).where(ServiceLog.what == "看望独居老人")).first() is None

    def test_register_form_errors(self, client: Any) -> None:
        csrf = sign_in(client, "party")
        r = client.post("/volunteers/party/register", headers=HTML,
                        data={"csrf_token": csrf, "name": "钱卫东", "employer_name": ""})
        assert r.status_code == 422
        assert "请选择或填写工作单位" in r.text
        assert "钱卫东" in r.text

    def test_households_and_problems_pages(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        sign_in(client, "party")
        vf.make_reporting(session, vf.principal_of(session, "party"))
        h = vf.make_care_household(session, comm)
        page = client.get("/volunteers/party/households?tag=独居老人", headers=HTML)
        assert page.status_code == 200
        assert f"/volunteers/households/{h.id}/pair" in page.text
        appeal = f.make_appeal(session, vf.grid_of(session, comm), title="楼顶漏水")
        page = client.get("/volunteers/party/problems", headers=HTML)
        assert page.status_code == 200
        assert "楼顶漏水" in page.text
        assert str(appeal.id) in page.text

    def test_other_roles_are_turned_away(self, client: Any) -> None:
        sign_in(client, "resident")
        assert client.get("/volunteers/party", headers=HTML).status_code == 403
        assert client.get("/volunteers/me", headers=HTML).status_code == 403
        assert client.get("/volunteers/desk", headers=HTML).status_code == 403


class TestVolunteerPage:
    def test_profile_and_report_link(self, client: Any) -> None:
        csrf = sign_in(client, "volunteer")
        page = client.get("/volunteers/me", headers=HTML)
        assert page.status_code == 200
        assert "填写志愿者档案" in page.text
        r = client.post("/volunteers/me/profile", headers=HTML,
                        data={"csrf_token": csrf, "name": "志愿者小林", "skills": "摄影"})
        assert r.status_code == 422
        assert "请至少选择一个志愿者角色" in r.text
        assert "志愿者小林" in r.text
        r = client.post("/volunteers/me/profile", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "name": "志愿者小林", "roles": ["patrol", "supervise"]})
        assert r.status_code == 303
        page = client.get("/volunteers/me", headers=HTML)
        assert "巡查员" in page.text
        assert "监督员" in page.text
        assert 'href="/appeals/new"' in page.text


class TestDeskVolunteers:
    def test_enrol_a_resident_by_name(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        f.make_resident(session, grid=vf.grid_of(session, comm), name="苗守望")
        csrf = sign_in(client, "community")
        r = client.post("/volunteers/volunteers", headers=HTML, follow_redirects=False,
                        data={"csrf_token": csrf, "community": comm.code, "resident_name": "苗守望",
                              "roles": ["guard"]})
        assert r.status_code == 303
        assert "苗守望" in client.get(f"/volunteers/desk?tab=volunteers&community={comm.code}", headers=HTML).text
        r = client.post("/volunteers/volunteers", headers=HTML,
                        data={"csrf_token": csrf, "community": comm.code, "resident_name": "查无此人",
                              "roles": ["guard"]})
        assert r.status_code == 422


class TestDeskDownloads:
    def test_evaluate_then_word_and_excel(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        unit = vf.make_unit(session, comm)
        who, r = vf.party(session, comm, unit=unit, name="冯志强")
        desk = vf.staff(session, comm)
        service.decide_log(session, desk, vf.make_log(session, who, hours=3), confirm=True)
        session.commit()
        year = service.today().year
        csrf = sign_in(client, "community")
        page = client.get(f"/volunteers/desk?tab=evaluations&year={year}", headers=HTML)
        assert "冯志强" in page.text
        assert "未评" in page.text
        res = client.post(f"/volunteers/reportings/{r.id}/evaluate", headers=HTML, follow_redirects=False,
                          data={"csrf_token": csrf, "year": str(year), "grade": "优秀", "comment": "热心"})
        assert res.status_code == 303
        doc = client.get(f"/volunteers/reportings/{r.id}/report.docx?year={year}")
        assert "filename*=UTF-8''" in doc.headers["content-disposition"]
        assert doc.status_code == 200
        assert doc.headers["content-type"].startswith("application/vnd.openxml")
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(doc.content)).paragraphs)
        assert "冯志强" in text
        assert "优秀" in text
        assert client.get(f"/volunteers/units/{unit.id}/report.docx?year={year}").status_code == 200
        xlsx = client.get(f"/volunteers/hours.xlsx?community={comm.code}")
        assert xlsx.status_code == 200
        wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        rows = list(wb["时长汇总"].iter_rows(values_only=True))
        assert ("冯志强", "在职党员", 3) in rows

    def test_tabs_render_with_filters_and_paging(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        sign_in(client, "street")
        for tab in ("members", "posts", "pairs", "logs", "volunteers", "evaluations"):
            r = client.get(f"/volunteers/desk?tab={tab}&community={comm.code}&q=x&page=2", headers=HTML)
            assert r.status_code == 200, (tab, r.text[:300])
        outside = f"/volunteers/desk?community={vf.community(session, city, 'outside').code}"
        assert client.get(outside, headers=HTML).status_code == 404  # another street's community
        sign_in(client, "leader")
        assert client.get(outside, headers=HTML).status_code == 200  # leaders read the whole city


class TestEmployerPage:
    def test_unit_handler_sees_their_members(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = vf.community(session, city)
        unit = vf.make_unit(session, comm)
        _who, r = vf.party(session, comm, unit=unit, name="褚红梅")
        handler = vf.account(session, "department_handler", comm, unit_id=unit.id)
        service.evaluate(session, vf.staff(session, comm), r, year=service.today().year, grade="合格")
        session.commit()
        user = session.get(vf.User, handler.user_id)
        assert user is not None
        sign_in(client, user.username)
        page = client.get(f"/volunteers/employer?year={service.today().year}", headers=HTML)
        assert page.status_code == 200
        assert "褚红梅" in page.text
        assert unit.name in page.text
        assert client.get(f"/volunteers/reportings/{r.id}/report.docx?year={service.today().year}").status_code == 200
        assert csrf_of(page.text)
