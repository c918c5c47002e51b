"""工作日历 — the Chinese working-day calendar that the deadlines of the appeal loop (诉求时限) are counted in.

A working day is Monday to Friday, except the official holidays falling on weekdays, plus the make-up
working days (调休上班) falling on weekends. Only these exceptions are stored (`calendar_days`, plus the
weekend days of a holiday, for their name); a year is listed in `calendar_years` once its official schedule
is known. A year without one is counted Monday–Friday and says so (`missing_years`, `warning`): a deadline is
never refused because the State Council has not yet published next year's schedule.

The arithmetic runs on a "working clock": T(instant) = the working microseconds since 0001-01-01, i.e. the
number of working days before the instant's local date × the length of a working day, plus the working time
elapsed inside that day. Adding time is T⁻¹(T(start) + Δ); the time between two instants is T(b) − T(a). The
number of working days before a date, and the date of the k-th working day, are read from tables over the span
of the stored exceptions (a few thousand days) and are closed-form (five per whole week) outside it: nothing
loops over days or minutes, and adding 30 working days costs a few microseconds.

`get_calendar(session)` returns the calendar of the database, cached in the process and reloaded when the
tables change; see `get_calendar` and docs/calendar.md."""

from __future__ import annotations

import calendar as stdlib_calendar
import csv
import datetime as dt
import functools
import io
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, CheckConstraint, Date, Integer, String, delete, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gongzhi.core import audit
from gongzhi.core.db import Base, UTCDateTime, now
from gongzhi.core.errors import AppError, NotFound, ValidationFailed
from gongzhi.core.i18n import N_

log = logging.getLogger(__name__)

SOURCES = ("official", "admin", "import")
OFFICIAL_YEARS = range(2004, 2027)  # the years the `chinese-calendar` package knows
MIN_YEAR, MAX_YEAR = 2000, 2100  # the years an admin may edit
DEFAULT_WORK_HOURS = "08:30-12:00,13:30-17:30"
DEFAULT_TIMEZONE = "Asia/Shanghai"
RECHECK_SECONDS = 60.0  # how stale another process's edit may be here, at most
NAME_MAX = 40
US = 1_000_000  # microseconds per second

OFFICIAL_NAMES = {  # chinese_calendar's English names → the names shown
    "New Year's Day": N_("元旦"), "Spring Festival": N_("春节"), "Tomb-sweeping Day": N_("清明节"),
    "Labour Day": N_("劳动节"), "Dragon Boat Festival": N_("端午节"), "National Day": N_("国庆节"),
    "Mid-autumn Festival": N_("中秋节"), "Anti-Fascist 70th Day": N_("抗战胜利70周年纪念日"),
}
HOLIDAY = N_("节假日")
MAKEUP = N_("调休上班")
WARNING = N_("%(years)s 年的法定节假日安排尚未录入，按周一至周五计算工作日，期限可能不准确；"
             "请管理员在国务院办公厅公布放假安排后导入。")


# ---- models ------------------------------------------------------------------------------------------------

class CalendarYear(Base):
    """日历年度 — a year whose official holiday schedule (国务院办公厅放假安排) is recorded. A year without a row
    is counted Monday–Friday, with a warning wherever a deadline falls in it."""

    __tablename__ = "calendar_years"
    __table_args__ = (CheckConstraint("source IN ('official','admin','import')", name="source"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    @property
    def id(self) -> int:
        """The audit log names a row by its `id`."""
        return self.year


class CalendarDay(Base):
    """日历例外日 — a day that is not what Monday–Friday says: a holiday on a weekday (放假) or a make-up working
    day on a weekend (调休上班). The weekend days of a holiday are kept too, for their name."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("source IN ('official','admin','import')", name="source"),)

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(NAME_MAX), nullable=True)
    source: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    @property
    def id(self) -> str:
        """The audit log names a row by its `id`."""
        return self.date.isoformat()


# ---- the calendar ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Day:
    """One stored exception, as the calendar holds it."""

    date: dt.date
    is_workday: bool
    name: str | None = None
    source: str = "official"

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "is_workday": self.is_workday, "name": self.name,
                "source": self.source, "weekday": self.date.isoweekday()}


def parse_work_hours(text: str) -> tuple[tuple[int, int], ...]:
    """"08:30-12:00,13:30-17:30" → the periods as (start, end) microseconds after local midnight."""
    periods: list[tuple[int, int]] = []
    for part in text.split(","):
        try:
            a_text, b_text = part.strip().split("-")
            a, b = (_clock_time(t) for t in (a_text, b_text))
        except ValueError as exc:
            raise ValueError(f"bad working hours {text!r}: write them like {DEFAULT_WORK_HOURS}") from exc
        if a >= b or (periods and a < periods[-1][1]):
            raise ValueError(f"bad working hours {text!r}: periods must be in order and not overlap")
        periods.append((a, b))
    return tuple(periods)


def _clock_time(text: str) -> int:
    h, m = text.strip().split(":")
    hours, minutes = int(h), int(m)
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours == 24 and minutes == 0))):
        raise ValueError(text)
    return (hours * 60 + minutes) * 60 * US


def _weekdays_before(ordinal: int) -> int:
    """Mondays–Fridays with an ordinal below `ordinal` (ordinal 1, 0001-01-01, was a Monday)."""
    weeks, rest = divmod(ordinal - 1, 7)
    return weeks * 5 + min(rest, 5)


def _kth_weekday(k: int) -> int:
    """The ordinal of Monday–Friday number `k` (0-based) since 0001-01-01."""
    weeks, rest = divmod(k, 5)
    return 1 + weeks * 7 + rest


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_FOREVER = dt.date.max.toordinal() + 1


@functools.lru_cache
def _fixed_offset(tz: ZoneInfo) -> tuple[int, int]:
    """(first ordinal, offset µs) if the zone keeps one UTC offset from 1992 to 2200, else (never, 0)."""
    offsets = {tz.utcoffset(dt.datetime(y, m, 1)) for y in range(1992, 2201) for m in (1, 4, 7, 10)}
    if len(offsets) != 1:
        return _FOREVER, 0
    offset = offsets.pop()
    assert offset is not None
    return dt.date(1992, 1, 1).toordinal(), offset // dt.timedelta(microseconds=1)


def _aware(t: dt.datetime) -> dt.datetime:
    if not isinstance(t, dt.datetime) or t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is needed (got a naive one or a date)")
    return t


class WorkCalendar:
    """An immutable, precomputed calendar: pure functions of the stored exceptions, the known years, the
    working hours and the time zone. Every instant given must be timezone-aware; every instant returned is in
    UTC. Build one from the database with `get_calendar(session)`, or directly (tests, tools)."""

    def __init__(self, days: Iterable[Day] = (), known_years: Iterable[int] = (), *,
                 work_hours: str | Sequence[tuple[int, int]] = DEFAULT_WORK_HOURS,
                 timezone: str = DEFAULT_TIMEZONE, sources: dict[int, str] | None = None,
                 stamp: Any = None) -> None:
        self.tz = ZoneInfo(timezone)
        self.timezone = timezone
        self.periods = parse_work_hours(work_hours) if isinstance(work_hours, str) else tuple(work_hours)
        self.work_hours = ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in self.periods)
        self.day_us = sum(b - a for a, b in self.periods)
        if self.day_us <= 0:
            raise ValueError("working hours are empty")
        self.days: dict[dt.date, Day] = {d.date: d for d in days}
        self.known_years = frozenset(known_years)
        self.year_sources = dict(sources or dict.fromkeys(self.known_years, "official"))
        self.stamp = stamp
        self._work: dict[int, bool] = {d.toordinal(): day.is_workday for d, day in self.days.items()}
        exceptions = sorted(o for o, w in self._work.items() if w != ((o - 1) % 7 < 5))
        # Dense tables over the span of the exceptions (a few thousand days): the count of working days before
        # each date, and the working days themselves. Outside the span the calendar is plain Monday–Friday,
        # shifted by the sum of the exceptions (+1 a weekend worked, −1 a weekday off), and closed-form.
        self._lo = exceptions[0] if exceptions else 1
        self._hi = exceptions[-1] + 1 if exceptions else 1
        self._shift = sum(1 if self._work[o] else -1 for o in exceptions)
        self._counts: list[int] = []
        self._workdays: list[int] = []
        count = _weekdays_before(self._lo)
        self._k_lo = count
        for o in range(self._lo, self._hi + 1):
            self._counts.append(count)
            if o < self._hi and self._is_work(o):
                self._workdays.append(o)
                count += 1
        self._k_hi = count
        # Instants → dates and back by plain arithmetic where the zone's offset is fixed (China since 1991).
        self._fixed_from, self._offset_us = _fixed_offset(self.tz)

    @classmethod
    def official(cls, years: Iterable[int] = OFFICIAL_YEARS, **kw: Any) -> WorkCalendar:
        """The calendar of the `chinese-calendar` package alone, without a database (tests, tools)."""
        days: list[Day] = []
        known: list[int] = []
        for year in years:
            try:
                schedule = official_schedule(year)
            except NotImplementedError:
                continue
            known.append(year)
            days += [Day(d, w, n, "official") for d, (w, n) in schedule.items()]
        return cls(days, known, **kw)

    # ---- days ---------------------------------------------------------------------------------------------

    def _count_before(self, ordinal: int) -> int:
        """Working days with an ordinal below `ordinal`."""
        if ordinal <= self._lo:
            return _weekdays_before(ordinal)
        if ordinal <= self._hi:
            return self._counts[ordinal - self._lo]
        return _weekdays_before(ordinal) + self._shift

    def _is_work(self, ordinal: int) -> bool:
        work = self._work.get(ordinal)
        return (ordinal - 1) % 7 < 5 if work is None else work

    def _kth_workday(self, k: int) -> int:
        """The ordinal of working day number `k` (0-based, counted like `_count_before`)."""
        if k < self._k_lo:
            return _kth_weekday(k)
        if k < self._k_hi:
            return self._workdays[k - self._k_lo]
        return _kth_weekday(k - self._shift)

    def _local_date(self, day: dt.date) -> dt.date:
        if isinstance(day, dt.datetime):
            return _aware(day).astimezone(self.tz).date()
        return day

    def is_workday(self, day: dt.date) -> bool:
        """Is this (local) date a working day? A datetime is first turned into its local date."""
        return self._is_work(self._local_date(day).toordinal())

    def day(self, day: dt.date) -> Day | None:
        """The stored exception of a date (holiday, make-up working day, admin setting), if any."""
        return self.days.get(self._local_date(day))

    def next_workday(self, day: dt.date, n: int = 1) -> dt.date:
        """The `n`-th working day after `day` (the day itself does not count); `n` < 1 counts as 1."""
        o = self._local_date(day).toordinal()
        return dt.date.fromordinal(self._kth_workday(self._count_before(o + 1) + max(1, n) - 1))

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 if `end` <= `start`)."""
        a, b = self._local_date(start).toordinal(), self._local_date(end).toordinal()
        return max(0, self._count_before(b + 1) - self._count_before(a + 1))

    def workdays_in_year(self, year: int) -> int:
        return self._count_before(dt.date(year + 1, 1, 1).toordinal()) - \
            self._count_before(dt.date(year, 1, 1).toordinal())

    # ---- known years ----------------------------------------------------------------------------------------

    def is_known(self, year: int) -> bool:
        """Is the official schedule of `year` recorded? (Otherwise it is counted Monday–Friday.)"""
        return year in self.known_years

    def missing_years(self, years: Iterable[int]) -> list[int]:
        """Those of `years` counted Monday–Friday for want of an official schedule, in order."""
        return sorted({y for y in years if y not in self.known_years})

    def warning(self, years: int | Iterable[int]) -> str | None:
        """The warning to show when a deadline falls in a year without an official schedule, else None."""
        missing = self.missing_years([years] if isinstance(years, int) else years)
        return WARNING % {"years": "、".join(str(y) for y in missing)} if missing else None

    def deadline_warning(self, start: dt.datetime, due: dt.datetime) -> str | None:
        """The warning for a period from `start` to `due` crossing a year without an official schedule."""
        a = _aware(start).astimezone(self.tz).year
        b = _aware(due).astimezone(self.tz).year
        return self.warning(range(min(a, b), max(a, b) + 1))

    # ---- the working clock ------------------------------------------------------------------------------------

    def _clock(self, t: dt.datetime) -> int:
        """T of an instant: the working microseconds since 0001-01-01."""
        local = _aware(t).astimezone(self.tz)
        o = local.toordinal()
        base = self._count_before(o) * self.day_us
        if not self._is_work(o):
            return base
        s = ((local.hour * 60 + local.minute) * 60 + local.second) * US + local.microsecond
        for a, b in self.periods:
            if s <= a:
                break
            base += (s if s < b else b) - a
        return base

    def _at(self, ordinal: int, us: int) -> dt.datetime:
        """The instant `us` microseconds after local midnight of a date, in UTC."""
        if ordinal >= self._fixed_from:
            return _EPOCH + dt.timedelta(days=ordinal - _EPOCH_ORDINAL, microseconds=us - self._offset_us)
        local = dt.datetime.combine(dt.date.fromordinal(ordinal), dt.time(), tzinfo=self.tz) + \
            dt.timedelta(microseconds=us)
        return local.astimezone(dt.UTC)

    def _instant(self, clock: int) -> dt.datetime:
        """The earliest instant whose T is `clock` (> 0): the end of a working period rather than the start
        of the next one, so a deadline falls at 17:30 and not at 08:30 the next working day."""
        k, r = divmod(clock - 1, self.day_us)
        r += 1  # 0 < r <= day_us
        ordinal = self._kth_workday(k)
        for a, b in self.periods:
            if r <= b - a:
                return self._at(ordinal, a + r)
            r -= b - a
        raise AssertionError("unreachable")  # pragma: no cover

    def end_of_work(self, day: dt.date) -> dt.datetime:
        """When working hours end on a (local) date, in UTC."""
        return self._at(self._local_date(day).toordinal(), self.periods[-1][1])

    def is_working_time(self, t: dt.datetime) -> bool:
        """Is this instant inside working hours on a working day?"""
        local = _aware(t).astimezone(self.tz)
        if not self._is_work(local.toordinal()):
            return False
        s = ((local.hour * 60 + local.minute) * 60 + local.second) * US + local.microsecond
        return any(a <= s < b for a, b in self.periods)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The deadline `days` working days after `start`: the end of working hours on the `days`-th working
        day after the start's local date (the start day does not count). With 0 days: the end of the start
        day if it is a working day not yet over, else of the next working day."""
        start = _aware(start)
        o = start.astimezone(self.tz).toordinal()
        n = max(0, int(days))
        if n == 0:
            if self._is_work(o) and start <= (end := self._at(o, self.periods[-1][1])):
                return end
            n = 1
        x = self._kth_workday(self._count_before(o + 1) + n - 1)
        return self._at(x, self.periods[-1][1])

    def _add_us(self, start: dt.datetime, us: int) -> dt.datetime:
        clock = self._clock(start)
        if us <= 0:
            return start.astimezone(dt.UTC)
        return self._instant(clock + us)

    def add_working_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant when `seconds` of working time have passed after `start` (time outside working hours
        and on days off does not count). A time limit that runs out exactly at the end of a working period
        is due then, not at the start of the next one. 0 or less: `start` itself."""
        us = seconds * US if isinstance(seconds, int) else round(seconds * US)
        return self._add_us(start, us)

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """`add_working_seconds` in hours: a 2-hour acceptance limit (受理时限) etc."""
        us = hours * 3600 * US if isinstance(hours, int) else round(hours * 3600 * US)
        return self._add_us(start, us)

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """The whole seconds of working time from `a` to `b`; 0 if `b` is not after `a`."""
        if _aware(b) <= _aware(a):
            return 0
        return (self._clock(b) - self._clock(a)) // US

    def warn_at(self, start: dt.datetime, due: dt.datetime, fraction: float = 0.8) -> dt.datetime:
        """The instant when `fraction` of the working time from `start` to `due` has passed: when to warn
        that a deadline is near (预警). `due` itself if no working time lies between them."""
        start, due = _aware(start), _aware(due)
        if due <= start:
            return due.astimezone(dt.UTC)
        t0, t1 = self._clock(start), self._clock(due)
        if t1 <= t0:
            return due.astimezone(dt.UTC)
        part = round((t1 - t0) * min(max(fraction, 0.0), 1.0))
        return self._instant(t0 + part) if part > 0 else start.astimezone(dt.UTC)

    def resume_due(self, due: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime) -> dt.datetime:
        """The new deadline after the clock stood still from `paused_at` to `resumed_at` (waiting for the
        resident, 挂起): the working time that was left at the pause is counted again from the resume. A case
        already overdue when paused keeps its deadline."""
        due, paused_at, resumed_at = _aware(due), _aware(paused_at), _aware(resumed_at)
        if paused_at >= due:
            return due.astimezone(dt.UTC)
        remaining = self._clock(due) - self._clock(paused_at)
        return self._add_us(max(resumed_at, paused_at), remaining)

    # ---- display ------------------------------------------------------------------------------------------------

    def month_weeks(self, year: int, month: int) -> list[list[dict[str, Any]]]:
        """A month as weeks (Monday first) of cells: date, in_month, workday, kind, name, source. Kinds:
        workday, weekend, holiday (a day off on a weekday, or a named holiday), makeup (a weekend worked)."""
        weeks = []
        for week in stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for d in week:
                stored = self.days.get(d)
                work = self._is_work(d.toordinal())
                weekend = d.weekday() >= 5
                if work:
                    kind = "makeup" if weekend else "workday"
                else:
                    kind = "holiday" if not weekend or (stored and stored.name) else "weekend"
                cells.append({"date": d, "in_month": d.month == month, "workday": work, "kind": kind,
                              "name": stored.name if stored else None, "source": stored.source if stored else None})
            weeks.append(cells)
        return weeks


def _hhmm(us: int) -> str:
    minutes = us // US // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ---- the official schedule -----------------------------------------------------------------------------------

def official_schedule(year: int) -> dict[dt.date, tuple[bool, str]]:
    """The exceptions of `year` from the `chinese-calendar` package: holidays (with the weekend days of a
    holiday, named) and make-up working days. Raises NotImplementedError for a year it does not know."""
    import chinese_calendar

    chinese_calendar.get_holiday_detail(dt.date(year, 1, 1))  # raises for a year without data
    out: dict[dt.date, tuple[bool, str]] = {}
    for day, name in chinese_calendar.holidays.items():  # every day off of a holiday, weekends included
        if day.year == year:
            out[day] = (False, OFFICIAL_NAMES.get(name, name or HOLIDAY))
    for day in chinese_calendar.workdays:  # the weekend days worked instead
        if day.year == year and day.weekday() >= 5:
            out[day] = (True, MAKEUP)
    return out


def seed_official(session: Session, years: Iterable[int] = OFFICIAL_YEARS) -> int:
    """Store the official schedule of `years` from the `chinese-calendar` package; returns the rows changed.
    Idempotent: run it at every deploy (a newer package may fix or add a year). Years the package does not
    know are skipped; so are years whose schedule was imported or set by an admin (`calendar_years.source`
    not 'official'), and days an admin changed."""
    schedules: dict[int, dict[dt.date, tuple[bool, str]]] = {}
    for year in years:
        try:
            schedules[year] = official_schedule(year)
        except NotImplementedError:
            log.info("chinese-calendar has no schedule for %s; skipped", year)
    if not schedules:
        return 0
    year_rows = {y.year: y for y in session.scalars(select(CalendarYear).where(CalendarYear.year.in_(schedules)))}
    for year, row in year_rows.items():
        if row.source != "official":
            del schedules[year]
    if not schedules:
        return 0
    lo, hi = dt.date(min(schedules), 1, 1), dt.date(max(schedules), 12, 31)
    existing = {d.date: d for d in session.scalars(select(CalendarDay).where(CalendarDay.date.between(lo, hi)))}
    changed = 0
    with audit.muted():
        for year, schedule in schedules.items():
            if year not in year_rows:
                session.add(CalendarYear(year=year, source="official", note="chinese-calendar"))
                changed += 1
            for day, (work, name) in schedule.items():
                row = existing.get(day)
                if row is None:
                    session.add(CalendarDay(date=day, is_workday=work, name=name, source="official"))
                    changed += 1
                elif row.source == "official" and (row.is_workday, row.name) != (work, name):
                    row.is_workday, row.name = work, name
                    changed += 1
        for day, row in existing.items():
            if day.year in schedules and row.source == "official" and day not in schedules[day.year]:
                session.delete(row)
                changed += 1
        session.flush()
    if changed:
        audit.record(session, "import", "calendar_days", summary=f"载入法定节假日安排 {min(schedules)}–"
                     f"{max(schedules)} 年（chinese-calendar），{changed} 处变更")
        invalidate(session)
    return changed


# ---- admin edits -------------------------------------------------------------------------------------------------

def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间", code="bad_year",
                               details=[{"field": "year", "reason": f"{MIN_YEAR}–{MAX_YEAR}"}])


def _clean_name(name: Any) -> str | None:
    text = "" if name is None else str(name).strip()
    if len(text) > NAME_MAX:
        raise ValueError(f"名称不超过 {NAME_MAX} 个字")
    return text or None


def set_day(session: Session, day: dt.date, *, is_workday: bool, name: str | None = None) -> CalendarDay:
    """An admin sets one date to working (上班) or not (休息), e.g. a make-up day the State Council adds late.
    Takes effect for every deadline computed after the commit (see `get_calendar`)."""
    _check_year(day.year)
    try:
        clean = _clean_name(name)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details=[{"field": "name", "reason": str(exc)}]) from exc
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(date=day, is_workday=is_workday, name=clean, source="admin")
        session.add(row)
    else:
        row.is_workday, row.name, row.source = is_workday, clean, "admin"
    session.flush()
    invalidate(session)
    return row


def clear_day(session: Session, day: dt.date, *, missing_ok: bool = False) -> None:
    """Remove a date's exception: it goes back to what Monday–Friday says."""
    _check_year(day.year)
    row = session.get(CalendarDay, day)
    if row is None:
        if missing_ok:
            return
        raise NotFound(f"{day.isoformat()} 没有特别安排，已按周一至周五计算", code="no_such_day")
    session.delete(row)
    session.flush()
    invalidate(session)


def set_year_known(session: Session, year: int, *, known: bool, note: str | None = None) -> CalendarYear | None:
    """An admin declares a year's schedule complete (after entering it day by day), or not."""
    _check_year(year)
    row = session.get(CalendarYear, year)
    if known:
        note = (note or "").strip()[:200] or None
        if row is None:
            row = CalendarYear(year=year, source="admin", note=note)
            session.add(row)
        else:
            row.source, row.note = "admin", note or row.note
    elif row is not None:
        session.delete(row)
        row = None
    session.flush()
    invalidate(session)
    return row


# ---- import of a year's schedule -----------------------------------------------------------------------------------

HEADERS = {"日期": "date", "date": "date", "是否上班": "workday", "上班": "workday", "类型": "workday",
           "is_workday": "workday", "名称": "name", "name": "name", "节日": "name", "备注": "name"}
COLUMN_LABELS = {"date": "日期", "workday": "是否上班", "name": "名称"}
YES = {"是", "上班", "班", "工作日", "调休上班", "1", "true", "yes", "y", "work"}
NO = {"否", "休息", "休", "放假", "节假日", "0", "false", "no", "n", "rest", "off"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
MAX_ROWS = 400


@dataclass(frozen=True)
class ScheduleRow:
    """One row of an import file, as read (values not yet checked); `line` is its line in the file."""

    line: int
    date: Any
    workday: Any
    name: Any = None


@dataclass
class ScheduleImport:
    year: int
    total: int = 0
    imported: int = 0
    dry_run: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "total": self.total, "imported": self.imported, "dry_run": self.dry_run,
                "ok": self.ok, "errors": self.errors}


BAD_FILE = "无法读取文件：请上传 .xlsx 或 .csv 文件"


def read_schedule(data: bytes) -> list[ScheduleRow]:
    """The rows of an .xlsx or .csv (UTF-8 or GB18030) file with the columns 日期, 是否上班, 名称."""
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return _rows(wb.worksheets[0].iter_rows(values_only=True))
            finally:
                wb.close()
        except AppError:
            raise
        except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
            raise AppError(BAD_FILE, code="bad_file", status=422) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise AppError(BAD_FILE, code="bad_file", status=422) from exc
    if "\x00" in text:
        raise AppError(BAD_FILE, code="bad_file", status=422)
    try:
        return _rows(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise AppError(BAD_FILE, code="bad_file", status=422) from exc


def _rows(table: Iterable[Sequence[Any]]) -> list[ScheduleRow]:
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise AppError("文件是空的", code="empty_file", status=422)
    positions: dict[str, int] = {}
    for i, h in enumerate(header):
        key = HEADERS.get(str(h).strip().rstrip("*").strip().lower()) if h is not None else None
        if key and key not in positions:
            positions[key] = i
    missing = [COLUMN_LABELS[k] for k in ("date", "workday") if k not in positions]
    if missing:
        raise AppError(f"表头缺少必填列：{'、'.join(missing)}（请使用下载的模板）", code="bad_header", status=422,
                       details={"missing": missing})
    rows: list[ScheduleRow] = []
    for line, values in enumerate(lines, start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise AppError(f"一年的安排最多 {MAX_ROWS} 行", code="too_many_rows", status=422)
        cells = [values[i] if i is not None and i < len(values) else None
                 for i in (positions.get("date"), positions.get("workday"), positions.get("name"))]
        rows.append(ScheduleRow(line, *cells))
    return rows


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("无法识别的日期，请写成 2027-10-01")


def _parse_workday(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError("请填写“上班”或“休息”（也可写 是 / 否）")


def import_schedule(session: Session, year: int, rows: Iterable[ScheduleRow | Sequence[Any]], *,
                    dry_run: bool = False, filename: str = "") -> ScheduleImport:
    """Replace the schedule of `year` with a file's rows (日期, 是否上班, 名称) — the State Council publishes
    the next year's in November — and mark the year known. All or nothing: every row is checked first;
    if any is bad, ValidationFailed lists each (row, column, reason) and nothing changes. Rows that agree
    with Monday–Friday and carry no name are not stored. Plain sequences are numbered from line 2."""
    _check_year(year)
    rows = [r if isinstance(r, ScheduleRow) else ScheduleRow(i, *r) for i, r in enumerate(rows, start=2)]
    report = ScheduleImport(year=year, total=len(rows), dry_run=dry_run)
    seen: dict[dt.date, int] = {}
    clean: list[tuple[dt.date, bool, str | None]] = []

    def error(row: ScheduleRow, column: str, reason: str) -> None:
        report.errors.append({"row": row.line, "column": COLUMN_LABELS[column], "field": column, "reason": reason})

    for row in rows:
        day = work = None
        name: str | None = None
        try:
            day = _parse_date(row.date)
            if day.year != year:
                error(row, "date", f"不是 {year} 年的日期")
                day = None
            elif day in seen:
                error(row, "date", f"与第 {seen[day]} 行重复")
                day = None
            else:
                seen[day] = row.line
        except ValueError as exc:
            error(row, "date", str(exc))
        try:
            work = _parse_workday(row.workday)
        except ValueError as exc:
            error(row, "workday", str(exc))
        try:
            name = _clean_name(row.name)
        except ValueError as exc:
            error(row, "name", str(exc))
        if day is not None and work is not None:
            clean.append((day, work, name))
    if not rows:
        raise ValidationFailed("文件中没有任何日期行", code="empty_file")
    if report.errors:
        raise ValidationFailed(f"文件有 {len(report.errors)} 处错误，未导入任何数据；请改正后重新上传",
                               code="import_failed", details=report.errors)
    stored = [(d, w, n) for d, w, n in clean if n or w != (d.weekday() < 5)]
    if dry_run:
        report.imported = 0
        return report
    with audit.muted():
        session.execute(delete(CalendarDay).where(CalendarDay.date.between(dt.date(year, 1, 1),
                                                                           dt.date(year, 12, 31))))
        session.add_all(CalendarDay(date=d, is_workday=w, name=n, source="import") for d, w, n in stored)
        row_year = session.get(CalendarYear, year)
        note = (f"导入 {filename}" if filename else "导入")[:200]
        if row_year is None:
            session.add(CalendarYear(year=year, source="import", note=note))
        else:
            row_year.source, row_year.note = "import", note
        session.flush()
    report.imported = len(stored)
    audit.record(session, "import", "calendar_days", entity_id=year,
                 summary=f"导入 {year} 年放假安排 {len(stored)} 天 {filename}"[:300],
                 after={"year": year, "days": [[d.isoformat(), w, n] for d, w, n in stored]})
    invalidate(session)
    return report


def import_file(session: Session, year: int, data: bytes, *, dry_run: bool = False,
                filename: str = "") -> ScheduleImport:
    """`import_schedule` of an uploaded .xlsx or .csv file."""
    return import_schedule(session, year, read_schedule(data), dry_run=dry_run, filename=filename)


def schedule_template(cal: WorkCalendar, year: int) -> bytes:
    """An .xlsx to fill for `year` (日期, 是否上班, 名称), pre-filled with what the calendar holds for it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年放假安排"
    ws.append(["日期*", "是否上班*", "名称"])
    for i in range(1, 4):
        c = ws.cell(row=1, column=i)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="C00000")
        c.alignment = Alignment(horizontal="center")
    for day in sorted((d for d in cal.days.values() if d.date.year == year), key=lambda d: d.date):
        ws.append([day.date, "上班" if day.is_workday else "休息", day.name or ""])
        ws.cell(row=ws.max_row, column=1).number_format = "yyyy-mm-dd"
    dv = DataValidation(type="list", formula1='"上班,休息"', allow_blank=False)
    dv.add("B2:B400")
    ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 24
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet("填写说明")
    for line in (["列名", "必填", "说明"],
                 ["日期", "是", f"{year} 年的日期，如 {year}-10-01；每个日期只写一行"],
                 ["是否上班", "是", "上班（调休上班的周末）或 休息（放假的日子，含放假期间的周末）"],
                 ["名称", "否", "如 春节、国庆节、调休上班"],
                 ["", "", "只需列出与“周一至周五上班、周末休息”不同的日子；导入会替换该年已有的全部安排。"],
                 ["", "", "整份文件全部通过校验才会导入；有任何一行出错，一行都不会导入。"]):
        help_ws.append(line)
    help_ws.column_dimensions["A"].width = 12
    help_ws.column_dimensions["C"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- views --------------------------------------------------------------------------------------------------------

@dataclass
class YearView:
    """What the admin page and `GET /api/v1/calendar/{year}` show of one year, read from the database."""

    year: int
    known: bool
    source: str | None
    note: str | None
    warning: str | None
    calendar: WorkCalendar
    days: list[Day]

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "known": self.known, "source": self.source, "note": self.note,
                "warning": self.warning, "workdays": self.calendar.workdays_in_year(self.year),
                "work_hours": self.calendar.work_hours, "timezone": self.calendar.timezone,
                "days": [d.to_dict() for d in self.days]}


def year_view(session: Session, year: int) -> YearView:
    """One year straight from the database (not the cache): an admin sees their edit at once."""
    _check_year(year)
    row = session.get(CalendarYear, year)
    days = [Day(d.date, d.is_workday, d.name, d.source) for d in session.scalars(
        select(CalendarDay).where(CalendarDay.date.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .order_by(CalendarDay.date))]
    settings = _settings()
    cal = WorkCalendar(days, [year] if row else [], work_hours=settings[0], timezone=settings[1])
    return YearView(year=year, known=row is not None, source=row.source if row else None,
                    note=row.note if row else None, warning=cal.warning(year), calendar=cal, days=days)


# ---- the cache -------------------------------------------------------------------------------------------------------
# One WorkCalendar per process, for every request and job. It is reloaded
#   - at once in this process when a session that changed the calendar commits (`invalidate` + after_commit);
#   - in other processes when their next `get_calendar` after RECHECK_SECONDS finds the version stamp changed:
#     one cheap query (row counts and the latest `updated_at` of both tables).
# A session that changed the calendar and has not committed yet gets its own fresh calendar (it sees its own
# edit; nobody else does until the commit).

_DIRTY, _OWN = "calendar_dirty", "calendar_own"
_lock = threading.Lock()
_generation = 0
_state: tuple[WorkCalendar | None, int, float] = (None, -1, 0.0)  # (calendar, generation, checked at)


def _settings() -> tuple[str, str]:
    from gongzhi.core.settings import get_settings

    settings = get_settings()
    hours = getattr(settings, "work_hours", DEFAULT_WORK_HOURS)
    try:
        parse_work_hours(hours)
    except ValueError:
        log.error("GONGZHI_WORK_HOURS=%r is not valid; using %s", hours, DEFAULT_WORK_HOURS)
        hours = DEFAULT_WORK_HOURS
    return hours, settings.timezone


def version_stamp(session: Session) -> tuple[Any, ...]:
    """Changes whenever a row of either table is added, changed or removed."""
    return tuple(session.execute(select(
        select(func.count()).select_from(CalendarDay).scalar_subquery(),
        select(func.max(CalendarDay.updated_at)).scalar_subquery(),
        select(func.count()).select_from(CalendarYear).scalar_subquery(),
        select(func.max(CalendarYear.updated_at)).scalar_subquery())).one())


def load_calendar(session: Session) -> WorkCalendar:
    """A new WorkCalendar from the database (use `get_calendar`, which caches it)."""
    stamp = version_stamp(session)
    days = [Day(d, w, n, s) for d, w, n, s in session.execute(
        select(CalendarDay.date, CalendarDay.is_workday, CalendarDay.name, CalendarDay.source))]
    years = dict(session.execute(select(CalendarYear.year, CalendarYear.source)).tuples().all())
    hours, timezone = _settings()
    return WorkCalendar(days, years, work_hours=hours, timezone=timezone, sources=years, stamp=stamp)


def get_calendar(session: Session) -> WorkCalendar:
    """The calendar of the database, cached in the process (see the comment above)."""
    global _state
    if session.info.get(_DIRTY):
        own = session.info.get(_OWN)
        if own is None:
            own = session.info[_OWN] = load_calendar(session)
        return own  # type: ignore[no-any-return]
    cal, generation, checked = _state
    moment = time.monotonic()
    if cal is not None and generation == _generation and moment - checked < RECHECK_SECONDS:
        return cal
    with _lock:
        cal, generation, checked = _state
        if cal is not None and generation == _generation:
            if moment - checked < RECHECK_SECONDS:
                return cal
            if version_stamp(session) == cal.stamp:
                _state = (cal, generation, moment)
                return cal
        generation = _generation
        cal = load_calendar(session)
        _state = (cal, generation, moment)
        return cal


def invalidate(session: Session | None = None) -> None:
    """After a write to the calendar tables: the writing session sees its own calendar until it commits;
    the commit makes this process reload. Without a session: drop the process's cache now."""
    global _generation
    if session is None:
        _generation += 1
        return
    session.info[_DIRTY] = True
    session.info.pop(_OWN, None)


def reset_cache() -> None:
    """Forget the cached calendar (tests: after a rolled-back transaction changed the calendar)."""
    global _state, _generation
    with _lock:
        _generation += 1
        _state = (None, -1, 0.0)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        session.info.pop(_OWN, None)
        invalidate()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    if not session.in_transaction() and session.info.pop(_DIRTY, False):
        session.info.pop(_OWN, None)
