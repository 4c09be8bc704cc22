"""Recurring evaluation reminders (provisioner.workflow.procedures.reminders) on a real
SQLite store: a request waiting at Tapin's repeating "Evaluasi sistem" is reminded of once
per visit — a second sweep sends nothing — and again only after the next period has passed;
the team and the OPD get it by the notifier's e-mail and webhook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provisioner.adapters.sop_files import load_presets
from provisioner.domain.actors import Role
from provisioner.domain.sop import SopDefinition
from provisioner.domain.sop_run import NEEDS_REASON, StepRecord, replay
from provisioner.jobs.periodic import SCHEDULE, evaluation_sweep
from provisioner.store.db import Store
from provisioner.store.models.procedures import Procedure, ProcedureStep
from provisioner.store.repositories import audit as audit_repo, procedures as procedures_repo
from provisioner.workflow.people.notify import Notifier
from provisioner.workflow.procedures.reminders import EvaluationReminders
from tests.notice_support import Hook, Mailbox, store_with_users

AGENCY = "Dinas Kesehatan"
OPENED = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
PERIOD = timedelta(days=182)
TAPIN = load_presets()["tapin-aplikasi"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    users = [
        ("opd", Role.OPD, AGENCY), ("opd2", Role.OPD, AGENCY),
        ("opd-other", Role.OPD, "Dinas Pendidikan"), ("jaringan", Role.NETWORK, None),
        ("teknis", Role.TECHNICAL, None), ("kadis", Role.APPROVER, None),
        ("admin", Role.ADMIN, None),
    ]  # fmt: skip
    s = store_with_users(tmp_path, users)
    yield s
    s.dispose()


def to_evaluation(definition: SopDefinition) -> list[StepRecord]:
    """The first forward outcome of each step, an hour apart, up to the evaluation."""
    records: list[StepRecord] = []
    state = replay(definition, OPENED, records)
    while state.current != "evaluation":
        assert state.current is not None and state.current_since is not None
        step = definition.step(state.current)
        outcome = next(o for o in step.outcomes if o not in NEEDS_REASON)
        records.append(StepRecord(step.key, outcome, "x", state.current_since + timedelta(hours=1)))
        state = replay(definition, OPENED, records)
    return records


def open_at_evaluation(store: Store, ticket: str = "SOP-20260105-0001") -> tuple[int, datetime]:
    """A Tapin application request whose steps were recorded up to the evaluation."""
    records = to_evaluation(TAPIN)
    with store.session() as s:
        row = Procedure(
            ticket=ticket, request_type=str(TAPIN.request_type), sop_key=TAPIN.key,
            sop_version=TAPIN.version, definition=TAPIN.model_dump(mode="json"),
            title="Sistem Informasi Puskesmas", agency=AGENCY, request_letter_number="1/2026",
            request_letter_date=None, fields={}, current_step="evaluation", created_by="opd",
            created_at=OPENED,
        )  # fmt: skip
        s.add(row)
        s.flush()
        for r in records:
            s.add(ProcedureStep(procedure_id=row.id, step=r.step, outcome=r.outcome.value,
                                actor="x", role="team", at=r.at, note="", fields={}))  # fmt: skip
        return row.id, records[-1].at


def record_evaluation(store: Store, procedure_id: int, at: datetime) -> None:
    with store.session() as s:
        s.add(
            ProcedureStep(
                procedure_id=procedure_id, step="evaluation", outcome="continue",
                actor="teknis", role="technical", at=at, note="", fields={},
            )
        )  # fmt: skip


def test_the_sweep_is_scheduled() -> None:
    assert SCHEDULE["sop-evaluations"] == {"hours": 1}


def test_one_reminder_per_visit_to_the_team_and_the_opd(store: Store) -> None:
    pid, reached = open_at_evaluation(store)
    mail, hook = Mailbox(), Hook()
    reminders = EvaluationReminders(store, Notifier(store, "https://layanan.demokab.go.id",
                                                    mail, hook))  # fmt: skip
    now = reached + timedelta(days=1)

    first = reminders.sweep(now=now)
    assert [(r.procedure_id, r.step, r.visit_start) for r in first] == [
        (pid, "evaluation", reached)
    ]
    second = reminders.sweep(now=now + timedelta(hours=1))
    assert second == []
    assert len(mail.sent) == 1 and len(hook.posted) == 1

    to, subject, body = mail.sent[0]
    assert set(to) == {"opd@demokab.go.id", "opd2@demokab.go.id", "jaringan@demokab.go.id",
                       "teknis@demokab.go.id"}  # fmt: skip
    assert subject.startswith("[SOP-20260105-0001] Evaluasi berkala")
    assert "Evaluasi sistem" in body and AGENCY in body
    assert f"https://layanan.demokab.go.id/sop/{pid}" in body
    assert hook.posted[0]["event"] == "sop_evaluation"
    assert hook.posted[0]["procedure_id"] == pid
    with store.read() as s:
        row = procedures_repo.get_procedure(s, pid)
        assert row.reminded_for == reached
        actions = [e.action for e in audit_repo.iter_audit(s)]
    assert actions.count("procedure:evaluation_due") == 1
    assert actions.count("notify:sent") == 1


def test_the_next_visit_is_reminded_of_after_its_period_only(store: Store) -> None:
    pid, reached = open_at_evaluation(store)
    mail = Mailbox()
    reminders = EvaluationReminders(store, Notifier(store, "http://x", mail, None))
    assert len(reminders.sweep(now=reached + timedelta(minutes=5))) == 1
    evaluated = reached + timedelta(days=2)
    record_evaluation(store, pid, evaluated)  # "lanjutkan": evaluated again in 182 days

    assert reminders.sweep(now=evaluated + timedelta(days=1)) == []
    assert reminders.sweep(now=evaluated + PERIOD - timedelta(minutes=1)) == []
    due = reminders.sweep(now=evaluated + PERIOD)
    assert [r.visit_start for r in due] == [evaluated + PERIOD]
    assert reminders.sweep(now=evaluated + PERIOD + timedelta(days=3)) == []
    assert len(mail.sent) == 2


def test_requests_elsewhere_or_ended_are_not_reminded_of(store: Store) -> None:
    pid, reached = open_at_evaluation(store)
    # Another request still at its first step, and one that ended.
    other, _ = open_at_evaluation(store, "SOP-20260105-0002")
    with store.session() as s:
        ended = procedures_repo.get_procedure(s, other)
        ended.ended, ended.current_step = "retired", None
        s.add(Procedure(
            ticket="SOP-20260105-0003", request_type=str(TAPIN.request_type), sop_key=TAPIN.key,
            sop_version=1, definition=TAPIN.model_dump(mode="json"), title="Baru",
            agency=AGENCY, request_letter_number="2/2026", request_letter_date=None, fields={},
            current_step="request", created_by="opd", created_at=OPENED,
        ))  # fmt: skip
    reminders = EvaluationReminders(store)  # no channel: recorded only
    assert [r.procedure_id for r in reminders.due(now=reached + timedelta(days=1))] == [pid]
    assert len(reminders.sweep(now=reached + timedelta(days=1))) == 1
    assert reminders.due(now=reached + timedelta(days=2)) == []


def test_the_periodic_entry_runs_the_sweep_once(store: Store) -> None:
    open_at_evaluation(store)
    mail = Mailbox()
    reminders = EvaluationReminders(store, Notifier(store, "http://x", mail, None))
    assert evaluation_sweep(reminders) == 1  # now: long after the evaluation was reached
    assert evaluation_sweep(reminders) == 0
    assert len(mail.sent) == 1
