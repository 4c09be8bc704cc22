"""E-mail over SMTP (smtplib). Library errors become ServerUnreachable naming the server."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from provisioner.domain.errors import ServerUnreachable


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int = 25
    sender: str = "provisioner@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def send(self, to: list[str], subject: str, body: str) -> None:
        """Send one plain-text message to every address in `to` (one SMTP transaction)."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        msg["Subject"] = subject
        msg.set_content(body)
        server = f"{self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnreachable("mail", server, f"{type(exc).__name__}: {exc}") from exc
        if refused:
            raise ServerUnreachable("mail", server, f"recipients refused: {sorted(refused)}")
