"""The working-day calendar: working days over the official 2024–2026 schedules (make-up Sundays and Saturdays,
Spring Festival and National Day weeks), N-working-day deadlines, hour limits across lunch, evenings and
weekends, the warning time, pausing the clock, the Monday–Friday fallback for a year without a schedule, admin
edits and imports (all or nothing), the cache, and the API and page with their access rules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gongzhi.core import calendar as cal_mod
from gongzhi.core.audit import AuditEvent
from gongzhi.core.calendar import CalendarDay, CalendarYear, WorkCalendar, get_calendar
from gongzhi.core.errors import AppError, NotFound, ValidationFailed
from tests import factories as f
from tests.web import HTML, csrf_of, sign_in

SH = ZoneInfo("Asia/Shanghai")
OFFICIAL = WorkCalendar.official()
WARNING_2027 = "2027 年的法定节假日安排尚未录入，按周一至周五计算工作日"


def bj(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


def local(t: dt.datetime) -> tuple[int, int, int, int, int]:
    t = t.astimezone(SH)
    return t.year, t.month, t.day, t.hour, t.minute


# ---- working days --------------------------------------------------------------------------------------------

class TestIsWorkday:
    @pytest.mark.parametrize(("day", "work"), [
        (dt.date(2024, 2, 4), True),  # Sunday, make-up for the Spring Festival
        (dt.date(2024, 2, 18), True),  # Sunday, make-up
        (dt.date(2024, 2, 12), False),  # Monday in the Spring Festival
        (dt.date(2024, 9, 29), True),  # Sunday, make-up for National Day
        (dt.date(2024, 10, 7), False),  # Monday, National Day
        (dt.date(2025, 1, 26), True),  # Sunday, make-up
        (dt.date(2025, 2, 8), True),  # Saturday, make-up
        (dt.date(2025, 1, 28), False),  # Tuesday, Spring Festival eve
        (dt.date(2025, 10, 8), False),  # Wednesday, National Day + Mid-autumn
        (dt.date(2025, 10, 11), True),  # Saturday, make-up
        (dt.date(2026, 2, 14), True),  # Saturday, make-up
        (dt.date(2026, 9, 20), True),  # Sunday, make-up
        (dt.date(2026, 10, 10), True),  # Saturday, make-up
        (dt.date(2026, 3, 14), False),  # an ordinary Saturday
        (dt.date(2026, 3, 9), True),  # an ordinary Monday
    ])
    def test_official_days(self, day: dt.date, work: bool) -> None:
        assert OFFICIAL.is_workday(day) is work

    def test_every_day_2024_to_2026_agrees_with_chinese_calendar(self) -> None:
        day = dt.date(2024, 1, 1)
        while day.year <= 2026:
            assert OFFICIAL.is_workday(day) == chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)

    def test_a_datetime_counts_by_its_beijing_date(self) -> None:
        # Saturday 3 Feb 2024, 20:00 UTC, is Sunday 04:00 in Beijing: the make-up Sunday
        assert OFFICIAL.is_workday(dt.datetime(2024, 2, 3, 20, tzinfo=dt.UTC)) is True
        assert OFFICIAL.is_workday(dt.datetime(2024, 2, 3, 12, tzinfo=dt.UTC)) is False

    def test_names(self) -> None:
        assert OFFICIAL.day(dt.date(2026, 10, 1)).name == "国庆节"  # type: ignore[union-attr]
        assert OFFICIAL.day(dt.date(2025, 1, 26)).name == "调休上班"  # type: ignore[union-attr]
        assert OFFICIAL.day(dt.date(2026, 3, 9)) is None

    def test_workdays_in_a_year(self) -> None:
        for year in (2024, 2025, 2026):
            expected = len(chinese_calendar.get_workdays(dt.date(year, 1, 1), dt.date(year, 12, 31)))
            assert OFFICIAL.workdays_in_year(year) == expected


class TestAddWorkingDays:
    @pytest.mark.parametrize(("start", "days", "due"), [
        # Spring Festival 2024 (10–17 Feb off; Sunday 4 Feb and Sunday 18 Feb worked)
        (bj(2024, 2, 2, 10), 1, (2024, 2, 4)),  # Friday → the make-up Sunday
        (bj(2024, 2, 9, 10), 1, (2024, 2, 18)),  # Friday before the holiday → the make-up Sunday after it
        (bj(2024, 2, 9, 10), 2, (2024, 2, 19)),
        # Spring Festival 2025 (28 Jan–4 Feb off; Sunday 26 Jan and Saturday 8 Feb worked)
        (bj(2025, 1, 24, 10), 1, (2025, 1, 26)),
        (bj(2025, 1, 24, 10), 3, (2025, 2, 5)),
        (bj(2025, 2, 7, 10), 1, (2025, 2, 8)),  # Friday → the make-up Saturday
        # National Day 2024 (1–7 Oct off; Sunday 29 Sep and Saturday 12 Oct worked)
        (bj(2024, 9, 27, 16), 1, (2024, 9, 29)),
        (bj(2024, 9, 27, 16), 3, (2024, 10, 8)),
        (bj(2024, 10, 11, 9), 1, (2024, 10, 12)),
        # National Day + Mid-autumn 2025 (1–8 Oct off; Sunday 28 Sep and Saturday 11 Oct worked)
        (bj(2025, 9, 30, 15), 1, (2025, 10, 9)),  # the last day before the holiday
        (bj(2025, 9, 30, 15), 3, (2025, 10, 11)),  # ... the third is the make-up Saturday
        # Spring Festival 2026 (15–23 Feb off; Saturdays 14 Feb and 28 Feb worked)
        (bj(2026, 2, 13, 16), 1, (2026, 2, 14)),  # Friday before the holiday → the make-up Saturday
        (bj(2026, 2, 13, 16), 2, (2026, 2, 24)),
        # National Day 2026 (1–7 Oct off; Sunday 20 Sep and Saturday 10 Oct worked)
        (bj(2026, 9, 30, 11), 1, (2026, 10, 8)),
        (bj(2026, 9, 30, 11), 3, (2026, 10, 10)),
        # ordinary weeks
        (bj(2026, 3, 9, 10), 1, (2026, 3, 10)),  # the start day does not count
        (bj(2026, 3, 9, 22), 1, (2026, 3, 10)),  # nor does a late start on it
        (bj(2026, 3, 7, 10), 1, (2026, 3, 9)),  # Saturday → Monday
        (bj(2026, 3, 13, 16), 5, (2026, 3, 20)),
        (bj(2026, 3, 9, 10), 30, (2026, 4, 21)),  # Qingming (4–6 Apr) on the way
    ])
    def test_due_at_the_end_of_the_nth_working_day(self, start: dt.datetime, days: int,
                                                   due: tuple[int, int, int]) -> None:
        result = OFFICIAL.add_working_days(start, days)
        assert result.tzinfo == dt.UTC
        assert local(result) == (*due, 17, 30)

    def test_the_start_is_read_in_beijing_time(self) -> None:
        # 17:00 UTC on Monday 9 March is 01:00 on Tuesday in Beijing: Tuesday is the start day
        assert local(OFFICIAL.add_working_days(dt.datetime(2026, 3, 9, 17, tzinfo=dt.UTC), 1)) == \
            (2026, 3, 11, 17, 30)

    def test_zero_days_is_the_end_of_the_same_working_day(self) -> None:
        assert local(OFFICIAL.add_working_days(bj(2026, 3, 9, 10), 0)) == (2026, 3, 9, 17, 30)
        assert local(OFFICIAL.add_working_days(bj(2026, 3, 9, 18), 0)) == (2026, 3, 10, 17, 30)
        assert local(OFFICIAL.add_working_days(bj(2026, 10, 3, 10), 0)) == (2026, 10, 8, 17, 30)

    def test_matches_counting_day_by_day(self) -> None:
        start = dt.date(2023, 12, 1)
        for offset in range(0, 800, 7):
            day = start + dt.timedelta(days=offset)
            for n in (1, 2, 5, 10, 15, 30):
                x, counted = day, 0
                while counted < n:
                    x += dt.timedelta(days=1)
                    counted += chinese_calendar.is_workday(x) if x.year <= 2026 else x.weekday() < 5
                assert OFFICIAL.next_workday(day, n) == x
                assert OFFICIAL.add_working_days(bj(day.year, day.month, day.day), n).astimezone(SH).date() == x

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            OFFICIAL.add_working_days(dt.datetime(2026, 3, 9, 10), 1)


class TestUnknownYears:
    def test_a_deadline_into_2027_counts_monday_to_friday_and_warns(self) -> None:
        start = bj(2026, 12, 28, 10)  # Monday
        due = OFFICIAL.add_working_days(start, 10)
        # 29, 30, 31 Dec, then 1 Jan 2027 (a Friday: counted, the schedule being unknown), 4–8 Jan, 11 Jan
        assert local(due) == (2027, 1, 11, 17, 30)
        warning = OFFICIAL.deadline_warning(start, due)
        assert warning is not None
        assert warning.startswith(WARNING_2027)

    def test_known_years_do_not_warn(self) -> None:
        assert OFFICIAL.deadline_warning(bj(2026, 3, 9), bj(2026, 12, 31)) is None
        assert OFFICIAL.missing_years(range(2024, 2029)) == [2027, 2028]
        assert OFFICIAL.is_known(2026)
        assert not OFFICIAL.is_known(2027)
        assert OFFICIAL.warning([2027, 2028]).startswith("2027、2028 年")  # type: ignore[union-attr]

    def test_far_future_and_past_never_fail(self) -> None:
        assert local(OFFICIAL.add_working_days(bj(2099, 12, 31, 10), 1)) == (2100, 1, 1, 17, 30)  # a Friday
        assert local(OFFICIAL.add_working_days(bj(1999, 12, 31, 10), 1)) == (2000, 1, 3, 17, 30)
        assert OFFICIAL.working_seconds_between(bj(2030, 1, 7, 8, 30), bj(2030, 1, 7, 17, 30)) == 27000

    def test_an_empty_calendar_is_monday_to_friday(self) -> None:
        empty = WorkCalendar()
        assert local(empty.add_working_days(bj(2026, 9, 30, 10), 1)) == (2026, 10, 1, 17, 30)
        assert empty.missing_years([2026]) == [2026]


class TestWorkingHours:
    @pytest.mark.parametrize(("start", "hours", "due"), [
        (bj(2026, 3, 9, 9, 0), 2, (2026, 3, 9, 11, 0)),
        (bj(2026, 3, 9, 11, 0), 2, (2026, 3, 9, 14, 30)),  # the lunch break does not count
        (bj(2026, 3, 9, 12, 30), 1, (2026, 3, 9, 14, 30)),  # a start in the lunch break waits for 13:30
        (bj(2026, 3, 9, 17, 0), 0.5, (2026, 3, 9, 17, 30)),  # runs out at closing time: due then, not at 08:30
        (bj(2026, 3, 9, 11, 0), 1, (2026, 3, 9, 12, 0)),  # ... likewise at noon
        (bj(2026, 3, 9, 20, 0), 1, (2026, 3, 10, 9, 30)),  # the evening does not count
        (bj(2026, 3, 10, 6, 0), 1, (2026, 3, 10, 9, 30)),  # nor the early morning
        (bj(2026, 3, 13, 16, 30), 2, (2026, 3, 16, 9, 30)),  # Friday → Monday
        (bj(2026, 3, 14, 10, 0), 2, (2026, 3, 16, 10, 30)),  # a start on Saturday
        (bj(2026, 9, 30, 16, 0), 8, (2026, 10, 8, 16, 30)),  # 1.5 h before National Day, 6.5 h after it
        (bj(2026, 2, 13, 17, 0), 1, (2026, 2, 14, 9, 0)),  # into the make-up Saturday
        (bj(2026, 3, 9, 8, 30), 7.5, (2026, 3, 9, 17, 30)),
        (bj(2026, 3, 9, 8, 30), 15, (2026, 3, 10, 17, 30)),
        (bj(2026, 3, 9, 9, 0), 7.5, (2026, 3, 10, 9, 0)),
    ])
    def test_add_working_hours(self, start: dt.datetime, hours: float, due: tuple[int, ...]) -> None:
        result = OFFICIAL.add_working_hours(start, hours)
        assert result.tzinfo == dt.UTC
        assert local(result) == due
        assert OFFICIAL.add_working_seconds(start, round(hours * 3600)) == result

    def test_zero_or_less_is_the_start(self) -> None:
        start = bj(2026, 3, 14, 10)
        assert OFFICIAL.add_working_hours(start, 0) == start
        assert OFFICIAL.add_working_seconds(start, -5) == start

    @pytest.mark.parametrize(("a", "b", "seconds"), [
        (bj(2026, 3, 9, 8, 30), bj(2026, 3, 9, 17, 30), 27000),
        (bj(2026, 3, 9, 12, 0), bj(2026, 3, 9, 13, 30), 0),
        (bj(2026, 3, 9, 11, 30), bj(2026, 3, 9, 14, 0), 3600),
        (bj(2026, 3, 13, 17, 0), bj(2026, 3, 16, 9, 0), 3600),
        (bj(2026, 9, 30, 17, 0), bj(2026, 10, 8, 9, 0), 3600),
        (bj(2026, 3, 9, 10, 0), bj(2026, 3, 9, 9, 0), 0),
        (bj(2026, 3, 9, 10, 0), bj(2026, 3, 9, 10, 0), 0),
    ])
    def test_working_seconds_between(self, a: dt.datetime, b: dt.datetime, seconds: int) -> None:
        assert OFFICIAL.working_seconds_between(a, b) == seconds

    def test_is_working_time(self) -> None:
        assert OFFICIAL.is_working_time(bj(2026, 3, 9, 9))
        assert not OFFICIAL.is_working_time(bj(2026, 3, 9, 12, 30))
        assert not OFFICIAL.is_working_time(bj(2026, 3, 9, 17, 30))
        assert not OFFICIAL.is_working_time(bj(2026, 10, 1, 9))
        assert OFFICIAL.is_working_time(bj(2026, 10, 10, 9))

    def test_working_hours_come_from_settings_format(self) -> None:
        longer = WorkCalendar(work_hours="09:00-12:00,14:00-18:00")
        assert longer.work_hours == "09:00-12:00,14:00-18:00"
        assert local(longer.add_working_days(bj(2026, 3, 9), 1)) == (2026, 3, 10, 18, 0)
        assert local(longer.add_working_hours(bj(2026, 3, 9, 11), 2)) == (2026, 3, 9, 15, 0)
        for bad in ("9-12", "12:00-09:00", "08:00-12:00,11:00-17:00", "25:00-26:00"):
            with pytest.raises(ValueError, match="working hours"):
                WorkCalendar(work_hours=bad)

    def test_fast(self) -> None:
        import time

        start = bj(2026, 3, 9, 10)
        t0 = time.perf_counter()
        for _ in range(2000):
            OFFICIAL.add_working_days(start, 30)
            OFFICIAL.add_working_hours(start, 40)
        per_call = (time.perf_counter() - t0) / 4000
        assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per call"


class TestWarnAt:
    def test_eighty_percent_of_the_working_time(self) -> None:
        start = bj(2026, 3, 9, 8, 30)
        due = OFFICIAL.add_working_days(start, 5)
        assert local(due) == (2026, 3, 16, 17, 30)  # 6 working days of 7.5 h = 45 h
        # 36 h = 4 days (Mon–Thu) + 6 h into Friday: 08:30–12:00, 13:30–16:00
        assert local(OFFICIAL.warn_at(start, due)) == (2026, 3, 13, 16, 0)
        assert local(OFFICIAL.warn_at(start, due, 0.5)) == (2026, 3, 11, 17, 30)

    def test_across_a_holiday(self) -> None:
        start = bj(2026, 9, 30, 8, 30)
        due = OFFICIAL.add_working_hours(start, 10)  # 7.5 h on 30 Sep, 2.5 h on 8 Oct
        assert local(due) == (2026, 10, 8, 11, 0)
        assert local(OFFICIAL.warn_at(start, due)) == (2026, 10, 8, 9, 0)  # 8 h

    def test_edges(self) -> None:
        start, due = bj(2026, 3, 9, 9), bj(2026, 3, 10, 9)
        assert OFFICIAL.warn_at(start, due, 0) == start
        assert OFFICIAL.warn_at(start, due, 1) == due
        assert OFFICIAL.warn_at(due, start) == start  # due before start: warn at the due
        saturday, sunday = bj(2026, 3, 14, 9), bj(2026, 3, 15, 9)
        assert OFFICIAL.warn_at(saturday, sunday) == sunday  # no working time between


class TestPauseAndResume:
    def test_the_remaining_working_time_runs_again_from_the_resume(self) -> None:
        due = OFFICIAL.add_working_days(bj(2026, 3, 9, 10), 3)
        assert local(due) == (2026, 3, 12, 17, 30)
        paused, resumed = bj(2026, 3, 10, 10), bj(2026, 3, 16, 10)
        remaining = OFFICIAL.working_seconds_between(paused, due)
        assert remaining == 21 * 3600  # Tuesday 6 h, Wednesday and Thursday 7.5 h
        new_due = OFFICIAL.resume_due(due, paused, resumed)
        assert local(new_due) == (2026, 3, 18, 17, 30)
        assert new_due == OFFICIAL.add_working_seconds(resumed, remaining)

    def test_a_pause_over_a_holiday(self) -> None:
        due = bj(2026, 9, 30, 17, 30)
        paused = bj(2026, 9, 30, 16, 30)  # 1 h left
        assert local(OFFICIAL.resume_due(due, paused, bj(2026, 10, 9, 9))) == (2026, 10, 9, 10, 0)

    def test_a_pause_outside_working_hours_keeps_whole_days(self) -> None:
        due = bj(2026, 3, 16, 17, 30)  # Monday
        paused = bj(2026, 3, 13, 19, 0)  # Friday evening: all of Monday left
        assert local(OFFICIAL.resume_due(due, paused, bj(2026, 3, 16, 8, 0))) == (2026, 3, 16, 17, 30)
        assert local(OFFICIAL.resume_due(due, paused, bj(2026, 3, 16, 12, 0))) == (2026, 3, 17, 12, 0)

    def test_already_overdue_when_paused_keeps_its_deadline(self) -> None:
        due = bj(2026, 3, 10, 17, 30)
        assert OFFICIAL.resume_due(due, bj(2026, 3, 11, 9), bj(2026, 3, 12, 9)) == due


# ---- properties ------------------------------------------------------------------------------------------------

instants = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2028, 12, 31),
                        timezones=st.sampled_from([SH, dt.UTC, ZoneInfo("America/New_York")]))
# ordered by the instant (aware datetimes sharing a zone compare by wall clock, wrong across a DST change)
utc_instants = instants.map(lambda t: t.astimezone(dt.UTC))
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestProperties:
    @PROPERTY
    @given(start=instants, seconds=st.integers(min_value=0, max_value=400 * 27000))
    def test_add_and_between_are_inverse(self, start: dt.datetime, seconds: int) -> None:
        due = OFFICIAL.add_working_seconds(start, seconds)
        assert due >= start
        assert OFFICIAL.working_seconds_between(start, due) == seconds

    @PROPERTY
    @given(a=utc_instants, b=utc_instants)
    def test_between_then_add_lands_on_the_same_working_instant(self, a: dt.datetime, b: dt.datetime) -> None:
        a, b = min(a, b), max(a, b)
        seconds = OFFICIAL.working_seconds_between(a, b)
        back = OFFICIAL.add_working_seconds(a.replace(microsecond=0), seconds)
        assert back <= b + dt.timedelta(seconds=1)
        assert OFFICIAL.working_seconds_between(back, b) <= 1

    @PROPERTY
    @given(a=utc_instants, b=utc_instants, c=utc_instants)
    def test_between_adds_up(self, a: dt.datetime, b: dt.datetime, c: dt.datetime) -> None:
        a, b, c = sorted((a, b, c))
        us = OFFICIAL._clock  # exact, before rounding to whole seconds
        assert us(c) - us(a) == (us(c) - us(b)) + (us(b) - us(a))
        assert OFFICIAL.working_seconds_between(a, c) >= OFFICIAL.working_seconds_between(a, b)

    @PROPERTY
    @given(start=instants, days=st.integers(min_value=0, max_value=300))
    def test_deadlines_are_never_before_the_start(self, start: dt.datetime, days: int) -> None:
        due = OFFICIAL.add_working_days(start, days)
        assert due >= start
        assert OFFICIAL.is_workday(due)
        assert local(due)[3:] == (17, 30)
        if days >= 1:
            assert OFFICIAL.workdays_between(start.astimezone(SH).date(), due.astimezone(SH).date()) == days
        assert OFFICIAL.warn_at(start, due) <= due
        assert OFFICIAL.warn_at(start, due) >= start


# ---- the database: seed, cache, admin edits, import ---------------------------------------------------------------

class TestSeeded:
    def test_the_suite_database_holds_the_official_schedule(self, session: Session) -> None:
        cal = get_calendar(session)
        assert set(range(2004, 2027)) <= cal.known_years
        assert not cal.is_known(2027)
        day = dt.date(2024, 1, 1)
        while day.year <= 2026:
            assert cal.is_workday(day) == OFFICIAL.is_workday(day), day
            day += dt.timedelta(days=1)

    def test_seed_is_idempotent_and_skips_unknown_years(self, session: Session) -> None:
        assert cal_mod.seed_official(session) == 0
        assert cal_mod.seed_official(session, range(2026, 2029)) == 0  # 2027 and 2028: no data, no error
        assert session.get(CalendarYear, 2027) is None

    def test_seed_restores_official_days_but_keeps_admin_edits(self, session: Session) -> None:
        session.execute(update(CalendarDay).where(CalendarDay.date == dt.date(2025, 10, 1)).values(name="错"))
        cal_mod.set_day(session, dt.date(2025, 10, 2), is_workday=True, name="值班")
        session.expire_all()
        assert cal_mod.seed_official(session, [2025]) == 1
        assert session.get(CalendarDay, dt.date(2025, 10, 1)).name == "国庆节"  # type: ignore[union-attr]
        admin = session.get(CalendarDay, dt.date(2025, 10, 2))
        assert admin is not None
        assert admin.source == "admin"
        assert admin.is_workday

    def test_get_calendar_is_cached(self, session: Session) -> None:
        assert get_calendar(session) is get_calendar(session)


class TestAdminEdits:
    def test_an_admin_edit_changes_a_deadline(self, session: Session) -> None:
        start = bj(2026, 3, 12, 10)  # Thursday
        assert local(get_calendar(session).add_working_days(start, 1)) == (2026, 3, 13, 17, 30)
        cal_mod.set_day(session, dt.date(2026, 3, 13), is_workday=False, name="临时放假")
        assert local(get_calendar(session).add_working_days(start, 1)) == (2026, 3, 16, 17, 30)
        session.commit()  # other sessions of this process see it after the commit
        assert local(get_calendar(session).add_working_days(start, 1)) == (2026, 3, 16, 17, 30)
        cal_mod.clear_day(session, dt.date(2026, 3, 13))
        session.commit()
        assert local(get_calendar(session).add_working_days(start, 1)) == (2026, 3, 13, 17, 30)

    def test_a_weekend_made_a_working_day(self, session: Session) -> None:
        cal_mod.set_day(session, dt.date(2026, 3, 14), is_workday=True, name="调休上班")
        assert local(get_calendar(session).add_working_days(bj(2026, 3, 13, 10), 1)) == (2026, 3, 14, 17, 30)

    def test_an_uncommitted_edit_is_not_seen_by_the_process_cache(self, session: Session) -> None:
        before = get_calendar(session)
        cal_mod.set_day(session, dt.date(2026, 3, 13), is_workday=False)
        mine = get_calendar(session)
        assert mine is not before
        assert not mine.is_workday(dt.date(2026, 3, 13))
        assert before.is_workday(dt.date(2026, 3, 13))
        session.rollback()
        assert get_calendar(session).is_workday(dt.date(2026, 3, 13))

    def test_another_process_edit_is_seen_after_the_recheck_interval(self, session: Session,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        first = get_calendar(session)
        # another process changes the table (no invalidation reaches this one)
        session.execute(update(CalendarDay).where(CalendarDay.date == dt.date(2026, 10, 10))  # a make-up Saturday
                        .values(is_workday=False, updated_at=dt.datetime.now(dt.UTC)))
        assert get_calendar(session) is first  # within RECHECK_SECONDS: the cached one
        monkeypatch.setattr(cal_mod, "RECHECK_SECONDS", 0.0)
        fresh = get_calendar(session)
        assert fresh is not first
        assert fresh.stamp != first.stamp
        assert first.is_workday(dt.date(2026, 10, 10))
        assert not fresh.is_workday(dt.date(2026, 10, 10))

    def test_the_version_stamp_sees_a_delete(self, session: Session) -> None:
        before = cal_mod.version_stamp(session)
        session.delete(session.get(CalendarDay, dt.date(2026, 10, 1)))
        session.flush()
        assert cal_mod.version_stamp(session) != before

    def test_edits_are_audited(self, session: Session) -> None:
        cal_mod.set_day(session, dt.date(2026, 3, 13), is_workday=False, name="临时放假")
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "calendar_days",
                                                         AuditEvent.entity_id == "2026-03-13")).one()
        assert event.action == "create"
        assert json.loads(event.after or "{}")["name"] == "临时放假"

    def test_bad_edits(self, session: Session) -> None:
        with pytest.raises(ValidationFailed):
            cal_mod.set_day(session, dt.date(1999, 1, 1), is_workday=False)
        with pytest.raises(ValidationFailed):
            cal_mod.set_day(session, dt.date(2026, 1, 5), is_workday=False, name="名" * 41)
        with pytest.raises(NotFound):
            cal_mod.clear_day(session, dt.date(2026, 3, 9))

    def test_marking_a_year_known(self, session: Session) -> None:
        cal_mod.set_year_known(session, 2027, known=True, note="逐日录入")
        assert get_calendar(session).is_known(2027)
        cal_mod.set_year_known(session, 2027, known=False)
        assert not get_calendar(session).is_known(2027)


ROWS_2027 = [  # a plausible 2027 schedule (the State Council publishes the real one in November 2026)
    ("2027-01-01", "休息", "元旦"),
    ("2027-02-06", "休息", "春节"), ("2027-02-07", "休息", "春节"), ("2027-02-08", "休息", "春节"),
    ("2027-02-09", "休息", "春节"), ("2027-02-10", "休息", "春节"), ("2027-02-11", "休息", "春节"),
    ("2027-02-12", "休息", "春节"), ("2027-02-13", "休息", "春节"), ("2027-02-14", "上班", "调休上班"),
    ("2027-10-01", "休息", "国庆节"), ("2027-10-04", "休息", "国庆节"), ("2027-10-05", "休息", "国庆节"),
    ("2027-10-06", "休息", "国庆节"), ("2027-10-07", "休息", "国庆节"), ("2027-10-09", "上班", "调休上班"),
]


def schedule_xlsx(rows: list[tuple[Any, ...]], headers: tuple[str, ...] = ("日期", "是否上班", "名称")) -> bytes:
    return f.workbook(headers, rows)


class TestImport:
    def test_a_new_year_replaces_the_fallback(self, session: Session) -> None:
        start = bj(2027, 2, 5, 10)  # Friday
        assert local(get_calendar(session).add_working_days(start, 1)) == (2027, 2, 8, 17, 30)
        report = cal_mod.import_schedule(session, 2027, cal_mod.read_schedule(schedule_xlsx(ROWS_2027)),
                                         filename="2027.xlsx")
        assert report.ok
        assert report.total == len(ROWS_2027)
        assert report.imported == len(ROWS_2027)
        cal = get_calendar(session)
        assert cal.is_known(2027)
        assert cal.deadline_warning(start, bj(2027, 3, 1)) is None
        assert local(cal.add_working_days(start, 1)) == (2027, 2, 14, 17, 30)  # the make-up Sunday
        assert session.get(CalendarYear, 2027).source == "import"  # type: ignore[union-attr]

    def test_all_or_nothing(self, session: Session) -> None:
        cal_mod.import_schedule(session, 2027, ROWS_2027)
        bad = [("2027-05-01", "休息", "劳动节"), ("2027-13-01", "休息", ""), ("2026-05-01", "休息", ""),
               ("2027-05-01", "上班", ""), ("2027-05-03", "也许", ""), ("2027-05-04", "休息", "名" * 41)]
        with pytest.raises(ValidationFailed) as caught:
            cal_mod.import_schedule(session, 2027, bad)
        errors = caught.value.details
        assert [(e["row"], e["column"]) for e in errors] == [(3, "日期"), (4, "日期"), (5, "日期"), (6, "是否上班"),
                                                             (7, "名称")]
        assert "重复" in errors[2]["reason"]
        assert "2027" in errors[1]["reason"]
        assert session.get(CalendarDay, dt.date(2027, 5, 1)) is None  # nothing stored
        assert session.get(CalendarDay, dt.date(2027, 10, 9)) is not None  # the earlier import stands

    def test_import_replaces_the_year(self, session: Session) -> None:
        cal_mod.import_schedule(session, 2026, [("2026-10-01", "休息", "国庆节")])
        assert session.get(CalendarDay, dt.date(2026, 10, 2)) is None
        assert session.get(CalendarDay, dt.date(2026, 10, 1)).source == "import"  # type: ignore[union-attr]
        assert cal_mod.seed_official(session, [2026]) == 0  # an imported year is left alone by the seed

    def test_dry_run_stores_nothing(self, session: Session) -> None:
        report = cal_mod.import_schedule(session, 2027, ROWS_2027, dry_run=True)
        assert report.ok
        assert report.imported == 0
        assert session.get(CalendarYear, 2027) is None

    def test_rows_that_agree_with_monday_to_friday_are_not_stored(self, session: Session) -> None:
        report = cal_mod.import_schedule(session, 2027, [("2027-03-01", "上班", ""), ("2027-03-06", "休息", "")])
        assert report.imported == 0
        assert cal_mod.year_view(session, 2027).known

    def test_csv_in_gb18030_and_other_spellings(self) -> None:
        data = "日期,是否上班,名称\n2027/10/01,否,国庆节\n20271009,是,\n2027年10月08日,休,\n".encode("gb18030")
        rows = cal_mod.read_schedule(data)
        assert [(r.line, r.date, r.workday) for r in rows] == [(2, "2027/10/01", "否"), (3, "20271009", "是"),
                                                               (4, "2027年10月08日", "休")]
        xlsx = cal_mod.read_schedule(schedule_xlsx([(dt.datetime(2027, 10, 1), "休息")], ("日期*", "是否上班*")))
        assert xlsx[0].date == dt.datetime(2027, 10, 1)
        assert xlsx[0].name is None

    @pytest.mark.parametrize(("data", "code"), [
        (b"", "empty_file"),
        ("名称\n国庆节\n".encode(), "bad_header"),
        (b"PK\x03\x04 not really a workbook", "bad_file"),
        (b"\xff\xfe\x00\x00\x00", "bad_file"),
    ])
    def test_unreadable_files(self, data: bytes, code: str) -> None:
        with pytest.raises(AppError) as caught:
            cal_mod.read_schedule(data)
        assert caught.value.code == code
        assert caught.value.status == 422

    def test_too_many_rows(self) -> None:
        with pytest.raises(AppError) as caught:
            cal_mod.read_schedule(schedule_xlsx([("2027-01-01", "休息", "")] * (cal_mod.MAX_ROWS + 1)))
        assert caught.value.code == "too_many_rows"

    def test_template_holds_the_year(self, session: Session) -> None:
        data = cal_mod.schedule_template(get_calendar(session), 2026)
        rows = cal_mod.read_schedule(data)
        assert len(rows) == len([d for d in OFFICIAL.days if d.year == 2026])
        report = cal_mod.import_schedule(session, 2026, rows, dry_run=True)  # a template round-trips
        assert report.ok


# ---- API ----------------------------------------------------------------------------------------------------------

class TestApi:
    def test_anyone_signed_in_reads_a_year(self, client: Any, auth: Any) -> None:
        r = client.get("/api/v1/calendar/2026", headers=auth("resident"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["known"] is True
        assert body["warning"] is None
        assert body["work_hours"] == "08:30-12:00,13:30-17:30"
        assert {"date": "2026-10-01", "is_workday": False, "name": "国庆节", "source": "official",
                "weekday": 4} in body["days"]
        assert body["workdays"] == OFFICIAL.workdays_in_year(2026)

    def test_an_unknown_year_warns(self, client: Any, auth: Any) -> None:
        body = client.get("/api/v1/calendar/2027", headers=auth("grid")).json()
        assert body["known"] is False
        assert body["days"] == []
        assert body["warning"].startswith(WARNING_2027)

    def test_anonymous_gets_401(self, client: Any) -> None:
        r = client.get("/api/v1/calendar/2026")
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"

    def test_admin_sets_and_clears_a_day(self, client: Any, auth: Any, session: Session) -> None:
        r = client.put("/api/v1/calendar/days/2026-03-13", json={"is_workday": False, "name": "临时放假"},
                       headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert r.json() == {"date": "2026-03-13", "is_workday": False, "name": "临时放假", "source": "admin",
                            "weekday": 5}
        assert not get_calendar(session).is_workday(dt.date(2026, 3, 13))
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.entity == "calendar_days",
                                                           AuditEvent.entity_id == "2026-03-13"))
        assert event.actor_name == "admin"
        assert client.delete("/api/v1/calendar/days/2026-03-13", headers=auth("admin")).status_code == 204
        assert get_calendar(session).is_workday(dt.date(2026, 3, 13))
        r = client.delete("/api/v1/calendar/days/2026-03-13", headers=auth("admin"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "no_such_day"

    @pytest.mark.parametrize("user", ["leader", "street", "community", "grid", "handler", "party", "volunteer",
                                      "resident"])
    def test_only_admins_write(self, client: Any, auth: Any, user: str) -> None:
        headers = auth(user)
        r = client.put("/api/v1/calendar/days/2026-03-13", json={"is_workday": False}, headers=headers)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "forbidden"
        assert client.delete("/api/v1/calendar/days/2026-10-01", headers=headers).status_code == 403
        assert client.put("/api/v1/calendar/2027", json={"known": True}, headers=headers).status_code == 403
        files = {"file": ("2027.xlsx", schedule_xlsx(ROWS_2027), f.XLSX)}
        assert client.post("/api/v1/calendar/2027/import", files=files, headers=headers).status_code == 403

    def test_anonymous_writes_get_401(self, client: Any) -> None:
        assert client.put("/api/v1/calendar/days/2026-03-13", json={"is_workday": False}).status_code == 401
        assert client.delete("/api/v1/calendar/days/2026-10-01").status_code == 401

    @pytest.mark.parametrize(("method", "url", "body", "status", "code"), [
        ("put", "/api/v1/calendar/days/2026-02-30", {"is_workday": False}, 422, "validation_failed"),
        ("put", "/api/v1/calendar/days/soon", {"is_workday": False}, 422, "validation_failed"),
        ("put", "/api/v1/calendar/days/2026-03-13", {"is_workday": "maybe"}, 422, "validation_failed"),
        ("put", "/api/v1/calendar/days/2026-03-13", {}, 422, "validation_failed"),
        ("put", "/api/v1/calendar/days/2026-03-13", {"is_workday": True, "extra": 1}, 422, "validation_failed"),
        ("put", "/api/v1/calendar/days/2026-03-13", {"is_workday": True, "name": "名" * 41}, 422,
         "validation_failed"),
        ("put", "/api/v1/calendar/days/1999-03-13", {"is_workday": True}, 422, "bad_year"),
        ("delete", "/api/v1/calendar/days/1999-03-13", None, 422, "bad_year"),
        ("get", "/api/v1/calendar/1800", None, 422, "validation_failed"),
        ("get", "/api/v1/calendar/next", None, 422, "validation_failed"),
        ("put", "/api/v1/calendar/2027", {"known": "perhaps"}, 422, "validation_failed"),
    ])
    def test_bad_input_is_a_json_error(self, client: Any, auth: Any, method: str, url: str, body: Any,
                                       status: int, code: str) -> None:
        kwargs = {"json": body} if body is not None else {}
        r = client.request(method.upper(), url, headers=auth("admin"), **kwargs)
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code

    def test_import(self, client: Any, auth: Any, session: Session) -> None:
        files = {"file": ("2027.xlsx", schedule_xlsx(ROWS_2027), f.XLSX)}
        r = client.post("/api/v1/calendar/2027/import", files=files, data={"dry_run": "true"}, headers=auth("admin"))
        assert r.status_code == 200
        assert r.json()["dry_run"] is True
        assert not get_calendar(session).is_known(2027)
        r = client.post("/api/v1/calendar/2027/import", files=files, headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert r.json() == {"year": 2027, "total": 16, "imported": 16, "dry_run": False, "ok": True, "errors": []}
        assert get_calendar(session).is_known(2027)
        assert client.get("/api/v1/calendar/2027", headers=auth("grid")).json()["warning"] is None

    def test_import_errors(self, client: Any, auth: Any, session: Session) -> None:
        files = {"file": ("bad.xlsx", schedule_xlsx([("2027-10-01", "休息", "国庆节"), ("2028-01-01", "休息", "")]),
                          f.XLSX)}
        r = client.post("/api/v1/calendar/2027/import", files=files, headers=auth("admin"))
        assert r.status_code == 422
        error = r.json()["error"]
        assert error["code"] == "import_failed"
        assert error["details"] == [{"row": 3, "column": "日期", "field": "date", "reason": "不是 2027 年的日期"}]
        assert session.get(CalendarDay, dt.date(2027, 10, 1)) is None
        r = client.post("/api/v1/calendar/2027/import", files={"file": ("x.xlsx", b"PK junk", f.XLSX)},
                        headers=auth("admin"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "bad_file"
        assert client.post("/api/v1/calendar/2027/import", headers=auth("admin")).status_code == 422

    def test_mark_a_year_known(self, client: Any, auth: Any) -> None:
        r = client.put("/api/v1/calendar/2027", json={"known": True, "note": "逐日录入完毕"}, headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert r.json()["known"] is True
        assert r.json()["source"] == "admin"
        assert r.json()["warning"] is None

    def test_template(self, client: Any, auth: Any) -> None:
        r = client.get("/api/v1/calendar/2026/template.xlsx", headers=auth("grid"))
        assert r.status_code == 200
        assert r.headers["content-type"] == f.XLSX
        assert len(cal_mod.read_schedule(r.content)) == len([d for d in OFFICIAL.days if d.year == 2026])


# ---- the admin page -----------------------------------------------------------------------------------------------

class TestPage:
    def test_a_year_as_twelve_months(self, client: Any, auth: Any) -> None:
        r = client.get("/admin/calendar", params={"year": 2026}, headers={**HTML, **auth("admin")})
        assert r.status_code == 200
        assert r.text.count('class="cal-month"') == 12
        assert "国庆节" in r.text
        assert "调休上班" in r.text
        assert 'data-date="2026-10-01"' in r.text
        assert 'class="holiday" data-date="2026-10-01"' in r.text
        assert 'class="makeup" data-date="2026-10-10"' in r.text
        assert 'id="unknown-year"' not in r.text

    def test_the_warning_for_a_year_without_a_schedule(self, client: Any, auth: Any) -> None:
        r = client.get("/admin/calendar", params={"year": 2027}, headers={**HTML, **auth("admin")})
        assert r.status_code == 200
        assert WARNING_2027 in r.text

    def test_a_chosen_day_fills_the_form(self, client: Any, auth: Any) -> None:
        r = client.get("/admin/calendar", params={"year": 2026, "date": "2026-10-10"},
                       headers={**HTML, **auth("admin")})
        assert 'value="2026-10-10"' in r.text
        assert 'value="调休上班"' in r.text
        assert '<option value="work" selected>' in r.text

    @pytest.mark.parametrize("user", ["leader", "grid", "resident"])
    def test_only_admins(self, client: Any, auth: Any, user: str) -> None:
        r = client.get("/admin/calendar", headers={**HTML, **auth(user)})
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("text/html")

    def test_anonymous_is_sent_to_login(self, client: Any) -> None:
        r = client.get("/admin/calendar", headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")

    def test_set_a_day_through_the_form(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "admin")
        r = client.post("/admin/calendar/day", data={"csrf_token": csrf, "date": "2026-03-14", "kind": "work",
                                                     "name": "调休上班", "year": "2026"},
                        headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/admin/calendar?year=2026")
        assert get_calendar(session).is_workday(dt.date(2026, 3, 14))
        page = client.get(r.headers["location"], headers=HTML)
        assert 'class="makeup chosen" data-date="2026-03-14"' in page.text
        r = client.post("/admin/calendar/day", data={"csrf_token": csrf, "date": "2026-03-14", "kind": "default"},
                        headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert not get_calendar(session).is_workday(dt.date(2026, 3, 14))

    def test_bad_form_input_keeps_what_was_typed(self, client: Any) -> None:
        csrf = sign_in(client, "admin")
        r = client.post("/admin/calendar/day", data={"csrf_token": csrf, "date": "", "kind": "rest",
                                                     "name": "某节", "year": "2027"}, headers=HTML)
        assert r.status_code == 422
        assert "请填写日期" in r.text
        assert 'value="某节"' in r.text
        r = client.post("/admin/calendar/day", data={"csrf_token": csrf, "date": "2026-03-13", "kind": "rest",
                                                     "name": "名" * 41}, headers=HTML)
        assert r.status_code == 422
        assert "名称不超过 40 个字" in r.text

    def test_the_form_needs_the_csrf_token(self, client: Any) -> None:
        sign_in(client, "admin")
        r = client.post("/admin/calendar/day", data={"date": "2026-03-14", "kind": "work"}, headers=HTML)
        assert r.status_code == 403

    def test_import_through_the_page(self, client: Any, session: Session) -> None:
        csrf = sign_in(client, "admin")
        bad = schedule_xlsx([("2027-10-01", "休息", "国庆节"), ("2027-10-02", "?", "")])
        r = client.post("/admin/calendar/import", data={"csrf_token": csrf, "year": "2027"},
                        files={"file": ("bad.xlsx", bad, f.XLSX)}, headers=HTML)
        assert r.status_code == 422
        assert 'id="import-errors"' in r.text
        assert "未导入任何数据" in r.text
        r = client.post("/admin/calendar/import", data={"csrf_token": csrf, "year": "2027"},
                        files={"file": ("2027.xlsx", schedule_xlsx(ROWS_2027), f.XLSX)}, headers=HTML)
        assert r.status_code == 200
        assert "导入成功" in r.text
        assert WARNING_2027 not in r.text
        assert get_calendar(session).is_known(2027)

    def test_mark_known_through_the_page(self, client: Any, session: Session) -> None:
        sign_in(client, "admin")
        page = client.get("/admin/calendar?year=2027", headers=HTML)
        assert 'id="unknown-year"' in page.text
        r = client.post("/admin/calendar/known", data={"csrf_token": csrf_of(page.text), "year": "2027",
                                                       "known": "1"}, headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        assert get_calendar(session).is_known(2027)
        assert 'id="unknown-year"' not in client.get(r.headers["location"], headers=HTML).text
