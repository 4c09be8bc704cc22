"""Users, their web sessions, the working calendar and per-agency SLA limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from provisioner.store.models.people import AgencySla, CalendarDay, User, WebSession


def user_by_token(session: Session, token_sha256: str) -> User | None:
    return session.scalar(select(User).where(User.token_sha256 == token_sha256))


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def add_web_session(session: Session, ws: WebSession) -> None:
    session.add(ws)


def web_session(session: Session, token_sha256: str) -> WebSession | None:
    return session.get(WebSession, token_sha256)


def drop_web_session(session: Session, token_sha256: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == token_sha256))


def drop_sessions_of(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def calendar_days(session: Session) -> Sequence[CalendarDay]:
    return session.scalars(select(CalendarDay).order_by(CalendarDay.day)).all()


def set_calendar_day(session: Session, day: date, kind: str, note: str) -> None:
    row = session.get(CalendarDay, day)
    if row is None:
        session.add(CalendarDay(day=day, kind=kind, note=note))
    else:
        row.kind, row.note = kind, note


def agency_sla(session: Session, agency: str) -> AgencySla | None:
    return session.get(AgencySla, agency)


def agency_slas(session: Session) -> Sequence[AgencySla]:
    return session.scalars(select(AgencySla).order_by(AgencySla.agency)).all()


def set_agency_sla(session: Session, agency: str, timezone: str, limits: dict[str, int]) -> None:
    row = session.get(AgencySla, agency)
    if row is None:
        session.add(AgencySla(agency=agency, timezone=timezone, limits=limits))
    else:
        row.timezone, row.limits = timezone, limits
