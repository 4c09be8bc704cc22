"""Sign-in rules (BSSN 4/2021): password strength, lock-out and its timed unlock,
session idle and absolute time-outs — pure logic, then on a real SQLite store."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provisioner.domain.actors import Role
from provisioner.domain.auth_policy import LockoutPolicy, SessionPolicy, check_password_strength
from provisioner.domain.errors import Forbidden, InvalidInput
from provisioner.store.db import Store, migrate
from provisioner.store.repositories import people as people_repo
from provisioner.workflow.people.sessions import BAD_CREDENTIALS, SessionService
from provisioner.workflow.people.users import add_user, password_matches

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
GOOD = "Kominfo-Demo-2026"


@pytest.mark.parametrize(
    "password",
    ["short1A!", "alllowercaseletters", "ALLUPPER12345678", "lowerandupperONLY", "x" * 300],
)
def test_weak_passwords_are_refused_with_a_bilingual_reason(password: str):
    with pytest.raises(InvalidInput) as err:
        check_password_strength(password)
    assert err.value.field == "password" and " / " in err.value.message


@pytest.mark.parametrize("password", [GOOD, "correct horse 42 battery", "Aa1aaaaaaaaa"])
def test_strong_passwords_pass(password: str):
    check_password_strength(password)


def test_a_password_may_not_contain_the_user_name():
    with pytest.raises(InvalidInput):
        check_password_strength("Siti-Rahma-2026", username="siti")


def test_lockout_after_the_limit_then_counting_restarts():
    policy = LockoutPolicy(max_failures=3, lock_for=timedelta(minutes=15))
    failures, locked = 0, None
    for _ in range(2):
        failures, locked = policy.after_failure(failures, T0)
        assert locked is None
    failures, locked = policy.after_failure(failures, T0)
    assert failures == 0 and locked == T0 + timedelta(minutes=15)
    assert policy.is_locked(locked, T0 + timedelta(minutes=14))
    assert not policy.is_locked(locked, T0 + timedelta(minutes=15))


def test_session_idle_and_absolute_timeouts():
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    assert not policy.expired(T0, T0, T0 + timedelta(minutes=29))
    assert policy.expired(T0, T0, T0 + timedelta(minutes=31))
    # Active all day long still ends at the absolute limit.
    late = T0 + timedelta(hours=8, minutes=1)
    assert policy.expired(T0, late - timedelta(minutes=1), late)
    assert policy.expires_at(T0, T0 + timedelta(hours=7, minutes=50)) == T0 + timedelta(hours=8)


# --- on a real store -------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'auth.db'}"
    migrate(url)
    st = Store(url)
    add_user(st, "siti", Role.OPD, "Dinas Kesehatan", password=GOOD)
    yield st
    st.dispose()


def test_password_is_stored_as_argon2id_not_plain(store: Store):
    with store.read() as s:
        user = people_repo.user_by_name(s, "siti")
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$") and GOOD not in user.password_hash
        assert password_matches(user.password_hash, GOOD)


def test_sign_in_gives_random_tokens_and_a_bound_csrf_token(store: Store):
    svc = SessionService(store)
    a = svc.sign_in("siti", GOOD, client_ip="127.0.0.1")
    b = svc.sign_in("siti", GOOD, client_ip="127.0.0.1")
    assert a.token != b.token and a.csrf_token != b.csrf_token and len(a.token) >= 40
    info = svc.resume(a.token)
    assert info is not None and info.actor.username == "siti" and info.csrf_token == a.csrf_token
    svc.sign_out(a.token)
    assert svc.resume(a.token) is None and svc.resume(b.token) is not None


def test_wrong_password_and_unknown_user_get_the_same_answer(store: Store):
    svc = SessionService(store)
    for user, pw in (("siti", "Wrong-password-1"), ("nobody", GOOD)):
        with pytest.raises(Forbidden) as err:
            svc.sign_in(user, pw)
        assert err.value.message == BAD_CREDENTIALS


def test_lockout_refuses_even_the_right_password_then_unlocks_by_itself(store: Store):
    svc = SessionService(store, LockoutPolicy(max_failures=3, lock_for=timedelta(seconds=1)))
    for _ in range(3):
        with pytest.raises(Forbidden):
            svc.sign_in("siti", "Wrong-password-1")
    with pytest.raises(Forbidden) as err:
        svc.sign_in("siti", GOOD)
    assert "locked" in err.value.message
    time.sleep(1.1)
    assert svc.sign_in("siti", GOOD).actor.username == "siti"


def test_idle_session_expires_and_is_deleted(store: Store):
    svc = SessionService(store, policy=SessionPolicy(idle=timedelta(seconds=1)))
    grant = svc.sign_in("siti", GOOD)
    assert svc.resume(grant.token) is not None
    time.sleep(1.2)
    assert svc.resume(grant.token) is None


def test_sign_in_attempts_are_audited_with_the_address(store: Store):
    svc = SessionService(store)
    with pytest.raises(Forbidden):
        svc.sign_in("siti", "Wrong-password-1", client_ip="127.0.0.9")
    svc.sign_in("siti", GOOD, client_ip="127.0.0.9")
    from provisioner.workflow.people.audit import AuditService

    rows = list(AuditService(store).entries())
    actions = [(r["action"], r["client_ip"]) for r in rows]
    assert ("auth:failed", "127.0.0.9") in actions and ("auth:signed_in", "127.0.0.9") in actions
