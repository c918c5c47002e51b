"""Register pages (shown with the residents register): list with search, forms that keep what was typed,
detail with masked numbers and an audited reveal, delete, import, and scope."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import crypto
from gongzhi.core.audit import AuditEvent
from gongzhi.people.models import Resident
from gongzhi.people.service import RESIDENTS
from tests import factories as f
from tests.web import HTML, sign_in


def new_resident_form(csrf: str, grid_code: str, **values: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "grid_code": grid_code, "name": "页面新增", "id_number": f.new_id_number(),
            "phone": f.new_phone(), "relation": "户主", "care_tags": ["独居老人", "低保"], **values}


class TestListPage:
    def test_search_by_name(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        f.make_resident(session, grid=grid, name="司马页搜")
        f.make_resident(session, grid=grid, name="诸葛不同")
        sign_in(client, "grid")
        r = client.get("/registers/residents", params={"q": "司马页搜"}, headers=HTML)
        assert r.status_code == 200
        assert "司马页搜" in r.text
        assert "诸葛不同" not in r.text
        assert 'value="司马页搜"' in r.text  # the search box keeps the query

    def test_search_by_id_number_shows_the_person_masked(self, client: Any, session: Session,
                                                         city: dict[str, Any]) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="身份证搜",
                              id_number=number)
        sign_in(client, "grid")
        r = client.get("/registers/residents", params={"q": number}, headers=HTML)
        assert f'href="/registers/residents/{row.id}"' in r.text
        assert crypto.mask_id_number(number) in r.text

    def test_list_never_shows_clear_numbers(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        number, phone = f.new_id_number(), f.new_phone()
        f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="明文检查", id_number=number,
                        phone=phone)
        sign_in(client, "grid")
        r = client.get("/registers/residents", params={"q": "明文检查"}, headers=HTML)
        assert "明文检查" in r.text
        assert number not in r.text
        assert phone not in r.text

    def test_htmx_request_gets_only_the_table(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="局部刷新")
        sign_in(client, "grid")
        r = client.get("/registers/residents", params={"q": "局部刷新"}, headers={**HTML, "HX-Request": "true"})
        assert r.status_code == 200
        assert "局部刷新" in r.text
        assert "<html" not in r.text

    def test_list_shows_only_the_scope(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["other_grid"]), name="别处居民")
        sign_in(client, "grid")
        r = client.get("/registers/residents", params={"q": "别处居民"}, headers=HTML)
        assert f'href="/registers/residents/{row.id}"' not in r.text
        client.cookies.clear()
        sign_in(client, "grid2")
        r = client.get("/registers/residents", params={"q": "别处居民"}, headers=HTML)
        assert f'href="/registers/residents/{row.id}"' in r.text

    def test_unknown_register_is_a_404_page(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.get("/registers/spaceships", headers=HTML)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")


class TestNewForm:
    def test_form_renders_every_field(self, client: Any) -> None:
        sign_in(client, "grid")
        r = client.get("/registers/residents/new", headers=HTML)
        assert r.status_code == 200
        for field in RESIDENTS.fields:
            assert f'name="{field.name}"' in r.text, field.name

    def test_invalid_form_is_rerendered_with_the_typed_values_and_a_chinese_error(
            self, client: Any, session: Session, city: dict[str, Any]) -> None:
        csrf = sign_in(client, "grid")
        good = f.new_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        before = f.count(session, Resident)
        form = new_resident_form(csrf, city["scopes"]["grid"], name="保留我", id_number=bad, ethnicity="彝族")
        r = client.post("/registers/residents/new", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 422
        assert "身份证号校验码错误（GB 11643）" in r.text
        assert 'value="保留我"' in r.text
        assert 'value="彝族"' in r.text
        assert f'value="{bad}"' in r.text
        assert f'value="{form["phone"]}"' in r.text
        assert 'value="低保" checked' in r.text
        assert f.count(session, Resident) == before

    def test_several_errors_are_shown_together(self, client: Any, city: dict[str, Any]) -> None:
        csrf = sign_in(client, "grid")
        form = new_resident_form(csrf, city["other_grid"], name="", phone="123")
        r = client.post("/registers/residents/new", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 422
        text = html.unescape(r.text)
        assert "姓名不能为空" in text
        assert "不在您的管辖范围内" in text
        assert "联系电话格式不正确" in text

    def test_valid_form_saves_and_redirects_to_the_detail(self, client: Any, session: Session,
                                                          city: dict[str, Any]) -> None:
        csrf = sign_in(client, "grid")
        form = new_resident_form(csrf, city["scopes"]["grid"], name="页面保存")
        r = client.post("/registers/residents/new", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        row = session.scalars(select(Resident).where(
            Resident.id_number_hash == crypto.blind_index(form["id_number"]))).one()
        assert r.headers["location"] == f"/registers/residents/{row.id}?saved=1"
        assert row.name == "页面保存"
        assert row.care_tags == "独居老人,低保"
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "residents",
                                                         AuditEvent.entity_id == str(row.id))).one()
        assert event.actor_name == "grid"

    def test_without_csrf_token_is_403(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        sign_in(client, "grid")
        form = new_resident_form("", city["scopes"]["grid"])
        form.pop("csrf_token")
        before = f.count(session, Resident)
        r = client.post("/registers/residents/new", data=form, headers=HTML, follow_redirects=False)
        assert r.status_code == 403
        assert f.count(session, Resident) == before

    def test_role_without_write_gets_403(self, client: Any) -> None:
        sign_in(client, "leader")
        assert client.get("/registers/residents/new", headers=HTML).status_code == 403


class TestDetailPage:
    def test_numbers_are_masked_and_reveal_is_offered(self, client: Any, session: Session,
                                                      city: dict[str, Any]) -> None:
        number, phone = f.new_id_number(), f.new_phone()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), id_number=number,
                              phone=phone)
        sign_in(client, "grid")
        r = client.get(f"/registers/residents/{row.id}", headers=HTML)
        assert r.status_code == 200
        assert crypto.mask_id_number(number) in r.text
        assert crypto.mask_phone(phone) in r.text
        assert number not in r.text
        assert phone not in r.text
        assert f"/registers/residents/{row.id}/reveal?field=id_number" in r.text

    def test_leader_is_not_offered_reveal(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        sign_in(client, "leader")
        r = client.get(f"/registers/residents/{row.id}", headers=HTML)
        assert r.status_code == 200
        assert "/reveal" not in r.text

    def test_reveal_returns_the_value_and_is_audited(self, client: Any, session: Session,
                                                     city: dict[str, Any]) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), id_number=number)
        csrf = sign_in(client, "community")
        r = client.post(f"/registers/residents/{row.id}/reveal", params={"field": "id_number"},
                        headers={**HTML, "HX-Request": "true", "X-CSRF-Token": csrf})
        assert r.status_code == 200
        assert number in r.text
        assert f.count(session, AuditEvent, AuditEvent.action == "reveal",
                       AuditEvent.entity_id == str(row.id), AuditEvent.actor_name == "community") == 1

    def test_outside_scope_is_a_404_page(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["other_grid"]))
        sign_in(client, "community")
        r = client.get(f"/registers/residents/{row.id}", headers=HTML)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "404" in r.text
        assert row.name not in r.text


class TestEditPage:
    def test_empty_number_boxes_keep_the_stored_numbers(self, client: Any, session: Session,
                                                        city: dict[str, Any]) -> None:
        number, phone = f.new_id_number(), f.new_phone()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), id_number=number,
                              phone=phone, name="改前")
        csrf = sign_in(client, "grid")
        form_page = client.get(f"/registers/residents/{row.id}/edit", headers=HTML)
        assert form_page.status_code == 200
        assert crypto.mask_id_number(number) in form_page.text  # shown as the placeholder only
        assert number not in form_page.text
        r = client.post(f"/registers/residents/{row.id}/edit", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "grid_code": city["scopes"]["grid"], "name": "改后", "id_number": "", "phone": ""})
        assert r.status_code == 303
        session.expire_all()
        saved = session.get(Resident, row.id)
        assert saved is not None
        assert saved.name == "改后"
        assert crypto.decrypt(saved.id_number_enc or b"") == number
        assert crypto.decrypt(saved.phone_enc or b"") == phone

    def test_invalid_edit_changes_nothing(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="不变")
        csrf = sign_in(client, "grid")
        r = client.post(f"/registers/residents/{row.id}/edit", headers=HTML, follow_redirects=False, data={
            "csrf_token": csrf, "grid_code": city["scopes"]["grid"], "name": "新名", "phone": "not-a-phone"})
        assert r.status_code == 422
        assert 'value="新名"' in r.text
        session.expire_all()
        assert session.get(Resident, row.id).name == "不变"  # type: ignore[union-attr]


class TestDeletePage:
    def test_delete_redirects_to_the_list(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        row_id = row.id
        csrf = sign_in(client, "grid")
        r = client.post(f"/registers/residents/{row_id}/delete", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/registers/residents"
        session.expire_all()
        assert session.get(Resident, row_id) is None

    def test_household_still_in_use_is_a_409_page(self, client: Any, session: Session,
                                                  city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        household = f.make_household(session, grid=grid)
        f.make_resident(session, grid=grid, household=household)
        csrf = sign_in(client, "grid")
        r = client.post(f"/registers/households/{household.id}/delete", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
        assert r.status_code == 409
        assert "仍被其他记录引用" in r.text


class TestImportPage:
    def test_bad_rows_are_listed_and_nothing_is_stored(self, client: Any, session: Session,
                                                       city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        rows = [{"grid_code": grid, "name": "甲", "id_number": f.new_id_number()},
                {"grid_code": grid, "name": "", "id_number": f.new_id_number()}]
        csrf = sign_in(client, "grid")
        before = f.count(session, Resident)
        r = client.post("/registers/residents/import", data={"csrf_token": csrf}, headers=HTML,
                        files={"file": ("居民.xlsx", f.register_workbook(RESIDENTS, rows), f.XLSX)})
        assert r.status_code == 422
        assert "姓名不能为空" in r.text
        assert "<td class=\"tight num\">3</td>" in r.text or ">3<" in r.text
        assert f.count(session, Resident) == before

    def test_good_file_is_imported(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        rows = [{"grid_code": city["scopes"]["grid"], "name": f"页面导入{i}", "id_number": f.new_id_number()}
                for i in range(3)]
        csrf = sign_in(client, "grid")
        before = f.count(session, Resident)
        r = client.post("/registers/residents/import", data={"csrf_token": csrf}, headers=HTML,
                        files={"file": ("居民.xlsx", f.register_workbook(RESIDENTS, rows), f.XLSX)})
        assert r.status_code == 200
        assert f.count(session, Resident) == before + 3

    def test_dry_run_box_stores_nothing(self, client: Any, session: Session, city: dict[str, Any]) -> None:
        rows = [{"grid_code": city["scopes"]["grid"], "name": "只校验", "id_number": f.new_id_number()}]
        csrf = sign_in(client, "grid")
        before = f.count(session, Resident)
        r = client.post("/registers/residents/import", data={"csrf_token": csrf, "dry_run": "1"}, headers=HTML,
                        files={"file": ("居民.xlsx", f.register_workbook(RESIDENTS, rows), f.XLSX)})
        assert r.status_code == 200
        assert f.count(session, Resident) == before

    def test_not_an_excel_file_is_explained(self, client: Any) -> None:
        csrf = sign_in(client, "grid")
        r = client.post("/registers/residents/import", data={"csrf_token": csrf}, headers=HTML,
                        files={"file": ("x.xlsx", b"plain text", f.XLSX)})
        assert r.status_code == 422
        assert "无法读取文件" in r.text
