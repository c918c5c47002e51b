"""The duty catalog's JSON API: lists with filters and paging, writes for admins only, suggestion, the admission
lists of a community (scope: the community itself, its street, admins; others 404), and Excel in and out."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.duties.models import AdmissionItem, MatterType
from tests import factories as f
from tests.duties import factories as df

BASE = "/api/v1/duties"


def _rows(data: bytes) -> list[list[Any]]:
    return [list(r) for r in load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True)]


def _upload(rows: list[list[Any]]) -> dict[str, Any]:
    return {"file": ("data.xlsx", f.workbook(rows[0], rows[1:]), f.XLSX)}


class TestAuth:
    def test_anonymous_is_401(self, client: Any, city: dict[str, Any]) -> None:
        for url in (f"{BASE}/matter-types", f"{BASE}/categories", f"{BASE}/departments",
                    f"{BASE}/admission/{city['scopes']['community']}", f"{BASE}/suggest?text=噪音"):
            r = client.get(url)
            assert r.status_code == 401, url
            assert r.json()["error"]["code"] == "unauthorized"

    def test_residents_may_not_read_the_catalog(self, client: Any, auth: Any) -> None:
        r = client.get(f"{BASE}/matter-types", headers=auth("resident"))
        assert r.status_code == 403
        assert r.json()["error"]["message"] == "您的角色无权进行此操作"


class TestMatterTypes:
    def test_list_pages_and_filters(self, client: Any, auth: Any) -> None:
        r = client.get(f"{BASE}/matter-types", params={"size": 10, "page": 2}, headers=auth("grid"))
        body = r.json()
        assert (body["total"], body["page"], body["size"], body["pages"]) == (525, 2, 10, 53)
        assert len(body["items"]) == 10
        r = client.get(f"{BASE}/matter-types", params={"category": "C0102", "tier": "grid", "size": 50},
                       headers=auth("handler"))
        items = r.json()["items"]
        assert {i["name"] for i in items} == {"园林绿化环卫", "城管执法", "城市公共设施", "园林绿化", "环境卫生"}
        first = items[0]
        assert first["category1"]["name"] == "城乡建设"
        assert first["lead_department"]["code"] == "CGJ"
        assert first["tier_label"] == "网格"
        assert first["keywords"]

    def test_department_filter(self, client: Any, auth: Any) -> None:
        r = client.get(f"{BASE}/matter-types", params={"department": "RQGS"}, headers=auth("leader"))
        assert [i["name"] for i in r.json()["items"]] == ["燃气供应"]

    def test_bad_tier_is_422(self, client: Any, auth: Any) -> None:
        r = client.get(f"{BASE}/matter-types", params={"tier": "province"}, headers=auth("grid"))
        assert r.status_code == 422

    def test_get_and_404(self, client: Any, auth: Any, session: Session) -> None:
        mt = df.matter(session, "M0102-14")
        r = client.get(f"{BASE}/matter-types/{mt.id}", headers=auth("street"))
        assert r.status_code == 200
        assert r.json()["name"] == "环境卫生"
        r = client.get(f"{BASE}/matter-types/999999", headers=auth("street"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"

    def test_admin_creates(self, client: Any, auth: Any) -> None:
        body = df.matter_payload()
        r = client.post(f"{BASE}/matter-types", json=body, headers=auth("admin"))
        assert r.status_code == 201, r.text
        got = r.json()
        assert got["code"] == body["code"]
        assert got["assist_departments"][0]["code"] == "ZJJ"
        assert got["keywords"] == ["测试词"]
        assert got["is_active"] is True

    def test_others_get_403(self, client: Any, auth: Any) -> None:
        for user in ("leader", "street", "community", "grid", "handler"):
            r = client.post(f"{BASE}/matter-types", json=df.matter_payload(), headers=auth(user))
            assert r.status_code == 403, user

    def test_validation_errors_in_chinese(self, client: Any, auth: Any) -> None:
        r = client.post(f"{BASE}/matter-types", json=df.matter_payload(accept_hours=100, lead_department_code="X"),
                        headers=auth("admin"))
        assert r.status_code == 422
        err = r.json()["error"]
        assert err["code"] == "validation_failed"
        assert {d["field"] for d in err["details"]} == {"accept_hours", "lead_department_code"}
        assert "受理时限应为 1–72 个工作小时" in err["message"]

    def test_unknown_field_is_422(self, client: Any, auth: Any) -> None:
        r = client.post(f"{BASE}/matter-types", json={**df.matter_payload(), "colour": "red"}, headers=auth("admin"))
        assert r.status_code == 422

    def test_update_and_deactivate(self, client: Any, auth: Any, session: Session) -> None:
        mt = df.make_matter_type(session)
        r = client.patch(f"{BASE}/matter-types/{mt.id}", json={"resolve_days": 9, "is_active": False},
                         headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert (r.json()["resolve_days"], r.json()["is_active"]) == (9, False)
        r = client.patch(f"{BASE}/matter-types/{mt.id}", json={"name": "x"}, headers=auth("community"))
        assert r.status_code == 403


class TestCategoriesAndDepartments:
    def test_tree(self, client: Any, auth: Any) -> None:
        tree = client.get(f"{BASE}/categories", headers=auth("grid")).json()
        assert [t["code"] for t in tree][:2] == ["C01", "C02"]
        assert tree[0]["children"][1]["name"] == "城市建设和市政管理"
        assert tree[0]["children"][1]["matter_count"] == 16

    def test_create_category(self, client: Any, auth: Any) -> None:
        r = client.post(f"{BASE}/categories", json={"name": "接口新类", "parent_code": "C15"}, headers=auth("admin"))
        assert r.status_code == 201
        assert r.json()["parent_code"] == "C15"
        assert r.json()["level"] == 2
        r = client.post(f"{BASE}/categories", json={"name": "接口新类2"}, headers=auth("leader"))
        assert r.status_code == 403

    def test_departments(self, client: Any, auth: Any, session: Session) -> None:
        body = client.get(f"{BASE}/departments", params={"size": 100}, headers=auth("handler")).json()
        assert body["total"] == 39
        cgj = next(d for d in body["items"] if d["code"] == "CGJ")
        assert cgj["name"] == "城市管理局"
        assert cgj["lead_matter_count"] == 8
        assert cgj["region_name"]
        r = client.post(f"{BASE}/departments", json=df.department_payload(), headers=auth("admin"))
        assert r.status_code == 201, r.text
        r = client.patch(f"{BASE}/departments/{r.json()['id']}", json={"phone": "0871-1234567"},
                         headers=auth("admin"))
        assert r.json()["phone"] == "0871-1234567"
        r = client.patch(f"{BASE}/departments/{df.department(session, 'CGJ').id}", json={"is_active": False},
                         headers=auth("admin"))
        assert r.status_code == 422
        assert "仍牵头" in r.json()["error"]["message"]


class TestSuggest:
    def test_noise(self, client: Any, auth: Any) -> None:
        r = client.get(f"{BASE}/suggest", params={"text": "楼下KTV噪音扰民到凌晨", "limit": 3}, headers=auth("grid"))
        assert r.status_code == 200
        first = r.json()[0]
        assert first["name"] == "噪音污染"
        assert "噪音" in first["matched"]
        assert first["tier"] == "grid"
        assert first["lead_department"]["code"] == "HBJ"

    def test_text_required(self, client: Any, auth: Any) -> None:
        assert client.get(f"{BASE}/suggest", headers=auth("grid")).status_code == 422


class TestAdmission:
    def test_list_with_counts(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        code = city["scopes"]["community"]
        r = client.get(f"{BASE}/admission/{code}", params={"kind": "must_not_certify", "size": 5},
                       headers=auth("grid"))
        body = r.json()
        assert r.status_code == 200
        assert body["total"] == 45
        assert body["counts"]["must_do"] == 52
        assert body["community"]["code"] == code
        assert body["items"][0]["code"] == "B01"
        assert body["items"][0]["matter_type"]["name"] == "开具亲属关系证明"

    def test_communities_in_scope(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        rows = client.get(f"{BASE}/admission", headers=auth("community")).json()
        assert [(c["code"], c["items"]) for c in rows] == [(city["scopes"]["community"], 157)]

    def test_other_community_is_404(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get(f"{BASE}/admission/{city['other_community']}", headers=auth("community"))
        assert r.status_code == 404
        r = client.post(f"{BASE}/admission/{city['scopes']['community']}", json=df.admission_payload(),
                        headers=auth("community2"))
        assert r.status_code == 404

    def test_crud_by_community_staff(self, client: Any, auth: Any, city: dict[str, Any], session: Session) -> None:
        code = city["scopes"]["community"]
        r = client.post(f"{BASE}/admission/{code}", json=df.admission_payload(code="n77"), headers=auth("community"))
        assert r.status_code == 201, r.text
        item = r.json()
        assert (item["code"], item["kind_label"]) == ("N77", "协助办理事项")
        r = client.patch(f"{BASE}/admission/{code}/{item['id']}", json={"kind": "must_do"}, headers=auth("street"))
        assert r.json()["kind"] == "must_do"
        r = client.post(f"{BASE}/admission/{code}", json=df.admission_payload(code="N77"), headers=auth("community"))
        assert r.status_code == 422
        assert "已存在" in r.json()["error"]["message"]
        assert client.delete(f"{BASE}/admission/{code}/{item['id']}", headers=auth("community")).status_code == 204
        assert session.get(AdmissionItem, item["id"]) is None

    def test_readers_may_not_write(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        code = city["scopes"]["community"]
        for user in ("grid", "leader", "handler"):
            r = client.post(f"{BASE}/admission/{code}", json=df.admission_payload(), headers=auth(user))
            assert r.status_code == 403, user

    def test_item_of_another_community_is_404(self, client: Any, auth: Any, city: dict[str, Any],
                                              session: Session) -> None:
        other = df.make_admission_item(session, f.region(session, city["other_community"]))
        r = client.get(f"{BASE}/admission/{city['scopes']['community']}/{other.id}", headers=auth("admin"))
        assert r.status_code == 404

    def test_check(self, client: Any, auth: Any, city: dict[str, Any], session: Session) -> None:
        code = city["scopes"]["community"]
        refused = df.matter_named(session, "开具婚姻状况证明").code
        r = client.get(f"{BASE}/admission/{code}/check", params={"matter_code": refused}, headers=auth("grid"))
        body = r.json()
        assert body["refused"] is True
        assert body["item"]["code"] == "B02"
        assert body["reason"].startswith("不属于社区事务准入清单：婚姻状况证明")
        r = client.get(f"{BASE}/admission/{code}/check", params={"matter_code": "M0102-14"}, headers=auth("grid"))
        assert r.json() == {"refused": False, "item": None, "reason": None}


class TestExcel:
    def test_template(self, client: Any, auth: Any) -> None:
        r = client.get(f"{BASE}/matter-types/template.xlsx", headers=auth("grid"))
        assert r.status_code == 200
        assert r.headers["content-type"] == f.XLSX
        assert "filename*=UTF-8''" in r.headers["content-disposition"]

    def test_export_then_import_round_trip(self, client: Any, auth: Any, session: Session) -> None:
        data = client.get(f"{BASE}/matter-types/export.xlsx", headers=auth("grid")).content
        rows = _rows(data)
        header = rows[0]
        rows[1][header.index("受理时限（小时）*")] = 8
        r = client.post(f"{BASE}/matter-types/import", files=_upload(rows), headers=auth("admin"))
        assert r.status_code == 200, r.text[:500]
        assert r.json()["imported"] == 525
        assert session.scalars(select(MatterType).where(MatterType.code == rows[1][0])).one().accept_hours == 8

    def test_import_errors_store_nothing(self, client: Any, auth: Any, session: Session) -> None:
        header = _rows(client.get(f"{BASE}/matter-types/template.xlsx", headers=auth("admin")).content)[0]
        good = {"事项编码*": f.unique_code("M"), "事项名称*": "好的", "二级分类编码": "C0102", "牵头部门编码*": "CGJ",
                "处置层级*": "网格", "受理时限（小时）*": 4, "办结时限（工作日）*": 3}
        bad = {**good, "事项编码*": f.unique_code("M"), "办结时限（工作日）*": 0}
        r = client.post(f"{BASE}/matter-types/import", files=_upload([header, [good.get(h) for h in header],
                                                                      [bad.get(h) for h in header]]),
                        headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["errors"] == [{"row": 3, "column": "办结时限（工作日）", "field": "resolve_days",
                                       "reason": "办结时限应为 1–60 个工作日"}]
        assert session.scalars(select(MatterType).where(MatterType.code == good["事项编码*"])).first() is None

    def test_import_needs_admin(self, client: Any, auth: Any) -> None:
        r = client.post(f"{BASE}/matter-types/import", files=_upload([["事项编码*"]]), headers=auth("street"))
        assert r.status_code == 403

    def test_not_a_workbook(self, client: Any, auth: Any) -> None:
        r = client.post(f"{BASE}/departments/import", files={"file": ("x.xlsx", b"not excel", f.XLSX)},
                        headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "bad_file"

    def test_admission_round_trip(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        code = city["scopes"]["community"]
        rows = _rows(client.get(f"{BASE}/admission/{code}/export.xlsx", headers=auth("grid")).content)
        assert len(rows) == 158
        r = client.post(f"{BASE}/admission/{code}/import", files=_upload(rows), headers=auth("community"))
        assert r.status_code == 200
        assert r.json()["imported"] == 157
        r = client.post(f"{BASE}/admission/{code}/import", files=_upload(rows), headers=auth("community2"))
        assert r.status_code == 404
