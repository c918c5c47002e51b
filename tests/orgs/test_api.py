"""JSON routes of the organisation registers: units in the area and the Party organisation tree."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from gongzhi.orgs.models import PartyOrg, Unit
from tests import factories as f
from tests.registers_contract import RegisterContract

CREDIT_CODE = "91530181MA6K12345X"  # shape of a 统一社会信用代码 (18 characters, no I O Z S V)


class TestUnitsContract(RegisterContract):
    kind = "units"
    bad = {"credit_code": "123"}  # noqa: RUF012
    bad_field = "credit_code"


class TestPartyOrgsContract(RegisterContract):
    kind = "party_orgs"
    bad = {"level": "国家级"}  # noqa: RUF012
    bad_field = "level"


class TestUnits:
    def test_credit_code_is_checked_and_unique(self, client: Any, auth: Any, session: Session,
                                               city: dict[str, Any]) -> None:
        body = {**f.payload("units", city["scopes"]["community"]), "credit_code": CREDIT_CODE}
        r = client.post("/api/v1/units", json=body, headers=auth("community"))
        assert r.status_code == 201, r.text
        assert session.get(Unit, r.json()["id"]).credit_code == CREDIT_CODE  # type: ignore[union-attr]
        again = client.post("/api/v1/units", json=body, headers=auth("community"))
        assert again.status_code == 422
        assert again.json()["error"]["details"][0]["reason"] == "统一社会信用代码已存在，不能重复登记"

    @pytest.mark.parametrize("code", ["91530181MA6K1234", "91530181MA6K12345I", "9153018IMA6K12345X"])
    def test_malformed_credit_code_is_refused(self, client: Any, auth: Any, city: dict[str, Any], code: str) -> None:
        body = {**f.payload("units", city["scopes"]["community"]), "credit_code": code}
        r = client.post("/api/v1/units", json=body, headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "credit_code"

    def test_unit_may_be_placed_at_the_community(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/units", json=f.payload("units", city["scopes"]["community"]),
                        headers=auth("community"))
        assert r.status_code == 201
        assert r.json()["region_code"] == city["scopes"]["community"]

    def test_unit_may_not_be_placed_at_the_city(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        r = client.post("/api/v1/units", json=f.payload("units", city["scopes"]["city"]), headers=auth("admin"))
        assert r.status_code == 422
        assert "不是" in r.json()["error"]["details"][0]["reason"]

    def test_filters_kind_and_member_flag(self, client: Any, auth: Any, session: Session,
                                          city: dict[str, Any]) -> None:
        community = f.region(session, city["scopes"]["community"])
        r = client.get("/api/v1/units", params={"kind": "医院", "size": 200}, headers=auth("community"))
        assert r.json()["total"] == f.count(session, Unit, Unit.kind == "医院",
                                            Unit.scope_path.like(community.path + "%"))
        assert {i["kind"] for i in r.json()["items"]} <= {"医院"}
        r = client.get("/api/v1/units", params={"is_member_unit": "否", "size": 200}, headers=auth("community"))
        assert r.json()["total"] == f.count(session, Unit, Unit.is_member_unit.is_(False),
                                            Unit.scope_path.like(community.path + "%"))

    def test_department_handler_reads_units_city_wide_but_may_not_write_or_reveal(
            self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        row = f.make_unit(session, node=f.region(session, city["other_grid"]))
        assert client.get("/api/v1/units", headers=auth("handler")).json()["total"] == f.count(session, Unit)
        assert client.get(f"/api/v1/units/{row.id}", headers=auth("handler")).status_code == 200
        assert client.post("/api/v1/units", json=f.payload("units", city["scopes"]["grid"]),
                           headers=auth("handler")).status_code == 403
        assert client.post(f"/api/v1/units/{row.id}/reveal", params={"field": "phone"},
                           headers=auth("handler")).status_code == 403
        assert client.get("/api/v1/residents", headers=auth("handler")).status_code == 403

    def test_phone_is_masked_and_revealed_for_staff(self, client: Any, auth: Any, session: Session,
                                                    city: dict[str, Any]) -> None:
        phone = f.new_phone()
        row = f.make_unit(session, node=f.region(session, city["scopes"]["community"]), phone=phone)
        shown = client.get(f"/api/v1/units/{row.id}", headers=auth("community")).json()
        assert shown["phone"] == phone[:3] + "****" + phone[-4:]
        r = client.post(f"/api/v1/units/{row.id}/reveal", params={"field": "phone"}, headers=auth("community"))
        assert r.json()["value"] == phone


class TestPartyOrgs:
    def test_level_by_label_stored_as_code(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = {**f.payload("party_orgs", city["scopes"]["grid"]), "level": "楼栋党小组"}
        r = client.post("/api/v1/party-orgs", json=body, headers=auth("community"))
        assert r.status_code == 201
        assert (r.json()["level"], r.json()["level_label"]) == ("group", "楼栋党小组")

    def test_parent_must_be_a_higher_level(self, client: Any, auth: Any, session: Session,
                                           city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        branch = f.make_party_org(session, node=grid, level="branch")
        ok = client.post("/api/v1/party-orgs", json={**f.payload("party_orgs", grid.code), "level": "group",
                                                     "parent_name": branch.name}, headers=auth("community"))
        assert ok.status_code == 201
        assert ok.json()["parent_name_id"] == branch.id
        before = f.count(session, PartyOrg)
        bad = client.post("/api/v1/party-orgs", json={**f.payload("party_orgs", grid.code),
                                                      "level": "community_committee", "parent_name": branch.name},
                          headers=auth("community"))
        assert bad.status_code == 422
        assert bad.json()["error"]["details"] == [{"field": "parent_name", "column": "上级党组织",
                                                   "reason": "上级党组织的层级必须高于本组织"}]
        assert f.count(session, PartyOrg) == before

    def test_an_org_cannot_be_its_own_parent(self, client: Any, auth: Any, session: Session,
                                             city: dict[str, Any]) -> None:
        street_org = f.make_party_org(session, node=f.region(session, city["scopes"]["grid"]),
                                      level="street_committee")
        r = client.patch(f"/api/v1/party-orgs/{street_org.id}", json={"parent_name": street_org.name},
                         headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["field"] == "parent_name"

    def test_changing_the_level_below_the_parent_is_checked(self, client: Any, auth: Any, session: Session,
                                                            city: dict[str, Any]) -> None:
        grid = f.region(session, city["scopes"]["grid"])
        branch = f.make_party_org(session, node=grid, level="branch")
        group = f.make_party_org(session, node=grid, level="group", parent=branch)
        r = client.patch(f"/api/v1/party-orgs/{group.id}", json={"level": "street_committee",
                                                                 "parent_name": branch.name},
                         headers=auth("community"))
        assert r.status_code == 422

    def test_unknown_parent_is_refused(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        body = {**f.payload("party_orgs", city["scopes"]["grid"]), "parent_name": "不存在的党委"}
        r = client.post("/api/v1/party-orgs", json=body, headers=auth("community"))
        assert r.status_code == 422
        assert r.json()["error"]["details"][0]["reason"] == "上级党组织 不存在的党委 不存在或不在您的管辖范围内"

    def test_grid_worker_reads_but_does_not_write(self, client: Any, auth: Any, city: dict[str, Any]) -> None:
        assert client.get("/api/v1/party-orgs", headers=auth("grid")).status_code == 200
        r = client.post("/api/v1/party-orgs", json=f.payload("party_orgs", city["scopes"]["grid"]),
                        headers=auth("grid"))
        assert r.status_code == 403

    def test_filter_by_level(self, client: Any, auth: Any, session: Session, city: dict[str, Any]) -> None:
        street = f.region(session, city["scopes"]["street"])
        r = client.get("/api/v1/party-orgs", params={"level": "branch", "size": 200}, headers=auth("street"))
        assert r.json()["total"] == f.count(session, PartyOrg, PartyOrg.level == "branch",
                                            PartyOrg.scope_path.like(street.path + "%"))
        assert {i["level"] for i in r.json()["items"]} == {"branch"}
