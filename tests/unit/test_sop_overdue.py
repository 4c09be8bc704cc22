"""Overdue SOP steps (provisioner.workflow.procedures.overdue) on a real SQLite store: a
current step past its limit in working time is announced once per visit — a second sweep
sends nothing, the next visit after a return is announced again — to the accounts acting for
the step's SOP role and the approvers; a step within its limit, or one the OPD acts on
(paused), never is; and the SOP's service hours and the calendar's days off count."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from provisioner.adapters.sop_files import load_presets
from provisioner.domain.actors import Role
from provisioner.domain.sop import SopDefinition
from provisioner.jobs.periodic import SCHEDULE, overdue_sweep
from provisioner.store.db import Store
from provisioner.store.models.procedures import Procedure, ProcedureStep
from provisioner.store.repositories import audit as audit_repo, procedures as procedures_repo
from provisioner.workflow.people.notify import Notifier
from provisioner.workflow.procedures.overdue import OverdueSteps
from tests.notice_support import Hook, Mailbox, store_with_users

AGENCY = "Dinas Kesehatan"
WITA = ZoneInfo("Asia/Makassar")
MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=WITA)  # a working Monday, 09:00 WITA
KALTARA = load_presets()["kaltara-rekomendasi"]  # receipt (secretariat) 20m, … presentation (opd)
DEFAULT = load_presets()["default"]  # … create_subdomain (network) 4h ⇄ opd_revision (opd)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    users = [
        ("opd", Role.OPD, AGENCY), ("jaringan", Role.NETWORK, None),
        ("teknis", Role.TECHNICAL, None), ("kadis", Role.APPROVER, None),
        ("kabid", Role.KABID, None), ("admin", Role.ADMIN, None),
    ]  # fmt: skip
    s = store_with_users(tmp_path, users)
    yield s
    s.dispose()


def open_procedure(
    store: Store,
    definition: SopDefinition,
    opened: datetime,
    records: Sequence[tuple[str, str, datetime]] = (),
    ticket: str = "SOP-20260105-0001",
) -> int:
    """A request under `definition` opened at `opened`, with (step, outcome, at) recorded."""
    with store.session() as s:
        row = Procedure(
            ticket=ticket, request_type=str(definition.request_type), sop_key=definition.key,
            sop_version=definition.version, definition=definition.model_dump(mode="json"),
            title="Rekomendasi aplikasi", agency=AGENCY, request_letter_number="1/2026",
            request_letter_date=None, fields={}, current_step=definition.steps[0].key,
            created_by="opd", created_at=opened.astimezone(UTC),
        )  # fmt: skip
        s.add(row)
        s.flush()
        pid = row.id
    for step, outcome, at in records:
        record(store, pid, step, outcome, at)
    return pid


def record(store: Store, pid: int, step: str, outcome: str, at: datetime) -> None:
    with store.session() as s:
        s.add(ProcedureStep(procedure_id=pid, step=step, outcome=outcome, actor="x", role="team",
                            at=at.astimezone(UTC), note="alasan", fields={}))  # fmt: skip


def overdue_steps(store: Store, mail: Mailbox | None = None, hook: Hook | None = None,
                  days_off: frozenset[date] = frozenset()) -> OverdueSteps:  # fmt: skip
    notifier = Notifier(store, "https://layanan.demokab.go.id", mail, hook)
    return OverdueSteps(store, lambda: days_off, notifier)


def test_the_sweep_is_scheduled() -> None:
    assert SCHEDULE["sop-overdue"] == {"minutes": 15}


def test_an_overdue_step_is_announced_once_to_its_role_and_the_approvers(store: Store) -> None:
    pid = open_procedure(store, KALTARA, MONDAY_9)  # at "receipt" (secretariat, 20m)
    mail, hook = Mailbox(), Hook()
    overdue = overdue_steps(store, mail, hook)
    now = MONDAY_9 + timedelta(minutes=30)

    first = overdue.sweep(now=now)
    assert [(o.procedure_id, o.step, o.role, o.limit) for o in first] == [
        (pid, "receipt", "secretariat", "20m")
    ]
    assert first[0].used_minutes == 30 and first[0].limit_minutes == 20
    assert first[0].due_at == MONDAY_9 + timedelta(minutes=20)
    assert overdue.sweep(now=now + timedelta(hours=1)) == []
    assert len(mail.sent) == 1 and len(hook.posted) == 1

    to, subject, body = mail.sent[0]
    assert set(to) == {"admin@demokab.go.id", "kadis@demokab.go.id"}
    assert subject.startswith("[SOP-20260105-0001] Langkah SOP melewati batas waktu")
    assert AGENCY in body and f"https://layanan.demokab.go.id/sop/{pid}" in body
    assert hook.posted[0]["event"] == "sop_overdue" and hook.posted[0]["step"] == "receipt"
    with store.read() as s:
        assert procedures_repo.get_procedure(s, pid).overdue_notified_for == MONDAY_9
        actions = [e.action for e in audit_repo.iter_audit(s)]
    assert actions.count("procedure:step_overdue") == 1
    assert actions.count("notify:sent") == 1
    # The dashboards still list it (announced or not) while it stays overdue.
    listed = overdue.listing(now + timedelta(hours=2))
    assert [(o.ticket, o.step, o.notified) for o in listed] == [
        ("SOP-20260105-0001", "receipt", True)
    ]


def test_a_step_within_its_limit_is_not_overdue(store: Store) -> None:
    open_procedure(store, KALTARA, MONDAY_9)
    mail = Mailbox()
    overdue = overdue_steps(store, mail)
    assert overdue.listing(MONDAY_9 + timedelta(minutes=19)) == []
    assert overdue.sweep(now=MONDAY_9 + timedelta(minutes=20)) == []
    assert mail.sent == []


def test_an_opd_step_is_paused_never_overdue(store: Store) -> None:
    at = MONDAY_9
    records = []
    for step in ("receipt", "kadis_disposition", "kabid_disposition", "completeness_invitation"):
        at += timedelta(minutes=10)
        records.append((step, "done", at))
    open_procedure(store, KALTARA, MONDAY_9, records)  # now at "presentation" (opd, 60m)
    mail = Mailbox()
    overdue = overdue_steps(store, mail)
    assert overdue.sweep(now=at + timedelta(days=10)) == []
    assert overdue.listing(at + timedelta(days=10)) == []
    assert mail.sent == []


def test_the_next_visit_after_a_return_is_announced_again(store: Store) -> None:
    records = [("disposition", "done", MONDAY_9 + timedelta(minutes=10)),
               ("name_check", "done", MONDAY_9 + timedelta(minutes=20))]  # fmt: skip
    pid = open_procedure(store, DEFAULT, MONDAY_9, records)  # at create_subdomain (network, 4h)
    mail = Mailbox()
    overdue = overdue_steps(store, mail)
    reached = MONDAY_9 + timedelta(minutes=20)
    assert overdue.sweep(now=reached + timedelta(hours=3)) == []
    first = overdue.sweep(now=reached + timedelta(hours=5))
    assert [(o.step, o.visit_start) for o in first] == [("create_subdomain", reached)]
    assert set(mail.sent[0][0]) == {"jaringan@demokab.go.id", "kadis@demokab.go.id"}

    returned = MONDAY_9 + timedelta(hours=6)
    record(store, pid, "create_subdomain", "return", returned)  # to the OPD (paused)
    assert overdue.sweep(now=returned + timedelta(days=3)) == []
    revised = datetime(2026, 1, 8, 9, 0, tzinfo=WITA)
    record(store, pid, "opd_revision", "done", revised)  # back at create_subdomain
    assert overdue.sweep(now=revised + timedelta(hours=1)) == []
    again = overdue.sweep(now=revised + timedelta(hours=4, minutes=1))
    assert [(o.step, o.visit_start) for o in again] == [("create_subdomain", revised)]
    assert overdue.sweep(now=revised + timedelta(hours=6)) == []
    assert len(mail.sent) == 2


def test_working_hours_count_not_the_wall_clock(store: Store) -> None:
    friday = datetime(2026, 1, 9, 16, 20, tzinfo=WITA)  # Friday's hours end at 16:30
    open_procedure(store, KALTARA, friday)  # "receipt", 20m
    mail = Mailbox()
    overdue = overdue_steps(store, mail)
    assert overdue.sweep(now=datetime(2026, 1, 10, 12, 0, tzinfo=WITA)) == []  # Saturday
    assert overdue.sweep(now=datetime(2026, 1, 12, 8, 5, tzinfo=WITA)) == []  # 15 min used
    monday = overdue.sweep(now=datetime(2026, 1, 12, 8, 30, tzinfo=WITA))
    assert [o.due_at for o in monday] == [datetime(2026, 1, 12, 8, 10, tzinfo=WITA)]
    assert len(mail.sent) == 1


def test_the_calendar_s_days_off_count(store: Store) -> None:
    open_procedure(store, KALTARA, MONDAY_9)
    overdue = overdue_steps(store, days_off=frozenset({MONDAY_9.date()}))
    assert overdue.listing(MONDAY_9 + timedelta(hours=3)) == []  # a day off: no clock
    assert len(overdue.listing(datetime(2026, 1, 6, 8, 21, tzinfo=WITA))) == 1


def test_the_periodic_entry_runs_the_sweep_once(store: Store) -> None:
    open_procedure(store, KALTARA, MONDAY_9)  # long overdue by now
    mail = Mailbox()
    overdue = overdue_steps(store, mail)
    assert overdue_sweep(overdue) == 1
    assert overdue_sweep(overdue) == 0
    assert len(mail.sent) == 1
