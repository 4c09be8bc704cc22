"""Data access for letters beyond the job's own step: corrections, the letter of record."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.store.models import Letter


def letter_by_id(session: Session, letter_id: int) -> Letter | None:
    """One letter by id, or None."""
    return session.get(Letter, letter_id)


def letter_replacing(session: Session, letter_id: int) -> Letter | None:
    """The correction that replaces `letter_id`, if one was issued."""
    return session.scalar(select(Letter).where(Letter.replaces_id == letter_id).limit(1))


def letters_for_request(session: Session, request_id: int) -> Sequence[Letter]:
    """Every letter of a request, oldest first (the last is the one in force)."""
    return session.scalars(
        select(Letter).where(Letter.request_id == request_id).order_by(Letter.id)
    ).all()


def letters_of_year(session: Session, year: int) -> Sequence[Letter]:
    """Every letter issued in `year`, by serial (used to prove the numbering has no gap)."""
    return session.scalars(
        select(Letter).where(Letter.year == year).order_by(Letter.serial)
    ).all()
