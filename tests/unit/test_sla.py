"""SLA clocks in working hours: service hours, holidays, cuti bersama, overrides, pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from provisioner.domain.sla import (
    DEFAULT_LIMITS,
    WorkingCalendar,
    compute_clocks,
    national_days_off,
)
from provisioner.domain.states import RequestState as S

WITA = ZoneInfo("Asia/Makassar")
CAL = WorkingCalendar.for_years([2026, 2027])


def wita(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WITA)


def test_national_holidays_and_cuti_bersama_are_days_off():
    off = national_days_off([2026])
    assert date(2026, 8, 17) in off  # Independence Day
    assert date(2026, 12, 24) in off  # cuti bersama Natal (government category)
    assert date(2026, 3, 20) in off  # cuti bersama Idul Fitri
    assert date(2026, 8, 18) not in off


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (date(2026, 11, 23), (time(8), time(16))),  # Monday
        (date(2026, 11, 26), (time(8), time(16))),  # Thursday
        (date(2026, 11, 27), (time(8), time(16, 30))),  # Friday
        (date(2026, 11, 28), None),  # Saturday
        (date(2026, 11, 29), None),  # Sunday
        (date(2026, 8, 17), None),  # Monday, Independence Day
    ],
)
def test_service_hours_per_day(day, window):
    win = CAL.window(day)
    if window is None:
        assert win is None
    else:
        assert win is not None
        assert (
            win[0].timetz().replace(tzinfo=None),
            win[1].timetz().replace(tzinfo=None),
        ) == window


def test_minutes_inside_one_day_and_clipped_to_hours():
    assert CAL.working_minutes(wita(2026, 11, 23, 9), wita(2026, 11, 23, 10)) == 60
    assert CAL.working_minutes(wita(2026, 11, 23, 6), wita(2026, 11, 23, 9)) == 60
    assert CAL.working_minutes(wita(2026, 11, 23, 15), wita(2026, 11, 23, 20)) == 60
    assert CAL.working_minutes(wita(2026, 11, 23, 17), wita(2026, 11, 23, 18)) == 0
    assert CAL.working_minutes(wita(2026, 11, 23, 10), wita(2026, 11, 23, 9)) == 0


def test_a_weekend_does_not_count_and_friday_is_longer():
    # Friday 15:00 → Monday 09:00: 90 min on Friday (to 16:30) + 60 on Monday.
    assert CAL.working_minutes(wita(2026, 11, 27, 15), wita(2026, 11, 30, 9)) == 150


def test_a_holiday_does_not_count_and_an_override_makes_it_count():
    # Mon 17 Aug 2026 is a holiday: Fri 14 Aug 16:00 → Tue 18 Aug 08:30 = 30 + 30 min.
    assert CAL.working_minutes(wita(2026, 8, 14, 16), wita(2026, 8, 18, 8, 30)) == 60
    moved = WorkingCalendar.for_years([2026], working_days=[date(2026, 8, 17)])
    assert moved.working_minutes(wita(2026, 8, 14, 16), wita(2026, 8, 18, 8, 30)) == 540


def test_regional_day_off_added_by_hand():
    regional = WorkingCalendar.for_years([2026], extra_days_off=[date(2026, 11, 24)])
    assert regional.working_minutes(wita(2026, 11, 24, 8), wita(2026, 11, 24, 16)) == 0
    assert regional.add_working_minutes(wita(2026, 11, 23, 15, 30), 60) == wita(
        2026, 11, 25, 8, 30
    ).astimezone(UTC)


def test_another_time_zone_shifts_the_window():
    wib = WorkingCalendar.for_years([2026], tz="Asia/Jakarta")
    # 08:00 WITA is 07:00 WIB: not yet working time in Jakarta.
    assert not wib.is_working_time(wita(2026, 11, 23, 8, 30))
    assert CAL.is_working_time(wita(2026, 11, 23, 8, 30))


def test_add_working_minutes_rolls_over_nights_weekends_and_holidays():
    assert CAL.add_working_minutes(wita(2026, 11, 23, 15, 45), 30) == wita(
        2026, 11, 24, 8, 15
    ).astimezone(UTC)
    assert CAL.add_working_minutes(wita(2026, 11, 27, 16), 60) == wita(
        2026, 11, 30, 8, 30
    ).astimezone(UTC)
    # Christmas Eve (cuti bersama) and Christmas are skipped.
    assert CAL.add_working_minutes(wita(2026, 12, 23, 15), 120) == wita(2026, 12, 28, 9).astimezone(
        UTC
    )
    # Started outside hours: the clock starts at the next opening.
    assert CAL.add_working_minutes(wita(2026, 11, 28, 10), 30) == wita(
        2026, 11, 30, 8, 30
    ).astimezone(UTC)


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20)),
    minutes=st.integers(min_value=0, max_value=3000),
)
def test_adding_then_measuring_gives_back_the_minutes(start: datetime, minutes: int):
    start = start.replace(tzinfo=UTC)
    end = CAL.add_working_minutes(start, minutes)
    assert abs(CAL.working_minutes(start, end) - minutes) < 1e-6


def test_clocks_of_a_request_that_went_live_on_time():
    t0 = wita(2026, 11, 23, 9)
    history = [
        (t0, S.SUBMITTED),
        (t0 + timedelta(minutes=20), S.APPROVED),
        (t0 + timedelta(minutes=21), S.PROVISIONING),
        (t0 + timedelta(minutes=40), S.LIVE),
        (t0 + timedelta(hours=2), S.LETTER_ISSUED),
    ]
    clocks = {c.step: c for c in compute_clocks(history, t0 + timedelta(days=3), CAL)}
    assert clocks["disposition"].used_minutes == 20 and not clocks["disposition"].overdue
    assert clocks["availability"].used_minutes == 20
    assert clocks["create"].used_minutes == 20
    assert clocks["letter"].used_minutes == 80
    assert not any(c.overdue or c.running for c in clocks.values())


def test_disposition_overdue_after_thirty_working_minutes_only():
    t0 = wita(2026, 11, 23, 15, 50)  # 10 min before closing
    history = [(t0, S.SUBMITTED)]
    next_morning = wita(2026, 11, 24, 8, 15)  # 10 + 15 = 25 working minutes
    c = compute_clocks(history, next_morning, CAL)[0]
    assert c.step == "disposition" and c.running and not c.overdue
    assert c.due_at == wita(2026, 11, 24, 8, 20).astimezone(UTC)
    later = compute_clocks(history, wita(2026, 11, 24, 8, 25), CAL)[0]
    assert later.overdue and later.used_minutes == 35


def test_the_clock_stops_while_waiting_on_the_opd():
    t0 = wita(2026, 11, 23, 9)
    history = [
        (t0, S.SUBMITTED),
        (t0 + timedelta(minutes=10), S.RETURNED),
        (t0 + timedelta(days=2), S.SUBMITTED),  # Wed 09:00, resubmitted
    ]
    while_returned = {c.step: c for c in compute_clocks(history[:2], t0 + timedelta(days=1), CAL)}
    avail = while_returned["availability"]
    assert avail.paused and avail.due_at is None and avail.used_minutes == 10
    # After resubmission the same clock resumes: 10 min before + 30 min after.
    resumed = {c.step: c for c in compute_clocks(history, t0 + timedelta(days=2, minutes=30), CAL)}
    assert resumed["availability"].used_minutes == 40 and not resumed["availability"].paused
    assert resumed["availability"].due_at == (t0 + timedelta(days=2, minutes=110)).astimezone(UTC)
    # Disposition ended when it was returned (someone acted on it).
    assert resumed["disposition"].ended_at == t0 + timedelta(minutes=10)


def test_limits_configurable_per_agency():
    t0 = wita(2026, 11, 23, 9)
    history = [(t0, S.SUBMITTED)]
    strict = compute_clocks(history, t0 + timedelta(minutes=20), CAL, {"disposition": 15})
    assert strict[0].overdue and strict[0].limit_minutes == 15
    assert compute_clocks(history, t0, CAL)[0].limit_minutes == DEFAULT_LIMITS["disposition"]


def test_steps_not_reached_have_no_clock():
    clocks = compute_clocks([(wita(2026, 11, 23, 9), S.SUBMITTED)], wita(2026, 11, 23, 9), CAL)
    create = next(c for c in clocks if c.step == "create")
    assert create.started_at is None and create.due_at is None and not create.overdue
