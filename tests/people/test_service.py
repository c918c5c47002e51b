"""The register engine with the people registers: scope, cleaning of input, the resident and household
rules, writing, revealing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import crypto, registers
from gongzhi.core.audit import AuditEvent
from gongzhi.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from gongzhi.core.registers import Lookup
from gongzhi.people.models import Household, Resident
from gongzhi.people.service import GRID_STAFF, HOUSEHOLDS, PARTY_MEMBERS, RESIDENTS
from tests import factories as f


def clean(session: Session, principal: Any, reg: Any, raw: dict[str, Any], *, partial: bool = False,
          current: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    return registers.clean(session, principal, reg, raw, partial=partial, lookup=Lookup(session, principal),
                           current=current)


class TestReadable:
    def test_grid_worker_reads_the_grid_only(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        rows = session.scalars(registers.readable(RESIDENTS, principal("grid"))).all()
        assert rows
        assert {r.region_id for r in rows} == {grid.id}
        assert len(rows) == f.count(session, Resident, Resident.region_id == grid.id)

    def test_admin_reads_everything(self, session: Session, principal: Any) -> None:
        assert len(session.scalars(registers.readable(RESIDENTS, principal("admin"))).all()) == \
            f.count(session, Resident)

    def test_scope_is_a_subtree_not_a_string_prefix_of_codes(self, session: Session, principal: Any,
                                                             city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        rows = session.scalars(registers.readable(RESIDENTS, principal("community"))).all()
        assert all(r.scope_path.startswith(community.path) for r in rows)
        assert len(rows) == f.count(session, Resident, Resident.scope_path.like(community.path + "%"))


class TestListRows:
    def test_role_without_read_is_forbidden(self, session: Session, principal: Any) -> None:
        with pytest.raises(Forbidden):
            registers.list_rows(session, principal("resident"), RESIDENTS, q=None, filters={}, offset=0, limit=10)

    def test_total_counts_all_pages(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        rows, total = registers.list_rows(session, principal("grid"), RESIDENTS, q=None, filters={}, offset=0,
                                          limit=3)
        assert len(rows) == 3
        assert total == f.count(session, Resident, Resident.region_id == grid.id)

    def test_unknown_region_filter_matches_nothing(self, session: Session, principal: Any) -> None:
        rows, total = registers.list_rows(session, principal("admin"), RESIDENTS, q=None,
                                          filters={"grid_code": "no-such-code"}, offset=0, limit=10)
        assert (rows, total) == ([], 0)

    def test_filters_that_are_not_declared_are_ignored(self, session: Session, principal: Any) -> None:
        _, everything = registers.list_rows(session, principal("admin"), RESIDENTS, q=None, filters={},
                                            offset=0, limit=1)
        _, ignored = registers.list_rows(session, principal("admin"), RESIDENTS, q=None,
                                         filters={"name": "x", "ethnicity": "汉族"}, offset=0, limit=1)
        assert ignored == everything

    def test_phone_search_needs_the_whole_number(self, session: Session, principal: Any,
                                                 city: dict[str, Any]) -> None:
        phone = f.new_phone()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), phone=phone)
        found, _ = registers.list_rows(session, principal("grid"), RESIDENTS, q=phone, filters={}, offset=0,
                                       limit=10)
        assert [r.id for r in found] == [row.id]
        partial, _ = registers.list_rows(session, principal("grid"), RESIDENTS, q=phone[:9], filters={}, offset=0,
                                         limit=10)
        assert row.id not in [r.id for r in partial]


class TestGetRow:
    def test_outside_scope_is_not_found(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["other_grid"]))
        with pytest.raises(NotFound):
            registers.get_row(session, principal("grid"), RESIDENTS, row.id)

    def test_for_writing_a_read_only_role_is_refused_before_looking(self, session: Session, principal: Any,
                                                                   city: dict[str, Any]) -> None:
        inside = f.make_party_member(session, node=f.region(session, city["scopes"]["grid"]))
        outside = f.make_party_member(session, node=f.region(session, city["other_grid"]))
        assert registers.get_row(session, principal("grid"), PARTY_MEMBERS, inside.id).id == inside.id
        for row in (inside, outside):
            with pytest.raises(Forbidden):
                registers.get_row(session, principal("grid"), PARTY_MEMBERS, row.id, to="write")


class TestClean:
    def test_excel_style_values_are_understood(self, session: Session, principal: Any,
                                               city: dict[str, Any]) -> None:
        values, errors = clean(session, principal("grid"), RESIDENTS, {
            "grid_code": city["scopes"]["grid"], "name": "  张三  ", "gender": "男", "birth_date": "1980/05/01",
            "care_tags": "独居老人，低保、独居老人; 残疾", "is_party_member": "是"})
        assert errors == {}
        assert values["name"] == "张三"
        assert values["birth_date"] == dt.date(1980, 5, 1)
        assert values["care_tags"] == "独居老人,低保,残疾"
        assert values["is_party_member"] is True

    @pytest.mark.parametrize(("raw", "field", "reason"), [
        ({"is_party_member": "也许"}, "is_party_member", "是否党员应为“是”或“否”"),
        ({"birth_date": "去年"}, "birth_date", "出生日期应为日期（如 2024-01-31）"),
        ({"name": "长" * 41}, "name", "姓名不能超过40个字符"),
        ({"relation": "邻居"}, "relation", "与户主关系只能是：户主、配偶、子女、父母、孙子女、兄弟姐妹、其他"),
        ({"phone": "1381234567"}, "phone", "联系电话格式不正确（手机号11位，或带区号的座机）"),
    ])
    def test_bad_values_give_chinese_reasons(self, session: Session, principal: Any, city: dict[str, Any],
                                             raw: dict[str, Any], field: str, reason: str) -> None:
        base = {"grid_code": city["scopes"]["grid"], "name": "张三", "gender": "男"}
        _, errors = clean(session, principal("grid"), RESIDENTS, {**base, **raw})
        assert errors == {field: reason}

    def test_landline_with_area_code_is_a_phone(self, session: Session, principal: Any,
                                                city: dict[str, Any]) -> None:
        values, errors = clean(session, principal("grid"), RESIDENTS, {
            "grid_code": city["scopes"]["grid"], "name": "座机", "gender": "女", "phone": "0871-68123456"})
        assert errors == {}
        assert values["phone_masked"] == "087*****3456"

    def test_sensitive_values_become_three_columns_and_no_clear_column(self, session: Session, principal: Any,
                                                                        city: dict[str, Any]) -> None:
        number = f.new_id_number()
        values, _ = clean(session, principal("grid"), RESIDENTS, {
            "grid_code": city["scopes"]["grid"], "name": "甲", "id_number": number})
        assert crypto.decrypt(values["id_number_enc"]) == number
        assert values["id_number_hash"] == crypto.blind_index(number)
        assert values["id_number_masked"] == crypto.mask_id_number(number)
        assert "id_number" not in values
        assert {k for k, v in values.items() if number in str(v)} == {"_id_number"}  # never stored: "_" columns

    def test_choice_stored_as_code_accepts_label_or_code(self, session: Session, principal: Any,
                                                         city: dict[str, Any]) -> None:
        base = {"region_code": city["scopes"]["grid"], "name": "甲", "post": "A"}
        for tier in ("网格员", "grid_worker"):
            values, errors = clean(session, principal("community"), GRID_STAFF, {**base, "tier": tier})
            assert errors == {}
            assert values["tier"] == "grid_worker"

    def test_partial_cleaning_touches_only_given_fields(self, session: Session, principal: Any) -> None:
        values, errors = clean(session, principal("grid"), HOUSEHOLDS, {"room": "808"}, partial=True)
        assert (values, errors) == ({"room": "808"}, {})

    def test_region_must_be_inside_the_scope(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        _, errors = clean(session, principal("grid"), HOUSEHOLDS, {"grid_code": city["other_grid"], "code": "X"})
        assert errors == {"grid_code": f"所属网格代码 {city['other_grid']} 不存在或不在您的管辖范围内"}


class TestResidentRule:
    def test_birth_date_and_gender_are_filled_from_the_number(self, session: Session, principal: Any,
                                                              city: dict[str, Any]) -> None:
        number = f.new_id_number(birth=dt.date(2001, 12, 31), male=False)
        values, errors = clean(session, principal("grid"), RESIDENTS, {
            "grid_code": city["scopes"]["grid"], "name": "甲", "id_number": number})
        assert errors == {}
        assert (values["birth_date"], values["gender"]) == (dt.date(2001, 12, 31), "女")

    def test_both_contradictions_are_reported(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        number = f.new_id_number(birth=dt.date(2001, 12, 31), male=False)
        _, errors = clean(session, principal("grid"), RESIDENTS, {
            "grid_code": city["scopes"]["grid"], "name": "甲", "id_number": number, "gender": "男",
            "birth_date": "2001-12-30"})
        assert errors == {"gender": "性别与身份证号不一致", "birth_date": "出生日期与身份证号不一致"}

    def test_edit_of_birth_date_alone_is_checked_against_the_stored_number(self, session: Session,
                                                                           principal: Any,
                                                                           city: dict[str, Any]) -> None:
        number = f.new_id_number(birth=dt.date(1970, 1, 2))
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), id_number=number)
        _, errors = clean(session, principal("grid"), RESIDENTS, {"birth_date": "1970-01-03"}, partial=True,
                          current=row)
        assert errors == {"birth_date": "出生日期与身份证号不一致"}
        _, errors = clean(session, principal("grid"), RESIDENTS, {"birth_date": "1970-01-02"}, partial=True,
                          current=row)
        assert errors == {}

    def test_clearing_the_number_lifts_the_check(self, session: Session, principal: Any,
                                                 city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), male=True)
        values, errors = clean(session, principal("grid"), RESIDENTS, {"id_number": "", "gender": "女"},
                               partial=True, current=row)
        assert errors == {}
        assert values["id_number_enc"] is None

    def test_moving_to_another_grid_away_from_the_household_is_refused(self, session: Session, principal: Any,
                                                                       city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        household = f.make_household(session, grid=grid)
        row = f.make_resident(session, grid=grid, household=household)
        other = next(g for g in session.scalars(select(Household.region_id).where(
            Household.scope_path.like(f.region(session, city["scopes"]["community"]).path + "%"),
            Household.region_id != grid.id)))
        other_code = session.get(type(grid), other).code  # type: ignore[union-attr]
        _, errors = clean(session, principal("community"), RESIDENTS, {"grid_code": other_code}, partial=True,
                          current=row)
        assert errors == {"household_code": "户不在所填网格内"}


class TestCreateRow:
    def test_creates_and_flushes(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        row = registers.create_row(session, principal("grid"), RESIDENTS, f.payload("residents",
                                                                                    city["scopes"]["grid"]))
        assert row.id is not None
        assert row.scope_path == f.region(session, city["scopes"]["grid"]).path

    def test_errors_carry_field_column_and_reason(self, session: Session, principal: Any,
                                                  city: dict[str, Any]) -> None:
        with pytest.raises(ValidationFailed) as exc:
            registers.create_row(session, principal("grid"), HOUSEHOLDS, {"grid_code": city["scopes"]["grid"]})
        assert exc.value.status == 422
        assert exc.value.details == [{"field": "code", "column": "户编码", "reason": "户编码不能为空"}]

    def test_role_without_write_is_forbidden(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        with pytest.raises(Forbidden):
            registers.create_row(session, principal("grid"), GRID_STAFF, f.payload("grid_staff",
                                                                                   city["scopes"]["grid"]))


class TestDeleteRow:
    def test_household_with_residents_is_in_use(self, session: Session, principal: Any,
                                                city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        household = f.make_household(session, grid=grid)
        f.make_resident(session, grid=grid, household=household)
        with pytest.raises(AppError) as exc:
            registers.delete_row(session, principal("grid"), HOUSEHOLDS, household)
        assert (exc.value.status, exc.value.code) == (409, "in_use")
        session.rollback()


class TestReveal:
    def test_clear_value_and_an_audit_event(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        phone = f.new_phone()
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]), phone=phone)
        from gongzhi.core import audit

        with audit.acting_as(audit.Actor(1, "tester")):
            assert registers.reveal(session, principal("grid"), RESIDENTS, row, "phone") == phone
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert (event.entity, event.entity_id, event.actor_name) == ("residents", str(row.id), "tester")

    def test_leader_is_forbidden(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        with pytest.raises(Forbidden):
            registers.reveal(session, principal("leader"), RESIDENTS, row, "id_number")

    def test_field_that_is_not_sensitive_is_not_found(self, session: Session, principal: Any,
                                                      city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=f.region(session, city["scopes"]["grid"]))
        with pytest.raises(NotFound):
            registers.reveal(session, principal("grid"), RESIDENTS, row, "name")


class TestToDict:
    def test_masks_labels_and_references(self, session: Session, principal: Any, city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        household = f.make_household(session, grid=grid)
        number = f.new_id_number()
        row = f.make_resident(session, grid=grid, household=household, id_number=number)
        [d] = registers.to_dict(session, principal("grid"), RESIDENTS, [row])
        assert d["grid_code"] == grid.code
        assert d["grid_name"] == grid.name
        assert (d["household_code"], d["household_code_id"]) == (household.code, household.id)
        assert d["id_number"] == crypto.mask_id_number(number)
        assert d["birth_date"] == row.birth_date.isoformat()  # type: ignore[union-attr]
        staff = f.make_grid_staff(session, node=grid, tier="instructor")
        [s] = registers.to_dict(session, principal("grid"), GRID_STAFF, [staff])
        assert (s["tier"], s["tier_label"]) == ("instructor", "网格指导员")
