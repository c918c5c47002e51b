"""The assessment rules (docs/assessment.md) against a real database: period keys, linear scores between the
thresholds, vetoes, weights, the computed metrics against independently counted rows, ranking with ties, the red
and yellow lists, the change since the previous period, publishing, scope and manual score validation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongzhi.appeals.models import Appeal
from gongzhi.assessment import metrics, service
from gongzhi.assessment.models import Indicator, IndicatorSet, Period, Score
from gongzhi.cobuild.models import Need, Wish
from gongzhi.core.errors import AppError, Forbidden, NotFound, ValidationFailed
from gongzhi.people.models import GridStaff, PartyMember
from gongzhi.regions.models import Region
from gongzhi.volunteers.models import Reporting, ServiceLog
from tests import factories as f
from tests.assessment import factories as af
from tests.cobuild import factories as cf

OCT = "2026-10"
SEP = "2026-09"


def _city(session: Session, city: dict[str, Any]) -> Region:
    return f.region(session, city["scopes"]["city"])


def _indicator(**kw: Any) -> Indicator:
    base: dict[str, Any] = {"code": "X", "name": "x", "method": "computed", "max_score": 10.0,
                            "metric": "service_hours", "full_at": 0.9, "zero_at": 0.5, "if_no_data": "zero",
                            "deduction": None}
    return Indicator(**{**base, **kw})


class TestPeriods:
    def test_bounds_of_each_kind(self) -> None:
        assert service.period_bounds("month", "2026-10") == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        assert service.period_bounds("month", "2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
        assert service.period_bounds("quarter", "2026-Q3") == (dt.date(2026, 7, 1), dt.date(2026, 10, 1))
        assert service.period_bounds("quarter", "2026-Q4") == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
        assert service.period_bounds("year", "2026") == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))

    def test_previous_period_crosses_the_year(self) -> None:
        assert service.previous_period("month", "2026-01") == "2025-12"
        assert service.previous_period("quarter", "2026-Q1") == "2025-Q4"
        assert service.previous_period("year", "2026") == "2025"

    @pytest.mark.parametrize(("kind", "key"), [("month", "2026-13"), ("month", "2026-Q3"), ("quarter", "2026-10"),
                                               ("quarter", "2026-Q5"), ("year", "26"), ("month", "1999-01")])
    def test_bad_keys_are_refused(self, kind: str, key: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            service.period_bounds(kind, key)
        assert exc.value.code == "bad_period"

    def test_last_complete_periods(self) -> None:
        assert service.complete_periods("month", dt.date(2026, 11, 23), 2) == ["2026-09", "2026-10"]
        assert service.complete_periods("quarter", dt.date(2026, 1, 5), 1) == ["2025-Q4"]


class TestLinearScore:
    def test_full_and_zero_thresholds_and_linear_between(self) -> None:
        ind = _indicator()
        assert service.linear_score(ind, 0.95) == 10.0
        assert service.linear_score(ind, 0.9) == 10.0
        assert service.linear_score(ind, 0.5) == 0.0
        assert service.linear_score(ind, 0.2) == 0.0
        assert service.linear_score(ind, 0.7) == 5.0
        assert service.linear_score(ind, 0.6) == 2.5

    def test_lower_is_better_when_full_is_below_zero(self) -> None:
        ind = _indicator(full_at=24.0, zero_at=72.0)
        assert service.linear_score(ind, 12.0) == 10.0
        assert service.linear_score(ind, 48.0) == 5.0
        assert service.linear_score(ind, 100.0) == 0.0

    def test_no_data_scores_by_the_indicator_rule(self) -> None:
        assert service.linear_score(_indicator(if_no_data="zero"), None) == 0.0
        assert service.linear_score(_indicator(if_no_data="full"), None) == 10.0


VETO_SET = [
    {"cls": "基础指标", "code": "A01", "name": "基础工作", "method": "manual", "max_score": 100},
    {"cls": "底线指标", "code": "C01", "name": "越级上访", "method": "veto", "max_score": 0, "deduction": 5},
    {"cls": "底线指标", "code": "C02", "name": "重大安全事故", "method": "veto", "max_score": 0},
]


class TestVeto:
    def test_a_deduction_takes_points_and_a_zeroing_veto_zeroes_the_total(self, session: Session, city: Any,
                                                                            principal: Any) -> None:
        s = af.make_set(session, _city(session, city), indicators=VETO_SET, red=1, yellow=1)
        admin = principal("admin")
        comms = af.children(session, _city(session, city), "community")
        for i, c in enumerate(comms[:3]):
            service.enter_score(session, admin, s, OCT, c.code, "A01", {"score": 90 - i, "evidence": "台账"})
        service.enter_score(session, admin, s, OCT, comms[0].code, "C01", {"failed": True, "evidence": "越级上访1起"})
        service.enter_score(session, admin, s, OCT, comms[1].code, "C02", {"failed": True, "evidence": "火灾"})
        service.enter_score(session, admin, s, OCT, comms[2].code, "C02", {"failed": False})
        rows = {r.region.code: r for r in service.ranking(session, admin, s, OCT)["rows"]}
        assert rows[comms[0].code].total == 85.0
        assert rows[comms[0].code].deducted == 5.0
        assert rows[comms[1].code].total == 0.0
        assert rows[comms[1].code].vetoed
        assert rows[comms[2].code].total == 88.0
        assert rows[comms[2].code].rank == 1
        assert rows[comms[1].code].yellow  # vetoed: always on the yellow list
        assert rows[comms[1].code].rank == 3
        s.red_count = 3  # the vetoed one would be third: it stays off the red list
        rows = {r.region.code: r for r in service.ranking(session, admin, s, OCT)["rows"]}
        assert [r.red for r in (rows[comms[2].code], rows[comms[0].code], rows[comms[1].code])] == [True, True, False]
        assert rows[comms[1].code].yellow

    def test_a_failed_item_needs_evidence(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city), indicators=VETO_SET)
        comm = af.community(session, city)
        with pytest.raises(ValidationFailed) as exc:
            service.enter_score(session, principal("admin"), s, OCT, comm.code, "C02", {"failed": True})
        assert exc.value.details == [{"field": "evidence", "reason": "C02 情况说明（佐证）不能为空"}] or \
            exc.value.details[0]["field"] == "evidence"
        assert f.count(session, Score, Score.set_id == s.id) == 0


class TestSetsAndWeights:
    def _draft(self, session: Session, city: Any, principal: Any) -> IndicatorSet:
        admin = principal("admin")
        s = service.create_set(session, admin, {"name": "社区考核", "level": "community", "period_kind": "month",
                                                "region_code": city["scopes"]["city"]})
        cls = service.add_class(session, admin, s, {"name": "基础指标"})
        service.add_indicator(session, admin, s, {"class_id": cls.id, "code": "A01", "name": "组织建设",
                                                  "method": "manual", "max_score": 60})
        service.add_indicator(session, admin, s, {"class_id": cls.id, "code": "A02", "name": "满意率",
                                                  "method": "computed", "max_score": 30,
                                                  "metric": "appeal_satisfaction_rate", "full_at": 0.95,
                                                  "zero_at": 0.6})
        service.add_indicator(session, admin, s, {"class_id": cls.id, "code": "C01", "name": "安全事故",
                                                  "method": "veto"})
        return s

    def test_activation_needs_weights_adding_up_to_100(self, session: Session, city: Any, principal: Any) -> None:
        s = self._draft(session, city, principal)
        with pytest.raises(ValidationFailed) as exc:
            service.activate(session, principal("admin"), s)
        assert exc.value.code == "weights_not_100"
        assert exc.value.details == {"total": 90.0, "missing": 10.0}
        assert "还差 10 分" in exc.value.message
        assert s.status == "draft"
        cls = service.repo.classes(session, s)[0]
        service.add_indicator(session, principal("admin"), s, {"class_id": cls.id, "code": "A03", "name": "品牌",
                                                               "method": "manual", "max_score": 10})
        assert service.activate(session, principal("admin"), s).status == "active"

    def test_over_100_is_refused_too(self, session: Session, city: Any, principal: Any) -> None:
        s = self._draft(session, city, principal)
        cls = service.repo.classes(session, s)[0]
        service.add_indicator(session, principal("admin"), s, {"class_id": cls.id, "code": "A03", "name": "品牌",
                                                               "method": "manual", "max_score": 15})
        with pytest.raises(ValidationFailed, match="超出 5 分"):
            service.activate(session, principal("admin"), s)

    def test_an_active_set_is_not_edited(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        cls = service.repo.classes(session, s)[0]
        with pytest.raises(AppError) as exc:
            service.add_indicator(session, principal("admin"), s, {"class_id": cls.id, "code": "Z", "name": "z",
                                                                   "method": "manual", "max_score": 1})
        assert (exc.value.status, exc.value.code) == (409, "set_not_draft")

    def test_indicator_fields_are_checked_together(self, session: Session, city: Any, principal: Any) -> None:
        s = self._draft(session, city, principal)
        cls = service.repo.classes(session, s)[0]
        with pytest.raises(ValidationFailed) as exc:
            service.add_indicator(session, principal("admin"), s, {
                "class_id": cls.id, "code": "A01", "name": "", "method": "computed", "max_score": 120,
                "metric": "nope", "full_at": 0.5, "zero_at": 0.5})
        fields = {d["field"] for d in exc.value.details}
        assert fields == {"code", "name", "max_score", "metric", "zero_at"}

    def test_only_admins_define_sets(self, principal: Any) -> None:
        with pytest.raises(Forbidden):
            service.create_set(None, principal("leader"), {"name": "x"})  # type: ignore[arg-type]

    def test_the_region_must_lie_above_the_level(self, session: Session, city: Any, principal: Any) -> None:
        with pytest.raises(ValidationFailed) as exc:
            service.create_set(session, principal("admin"), {"name": "x", "level": "community",
                                                             "region_code": city["scopes"]["community"]})
        assert exc.value.details[0]["field"] == "region_code"


class TestMetrics:
    def test_grid_staff_coverage_counts_grids_with_staff(self, session: Session, city: Any) -> None:
        comm = af.community(session, city)
        grids = af.children(session, comm, "grid")
        for gs in session.scalars(select(GridStaff).where(GridStaff.region_id == grids[0].id)):
            session.delete(gs)
        session.commit()
        f.make_grid_staff(session, node=grids[1])
        staff_on = {g for (g,) in session.execute(select(GridStaff.region_id))}
        expected = sum(1 for g in grids if g.id in staff_on) / len(grids)
        value = metrics.METRICS["grid_staff_coverage"].fn(session, comm, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        assert value == pytest.approx(expected)
        assert value < 1.0

    def test_party_reporting_rate(self, session: Session, city: Any) -> None:
        comm = af.community(session, city)
        grid = af.children(session, comm, "grid")[0]
        members = [f.make_party_member(session, node=grid, kind="in_service") for _ in range(3)]
        f.make_party_member(session, node=comm, kind="registered")
        october = dt.datetime(2026, 10, 10, 2, tzinfo=dt.UTC)
        for m, status, at in ((members[0], "confirmed", october), (members[1], "confirmed",
                              dt.datetime(2026, 11, 5, tzinfo=dt.UTC)), (members[2], "pending", None)):
            session.add(Reporting(member_id=m.id, status=status, decided_at=at, region_id=comm.id,
                                  scope_path=comm.path))
        session.commit()
        registered = sum(1 for m in session.scalars(select(PartyMember)) if m.scope_path.startswith(comm.path)
                         and m.kind == "registered")
        confirmed = sum(1 for r in session.scalars(select(Reporting)) if r.scope_path.startswith(comm.path)
                        and r.status == "confirmed" and r.decided_at is not None and r.decided_at < october.replace(
                            month=10, day=31, hour=16))
        value = metrics.METRICS["party_reporting_rate"].fn(session, comm, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        assert confirmed >= 1
        assert value == pytest.approx(confirmed / registered)

    def test_needs_matched_rate_counts_needs_raised_in_the_period(self, session: Session, city: Any) -> None:
        comm = af.community(session, city)
        grid = af.children(session, comm, "grid")[0]
        inside = dt.datetime(2026, 10, 15, 4, tzinfo=dt.UTC)
        for status, at in (("done", inside), ("in_project", inside), ("open", inside), ("claimed", inside),
                           ("done", dt.datetime(2026, 9, 30, 15, tzinfo=dt.UTC))):  # 9-30 23:00 Beijing: September
            need = cf.make_need(session, grid, status=status)
            need.created_at = at
        session.commit()
        value = metrics.METRICS["needs_matched_rate"].fn(session, comm, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        rows = [n for n in session.scalars(select(Need)) if n.scope_path.startswith(comm.path)
                and dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC) <= n.created_at < dt.datetime(2026, 10, 31, 16,
                                                                                              tzinfo=dt.UTC)]
        assert len(rows) == 4
        assert value == pytest.approx(sum(n.status in ("in_project", "done") for n in rows) / len(rows))
        assert value == pytest.approx(0.5)

    def test_wishes_fulfilled_rate_leaves_out_unapproved_ones(self, session: Session, city: Any) -> None:
        comm = af.community(session, city)
        grid = af.children(session, comm, "grid")[0]
        poster = cf.user_id(session, "resident")
        for status in ("fulfilled", "thanked", "open", "claimed", "pending", "hidden"):
            wish = cf.make_wish(session, grid, poster=poster, status=status)
            wish.created_at = dt.datetime(2026, 10, 3, tzinfo=dt.UTC)
        session.commit()
        value = metrics.METRICS["wishes_fulfilled_rate"].fn(session, comm, dt.date(2026, 10, 1),
                                                            dt.date(2026, 11, 1))
        assert value == pytest.approx(2 / 4)
        assert metrics.METRICS["wishes_fulfilled_rate"].fn(session, comm, dt.date(2026, 8, 1),
                                                           dt.date(2026, 9, 1)) is None
        assert f.count(session, Wish, Wish.scope_path.startswith(comm.path)) >= 6

    def test_service_hours_sum_confirmed_logs_of_the_period(self, session: Session, city: Any) -> None:
        from gongzhi.volunteers.models import Volunteer

        comm = af.community(session, city)
        resident = f.make_resident(session, grid=af.children(session, comm, "grid")[0])
        vol = Volunteer(name="志愿者甲", resident_id=resident.id, region_id=comm.id, scope_path=comm.path)
        session.add(vol)
        session.flush()
        for day, hours, status in ((dt.date(2026, 10, 1), 2.5, "confirmed"), (dt.date(2026, 10, 31), 3.0,
                                   "confirmed"), (dt.date(2026, 11, 1), 4.0, "confirmed"),
                                   (dt.date(2026, 10, 9), 8.0, "pending")):
            session.add(ServiceLog(volunteer_id=vol.id, served_on=day, hours=hours, what="巡查", status=status,
                                   region_id=comm.id, scope_path=comm.path))
        session.commit()
        expected = sum(r.hours for r in session.scalars(select(ServiceLog)) if r.scope_path.startswith(comm.path)
                       and r.status == "confirmed" and dt.date(2026, 10, 1) <= r.served_on < dt.date(2026, 11, 1))
        value = metrics.METRICS["service_hours"].fn(session, comm, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        assert value == pytest.approx(expected)
        assert value == pytest.approx(5.5)


class TestAppealMetrics:
    """Appeal figures come from the dashboard's roll-ups, refreshed after the appeals are filed."""

    def test_satisfaction_rate_of_the_period(self, session: Session, city: Any, principal: Any) -> None:
        from gongzhi.dashboard.rollup import refresh

        comm = af.community(session, city)
        grid = af.children(session, comm, "grid")[0]
        october = dt.datetime(2026, 10, 12, 2, tzinfo=dt.UTC)
        for rating, at in ((5, october), (5, october), (5, october), (1, october), (None, october),
                           (1, dt.datetime(2026, 9, 12, tzinfo=dt.UTC))):  # September: not in October's figures
            appeal = f.make_appeal(session, grid, status="closed" if rating else "received", rating=rating)
            appeal.created_at = at
        session.commit()
        refresh(session)
        rated = [a for a in session.scalars(select(Appeal)) if a.scope_path.startswith(comm.path)
                 and dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC) <= a.created_at < dt.datetime(2026, 10, 31, 16,
                                                                                                tzinfo=dt.UTC)
                 and a.rating]
        expected = sum(1 for a in rated if a.rating == 5) / len(rated)
        value = metrics.METRICS["appeal_satisfaction_rate"].fn(session, comm, dt.date(2026, 10, 1),
                                                               dt.date(2026, 11, 1))
        assert value == pytest.approx(expected)
        assert value == pytest.approx(0.75)
        s = af.make_set(session, _city(session, city), indicators=[
            {"cls": "基础指标", "code": "A01", "name": "群众满意率", "method": "computed", "max_score": 100,
             "metric": "appeal_satisfaction_rate", "full_at": 0.95, "zero_at": 0.55, "if_no_data": "full"}])
        service.compute_period(session, principal("admin"), s, OCT)
        scores = {x.region_id: x for x in session.scalars(select(Score).where(Score.set_id == s.id))}
        assert scores[comm.id].value == pytest.approx(0.75)
        assert scores[comm.id].score == 50.0  # (0.75 - 0.55) / (0.95 - 0.55) of 100
        other = af.community(session, city, "outside")
        assert scores[other.id].value is None  # no appeal there: no data, full marks by the indicator's rule
        assert scores[other.id].score == 100.0


class TestCompute:
    def test_compute_writes_one_score_per_region_and_is_idempotent(self, session: Session, city: Any,
                                                                   principal: Any) -> None:
        region = _city(session, city)
        s = af.make_set(session, region)
        admin = principal("admin")
        service.compute_period(session, admin, s, OCT)
        service.compute_period(session, admin, s, OCT)
        comms = af.children(session, region, "community")
        scores = session.scalars(select(Score).where(Score.set_id == s.id)).all()
        assert len(scores) == len(comms)
        a01 = af.indicator(session, s, "A01")
        for c in comms:
            row = next(x for x in scores if x.region_id == c.id)
            value = metrics.grid_staff_coverage(session, c, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
            assert row.value == pytest.approx(value, abs=1e-4)
            assert row.score == service.linear_score(a01, value)
        period = session.scalars(select(Period).where(Period.set_id == s.id)).one()
        assert period.status == "open"
        assert period.computed_at is not None

    def test_a_future_period_is_refused(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        with pytest.raises(ValidationFailed) as exc:
            service.compute_period(session, principal("admin"), s, "2031-01")
        assert exc.value.code == "future_period"

    def test_a_draft_set_is_not_computed(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city), status="draft")
        with pytest.raises(AppError) as exc:
            service.compute_period(session, principal("admin"), s, OCT)
        assert exc.value.code == "set_not_active"

    def test_street_staff_do_not_compute_a_city_set(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        with pytest.raises(Forbidden) as exc:
            service.compute_period(session, principal("street"), s, OCT)
        assert exc.value.code == "out_of_set_scope"


MANUAL = [{"cls": "基础指标", "code": "A01", "name": "综合", "method": "manual", "max_score": 100}]


def _scored(session: Session, city: Any, totals: list[float], period: str = OCT, *, red: int = 1,
            yellow: int = 1, s: IndicatorSet | None = None) -> tuple[IndicatorSet, list[Region]]:
    region = _city(session, city)
    s = s or af.make_set(session, region, indicators=MANUAL, red=red, yellow=yellow)
    comms = af.children(session, region, "community")
    for c, total in zip(comms, totals, strict=False):
        af.put_score(session, s, period, c, "A01", total)
    return s, comms


class TestRanking:
    def test_order_and_shared_ranks(self, session: Session, city: Any, principal: Any) -> None:
        s, comms = _scored(session, city, [70, 90, 80, 90, 60, 80])
        rows = service.ranking(session, principal("admin"), s, OCT)["rows"]
        assert [(r.region.code, r.rank, r.total) for r in rows] == [
            (comms[1].code, 1, 90), (comms[3].code, 1, 90), (comms[2].code, 3, 80), (comms[5].code, 3, 80),
            (comms[0].code, 5, 70), (comms[4].code, 6, 60)]

    def test_red_and_yellow_lists_take_ties_on_the_boundary(self, session: Session, city: Any,
                                                           principal: Any) -> None:
        s, comms = _scored(session, city, [70, 90, 80, 90, 60, 60], red=1, yellow=1)
        view = service.ranking(session, principal("admin"), s, OCT)
        assert {r.region.code for r in view["rows"] if r.red} == {comms[1].code, comms[3].code}
        assert {r.region.code for r in view["rows"] if r.yellow} == {comms[4].code, comms[5].code}
        assert not any(r.red and r.yellow for r in view["rows"])

    def test_list_sizes_follow_the_set(self, session: Session, city: Any, principal: Any) -> None:
        s, _ = _scored(session, city, [10, 20, 30, 40, 50, 60], red=3, yellow=2)
        rows = service.ranking(session, principal("admin"), s, OCT)["rows"]
        assert [r.total for r in rows if r.red] == [60, 50, 40]
        assert [r.total for r in rows if r.yellow] == [20, 10]

    def test_change_against_the_previous_period(self, session: Session, city: Any, principal: Any) -> None:
        s, comms = _scored(session, city, [70, 90, 80], period=SEP)
        _scored(session, city, [95, 85, 80, 75], period=OCT, s=s)
        rows = {r.region.code: r for r in service.ranking(session, principal("admin"), s, OCT)["rows"]}
        first = rows[comms[0].code]
        assert (first.rank, first.prev_rank, first.rank_delta, first.score_delta) == (1, 3, 2, 25.0)
        second = rows[comms[1].code]
        assert (second.rank, second.prev_rank, second.rank_delta, second.score_delta) == (2, 1, -1, -5.0)
        assert (rows[comms[2].code].rank_delta, rows[comms[2].code].score_delta) == (-1, 0.0)
        assert rows[comms[3].code].is_new
        assert rows[comms[3].code].rank_delta is None
        assert rows[comms[4].code].rank is None  # not scored: unranked
        assert not rows[comms[4].code].is_new

    def test_scope_limits_rows_not_ranks(self, session: Session, city: Any, principal: Any) -> None:
        s, comms = _scored(session, city, [10, 20, 30, 40, 50, 60])
        street = principal("street")
        rows = service.ranking(session, street, s, OCT)["rows"]
        assert rows
        assert all(street.covers(r.region.path) for r in rows)
        assert len(rows) < len(comms)
        mine = service.ranking(session, principal("community"), s, OCT)
        assert [r.region.code for r in mine["rows"]] == [city["scopes"]["community"]]
        assert mine["ranked"] == 6
        whole = {r.region.code: r.rank for r in service.ranking(session, principal("admin"), s, OCT)["rows"]}
        assert mine["rows"][0].rank == whole[city["scopes"]["community"]]


class TestScorecardScope:
    def test_community_staff_read_their_own_scorecard_only(self, session: Session, city: Any,
                                                          principal: Any) -> None:
        s, _ = _scored(session, city, [10, 20, 30, 40, 50, 60])
        me = principal("community")
        card = service.scorecard(session, me, s, OCT, city["scopes"]["community"])
        assert card["row"].rank is not None
        assert [line["code"] for line in card["lines"]] == ["A01"]
        with pytest.raises(NotFound):
            service.scorecard(session, me, s, OCT, city["other_community"])

    def test_a_set_outside_the_scope_is_not_found(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, af.street(session, city, "outside"))
        with pytest.raises(NotFound):
            service.get_set(session, principal("street"), s.id)
        with pytest.raises(NotFound):
            service.get_set(session, principal("community"), s.id)
        assert service.get_set(session, principal("leader"), s.id).id == s.id

    def test_a_city_set_is_visible_below_it(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        assert service.get_set(session, principal("community"), s.id).id == s.id
        with pytest.raises(Forbidden):
            service.get_set(session, principal("grid"), s.id)


class TestManualScores:
    def test_bad_input_is_refused_and_nothing_changes(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        comm = city["scopes"]["community"]
        for raw in ({"score": 41, "evidence": "x"}, {"score": -1, "evidence": "x"}, {"score": "abc", "evidence": "x"},
                    {"score": 30, "evidence": "  "}, {}):
            with pytest.raises(ValidationFailed) as exc:
                service.enter_score(session, principal("street"), s, OCT, comm, "B01", raw)
            assert exc.value.status == 422
        assert f.count(session, Score, Score.set_id == s.id) == 0
        assert f.count(session, Period, Period.set_id == s.id) == 0

    def test_a_score_is_stored_and_replaced(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        comm = city["scopes"]["community"]
        service.enter_score(session, principal("street"), s, OCT, comm, "B01", {"score": 30, "evidence": "创建品牌"})
        row = service.enter_score(session, principal("street"), s, OCT, comm, "B01",
                                  {"score": "35.5", "evidence": "复核"})
        assert (row.value, row.score, row.evidence, row.assessor_name) == (35.5, 35.5, "复核", "街道干部")
        assert f.count(session, Score, Score.set_id == s.id) == 1

    def test_computed_indicators_are_not_typed(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        with pytest.raises(AppError) as exc:
            service.enter_score(session, principal("admin"), s, OCT, city["scopes"]["community"], "A01",
                                {"score": 1, "evidence": "x"})
        assert (exc.value.status, exc.value.code) == (409, "computed_indicator")

    def test_a_region_outside_the_scope_is_not_found(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        with pytest.raises(NotFound):
            service.enter_score(session, principal("street"), s, OCT, city["other_community"], "B01",
                                {"score": 1, "evidence": "x"})
        with pytest.raises(NotFound):  # a grid is not what this set ranks
            service.enter_score(session, principal("admin"), s, OCT, city["scopes"]["grid"], "B01",
                                {"score": 1, "evidence": "x"})


class TestPublish:
    def test_publishing_freezes_the_period(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        admin = principal("admin")
        comm = city["scopes"]["community"]
        service.compute_period(session, admin, s, OCT)
        service.enter_score(session, admin, s, OCT, comm, "B01", {"score": 20, "evidence": "x"})
        period = service.publish_period(session, admin, s, OCT)
        assert period.status == "published"
        before = [(x.id, x.score) for x in session.scalars(select(Score).where(Score.set_id == s.id))]
        for act in (lambda: service.compute_period(session, admin, s, OCT),
                    lambda: service.enter_score(session, admin, s, OCT, comm, "B01", {"score": 1, "evidence": "x"}),
                    lambda: service.enter_score(session, admin, s, OCT, comm, "B01", {"score": 99}),
                    lambda: service.publish_period(session, admin, s, OCT)):
            with pytest.raises(AppError) as exc:
                act()
            assert (exc.value.status, exc.value.code) == (409, "period_published")
        after = [(x.id, x.score) for x in session.scalars(select(Score).where(Score.set_id == s.id))]
        assert after == before
        assert service.ranking(session, principal("community"), s, OCT)["status"] == "published"

    def test_nothing_to_publish(self, session: Session, city: Any, principal: Any) -> None:
        s = af.make_set(session, _city(session, city))
        with pytest.raises(AppError) as exc:
            service.publish_period(session, principal("admin"), s, OCT)
        assert exc.value.code == "nothing_to_publish"


class TestDemo:
    def test_yantai_set_two_months_and_idempotent(self, session: Session, city: Any, principal: Any) -> None:
        from gongzhi.assessment import demo

        first = demo.load_demo(session, seed=7)
        s = first["set"]
        inds = service.repo.indicators(session, s)
        assert len(inds) == 40
        assert [c.name for c in service.repo.classes(session, s)] == ["基础指标", "品牌指标", "底线指标"]
        assert service.weight_total(inds) == 100.0
        assert sum(1 for i in inds if i.method == "veto") == 5
        assert {i.metric for i in inds if i.method == "computed"} == set(metrics.METRICS)
        earlier, later = first["periods"]
        assert [service.repo.get_period(session, s, p).status for p in (earlier, later)] == ["published", "open"]
        communities = len(af.children(session, _city(session, city), "community"))
        assert service.repo.score_count(session, s, earlier) == 40 * communities
        assert service.repo.score_count(session, s, later) == 40 * communities
        count = f.count(session, Score, Score.set_id == s.id)
        again = demo.load_demo(session, seed=7)
        assert (again["created"], again["scores"]) == (False, 0)
        assert f.count(session, Score, Score.set_id == s.id) == count
        assert f.count(session, IndicatorSet, IndicatorSet.name == demo.SET_NAME) == 1
        view = service.ranking(session, principal("leader"), s, later)
        assert view["ranked"] == communities
        assert all(r.prev_rank is not None and r.rank_delta is not None for r in view["rows"])
        assert any(r.red for r in view["rows"])
        assert any(r.yellow for r in view["rows"])
