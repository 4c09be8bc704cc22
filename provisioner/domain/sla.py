"""SLA clocks in working time (pure logic).

The SOPs' "mutu baku" gives each step a time limit; the limit runs only in service hours
(default Mon–Thu 08:00–16:00, Fri 08:00–16:30 in the agency's time zone), never on national
holidays or cuti bersama (the `holidays` package, ID, categories public + government), with
admin overrides both ways (an estimated Islamic date moved; a regional day off), and it
stops while the request waits on the OPD (returned for revision).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from provisioner.domain.states import WAITS_ON_OPD, RequestState

# Monday = 0. Perpres 21/2023: five working days; Kaltara's SOP hours as the default.
DEFAULT_HOURS: dict[int, tuple[time, time]] = {
    0: (time(8), time(16)),
    1: (time(8), time(16)),
    2: (time(8), time(16)),
    3: (time(8), time(16)),
    4: (time(8), time(16, 30)),
}
_MAX_DAYS = 3 * 366  # a clock never looks further than this; bounds every loop


def national_days_off(years: Iterable[int]) -> frozenset[date]:
    """Indonesian public holidays and cuti bersama (joint leave days) for `years`."""
    days = holidays.country_holidays("ID", years=list(years), categories=("public", "government"))
    return frozenset(days.keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """Service hours of one agency. `days_off` holds national + regional days off;
    `working_days` are admin overrides that make a listed day off a working day again."""

    tz: str = "Asia/Makassar"
    hours: dict[int, tuple[time, time]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    @classmethod
    def for_years(
        cls,
        years: Iterable[int],
        *,
        tz: str = "Asia/Makassar",
        hours: dict[int, tuple[time, time]] | None = None,
        extra_days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
    ) -> WorkingCalendar:
        return cls(
            tz=tz,
            hours=dict(hours or DEFAULT_HOURS),
            days_off=national_days_off(years) | frozenset(extra_days_off),
            working_days=frozenset(working_days),
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of `day` as aware datetimes, or None on a day off."""
        if day in self.days_off and day not in self.working_days:
            return None
        hours = self.hours.get(day.weekday())
        if hours is None:
            return None
        zone = ZoneInfo(self.tz)
        return datetime.combine(day, hours[0], zone), datetime.combine(day, hours[1], zone)

    def is_working_time(self, at: datetime) -> bool:
        local = _aware(at).astimezone(ZoneInfo(self.tz))
        win = self.window(local.date())
        return win is not None and win[0] <= local < win[1]

    def working_minutes(self, start: datetime, end: datetime) -> float:
        """Working minutes in [start, end) — 0 when end is not after start."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0.0
        zone = ZoneInfo(self.tz)
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        total = 0.0
        for _ in range(_MAX_DAYS):
            if day > last:
                break
            win = self.window(day)
            if win is not None:
                lo, hi = max(win[0], start), min(win[1], end)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 60
            day += timedelta(days=1)
        return total

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant at which `minutes` working minutes have passed since `start`."""
        start = _aware(start)
        zone = ZoneInfo(self.tz)
        day = start.astimezone(zone).date()
        left = max(0.0, minutes)
        for _ in range(_MAX_DAYS):
            win = self.window(day)
            if win is not None:
                lo = max(win[0], start)
                if win[1] > lo:
                    available = (win[1] - lo).total_seconds() / 60
                    if left <= available:
                        return (lo + timedelta(minutes=left)).astimezone(UTC)
                    left -= available
            day += timedelta(days=1)
        raise ValueError("no working time within three years / tidak ada jam kerja")


def _aware(at: datetime) -> datetime:
    # The store gives naive UTC on SQLite and aware UTC on PostgreSQL.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


# --- steps and their limits -------------------------------------------------------------

S = RequestState


@dataclass(frozen=True)
class SlaStep:
    name: str
    label: str  # Bahasa Indonesia / English
    starts: frozenset[RequestState]  # entering one of these starts the clock
    ends: frozenset[RequestState]  # entering one of these stops it for good


# The SOP (Tapin, subdomain): disposition 30 min → name check 2 h → create 4 h → letter 1 day.
STEPS: tuple[SlaStep, ...] = (
    SlaStep(
        "disposition",
        "Disposisi / Disposition",
        frozenset({S.SUBMITTED}),
        frozenset({S.VERIFIED, S.APPROVED, S.REJECTED, S.RETURNED}),
    ),
    SlaStep(
        "availability",
        "Pemeriksaan ketersediaan nama / Name availability check",
        frozenset({S.SUBMITTED}),
        frozenset({S.APPROVED, S.REJECTED}),
    ),
    SlaStep(
        "create",
        "Pembuatan subdomain / Creating the subdomain",
        frozenset({S.APPROVED}),
        frozenset({S.LIVE, S.LETTER_ISSUED, S.RETIRED, S.UNDONE}),
    ),
    SlaStep(
        "letter",
        "Surat balasan / Reply letter",
        frozenset({S.LIVE}),
        frozenset({S.LETTER_ISSUED, S.RETIRED}),
    ),
)

# Working minutes; "1 working day" is one full Mon–Thu day (8 h).
DEFAULT_LIMITS: dict[str, int] = {
    "disposition": 30,
    "availability": 120,
    "create": 240,
    "letter": 480,
}


@dataclass(frozen=True)
class StepClock:
    step: str
    label: str
    limit_minutes: int
    used_minutes: float
    started_at: datetime | None
    ended_at: datetime | None
    due_at: datetime | None  # None while paused or not started
    paused: bool
    overdue: bool

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.ended_at is None


def compute_clocks(
    history: Sequence[tuple[datetime, RequestState]],
    now: datetime,
    calendar: WorkingCalendar,
    limits: dict[str, int] | None = None,
) -> list[StepClock]:
    """Every SLA step's clock from the request's state history (time-ordered moves).
    A step starts at the first move into one of its start states and ends at the first
    later move into an end state; time spent in a state that waits on the OPD is not
    counted, and a resubmission after a return resumes the same clock."""
    limits = {**DEFAULT_LIMITS, **(limits or {})}
    now = _aware(now)
    ordered = sorted(((_aware(at), state) for at, state in history), key=lambda h: h[0])
    clocks: list[StepClock] = []
    for step in STEPS:
        started = ended = None
        for at, state in ordered:
            if started is None and state in step.starts:
                started = at
            elif started is not None and state in step.ends:
                ended = at
                break
        limit = limits[step.name]
        if started is None:
            clocks.append(
                StepClock(step.name, step.label, limit, 0.0, None, None, None, False, False)
            )
            continue
        stop = ended or now
        paused_spans = _paused_spans(ordered, started, stop)
        paused_minutes = sum(calendar.working_minutes(a, b) for a, b in paused_spans)
        used = calendar.working_minutes(started, stop) - paused_minutes
        paused_now = ended is None and bool(paused_spans) and paused_spans[-1][1] == stop
        due = None
        if not paused_now:
            due = calendar.add_working_minutes(started, limit + paused_minutes)
        clocks.append(
            StepClock(
                step=step.name,
                label=step.label,
                limit_minutes=limit,
                used_minutes=round(used, 2),
                started_at=started,
                ended_at=ended,
                due_at=due,
                paused=paused_now,
                overdue=used > limit,
            )
        )
    return clocks


def _paused_spans(
    ordered: Sequence[tuple[datetime, RequestState]], start: datetime, stop: datetime
) -> list[tuple[datetime, datetime]]:
    """Intervals inside [start, stop] during which the request waited on the OPD."""
    spans: list[tuple[datetime, datetime]] = []
    pause_from: datetime | None = None
    for at, state in ordered:
        if at > stop:
            break
        if state in WAITS_ON_OPD:
            pause_from = pause_from or at
        elif pause_from is not None:
            spans.append((max(pause_from, start), at))
            pause_from = None
    if pause_from is not None:
        spans.append((max(pause_from, start), stop))
    return [(a, b) for a, b in spans if b > a]
