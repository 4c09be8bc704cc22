"""What the unit tests of the SOP sweeps share: the notifier's channels as recorders, and
a real SQLite store, migrated, with the accounts the tests name (each with an e-mail)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from provisioner.domain.actors import Role
from provisioner.store.db import Store, migrate
from provisioner.workflow.people.users import add_user


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[tuple[list[str], str, str]] = []

    def send(self, to: list[str], subject: str, body: str) -> None:
        self.sent.append((list(to), subject, body))


class Hook:
    url = "http://127.0.0.1:9/hook"

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def post(self, payload: dict[str, Any]) -> None:
        self.posted.append(payload)


def store_with_users(folder: Path, users: Iterable[tuple[str, Role, str | None]]) -> Store:
    url = f"sqlite:///{folder / 'store.db'}"
    migrate(url)
    store = Store(url)
    for name, role, agency in users:
        add_user(store, name, role, agency, email=f"{name}@demokab.go.id")
    return store
