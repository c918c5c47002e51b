"""Excel in and out: the template, the masked export and the all-or-nothing import."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import crypto, excel
from gongzhi.core.audit import AuditEvent
from gongzhi.orgs.service import UNITS
from gongzhi.people.models import Household, Resident
from gongzhi.people.service import HOUSEHOLDS, RESIDENTS
from gongzhi.regions.models import Building
from gongzhi.regions.service import BUILDINGS
from tests import factories as f


def upload(client: Any, headers: dict[str, str], url: str, data: bytes, *, dry_run: bool = False,
           filename: str = "居民.xlsx") -> Any:
    return client.post(f"/api/v1/{url}/import", headers=headers, files={"file": (filename, data, f.XLSX)},
                       data={"dry_run": "true" if dry_run else "false"})


def resident_row(grid_code: str, **extra: Any) -> dict[str, Any]:
    return {"grid_code": grid_code, "name": "导入居民", "id_number": f.new_id_number(), "phone": f.new_phone(),
            "relation": "户主", "care_tags": "独居老人，低保", "is_party_member": "否", **extra}


def residents_in(session: Session, grid_code: str) -> int:
    return f.count(session, Resident, Resident.scope_path.like(f"%/{grid_code}/"))


class TestTemplate:
    def test_template_opens_and_stars_the_required_columns(self, client: Any, auth: Any) -> None:
        r = client.get("/api/v1/residents/template.xlsx", headers=auth("grid"))
        assert r.status_code == 200
        assert r.headers["content-type"] == f.XLSX
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        wb = load_workbook(io.BytesIO(r.content))
        ws = wb["居民"]
        headers = [c.value for c in ws[1]]
        assert headers[:3] == ["所属网格代码*", "户编码", "姓名*"]
        assert "身份证号" in headers
        assert ws.max_row == 1  # headers only
        assert "填写说明" in wb.sheetnames

    def test_choice_columns_have_drop_downs(self, client: Any, auth: Any) -> None:
        r = client.get("/api/v1/grid-staff/template.xlsx", headers=auth("community"))
        ws = load_workbook(io.BytesIO(r.content))["网格力量"]
        formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
        assert '"网格指导员,网格工作站站长,网格长,网格员"' in formulas
        assert '"A,B"' in formulas

    def test_every_register_has_a_template(self, client: Any, auth: Any) -> None:
        for url in ("buildings", "households", "residents", "units", "party-orgs", "party-members", "grid-staff"):
            r = client.get(f"/api/v1/{url}/template.xlsx", headers=auth("admin"))
            assert r.status_code == 200, url
            headers = [c.value for c in load_workbook(io.BytesIO(r.content)).worksheets[0][1]]
            assert any(str(h).endswith("*") for h in headers), url


class TestExport:
    def test_export_holds_masked_numbers_only(self, client: Any, auth: Any, session: Session,
                                              city: dict[str, Any]) -> None:
        number, phone = f.new_id_number(), f.new_phone()
        f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), name="导出测试", id_number=number,
                        phone=phone)
        r = client.get("/api/v1/residents/export.xlsx", headers=auth("grid"))
        assert r.status_code == 200
        ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        header = list(rows[0])
        id_col, phone_col = header.index("身份证号"), header.index("联系电话")
        data = rows[1:]
        assert len(data) == residents_in(session, city["scopes"]["grid"])
        mine = next(row for row in data if row[header.index("姓名")] == "导出测试")
        assert mine[id_col] == crypto.mask_id_number(number)
        assert mine[phone_col] == crypto.mask_phone(phone)
        for row in data:
            assert row[id_col] is None or "*" * 10 in row[id_col]
            assert row[phone_col] is None or "****" in row[phone_col]
        assert number.encode() not in r.content
        assert phone.encode() not in r.content

    def test_export_covers_only_the_scope(self, client: Any, auth: Any, session: Session,
                                          city: dict[str, Any]) -> None:
        r = client.get("/api/v1/households/export.xlsx", headers=auth("grid2"))
        assert r.status_code == 200
        rows = list(load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True))[1:]
        assert len(rows) == f.count(session, Household, Household.scope_path.like(f"%/{city['other_grid']}/"))
        assert {row[0] for row in rows} == {city["other_grid"]}

    def test_export_is_audited(self, client: Any, auth: Any, session: Session) -> None:
        client.get("/api/v1/units/export.xlsx", headers=auth("community"))
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.actor_name == "community"
        assert event.entity == "units"


class TestImportGoodFile:
    def test_every_row_is_imported(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        rows = [resident_row(grid, name=f"导入{i}") for i in range(25)]
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows))
        assert r.status_code == 200, r.text
        assert r.json() == {"total": 25, "imported": 25, "dry_run": False, "ok": True, "errors": []}
        assert f.count(session, Resident) == before + 25
        stored = session.scalars(select(Resident).where(
            Resident.id_number_hash == crypto.blind_index(rows[7]["id_number"]))).one()
        assert stored.name == "导入7"
        assert stored.care_tags == "独居老人,低保"
        assert stored.birth_date is not None  # derived from the ID number
        assert stored.gender in ("男", "女")
        assert crypto.decrypt(stored.phone_enc or b"") == rows[7]["phone"]

    def test_import_writes_one_summary_event(self, client: Any, auth: Any, session: Session,
                                             city: dict[str, Any]) -> None:
        before = f.count(session, AuditEvent)
        rows = [resident_row(city["scopes"]["grid"]) for _ in range(5)]
        assert upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows)).status_code == 200
        assert f.count(session, AuditEvent) == before + 1
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert (event.action, event.entity, event.actor_name) == ("import", "residents", "grid")
        assert json.loads(event.after or "{}")["count"] == 5

    def test_labels_or_codes_dates_and_numbers_typed_as_excel_cells(self, client: Any, auth: Any,
                                                                    session: Session, city: dict[str, Any]) -> None:
        number = f.new_id_number(birth=dt.date(1970, 3, 4))
        headers = ["所属网格代码", "姓名", "出生日期", "身份证号", "联系电话"]
        data = f.workbook(headers, [[city["scopes"]["grid"], "日期格", dt.datetime(1970, 3, 4), number,
                                     13987654321]])
        r = upload(client, auth("grid"), "residents", data)
        assert r.status_code == 200, r.text
        stored = session.scalars(select(Resident).where(Resident.id_number_hash == crypto.blind_index(number))).one()
        assert stored.birth_date == dt.date(1970, 3, 4)
        assert stored.phone_masked == "139****4321"

    def test_household_references_a_building_by_code(self, client: Any, auth: Any, session: Session,
                                                     city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        building = f.make_building(session, grid=grid)
        code = f.unique_code("H")
        rows = [{"grid_code": grid.code, "code": code, "building_code": building.code, "room": "502",
                 "household_type": "户籍"}]
        r = upload(client, auth("grid"), "households", f.register_workbook(HOUSEHOLDS, rows))
        assert r.status_code == 200, r.text
        stored = session.scalars(select(Household).where(Household.code == code)).one()
        assert stored.building_id == building.id

    def test_ten_thousand_residents(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        rows = [resident_row(grid, name=f"万人{i}") for i in range(10_000)]
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows))
        assert r.status_code == 200, r.text[:500]
        assert r.json()["imported"] == 10_000
        assert f.count(session, Resident) == before + 10_000


class TestImportBadFile:
    def test_one_bad_row_stores_nothing_and_names_row_column_reason(self, client: Any, auth: Any,
                                                                     session: Session, city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        rows = [resident_row(grid) for _ in range(6)]
        good = rows[3]["id_number"]
        rows[3]["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")  # wrong check digit, sheet row 5
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows))
        assert r.status_code == 422
        body = r.json()
        assert body["ok"] is False
        assert body["imported"] == 0
        assert body["errors"] == [{"row": 5, "column": "身份证号", "field": "id_number",
                                   "reason": "身份证号校验码错误（GB 11643）"}]
        assert f.count(session, Resident) == before

    def test_every_bad_row_is_listed(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        rows = [resident_row(grid) for _ in range(8)]
        rows[0]["name"] = None  # row 2: required
        rows[2]["phone"] = "12345"  # row 4
        rows[4]["care_tags"] = "独居老人,外星人"  # row 6
        rows[5]["gender"] = "未知"  # row 7
        rows[6]["birth_date"] = "1990-13-45"  # row 8
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows))
        assert r.status_code == 422
        found = {(e["row"], e["column"]) for e in r.json()["errors"]}
        assert found == {(2, "姓名"), (4, "联系电话"), (6, "关爱标签"), (7, "性别"), (8, "出生日期")}
        reasons = {e["row"]: e["reason"] for e in r.json()["errors"]}
        assert reasons[2] == "姓名不能为空"
        assert "外星人" in reasons[6]
        assert reasons[7] == "性别只能是：男、女"
        assert f.count(session, Resident) == before

    def test_contradiction_with_the_id_number_is_an_error(self, client: Any, auth: Any,
                                                           city: dict[str, Any]) -> None:
        row = resident_row(city["scopes"]["grid"])
        row["id_number"] = f.new_id_number(male=True)
        row["gender"] = "女"
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, [row]))
        assert r.status_code == 422
        assert r.json()["errors"] == [{"row": 2, "column": "性别", "field": "gender", "reason": "性别与身份证号不一致"}]

    def test_duplicates_within_the_file_are_reported(self, client: Any, auth: Any, session: Session,
                                                     city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        rows = [resident_row(grid) for _ in range(4)]
        rows[3]["id_number"] = rows[1]["id_number"].lower()  # same person, typed with a lowercase x or not
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows))
        assert r.status_code == 422
        assert r.json()["errors"] == [{"row": 5, "column": "身份证号", "field": "id_number",
                                       "reason": "与第 3 行重复"}]
        assert f.count(session, Resident) == before

    def test_number_already_registered_is_reported(self, client: Any, auth: Any, session: Session,
                                                   city: dict[str, Any]) -> None:
        existing = f.new_id_number()
        f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), id_number=existing)
        row = resident_row(city["scopes"]["grid"], id_number=existing)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, [row]))
        assert r.status_code == 422
        assert r.json()["errors"][0]["reason"] == "身份证号已存在，不能重复登记"

    def test_rows_outside_the_importers_scope_are_errors(self, client: Any, auth: Any, session: Session,
                                                         city: dict[str, Any]) -> None:
        rows = [resident_row(city["scopes"]["grid"]), resident_row(city["other_grid"])]
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows))
        assert r.status_code == 422
        [error] = r.json()["errors"]
        assert (error["row"], error["column"]) == (3, "所属网格代码")
        assert "不在您的管辖范围内" in error["reason"]
        assert f.count(session, Resident) == before

    def test_grid_code_must_name_a_grid(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        row = resident_row(city["scopes"]["community"])
        r = upload(client, auth("community"), "residents", f.register_workbook(RESIDENTS, [row]))
        assert r.status_code == 422
        assert r.json()["errors"][0]["reason"].endswith("不是网格")

    def test_reference_outside_the_grid_is_an_error(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        other = session.scalars(select(Building).where(Building.region_id != grid.id,
                                                       Building.scope_path.like(f"/%{city['scopes']['community']}/%"))
                                ).first()
        assert other is not None
        rows = [{"grid_code": grid.code, "code": f.unique_code("H"), "building_code": other.code}]
        r = upload(client, auth("community"), "households", f.register_workbook(HOUSEHOLDS, rows))
        assert r.status_code == 422
        assert r.json()["errors"][0] == {"row": 2, "column": "楼栋编码", "field": "building_code",
                                         "reason": "楼栋不在所填网格内"}

    def test_file_that_is_not_xlsx_is_bad_file(self, client: Any, auth: Any, session: Session) -> None:
        before = f.count(session, Resident)
        r = upload(client, auth("grid"), "residents", b"name,id\nx,y\n", filename="residents.csv")
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "bad_file"
        assert f.count(session, Resident) == before

    def test_missing_required_header_is_bad_header(self, client: Any, auth: Any) -> None:
        r = upload(client, auth("grid"), "residents", f.workbook(["姓名", "身份证号"], [["张三", None]]))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "bad_header"
        assert r.json()["error"]["details"] == {"missing": ["所属网格代码*"]}

    def test_role_without_write_permission_is_403(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        data = f.register_workbook(RESIDENTS, [resident_row(city["scopes"]["grid"])])
        assert upload(client, auth("leader"), "residents", data).status_code == 403
        data = f.register_workbook(UNITS, [{"region_code": city["scopes"]["grid"], "name": "店", "kind": "商铺"}])
        assert upload(client, auth("handler"), "units", data).status_code == 403


class TestDryRun:
    def test_good_file_is_checked_and_nothing_stored(self, client: Any, auth: Any, session: Session,
                                                     city: dict[str, Any]) -> None:
        rows = [resident_row(city["scopes"]["grid"]) for _ in range(10)]
        before, events_before = f.count(session, Resident), f.count(session, AuditEvent)
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows), dry_run=True)
        assert r.status_code == 200
        assert r.json() == {"total": 10, "imported": 0, "dry_run": True, "ok": True, "errors": []}
        assert f.count(session, Resident) == before
        assert f.count(session, AuditEvent) == events_before

    def test_bad_file_reports_the_same_errors(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        rows = [resident_row(city["scopes"]["grid"]), resident_row(city["scopes"]["grid"], phone="abc")]
        r = upload(client, auth("grid"), "residents", f.register_workbook(RESIDENTS, rows), dry_run=True)
        assert r.status_code == 422
        assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(3, "联系电话")]


class TestImportRowsService:
    def test_service_refuses_a_role_without_write(self, session: Session, principal: Any,
                                                  city: dict[str, Any]) -> None:
        import pytest

        from gongzhi.core.errors import Forbidden

        data = f.register_workbook(BUILDINGS, [{"grid_code": city["scopes"]["grid"], "code": "X1", "name": "楼"}])
        with pytest.raises(Forbidden):
            excel.import_rows(session, principal("leader"), BUILDINGS, data, dry_run=True)

    def test_empty_rows_are_skipped_and_row_numbers_follow_the_sheet(self, session: Session, principal: Any,
                                                                     city: dict[str, Any]) -> None:
        grid = city["scopes"]["grid"]
        headers = ["所属网格代码*", "楼栋编码*", "楼栋名称*"]
        data = f.workbook(headers, [[grid, f.unique_code("B"), "甲"], [None, None, None], [grid, "", "乙"]])
        report = excel.import_rows(session, principal("grid"), BUILDINGS, data, dry_run=True)
        assert report.total == 2
        assert report.errors == [{"row": 4, "column": "楼栋编码", "field": "code", "reason": "楼栋编码不能为空"}]
