"""Intake, routing, duplicates, merging, "me too", 吹哨报到, escalation, privacy and photos."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongzhi.appeals import repository as repo
from gongzhi.appeals import service
from gongzhi.appeals.media import check_and_store, read
from gongzhi.appeals.models import Appeal, AppealFollower
from gongzhi.appeals.schemas import ActionBody, AppealCreate
from gongzhi.core import geo
from gongzhi.core.errors import AppError
from gongzhi.duties.models import AdmissionItem
from gongzhi.notify.models import Message
from gongzhi.regions.models import Region


def new(session: Session, principal: Any, point: tuple[float, float], matter: Any = None, user: str = "resident",
        **kw: Any) -> Appeal:
    lat, lon = point
    fields = {"title": "小区门口垃圾堆积", "description": "垃圾三天没人清运，味道很大", "lat": lat, "lon": lon,
              "channel": {"resident": "h5", "grid": "patrol"}.get(user, "hotline"), **kw}
    if matter is not None:
        fields["matter_code"] = matter.code
    return service.intake(session, principal(user), AppealCreate(**fields), idempotency_key=kw.pop("_key", None)).appeal


class TestIntake:
    def test_located_routed_and_followed(self, session: Session, principal: Any, catalog: Any, grid_point: Any,
                                         city: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["community"])
        grid = session.get(Region, a.grid_id)
        assert grid is not None
        assert grid.code == city["scopes"]["grid"]
        community = session.get(Region, a.assigned_region_id)
        assert a.tier == "community"
        assert community is not None
        assert community.code == city["scopes"]["community"]
        assert repo.is_following(session, a, principal("resident").user_id) is not None
        assert [e.action for e in repo.timeline(session, a)] == ["receive"]

    def test_gcj02_input_is_stored_as_wgs84(self, session: Session, principal: Any, catalog: Any,
                                            grid_point: Any) -> None:
        lat, lon = grid_point
        glon, glat = geo.wgs84_to_gcj02(lon, lat)
        a = new(session, principal, (float(glat), float(glon)), catalog.matters["grid"], crs="gcj02")
        assert abs(a.lat - lat) < 1e-5
        assert abs(a.lon - lon) < 1e-5

    def test_point_outside_grids_needs_a_region(self, session: Session, principal: Any, catalog: Any) -> None:
        with pytest.raises(AppError) as exc:
            new(session, principal, (39.9, 116.4), catalog.matters["grid"])
        assert exc.value.code == "outside_grids"
        assert exc.value.status == 422

    def test_resident_without_point_goes_to_own_grid(self, session: Session, principal: Any, city: Any) -> None:
        a = service.intake(session, principal("resident"), AppealCreate(title="楼上漏水")).appeal
        assert session.get(Region, a.region_id).code == city["scopes"]["grid"]  # type: ignore[union-attr]

    def test_channel_by_role(self, session: Session, principal: Any, grid_point: Any) -> None:
        lat, lon = grid_point
        with pytest.raises(AppError) as exc:
            service.intake(session, principal("resident"), AppealCreate(title="冒充热线", lat=lat, lon=lon,
                                                                        channel="hotline"))
        assert exc.value.status == 403

    def test_idempotency_key_returns_the_first(self, session: Session, principal: Any, grid_point: Any) -> None:
        lat, lon = grid_point
        data = AppealCreate(title="井盖丢了", lat=lat, lon=lon)
        key = service.idempotency_scope(principal("resident"), "abc")
        first = service.intake(session, principal("resident"), data, idempotency_key=key)
        again = service.intake(session, principal("resident"), data, idempotency_key=key)
        assert first.created
        assert not again.created
        assert again.appeal.id == first.appeal.id

    def test_external_id_returns_the_first(self, session: Session, principal: Any, grid_point: Any) -> None:
        lat, lon = grid_point
        data = AppealCreate(title="12345转办", lat=lat, lon=lon, channel="transfer", external_id="BJ12345-001")
        first = service.intake(session, principal("community"), data).appeal
        again = service.intake(session, principal("community"), data)
        assert not again.created
        assert again.appeal.id == first.id
        assert session.scalar(select(func.count()).where(Appeal.external_id == "BJ12345-001")) == 1

    def test_hotline_reporter_phone_is_sealed(self, session: Session, principal: Any, grid_point: Any) -> None:
        lat, lon = grid_point
        a = service.intake(session, principal("community"), AppealCreate(
            title="来电反映噪音", lat=lat, lon=lon, channel="hotline", reporter_name="王女士",
            reporter_phone="13912345678")).appeal
        assert a.phone_masked == "139****5678"
        assert a.phone_enc
        assert b"13912345678" not in a.phone_enc

    def test_anonymous_hides_identity(self, session: Session, principal: Any, grid_point: Any,
                                      catalog: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["grid"], anonymous=True, reporter_name="张三")
        assert a.reporter_name == ""
        shown = service.to_dict(session, principal("community"), a)
        assert shown["reporter"] is None
        assert service.to_dict(session, principal("resident"), a)["reporter"] is not None  # the reporter sees it


class TestDuplicatesAndMerge:
    def test_similar_nearby_is_suggested_and_merged(self, session: Session, principal: Any, catalog: Any,
                                                    grid_point: Any) -> None:
        mt = catalog.matters["grid"]
        first = new(session, principal, grid_point, mt)
        lat, lon = grid_point
        result = service.intake(session, principal("grid"), AppealCreate(
            title="小区门口垃圾堆积没人清运", lat=lat + 0.0003, lon=lon, channel="patrol", matter_code=mt.code))
        assert result.duplicates
        assert result.duplicates[0]["id"] == first.id
        dup = result.appeal
        service.act(session, principal("community"), dup.id, "merge", ActionBody(parent_id=first.id))
        assert dup.status == "merged"
        assert dup.parent_id == first.id
        assert [e.action for e in repo.timeline(session, first)][-1] == "absorb"
        # the merged appeal's reporter now follows the parent and hears of its progress
        assert repo.is_following(session, first, principal("grid").user_id) is not None
        service.act(session, principal("community"), first.id, "register", ActionBody())
        told = session.scalars(select(Message).where(Message.user_id == principal("grid").user_id,
                                                     Message.appeal_id == first.id)).all()
        assert told

    def test_far_or_different_text_is_not_a_duplicate(self, session: Session, principal: Any, catalog: Any,
                                                      grid_point: Any) -> None:
        mt = catalog.matters["grid"]
        new(session, principal, grid_point, mt)
        lat, lon = grid_point
        other = service.intake(session, principal("resident"), AppealCreate(
            title="健身器材损坏", description="单杠断了", lat=lat, lon=lon, matter_code=mt.code))
        assert other.duplicates == []

    def test_cannot_merge_into_itself_or_a_closed_one(self, session: Session, principal: Any, catalog: Any,
                                                      grid_point: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["grid"])
        with pytest.raises(AppError):
            service.act(session, principal("community"), a.id, "merge", ActionBody(parent_id=a.id))
        b = new(session, principal, grid_point, catalog.matters["grid"])
        service.act(session, principal("community"), b.id, "reject", ActionBody(reason="不属实"))
        with pytest.raises(AppError) as exc:
            service.act(session, principal("community"), a.id, "merge", ActionBody(parent_id=b.id))
        assert exc.value.code == "bad_merge_target"


class TestMeToo:
    def test_once_per_person(self, session: Session, principal: Any, catalog: Any, grid_point: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["grid"])
        service.act(session, principal("volunteer"), a.id, "metoo", ActionBody())
        assert a.metoo_count == 1
        with pytest.raises(AppError) as exc:
            service.act(session, principal("volunteer"), a.id, "metoo", ActionBody())
        assert exc.value.code == "already_following"
        assert a.metoo_count == 1
        follower = session.scalars(select(AppealFollower).where(AppealFollower.appeal_id == a.id,
                                                                AppealFollower.reason == "metoo")).one()
        assert follower.user_id == principal("volunteer").user_id


class TestSummon:
    def test_parts_must_all_report_before_resolution(self, session: Session, principal: Any, catalog: Any,
                                                     grid_point: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["street"])
        service.act(session, principal("community"), a.id, "register", ActionBody())
        d0, d1 = catalog.departments[0], catalog.departments[1]
        service.act(session, principal("street"), a.id, "summon",
                    ActionBody(department_codes=[d0.code, d1.code], task="联合整治", days=2))
        assert a.status == "in_progress"
        assert a.tier == "street"
        assert {p.department_id for p in repo.parts(session, a)} == {d0.id, d1.id}
        with pytest.raises(AppError) as exc:
            service.act(session, principal("street"), a.id, "resolve", ActionBody(reply="已整治"))
        assert exc.value.code == "parts_open"
        service.act(session, principal("handler"), a.id, "report", ActionBody(report="已拆除违建"))  # d0's handler
        with pytest.raises(AppError):
            service.act(session, principal("handler"), a.id, "report", ActionBody(report="再报一次"))
        parts = {p.department_id: p for p in repo.parts(session, a)}
        assert parts[d0.id].status == "done"
        assert parts[d1.id].status == "open"
        service.act(session, principal("admin"), a.id, "report", ActionBody(report="已清运"))
        service.act(session, principal("street"), a.id, "resolve", ActionBody(reply="联合整治完成"))
        assert a.status == "resolved"

    def test_summoned_department_reads_the_appeal(self, session: Session, principal: Any, catalog: Any,
                                                  grid_point: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["street"])
        with pytest.raises(AppError):
            service.get_appeal(session, principal("handler"), a.id)
        service.act(session, principal("community"), a.id, "register", ActionBody())
        service.act(session, principal("street"), a.id, "summon",
                    ActionBody(department_codes=[catalog.departments[0].code]))
        assert service.get_appeal(session, principal("handler"), a.id).id == a.id


class TestEscalation:
    def test_manual_escalation_goes_one_tier_up(self, session: Session, principal: Any, catalog: Any,
                                                grid_point: Any) -> None:
        a = new(session, principal, grid_point, catalog.matters["grid"])
        service.act(session, principal("community"), a.id, "register", ActionBody())
        service.act(session, principal("community"), a.id, "dispatch", ActionBody())
        service.act(session, principal("community"), a.id, "escalate", ActionBody(reason="网格处理不了"))
        assert a.tier == "community"
        assert a.supervised
        assert a.escalation_level == 1
        service.act(session, principal("street"), a.id, "escalate", ActionBody(reason="社区协调不了"))
        assert a.tier == "street"
        service.act(session, principal("street"), a.id, "escalate", ActionBody(reason="需要部门执法"))
        assert a.tier == "department"
        assert a.assigned_department_id == catalog.departments[0].id
        with pytest.raises(AppError) as exc:
            service.act(session, principal("street"), a.id, "escalate", ActionBody(reason="再上提"))
        assert exc.value.code == "top_tier"


class TestRatingAndVerification:
    def _resolved(self, session: Session, principal: Any, catalog: Any, point: Any) -> Appeal:
        a = new(session, principal, point, catalog.matters["grid"])
        for user, action, body in (("community", "register", {}), ("community", "dispatch", {}),
                                   ("grid", "accept", {}), ("grid", "resolve", {"reply": "已清运"})):
            service.act(session, principal(user), a.id, action, ActionBody(**body))
        return a

    def test_failed_verification_reopens(self, session: Session, principal: Any, catalog: Any,
                                         grid_point: Any) -> None:
        a = self._resolved(session, principal, catalog, grid_point)
        service.act(session, principal("grid"), a.id, "verify", ActionBody(passed=False, note="现场仍有垃圾"))
        assert a.status == "in_progress"
        assert a.reopen_count == 1

    def test_unsatisfied_rating_reopens_once(self, session: Session, principal: Any, catalog: Any,
                                             grid_point: Any) -> None:
        a = self._resolved(session, principal, catalog, grid_point)
        service.act(session, principal("grid"), a.id, "verify", ActionBody(passed=True))
        service.act(session, principal("resident"), a.id, "rate", ActionBody(rating=1))
        assert a.status == "in_progress"
        assert a.review_reopened
        service.act(session, principal("grid"), a.id, "resolve", ActionBody(reply="再次清运"))
        service.act(session, principal("grid"), a.id, "verify", ActionBody(passed=True))
        service.act(session, principal("resident"), a.id, "rate", ActionBody(rating=2))
        assert a.status == "rated"
        service.act(session, principal("community"), a.id, "close", ActionBody())
        assert a.close_reason == "unsatisfied"

    def test_closing_unrated_needs_a_note(self, session: Session, principal: Any, catalog: Any,
                                          grid_point: Any) -> None:
        a = self._resolved(session, principal, catalog, grid_point)
        service.act(session, principal("grid"), a.id, "verify", ActionBody(passed=True))
        with pytest.raises(AppError):
            service.act(session, principal("community"), a.id, "close", ActionBody())
        service.act(session, principal("community"), a.id, "close", ActionBody(note="电话回访无人接听"))
        assert a.status == "closed"


class TestAdmissionList:
    def test_registration_refused_with_the_list_item(self, session: Session, principal: Any, catalog: Any,
                                                     grid_point: Any, city: Any) -> None:
        community = session.scalars(select(Region).where(Region.code == city["scopes"]["community"])).one()
        mt = catalog.matters["community"]
        session.add(AdmissionItem(community_id=community.id, code="N01", kind="must_not_certify",
                                  title="不得出具亲属关系证明", matter_type_id=mt.id))
        session.flush()
        a = new(session, principal, grid_point, mt)
        service.act(session, principal("community"), a.id, "register", ActionBody())
        assert a.status == "rejected"
        assert a.close_reason == "not_admitted"
        ev = repo.timeline(session, a)[-1]
        assert ev.action == "reject"
        assert "亲属关系证明" in ev.note
        assert ev.data["admission_item"]["code"] == "N01"


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (40, 30), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "TestCam"  # model
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 20.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


class TestPhotos:
    def test_gps_is_stripped_without_consent(self) -> None:
        stored = check_and_store(_jpeg_with_gps(), "a.jpg", keep_location=False)
        with Image.open(io.BytesIO(read(stored.path))) as img:
            assert 0x8825 not in img.getexif()
        with Image.open(io.BytesIO(read(stored.thumb_path))) as thumb:
            assert max(thumb.size) <= 320

    def test_gps_is_kept_with_consent(self) -> None:
        stored = check_and_store(_jpeg_with_gps(), "a.jpg", keep_location=True)
        with Image.open(io.BytesIO(read(stored.path))) as img:
            assert 0x8825 in img.getexif()

    @pytest.mark.parametrize(("data", "code"), [
        (b"GIF89a" + b"\x00" * 50, "invalid_photo"),
        (b"not an image at all", "invalid_photo"),
        (b"", "invalid_photo"),
    ])
    def test_bad_files_are_refused(self, data: bytes, code: str) -> None:
        with pytest.raises(AppError) as exc:
            check_and_store(data, "x.jpg", keep_location=False)
        assert exc.value.code == code

    def test_gif_is_refused_even_when_real(self) -> None:
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format="GIF")
        with pytest.raises(AppError) as exc:
            check_and_store(out.getvalue(), "x.gif", keep_location=False)
        assert exc.value.status == 422

    def test_truncated_jpeg_is_refused(self) -> None:
        data = _jpeg_with_gps()
        with pytest.raises(AppError):
            check_and_store(data[: len(data) // 2], "cut.jpg", keep_location=False)

    def test_too_large_is_413(self, monkeypatch: Any) -> None:
        from gongzhi.core.settings import get_settings

        monkeypatch.setattr(get_settings(), "photo_max_bytes", 100)
        with pytest.raises(AppError) as exc:
            check_and_store(_jpeg_with_gps(), "big.jpg", keep_location=False)
        assert exc.value.status == 413
