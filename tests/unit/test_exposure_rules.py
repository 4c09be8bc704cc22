"""Exposure and hardening rules that need no server: the shape of a site name, what the
public status check may ask the name servers (a counting stand-in for DNS, a real SQLite
store for the registry), sign-in timing and throttling, locked accounts' tokens, the
sign-in form's CSRF pair, and the modes of private files."""

from __future__ import annotations

import os
import stat
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from provisioner.adapters.dns.query import NameAnswer
from provisioner.domain.actors import Role
from provisioner.domain.auth_policy import AddressThrottle, LockoutPolicy
from provisioner.domain.errors import Forbidden, InvalidInput, NotFound, TooManyAttempts
from provisioner.domain.fqdn import parse_site_name
from provisioner.domain.states import RequestState
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.private_files import private_dir, secure_sqlite_file, write_private
from provisioner.workflow.monitoring.status import StatusService
from provisioner.workflow.people.sessions import (
    SessionService,
    login_csrf_matches,
    login_csrf_token,
)
from provisioner.workflow.people.users import actor_for_token, add_user

ZONES = ("demokab.go.id", "demokota.go.id")
GOOD = "Kominfo-Demo-2026"
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def reasons(raw: str) -> list[str]:
    with pytest.raises(InvalidInput) as err:
        parse_site_name(raw, ZONES)
    assert all(field == "fqdn" and " / " in msg for field, msg in err.value.problems)
    return [msg for _, msg in err.value.problems]


# --- the shape of a site name ------------------------------------------------------------


@pytest.mark.parametrize("raw", [".demokab.go.id", "a..demokab.go.id", "a.demokab.go.id.."])
def test_site_name_with_an_empty_label_is_refused_with_the_reason(raw: str) -> None:
    assert any("empty label" in m for m in reasons(raw))


def test_site_name_with_a_64_character_label_is_refused_and_63_is_accepted() -> None:
    assert any("64 characters" in m for m in reasons("a" * 64 + ".demokab.go.id"))
    assert parse_site_name("a" * 63 + ".demokab.go.id", ZONES).relative == "a" * 63


def test_site_name_over_253_characters_is_refused() -> None:
    name = ".".join(["a" * 63] * 4) + ".demokab.go.id"
    assert any("at most 253" in m for m in reasons(name))


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "empty"),
        ("demokab.go.id", "the zone itself"),
        ("dinkes.example.com", "managed zone (demokab.go.id, demokota.go.id)"),
        ("dinkes.demokab.go.id.evil.com", "managed zone"),
        ("*.demokab.go.id", "'*'"),
        ("din_kes.demokab.go.id", "'_'"),
        ("dinkés.demokab.go.id", "U+00E9"),
        ("dinkes;rm -rf /.demokab.go.id", "U+0020 '/' ';'"),
        ("-dinkes.demokab.go.id", "hyphen"),
    ],
)
def test_site_name_that_is_no_host_in_a_managed_zone_is_refused(raw: str, words: str) -> None:
    assert any(words in m for m in reasons(raw)), reasons(raw)


def test_site_name_is_canonical_and_the_longest_zone_wins() -> None:
    name = parse_site_name(" DinKes.DemoKab.go.id. ", ZONES)
    assert (name.fqdn, name.relative, name.zone) == ("dinkes.demokab.go.id", "dinkes",
                                                     "demokab.go.id")
    sub = parse_site_name("x.dev.demokab.go.id", (*ZONES, "dev.demokab.go.id"))
    assert (sub.relative, sub.zone) == ("x", "dev.demokab.go.id")


# --- what the public status check asks the name servers ----------------------------------


class CountingDns:
    """Stands in for the DnsAdapter: counts every question, answers "not there"."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def nameservers(self) -> dict[str, str]:
        self.questions.append("NS")
        return {"ns1.demokab.go.id": "127.0.2.53"}

    def lookup(self, fqdn: str, server: str) -> NameAnswer:
        self.questions.append(fqdn)
        return NameAnswer(server=server, rcode="NXDOMAIN")


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'exposure.db'}"
    migrate(url)
    st = Store(url)
    add_user(st, "siti", Role.OPD, "Dinas Kesehatan", password=GOOD)
    yield st
    st.dispose()


_TICKETS = iter(range(1000, 9999))


def registered(store: Store, label: str, state: RequestState) -> str:
    fqdn = f"{label}.demokab.go.id"
    with store.session() as s:
        s.add(Request(ticket=f"SUB-20261123-{next(_TICKETS)}", label=label,
                      zone="demokab.go.id", fqdn=fqdn, agency="Dinas Rahasia",
                      purpose="uji", contact_name="Uji", contact_email="uji@demokab.go.id",
                      letter_number="1/UJI/2026", letter_date=date(2026, 11, 23),
                      hosting=False, state=state, created_by="uji"))
    return fqdn


def status_service(store: Store, dns: CountingDns) -> StatusService:
    return StatusService(store, dns, web=None, zone="demokab.go.id",  # type: ignore[arg-type]
                         zones=ZONES, allowed_networks=["127.0.0.0/8"])


@pytest.mark.parametrize("bad", [".demokab.go.id", "a..demokab.go.id",
                                 "a" * 64 + ".demokab.go.id", "x.example.com"])
def test_status_empty_label_or_long_label_is_invalid_input_before_any_dns_query(
    store: Store, bad: str
) -> None:
    dns = CountingDns()
    service = status_service(store, dns)
    for ask in (service.status, service.history):
        with pytest.raises(InvalidInput):
            ask(bad)
    assert dns.questions == []


@pytest.mark.parametrize("name", ["nobody-asked.demokab.go.id", "ns1.demokab.go.id",
                                  "www.demokab.go.id", "mail.demokota.go.id",
                                  "sikes.dev.demokab.go.id"])
def test_status_of_a_name_not_in_the_registry_or_infrastructure_is_404_without_dns(
    store: Store, name: str
) -> None:
    registered(store, "sikes", RequestState.LIVE)  # its dev name is still not public
    dns = CountingDns()
    service = status_service(store, dns)
    for ask in (service.status, service.history):
        with pytest.raises(NotFound):
            ask(name)
    assert dns.questions == []


@pytest.mark.parametrize("state", [RequestState.SUBMITTED, RequestState.VERIFIED,
                                   RequestState.RETURNED, RequestState.REJECTED,
                                   RequestState.RETIRED])
def test_status_of_a_request_under_review_or_rejected_is_not_live_without_its_details(
    store: Store, state: RequestState
) -> None:
    fqdn = registered(store, "situs-baru", state)
    dns = CountingDns()
    answer = status_service(store, dns).status(fqdn)
    assert answer.live is False and answer.request is None and answer.nameservers == {}
    assert "Dinas Rahasia" not in repr(answer) and state.value not in repr(answer)
    assert dns.questions == []


def test_status_of_a_live_site_is_checked_and_names_its_request(store: Store) -> None:
    fqdn = registered(store, "situs-aktif", RequestState.LIVE)
    dns = CountingDns()
    answer = status_service(store, dns).status(fqdn, fresh=True)
    assert dns.questions == ["NS", fqdn]
    assert answer.request is not None and answer.request["agency"] == "Dinas Rahasia"


# --- sign-in: timing, throttling, locked tokens, the form's CSRF pair ------------------------


def test_unknown_user_login_takes_as_long_as_a_known_user_with_a_wrong_password(
    store: Store,
) -> None:
    """No user enumeration by timing: both paths run one argon2 verification. Alternated
    so the machine's load falls on both alike; medians of 12 each within 25 %."""
    svc = SessionService(store, LockoutPolicy(max_failures=1000),
                         throttle=AddressThrottle(max_failures=1000))
    known: list[float] = []
    unknown: list[float] = []
    for _ in range(12):
        for user, times in (("siti", known), ("nobody-here", unknown)):
            started = time.perf_counter()
            with pytest.raises(Forbidden):
                svc.sign_in(user, "Wrong-password-1", client_ip="127.0.0.7")
            times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.75 <= ratio <= 1.25, (ratio, statistics.median(known), statistics.median(unknown))
    # and it is argon2's time, not a fast refusal of both
    assert statistics.median(unknown) > 0.005


def test_failed_logins_from_one_address_are_throttled_across_accounts(store: Store) -> None:
    for name in ("ani", "budi"):
        add_user(store, name, Role.NETWORK, None, password=GOOD)
    svc = SessionService(store, LockoutPolicy(max_failures=100),
                         throttle=AddressThrottle(max_failures=4, window=timedelta(minutes=15)))
    for user in ("siti", "ani", "budi", "nobody"):
        with pytest.raises(Forbidden):
            svc.sign_in(user, "Wrong-password-1", client_ip="10.9.8.7")
    with pytest.raises(TooManyAttempts) as err:
        svc.sign_in("siti", GOOD, client_ip="10.9.8.7")  # even the right password waits
    assert 0 < err.value.retry_after <= 15 * 60 and " / " in err.value.message
    assert svc.sign_in("siti", GOOD, client_ip="10.9.8.8").actor.username == "siti"


def test_address_throttle_frees_an_attempt_when_the_oldest_failure_leaves_the_window() -> None:
    throttle = AddressThrottle(max_failures=3, window=timedelta(minutes=15))
    failures = [T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=10)]
    assert throttle.retry_after(failures[:2], T0 + timedelta(minutes=11)) is None
    assert throttle.retry_after(failures, T0 + timedelta(minutes=11)) == 4 * 60
    assert throttle.retry_after(failures, T0 + timedelta(minutes=15)) is None


def test_locked_account_token_is_refused_until_the_lock_ends(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    migrate(url)
    store = Store(url)
    token = add_user(store, "teknis", Role.TECHNICAL, None, password=GOOD)
    svc = SessionService(store, LockoutPolicy(max_failures=2, lock_for=timedelta(seconds=1)))
    for _ in range(2):
        with pytest.raises(Forbidden):
            svc.sign_in("teknis", "Wrong-password-1")
    with pytest.raises(Forbidden) as err:
        actor_for_token(store, token)
    assert "locked" in err.value.message
    time.sleep(1.1)
    assert actor_for_token(store, token).username == "teknis"
    store.dispose()


def test_login_csrf_token_is_bound_to_its_nonce_and_the_secret() -> None:
    token = login_csrf_token("secret-1", "nonce-abcdefghijklmnopqrstuv")
    assert login_csrf_matches("secret-1", "nonce-abcdefghijklmnopqrstuv", token)
    assert not login_csrf_matches("secret-1", "nonce-planted-by-a-sibling-site", token)
    assert not login_csrf_matches("secret-2", "nonce-abcdefghijklmnopqrstuv", token)
    assert not login_csrf_matches("secret-1", None, token)
    assert not login_csrf_matches("secret-1", "nonce-abcdefghijklmnopqrstuv", "")


# --- private files --------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_files_are_0600_and_new_directories_0700_whatever_the_umask(
    tmp_path: Path,
) -> None:
    old = os.umask(0o022)
    try:
        target = write_private(tmp_path / "new" / "tokens.json", "{}")
        assert mode(target) == 0o600 and mode(target.parent) == 0o700
        outside = tmp_path / "shared"
        outside.mkdir(mode=0o755)
        os.chmod(outside, 0o755)
        write_private(outside / "x", b"1")  # an existing directory keeps its mode
        assert mode(outside / "x") == 0o600 and mode(outside) == 0o755
        assert mode(private_dir(outside / "uploads")) == 0o700
        db = tmp_path / "store" / "provisioner.db"
        secure_sqlite_file(db)
        assert mode(db) == 0o600
    finally:
        os.umask(old)


def test_store_file_made_world_readable_is_0600_again_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "provisioner.db"
    url = f"sqlite:///{db}"
    migrate(url)
    os.chmod(db, 0o644)
    store = Store(url)
    with store.session() as s:
        s.execute(Request.__table__.select())
    assert mode(db) == 0o600
    wal = tmp_path / "provisioner.db-wal"
    assert not wal.exists() or mode(wal) == 0o600
    store.dispose()
