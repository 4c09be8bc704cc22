"""Issued letters, their corrections and letters of record."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.store.models.letters import Letter


def letter_for_request(session: Session, request_id: int) -> Letter | None:
    return session.scalar(
        select(Letter).where(Letter.request_id == request_id).order_by(Letter.id.desc()).limit(1)
    )


def letter_by_code(session: Session, code: str) -> Letter | None:
    return session.scalar(select(Letter).where(Letter.verification_code == code))


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
