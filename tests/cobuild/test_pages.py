"""The co-building pages through the browser's forms: every page renders, forms keep what was typed on an error,
and the whole flow (need → suggestion → project → rating; wish → claim → fulfil → thanks) works from HTML."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.cobuild import service
from gongzhi.cobuild.models import Need, Wish
from gongzhi.orgs.models import Unit
from tests import factories as f
from tests.cobuild import factories as cf
from tests.web import HTML, sign_in


def _post(client: Any, url: str, csrf: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, **(data or {})}, headers=HTML, follow_redirects=False, **kw)


class TestDesk:
    def test_tabs_render(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        g = cf.grid(session, city)
        cf.make_need(session, g, title="楼道堆物清理")
        cf.make_resource(session, g, title="物业保洁队")
        cf.make_members(session, cf.community(session, city), 6)
        sign_in(client, "community")
        for tab, text in (("needs", "楼道堆物清理"), ("resources", "物业保洁队"), ("projects", "还没有项目"),
                          ("committee", "生成轮值表")):
            r = client.get(f"/cobuild?tab={tab}", headers=HTML)
            assert r.status_code == 200, r.text
            assert text in r.text
        r = client.get("/cobuild?q=堆物", headers={**HTML, "HX-Request": "true"})
        assert "楼道堆物清理" in r.text
        assert "<html" not in r.text

    def test_rotation_from_the_page(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        comm = cf.community(session, city)
        cf.make_members(session, comm, 6)
        csrf = sign_in(client, "community")
        r = _post(client, f"/cobuild/committee/{comm.code}/generate", csrf, {"year": "2026"})
        assert r.status_code == 303
        r = _post(client, f"/cobuild/committee/{comm.code}/generate", csrf, {"year": "2026"})
        assert r.status_code == 409
        assert "已生成" in r.text
        r = _post(client, f"/cobuild/committee/{comm.code}/swap", csrf, {"year": "2026", "a": "1", "b": "6"})
        assert r.status_code == 303
        page = client.get(f"/cobuild?tab=committee&community={comm.code}", headers=HTML)
        assert "1–2月" in page.text

    def test_grid_worker_reads_but_cannot_run_assignment(self, client: Any, city: dict[str, Any]) -> None:
        csrf = sign_in(client, "grid")
        assert client.get("/cobuild", headers=HTML).status_code == 200
        r = _post(client, f"/cobuild/assignment/{city['scopes']['community']}", csrf)
        assert r.status_code == 403

    def test_resident_has_no_desk(self, client: Any) -> None:
        sign_in(client, "resident")
        assert client.get("/cobuild", headers=HTML).status_code == 403


class TestNeedFlow:
    def test_resident_need_form_keeps_input(self, client: Any) -> None:
        csrf = sign_in(client, "resident")
        assert client.get("/cobuild/needs/new", headers=HTML).status_code == 200
        r = _post(client, "/cobuild/needs/new", csrf, {"title": "帮老人理发", "need_type": "", "urgency": "normal"})
        assert r.status_code == 422
        assert "帮老人理发" in r.text
        assert "请选择需求类型" in r.text

    def test_need_to_rated_project(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        g = cf.grid(session, city)
        res = cf.make_resource(session, g, title="理发志愿队", skills="理发")
        csrf = sign_in(client, "resident")
        r = _post(client, "/cobuild/needs/new", csrf, {"title": "帮老人理发", "need_type": "助老", "skills": "理发",
                                                       "beneficiary_count": "3"})
        assert r.status_code == 303
        need_id = int(r.headers["location"].split("/")[3].split("?")[0])
        page = client.get(f"/cobuild/needs/{need_id}", headers=HTML)
        assert "理发志愿队" in page.text  # the resident sees suggestions for their own need
        client.post("/logout", data={"csrf_token": csrf}, headers=HTML)
        csrf = sign_in(client, "community")
        r = _post(client, f"/cobuild/needs/{need_id}/claim", csrf, {"resource_id": str(res.id), "accept": "1"})
        assert r.status_code == 303
        need = session.get(Need, need_id)
        assert need.status == "in_project"
        project = service.repo.projects_of_need(session, need)[0]
        assert _post(client, f"/cobuild/projects/{project.id}/step", csrf, {"title": "上门理发"}).status_code == 303
        step = service.repo.steps(session, project)[0]
        r = _post(client, f"/cobuild/projects/{project.id}/finish", csrf, {"outcome": "理了3人"})
        assert r.status_code == 409  # a step is still open
        assert _post(client, f"/cobuild/projects/{project.id}/done", csrf, {"step_id": str(step.id)}).status_code == 303
        assert _post(client, f"/cobuild/projects/{project.id}/finish", csrf, {"outcome": "理了3人"}).status_code == 303
        client.post("/logout", data={"csrf_token": csrf}, headers=HTML)
        csrf = sign_in(client, "resident")
        page = client.get(f"/cobuild/projects/{project.id}", headers=HTML)
        assert "提交评价" in page.text
        r = _post(client, f"/cobuild/projects/{project.id}/rate", csrf, {"rating": "5", "comment": "师傅手艺好"})
        assert r.status_code == 303
        assert project.rating == 5

    def test_assignment_page(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        g = cf.grid(session, city)
        needs = [cf.make_need(session, g, need_type="文体活动", title=f"广场舞场地{i}") for i in range(2)]
        res = cf.make_resource(session, g, resource_type="文体活动", capacity=2, title="学校操场")
        csrf = sign_in(client, "community")
        r = _post(client, f"/cobuild/assignment/{city['scopes']['community']}", csrf)
        assert r.status_code == 200
        assert "学校操场" in r.text
        pairs = [f"{n.id}:{res.id}" for n in needs]
        r = _post(client, f"/cobuild/assignment/{city['scopes']['community']}/accept", csrf, {"pair": pairs})
        assert r.status_code == 303
        assert all(n.status == "in_project" for n in needs)

    def test_unit_page_and_resource(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        m = cf.make_member(session, cf.community(session, city), name="区人民医院")
        cf.unit_user(session, city, session.get(Unit, m.unit_id))
        csrf = sign_in(client, "unit")
        page = client.get("/cobuild/unit", headers=HTML)
        assert page.status_code == 200
        assert "区人民医院" in page.text
        r = _post(client, "/cobuild/resources/new", csrf, {"title": "家庭医生上门", "resource_type": "医疗健康",
                                                           "capacity": "5", "windows": "2026-12-01,2026-12-31"})
        assert r.status_code == 303
        assert "家庭医生上门" in client.get("/cobuild/unit", headers=HTML).text
        r = _post(client, "/cobuild/resources/new", csrf, {"title": "", "resource_type": "医疗健康", "capacity": "x"})
        assert r.status_code == 422
        assert "可承接数量应为整数" in r.text


class TestWishFlow:
    @pytest.mark.usefixtures("city")
    def test_post_claim_fulfil_thank(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "resident")
        r = _post(client, "/cobuild/wishes/new", csrf, {"title": "想要一本新华字典", "kind": "supplies"},
                  files={"photo": ("w.png", f.tiny_png(), "image/png")})
        assert r.status_code == 303
        wish_id = int(r.headers["location"].split("/")[3].split("?")[0])
        assert "想要一本新华字典" in client.get("/cobuild/wishes/mine", headers=HTML).text
        assert client.get(f"/cobuild/wishes/{wish_id}/photo/wish").status_code == 200
        client.post("/logout", data={"csrf_token": csrf}, headers=HTML)
        csrf = sign_in(client, "community")
        assert _post(client, f"/cobuild/wishes/{wish_id}/approve", csrf).status_code == 303
        client.post("/logout", data={"csrf_token": csrf}, headers=HTML)
        csrf = sign_in(client, "party")
        assert "想要一本新华字典" in client.get("/cobuild/wishes", headers=HTML).text
        assert _post(client, f"/cobuild/wishes/{wish_id}/claim", csrf).status_code == 303
        r = _post(client, f"/cobuild/wishes/{wish_id}/fulfil", csrf, {"note": "已送到"})
        assert r.status_code == 422
        assert "完成照片" in r.text
        r = _post(client, f"/cobuild/wishes/{wish_id}/fulfil", csrf, {"note": "已送到"},
                  files={"photo": ("d.png", f.tiny_png((0, 120, 0)), "image/png")})
        assert r.status_code == 303
        client.post("/logout", data={"csrf_token": csrf}, headers=HTML)
        csrf = sign_in(client, "resident")
        page = client.get(f"/cobuild/wishes/{wish_id}", headers=HTML)
        assert "致谢" in page.text
        assert _post(client, f"/cobuild/wishes/{wish_id}/thank", csrf, {"note": "谢谢党员同志"}).status_code == 303
        assert session.get(Wish, wish_id).status == "thanked"

    def test_staff_wish_list_and_menu(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        cf.make_wish(session, cf.grid(session, city), poster=cf.user_id(session, "resident"), status="pending",
                     title="请人陪我去医院")
        sign_in(client, "community")
        r = client.get("/cobuild/wishes?status=pending", headers=HTML)
        assert "请人陪我去医院" in r.text
        home = client.get("/", headers=HTML)
        assert 'href="/cobuild"' in home.text
