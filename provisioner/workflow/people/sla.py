"""SLA clocks of real requests, the overdue sweep and the six-month evaluation reminder
(Tapin SOP step 17). Pure clock logic lives in provisioner/domain/sla.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from provisioner.config import Settings
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.audit import as_utc
from provisioner.domain.errors import InvalidInput
from provisioner.domain.sla import (
    DEFAULT_LIMITS,
    STEPS as SLA_STEPS,
    StepClock,
    WorkingCalendar,
    compute_clocks,
)
from provisioner.domain.states import RequestState
from provisioner.domain.text import check_visible
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.repositories import (
    audit as audit_repo,
    people as people_repo,
    requests as requests_repo,
)
from provisioner.workflow.people.notify import Notifier

log = logging.getLogger(__name__)

# Audit actions that move a request, and the state each one moves it into.
_ACTION_STATES: dict[str, RequestState] = {
    "request:submitted": RequestState.SUBMITTED,
    "request:resubmitted": RequestState.SUBMITTED,
    "request:verified": RequestState.VERIFIED,
    "request:approved": RequestState.APPROVED,
    "request:rejected": RequestState.REJECTED,
    "request:returned": RequestState.RETURNED,
    "request:completed": RequestState.COMPLETED,
}
OPEN_STATES = [
    s
    for s in RequestState
    if s
    not in (
        RequestState.REJECTED, RequestState.RETIRED, RequestState.COMPLETED, RequestState.UNDONE
    )
]


def state_of_action(action: str) -> RequestState | None:
    if action in _ACTION_STATES:
        return _ACTION_STATES[action]
    if action.startswith("state:"):  # the job runner's moves
        try:
            return RequestState(action.split(":", 1)[1])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class OverdueStep:
    request_id: int
    ticket: str
    agency: str
    clock: StepClock


@dataclass(frozen=True)
class CalendarOverride:
    day: date
    kind: str  # off | working
    note: str


@dataclass(frozen=True)
class AgencyLimits:
    agency: str
    timezone: str
    limits: dict[str, int]


@dataclass(frozen=True)
class SlaSettings:
    """What the admin sees of the SLA set-up: the calendar's overrides, the limits every
    agency gets (working minutes per step), and the agencies with limits of their own."""

    overrides: list[CalendarOverride]
    default_limits: dict[str, int]
    steps: list[tuple[str, str]]  # (step, label)
    agencies: list[AgencyLimits]
    timezone: str


@dataclass
class SlaService:
    store: Store
    settings: Settings
    notifier: Notifier | None = None

    def calendar(self, agency: str | None = None) -> WorkingCalendar:
        """The agency's calendar: its time zone, national days off, admin overrides."""
        now = utcnow()
        with self.store.read() as s:
            cfg = people_repo.agency_sla(s, agency) if agency else None
            days = list(people_repo.calendar_days(s))
        return WorkingCalendar.for_years(
            range(now.year - 1, now.year + 2),
            tz=cfg.timezone if cfg else self.settings.timezone,
            extra_days_off=[d.day for d in days if d.kind == "off"],
            working_days=[d.day for d in days if d.kind == "working"],
        )

    def limits(self, agency: str | None = None) -> dict[str, int]:
        with self.store.read() as s:
            cfg = people_repo.agency_sla(s, agency) if agency else None
        return {**DEFAULT_LIMITS, **self.settings.sla_limits, **(cfg.limits if cfg else {})}

    def clocks(
        self, request_id: int, actor: Actor | None = None, *, now: datetime | None = None
    ) -> list[StepClock]:
        """Every SLA step of one request (the OPD sees only its own)."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            if actor is not None:
                ensure_allowed(actor, Action.VIEW, agency=req.agency)
            agency = req.agency
            history = [
                (at, state)
                for at, action in audit_repo.state_history(s, request_id)
                if (state := state_of_action(action)) is not None
            ]
        return compute_clocks(history, now or utcnow(), self.calendar(agency), self.limits(agency))

    def overdue(
        self, actor: Actor | None = None, *, now: datetime | None = None
    ) -> list[OverdueStep]:
        """Running steps past their limit, for the dashboards and the sweep."""
        if actor is not None:
            ensure_allowed(actor, Action.DASHBOARD)
        with self.store.read() as s:
            rows = [(r.id, r.ticket, r.agency) for r in requests_repo.open_requests(s, OPEN_STATES)]
        found: list[OverdueStep] = []
        for request_id, ticket, agency in rows:
            for clock in self.clocks(request_id, now=now):
                if clock.running and clock.overdue:
                    found.append(OverdueStep(request_id, ticket, agency, clock))
        return found

    def sweep_overdue(self, *, now: datetime | None = None) -> list[OverdueStep]:
        """Flag each overdue step once (an audit entry) and notify who must act."""
        flagged: list[OverdueStep] = []
        for item in self.overdue(now=now):
            with self.store.session() as s:
                seen = audit_repo.actions_for_request(s, item.request_id, "sla:overdue")
                if any((e.detail or {}).get("step") == item.clock.step for e in seen):
                    continue
                audit_repo.record_event(
                    s,
                    actor="scheduler",
                    action="sla:overdue",
                    request_id=item.request_id,
                    detail={
                        "step": item.clock.step,
                        "limit_minutes": item.clock.limit_minutes,
                        "used_minutes": item.clock.used_minutes,
                    },
                )
            flagged.append(item)
            if self.notifier is not None:
                self.notifier.notify(
                    "overdue",
                    item.request_id,
                    f"Langkah / Step: {item.clock.label} — {item.clock.used_minutes:.0f} / "
                    f"{item.clock.limit_minutes} menit kerja / working minutes",
                )
        return flagged

    def sweep_evaluations(self, *, now: datetime | None = None) -> list[int]:
        """Remind once, six months after go-live, that the site is due for evaluation."""
        now = now or utcnow()
        cutoff = now - timedelta(days=self.settings.evaluation_after_days)
        live = [RequestState.LIVE, RequestState.LETTER_ISSUED]
        due: list[int] = []
        with self.store.session() as s:
            for req in requests_repo.open_requests(s, live):
                if req.evaluation_reminded_at or req.live_at is None:
                    continue
                if as_utc(req.live_at) <= cutoff:
                    req.evaluation_reminded_at = now
                    audit_repo.record_event(
                        s,
                        actor="scheduler",
                        action="evaluation:due",
                        request_id=req.id,
                        detail={"live_at": as_utc(req.live_at).isoformat()},
                    )
                    due.append(req.id)
        if self.notifier is not None:
            for request_id in due:
                self.notifier.notify("evaluation", request_id)
        return due

    # --- admin: calendar overrides and per-agency limits ---------------------------

    def settings_view(self, actor: Actor) -> SlaSettings:
        """The calendar's overrides and the SLA limits, for the admin's page."""
        ensure_allowed(actor, Action.MANAGE_USERS)
        with self.store.read() as s:
            overrides = [
                CalendarOverride(d.day, d.kind, d.note) for d in people_repo.calendar_days(s)
            ]
            agencies = [
                AgencyLimits(a.agency, a.timezone, {k: int(v) for k, v in (a.limits or {}).items()})
                for a in people_repo.agency_slas(s)
            ]
        return SlaSettings(
            overrides,
            {**DEFAULT_LIMITS, **self.settings.sla_limits},
            [(step.name, step.label) for step in SLA_STEPS],
            agencies,
            self.settings.timezone,
        )

    def set_day(self, actor: Actor, day: date, kind: str, note: str = "") -> None:
        """`off`: a regional day off; `working`: a listed holiday that is worked after all."""
        ensure_allowed(actor, Action.MANAGE_USERS)
        if kind not in ("off", "working"):
            raise InvalidInput("kind", "Pilih 'off' atau 'working' / Choose 'off' or 'working'")
        check_visible("note", note)
        with self.store.session() as s:
            people_repo.set_calendar_day(s, day, kind, note[:200])
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="calendar:set",
                detail={"day": day.isoformat(), "kind": kind, "note": note[:200]},
            )

    def set_agency_limits(
        self, actor: Actor, agency: str, limits: dict[str, int], timezone: str | None = None
    ) -> None:
        ensure_allowed(actor, Action.MANAGE_USERS)
        check_visible("agency", agency)
        unknown = set(limits) - set(DEFAULT_LIMITS)
        if unknown or any(not isinstance(v, int) or v <= 0 for v in limits.values()):
            raise InvalidInput(
                "limits",
                f"Langkah yang dikenal: {', '.join(DEFAULT_LIMITS)}; menit > 0 / "
                f"Known steps: {', '.join(DEFAULT_LIMITS)}; minutes > 0",
            )
        tz = timezone or self.settings.timezone
        if tz not in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"):
            raise InvalidInput(
                "timezone", "WIB/WITA/WIT: Asia/Jakarta, Asia/Makassar, Asia/Jayapura"
            )
        with self.store.session() as s:
            people_repo.set_agency_sla(s, agency, tz, limits)
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="sla:limits",
                detail={"agency": agency, "limits": limits, "timezone": tz},
            )


def scheduled_people_sweep(service: SlaService) -> None:
    """Periodic work: overdue SLA steps and evaluation reminders (notified)."""
    flagged = service.sweep_overdue()
    due = service.sweep_evaluations()
    if flagged or due:
        log.info("SLA sweep: %d overdue steps flagged, %d evaluations due", len(flagged), len(due))
