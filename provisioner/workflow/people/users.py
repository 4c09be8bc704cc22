"""Users, passwords (argon2) and API tokens. Passwords follow the BSSN 4/2021 baseline
(domain/auth_policy.py); tokens are for scripts and only their hash is kept."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.auth_policy import check_password_strength
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from provisioner.domain.requests import validate_email
from provisioner.domain.text import check_visible
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.people import User
from provisioner.store.private_files import write_private
from provisioner.store.repositories import audit as audit_repo, people as people_repo

DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("opd-dinkes", Role.OPD, "Dinas Kesehatan", "Staf Dinas Kesehatan"),
    ("jaringan", Role.NETWORK, None, "Tim Jaringan"),
    ("teknis", Role.TECHNICAL, None, "Tim Teknis"),
    ("kadis", Role.APPROVER, None, "Kepala Dinas"),
    ("admin", Role.ADMIN, None, "Administrator"),
)

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" profile
# Verified against when the user does not exist, so timing does not tell who exists.
_DUMMY_HASH = _HASHER.hash("not-a-password-" + secrets.token_hex(8))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Constant-work check: a missing hash still costs one argon2 verification."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def actor_of(user: User) -> Actor:
    return Actor(user.username, Role(user.role), user.agency)


def actor_for_token(store: Store, token: str) -> Actor:
    """The user an API token belongs to. A disabled account's token is refused, and so is
    a locked one's while the lock lasts: a lock-out stops the account, not only its
    password (Forbidden, which the API answers with 401)."""
    with store.read() as s:
        user = people_repo.user_by_token(s, token_digest(token))
        if user is None or user.disabled:
            raise Forbidden("Token tidak dikenal / Unknown token")
        locked_until = user.locked_until
        if locked_until is not None and locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=UTC)
        if locked_until is not None and locked_until > utcnow():
            raise Forbidden(
                "Akun dikunci sementara; tokennya tidak berlaku selama dikunci / "
                "The account is temporarily locked; its token is refused while it is locked"
            )
        return actor_of(user)


def _check_username(username: str) -> str:
    username = username.strip()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise InvalidInput(
            "username",
            "Nama pengguna 1–64 karakter: huruf, angka, '.', '_', '-' / "
            "A user name has 1–64 characters: letters, digits, '.', '_', '-'",
        )
    return username


def add_user(
    store: Store,
    username: str,
    role: Role,
    agency: str | None,
    full_name: str = "",
    *,
    password: str | None = None,
    email: str | None = None,
    added_by: str = "system",
) -> str:
    """Create a user and return its API token (shown once; only its hash is kept)."""
    username = _check_username(username)
    role = Role(role)
    if role is Role.OPD and not (agency or "").strip():
        raise InvalidInput(
            "agency", "Pengguna OPD wajib terikat pada satu OPD / An OPD user needs an agency"
        )
    check_visible("full_name", full_name)
    if agency:
        check_visible("agency", agency)
    if password is not None:
        check_password_strength(password, username=username)
    if email:
        email = validate_email("email", email)
    token = secrets.token_urlsafe(32)
    with store.session() as s:
        if people_repo.user_by_name(s, username) is not None:
            raise Conflict(f"Pengguna {username} sudah ada / User {username} already exists")
        s.add(
            User(
                username=username,
                role=role,
                agency=agency if role is Role.OPD else agency or None,
                full_name=full_name,
                email=email or None,
                password_hash=hash_password(password) if password else None,
                token_sha256=token_digest(token),
            )
        )
        audit_repo.record_event(
            s,
            actor=added_by,
            action="user:added",
            detail={"username": username, "role": str(role), "agency": agency},
        )
    return token


@dataclass(frozen=True)
class UserView:
    username: str
    full_name: str
    role: str
    agency: str | None
    email: str | None
    disabled: bool
    locked: bool
    has_password: bool


@dataclass
class UserService:
    """User administration (admin only, except changing one's own password)."""

    store: Store

    def actor_for_token(self, token: str) -> Actor:
        """Who a script's bearer token belongs to (see actor_for_token)."""
        return actor_for_token(self.store, token)

    def add(
        self,
        actor: Actor,
        username: str,
        role: Role,
        agency: str | None,
        *,
        full_name: str = "",
        password: str | None = None,
        email: str | None = None,
    ) -> str:
        ensure_allowed(actor, Action.MANAGE_USERS)
        return add_user(
            self.store,
            username,
            role,
            agency,
            full_name,
            password=password,
            email=email,
            added_by=actor.username,
        )

    def list(self, actor: Actor) -> list[UserView]:
        ensure_allowed(actor, Action.MANAGE_USERS)
        now = utcnow()
        with self.store.read() as s:
            return [
                UserView(
                    u.username,
                    u.full_name,
                    u.role,
                    u.agency,
                    u.email,
                    u.disabled,
                    u.locked_until is not None and _aware(u.locked_until) > now,
                    u.password_hash is not None,
                )
                for u in people_repo.list_users(s)
            ]

    def _user(self, s: Session, username: str) -> User:
        user = people_repo.user_by_name(s, username)
        if user is None:
            raise NotFound(f"Pengguna {username} tidak ada / User {username} not found")
        return user

    def set_disabled(self, actor: Actor, username: str, disabled: bool = True) -> None:
        """Disable (or enable) an account: its sessions end and its token stops working."""
        ensure_allowed(actor, Action.MANAGE_USERS)
        if disabled and username == actor.username:
            raise Conflict("Tidak dapat menonaktifkan diri sendiri / You cannot disable yourself")
        with self.store.session() as s:
            user = self._user(s, username)
            user.disabled = disabled
            if disabled:
                people_repo.drop_sessions_of(s, user.id)
            else:
                user.failed_logins, user.locked_until = 0, None
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="user:disabled" if disabled else "user:enabled",
                detail={"username": username},
            )

    def set_role(self, actor: Actor, username: str, role: Role, agency: str | None) -> None:
        """Give an account another role (an OPD account names its agency); its sessions
        end, so the new role holds from the next sign-in."""
        ensure_allowed(actor, Action.MANAGE_USERS)
        if username == actor.username:
            raise Conflict("Tidak dapat mengubah peran sendiri / You cannot change your own role")
        agency = (agency or "").strip() or None
        if role is Role.OPD and agency is None:
            raise InvalidInput("agency", "Akun OPD wajib menyebut OPD-nya / An OPD account "
                                         "names its agency")
        check_visible("agency", agency or "")
        with self.store.session() as s:
            user = self._user(s, username)
            before = {"role": user.role, "agency": user.agency}
            user.role, user.agency = str(role), agency if role is Role.OPD else None
            people_repo.drop_sessions_of(s, user.id)
            audit_repo.record_event(
                s, actor=actor.username, action="user:role", detail={"username": username},
                before=before, after={"role": user.role, "agency": user.agency},
            )

    def new_token(self, actor: Actor, username: str) -> str:
        """Replace a user's API token; the old one stops working at once."""
        ensure_allowed(actor, Action.MANAGE_USERS)
        token = secrets.token_urlsafe(32)
        with self.store.session() as s:
            user = self._user(s, username)
            user.token_sha256 = token_digest(token)
            audit_repo.record_event(
                s, actor=actor.username, action="user:token", detail={"username": username}
            )
        return token

    def set_password(
        self, actor: Actor, username: str, password: str, *, current: str | None = None
    ) -> None:
        """Admins set anyone's password; a user changes their own with the current one."""
        if actor.username != username:
            ensure_allowed(actor, Action.MANAGE_USERS)
        check_password_strength(password, username=username)
        with self.store.session() as s:
            user = self._user(s, username)
            own = actor.username == username and user.password_hash is not None
            if own and (current is None or not password_matches(user.password_hash, current)):
                raise Forbidden("Kata sandi lama salah / The current password is wrong")
            user.password_hash = hash_password(password)
            user.failed_logins, user.locked_until = 0, None
            people_repo.drop_sessions_of(s, user.id)  # other browsers must sign in again
            audit_repo.record_event(
                s, actor=actor.username, action="user:password", detail={"username": username}
            )


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def ensure_demo_users(store: Store, tokens_file: Path) -> dict[str, str]:
    """Lab only: the demo users of the README, their tokens kept in a 0600 file so the
    same tokens work after a restart."""
    known: dict[str, str] = json.loads(tokens_file.read_text()) if tokens_file.exists() else {}
    for username, role, agency, name in DEMO_USERS:
        with store.read() as s:
            exists = people_repo.user_by_name(s, username) is not None
        if not exists:
            known[username] = add_user(store, username, role, agency, name)
    write_private(tokens_file, json.dumps(known, indent=2))
    _ensure_demo_passwords(store, tokens_file.with_name("demo-passwords.json"))
    return known


def _ensure_demo_passwords(store: Store, passwords_file: Path) -> dict[str, str]:
    """Lab only: a random password per demo user for the web sign-in, kept 0600."""
    known: dict[str, str] = (
        json.loads(passwords_file.read_text()) if passwords_file.exists() else {}
    )
    for username, *_ in DEMO_USERS:
        with store.session() as s:
            user = people_repo.user_by_name(s, username)
            if user is None or (user.password_hash and username in known):
                continue
            # Four classes and 20+ characters: always passes the strength rule.
            known[username] = f"Demo-{secrets.token_urlsafe(12)}-9a"
            user.password_hash = hash_password(known[username])
    write_private(passwords_file, json.dumps(known, indent=2))
    return known
