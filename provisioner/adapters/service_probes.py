"""Does a service provisioner depends on answer? The ACME directory (its JSON names the
endpoints certbot needs) and the SMTP server (greeting, EHLO, STARTTLS when asked for).
Each returns a fact (ServiceAnswer); nothing is raised."""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ACME_ENDPOINTS = ("newNonce", "newAccount", "newOrder")


@dataclass(frozen=True)
class ServiceAnswer:
    ok: bool
    detail: str
    seconds: float


def _failure(exc: Exception, started: float) -> ServiceAnswer:
    return ServiceAnswer(False, f"{type(exc).__name__}: {exc}"[:300], time.monotonic() - started)


def acme_directory(url: str, ca_file: Path | None, *, timeout: float = 5.0) -> ServiceAnswer:
    """GET the ACME directory (trusting `ca_file` when it exists, else the system store) and
    check it names the endpoints an order needs."""
    started = time.monotonic()
    verify: ssl.SSLContext | bool = True
    if ca_file is not None and ca_file.is_file():
        verify = ssl.create_default_context(cafile=str(ca_file))
    try:
        response = httpx.get(url, verify=verify, timeout=timeout)
        body = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError) as exc:
        return _failure(exc, started)
    elapsed = time.monotonic() - started
    if response.status_code != 200:
        return ServiceAnswer(False, f"HTTP {response.status_code}", elapsed)
    absent = [key for key in ACME_ENDPOINTS if not isinstance(body, dict) or key not in body]
    if absent:
        return ServiceAnswer(False, f"not an ACME directory: no {', '.join(absent)}", elapsed)
    return ServiceAnswer(True, f"HTTP 200, {', '.join(ACME_ENDPOINTS)} present", elapsed)


def smtp_greeting(
    host: str, port: int, *, starttls: bool, timeout: float = 5.0
) -> ServiceAnswer:
    """Connect, EHLO, STARTTLS when configured, QUIT: the server accepts a connection."""
    started = time.monotonic()
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            code, _ = smtp.ehlo()
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
                code, _ = smtp.ehlo()
            banner = f"EHLO {code}" + (" after STARTTLS" if starttls else "")
    except (OSError, smtplib.SMTPException) as exc:
        return _failure(exc, started)
    return ServiceAnswer(code == 250, banner, time.monotonic() - started)
