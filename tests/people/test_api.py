"""JSON routes of the people registers: residents, households, Party members, grid staff."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.core import crypto, idcard
from gongzhi.core.audit import AuditEvent
from gongzhi.people.models import GridStaff, Household, PartyMember, Resident
from tests import factories as f
from tests.registers_contract import RegisterContract


class TestResidentsContract(RegisterContract):
    kind = "residents"
    bad = {"phone": "12345"}  # noqa: RUF012
    bad_field = "phone"


class TestHouseholdsContract(RegisterContract):
    kind = "households"
    bad = {"household_type": "外星"}  # noqa: RUF012
    bad_field = "household_type"


class TestPartyMembersContract(RegisterContract):
    kind = "party_members"
    bad = {"kind": "荣誉党员"}  # noqa: RUF012
    bad_field = "kind"


class TestGridStaffContract(RegisterContract):
    kind = "grid_staff"
    bad = {"post": "C"}  # noqa: RUF012
    bad_field = "post"


def grid(session: Session, city: dict[str, Any], key: str = "grid") -> Any:
    return f.region(session, city["scopes"][key] if key in city["scopes"] else city[key])


class TestResidentSearch:
    def test_exact_id_number_finds_the_person(self, client: Any, auth: Any, session: Session,
                                              city: dict[str, Any]) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=grid(session, city), id_number=number)
        r = client.get("/api/v1/residents", params={"q": number}, headers=auth("grid"))
        assert [i["id"] for i in r.json()["items"]] == [row.id]
        assert r.json()["total"] == 1

    def test_id_number_with_lowercase_x_is_found(self, client: Any, auth: Any, session: Session,
                                                 city: dict[str, Any]) -> None:
        number = next(n for n in (f.new_id_number() for _ in range(200)) if n.endswith("X"))
        row = f.make_resident(session, grid=grid(session, city), id_number=number)
        r = client.get("/api/v1/residents", params={"q": number.lower()}, headers=auth("grid"))
        assert [i["id"] for i in r.json()["items"]] == [row.id]

    def test_part_of_an_id_number_finds_nothing(self, client: Any, auth: Any, session: Session,
                                                city: dict[str, Any]) -> None:
        number = f.new_id_number()
        f.make_resident(session, grid=grid(session, city), id_number=number)
        r = client.get("/api/v1/residents", params={"q": number[:14]}, headers=auth("grid"))
        assert r.json()["total"] == 0

    def test_exact_phone_finds_the_person(self, client: Any, auth: Any, session: Session,
                                          city: dict[str, Any]) -> None:
        phone = f.new_phone()
        row = f.make_resident(session, grid=grid(session, city), phone=phone)
        r = client.get("/api/v1/residents", params={"q": phone}, headers=auth("grid"))
        assert [i["id"] for i in r.json()["items"]] == [row.id]

    def test_id_number_outside_scope_is_not_found(self, client: Any, auth: Any, session: Session,
                                                  city: dict[str, Any]) -> None:
        number = f.new_id_number()
        f.make_resident(session, grid=grid(session, city, "other_grid"), id_number=number)
        assert client.get("/api/v1/residents", params={"q": number}, headers=auth("grid")).json()["total"] == 0
        assert client.get("/api/v1/residents", params={"q": number}, headers=auth("grid2")).json()["total"] == 1

    def test_name_search_is_a_substring_match(self, client: Any, auth: Any, session: Session,
                                              city: dict[str, Any]) -> None:
        a = f.make_resident(session, grid=grid(session, city), name="欧阳测甲")
        b = f.make_resident(session, grid=grid(session, city), name="欧阳测乙")
        r = client.get("/api/v1/residents", params={"q": "欧阳测"}, headers=auth("grid"))
        assert {i["id"] for i in r.json()["items"]} == {a.id, b.id}


class TestResidentFilters:
    def test_grid_code_narrows_a_community_list(self, client: Any, auth: Any, session: Session,
                                                city: dict[str, Any]) -> None:
        g = grid(session, city)
        r = client.get("/api/v1/residents", params={"grid_code": g.code, "size": 200}, headers=auth("community"))
        body = r.json()
        assert body["total"] == f.count(session, Resident, Resident.region_id == g.id)
        assert {i["grid_code"] for i in body["items"]} == {g.code}

    def test_grid_code_outside_scope_gives_nothing(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.get("/api/v1/residents", params={"grid_code": city["other_grid"]}, headers=auth("community"))
        assert r.json()["total"] == 0

    def test_care_tag(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        g = grid(session, city)
        mine = f.make_resident(session, grid=g, care_tags="残疾,低保")
        r = client.get("/api/v1/residents", params={"care_tags": "低保", "size": 200}, headers=auth("grid"))
        body = r.json()
        expected = f.count(session, Resident, Resident.region_id == g.id, Resident.care_tags.contains("低保"))
        assert body["total"] == expected
        assert mine.id in {i["id"] for i in body["items"]}
        assert all("低保" in i["care_tags"].split(",") for i in body["items"])

    def test_gender(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        g = grid(session, city)
        r = client.get("/api/v1/residents", params={"gender": "女", "size": 200}, headers=auth("grid"))
        assert r.json()["total"] == f.count(session, Resident, Resident.region_id == g.id, Resident.gender == "女")
        assert {i["gender"] for i in r.json()["items"]} == {"女"}

    def test_party_member_flag(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        g = grid(session, city)
        f.make_resident(session, grid=g, is_party_member=True)
        r = client.get("/api/v1/residents", params={"is_party_member": "是", "size": 200}, headers=auth("grid"))
        assert r.json()["total"] == f.count(session, Resident, Resident.region_id == g.id,
                                            Resident.is_party_member.is_(True))
        assert r.json()["total"] >= 1

    def test_household_code(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        g = grid(session, city)
        household = f.make_household(session, grid=g)
        members = {f.make_resident(session, grid=g, household=household).id for _ in range(3)}
        r = client.get("/api/v1/residents", params={"household_code": household.code}, headers=auth("grid"))
        assert {i["id"] for i in r.json()["items"]} == members

    def test_filters_combine_with_search_and_paging(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        g = grid(session, city)
        ids = {f.make_resident(session, grid=g, name="组合查询", male=False, care_tags="独居老人").id
               for _ in range(7)}
        f.make_resident(session, grid=g, name="组合查询", male=True, care_tags="独居老人")
        params = {"q": "组合查询", "gender": "女", "care_tags": "独居老人", "size": 3}
        pages = [client.get("/api/v1/residents", params={**params, "page": p}, headers=auth("grid")).json()
                 for p in (1, 2, 3)]
        assert [p["total"] for p in pages] == [7, 7, 7]
        assert [len(p["items"]) for p in pages] == [3, 3, 1]
        assert {i["id"] for p in pages for i in p["items"]} == ids

    def test_unknown_parameters_are_ignored(self, client: Any, auth: Any, session: Session,
                                            city: dict[str, Any]) -> None:
        r = client.get("/api/v1/residents", params={"scope_path": "/"}, headers=auth("grid"))
        assert r.json()["total"] == f.count(session, Resident, Resident.region_id == grid(session, city).id)


class TestResidentListHidesNumbers:
    def test_no_clear_id_or_phone_number_in_a_list(self, client: Any, auth: Any, session: Session,
                                                   city: dict[str, Any]) -> None:
        g = grid(session, city)
        r = client.get("/api/v1/residents", params={"size": 200}, headers=auth("admin"))
        assert r.status_code == 200
        rows = session.scalars(select(Resident).where(Resident.id.in_([i["id"] for i in r.json()["items"]])))
        clear = [crypto.decrypt(x.id_number_enc) for x in rows if x.id_number_enc]
        assert clear
        for number in clear:
            assert number not in r.text
        for item in r.json()["items"]:
            assert item["id_number"] is None or item["id_number"][4:14] == "*" * 10
            assert not {k for k in item if k.endswith(("_enc", "_hash"))}
        assert g is not None

    def test_get_shows_masks(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        number, phone = f.new_id_number(), f.new_phone()
        row = f.make_resident(session, grid=grid(session, city), id_number=number, phone=phone)
        r = client.get(f"/api/v1/residents/{row.id}", headers=auth("grid"))
        assert r.json()["id_number"] == number[:4] + "*" * 10 + number[-4:]
        assert r.json()["phone"] == phone[:3] + "****" + phone[-4:]
        assert number not in r.text
        assert phone not in r.text


class TestResidentCreate:
    def test_id_number_gives_birth_date_and_gender(self, client: Any, auth: Any, session: Session,
                                                   city: dict[str, Any]) -> None:
        number = f.new_id_number(birth=dt.date(1961, 2, 28), male=False)
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "王秀英",
                                                   "id_number": number}, headers=auth("grid"))
        assert r.status_code == 201, r.text
        assert (r.json()["birth_date"], r.json()["gender"]) == ("1961-02-28", "女")
        row = session.get(Resident, r.json()["id"])
        assert row is not None
        assert crypto.decrypt(row.id_number_enc or b"") == number
        assert row.id_number_hash == crypto.blind_index(number)

    def test_matching_birth_date_and_gender_are_accepted(self, client: Any, auth: Any,
                                                         city: dict[str, Any]) -> None:
        number = f.new_id_number(birth=dt.date(1980, 5, 1), male=True)
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "张伟",
                                                   "id_number": number, "gender": "男", "birth_date": "1980-05-01"},
                        headers=auth("grid"))
        assert r.status_code == 201

    @pytest.mark.parametrize(("extra", "field", "reason"), [
        ({"gender": "女"}, "gender", "性别与身份证号不一致"),
        ({"birth_date": "1980-05-02"}, "birth_date", "出生日期与身份证号不一致"),
    ])
    def test_contradiction_with_the_id_number_is_refused(self, client: Any, auth: Any, session: Session,
                                                         city: dict[str, Any], extra: dict[str, str], field: str,
                                                         reason: str) -> None:
        before = f.count(session, Resident)
        number = f.new_id_number(birth=dt.date(1980, 5, 1), male=True)
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "张伟",
                                                   "id_number": number, **extra}, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"] == [{"field": field, "column": {"gender": "性别",
                                                 "birth_date": "出生日期"}[field], "reason": reason}]
        assert f.count(session, Resident) == before

    @pytest.mark.parametrize(("number", "reason"), [
        ("530181198507231234x", "身份证号应为18位，前17位为数字，末位为数字或X"),
        ("530181198502301230", "身份证号中的出生日期无效"),
    ])
    def test_invalid_id_number_is_refused(self, client: Any, auth: Any, session: Session, city: dict[str, Any],
                                          number: str, reason: str) -> None:
        before = f.count(session, Resident)
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "甲",
                                                   "id_number": number}, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == reason
        assert f.count(session, Resident) == before

    def test_wrong_check_digit_is_refused(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        good = f.new_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "甲",
                                                   "id_number": bad}, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0] == {"field": "id_number", "column": "身份证号",
                                                   "reason": "身份证号校验码错误（GB 11643）"}

    def test_duplicate_id_number_is_refused(self, client: Any, auth: Any, session: Session,
                                            city: dict[str, Any]) -> None:
        number = next(n for n in (f.new_id_number() for _ in range(200)) if n.endswith("X"))
        f.make_resident(session, grid=grid(session, city, "other_grid"), id_number=number)
        before = f.count(session, Resident)
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "重复",
                                                   "id_number": number.lower()}, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"] == [{"field": "id_number", "column": "身份证号",
                                                 "reason": "身份证号已存在，不能重复登记"}]
        assert f.count(session, Resident) == before

    def test_without_id_number_gender_is_required_by_the_database_rule(self, client: Any, auth: Any,
                                                                        city: dict[str, Any]) -> None:
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "无证",
                                                   "gender": "男"}, headers=auth("grid"))
        assert r.status_code == 201
        assert r.json()["id_number"] is None

    def test_household_in_another_grid_is_refused(self, client: Any, auth: Any, session: Session,
                                                  city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        other = next(g for g in session.scalars(select(Household).where(
            Household.scope_path.like(community.path + "%"), Household.region_id != grid(session, city).id)))
        body = {**f.payload("residents", city["scopes"]["grid"]), "household_code": other.code}
        r = client.post("/api/v1/residents", json=body, headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0] == {"field": "household_code", "column": "户编码",
                                                   "reason": "户不在所填网格内"}

    def test_grid_code_must_be_a_grid(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = f.payload("residents", city["scopes"]["community"])
        r = client.post("/api/v1/residents", json=body, headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"].endswith("不是网格")

    def test_wrong_json_type_is_422_in_the_error_format(self, client: Any, auth: Any, session: Session,
                                                        city: dict[str, Any]) -> None:
        before = f.count(session, Resident)
        r = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": ["a", "b"]},
                        headers=auth("grid"))
        assert r.status_code == 422
        error = r.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert error["details"][0]["field"] == "name"
        assert f.count(session, Resident) == before

    def test_body_that_is_not_json_is_422(self, client: Any, auth: Any) -> None:
        r = client.post("/api/v1/residents", content=b"{not json", headers={**auth("grid"),
                                                                           "Content-Type": "application/json"})
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "validation_failed"

    def test_anonymous_is_401_not_a_csrf_error(self, client: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/residents", json=f.payload("residents", city["scopes"]["grid"]))
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"

    def test_cookie_session_without_csrf_token_is_403(self, client: Any, city: dict[str, Any]) -> None:
        from tests.web import sign_in

        token = sign_in(client, "grid")
        body = f.payload("residents", city["scopes"]["grid"])
        r = client.post("/api/v1/residents", json=body)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "csrf_failed"
        r = client.post("/api/v1/residents", json=body, headers={"X-CSRF-Token": token})
        assert r.status_code == 201


class TestResidentUpdate:
    def test_new_id_number_rederives_birth_date_and_gender(self, client: Any, auth: Any, session: Session,
                                                           city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=grid(session, city), male=True)
        number = f.new_id_number(birth=dt.date(1999, 9, 9), male=False)
        r = client.patch(f"/api/v1/residents/{row.id}", json={"id_number": number}, headers=auth("grid"))
        assert r.status_code == 200, r.text
        assert (r.json()["birth_date"], r.json()["gender"]) == ("1999-09-09", "女")
        assert r.json()["id_number"] == crypto.mask_id_number(number)

    def test_gender_contradicting_the_stored_id_number_is_refused(self, client: Any, auth: Any,
                                                                  session: Session, city: dict[str, Any]) -> None:
        number = f.new_id_number(male=True)
        row = f.make_resident(session, grid=grid(session, city), id_number=number)
        r = client.patch(f"/api/v1/residents/{row.id}", json={"gender": "女"}, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == "性别与身份证号不一致"
        session.expire_all()
        assert session.get(Resident, row.id).gender == idcard.gender(number)  # type: ignore[union-attr]

    def test_household_in_another_grid_is_refused(self, client: Any, auth: Any, session: Session,
                                                  city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=grid(session, city))
        community = f.region(session, city["scopes"]["community"])
        other_grid = next(g for g in session.scalars(select(Household.region_id).where(
            Household.scope_path.like(community.path + "%"), Household.region_id != row.region_id)))
        other = session.scalars(select(Household).where(Household.region_id == other_grid)).first()
        assert other is not None
        r = client.patch(f"/api/v1/residents/{row.id}", json={"household_code": other.code},
                         headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "household_code"

    def test_same_id_number_again_is_not_a_duplicate(self, client: Any, auth: Any, session: Session,
                                                     city: dict[str, Any]) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=grid(session, city), id_number=number)
        r = client.patch(f"/api/v1/residents/{row.id}", json={"id_number": number, "name": "同号"},
                         headers=auth("grid"))
        assert r.status_code == 200, r.text

    def test_taking_another_persons_number_is_refused(self, client: Any, auth: Any, session: Session,
                                                      city: dict[str, Any]) -> None:
        taken = f.new_id_number()
        f.make_resident(session, grid=grid(session, city), id_number=taken)
        row = f.make_resident(session, grid=grid(session, city))
        r = client.patch(f"/api/v1/residents/{row.id}", json={"id_number": taken}, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == "身份证号已存在，不能重复登记"

    def test_moving_a_resident_out_of_scope_is_refused(self, client: Any, auth: Any, session: Session,
                                                       city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=grid(session, city))
        r = client.patch(f"/api/v1/residents/{row.id}", json={"grid_code": city["other_grid"]},
                         headers=auth("community"))
        assert r.status_code == 422
        session.expire_all()
        assert session.get(Resident, row.id).region_id == grid(session, city).id  # type: ignore[union-attr]

    def test_grid_worker_cannot_write_party_members(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        row = f.make_party_member(session, node=grid(session, city))
        assert client.get(f"/api/v1/party-members/{row.id}", headers=auth("grid")).status_code == 200
        assert client.patch(f"/api/v1/party-members/{row.id}", json={"name": "x"},
                            headers=auth("grid")).status_code == 403
        assert client.delete(f"/api/v1/party-members/{row.id}", headers=auth("grid")).status_code == 403


class TestHouseholdDelete:
    def test_household_with_residents_is_409_in_use(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        g = grid(session, city)
        household = f.make_household(session, grid=g)
        member = f.make_resident(session, grid=g, household=household)
        household_id, member_id = household.id, member.id
        r = client.delete(f"/api/v1/households/{household_id}", headers=auth("grid"))
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "in_use"
        session.expire_all()
        assert session.get(Household, household_id) is not None
        assert session.get(Resident, member_id) is not None
        # the refused delete left the session usable: the next request works
        assert client.get(f"/api/v1/households/{household_id}", headers=auth("grid")).status_code == 200

    def test_household_without_residents_is_deleted(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        g = grid(session, city)
        household = f.make_household(session, grid=g)
        member = f.make_resident(session, grid=g, household=household)
        assert client.patch(f"/api/v1/residents/{member.id}", json={"household_code": ""},
                            headers=auth("grid")).status_code == 200
        assert client.delete(f"/api/v1/households/{household.id}", headers=auth("grid")).status_code == 204


class TestHouseholds:
    def test_building_reference_is_resolved_and_shown_by_code(self, client: Any, auth: Any, session: Session,
                                                              city: dict[str, Any]) -> None:
        building = f.make_building(session, grid=grid(session, city))
        body = {**f.payload("households", city["scopes"]["grid"]), "building_code": building.code}
        r = client.post("/api/v1/households", json=body, headers=auth("grid"))
        assert r.status_code == 201
        assert (r.json()["building_code"], r.json()["building_code_id"]) == (building.code, building.id)
        listed = client.get("/api/v1/households", params={"building_code": building.code},
                            headers=auth("grid")).json()
        assert [i["id"] for i in listed["items"]] == [r.json()["id"]]

    def test_unknown_building_is_refused(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = {**f.payload("households", city["scopes"]["grid"]), "building_code": "NO-SUCH"}
        r = client.post("/api/v1/households", json=body, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == "楼栋编码 NO-SUCH 不存在或不在您的管辖范围内"

    def test_building_outside_scope_is_refused(self, client: Any, auth: Any, session: Session,
                                               city: dict[str, Any]) -> None:
        building = f.make_building(session, grid=grid(session, city, "other_grid"))
        body = {**f.payload("households", city["scopes"]["grid"]), "building_code": building.code}
        r = client.post("/api/v1/households", json=body, headers=auth("grid"))
        assert r.status_code == 422
        assert "不在您的管辖范围内" in r.json()["error"]["details"][0]["reason"]

    def test_duplicate_code_is_refused(self, client: Any, auth: Any, session: Session,
                                       city: dict[str, Any]) -> None:
        existing = f.make_household(session, grid=grid(session, city))
        body = {**f.payload("households", city["scopes"]["grid"]), "code": existing.code}
        r = client.post("/api/v1/households", json=body, headers=auth("grid"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == "户编码已存在，不能重复登记"

    def test_filter_by_type(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        g = grid(session, city)
        f.make_household(session, grid=g, household_type="空挂")
        r = client.get("/api/v1/households", params={"household_type": "空挂", "size": 200}, headers=auth("grid"))
        assert r.json()["total"] == f.count(session, Household, Household.region_id == g.id,
                                            Household.household_type == "空挂")
        assert {i["household_type"] for i in r.json()["items"]} == {"空挂"}


class TestPartyMembers:
    def test_kind_is_accepted_by_label_and_stored_as_code(self, client: Any, auth: Any, session: Session,
                                                          city: dict[str, Any]) -> None:
        body = {**f.payload("party_members", city["scopes"]["community"]), "kind": "在职党员",
                "employer_name": "安宁市税务局"}
        r = client.post("/api/v1/party-members", json=body, headers=auth("community"))
        assert r.status_code == 201, r.text
        assert (r.json()["kind"], r.json()["kind_label"]) == ("in_service", "在职党员")
        assert session.get(PartyMember, r.json()["id"]).kind == "in_service"  # type: ignore[union-attr]

    def test_filter_by_kind_code(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        r = client.get("/api/v1/party-members", params={"kind": "in_service", "size": 200},
                       headers=auth("community"))
        assert r.json()["total"] == f.count(session, PartyMember, PartyMember.kind == "in_service",
                                            PartyMember.scope_path.like(community.path + "%"))
        assert {i["kind"] for i in r.json()["items"]} == {"in_service"}

    def test_filter_center_households(self, client: Any, auth: Any, session: Session,
                                      city: dict[str, Any]) -> None:
        row = f.make_party_member(session, node=grid(session, city), is_center_household=True)
        r = client.get("/api/v1/party-members", params={"is_center_household": "true"}, headers=auth("grid"))
        assert row.id in {i["id"] for i in r.json()["items"]}
        assert all(i["is_center_household"] for i in r.json()["items"])

    def test_org_is_referenced_by_name(self, client: Any, auth: Any, session: Session,
                                       city: dict[str, Any]) -> None:
        org = f.make_party_org(session, node=grid(session, city))
        body = {**f.payload("party_members", city["scopes"]["grid"]), "org_name": org.name}
        r = client.post("/api/v1/party-members", json=body, headers=auth("community"))
        assert r.status_code == 201
        assert r.json()["org_name_id"] == org.id

    def test_grid_worker_may_not_place_a_member_at_the_community(self, client: Any, auth: Any,
                                                                 city: dict[str, Any]) -> None:
        body = f.payload("party_members", city["scopes"]["community"])
        assert client.post("/api/v1/party-members", json=body, headers=auth("grid")).status_code == 403


class TestGridStaff:
    def test_tier_by_label(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = {**f.payload("grid_staff", city["scopes"]["grid"]), "tier": "网格长", "post": "A"}
        r = client.post("/api/v1/grid-staff", json=body, headers=auth("community"))
        assert r.status_code == 201
        assert (r.json()["tier"], r.json()["tier_label"]) == ("grid_leader", "网格长")

    def test_filter_by_tier(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        r = client.get("/api/v1/grid-staff", params={"tier": "grid_worker", "size": 200}, headers=auth("community"))
        assert r.json()["total"] == f.count(session, GridStaff, GridStaff.tier == "grid_worker",
                                            GridStaff.scope_path.like(community.path + "%"))
        assert {i["tier"] for i in r.json()["items"]} == {"grid_worker"}

    def test_unknown_tier_lists_the_choices(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = {**f.payload("grid_staff", city["scopes"]["grid"]), "tier": "队长"}
        r = client.post("/api/v1/grid-staff", json=body, headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == "层级只能是：网格指导员、网格工作站站长、网格长、网格员"

    def test_grid_worker_may_read_but_not_write(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        assert client.get("/api/v1/grid-staff", headers=auth("grid")).status_code == 200
        body = f.payload("grid_staff", city["scopes"]["grid"])
        assert client.post("/api/v1/grid-staff", json=body, headers=auth("grid")).status_code == 403


class TestReveal:
    @pytest.mark.parametrize("username", ["grid", "community", "street", "admin"])
    def test_holders_of_the_permission_see_the_clear_value(self, client: Any, auth: Any, session: Session,
                                                           city: dict[str, Any], username: str) -> None:
        number = f.new_id_number()
        row = f.make_resident(session, grid=grid(session, city), id_number=number)
        r = client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "id_number"}, headers=auth(username))
        assert r.status_code == 200
        assert r.json() == {"field": "id_number", "value": number}
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal",
                                                         AuditEvent.entity_id == str(row.id))).one()
        assert (event.entity, event.actor_name) == ("residents", username)
        assert event.summary == "查看完整身份证号"

    def test_phone_of_a_grid_staff_member(self, client: Any, auth: Any, session: Session,
                                          city: dict[str, Any]) -> None:
        phone = f.new_phone()
        row = f.make_grid_staff(session, node=grid(session, city), phone=phone)
        r = client.post(f"/api/v1/grid-staff/{row.id}/reveal", params={"field": "phone"}, headers=auth("grid"))
        assert r.json()["value"] == phone

    def test_leader_without_the_permission_is_403_and_nothing_is_logged(self, client: Any, auth: Any,
                                                                        session: Session,
                                                                        city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=grid(session, city))
        before = f.count(session, AuditEvent, AuditEvent.action == "reveal")
        r = client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "id_number"}, headers=auth("leader"))
        assert r.status_code == 403
        assert "value" not in r.text
        assert f.count(session, AuditEvent, AuditEvent.action == "reveal") == before

    def test_outside_scope_is_404(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=grid(session, city, "other_grid"))
        r = client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "id_number"}, headers=auth("grid"))
        assert r.status_code == 404

    def test_unknown_field_is_404(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_resident(session, grid=grid(session, city))
        r = client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "name"}, headers=auth("grid"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "unknown_field"

    def test_empty_value_reveals_none(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        created = client.post("/api/v1/residents", json={"grid_code": city["scopes"]["grid"], "name": "无号",
                                                         "gender": "女"}, headers=auth("grid")).json()
        r = client.post(f"/api/v1/residents/{created['id']}/reveal", params={"field": "phone"}, headers=auth("grid"))
        assert r.json() == {"field": "phone", "value": None}

    def test_audit_summary_names_no_value(self, client: Any, auth: Any, session: Session,
                                          city: dict[str, Any]) -> None:
        phone = f.new_phone()
        row = f.make_resident(session, grid=grid(session, city), phone=phone)
        client.post(f"/api/v1/residents/{row.id}/reveal", params={"field": "phone"}, headers=auth("grid"))
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(row.id))).all()
        assert phone not in json.dumps([(e.summary, e.before, e.after) for e in events], ensure_ascii=False)
