"""Overdue SOP steps: a request under an SOP whose current step has used more working time
(the SOP's service hours, minus the calendar's days off) than the step's limit. The periodic
sweep tells the accounts acting for the step's SOP role and the Kepala Dinas (the approver
accounts), by the notifier's e-mail and webhook, once per visit of the step: the visit's start
is kept on the request (`overdue_notified_for`), so a second sweep sends nothing and the next
visit (after a return) is announced again. A step the OPD acts on is paused, never overdue.
`listing` is the read model a dashboard shows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from provisioner.domain.actors import Role
from provisioner.domain.audit import as_utc
from provisioner.domain.errors import ProvisionerError
from provisioner.domain.sop import SopRole
from provisioner.domain.sop_run import ACTS_AS, SOP_ROLE_NAMES, step_clocks
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.procedures import Procedure
from provisioner.store.repositories import (
    audit as audit_repo,
    people as people_repo,
    procedures as repo,
)
from provisioner.workflow.people.notify import Notifier
from provisioner.workflow.procedures.notices import Notice, deliver, page_link
from provisioner.workflow.procedures.reminders import SCHEDULER
from provisioner.workflow.procedures.views import definition_of, state_of

log = logging.getLogger(__name__)

EVENT = "sop_overdue"
SUBJECT = "Langkah SOP melewati batas waktu / SOP step overdue"


@dataclass(frozen=True)
class OverdueStep:
    """The current step of an open request, past its limit in working time."""

    procedure_id: int
    ticket: str
    title: str
    agency: str
    step: str
    step_name: str  # "Penerimaan surat / Receipt of the letter"
    role: str  # the SOP role acting for the step: kadis, kabid, team …
    role_name: str
    limit: str | None  # as the SOP writes it: "20m", "1d"
    limit_minutes: int
    used_minutes: float
    due_at: datetime | None
    visit_start: datetime  # when this visit of the step began
    notified: bool  # this visit was already announced


@dataclass(frozen=True)
class OverdueSteps:
    store: Store
    days_off: Callable[[], frozenset[date]]  # the admin's working calendar (as Procedures)
    notifier: Notifier | None = None  # its e-mail and webhook channels; None: record only

    def listing(self, now: datetime | None = None) -> list[OverdueStep]:
        """Open requests whose current step is overdue, oldest request first."""
        now = as_utc(now or utcnow())
        days_off = self.days_off()
        found: list[OverdueStep] = []
        with self.store.read() as s:
            for row in repo.under_way(s):
                try:
                    item = _overdue(s, row, now, days_off)
                except ProvisionerError as exc:  # one unreadable request stops no other
                    log.warning("clock of %s not checked: %s", row.ticket, exc.message)
                    continue
                if item is not None:
                    found.append(item)
        return found

    def sweep(self, *, now: datetime | None = None) -> list[OverdueStep]:
        """Announce once every overdue visit not announced yet: record it (audit) and notify
        the step's role and the approvers. Returns the visits announced now."""
        announced: list[OverdueStep] = []
        for item in self.listing(now):
            if item.notified:
                continue
            with self.store.session() as s:
                if not repo.mark_overdue_notified(s, item.procedure_id, item.visit_start):
                    continue  # another sweep got there first
                row = repo.get_procedure(s, item.procedure_id)
                audit_repo.record_event(
                    s,
                    actor=SCHEDULER,
                    action="procedure:step_overdue",
                    request_id=row.request_id,
                    detail={
                        "procedure": item.ticket,
                        "step": item.step,
                        "role": item.role,
                        "visit_start": item.visit_start.isoformat(),
                        "limit_minutes": item.limit_minutes,
                        "used_minutes": item.used_minutes,
                    },
                )
            announced.append(item)
            self._notify(item)
        return announced

    def _notify(self, item: OverdueStep) -> None:
        notifier = self.notifier
        if notifier is None:
            return
        link = page_link(notifier, item.procedure_id)
        subject = f"[{item.ticket}] {SUBJECT}"
        body = _body(item, link)
        with self.store.read() as s:
            recipients = recipients_for(s, item.role)
        base = notifier.public_url.rstrip("/")
        deliver(self.store, notifier, Notice(
            EVENT, item.procedure_id, item.ticket, subject, body, recipients,
            lambda link: _payload(item, subject, body, link, base),
        ))  # fmt: skip


def _overdue(
    s: Session, row: Procedure, now: datetime, days_off: frozenset[date]
) -> OverdueStep | None:
    definition = definition_of(row)
    state = state_of(row, repo.steps(s, row.id))
    since = state.current_since
    if state.current is None or since is None or since > now:
        return None
    step = definition.step(state.current)
    if step.waits_on_opd or step.limit is None:
        return None  # paused while the OPD acts; no limit, never overdue
    calendar = definition.service_hours.calendar(days_off)
    clock = step_clocks(definition, state, now, calendar)[-1]
    if not clock.overdue:
        return None
    seen = row.overdue_notified_for
    notified = seen is not None and as_utc(seen) == as_utc(since)
    return OverdueStep(
        procedure_id=row.id,
        ticket=row.ticket,
        title=row.title,
        agency=row.agency,
        step=step.key,
        step_name=step.name.text.joined(),
        role=str(step.role),
        role_name=SOP_ROLE_NAMES[step.role].joined(),
        limit=step.limit,
        limit_minutes=clock.limit_minutes,
        used_minutes=clock.used_minutes,
        due_at=clock.due_at,
        visit_start=since,
        notified=notified,
    )


def recipients_for(s: Session, sop_role: str) -> list[str]:
    """The active accounts acting for the SOP role, and the approvers (the head sees every
    overdue step); never an OPD account — an OPD step is paused."""
    roles = {str(r) for r in ACTS_AS.get(SopRole(sop_role), frozenset())}
    roles = (roles - {str(Role.OPD)}) | {str(Role.APPROVER)}
    users = people_repo.list_users(s)
    emails = [u.email for u in users if u.email and not u.disabled and u.role in roles]
    return list(dict.fromkeys(emails))


def _body(item: OverdueStep, link: str) -> str:
    due = f"{item.due_at:%Y-%m-%d %H:%M} UTC" if item.due_at else "-"
    return (
        f"{SUBJECT}\n\n"
        f"Tiket / Ticket: {item.ticket}\n"
        f"Permohonan / Request: {item.title}\n"
        f"OPD / Agency: {item.agency}\n"
        f"Langkah / Step: {item.step_name}\n"
        f"Pelaksana / Done by: {item.role_name}\n"
        f"Batas / Limit: {item.limit} ({item.limit_minutes} menit / minutes)\n"
        f"Terpakai / Used: {item.used_minutes:.0f} menit kerja / working minutes\n"
        f"Jatuh tempo / Due: {due}\n"
        f"\nBuka / Open: {link}\n"
    )


def _payload(item: OverdueStep, subject: str, body: str, link: str, base: str) -> dict[str, Any]:
    return {
        "event": EVENT, "procedure_id": item.procedure_id, "ticket": item.ticket,
        "agency": item.agency, "step": item.step, "role": item.role,
        "limit_minutes": item.limit_minutes, "used_minutes": item.used_minutes,
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "visit_start": item.visit_start.isoformat(), "subject": subject, "text": body,
        "link": link, "links": {"api": f"{base}/api/v1/procedures/{item.procedure_id}"},
    }  # fmt: skip
