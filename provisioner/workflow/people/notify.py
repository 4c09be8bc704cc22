"""Notifications by e-mail and webhook, each with a direct link to the item that needs
action. A failed notification is recorded and never fails the workflow step that sent it."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from provisioner.domain.actors import Role
from provisioner.domain.errors import ProvisionerError
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.repositories import (
    audit as audit_repo,
    letters as letters_repo,
    people as people_repo,
    requests as requests_repo,
)
from provisioner.workflow.ports import Mailer, Webhook

log = logging.getLogger(__name__)

# Who has to act next, per event. "requester" = the OPD user who created the request
# (and the contact e-mail given in the form).
AUDIENCE: dict[str, tuple[str, ...]] = {
    "submitted": (Role.NETWORK,),
    "approved": ("requester", Role.TECHNICAL),
    "rejected": ("requester",),
    "returned": ("requester",),
    "live": ("requester", Role.APPROVER),
    "letter_issued": ("requester", Role.APPROVER),
    "overdue": (Role.NETWORK, Role.APPROVER),
    "evaluation": ("requester", Role.NETWORK),
}

SUBJECTS: dict[str, str] = {
    "submitted": "Permohonan baru menunggu disposisi / New request awaiting disposition",
    "approved": "Permohonan disetujui / Request approved",
    "rejected": "Permohonan ditolak / Request rejected",
    "returned": "Permohonan dikembalikan untuk perbaikan / Request returned for revision",
    "live": "Situs aktif / Site live",
    "letter_issued": "Surat terbit, mohon persetujuan / Letter issued, approval needed",
    "overdue": "Melewati batas waktu SLA / SLA step overdue",
    "evaluation": "Evaluasi 6 bulan setelah aktif / Six-month evaluation due",
}

# Request states the job runner reaches that people are told about (runner.on_request_state).
STATE_EVENTS: dict[str, str] = {
    RequestState.LIVE: "live",
    RequestState.LETTER_ISSUED: "letter_issued",
}
# Sent once per request: a job retried after going live does not announce it again.
ONCE_EVENTS = frozenset({"live"})


@dataclass(frozen=True)
class Notice:
    event: str
    request_id: int
    ticket: str
    fqdn: str
    subject: str
    body: str
    link: str
    recipients: list[str]
    # Further direct links for this event (the live site, the letter's PDF …).
    links: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "request_id": self.request_id,
            "ticket": self.ticket,
            "fqdn": self.fqdn,
            "subject": self.subject,
            "text": self.body,
            "link": self.link,
            "links": self.links,
        }


LINK_TITLES: dict[str, str] = {
    "site": "Situs / Site",
    "status": "Status",
    "letter": "Surat (PDF) / Letter (PDF)",
    "letter_number": "Nomor surat / Letter number",
    "verify": "Verifikasi / Verification",
}


def request_link(public_url: str, request_id: int) -> str:
    """The page where the item waits for action (/requests/{id})."""
    return f"{public_url.rstrip('/')}/requests/{request_id}"


@dataclass
class Notifier:
    store: Store
    public_url: str
    mailer: Mailer | None = None
    webhook: Webhook | None = None
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="notify"), repr=False
    )

    def compose(self, event: str, request_id: int, extra: str = "") -> Notice:
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            recipients: list[str] = []
            for who in AUDIENCE.get(event, ()):
                if who == "requester":
                    user = people_repo.user_by_name(s, req.created_by)
                    recipients += [
                        e for e in (user.email if user else None, req.contact_email) if e
                    ]
                else:
                    recipients += [
                        u.email
                        for u in people_repo.list_users(s)
                        if u.role == who and u.email and not u.disabled
                    ]
            link = request_link(self.public_url, req.id)
            links = self._event_links(s, event, req.id, req.fqdn)
            subject = f"[{req.ticket}] {SUBJECTS.get(event, event)}"
            body = (
                f"{SUBJECTS.get(event, event)}\n\n"
                f"Tiket / Ticket: {req.ticket}\n"
                f"Subdomain: {req.fqdn}\n"
                f"OPD / Agency: {req.agency}\n"
                f"Status: {req.state}\n"
                + (f"\n{extra}\n" if extra else "")
                + "".join(f"{LINK_TITLES[k]}: {v}\n" for k, v in links.items())
                + f"\nBuka / Open: {link}\n"
            )
            ticket, fqdn = req.ticket, req.fqdn
        unique = list(dict.fromkeys(recipients))
        return Notice(event, request_id, ticket, fqdn, subject, body, link, unique, links)

    def _event_links(self, s: Any, event: str, request_id: int, fqdn: str) -> dict[str, str]:
        base = self.public_url.rstrip("/")
        if event == "live":
            return {"site": f"http://{fqdn}/", "status": f"{base}/site/{fqdn}"}
        if event == "letter_issued":
            letter = letters_repo.letter_for_request(s, request_id)
            if letter is not None:
                return {
                    "letter": f"{base}/letters/{letter.id}.pdf",
                    "letter_number": letter.number,
                    "verify": f"{base}/verify/{letter.verification_code}",
                }
        return {}

    def _already_sent(self, event: str, request_id: int) -> bool:
        with self.store.read() as s:
            return any(
                e.action == "notify:sent" and (e.detail or {}).get("event") == event
                for e in audit_repo.events_for_request(s, request_id)
            )

    def notify(self, event: str, request_id: int, extra: str = "") -> Notice:
        """Send now (both channels that are configured) and record the outcome."""
        notice = self.compose(event, request_id, extra)
        if self.mailer is None and self.webhook is None:
            return notice  # no channel configured: nothing sent, nothing to record
        outcome: dict[str, Any] = {"event": event, "link": notice.link}
        if self.mailer is not None and notice.recipients:
            try:
                self.mailer.send(notice.recipients, notice.subject, notice.body)
                outcome["mail"] = notice.recipients
            except ProvisionerError as exc:
                outcome["mail_error"] = exc.message
        if self.webhook is not None:
            try:
                self.webhook.post(notice.payload())
                outcome["webhook"] = self.webhook.url
            except ProvisionerError as exc:
                outcome["webhook_error"] = exc.message
        failed = "mail_error" in outcome or "webhook_error" in outcome
        with self.store.session() as s:
            audit_repo.record_event(
                s,
                actor="notifier",
                action="notify:failed" if failed else "notify:sent",
                request_id=request_id,
                detail=outcome,
            )
        return notice

    def announce_state(self, request_id: int, state: str) -> None:
        """Hook for the job runner: a request reached a state people are told about (live,
        letter issued) — the requester and the person responsible, with direct links."""
        event = STATE_EVENTS.get(state)
        if event is not None:
            self.notify_later(request_id, event)

    def notify_later(self, request_id: int, event: str) -> None:
        """Hand-off hook for the request workflow: send in the background so a slow mail
        server never holds up an approval."""
        if self.mailer is not None or self.webhook is not None:
            self._pool.submit(self._safe_notify, event, request_id)

    def _safe_notify(self, event: str, request_id: int) -> None:
        try:
            if event in ONCE_EVENTS and self._already_sent(event, request_id):
                return
            self.notify(event, request_id)
        except Exception:  # a notification must never take the service down
            log.exception("notification %s for request %s failed", event, request_id)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
