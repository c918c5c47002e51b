"""The co-building rules (docs/cobuild.md), service by service, against the real database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.cobuild import service
from gongzhi.cobuild.models import Claim, Need, Project
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.orgs.models import Unit
from gongzhi.points.models import PointPosting
from tests import factories as f
from tests.cobuild import factories as cf


def _postings(session: Session, rule: str, user_id: int) -> list[PointPosting]:
    return list(session.scalars(select(PointPosting).where(PointPosting.rule == rule,
                                                           PointPosting.user_id == user_id)))


class TestMembers:
    def test_add_member_marks_the_unit(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        unit = f.make_unit(session, node=cf.grid(session, city), name="市第一医院", kind="医院")
        row = service.add_member(session, principal("community"), comm, {
            "unit_id": unit.id, "signed_on": "2026-01-10", "term_end": "2028-12-31", "terms": "义诊每季度一次",
            "pledged": "医护志愿者10名"})
        assert row.region_id == comm.id
        assert unit.is_member_unit
        with pytest.raises(Conflict):
            service.add_member(session, principal("community"), comm, {"unit_id": unit.id, "signed_on": "2026-01-10"})

    def test_bad_agreement_is_refused_field_by_field(self, session: Session, city: dict[str, Any],
                                                     principal: Any) -> None:
        comm = cf.community(session, city)
        other_unit = f.make_unit(session, node=cf.grid(session, city, "outside"))
        with pytest.raises(ValidationFailed) as exc:
            service.add_member(session, principal("community"), comm, {
                "unit_id": other_unit.id, "signed_on": "2026-05-01", "term_end": "2026-01-01"})
        fields = {d["field"] for d in exc.value.details}
        assert fields == {"unit_id", "term_end"}

    def test_officer_and_view(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        m = cf.make_member(session, comm, name="区税务局")
        service.add_officer(session, principal("community"), comm, m.id, {"name": "王强", "post": "兼职副书记"})
        view = service.committee_view(session, comm)
        member = next(x for x in view["members"] if x["id"] == m.id)
        assert member["unit_name"] == "区税务局"
        assert member["officers"][0]["post"] == "兼职副书记"

    def test_only_staff_manage(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        with pytest.raises(Forbidden):
            service.committee_region(session, principal("grid"), comm.code, to="manage")
        with pytest.raises(NotFound):
            service.committee_region(session, principal("community"), city["other_community"], to="manage")


class TestRotation:
    def test_generate_least_recent_first(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        members = cf.make_members(session, comm, 8)
        # members 0 and 1 chaired in 2025, member 2 in 2024; the rest never
        cf.chair(session, comm, 2025, 1, members[0].unit_id)
        cf.chair(session, comm, 2025, 2, members[1].unit_id)
        cf.chair(session, comm, 2024, 1, members[2].unit_id)
        rows = service.generate_rotation(session, principal("community"), comm, 2026)
        chosen = [r.unit_id for r in rows]
        assert [r.slot for r in rows] == [1, 2, 3, 4, 5, 6]
        assert chosen == [m.unit_id for m in members[3:8]] + [members[2].unit_id]
        with pytest.raises(Conflict):
            service.generate_rotation(session, principal("community"), comm, 2026)

    def test_too_few_members(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city, "outside")
        cf.make_members(session, comm, 3)
        with pytest.raises(Conflict) as exc:
            service.generate_rotation(session, principal("admin"), comm, 2026)
        assert exc.value.code == "too_few_members"

    def test_swap_and_replace(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        members = cf.make_members(session, comm, 7)
        rows = service.generate_rotation(session, principal("community"), comm, 2027)
        first, third = rows[0].unit_id, rows[2].unit_id
        service.edit_rotation(session, principal("community"), comm, 2027, {"swap": [1, 3]})
        terms = {t["slot"]: t["unit_id"] for t in service.rotation_dicts(session, comm, 2027)}
        assert (terms[1], terms[3]) == (third, first)
        spare = next(m.unit_id for m in members if m.unit_id not in terms.values())
        service.edit_rotation(session, principal("community"), comm, 2027, {"slot": 2, "unit_id": spare})
        assert service.rotation_dicts(session, comm, 2027)[1]["unit_id"] == spare
        with pytest.raises(Conflict):  # a unit chairs once a year
            service.edit_rotation(session, principal("community"), comm, 2027, {"slot": 4, "unit_id": spare})
        outsider = f.make_unit(session, node=comm)
        with pytest.raises(ValidationFailed):
            service.edit_rotation(session, principal("community"), comm, 2027, {"slot": 4, "unit_id": outsider.id})

    def test_current_chair_by_month(self, session: Session, city: dict[str, Any]) -> None:
        comm = cf.community(session, city)
        m = cf.make_member(session, comm)
        cf.chair(session, comm, 2030, 3, m.unit_id)  # May–June
        assert service.current_chair(session, comm, dt.date(2030, 6, 30)).unit_id == m.unit_id
        assert service.current_chair(session, comm, dt.date(2030, 7, 1)) is None
        assert service.slot_months(3) == (5, 6)


class TestMeetings:
    def _chairing_unit(self, session: Session, city: dict[str, Any]) -> tuple[Any, Any]:
        comm = cf.community(session, city)
        m = cf.make_member(session, comm, name="轮值单位")
        today = service.today()
        cf.chair(session, comm, today.year, service.slot_of(today), m.unit_id)
        unit = session.get(Unit, m.unit_id)
        cf.unit_user(session, city, unit)
        return comm, unit

    def test_chair_unit_convenes_and_records(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm, unit = self._chairing_unit(session, city)
        held = dt.datetime.combine(service.today(), dt.time(9, 30))
        meeting = service.convene_meeting(session, principal("unit"), comm, {
            "held_at": held.isoformat(), "place": "党群服务中心", "agenda": "老旧小区加装电梯\n助老食堂"})
        assert meeting.chair_unit_id == unit.id
        assert meeting.agenda == ["老旧小区加装电梯", "助老食堂"]
        service.record_attendance(session, principal("unit"), meeting, {
            "unit_ids": [unit.id], "usernames": ["party", "volunteer"], "names": ["居民代表张阿姨"]})
        names = {a.name for a in service.repo.attendance(session, meeting)}
        assert {"轮值单位", "居民代表张阿姨"} <= names
        assert len(names) == 4
        party = cf.user_id(session, "party")
        assert len(_postings(session, "meeting_attended", party)) == 1
        service.record_attendance(session, principal("community"), meeting, {"usernames": ["party"]})  # again
        assert len(_postings(session, "meeting_attended", party)) == 1
        service.record_minutes(session, principal("unit"), meeting, {"minutes": "议定两项", "decisions": [
            "为独居老人开展助餐", "修缮3号楼扶手"]})
        need = service.need_from_decision(session, principal("community"), meeting, 1, {"need_type": "设施维修"})
        assert need.source == "meeting"
        assert need.title == "修缮3号楼扶手"
        assert meeting.status == "held"

    def test_a_unit_not_chairing_cannot_convene(self, session: Session, city: dict[str, Any],
                                                 principal: Any) -> None:
        comm = cf.community(session, city)
        m = cf.make_member(session, comm)
        cf.unit_user(session, city, session.get(Unit, m.unit_id))
        with pytest.raises(Forbidden):
            service.convene_meeting(session, principal("unit"), comm, {"held_at": "2026-03-01T09:00",
                                                                       "agenda": ["议题"]})

    def test_attendance_rejects_non_members(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        meeting = service.convene_meeting(session, principal("community"), comm, {
            "held_at": "2026-03-01 09:00", "agenda": ["议题"]})
        outsider = f.make_unit(session, node=comm)
        with pytest.raises(ValidationFailed):
            service.record_attendance(session, principal("community"), meeting, {"unit_ids": [outsider.id]})
        assert service.repo.attendance(session, meeting) == []


class TestNeedsAndResources:
    def test_resident_need_lands_in_their_grid(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        need = service.create_need(session, principal("resident"), {
            "title": "楼道灯坏了", "need_type": "设施维修", "beneficiary_count": "12", "urgency": "high"})
        assert need.source == "resident"
        assert need.scope_path == cf.grid(session, city).path
        assert need.status == "open"

    def test_need_validation(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            service.create_need(session, principal("community"), {
                "title": "", "need_type": "修路", "beneficiary_count": "0", "wanted_from": "2026-12-10",
                "wanted_to": "2026-12-01", "region_code": city["other_grid"]})
        fields = {d["field"] for d in exc.value.details}
        assert fields == {"title", "need_type", "beneficiary_count", "wanted_to", "region_code"}

    @pytest.mark.usefixtures("city")
    def test_resource_validation_and_roles(self, session: Session, principal: Any) -> None:
        with pytest.raises(Forbidden):
            service.create_resource(session, principal("resident"), {"title": "x", "resource_type": "助老"})
        with pytest.raises(ValidationFailed) as exc:
            service.create_resource(session, principal("community"), {
                "title": "义诊", "resource_type": "医疗健康", "capacity": "0", "windows": "2026-12-31,2026-12-01"})
        assert {d["field"] for d in exc.value.details} == {"capacity", "windows"}
        res = service.create_resource(session, principal("party"), {
            "title": "周末陪老人聊天", "resource_type": "助老", "skills": "陪伴、聊天", "capacity": 2,
            "windows": "2026-12-01,2026-12-31"})
        assert res.provider_kind == "party_member"
        assert res.skills == "聊天,陪伴"
        assert res.windows == [["2026-12-01", "2026-12-31"]]

    def test_unit_resource_carries_the_unit(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        m = cf.make_member(session, cf.community(session, city), name="供电公司")
        cf.unit_user(session, city, session.get(Unit, m.unit_id))
        res = service.create_resource(session, principal("unit"), {"title": "电工上门", "resource_type": "设施维修"})
        assert res.unit_id == m.unit_id
        assert res.provider_name == "供电公司"
        assert res.provider_kind == "unit"

    def test_scope_of_reading(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        outside = cf.make_need(session, cf.grid(session, city, "outside"))
        inside = cf.make_need(session, cf.grid(session, city))
        with pytest.raises(NotFound):
            service.get_need(session, principal("community"), outside.id)
        assert service.get_need(session, principal("volunteer"), inside.id).id == inside.id
        with pytest.raises(NotFound):  # a resident sees only what they raised
            service.get_need(session, principal("resident"), inside.id)


class TestSuggestions:
    def test_ranked_with_parts(self, session: Session, city: dict[str, Any]) -> None:
        g = cf.grid(session, city)
        need = cf.make_need(session, g, skills="理发,陪伴", lat=g.center_lat, lon=g.center_lon)
        near = cf.make_resource(session, g, title="理发志愿队", skills="理发,陪伴", lat=g.center_lat,
                                lon=g.center_lon)
        far = cf.make_resource(session, g, title="远处的队伍", skills="理发", lat=g.center_lat + 0.03,
                               lon=g.center_lon)
        cf.make_resource(session, g, resource_type="助学", title="不对口")
        other = cf.make_resource(session, cf.grid(session, city, "outside"), title="别的社区")
        ranked = service.suggestions(session, need)
        ids = [s["resource"]["id"] for s in ranked]
        assert ids[:2] == [near.id, far.id]
        assert other.id not in ids
        assert ranked[0]["parts"]["skills"] == 1.0
        assert ranked[1]["parts"]["skills"] == 0.5
        assert ranked[0]["parts"]["distance"] > ranked[1]["parts"]["distance"]
        assert set(ranked[0]["parts"]) == {"skills", "distance", "capacity", "window", "rating"}

    def test_past_rating_lifts_a_provider(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        g = cf.grid(session, city)
        good = cf.make_resource(session, g, title="口碑好", capacity=10)
        plain = cf.make_resource(session, g, title="没评过", capacity=10)
        done = cf.make_need(session, g)
        claim = service.claim_resource(session, principal("community"), good.id, need_id=done.id)
        project = service.accept_claim(session, principal("community"), claim)
        service.finish_project(session, principal("community"), project, {"outcome": "已完成"})
        service.rate_project(session, principal("community"), project, {"rating": 5, "comment": "很好"})
        ranked = service.suggestions(session, cf.make_need(session, g))
        top = {s["resource"]["id"]: s for s in ranked}
        assert top[good.id]["parts"]["rating"] == 1.0
        assert top[plain.id]["parts"]["rating"] == 0.6
        assert ranked[0]["resource"]["id"] == good.id


class TestClaimsAndProjects:
    def test_provider_claims_need_then_staff_accept(self, session: Session, city: dict[str, Any],
                                                    principal: Any) -> None:
        g = cf.grid(session, city)
        m = cf.make_member(session, cf.community(session, city))
        unit = session.get(Unit, m.unit_id)
        cf.unit_user(session, city, unit)
        res = cf.make_resource(session, g, unit=unit, capacity=1)
        need = cf.make_need(session, g)
        claim = service.claim_need(session, principal("unit"), need.id, resource_id=res.id, note="我们来")
        assert claim.kind == "provider"
        assert need.status == "claimed"
        with pytest.raises(Conflict):
            service.claim_need(session, principal("unit"), need.id, resource_id=res.id)
        with pytest.raises(Forbidden):
            service.accept_claim(session, principal("unit"), claim)
        project = service.accept_claim(session, principal("community"), claim)
        assert project.unit_id == unit.id
        assert need.status == "in_project"
        assert project.owner_name == unit.name
        # capacity 1 is now used: the resource cannot take another need
        with pytest.raises(Conflict) as exc:
            service.claim_need(session, principal("unit"), cf.make_need(session, g).id, resource_id=res.id)
        assert exc.value.code == "capacity_full"

    def test_owner_claims_resource_and_others_are_declined(self, session: Session, city: dict[str, Any],
                                                          principal: Any) -> None:
        g = cf.grid(session, city)
        need = service.create_need(session, principal("resident"), {"title": "孩子作业辅导", "need_type": "助学"})
        a = cf.make_resource(session, g, resource_type="助学", title="大学生志愿者")
        b = cf.make_resource(session, g, resource_type="助学", title="退休教师")
        wrong = cf.make_resource(session, g, resource_type="助老")
        with pytest.raises(Conflict):
            service.claim_resource(session, principal("resident"), wrong.id, need_id=need.id)
        # the resident may not read resources, so the claim goes through staff
        ca = service.claim_resource(session, principal("community"), a.id, need_id=need.id)
        cb = service.claim_resource(session, principal("community"), b.id, need_id=need.id)
        service.accept_claim(session, principal("community"), cb)
        assert ca.status == "declined"
        assert cb.status == "accepted"

    def test_party_member_claims_a_problem(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        need = cf.make_need(session, cf.grid(session, city))
        claim = service.claim_need(session, principal("party"), need.id, note="我来协调")
        assert claim.kind == "member"
        assert claim.resource_id is None
        service.decline_claim(session, principal("party"), claim, withdraw=True)
        assert claim.status == "withdrawn"
        assert need.status == "open"
        with pytest.raises(ValidationFailed):  # staff must name a resource
            service.claim_need(session, principal("community"), need.id)
        claim = service.claim_need(session, principal("party"), need.id)
        project = service.accept_claim(session, principal("community"), claim)
        assert project.owner_user_id == cf.user_id(session, "party")

    def test_steps_finish_rate(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        need = service.create_need(session, principal("resident"), {"title": "修单元门", "need_type": "设施维修"})
        res = cf.make_resource(session, cf.grid(session, city), resource_type="设施维修")
        claim = service.claim_resource(session, principal("community"), res.id, need_id=need.id)
        project = service.accept_claim(session, principal("community"), claim)
        step = service.add_step(session, principal("community"), project, {"title": "采购门锁", "due_on": "2026-12-05"})
        with pytest.raises(Conflict):
            service.finish_project(session, principal("community"), project, {"outcome": "修好了"})
        with pytest.raises(Conflict):
            service.rate_project(session, principal("resident"), project, {"rating": 5})
        service.complete_step(session, principal("community"), project, step.id)
        service.finish_project(session, principal("community"), project, {"outcome": "修好了"})
        assert need.status == "done"
        assert project.end_on is not None
        with pytest.raises(Forbidden):
            service.rate_project(session, principal("volunteer"), project, {"rating": 5})
        with pytest.raises(ValidationFailed):
            service.rate_project(session, principal("resident"), project, {"rating": 6})
        service.rate_project(session, principal("resident"), project, {"rating": 4, "comment": "及时"})
        assert project.rating == 4
        with pytest.raises(Conflict):
            service.rate_project(session, principal("resident"), project, {"rating": 5})

    def test_assignment_accepts_into_projects(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        g = cf.grid(session, city)
        needs = [cf.make_need(session, g, need_type="环境整治", title=f"清理楼道{i}") for i in range(3)]
        res = cf.make_resource(session, g, resource_type="环境整治", capacity=2)
        result = service.run_assignment(session, principal("community"), comm)
        mine = [p for p in result.pairs if p[1] == res.id]
        assert len(mine) == 2
        projects = service.accept_pairs(session, principal("community"), comm, [(n, r) for n, r, _ in mine])
        assert len(projects) == 2
        assert all(p.resource_id == res.id for p in projects)
        claims = session.scalars(select(Claim).where(Claim.resource_id == res.id)).all()
        assert {c.kind for c in claims} == {"assignment"}
        left = [n for n in needs if n.status == "open"]
        assert len(left) == 1
        with pytest.raises(Forbidden):
            service.run_assignment(session, principal("grid"), comm)


class TestWishes:
    def _png(self) -> tuple[bytes, str]:
        return f.tiny_png(), "done.png"

    @pytest.mark.usefixtures("city")
    def test_whole_life(self, session: Session, principal: Any) -> None:
        wish = service.post_wish(session, principal("resident"), {"title": "想要一套绘画工具", "kind": "supplies"},
                                 photo=(f.tiny_png(), "w.png"))
        assert wish.status == "pending"
        assert wish.photo_path
        with pytest.raises(NotFound):  # not approved yet: volunteers do not see it
            service.get_wish(session, principal("volunteer"), wish.id)
        service.wish_action(session, principal("community"), wish, "approve", {})
        wish = service.get_wish(session, principal("volunteer"), wish.id)
        service.wish_action(session, principal("volunteer"), wish, "claim", {})
        with pytest.raises(ValidationFailed):
            service.wish_action(session, principal("volunteer"), wish, "fulfil", {})
        with pytest.raises(Forbidden):
            service.wish_action(session, principal("party"), wish, "fulfil", {}, self._png())
        service.wish_action(session, principal("volunteer"), wish, "fulfil", {"note": "已送到"}, self._png())
        service.wish_action(session, principal("resident"), wish, "thank", {"note": "谢谢志愿者"})
        assert wish.status == "thanked"
        assert wish.thanks == "谢谢志愿者"
        volunteer = cf.user_id(session, "volunteer")
        assert len(_postings(session, "wish_fulfilled", volunteer)) == 1
        timeline = service.wish_dict(session, wish, timeline=True)["timeline"]
        assert [e["action"] for e in timeline] == ["post", "approve", "claim", "fulfil", "thank"]
        with pytest.raises(Conflict):
            service.wish_action(session, principal("resident"), wish, "thank", {})

    def test_claim_limit(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        g = cf.grid(session, city)
        poster = cf.user_id(session, "resident")
        wishes = [cf.make_wish(session, g, poster=poster, title=f"心愿{i}")
                  for i in range(service.get_settings_limit() + 1)]
        for w in wishes[:-1]:
            service.wish_action(session, principal("party"), w, "claim", {})
        with pytest.raises(Conflict) as exc:
            service.wish_action(session, principal("party"), wishes[-1], "claim", {})
        assert exc.value.code == "claim_limit"
        assert wishes[-1].status == "open"
        service.wish_action(session, principal("party"), wishes[0], "release", {})
        service.wish_action(session, principal("party"), wishes[-1], "claim", {})
        assert wishes[-1].status == "claimed"

    def test_staff_release_only_after_the_limit(self, session: Session, city: dict[str, Any],
                                                principal: Any) -> None:
        g = cf.grid(session, city)
        wish = cf.make_wish(session, g, poster=cf.user_id(session, "resident"), status="claimed",
                            claimer=cf.user_id(session, "party"))
        with pytest.raises(Conflict):
            service.wish_action(session, principal("community"), wish, "release", {})
        wish.claimed_at = wish.claimed_at - dt.timedelta(days=service.wish_release_days() + 1)
        service.wish_action(session, principal("community"), wish, "release", {"note": "超期未完成"})
        assert wish.status == "open"
        assert wish.claimer_id is None

    def test_roles(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        with pytest.raises(Forbidden):
            service.post_wish(session, principal("volunteer"), {"title": "x"})
        wish = cf.make_wish(session, cf.grid(session, city), poster=cf.user_id(session, "resident"))
        with pytest.raises(Forbidden):
            service.wish_action(session, principal("resident"), wish, "claim", {})
        with pytest.raises(Forbidden):
            service.wish_action(session, principal("volunteer"), wish, "approve", {})
        with pytest.raises(NotFound):
            service.get_wish(session, principal("community2"), wish.id)


class TestUnitPage:
    def test_unit_view(self, session: Session, city: dict[str, Any], principal: Any) -> None:
        comm = cf.community(session, city)
        m = cf.make_member(session, comm, name="市自来水公司")
        unit = session.get(Unit, m.unit_id)
        cf.unit_user(session, city, unit)
        cf.make_resource(session, cf.grid(session, city), unit=unit, title="水管检修")
        view = service.unit_view(session, principal("unit"))
        assert view["unit"].name == "市自来水公司"
        assert view["memberships"][0]["region_code"] == comm.code
        assert [r["title"] for r in view["resources"]] == ["水管检修"]
        with pytest.raises(Forbidden):
            service.unit_view(session, principal("handler"))


def test_need_project_models_round_trip(session: Session) -> None:
    assert session.scalars(select(Need).limit(0)).all() == []
    assert session.scalars(select(Project).limit(0)).all() == []
