"""Open311 GeoReport v2 conformance: every endpoint in both formats, every error the spec names, and the
mapping onto appeals (docs/open311.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from gongzhi.core.db import now
from gongzhi.open311 import service as open311
from gongzhi.open311.models import ApiKey
from gongzhi.regions.models import Region
from tests import factories as f
from tests.open311 import factories as o
from tests.open311.factories import API

W3 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


def both(client: Any, path: str, **kwargs: Any) -> tuple[Any, Any]:
    """(JSON response, XML response) of GET `path` (without its extension)."""
    return client.get(f"{API}/{path}.json", **kwargs), client.get(f"{API}/{path}.xml", **kwargs)


def assert_same(json_response: Any, xml_response: Any, root: str) -> Any:
    """Both answers succeeded, carry the right media types, and say the same thing: the JSON is the mechanical
    conversion of the XML. Returns the XML root element."""
    assert json_response.status_code == xml_response.status_code == 200, (json_response.text, xml_response.text)
    assert json_response.headers["content-type"] == "application/json; charset=utf-8"
    assert xml_response.headers["content-type"] == "text/xml; charset=utf-8"
    tree = o.xml_tree(xml_response.text)
    assert tree.tag == root
    assert o.xml_data(tree) == o.as_text(json_response.json())
    return tree


def assert_error(response: Any, status: int, fmt: str = "json", contains: str = "") -> str:
    """An Open311 error: the HTTP status, and an array of {code, description} whose code matches it."""
    assert response.status_code == status, response.text
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        errors = response.json()
        assert isinstance(errors, list)
        assert errors
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in errors), errors
        text = " ".join(e["description"] for e in errors)
    else:
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        tree = o.xml_tree(response.text)
        assert tree.tag == "errors"
        assert len(tree) >= 1
        assert all(e.tag == "error" and e.findtext("code") == str(status) and e.findtext("description")
                   for e in tree), response.text
        text = " ".join(e.findtext("description") or "" for e in tree)
    assert contains in text, text
    return text


# ---- discovery ----------------------------------------------------------------------------------------------

class TestDiscovery:
    def test_both_formats_describe_this_endpoint(self, client: Any) -> None:
        j, x = both(client, "discovery")
        tree = assert_same(j, x, "discovery")
        body = j.json()
        assert W3.fullmatch(body["changeset"])
        assert body["contact"]
        assert body["key_service"]
        (ep,) = body["endpoints"]
        assert ep == {"specification": "http://wiki.open311.org/GeoReport_v2", "url": "http://testserver/open311/v2",
                      "changeset": body["changeset"], "type": "production",
                      "formats": ["text/xml", "application/json"]}
        assert [f.text for f in tree.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


# ---- services -----------------------------------------------------------------------------------------------

class TestServiceList:
    def test_every_active_matter_type_is_a_service(self, client: Any, session: Session, svc: o.Service) -> None:
        inactive = o.make_service(session, name="已停用事项", active=False)
        j, x = both(client, "services")
        tree = assert_same(j, x, "services")
        assert all(child.tag == "service" for child in tree)
        ours = {s["service_code"]: s for s in j.json()}
        assert inactive.code not in ours
        s = ours[svc.code]
        assert s == {"service_code": svc.code, "service_name": "路灯不亮", "description": s["description"],
                     "metadata": True, "type": "realtime", "keywords": "路灯, 照明, 夜间", "group": "城乡建设"}
        assert isinstance(s["service_code"], str)
        assert "3 个工作日" in s["description"]
        assert all(set(v) == set(s) for v in ours.values())

    def test_the_city_code_is_the_jurisdiction(self, client: Any, session: Session, svc: o.Service) -> None:
        code = o.root(session).code
        for args in ({"jurisdiction_id": code}, {"jurisdiction_id": ""}, {}):
            assert svc.code in {s["service_code"] for s in client.get(f"{API}/services.json", params=args).json()}

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_jurisdiction_is_404(self, client: Any, fmt: str) -> None:
        r = client.get(f"{API}/services.{fmt}", params={"jurisdiction_id": "sfgov.org"})
        assert_error(r, 404, fmt, "sfgov.org")


class TestServiceDefinition:
    def test_both_formats(self, client: Any, svc: o.Service) -> None:
        j, x = both(client, f"services/{svc.code}")
        tree = assert_same(j, x, "service_definition")
        body = j.json()
        assert body["service_code"] == svc.code
        attrs = body["attributes"]
        assert [a["code"] for a in attrs] == ["urgency", "anonymous"]
        assert sorted(a["order"] for a in attrs) == [1, 2]
        for a in attrs:
            assert set(a) == {"variable", "code", "datatype", "required", "datatype_description", "order",
                              "description", "values"}
            assert a["variable"] is True
            assert a["datatype"] == "singlevaluelist"
        assert attrs[0]["values"] == [{"key": "normal", "name": "一般"}, {"key": "urgent", "name": "紧急"}]
        value = tree.find("attributes/attribute/values/value")
        assert value is not None
        assert value.findtext("key") == "normal"

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_service_code_is_404(self, client: Any, fmt: str) -> None:
        assert_error(client.get(f"{API}/services/NOPE.{fmt}"), 404, fmt, "NOPE")

    def test_an_inactive_service_has_no_definition(self, client: Any, session: Session) -> None:
        inactive = o.make_service(session, active=False)
        assert_error(client.get(f"{API}/services/{inactive.code}.json"), 404)

    def test_an_unknown_jurisdiction_is_404(self, client: Any, svc: o.Service) -> None:
        assert_error(client.get(f"{API}/services/{svc.code}.json", params={"jurisdiction_id": "x"}), 404)


# ---- POST requests ------------------------------------------------------------------------------------------

class TestPostRequest:
    def test_creates_an_appeal_on_the_open311_channel(self, post: Any, client: Any, auth: Any,
                                                      svc: o.Service) -> None:
        r = post(first_name="小明", last_name="王", phone="139-1234-5678", account_id="acct-9",
                 email="wang@example.com", device_id="dev-1")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        (answer,) = r.json()
        assert set(answer) == {"service_request_id", "service_notice", "account_id"}
        assert answer["account_id"] == "acct-9"
        assert "3 个工作日" in answer["service_notice"]
        rid = answer["service_request_id"]
        assert isinstance(rid, str)
        assert rid.isdigit()
        seen = client.get(f"/api/v1/appeals/{rid}", headers=auth("admin"))
        assert seen.status_code == 200, seen.text
        a = seen.json()
        assert a["channel"] == "open311"
        assert a["matter_code"] == svc.code
        assert a["status"] == "received"
        assert a["title"] == "小区门口路灯不亮，晚上很黑"
        assert a["priority"] == "normal"
        assert a["reporter"]["name"] == "王小明"
        assert a["reporter"]["phone"] == "139****5678"
        assert a["tier"] == "department"
        assert a["handler"] == svc.department.name
        timeline = client.get(f"/api/v1/appeals/{rid}/timeline", headers=auth("admin"))
        assert timeline.status_code == 200, timeline.text
        first = timeline.json()["events"][0]
        assert first["actor_name"] == "Open311:测试应用"
        assert first["actor_role"] == "open311"

    def test_xml_answer(self, post: Any) -> None:
        r = post("xml")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/xml; charset=utf-8"
        tree = o.xml_tree(r.text)
        assert tree.tag == "service_requests"
        assert [c.tag for c in tree] == ["request"]
        assert tree.findtext("request/service_request_id", "").isdigit()
        assert tree.find("request/account_id") is not None

    def test_multipart_is_accepted(self, client: Any, api_key: str, svc: o.Service, point: Any) -> None:
        fields = {"api_key": api_key, "service_code": svc.code, "lat": str(point[0]), "long": str(point[1])}
        r = client.post(f"{API}/requests.json", files={k: (None, v) for k, v in fields.items()})
        assert r.status_code == 200, r.text

    def test_a_json_body_is_refused(self, client: Any, api_key: str, svc: o.Service) -> None:
        r = client.post(f"{API}/requests.json", json={"api_key": api_key, "service_code": svc.code})
        assert_error(r, 400, contains="x-www-form-urlencoded")

    def test_title_falls_back_to_the_service_name(self, post: Any, session: Session) -> None:
        rid = post(description=None).json()[0]["service_request_id"]
        assert session.get(Appeal, int(rid)).title == "路灯不亮"  # type: ignore[union-attr]

    def test_urgency_and_anonymity_attributes(self, post: Any, session: Session) -> None:
        r = post(**{"attribute[urgency]": "urgent", "attribute[anonymous]": "true", "first_name": "三",
                    "last_name": "张", "phone": "13900000000"})
        appeal = session.get(Appeal, int(r.json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.priority == "urgent"
        assert appeal.anonymous
        assert appeal.reporter_name == ""
        assert appeal.phone_enc is None

    def test_a_point_places_it_in_its_grid(self, post: Any, session: Session, grid: Region) -> None:
        appeal = session.get(Appeal, int(post().json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.grid_id == grid.id
        assert appeal.scope_path == grid.path

    def test_an_address_alone_goes_to_the_city(self, post: Any, session: Session) -> None:
        r = post(lat=None, long=None, address_string="安宁市连然街道金方路 12 号")
        appeal = session.get(Appeal, int(r.json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.region_id == o.root(session).id
        assert appeal.grid_id is None
        assert appeal.address == "安宁市连然街道金方路 12 号"
        assert appeal.lat is None

    def test_an_address_id_is_a_region_code(self, post: Any, session: Session, grid: Region) -> None:
        r = post(lat=None, long=None, address_id=grid.code)
        appeal = session.get(Appeal, int(r.json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.grid_id == grid.id

    def test_an_address_id_may_be_a_building_code(self, post: Any, session: Session, grid: Region) -> None:
        lat, lon = o.inside(grid)
        building = f.make_building(session, grid=grid, lat=lat, lon=lon)
        r = post(lat=None, long=None, address_id=building.code)
        appeal = session.get(Appeal, int(r.json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.grid_id == grid.id
        assert appeal.address == building.address
        assert (appeal.lat, appeal.lon) == pytest.approx((lat, lon))

    def test_empty_optional_arguments_are_absent(self, post: Any, session: Session) -> None:
        r = post(email="", device_id="", account_id="", first_name="", last_name="", phone="", media_url="",
                 address_id="", address_string="", jurisdiction_id="", **{"attribute[urgency]": ""})
        assert r.status_code == 200, r.text
        assert r.json()[0]["account_id"] is None
        appeal = session.get(Appeal, int(r.json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.priority == "normal"
        assert appeal.phone_enc is None

    def test_media_url_reaches_the_handler(self, post: Any, session: Session) -> None:
        r = post(media_url="https://img.example.com/lamp.jpg")
        appeal = session.get(Appeal, int(r.json()[0]["service_request_id"]))
        assert appeal is not None
        assert appeal.description.endswith("图片：https://img.example.com/lamp.jpg")

    def test_an_idempotency_key_makes_a_retry_harmless(self, post: Any, session: Session,
                                                       svc: o.Service, client: Any, point: Any) -> None:
        first = post(headers={"Idempotency-Key": "req-1"}).json()
        again = post(headers={"Idempotency-Key": "req-1"}).json()
        assert first == again
        other_key = o.make_key(session, "另一个应用")[1]  # keys are scoped by client: no collision
        third = client.post(f"{API}/requests.json", headers={"Idempotency-Key": "req-1"},
                            data={"api_key": other_key, "service_code": svc.code, "lat": point[0], "long": point[1]})
        assert third.json()[0]["service_request_id"] != first[0]["service_request_id"]
        count = session.scalar(select(func.count()).select_from(Appeal).where(Appeal.matter_type_id == svc.matter.id))
        assert count == 2

    def test_the_key_records_its_last_use(self, post: Any, session: Session, api_key: str) -> None:
        post()
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == api_key[:8])).one()
        session.refresh(key)
        assert key.last_used_at is not None


class TestPostRequestErrors:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_missing_key_is_403(self, post: Any, fmt: str) -> None:
        assert_error(post(fmt, api_key=None), 403, fmt, "api_key")

    def test_a_wrong_key_is_403(self, post: Any) -> None:
        assert_error(post(api_key="not-a-key"), 403, contains="api_key")

    def test_a_revoked_key_is_403(self, post: Any, session: Session) -> None:
        assert_error(post(api_key=o.make_key(session, revoked=True)[1]), 403, contains="停用")

    def test_a_login_is_no_key(self, post: Any, auth: Any) -> None:
        assert_error(post(api_key=None, headers=auth("admin")), 403)

    def test_a_missing_service_code_is_400(self, post: Any) -> None:
        assert_error(post(service_code=None), 400, contains="service_code")

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_service_code_is_404(self, post: Any, fmt: str) -> None:
        assert_error(post(fmt, service_code="NOPE"), 404, fmt, "NOPE")

    def test_an_unknown_jurisdiction_is_404(self, post: Any) -> None:
        assert_error(post(jurisdiction_id="sfgov.org"), 404, contains="sfgov.org")

    def test_the_city_jurisdiction_is_accepted(self, post: Any, session: Session) -> None:
        assert post(jurisdiction_id=o.root(session).code).status_code == 200

    def test_no_location_is_400(self, post: Any) -> None:
        assert_error(post(lat=None, long=None), 400, contains="位置")

    def test_lat_without_long_is_400(self, post: Any) -> None:
        assert_error(post(long=None), 400, contains="long")

    @pytest.mark.parametrize(("lat", "long"), [("north", "102.4"), ("91", "102.4"), ("24.9", "181")])
    def test_a_bad_coordinate_is_400(self, post: Any, lat: str, long: str) -> None:
        assert_error(post(lat=lat, long=long), 400)

    def test_a_point_outside_the_city_is_400(self, post: Any) -> None:
        assert_error(post(lat="39.9042", long="116.4074"), 400, contains="不在本市任何网格内")

    def test_an_unknown_address_id_is_400(self, post: Any) -> None:
        assert_error(post(lat=None, long=None, address_id="000000"), 400, contains="address_id")

    def test_a_description_over_4000_characters_is_400(self, post: Any) -> None:
        assert post(description="灯" * 4000).status_code == 200
        assert_error(post(description="灯" * 4001), 400, contains="4000")

    @pytest.mark.parametrize("text", ["<b>路灯</b>不亮", "路灯<br/>不亮", "<script>alert(1)</script>",
                                      "路灯 <a href='x'>看这里</a>", "<!-- x -->", "&lt;script&gt;"])
    def test_html_in_the_description_is_400(self, post: Any, text: str) -> None:
        assert_error(post(description=text), 400, contains="HTML")

    def test_plain_text_with_angle_brackets_is_fine(self, post: Any) -> None:
        assert post(description="温度 < 5 度时 a > b，路灯\n不亮").status_code == 200

    def test_an_attribute_value_outside_the_list_is_400(self, post: Any) -> None:
        assert_error(post(**{"attribute[urgency]": "very"}), 400, contains="urgency")

    def test_two_values_for_a_single_value_list_is_400(self, client: Any, api_key: str, svc: o.Service,
                                                       point: Any) -> None:
        body = [("api_key", api_key), ("service_code", svc.code), ("lat", str(point[0])), ("long", str(point[1])),
                ("attribute[urgency][]", "normal"), ("attribute[urgency][]", "urgent")]
        r = client.post(f"{API}/requests.json", content="&".join(f"{k}={v}" for k, v in body), headers=o.FORM)
        assert_error(r, 400, contains="只能有一个值")

    def test_an_unknown_attribute_is_400(self, post: Any) -> None:
        assert_error(post(**{"attribute[colour]": "red"}), 400, contains="colour")

    def test_a_missing_required_attribute_is_400(self, post: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        required = open311.Attribute("side", "multivaluelist", True, 3, "哪一侧", (("east", "东"), ("west", "西")))
        monkeypatch.setattr(open311, "ATTRIBUTES", (*open311.ATTRIBUTES, required))
        assert_error(post(), 400, contains="attribute[side]")
        assert post(**{"attribute[side][]": "east"}).status_code == 200

    def test_several_failures_are_several_errors(self, post: Any) -> None:
        r = post(**{"attribute[urgency]": "very", "attribute[colour]": "red"})
        assert_error(r, 400)
        assert len(r.json()) == 2

    def test_a_bad_phone_is_400(self, post: Any) -> None:
        assert_error(post(phone="call me"), 400, contains="phone")

    def test_a_bad_media_url_is_400(self, post: Any) -> None:
        assert_error(post(media_url="javascript:alert(1)"), 400, contains="media_url")

    def test_framework_validation_is_an_open311_400(self, post: Any) -> None:
        assert_error(post(headers={"Idempotency-Key": "k" * 121}), 400, contains="idempotency")

    def test_nothing_is_created_by_a_failed_request(self, post: Any, session: Session, svc: o.Service) -> None:
        post(description="<b>x</b>")
        count = session.scalar(select(func.count()).select_from(Appeal).where(Appeal.matter_type_id == svc.matter.id))
        assert count == 0


# ---- GET requests -------------------------------------------------------------------------------------------

FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
          "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
          "address", "address_id", "zipcode", "lat", "long", "media_url"}


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [int(r["service_request_id"]) for r in response.json()]


class TestGetRequests:
    def test_both_formats(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        due = now() + dt.timedelta(days=3)
        a = o.make_appeal(session, matter=svc.matter, grid=grid, tier="department", department=svc.department,
                          resolve_due_at=due, description="路灯 & <不亮>")
        j, x = both(client, "requests", params={"service_code": svc.code})
        tree = assert_same(j, x, "service_requests")
        assert [c.tag for c in tree] == ["request"]
        (r,) = j.json()
        assert set(r) == FIELDS
        assert r["service_request_id"] == str(a.id)
        assert r["status"] == "open"
        assert r["service_code"] == svc.code
        assert r["service_name"] == "路灯不亮"
        assert r["agency_responsible"] == svc.department.name
        assert r["description"] == "路灯 & <不亮>"
        assert tree.findtext("request/description") == "路灯 & <不亮>"
        assert r["address_id"] == grid.code
        assert r["lat"] == a.lat
        assert r["long"] == a.lon
        for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert W3.fullmatch(r[field]), r[field]
            assert r[field].endswith("+08:00")
        assert dt.datetime.fromisoformat(r["expected_datetime"]) == due.replace(microsecond=0)

    def test_no_personal_data(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        o.make_appeal(session, matter=svc.matter, grid=grid, reporter_name="王小明", phone="13912345678")
        for fmt in ("json", "xml"):
            text = client.get(f"{API}/requests.{fmt}", params={"service_code": svc.code}).text
            assert "王小明" not in text
            assert "13912345678" not in text
            assert "5678" not in text

    def test_appeals_without_a_matter_type_are_not_service_requests(self, client: Any, session: Session,
                                                                    grid: Region) -> None:
        a = o.make_appeal(session, matter=None, grid=grid)
        assert a.id not in ids(client.get(f"{API}/requests.json"))
        assert_error(client.get(f"{API}/requests/{a.id}.json"), 404)

    @pytest.mark.parametrize(("status", "open311_status"), [
        ("received", "open"), ("registered", "open"), ("dispatched", "open"), ("accepted", "open"),
        ("in_progress", "open"), ("resolved", "open"), ("verified", "open"), ("rated", "open"),
        ("closed", "closed"), ("rejected", "closed"), ("merged", "closed")])
    def test_status_mapping(self, client: Any, session: Session, svc: o.Service, grid: Region, status: str,
                            open311_status: str) -> None:
        parent = o.make_appeal(session, matter=svc.matter, grid=grid) if status == "merged" else None
        a = o.make_appeal(session, matter=svc.matter, grid=grid, status=status, parent=parent)
        (r,) = client.get(f"{API}/requests/{a.id}.json").json()
        assert r["status"] == open311_status
        if open311_status == "closed":  # updated_datetime is when it was closed
            assert dt.datetime.fromisoformat(r["updated_datetime"]) == a.closed_at.replace(microsecond=0)  # type: ignore[union-attr]
        shown = ids(client.get(f"{API}/requests.json", params={"service_code": svc.code, "status": open311_status}))
        hidden = ids(client.get(f"{API}/requests.json", params={
            "service_code": svc.code, "status": "closed" if open311_status == "open" else "open"}))
        assert a.id in shown
        assert a.id not in hidden

    def test_status_notes(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        replied = o.make_appeal(session, matter=svc.matter, grid=grid, status="closed", reply="已更换灯泡")
        rejected = o.make_appeal(session, matter=svc.matter, grid=grid, status="rejected", note="不属于本市管辖")
        working = o.make_appeal(session, matter=svc.matter, grid=grid, status="in_progress", note="内部：请张三去修")
        notes = {int(r["service_request_id"]): r["status_notes"]
                 for r in client.get(f"{API}/requests.json", params={"service_code": svc.code}).json()}
        assert notes == {replied.id: "已更换灯泡", rejected.id: "不属于本市管辖", working.id: "处置中"}

    def test_agency_responsible(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        community = session.get(Region, grid.parent_id)
        while community is not None and community.level != "community":
            community = session.get(Region, community.parent_id)
        assert community is not None
        by_dep = o.make_appeal(session, matter=svc.matter, grid=grid, tier="department", department=svc.department)
        by_region = o.make_appeal(session, matter=svc.matter, grid=grid, tier="community", assigned=community)
        unassigned = o.make_appeal(session, matter=svc.matter, grid=grid)
        agency = {int(r["service_request_id"]): r["agency_responsible"]
                  for r in client.get(f"{API}/requests.json", params={"service_code": svc.code}).json()}
        assert agency == {by_dep.id: svc.department.name, by_region.id: community.name,
                          unassigned.id: svc.department.name}

    def test_newest_first(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        t = now()
        older = o.make_appeal(session, matter=svc.matter, grid=grid, created_at=t - dt.timedelta(days=2))
        newer = o.make_appeal(session, matter=svc.matter, grid=grid, created_at=t - dt.timedelta(days=1))
        assert ids(client.get(f"{API}/requests.json", params={"service_code": svc.code})) == [newer.id, older.id]

    def test_the_default_window_is_the_last_90_days(self, client: Any, session: Session, svc: o.Service,
                                                   grid: Region) -> None:
        t = now()
        recent = o.make_appeal(session, matter=svc.matter, grid=grid, created_at=t - dt.timedelta(days=89))
        old = o.make_appeal(session, matter=svc.matter, grid=grid, created_at=t - dt.timedelta(days=91))
        assert ids(client.get(f"{API}/requests.json", params={"service_code": svc.code})) == [recent.id]
        window = {"service_code": svc.code, "start_date": (t - dt.timedelta(days=100)).isoformat(),
                  "end_date": (t - dt.timedelta(days=30)).isoformat()}
        assert ids(client.get(f"{API}/requests.json", params=window)) == [recent.id, old.id]
        only_start = {"service_code": svc.code, "start_date": (t - dt.timedelta(days=95)).isoformat()}
        assert ids(client.get(f"{API}/requests.json", params=only_start)) == [recent.id, old.id]
        only_end = {"service_code": svc.code, "end_date": (t - dt.timedelta(days=90)).isoformat()}
        assert ids(client.get(f"{API}/requests.json", params=only_end)) == [old.id]

    def test_dates_in_w3_forms(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        a = o.make_appeal(session, matter=svc.matter, grid=grid,
                          created_at=dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC))  # 10:00 in Beijing
        for start, end in (("2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z"),
                           ("2026-03-10T09:00:00+08:00", "2026-03-10T11:00:00+08:00"),
                           ("2026-03-10T09:00:00 08:00", "2026-03-10T11:00:00 08:00"),  # an unencoded "+"
                           ("2026-03-10", "2026-03-11")):  # no zone: Beijing time
            r = client.get(f"{API}/requests.json", params={"service_code": svc.code, "start_date": start,
                                                           "end_date": end})
            assert ids(r) == [a.id], (start, end)

    @pytest.mark.parametrize(("start", "end", "message"), [
        ("2026-01-01T00:00:00Z", "2026-04-02T00:00:00Z", "90"),
        ("2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z", "早于"),
        ("yesterday", "", "start_date"),
        ("", "2026-13-01", "end_date")])
    def test_bad_windows_are_400(self, client: Any, start: str, end: str, message: str) -> None:
        r = client.get(f"{API}/requests.xml", params={"start_date": start, "end_date": end})
        assert_error(r, 400, "xml", message)

    def test_exactly_90_days_is_allowed(self, client: Any) -> None:
        r = client.get(f"{API}/requests.json", params={"start_date": "2026-01-01T00:00:00Z",
                                                       "end_date": "2026-04-01T00:00:00Z"})
        assert r.status_code == 200

    def test_a_bad_status_is_400(self, client: Any) -> None:
        assert_error(client.get(f"{API}/requests.json", params={"status": "pending"}), 400, contains="pending")

    def test_status_as_a_comma_list(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        a = o.make_appeal(session, matter=svc.matter, grid=grid)
        b = o.make_appeal(session, matter=svc.matter, grid=grid, status="closed")
        got = ids(client.get(f"{API}/requests.json", params={"service_code": svc.code, "status": "open,closed"}))
        assert sorted(got) == sorted([a.id, b.id])

    def test_service_code_as_a_comma_list(self, client: Any, session: Session, svc: o.Service,
                                          grid: Region) -> None:
        other = o.make_service(session, name="井盖缺失")
        third = o.make_service(session, name="垃圾满溢")
        a = o.make_appeal(session, matter=svc.matter, grid=grid)
        b = o.make_appeal(session, matter=other.matter, grid=grid)
        o.make_appeal(session, matter=third.matter, grid=grid)
        got = ids(client.get(f"{API}/requests.json", params={"service_code": f"{svc.code},{other.code}"}))
        assert sorted(got) == sorted([a.id, b.id])
        assert ids(client.get(f"{API}/requests.json", params={"service_code": "NOPE"})) == []

    def test_service_request_id_overrides_the_rest(self, client: Any, session: Session, svc: o.Service,
                                                   grid: Region) -> None:
        old = o.make_appeal(session, matter=svc.matter, grid=grid, status="closed",
                            created_at=now() - dt.timedelta(days=400))
        new = o.make_appeal(session, matter=svc.matter, grid=grid)
        r = client.get(f"{API}/requests.json", params={"service_request_id": f"{old.id},{new.id},999999999",
                                                       "status": "open", "service_code": "NOPE",
                                                       "start_date": "garbage"})
        assert sorted(ids(r)) == sorted([old.id, new.id])
        assert_error(client.get(f"{API}/requests.json", params={"service_request_id": "1,abc"}), 400)

    def test_empty_optional_arguments_are_absent(self, client: Any, session: Session, svc: o.Service,
                                                 grid: Region) -> None:
        a = o.make_appeal(session, matter=svc.matter, grid=grid)
        empty = {"service_request_id": "", "status": "", "start_date": "", "end_date": "", "jurisdiction_id": ""}
        assert ids(client.get(f"{API}/requests.json", params={"service_code": svc.code, **empty})) == [a.id]
        everything = ids(client.get(f"{API}/requests.json", params={**empty, "service_code": ""}))
        assert everything == ids(client.get(f"{API}/requests.json"))

    def test_at_most_1000_requests(self, client: Any, session: Session, svc: o.Service, grid: Region) -> None:
        t = now()
        session.execute(insert(Appeal), [{
            "title": f"路灯{i}", "description": "", "channel": "hotline", "status": "received", "address": "",
            "region_id": grid.id, "scope_path": grid.path, "grid_id": grid.id, "matter_type_id": svc.matter.id,
            "created_at": t - dt.timedelta(minutes=i), "updated_at": t - dt.timedelta(minutes=i), "version": 1,
            "priority": "normal", "escalation_level": 0, "supervised": False, "anonymous": False,
            "reporter_name": "", "location_consent": False, "metoo_count": 0, "reopen_count": 0,
            "review_reopened": False, "reply": "", "close_reason": "", "warned": False, "overdue": False,
            "ever_overdue": False, "event_seq": 0} for i in range(1001)])
        session.commit()
        got = ids(client.get(f"{API}/requests.json", params={"service_code": svc.code}))
        assert len(got) == 1000 == open311.MAX_REQUESTS
        made = list(session.scalars(select(Appeal.id).where(Appeal.matter_type_id == svc.matter.id)
                                    .order_by(Appeal.created_at.desc())))
        assert got == made[:1000]  # the newest thousand; the oldest one is left out

    def test_the_cap_is_a_module_constant(self, client: Any, session: Session, svc: o.Service, grid: Region,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        made = [o.make_appeal(session, matter=svc.matter, grid=grid, created_at=now() - dt.timedelta(hours=i))
                for i in range(5)]
        monkeypatch.setattr(open311, "MAX_REQUESTS", 3)
        assert ids(client.get(f"{API}/requests.json", params={"service_code": svc.code})) == [a.id for a in made[:3]]

    def test_an_unknown_jurisdiction_is_404(self, client: Any) -> None:
        assert_error(client.get(f"{API}/requests.xml", params={"jurisdiction_id": "x"}), 404, "xml")

    def test_a_request_posted_is_listed(self, post: Any, client: Any, svc: o.Service) -> None:
        rid = post(first_name="小明", last_name="王", phone="13912345678").json()[0]["service_request_id"]
        (r,) = client.get(f"{API}/requests.json", params={"service_code": svc.code}).json()
        assert r["service_request_id"] == rid
        assert r["status"] == "open"
        assert r["agency_responsible"] == svc.department.name
        assert r["expected_datetime"]
        assert "王小明" not in str(r)
        assert "5678" not in str(r)


class TestGetRequest:
    def test_both_formats_give_an_array_of_one(self, client: Any, session: Session, svc: o.Service,
                                               grid: Region) -> None:
        a = o.make_appeal(session, matter=svc.matter, grid=grid)
        j, x = both(client, f"requests/{a.id}")
        tree = assert_same(j, x, "service_requests")
        assert [c.tag for c in tree] == ["request"]
        assert len(j.json()) == 1
        assert set(j.json()[0]) == FIELDS
        assert j.json()[0]["service_request_id"] == str(a.id)

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize("rid", ["999999999", "abc", "1234567890123"])
    def test_an_unknown_request_is_404(self, client: Any, fmt: str, rid: str) -> None:
        assert_error(client.get(f"{API}/requests/{rid}.{fmt}"), 404, fmt, rid)

    def test_an_unknown_jurisdiction_is_404(self, client: Any, session: Session, svc: o.Service,
                                            grid: Region) -> None:
        a = o.make_appeal(session, matter=svc.matter, grid=grid)
        assert_error(client.get(f"{API}/requests/{a.id}.json", params={"jurisdiction_id": "x"}), 404)


# ---- tokens ---------------------------------------------------------------------------------------------------

class TestTokens:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_no_token_is_ever_issued(self, client: Any, fmt: str) -> None:
        assert_error(client.get(f"{API}/tokens/12345.{fmt}"), 404, fmt, "realtime")


# ---- errors from the framework come out in Open311's format ---------------------------------------------------

class TestFrameworkErrors:
    def test_an_unknown_resource_is_404(self, client: Any) -> None:
        assert_error(client.get(f"{API}/nothing.json"), 404, "json")
        assert_error(client.get(f"{API}/nothing"), 404, "xml")  # no extension: XML, the required format

    def test_an_unknown_format_is_404(self, client: Any) -> None:
        assert_error(client.get(f"{API}/services.html"), 404, "xml", ".html")

    def test_a_wrong_method_is_405(self, client: Any) -> None:
        assert_error(client.delete(f"{API}/services.json"), 405, "json")
        assert_error(client.put(f"{API}/requests.xml"), 405, "xml")

    def test_an_html_browser_still_gets_open311_errors(self, client: Any) -> None:
        r = client.get(f"{API}/services/NOPE.xml", headers={"Accept": "text/html"})
        assert_error(r, 404, "xml")

    def test_other_paths_keep_their_format(self, client: Any) -> None:
        r = client.get("/api/v1/nothing")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
