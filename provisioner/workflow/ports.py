"""What the use cases need from the servers, as protocols: the composition root hands in
the adapters (provisioner/adapters) that fill them, so no use case imports one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class NameServers(Protocol):
    """Every authoritative name server's answer for a name: "absent", "exists" or
    "unreachable: …" by server (adapters.dns.zones.DnsAdapter)."""

    def availability(self, fqdn: str) -> dict[str, str]: ...


class PdfCheck(Protocol):
    """Refuses what is not a readable PDF of at most `max_bytes`; returns its page count
    (adapters.pdf_check.check_pdf)."""

    def __call__(self, data: bytes, *, max_bytes: int, field: str = ...) -> int: ...


class Mailer(Protocol):
    """Sends one plain-text e-mail (adapters.mail.SmtpMailer)."""

    def send(self, to: list[str], subject: str, body: str) -> None: ...


class Webhook(Protocol):
    """POSTs a JSON note to the agency's webhook (adapters.webhook.WebhookSender)."""

    @property
    def url(self) -> str: ...

    def post(self, payload: dict[str, Any]) -> None: ...


# A feasibility test provisioner runs itself on a site of the development server:
# (address, fqdn) → (passed, evidence).
FeasibilityProbe = Callable[[str, str], tuple[bool, dict[str, Any]]]
