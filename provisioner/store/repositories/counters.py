"""Named counters (ticket serials, letter serials, the audit sequence)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from provisioner.domain.errors import Conflict
from provisioner.store.models.counters import Counter


def next_counter(session: Session, name: str) -> int:
    """Take the next value of a gap-free sequence. The row update holds the row lock
    (PostgreSQL) or the write lock (SQLite) until the caller's transaction ends, so a
    value is consumed only if the caller commits — no gaps, no duplicates."""
    for _ in range(3):
        result = session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return int(session.scalar(select(Counter.value).where(Counter.name == name)) or 0)
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=1))
            return 1
        except IntegrityError:
            continue  # someone created it concurrently: take the update path
    raise Conflict(f"counter {name} is contended")
