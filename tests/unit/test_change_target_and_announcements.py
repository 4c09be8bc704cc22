"""A change of target is a DNS plan from what provisioner last wrote to the new address,
run as its own job kind that completes the change request; the job runner announces "live"
and "letter issued" only after the commit that moved the request (never for a rolled-back
move); the notifier maps those states to its events and sends "live" once. Fake steps,
real SQLite store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from provisioner.config import Settings
from provisioner.domain.dns_plan import DnsPlan
from provisioner.domain.jobs import (
    RETARGET_STEPS,
    JobState,
    final_state,
    provision_steps,
    site_lock_key,
    step_spec,
    tracks_request,
)
from provisioner.domain.states import RequestState, can_transition
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.repositories import jobs as jobs_repo, requests as requests_repo
from provisioner.workflow.people.notify import STATE_EVENTS, Notifier
from provisioner.workflow.requests.changes import change_plan

S = RequestState


def _change(target: str = "127.0.2.11") -> Request:
    return Request(
        ticket="SUB-1-x", label="sikes", zone="demokab.go.id", fqdn="sikes.demokab.go.id",
        agency="Dinas", purpose="Pindah server", contact_name="c", contact_email="c@x.id",
        letter_number="1", letter_date=date(2026, 1, 1), hosting=False, target_address=target,
        state=S.SUBMITTED, created_by="opd", request_type="change_target", subject_request_id=7,
    )  # fmt: skip


# --- the change-of-target plan ------------------------------------------------------------


def test_retarget_is_an_update_guarded_by_the_value_provisioner_last_wrote() -> None:
    plan = change_plan(_change(), ("127.0.2.12", 600), 300).to_dict()
    dns = DnsPlan.from_dict(plan["dns"])
    (change,) = dns.changes
    assert (change.action, change.name, change.rtype) == ("update", "sikes.demokab.go.id", "A")
    assert (change.previous, change.value, change.ttl) == ("127.0.2.12", "127.0.2.11", 600)
    assert plan["site_request_id"] == 7 and plan["kind"] == "change_target"
    assert plan["summary"] == ["~ A sikes.demokab.go.id 127.0.2.12 → 127.0.2.11 (ttl 600)"]


def test_retarget_of_a_record_provisioner_does_not_hold_creates_it() -> None:
    dns = DnsPlan.from_dict(change_plan(_change(), None, 300).to_dict()["dns"])
    assert [c.action for c in dns.changes] == ["create"] and dns.changes[0].ttl == 300


def test_retarget_to_the_address_already_there_changes_nothing() -> None:
    plan = change_plan(_change("127.0.2.12"), ("127.0.2.12", 300), 300).to_dict()
    assert plan["dns"]["changes"] == [] and plan["summary"][0].startswith("= A")


def test_retarget_job_moves_the_change_request_to_completed_through_legal_states() -> None:
    assert [s.name for s in RETARGET_STEPS] == ["retarget_dns"]
    assert step_spec("retarget_dns").request_state is S.PROVISIONING
    assert tracks_request("retarget") and final_state("retarget") is S.COMPLETED
    for a, b in [(S.APPROVED, S.PROVISIONING), (S.PROVISIONING, S.COMPLETED),
                 (S.PROVISIONING, S.FAILED), (S.FAILED, S.PROVISIONING)]:  # fmt: skip
        assert can_transition(a, b), (a, b)


# --- announcements from the job runner ----------------------------------------------------


class FakeStep:
    def __init__(self, name: str, *, fail: bool = False) -> None:
        self.name, self.fail = name, fail

    def apply(self, ctx: Any) -> dict[str, Any]:
        if self.fail:
            from provisioner.domain.errors import StepFailed

            raise StepFailed(self.name, "web-prod", "sshd stopped")
        return {"host": "fake"}

    def verify(self, ctx: Any) -> dict[str, Any] | None:
        return None

    def undo(self, ctx: Any) -> None:
        return None


@pytest.fixture
def store(tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32)
    migrate(settings.store_url)
    st = Store(settings.store_url)
    yield settings, st
    st.dispose()


def _job(st: Store) -> tuple[int, int]:
    with st.session() as s:
        req = Request(ticket="SUB-1-a", label="a", zone="demokab.go.id", fqdn="a.demokab.go.id",
                      agency="Dinas", purpose="p", contact_name="c", contact_email="c@x.id",
                      letter_number="1", letter_date=date(2026, 1, 1), hosting=False,
                      target_address="127.0.2.12", state=S.APPROVED, created_by="opd",
                      plan={}, plan_checksum="x")  # fmt: skip
        s.add(req)
        s.flush()
        job = jobs_repo.create_job(s, request_id=req.id, kind="provision",
                              lock_key=site_lock_key(req.fqdn),
                              steps=[x.name for x in provision_steps(False)], actor="net")
        jobs_repo.claim_job(s, job.id, "w1")
        return req.id, job.id


def test_runner_announces_each_state_after_its_commit(store: Any) -> None:
    settings, st = store
    request_id, job_id = _job(st)
    runner = JobRunner(st, {x.name: FakeStep(x.name) for x in provision_steps(False)},
                       settings, worker_id="w1")  # fmt: skip
    heard: list[tuple[int, str, str]] = []

    def listener(rid: int, state: RequestState) -> None:
        with st.read() as s:  # what another connection sees: already committed
            heard.append((rid, state, requests_repo.get_request(s, rid).state))

    runner.on_request_state = listener
    assert runner.run(job_id) is JobState.DONE
    assert heard == [
        (request_id, S.PROVISIONING, S.PROVISIONING),
        (request_id, S.LIVE, S.LIVE),
        (request_id, S.LETTER_ISSUED, S.LETTER_ISSUED),
    ]


def test_a_listener_that_fails_never_fails_the_job(store: Any) -> None:
    settings, st = store
    _, job_id = _job(st)
    runner = JobRunner(st, {x.name: FakeStep(x.name) for x in provision_steps(False)},
                       settings, worker_id="w1")  # fmt: skip

    def broken(_rid: int, _state: RequestState) -> None:
        raise RuntimeError("mail server on fire")

    runner.on_request_state = broken
    assert runner.run(job_id) is JobState.DONE


def test_failed_step_announces_failed_not_live(store: Any) -> None:
    settings, st = store
    _, job_id = _job(st)
    steps = {x.name: FakeStep(x.name) for x in provision_steps(False)}
    steps["dns"] = FakeStep("dns", fail=True)
    runner = JobRunner(st, steps, settings, worker_id="w1")
    heard: list[str] = []
    runner.on_request_state = lambda _rid, state: heard.append(state)
    assert runner.run(job_id) is JobState.FAILED
    assert heard == [S.PROVISIONING, S.FAILED]


# --- the notifier's side ----------------------------------------------------------------------


class Recorder(Notifier):
    sent: list[tuple[int, str]]

    def notify_later(self, request_id: int, event: str) -> None:
        self.sent.append((request_id, event))


def test_only_live_and_letter_issued_are_told_to_people(store: Any) -> None:
    _, st = store
    notifier = Recorder(st, "http://127.0.0.1:8080")
    notifier.sent = []
    for state in (S.PROVISIONING, S.LIVE, S.FAILED, S.LETTER_ISSUED, S.COMPLETED):
        notifier.announce_state(1, state)
    assert notifier.sent == [(1, "live"), (1, "letter_issued")]
    assert set(STATE_EVENTS.values()) == {"live", "letter_issued"}
