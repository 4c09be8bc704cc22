"""Web sign-in: password check with lock-out, random session tokens with idle and absolute
time-outs, and a CSRF token bound to each session (BSSN 4/2021 baseline)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from provisioner.domain.actors import Actor
from provisioner.domain.auth_policy import AddressThrottle, LockoutPolicy, SessionPolicy
from provisioner.domain.errors import Forbidden, TooManyAttempts
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.people import User, WebSession
from provisioner.store.repositories import audit as audit_repo, people as people_repo
from provisioner.workflow.people.users import actor_of, password_matches, token_digest

# One message for unknown user and wrong password: the answer must not tell which.
BAD_CREDENTIALS = "Nama pengguna atau kata sandi salah / Wrong user name or password"
THROTTLED = (
    "Terlalu banyak percobaan masuk yang gagal dari alamat ini; coba lagi dalam {seconds} "
    "detik / Too many failed sign-ins from this address; try again in {seconds} seconds"
)


@dataclass(frozen=True)
class SessionGrant:
    token: str  # goes into the cookie; only its hash is stored
    csrf_token: str
    actor: Actor
    expires_at: datetime


@dataclass(frozen=True)
class SessionInfo:
    actor: Actor
    csrf_token: str
    expires_at: datetime


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


@dataclass
class SessionService:
    store: Store
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    throttle: AddressThrottle = field(default_factory=AddressThrottle)

    def _throttled(self, client_ip: str | None, now: datetime) -> None:
        """Refuse (TooManyAttempts) while this address has too many recent failures; the
        refused attempt is not checked and not counted, so waiting always helps."""
        if not client_ip:
            return
        with self.store.read() as s:
            failures = audit_repo.failed_sign_ins_from(
                s, client_ip, since=now - self.throttle.window, limit=self.throttle.max_failures
            )
        wait = self.throttle.retry_after(failures, now)
        if wait is not None:
            raise TooManyAttempts(THROTTLED.format(seconds=wait), retry_after=wait)

    def sign_in(
        self, username: str, password: str, *, client_ip: str | None = None, user_agent: str = ""
    ) -> SessionGrant:
        """Check the password; count failures and lock the account for a while after too
        many, and refuse an address with too many recent failures across accounts
        (TooManyAttempts). Every attempt, good or bad, goes into the audit log with the
        address."""
        now = utcnow()
        self._throttled(client_ip, now)
        name = self._check_password(username, password, client_ip, now)
        return self._open_session(name, client_ip, user_agent, now)

    def _check_password(
        self, username: str, password: str, client_ip: str | None, now: datetime
    ) -> str:
        """The account's name when the password is right and the account may sign in;
        otherwise the failure is recorded (committed) and Forbidden raised."""
        with self.store.session() as s:
            user = people_repo.user_by_name(s, username.strip()[:64])
            locked = user is not None and self.lockout.is_locked(
                _aware(user.locked_until) if user.locked_until else None, now
            )
            # Exactly one argon2 verification on every path — unknown user (against a
            # dummy hash), disabled, locked or wrong password — so the time an answer takes
            # does not tell whether the account exists.
            matches = password_matches(user.password_hash if user else None, password)
            ok = not locked and user is not None and not user.disabled and matches
            if not ok:
                self._record_failure(s, user, username, client_ip, now, locked=locked)
            name = user.username if user is not None else ""
        if locked:
            raise Forbidden(
                "Akun dikunci sementara karena terlalu banyak percobaan gagal; coba lagi "
                "nanti / Account temporarily locked after too many failed attempts; "
                "try again later"
            )
        if not ok:
            raise Forbidden(BAD_CREDENTIALS)
        return name

    def _record_failure(
        self,
        s: Session,
        user: User | None,
        username: str,
        client_ip: str | None,
        now: datetime,
        *,
        locked: bool,
    ) -> None:
        if user is None:
            audit_repo.record_event(s, actor="anonymous", action="auth:failed",
                                    client_ip=client_ip, detail={"username": username[:64]})
            return
        if locked:
            audit_repo.record_event(s, actor=user.username, action="auth:locked",
                                    client_ip=client_ip)
            return
        user.failed_logins, locked_until = self.lockout.after_failure(user.failed_logins or 0, now)
        if locked_until is not None:
            user.locked_until = locked_until
        audit_repo.record_event(
            s,
            actor=user.username,
            action="auth:failed" if locked_until is None else "auth:lockout",
            client_ip=client_ip,
            detail={"locked_until": locked_until.isoformat()} if locked_until else None,
        )

    def _open_session(
        self, username: str, client_ip: str | None, user_agent: str, now: datetime
    ) -> SessionGrant:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        with self.store.session() as s:
            user = people_repo.user_by_name(s, username)
            assert user is not None
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            people_repo.add_web_session(
                s,
                WebSession(
                    token_sha256=token_digest(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    client_ip=client_ip,
                    user_agent=user_agent[:300],
                ),
            )
            audit_repo.record_event(s, actor=user.username, action="auth:signed_in",
                                    client_ip=client_ip)
            actor = actor_of(user)
        return SessionGrant(token, csrf, actor, self.policy.expires_at(now, now))

    def resume(self, token: str) -> SessionInfo | None:
        """The session a cookie names, if still valid; touching it restarts the idle clock.
        Expired sessions are deleted on sight."""
        if not token:
            return None
        now = utcnow()
        digest = token_digest(token)
        # Read without the write lock: most page views only need to look.
        with self.store.read() as s:
            ws = people_repo.web_session(s, digest)
            if ws is None:
                return None
            user = people_repo.get_user(s, ws.user_id)
            created, seen, csrf = _aware(ws.created_at), _aware(ws.last_seen_at), ws.csrf_token
            actor = actor_of(user) if user is not None and not user.disabled else None
        if actor is None or self.policy.expired(created, seen, now):
            with self.store.session() as s:
                people_repo.drop_web_session(s, digest)
            return None
        # Touch at most once a minute: a write per page view would queue on SQLite's lock.
        if now - seen > timedelta(minutes=1):
            with self.store.session() as s:
                ws = people_repo.web_session(s, digest)
                if ws is not None:
                    ws.last_seen_at = now
            seen = now
        return SessionInfo(actor, csrf, self.policy.expires_at(created, seen))

    def sign_out(self, token: str, *, client_ip: str | None = None) -> None:
        digest = token_digest(token)
        with self.store.session() as s:
            ws = people_repo.web_session(s, digest)
            if ws is None:
                return
            user = people_repo.get_user(s, ws.user_id)
            people_repo.drop_web_session(s, digest)
            audit_repo.record_event(
                s,
                actor=user.username if user else "unknown",
                action="auth:signed_out",
                client_ip=client_ip,
            )


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one sent."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def login_csrf_token(secret: str, nonce: str) -> str:
    """The sign-in form's CSRF token before any session exists (signed double submit):
    the browser holds a random nonce in a cookie, the form carries this HMAC of it. A
    site that can plant cookies (a sibling subdomain) still cannot forge the pair."""
    mac = hmac.new(secret.encode(), b"login-csrf:" + nonce.encode(), hashlib.sha256)
    return mac.hexdigest()


def login_csrf_matches(secret: str, nonce: str | None, given: str | None) -> bool:
    """Constant-time check of the sign-in form's token against the cookie's nonce."""
    if not nonce or not given:
        return False
    return hmac.compare_digest(login_csrf_token(secret, nonce).encode(), given.encode())
