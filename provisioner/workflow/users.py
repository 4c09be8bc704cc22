"""Users and API tokens. Issue-2 scope: bearer tokens per user; passwords and sessions
come with the web sign-in."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import Forbidden
from provisioner.store import repositories as repo
from provisioner.store.db import Store
from provisioner.store.models import User

DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("opd-dinkes", Role.OPD, "Dinas Kesehatan", "Staf Dinas Kesehatan"),
    ("jaringan", Role.NETWORK, None, "Tim Jaringan"),
    ("teknis", Role.TECHNICAL, None, "Tim Teknis"),
    ("kadis", Role.APPROVER, None, "Kepala Dinas"),
    ("admin", Role.ADMIN, None, "Administrator"),
)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_token(store: Store, token: str) -> Actor:
    with store.read() as s:
        user = repo.user_by_token(s, token_digest(token))
        if user is None:
            raise Forbidden("Token tidak dikenal / Unknown token")
        return Actor(user.username, Role(user.role), user.agency)


def add_user(
    store: Store, username: str, role: Role, agency: str | None, full_name: str = ""
) -> str:
    """Create a user and return its API token (shown once; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    with store.session() as s:
        s.add(
            User(
                username=username,
                role=role,
                agency=agency,
                full_name=full_name,
                token_sha256=token_digest(token),
            )
        )
    return token


def ensure_demo_users(store: Store, tokens_file: Path) -> dict[str, str]:
    """Lab only: the demo users of the README, their tokens kept in a 0600 file so the
    same tokens work after a restart."""
    known: dict[str, str] = json.loads(tokens_file.read_text()) if tokens_file.exists() else {}
    for username, role, agency, name in DEMO_USERS:
        with store.read() as s:
            exists = repo.user_by_name(s, username) is not None
        if not exists:
            known[username] = add_user(store, username, role, agency, name)
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    tokens_file.write_text(json.dumps(known, indent=2))
    tokens_file.chmod(0o600)
    return known
