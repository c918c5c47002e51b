"""The duty catalog's pages: the catalog browser (tree, search, filters, HTMX partial), the matter type form
(admins; keeps what was typed), the admission list of a community (tabs, editing in scope), Excel import."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.duties.models import AdmissionItem, MatterType
from tests import factories as f
from tests.duties import factories as df
from tests.web import HTML, csrf_of, sign_in


def matter_form(csrf: str, **values: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "code": f.unique_code("M"), "name": "页面新增事项", "category_code": "C0102",
            "lead_department_code": "CGJ", "assist_department_codes": ["ZJJ", "HBJ"], "tier": "grid",
            "accept_hours": "4", "resolve_days": "3", "keywords": "页面词", "is_active": "是", **values}


class TestCatalogPage:
    def test_tree_and_list(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.get("/duties", headers=HTML)
        assert r.status_code == 200
        assert "城乡建设" in r.text
        assert "城市建设和市政管理" in r.text
        assert "共 525 个事项" in r.text
        assert 'href="/duties"' in r.text
        assert "职责清单" in r.text
        assert "新增事项" not in r.text  # not an admin

    def test_search_and_filters(self, client: Any) -> None:
        sign_in(client, "street")
        r = client.get("/duties", params={"q": "噪音"}, headers=HTML)
        assert "噪音污染" in r.text
        assert "环境卫生" not in r.text
        r = client.get("/duties", params={"category": "C0102", "tier": "community"}, headers=HTML)
        assert "小区管理" in r.text
        assert "居民服务设施" in r.text
        assert "环境卫生" not in r.text
        assert "· 城市建设和市政管理" in r.text
        r = client.get("/duties", params={"department": "GDGS"}, headers=HTML)
        assert "电力供应" in r.text
        assert "共 1 个事项" in r.text

    def test_paging(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.get("/duties", params={"page": 2, "size": 50}, headers=HTML)
        assert "第 2 / 11 页" in r.text

    def test_htmx_gets_only_the_table(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.get("/duties", params={"q": "燃气"}, headers={**HTML, "HX-Request": "true"})
        assert r.status_code == 200
        assert "<html" not in r.text
        assert "燃气供应" in r.text

    def test_matter_type_page(self, client: Any, session: Session) -> None:
        mt = df.matter_named(session, "噪音污染")
        sign_in(client, "handler")
        r = client.get(f"/duties/matter-types/{mt.id}", headers=HTML)
        assert r.status_code == 200
        for text in ("生态环境局", "公安局", "城市管理局", "网格", "派单后 4 个工作小时内接单", "广场舞"):
            assert text in r.text

    def test_residents_have_no_catalog(self, client: Any) -> None:
        sign_in(client, "resident")
        assert 'href="/duties"' not in client.get("/", headers=HTML).text
        r = client.get("/duties", headers=HTML)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("text/html")

    def test_anonymous_goes_to_login(self, client: Any) -> None:
        r = client.get("/duties", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")


class TestMatterTypeForm:
    def test_admin_creates(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "admin")
        form = matter_form(csrf)
        r = client.post("/duties/matter-types/new", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 303, r.text[:500]
        mt = session.scalars(select(MatterType).where(MatterType.code == form["code"])).one()
        assert r.headers["location"] == f"/duties/matter-types/{mt.id}?saved=1"
        assert len(mt.assist_department_ids) == 2
        assert mt.is_active

    def test_errors_keep_what_was_typed(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "admin")
        form = matter_form(csrf, name="保留输入的事项", resolve_days="99", lead_department_code="")
        r = client.post("/duties/matter-types/new", data=form, headers=HTML)
        assert r.status_code == 422
        text = html.unescape(r.text)
        assert "有 2 项需要修改" in text
        assert "办结时限应为 1–60 个工作日" in text
        assert "牵头部门编码不能为空" in text
        assert 'value="保留输入的事项"' in r.text
        assert 'value="99"' in r.text
        assert 'value="ZJJ" checked' in r.text
        assert 'value="HBJ" checked' in r.text
        assert session.scalars(select(MatterType).where(MatterType.code == form["code"])).first() is None

    def test_edit(self, client: Any, session: Session) -> None:
        mt = df.make_matter_type(session)
        csrf = sign_in(client, "admin")
        r = client.get(f"/duties/matter-types/{mt.id}/edit", headers=HTML)
        assert r.status_code == 200
        assert f'value="{mt.code}"' in r.text
        form = matter_form(csrf, code=mt.code, name="改过名", tier="street", assist_department_codes=[])
        form.pop("is_active")  # unticked: deactivated
        r = client.post(f"/duties/matter-types/{mt.id}/edit", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        session.refresh(mt)
        assert (mt.name, mt.tier, mt.assist_department_ids, mt.is_active) == ("改过名", "street", [], False)

    def test_only_admins(self, client: Any) -> None:
        csrf = sign_in(client, "community")
        assert client.get("/duties/matter-types/new", headers=HTML).status_code == 403
        r = client.post("/duties/matter-types/new", data=matter_form(csrf), headers=HTML)
        assert r.status_code == 403


class TestImportPage:
    def test_errors_listed_and_nothing_stored(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "admin")
        assert client.get("/duties/import/matter-types", headers=HTML).status_code == 200
        header = ["事项编码*", "事项名称*", "二级分类编码", "牵头部门编码*", "处置层级*", "受理时限（小时）*",
                  "办结时限（工作日）*"]
        code = f.unique_code("M")
        data = f.workbook(header, [[code, "页面导入", "C0102", "CGJ", "网格", 4, 3], [code, "重复", "C0102", "CGJ",
                                                                                  "网格", 4, 3]])
        r = client.post("/duties/import/matter-types", data={"csrf_token": csrf},
                        files={"file": ("bad.xlsx", data, f.XLSX)}, headers=HTML)
        assert r.status_code == 422
        assert 'id="import-errors"' in r.text
        assert "编号与第 2 行重复" in r.text
        assert session.scalars(select(MatterType).where(MatterType.code == code)).first() is None

    def test_unknown_kind(self, client: Any) -> None:
        sign_in(client, "admin")
        assert client.get("/duties/import/units", headers=HTML).status_code == 404


class TestAdmissionPages:
    def test_chooser(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "street")
        r = client.get("/duties/admission", headers=HTML)
        assert r.status_code == 200
        assert f'/duties/admission/{city["scopes"]["community"]}' in r.text
        assert city["other_community"] not in r.text

    def test_tabs_and_editing_for_the_community(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "community")
        code = city["scopes"]["community"]
        r = client.get(f"/duties/admission/{code}", params={"kind": "must_not_certify"}, headers=HTML)
        assert r.status_code == 200
        assert "不得出具证明事项<span class=\"n\">45</span>" in r.text
        assert "亲属关系证明" in r.text
        assert "协助开展征兵工作" not in r.text
        assert "新增事项" in r.text
        assert "/edit" in r.text

    def test_grid_worker_reads_only(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "grid")
        r = client.get(f"/duties/admission/{city['scopes']['community']}", headers=HTML)
        assert r.status_code == 200
        assert "共 157 项" in r.text
        assert "新增事项" not in r.text
        assert "/delete" not in r.text

    def test_other_community_is_404(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "community")
        r = client.get(f"/duties/admission/{city['other_community']}", headers=HTML)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")

    def test_create_edit_delete(self, client: Any, city: dict[str, Any], session: Session) -> None:
        code = city["scopes"]["community"]
        csrf = sign_in(client, "community")
        form = {"csrf_token": csrf, "code": "W01", "kind": "assist", "title": "页面新增准入事项", "basis": "",
                "matter_type_code": ""}
        r = client.post(f"/duties/admission/{code}/new", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"/duties/admission/{code}?kind=assist")
        item = session.scalars(select(AdmissionItem).where(AdmissionItem.title == "页面新增准入事项")).one()
        r = client.post(f"/duties/admission/{code}/new", data={**form, "matter_type_code": "NOPE"}, headers=HTML)
        assert r.status_code == 422
        assert "编号 W01 在本社区已存在" in r.text
        assert 'value="NOPE"' in r.text
        page = client.get(f"/duties/admission/{code}/{item.id}/edit", headers=HTML)
        assert 'value="页面新增准入事项"' in page.text
        r = client.post(f"/duties/admission/{code}/{item.id}/edit",
                        data={**form, "csrf_token": csrf_of(page.text), "title": "改过"}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        session.refresh(item)
        assert item.title == "改过"
        r = client.post(f"/duties/admission/{code}/{item.id}/delete", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        assert session.get(AdmissionItem, item.id) is None

    def test_csrf_required(self, client: Any, city: dict[str, Any]) -> None:
        sign_in(client, "community")
        r = client.post(f"/duties/admission/{city['scopes']['community']}/new", data={"code": "W02"}, headers=HTML)
        assert r.status_code == 403

    def test_import_page(self, client: Any, city: dict[str, Any]) -> None:
        code = city["scopes"]["community"]
        csrf = sign_in(client, "street")
        assert client.get(f"/duties/admission/{code}/import", headers=HTML).status_code == 200
        data = f.workbook(["编号*", "类别*", "事项名称*"], [["W09", "依法履职事项", "页面导入的事项"]])
        r = client.post(f"/duties/admission/{code}/import", data={"csrf_token": csrf},
                        files={"file": ("ok.xlsx", data, f.XLSX)}, headers=HTML)
        assert r.status_code == 200
        assert "导入成功：共 1 行。" in r.text
