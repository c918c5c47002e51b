"""The rules of 双报到 and volunteering, against the real database."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from gongzhi.appeals.schemas import AppealCreate
from gongzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gongzhi.people.models import PartyMember
from gongzhi.points.models import PointPosting
from gongzhi.volunteers import report, service
from gongzhi.volunteers.models import Evaluation, PostClaim
from tests import factories as f
from tests.volunteers import factories as vf


@pytest.fixture
def comm(session: Session, city: dict[str, Any]) -> Any:
    return vf.community(session, city)


class TestRegister:
    def test_creates_an_in_service_member_and_a_pending_reporting(self, session: Session, comm: Any) -> None:
        unit = vf.make_unit(session, comm)
        who = vf.account(session, "party_member", comm, name="赵红")
        r = service.register(session, who, name="赵红", employer_unit_id=unit.id, employer_name="", skills="法律咨询")
        m = session.get(PartyMember, r.member_id)
        assert m is not None
        assert m.kind == "in_service"
        assert m.employer_unit_id == unit.id
        assert m.employer_name == unit.name
        assert m.region_id == comm.id
        assert r.status == "pending"
        assert r.scope_path == comm.path
        assert r.user_id == who.user_id

    def test_the_registers_row_is_reused(self, session: Session, comm: Any) -> None:
        unit = vf.make_unit(session, comm)
        row = PartyMember(name="吕建设", kind="in_service", employer_name=unit.name, region_id=comm.id,
                          scope_path=comm.path)
        session.add(row)
        session.commit()
        who = vf.account(session, "party_member", comm, name="吕建设")
        r = service.register(session, who, name="吕建设", employer_unit_id=unit.id, employer_name="")
        assert r.member_id == row.id
        assert row.employer_unit_id == unit.id

    def test_twice_is_a_conflict(self, session: Session, comm: Any) -> None:
        who, _r = vf.party(session, comm, status="pending")
        with pytest.raises(Conflict):
            service.register(session, who, name="王建国", employer_unit_id=None, employer_name="某单位")

    def test_other_roles_may_not(self, session: Session, principal: Any) -> None:
        with pytest.raises(Forbidden):
            service.register(session, principal("volunteer"), name="张三", employer_unit_id=None, employer_name="x")

    @pytest.mark.parametrize(("name", "employer"), [("王", "某单位"), ("王建国", "")])
    def test_bad_input(self, session: Session, comm: Any, name: str, employer: str) -> None:
        who = vf.account(session, "party_member", comm)
        with pytest.raises(ValidationFailed):
            service.register(session, who, name=name, employer_unit_id=None, employer_name=employer)
        assert service.my_reporting(session, who) is None


class TestDecideReporting:
    def test_confirm_once(self, session: Session, comm: Any) -> None:
        _who, r = vf.party(session, comm, status="pending")
        desk = vf.staff(session, comm)
        service.decide_reporting(session, desk, r, confirm=True)
        assert r.status == "confirmed"
        assert r.decided_by == desk.user_id
        with pytest.raises(Conflict):
            service.decide_reporting(session, desk, r, confirm=False, note="重复")

    def test_reject_needs_a_reason(self, session: Session, comm: Any) -> None:
        _who, r = vf.party(session, comm, status="pending")
        with pytest.raises(ValidationFailed):
            service.decide_reporting(session, vf.staff(session, comm), r, confirm=False)
        assert r.status == "pending"

    def test_scope_and_role(self, session: Session, comm: Any, principal: Any) -> None:
        _who, r = vf.party(session, comm, status="pending")
        with pytest.raises(NotFound):
            service.decide_reporting(session, principal("community2"), r, confirm=True)
        with pytest.raises(Forbidden):
            service.decide_reporting(session, principal("grid"), r, confirm=True)
        assert r.status == "pending"


class TestPosts:
    def test_no_more_members_than_slots(self, session: Session, comm: Any) -> None:
        post = vf.make_post(session, comm, slots=2)
        members = [vf.party(session, comm, name=f"党员{i}")[0] for i in range(3)]
        service.claim_post(session, members[0], post.id)
        service.claim_post(session, members[1], post.id)
        with pytest.raises(Conflict) as exc:
            service.claim_post(session, members[2], post.id)
        assert exc.value.code == "post_full"
        assert f.count(session, PostClaim, PostClaim.post_id == post.id) == 2

    def test_release_frees_a_slot(self, session: Session, comm: Any) -> None:
        post = vf.make_post(session, comm, slots=1)
        a, _ = vf.party(session, comm)
        b, _ = vf.party(session, comm)
        service.claim_post(session, a, post.id)
        service.release_post(session, a, post.id)
        service.claim_post(session, b, post.id)
        assert f.count(session, PostClaim, PostClaim.post_id == post.id) == 1

    def test_twice_inactive_unconfirmed_and_elsewhere(self, session: Session, city: dict[str, Any],
                                                      comm: Any) -> None:
        post = vf.make_post(session, comm)
        who, _ = vf.party(session, comm)
        service.claim_post(session, who, post.id)
        with pytest.raises(Conflict):
            service.claim_post(session, who, post.id)
        with pytest.raises(Conflict):
            service.claim_post(session, who, vf.make_post(session, comm, active=False).id)
        with pytest.raises(NotFound):
            service.claim_post(session, who, vf.make_post(session, vf.community(session, city, "outside")).id)
        pending, _ = vf.party(session, comm, status="pending")
        with pytest.raises(Conflict) as exc:
            service.claim_post(session, pending, post.id)
        assert exc.value.code == "not_confirmed"

    def test_community_creates_posts_in_its_scope(self, session: Session, city: dict[str, Any], comm: Any,
                                                  principal: Any) -> None:
        post = service.create_post(session, principal("community"), comm, name="助老岗", slots=3)
        assert post.scope_path == comm.path
        with pytest.raises(NotFound):
            service.create_post(session, principal("community"), vf.community(session, city, "outside"),
                                name="助老岗", slots=3)
        with pytest.raises(ValidationFailed):
            service.create_post(session, principal("community"), comm, name="助老岗", slots=0)


class TestPairs:
    def test_pair_with_a_household_needing_care(self, session: Session, comm: Any) -> None:
        who, r = vf.party(session, comm)
        h = vf.make_care_household(session, comm, tags="独居老人,低保")
        p = service.pair(session, who, h.id)
        assert p.reporting_id == r.id
        assert "独居老人" in p.care_tags
        assert p.scope_path == comm.path
        with pytest.raises(Conflict):
            service.pair(session, who, h.id)

    def test_no_care_need_no_pair(self, session: Session, comm: Any) -> None:
        who, _ = vf.party(session, comm)
        h = f.make_household(session, grid=vf.grid_of(session, comm))
        with pytest.raises(Conflict) as exc:
            service.pair(session, who, h.id)
        assert exc.value.code == "no_care_need"

    def test_outside_the_community(self, session: Session, city: dict[str, Any], comm: Any) -> None:
        who, _ = vf.party(session, comm)
        h = vf.make_care_household(session, vf.community(session, city, "outside"))
        with pytest.raises(NotFound):
            service.pair(session, who, h.id)

    def test_limit(self, session: Session, comm: Any) -> None:
        who, _ = vf.party(session, comm)
        for _i in range(service.PAIR_LIMIT):
            service.pair(session, who, vf.make_care_household(session, comm).id)
        with pytest.raises(Conflict) as exc:
            service.pair(session, who, vf.make_care_household(session, comm).id)
        assert exc.value.code == "pair_limit"

    def test_care_households_lists_tagged_households_only(self, session: Session, comm: Any) -> None:
        who, _ = vf.party(session, comm)
        h = vf.make_care_household(session, comm, tags="残疾")
        plain = f.make_household(session, grid=vf.grid_of(session, comm))
        rows, _total = service.care_households(session, who, q=None, tag="残疾", offset=0, limit=500)
        ids = {row["household"].id for row in rows}
        assert h.id in ids
        assert plain.id not in ids


class TestProblems:
    def test_claim_an_open_appeal(self, session: Session, comm: Any) -> None:
        who, _r = vf.party(session, comm)
        appeal = f.make_appeal(session, vf.grid_of(session, comm), status="dispatched", title="楼道堆物")
        c = service.claim_problem(session, who, "appeal", appeal.id)
        assert (c.target_kind, c.target_id, c.title) == ("appeal", appeal.id, "楼道堆物")
        with pytest.raises(Conflict):
            service.claim_problem(session, who, "appeal", appeal.id)

    def test_closed_or_elsewhere(self, session: Session, city: dict[str, Any], comm: Any) -> None:
        who, _ = vf.party(session, comm)
        closed = f.make_appeal(session, vf.grid_of(session, comm), status="closed")
        with pytest.raises(Conflict):
            service.claim_problem(session, who, "appeal", closed.id)
        far = f.make_appeal(session, vf.grid_of(session, vf.community(session, city, "outside")))
        with pytest.raises(NotFound):
            service.claim_problem(session, who, "appeal", far.id)
        with pytest.raises(ValidationFailed):
            service.claim_problem(session, who, "wish", far.id)

    def test_claim_a_need_through_the_needs_list(self, session: Session, comm: Any) -> None:
        from gongzhi.cobuild.models import Claim, Need

        who, _ = vf.party(session, comm)
        need = Need(title="独居老人助浴", need_type=_need_type(), source=_need_source(), region_id=comm.id,
                    scope_path=comm.path)
        session.add(need)
        session.commit()
        c = service.claim_problem(session, who, "need", need.id)
        assert (c.target_kind, c.target_id, c.title) == ("need", need.id, "独居老人助浴")
        claim = session.scalars(select(Claim).where(Claim.need_id == need.id)).one()
        assert claim.claimant_id == who.user_id
        assert claim.kind == "member"


def _need_type() -> str:
    from gongzhi.cobuild import models

    return next(iter(models.NEED_TYPES))


def _need_source() -> str:
    from gongzhi.cobuild import models

    return next(iter(models.NEED_SOURCES))


class TestServiceLogs:
    def test_log_and_confirm_earns_points_once(self, session: Session, comm: Any) -> None:
        who, _ = vf.party(session, comm)
        log = vf.make_log(session, who, hours=2)
        assert log.status == "pending"
        assert log.scope_path == comm.path
        desk = vf.staff(session, comm)
        service.decide_log(session, desk, log, confirm=True)
        assert log.status == "confirmed"
        service.award_hours(session, log)  # a second award for the same log posts nothing new
        postings = session.scalars(select(PointPosting).where(PointPosting.rule == "service_hour",
                                                              PointPosting.user_id == who.user_id)).all()
        assert len(postings) == 1
        assert postings[0].points > 0
        with pytest.raises(Conflict):
            service.decide_log(session, desk, log, confirm=True)

    def test_reject_needs_a_reason_and_earns_nothing(self, session: Session, comm: Any) -> None:
        who, _ = vf.party(session, comm)
        log = vf.make_log(session, who)
        desk = vf.staff(session, comm)
        with pytest.raises(ValidationFailed):
            service.decide_log(session, desk, log, confirm=False)
        service.decide_log(session, desk, log, confirm=False, reason="照片不清楚")
        assert log.status == "rejected"
        assert log.reason == "照片不清楚"
        assert f.count(session, PointPosting, PointPosting.user_id == who.user_id) == 0

    @pytest.mark.parametrize(("hours", "days_ago"), [(0, 0), (25, 0), (2, -1), (2, 400)])
    def test_bad_hours_or_dates(self, session: Session, comm: Any, hours: float, days_ago: int) -> None:
        who, _ = vf.party(session, comm)
        with pytest.raises(ValidationFailed):
            service.log_service(session, who, served_on=service.today() - dt.timedelta(days=days_ago), hours=hours,
                                what="服务")

    def test_links_must_be_the_members_own(self, session: Session, comm: Any) -> None:
        a, _ = vf.party(session, comm)
        b, _ = vf.party(session, comm)
        p = service.pair(session, a, vf.make_care_household(session, comm).id)
        log = vf.make_log(session, a, pairing_id=p.id)
        assert log.pairing_id == p.id
        with pytest.raises(ValidationFailed):
            service.log_service(session, b, served_on=service.today(), hours=1, what="走访", pairing_id=p.id)
        post = vf.make_post(session, comm)
        with pytest.raises(ValidationFailed):
            service.log_service(session, a, served_on=service.today(), hours=1, what="值守", post_id=post.id)

    def test_scope_and_roles(self, session: Session, comm: Any, principal: Any) -> None:
        who, _ = vf.party(session, comm)
        log = vf.make_log(session, who)
        with pytest.raises(NotFound):
            service.get_log(session, principal("community2"), log.id)
        with pytest.raises(Forbidden):
            service.decide_log(session, who, log, confirm=True)
        with pytest.raises(Forbidden):
            service.log_service(session, principal("resident"), served_on=service.today(), hours=1, what="服务")

    def test_volunteer_logs_need_a_profile(self, session: Session, comm: Any) -> None:
        v = vf.account(session, "volunteer", comm, name="刘志愿")
        with pytest.raises(Conflict):
            service.log_service(session, v, served_on=service.today(), hours=1, what="巡查")
        vol = vf.make_volunteer(session, v)
        log = vf.make_log(session, v, hours=1.5)
        assert log.volunteer_id == vol.id
        assert log.reporting_id is None
        service.decide_log(session, vf.staff(session, comm), log, confirm=True)
        assert f.count(session, PointPosting, PointPosting.user_id == v.user_id,
                       PointPosting.rule == "service_hour") == 1


class TestEvaluation:
    def test_figures_are_counted_from_rows(self, session: Session, comm: Any) -> None:
        who, r = vf.party(session, comm)
        desk = vf.staff(session, comm)
        year = service.today().year
        for hours in (2, 3.5):
            service.decide_log(session, desk, vf.make_log(session, who, hours=hours), confirm=True)
        vf.make_log(session, who, hours=9)  # pending: not counted
        service.claim_post(session, who, vf.make_post(session, comm).id)
        service.pair(session, who, vf.make_care_household(session, comm).id)
        service.claim_problem(session, who, "appeal", f.make_appeal(session, vf.grid_of(session, comm)).id)
        grid = vf.grid_of(session, comm)
        service.file_report(session, who, AppealCreate(title="井盖破损", region_code=grid.code))
        ev = service.evaluate(session, desk, r, year=year, grade="优秀", comment="服务积极")
        assert ev.figures == {"reports": 1, "hours": 5.5, "logs": 2, "posts": 1, "pairs": 1, "problems": 1}
        again = service.evaluate(session, desk, r, year=year, grade="合格")
        assert again.id == ev.id
        assert f.count(session, Evaluation, Evaluation.reporting_id == r.id) == 1

    def test_rules(self, session: Session, comm: Any, principal: Any) -> None:
        _who, r = vf.party(session, comm, status="pending")
        desk = vf.staff(session, comm)
        with pytest.raises(Conflict):
            service.evaluate(session, desk, r, year=2025, grade="优秀")
        r.status = "confirmed"
        with pytest.raises(ValidationFailed):
            service.evaluate(session, desk, r, year=2025, grade="很好")
        with pytest.raises(ValidationFailed):
            service.evaluate(session, desk, r, year=service.today().year + 1, grade="优秀")
        with pytest.raises(NotFound):
            service.evaluate(session, principal("community2"), r, year=2025, grade="优秀")


def _text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


class TestLetter:
    def test_seal_line_names_the_party_committee(self) -> None:
        letter = {"name": "甲", "employer": "乙单位", "community": "文化路社区居委会", "year": 2025, "grade": "合格",
                  "comment": "", "figures": {}, "evaluated_at": None}
        text = _text(report.build([letter]))
        assert "中共文化路社区委员会（盖章）" in text
        assert "年  月  日" in text


class TestEmployerReport:
    def test_member_report_opens_and_says_name_grade_and_hours(self, session: Session, comm: Any) -> None:
        unit = vf.make_unit(session, comm)
        who, r = vf.party(session, comm, unit=unit, name="孙立新")
        desk = vf.staff(session, comm)
        service.decide_log(session, desk, vf.make_log(session, who, hours=4), confirm=True)
        year = service.today().year
        service.evaluate(session, desk, r, year=year, grade="优秀", comment="带头服务")
        text = _text(report.build(service.member_report(session, desk, r, year)))
        assert "孙立新" in text
        assert "优秀" in text
        assert "带头服务" in text
        assert unit.name in text
        assert "服务时长（小时）\n4" in text
        assert "（盖章）" in text

    def test_unit_handler_gets_all_members_of_the_unit(self, session: Session, comm: Any) -> None:
        unit = vf.make_unit(session, comm)
        desk = vf.staff(session, comm)
        year = service.today().year
        names = ["周一", "吴二"]
        for name in names:
            _w, r = vf.party(session, comm, unit=unit, name=name)
            service.evaluate(session, desk, r, year=year, grade="合格")
        _other, stranger = vf.party(session, comm, name="郑三")
        service.evaluate(session, desk, stranger, year=year, grade="合格")
        handler = vf.account(session, "department_handler", comm, unit_id=unit.id)
        _unit, letters = service.unit_report(session, handler, unit.id, year)
        assert sorted(d["name"] for d in letters) == sorted(names)
        text = _text(report.build(letters))
        assert all(n in text for n in names)
        assert "郑三" not in text
        # another unit's handler sees neither the unit's letters nor a member's
        other = vf.account(session, "department_handler", comm, unit_id=vf.make_unit(session, comm).id)
        with pytest.raises(Forbidden):
            service.unit_report(session, other, unit.id, year)
        with pytest.raises(NotFound):
            service.member_report(session, other, stranger, year)

    def test_no_evaluation_no_letter(self, session: Session, comm: Any) -> None:
        _w, r = vf.party(session, comm)
        with pytest.raises(NotFound):
            service.member_report(session, vf.staff(session, comm), r, 2025)


class TestVolunteers:
    def test_profile_roles(self, session: Session, comm: Any) -> None:
        v = vf.account(session, "volunteer", comm, name="陈巡")
        vol = service.save_profile(session, v, name="陈巡", roles=["patrol", "publicity"], skills="摄影")
        assert vol.role_keys == ["patrol", "publicity"]
        assert vol.scope_path == comm.path
        with pytest.raises(ValidationFailed):
            service.save_profile(session, v, name="陈巡", roles=[])
        with pytest.raises(ValidationFailed):
            service.save_profile(session, v, name="陈巡", roles=["boss"])

    def test_resident_profile_and_team(self, session: Session, comm: Any) -> None:
        desk = vf.staff(session, comm)
        resident = f.make_resident(session, grid=vf.grid_of(session, comm), name="黄居民")
        vol = service.add_resident_volunteer(session, desk, comm, resident_id=resident.id, roles=["guard"])
        team = service.create_team(session, desk, comm, name="啄木鸟巡查队")
        service.set_team(session, desk, vol, team.id, leader=True)
        assert vol.team_id == team.id
        assert vol.is_leader
        with pytest.raises(Conflict):
            service.create_team(session, desk, comm, name="啄木鸟巡查队")

    def test_report_becomes_a_volunteer_appeal_counted_per_volunteer_and_team(self, session: Session,
                                                                             comm: Any) -> None:
        v = vf.account(session, "volunteer", comm, name="何啄木")
        vol = vf.make_volunteer(session, v)
        desk = vf.staff(session, comm)
        team = service.create_team(session, desk, comm, name="巡查一队")
        service.set_team(session, desk, vol, team.id)
        grid = vf.grid_of(session, comm)
        result = service.file_report(session, v, AppealCreate(title="路灯不亮", channel="h5", region_code=grid.code))
        appeal = session.get(Appeal, result.appeal.id)
        assert appeal is not None
        assert appeal.channel == "volunteer"
        assert appeal.reporter_id == v.user_id
        assert appeal.reporter_name == "何啄木"
        from gongzhi.volunteers import repository as repo

        assert repo.report_counts(session, [v.user_id]) == {v.user_id: 1}
        assert service.team_report_counts(session, [team]) == {team.id: 1}

    def test_residents_do_not_file_woodpecker_reports(self, session: Session, principal: Any,
                                                      city: dict[str, Any]) -> None:
        with pytest.raises(Forbidden):
            service.file_report(session, principal("resident"), AppealCreate(title="路灯不亮",
                                                                             region_code=city["scopes"]["grid"]))
