"""Recurring evaluation reminders: a request under an SOP that waits at a step with
`repeat_every` (Tapin's "Evaluasi sistem", Kaltara's "Evaluasi berkala") is due again once
the period after the last evaluation has passed. The periodic sweep tells the Diskominfo's
team and the OPD, by the notifier's e-mail and webhook, once per visit of the step: the
visit's start is kept on the request (`reminded_for`), so a second sweep sends nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from provisioner.domain.actors import Role
from provisioner.domain.audit import as_utc
from provisioner.domain.errors import ProvisionerError
from provisioner.domain.sop import SopRole
from provisioner.domain.sop_run import ACTS_AS
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
from provisioner.workflow.procedures.views import definition_of, state_of

log = logging.getLogger(__name__)

EVENT = "sop_evaluation"
SUBJECT = "Evaluasi berkala jatuh tempo / Periodic evaluation due"
SCHEDULER = "scheduler"


@dataclass(frozen=True)
class EvaluationDue:
    """One visit of a repeating step that is due: which request, which step, since when."""

    procedure_id: int
    ticket: str
    title: str
    agency: str
    step: str
    step_name: str  # "Evaluasi sistem / System evaluation"
    period: str  # "182d"
    visit_start: datetime  # when this visit became due (RunState.current_since)
    created_by: str


@dataclass(frozen=True)
class EvaluationReminders:
    store: Store
    notifier: Notifier | None = None  # its e-mail and webhook channels; None: record only

    def due(self, *, now: datetime | None = None) -> list[EvaluationDue]:
        """Requests waiting at a repeating step whose visit has begun and was not reminded
        of yet, oldest request first."""
        now = as_utc(now or utcnow())
        found: list[EvaluationDue] = []
        with self.store.read() as s:
            for row in repo.under_way(s):
                try:
                    item = _due(s, row, now)
                except ProvisionerError as exc:  # one unreadable request stops no other
                    log.warning("evaluation of %s not checked: %s", row.ticket, exc.message)
                    continue
                if item is not None:
                    found.append(item)
        return found

    def sweep(self, *, now: datetime | None = None) -> list[EvaluationDue]:
        """Remind once of every visit that is due: record it (audit) and notify the team
        and the OPD. Returns the visits reminded of now."""
        reminded: list[EvaluationDue] = []
        for item in self.due(now=now):
            with self.store.session() as s:
                if not repo.mark_reminded(s, item.procedure_id, item.visit_start):
                    continue  # another sweep got there first
                row = repo.get_procedure(s, item.procedure_id)
                audit_repo.record_event(
                    s,
                    actor=SCHEDULER,
                    action="procedure:evaluation_due",
                    request_id=row.request_id,
                    detail={
                        "procedure": item.ticket,
                        "step": item.step,
                        "visit_start": item.visit_start.isoformat(),
                    },
                )
            reminded.append(item)
            self._notify(item)
        return reminded

    def _notify(self, item: EvaluationDue) -> None:
        notifier = self.notifier
        if notifier is None:
            return
        link = page_link(notifier, item.procedure_id)
        subject = f"[{item.ticket}] {SUBJECT}"
        body = (
            f"{SUBJECT}\n\n"
            f"Tiket / Ticket: {item.ticket}\n"
            f"Permohonan / Request: {item.title}\n"
            f"OPD / Agency: {item.agency}\n"
            f"Langkah / Step: {item.step_name}\n"
            f"Setiap / Every: {item.period}\n"
            f"Jatuh tempo sejak / Due since: {item.visit_start:%Y-%m-%d %H:%M} UTC\n"
            f"\nBuka / Open: {link}\n"
        )
        with self.store.read() as s:
            recipients = _recipients(s, item)
        api = f"{notifier.public_url.rstrip('/')}/api/v1/procedures/{item.procedure_id}"

        def payload(link: str) -> dict[str, Any]:
            return {
                "event": EVENT, "procedure_id": item.procedure_id, "ticket": item.ticket,
                "agency": item.agency, "step": item.step,
                "visit_start": item.visit_start.isoformat(), "subject": subject, "text": body,
                "link": link, "links": {"api": api},
            }  # fmt: skip

        notice = Notice(EVENT, item.procedure_id, item.ticket, subject, body, recipients, payload)
        deliver(self.store, notifier, notice)


def _due(s: Session, row: Procedure, now: datetime) -> EvaluationDue | None:
    definition = definition_of(row)
    keys = {step.key for step in definition.steps}
    if row.current_step not in keys or definition.step(row.current_step).repeat_every is None:
        return None
    state = state_of(row, repo.steps(s, row.id))
    since = state.current_since
    if state.current is None or since is None or since > now:
        return None  # not due again yet
    step = definition.step(state.current)
    if step.repeat_every is None:
        return None
    if row.reminded_for is not None and as_utc(row.reminded_for) == as_utc(since):
        return None  # this visit was reminded of
    return EvaluationDue(
        procedure_id=row.id,
        ticket=row.ticket,
        title=row.title,
        agency=row.agency,
        step=step.key,
        step_name=step.name.text.joined(),
        period=step.repeat_every,
        visit_start=since,
        created_by=row.created_by,
    )


def _recipients(s: Session, item: EvaluationDue) -> list[str]:
    """The Diskominfo's team (the accounts that act for `team`) and the OPD: whoever opened
    the request and the agency's active OPD accounts."""
    team = {str(r) for r in ACTS_AS[SopRole.TEAM]}
    emails: list[str] = []
    creator = people_repo.user_by_name(s, item.created_by)
    if creator is not None and creator.email and not creator.disabled:
        emails.append(creator.email)
    for user in people_repo.list_users(s):
        if not user.email or user.disabled:
            continue
        opd = user.role == Role.OPD and user.agency == item.agency
        if opd or user.role in team:
            emails.append(user.email)
    return list(dict.fromkeys(emails))
