"""Is a subdomain live? What an OPD asks today by phone: does it resolve on every
authoritative name server, does the site answer over HTTP, and until when is its TLS
certificate valid (read over the wire, so a renewal shows at once).

Anyone may ask, so the answer is bounded: only names in the registry (an agency's site
requested or live) are answered; only sites whose request was approved are checked over
DNS and HTTP; a name that is not live yet (under review, returned, rejected, retired)
says so without its agency, ticket or state; infrastructure names (the name servers,
reserved labels, dev names) are never checked on demand. Every name is first checked for
shape (`parse_site_name`), so a malformed one is a 422 before any DNS query.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from provisioner.domain.acceptance import certificate_current, site_answers
from provisioner.domain.errors import NotFound, ProvisionerError
from provisioner.domain.fqdn import SiteName, parse_site_name
from provisioner.domain.naming import DEFAULT_RESERVED
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.repositories import (
    dns as dns_repo,
    existing_sites as existing_repo,
    liveness as liveness_repo,
    requests as requests_repo,
)


class NameRecords(Protocol):
    @property
    def records(self) -> dict[str, list[str]]: ...


class NameServers(Protocol):
    """The zone's authoritative servers, asked directly (provisioner.adapters.dns)."""

    def nameservers(self) -> dict[str, str]: ...

    def lookup(self, fqdn: str, server: str) -> NameRecords: ...


class HomePage(Protocol):
    @property
    def status(self) -> int | None: ...

    @property
    def ms(self) -> float: ...

    @property
    def error(self) -> str | None: ...


class PresentedCertificate(Protocol):
    @property
    def not_after(self) -> datetime: ...

    @property
    def days_left(self) -> int: ...

    @property
    def subject_names(self) -> list[str]: ...


class SiteProbe(Protocol):
    """What a web host answers (provisioner.adapters.web_probe.WebProbe)."""

    def home(self, address: str, fqdn: str, *, timeout: float) -> HomePage: ...

    def certificate(
        self, address: str, fqdn: str, *, timeout: float
    ) -> PresentedCertificate | None: ...


@dataclass
class SiteStatus:
    fqdn: str
    live: bool
    nameservers: dict[str, list[str] | str]
    http: dict[str, Any]
    request: dict[str, Any] | None
    checked_at: datetime = field(default_factory=utcnow)
    # {"ok", "not_after", "days_left"} of the certificate served for the name, or
    # {"ok": False, "detail"} when there is none (HTTP only); None when not resolved.
    tls: dict[str, Any] | None = None


# A site is checked over DNS and HTTP once its request was approved: from then on the
# name is being created or exists. Before (submitted, verified, returned) and after
# (rejected, retired) the name is not live and nothing is asked of any server.
CHECKED_STATES = frozenset(
    {
        RequestState.APPROVED,
        RequestState.PROVISIONING,
        RequestState.TESTING_DEV,
        RequestState.PRODUCTION,
        RequestState.LIVE,
        RequestState.LETTER_ISSUED,
        RequestState.FAILED,
    }
)
NOT_LIVE = "Belum aktif / Not live"
# The state shown for a name whose record the network team adopted (no request made it).
ADOPTED = "adopted"
# The state shown for an existing site registered from a web server's vhosts.
EXISTING = "existing"


class StatusService:
    def __init__(
        self,
        store: Store,
        dns: NameServers,
        *,
        web: SiteProbe,
        zone: str,
        allowed_networks: list[str],
        zones: Iterable[str] = (),
        reserved: frozenset[str] = DEFAULT_RESERVED,
        ns_cache_seconds: float = 60.0,
        result_cache_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.dns = dns
        self.web = web
        self.zone = zone
        self.zones = (zone, *(z for z in zones if z != zone))  # every managed zone
        self.reserved = reserved  # labels of infrastructure (ns1, www, mail, dev …)
        self.networks = [ipaddress.ip_network(n) for n in allowed_networks]
        self.ns_cache_seconds = ns_cache_seconds
        self._ns: tuple[float, dict[str, str]] = (0.0, {})
        self.result_cache_seconds = result_cache_seconds
        self._results: dict[tuple[str, str | None, str | None], tuple[float, SiteStatus]] = {}
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str | None, str | None], threading.Event] = {}

    def _nameservers(self) -> dict[str, str]:
        # The NS set changes rarely; re-reading it for every status request would double
        # the DNS traffic of the busiest endpoint.
        at, servers = self._ns
        if not servers or time.monotonic() - at > self.ns_cache_seconds:
            servers = self.dns.nameservers()
            self._ns = (time.monotonic(), servers)
        return servers

    def _validate(self, fqdn: str) -> str:
        """The name in canonical form, if it can be an agency's site: a valid host name in
        a managed zone (InvalidInput otherwise) that is not an infrastructure name
        (NotFound: it is answered for no one, so asking reveals nothing) — unless the
        network team adopted the record found there for an agency."""
        name = parse_site_name(fqdn, self.zones)
        if self._infrastructure(name) and self._adopted(name.fqdn) is None:
            raise NotFound(
                f"{name.fqdn} bukan subdomain perangkat daerah; nama infrastruktur dan nama "
                f"dev tidak diperiksa di sini / {name.fqdn} is not an agency's subdomain; "
                "infrastructure and dev names are not checked here"
            )
        return name.fqdn

    def _infrastructure(self, name: SiteName) -> bool:
        # An agency's site is exactly <label>.<zone> (deeper names are its dev name or
        # nobody's), and a reserved label (ns1, www, mail …) is never an agency's.
        return not name.is_single_label or name.relative in self.reserved

    def _registered(self, fqdn: str) -> dict[str, Any]:
        info = self._request_info(fqdn)
        if info is None:
            raise NotFound(
                f"{fqdn} tidak terdaftar sebagai subdomain yang diminta atau aktif / "
                f"{fqdn} is not registered as a requested or live subdomain"
            )
        return info

    def _http(self, address: str, fqdn: str) -> dict[str, Any]:
        if not any(ipaddress.ip_address(address) in net for net in self.networks):
            return {
                "ok": False,
                "detail": f"{address} di luar jaringan yang dipantau / not monitored",
            }
        home = self.web.home(address, fqdn, timeout=3.0)
        if home.status is None:
            return {"ok": False, "detail": home.error}
        return {"ok": site_answers(home.status), "status": home.status, "ms": home.ms}

    def _tls(self, address: str, fqdn: str) -> dict[str, Any]:
        """The certificate the server presents for the name: its expiry, not a verdict on
        the chain (the production checks verify that)."""
        if not any(ipaddress.ip_address(address) in net for net in self.networks):
            return {"ok": False, "detail": f"{address} tidak dipantau / not monitored"}
        info = self.web.certificate(address, fqdn, timeout=2.0)
        if info is None:
            return {"ok": False, "detail": "tidak ada HTTPS / no HTTPS"}
        if fqdn not in info.subject_names:
            return {"ok": False, "detail": "tidak ada sertifikat untuk nama ini / none for it"}
        return {
            "ok": certificate_current(info.days_left),
            "not_after": info.not_after.strftime("%Y-%m-%d %H:%M UTC"),
            "days_left": info.days_left,
        }

    def _adopted(self, fqdn: str) -> dict[str, Any] | None:
        with self.store.read() as s:
            return _adopted_info(s, fqdn)

    def _request_info(self, fqdn: str) -> dict[str, Any] | None:
        """Who holds `fqdn`, in one session (a second one opened inside the first would
        wait for a pooled connection that concurrent status calls hold: seen as 45 s
        timeouts under load). A registered existing site holds its name (no request can
        claim it since), so an older request for the name — refused or retired — no longer
        speaks for it; a name no request made may be an adopted agency record."""
        with self.store.read() as s:
            site = existing_repo.active_site(s, fqdn)
            if site is not None:
                return {
                    "ticket": None,
                    "state": EXISTING,
                    "agency": site.agency,
                    "live_at": site.registered_at.isoformat() if site.registered_at else None,
                    "_updated": site.updated_at.isoformat() if site.updated_at else None,
                }
            req = requests_repo.latest_request_for_fqdn(s, fqdn)
            if req is None:
                return _adopted_info(s, fqdn)
            return {
                "ticket": req.ticket,
                "state": req.state,
                "agency": req.agency,
                "live_at": req.live_at.isoformat() if req.live_at else None,
                "_updated": req.updated_at.isoformat() if req.updated_at else None,
            }

    def history(self, fqdn: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The latest periodic liveness checks of `fqdn` (newest first); only for names in
        the registry (NotFound otherwise), empty for one that was never checked."""
        fqdn = self._validate(fqdn)
        self._registered(fqdn)
        with self.store.read() as s:
            rows = liveness_repo.liveness_history(s, fqdn, limit=limit)
            return [
                {"checked_at": r.checked_at, "live": r.live, **(r.detail or {})} for r in rows
            ]

    def status(self, fqdn: str, *, fresh: bool = False) -> SiteStatus:
        """The answer, cached for a few seconds: this endpoint is what every OPD polls.
        The key includes the request's state and last update, so a site that just went
        live (or failed) is checked afresh, and `checked_at` always says when it was.
        `fresh` skips the cache (the periodic liveness check) and refreshes it.

        InvalidInput for a malformed name, NotFound for a name not in the registry or an
        infrastructure name — both before any DNS query."""
        fqdn = self._validate(fqdn)
        info = self._registered(fqdn)
        if info["state"] not in CHECKED_STATES and info["state"] not in (ADOPTED, EXISTING):
            # Not approved (yet) or no longer there: no server is asked, and the request's
            # agency, ticket and state stay private while it is under review or refused.
            return SiteStatus(
                fqdn, False, {}, {"ok": False, "detail": NOT_LIVE}, None, tls=None
            )
        key = (fqdn, info["state"], info["_updated"])
        now = time.monotonic()
        # One check per key at a time (single flight): when the cached answer expires under
        # load, the other callers get the previous answer (a few seconds old, and its
        # checked_at says so) or wait for the one check, instead of all asking the name
        # servers and the web server at once — that burst was the endpoint's latency tail.
        with self._lock:
            hit = self._results.get(key)
            if hit and not fresh and now - hit[0] < self.result_cache_seconds:
                return hit[1]
            ongoing = self._inflight.get(key)
            if ongoing is not None and hit and not fresh:
                return hit[1]
            leader = ongoing is None
            running = ongoing or threading.Event()
            if leader:
                self._inflight[key] = running
        if not leader:
            running.wait(timeout=60)
            with self._lock:
                hit = self._results.get(key)
            return hit[1] if hit else self._check(fqdn, info)
        try:
            result = self._check(fqdn, info)
            with self._lock:
                if len(self._results) > 10_000:  # bounded: forget everything rather than grow
                    self._results.clear()
                self._results[key] = (time.monotonic(), result)
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            running.set()
        return result

    def _check(self, fqdn: str, info: dict[str, Any] | None) -> SiteStatus:
        answers: dict[str, list[str] | str] = {}
        for name, address in self._nameservers().items():
            try:
                answers[name] = self._addresses(fqdn, address)
            except ProvisionerError as exc:
                answers[name] = f"tidak menjawab / no answer: {exc.message}"
        addresses = {tuple(a) for a in answers.values() if isinstance(a, list)}
        resolved = len(addresses) == 1 and all(isinstance(a, list) for a in answers.values())
        first = next(iter(addresses))[0] if resolved and next(iter(addresses)) else None
        http = self._http(first, fqdn) if first else {"ok": False, "detail": "tidak resolve"}
        tls = self._tls(first, fqdn) if first else None
        public = {k: v for k, v in info.items() if not k.startswith("_")} if info else None
        return SiteStatus(fqdn, bool(first) and bool(http["ok"]), answers, http, public, tls=tls)

    def _addresses(self, fqdn: str, server: str) -> list[str]:
        """The A records `server` answers for `fqdn`, through one CNAME (an adopted name is
        often an alias): a CNAME to a name that does not exist answers none."""
        records = self.dns.lookup(fqdn, server).records
        aliases = records.get("CNAME", [])
        if not records.get("A") and aliases and aliases[0] != fqdn:
            records = self.dns.lookup(aliases[0], server).records
        return sorted(records.get("A", []))


def _adopted_info(session: Session, fqdn: str) -> dict[str, Any] | None:
    """An adopted agency record at `fqdn` as the request info of a site that stood in the
    zone before any request: no ticket, its agency, always checked."""
    row = dns_repo.adopted_site(session, fqdn)
    if row is None:
        return None
    return {
        "ticket": None,
        "state": ADOPTED,
        "agency": row.owner,
        "live_at": None,
        "_updated": row.updated_at.isoformat() if row.updated_at else None,
    }
