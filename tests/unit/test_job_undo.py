"""Undo of a failed provisioning job through the worker's path: only the standing steps are
marked, the runner takes them back newest first, the request ends `undone` with its name
free — or keeps the name while a DNS record still stands. Fake steps, real SQLite store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.dns_plan import RecordChange
from provisioner.domain.errors import Conflict, Forbidden, StepFailed
from provisioner.domain.jobs import JobState, StepStatus, provision_steps, site_lock_key
from provisioner.domain.states import RequestState
from provisioner.jobs.control import JobUndoService
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    dns as dns_repo,
    jobs as jobs_repo,
    requests as requests_repo,
)

TECH = Actor("tech", Role.TECHNICAL)
NET = Actor("net", Role.NETWORK)


class Step:
    def __init__(self, name: str, undone: list[str], *, fail: bool = False,
                 undo_fails: bool = False) -> None:
        self.name, self.undone, self.fail, self.undo_fails = name, undone, fail, undo_fails

    def apply(self, ctx: Any) -> dict[str, Any]:
        if self.fail:
            raise StepFailed(self.name, "web-dev", "http_health: 500")
        return {"host": "web-dev", "fqdn": ctx.site.dev_fqdn, "database": "site_x", "user": "u_x"}

    def verify(self, ctx: Any) -> None:
        return None

    def undo(self, ctx: Any) -> None:
        if self.undo_fails:
            self.undo_fails = False
            raise StepFailed(self.name, "db", "db host unreachable")
        self.undone.append(self.name)


@pytest.fixture
def store(tmp_path: Any) -> Any:
    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32)
    migrate(settings.store_url)
    built = Store(settings.store_url)
    yield settings, built
    built.dispose()


def failed_job(settings: Settings, store: Store, steps: dict[str, Step]) -> tuple[int, int]:
    """A hosting job that ran dns, database and site_dev, then failed at checks_dev."""
    with store.session() as s:
        req = Request(ticket="SUB-1", label="x", zone="demokab.go.id", fqdn="x.demokab.go.id",
                      agency="Dinas", purpose="p", contact_name="c", contact_email="c@x.id",
                      letter_number="1", letter_date=date(2026, 1, 1), hosting=True,
                      state=RequestState.APPROVED, created_by="opd", plan={},
                      plan_checksum="x")
        s.add(req)
        s.flush()
        requests_repo.claim_name(s, "demokab.go.id", "x", req.id)
        job = jobs_repo.create_job(s, request_id=req.id, kind="provision",
                              lock_key=site_lock_key(req.fqdn),
                              steps=[spec.name for spec in provision_steps(True)], actor="net")
        jobs_repo.claim_job(s, job.id, "w1")
        request_id, job_id = req.id, job.id
    runner = JobRunner(store, steps, settings, worker_id="w1")
    assert runner.run(job_id) == JobState.FAILED
    return request_id, job_id


def steps_for(undone: list[str], **special: Step) -> dict[str, Step]:
    steps = {spec.name: Step(spec.name, undone) for spec in provision_steps(True)}
    steps["checks_dev"] = Step("checks_dev", undone, fail=True)
    steps.update(special)
    return steps


def run_queued(settings: Settings, store: Store, steps: dict[str, Step], job_id: int) -> str:
    with store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "w1")
    return str(JobRunner(store, steps, settings, worker_id="w1").run(job_id))


def journal(store: Store, job_id: int) -> tuple[str, dict[str, str], str, bool]:
    with store.read() as s:
        job = jobs_repo.get_job(s, job_id)
        held = requests_repo.name_is_claimed(s, "demokab.go.id", "x")
        return job.state, {st.name: st.status for st in job.steps}, job.request.state, held


def test_undo_takes_back_exactly_the_standing_steps_newest_first(store: Any) -> None:
    settings, db = store
    undone: list[str] = []
    steps = steps_for(undone)
    _, job_id = failed_job(settings, db, steps)
    service = JobUndoService(db)
    report = service.standing(job_id, TECH)
    assert [c.step for c in report.changes] == ["dns", "database", "site_dev"]
    assert report.undoable

    queued = service.undo(job_id, TECH)
    assert queued.state == JobState.QUEUED and all(c.undoing for c in queued.changes)
    assert undone == []  # nothing ran in the caller's thread
    assert run_queued(settings, db, steps, job_id) == JobState.UNDONE
    assert undone == ["site_dev", "database", "dns"]
    state, statuses, request_state, held = journal(db, job_id)
    assert statuses["dns"] == statuses["database"] == statuses["site_dev"] == StepStatus.UNDONE
    assert statuses["checks_dev"] == StepStatus.FAILED and statuses["site_prod"] == "planned"
    assert (state, request_state, held) == ("undone", RequestState.UNDONE, False)
    assert service.standing(job_id, TECH).changes == ()


def test_undo_is_for_operators_and_only_of_a_failed_job_with_standing_changes(
    store: Any,
) -> None:
    settings, db = store
    _, job_id = failed_job(settings, db, steps_for([]))
    service = JobUndoService(db)
    with pytest.raises(Forbidden):
        service.undo(job_id, NET)
    with pytest.raises(Forbidden):
        service.undo(job_id, Actor("opd", Role.OPD, "Dinas"))
    service.undo(job_id, TECH)
    with pytest.raises(Conflict):  # already queued for undo
        service.undo(job_id, TECH)


def test_a_failed_undo_keeps_the_rest_marked_and_asking_again_carries_on(store: Any) -> None:
    settings, db = store
    undone: list[str] = []
    steps = steps_for(undone, database=Step("database", undone, undo_fails=True))
    _, job_id = failed_job(settings, db, steps)
    service = JobUndoService(db)
    service.undo(job_id, TECH)
    assert run_queued(settings, db, steps, job_id) == JobState.FAILED
    state, statuses, request_state, held = journal(db, job_id)
    assert undone == ["site_dev"]
    assert (statuses["site_dev"], statuses["database"], statuses["dns"]) == (
        "undone", "undoing", "undoing")
    assert (request_state, held) == (RequestState.FAILED, True)
    assert [c.step for c in service.standing(job_id, TECH).changes] == ["dns", "database"]

    service.undo(job_id, TECH)
    assert run_queued(settings, db, steps, job_id) == JobState.UNDONE
    assert undone == ["site_dev", "database", "dns"]
    assert journal(db, job_id)[2:] == (RequestState.UNDONE, False)


def test_the_name_stays_held_while_a_dns_record_still_stands(store: Any) -> None:
    settings, db = store
    steps = steps_for([])
    request_id, job_id = failed_job(settings, db, steps)
    with db.session() as s:  # the record the (fake) DNS undo leaves in place
        change = RecordChange("create", "x.demokab.go.id", "A", 300, "127.0.2.12")
        dns_repo.record_applied(s, "demokab.go.id", change, request_id)
    JobUndoService(db).undo(job_id, TECH)
    assert run_queued(settings, db, steps, job_id) == JobState.FAILED
    state, statuses, request_state, held = journal(db, job_id)
    assert statuses["dns"] == StepStatus.UNDOING and statuses["database"] == StepStatus.UNDONE
    assert (request_state, held) == (RequestState.FAILED, True)
    with db.read() as s:
        assert "A x.demokab.go.id" in (jobs_repo.get_job(s, job_id).error or "")
