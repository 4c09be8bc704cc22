"""Sending one notice about a request under an SOP (an evaluation due again, an overdue
step) through the notifier's e-mail and webhook, and recording what was sent or why not —
never stopping the sweep that asked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.domain.errors import ProvisionerError
from provisioner.store.db import Store
from provisioner.store.repositories import audit as audit_repo, procedures as repo
from provisioner.workflow.people.notify import Notifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    event: str
    procedure_id: int
    ticket: str
    subject: str
    body: str
    recipients: Sequence[str]
    # The webhook's payload, given the link to the request's page.
    payload: Callable[[str], dict[str, Any]]


def page_link(notifier: Notifier, procedure_id: int) -> str:
    return f"{notifier.public_url.rstrip('/')}/sop/{procedure_id}"


def deliver(store: Store, notifier: Notifier | None, notice: Notice) -> None:
    """Send `notice` by every channel the notifier has; audit `notify:sent` or
    `notify:failed` with what happened on each."""
    if notifier is None or (notifier.mailer is None and notifier.webhook is None):
        return
    try:
        _send(store, notifier, notice)
    except Exception:  # a notification must never stop the sweep
        log.exception("%s notice for %s failed", notice.event, notice.ticket)


def _send(store: Store, notifier: Notifier, notice: Notice) -> None:
    link = page_link(notifier, notice.procedure_id)
    outcome: dict[str, Any] = {"event": notice.event, "procedure": notice.ticket, "link": link}
    if notifier.mailer is not None and notice.recipients:
        try:
            notifier.mailer.send(list(notice.recipients), notice.subject, notice.body)
            outcome["mail"] = list(notice.recipients)
        except ProvisionerError as exc:
            outcome["mail_error"] = exc.message
    if notifier.webhook is not None:
        try:
            notifier.webhook.post(notice.payload(link))
            outcome["webhook"] = notifier.webhook.url
        except ProvisionerError as exc:
            outcome["webhook_error"] = exc.message
    failed = "mail_error" in outcome or "webhook_error" in outcome
    with store.session() as s:
        request_id = repo.get_procedure(s, notice.procedure_id).request_id
        audit_repo.record_event(
            s,
            actor="notifier",
            action="notify:failed" if failed else "notify:sent",
            request_id=request_id,
            detail=outcome,
        )
