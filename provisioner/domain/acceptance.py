"""When a site passes: the acceptance rules applied to what the adapters measured — days
left on a certificate, an HTTP status, the security headers a page sent.

Pure: the adapters measure, these functions decide, so each rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

# A certificate closer than this to its end fails the checks (the renewal runs at 30 days).
TLS_MIN_DAYS = 7
# Headers every site's home page must send, with these values (case-insensitive).
SECURITY_HEADERS: Mapping[str, str] = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
}


def certificate_long_enough(days_left: int, min_days: int = TLS_MIN_DAYS) -> bool:
    """Does a certificate with `days_left` pass the checks?"""
    return days_left > min_days


def certificate_current(days_left: int) -> bool:
    """Is the certificate still valid at all (what the status page shows as ok)?"""
    return days_left > 0


def renewal_due(days_left: int, renew_days: int) -> bool:
    """Is a certificate with `days_left` due for renewal (a window of `renew_days`)?"""
    return days_left < renew_days


def tls_verdict(
    fqdn: str,
    *,
    not_after: datetime | None,
    days_left: int | None,
    problem: str | None,
    min_days: int = TLS_MIN_DAYS,
) -> tuple[bool, str]:
    """(passed, detail) of the HTTPS check from a verifying handshake's outcome: failed with
    `problem` when the chain or the name did not verify, else passed while the certificate
    has more than `min_days` days left."""
    if problem is not None or not_after is None or days_left is None:
        return False, problem or "tidak ada sertifikat / no certificate"
    detail = f"valid for {fqdn}, expires {not_after:%Y-%m-%d} ({days_left} days left)"
    return certificate_long_enough(days_left, min_days), detail


def page_passes(status: int, marker_found: bool) -> bool:
    """The site's home page: 200, with the app's marker where the app names one."""
    return status == 200 and marker_found


def health_passes(status: int, expected: int = 200) -> bool:
    """The app's health URL answers the status its manifest names (200 unless it says)."""
    return status == expected


def site_answers(status: int) -> bool:
    """For the status page a site is up when its home page is not an error (< 400)."""
    return status < 400


def missing_security_headers(headers: Mapping[str, str]) -> list[str]:
    """The required security headers that are absent or carry another value."""
    return [
        name
        for name, value in SECURITY_HEADERS.items()
        if headers.get(name, "").lower() != value.lower()
    ]


# A home page may redirect (a CMS to its installer, an app to its login page) this many
# times, each time to the site itself, before it must answer.
MAX_REDIRECTS = 5


def home_verdict(
    responses: Sequence[tuple[str, int]], *, left_to: str | None, marker_found: bool
) -> tuple[bool, str]:
    """(passed, reason) of the home page from the chain of responses it took to answer: each
    (URL asked, status), redirects followed while they stayed on the site. `left_to` is a
    redirect's target that left the site (not followed). Passes when the chain stays on the
    site and ends in 200 with the marker; the reason names the chain either way."""
    chain = " → ".join(f"{status} {url}" for url, status in responses)
    if left_to is not None:
        return False, f"redirect leaves the site: {chain} → {left_to}"
    if not responses:
        return False, "no response"
    status = responses[-1][1]
    if 300 <= status < 400:
        return False, f"more than {MAX_REDIRECTS} redirects: {chain}"
    if not page_passes(status, marker_found):
        why = f"ends in HTTP {status}" if status != 200 else "marker missing"
        return False, f"{why}: {chain}" if len(responses) > 1 else why
    return True, f"redirected, ends in HTTP 200: {chain}" if len(responses) > 1 else "HTTP 200"
