"""Hosting logic without servers: which jobs move a request's state, the retire
plan, the runner's hook that marks rolled-back steps undone (fake steps, real SQLite store),
and the deploy service's refusals (role, bad input, busy site)."""

from __future__ import annotations

from datetime import date

import pytest

from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, StepFailed
from provisioner.domain.jobs import (
    OPERATION_STEPS,
    JobState,
    StepStatus,
    final_state,
    provision_steps,
    retire_steps,
    site_lock_key,
    tracks_request,
)
from provisioner.domain.plan import RetirePlan, plan_checksum
from provisioner.domain.states import RequestState
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    jobs as jobs_repo,
    letters as letters_repo,
    requests as requests_repo,
)
from provisioner.workflow.hosting.deployments import DeploymentService

TECH = Actor("tech", Role.TECHNICAL)


class Step:
    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.name, self.error = name, error

    def apply(self, ctx):  # type: ignore[no-untyped-def]
        if self.error:
            raise self.error
        return {"host": "fake"}

    def verify(self, ctx):  # type: ignore[no-untyped-def]
        return None

    def undo(self, ctx):  # type: ignore[no-untyped-def]
        return None


class RolledBackFake(StepFailed):
    undone_steps = ("site_prod",)


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32)
    migrate(settings.store_url)
    st = Store(settings.store_url)
    yield settings, st
    st.dispose()


def add_request(st: Store, state: RequestState, *, kind: str | None, steps=()) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with st.session() as s:
        req = Request(ticket="SUB-1", label="dinkes", zone="demokab.go.id",
                      fqdn="dinkes.demokab.go.id", agency="Dinas", purpose="p",
                      contact_name="c", contact_email="c@x.id", letter_number="1",
                      letter_date=date(2026, 1, 1), hosting=True, state=state,
                      created_by="opd", plan={}, plan_checksum="x", db_name="dinkes",
                      db_user="dinkes")
        s.add(req)
        s.flush()
        job_id = 0
        if kind:
            job = jobs_repo.create_job(s, request_id=req.id, kind=kind,
                                  lock_key=site_lock_key(req.fqdn), steps=list(steps),
                                  actor="tech")
            jobs_repo.claim_job(s, job.id, "w1")
            job_id = job.id
        return req.id, job_id


def test_only_provision_and_retire_move_the_request_state() -> None:
    assert tracks_request("provision") and not tracks_request("deploy")
    assert final_state("provision") == RequestState.LETTER_ISSUED
    assert final_state("retire") == RequestState.RETIRED
    assert final_state("promote") is None and final_state("rollback") is None
    assert [s.name for s in retire_steps(False)] == ["retire_dns", "release_name"]
    assert [s.name for s in OPERATION_STEPS["promote"]][-1] == "checks_prod"


def test_retire_plan_names_every_item_in_order_and_its_checksum_is_stable() -> None:
    plan = RetirePlan.build(
        fqdn="dinkes.demokab.go.id", dev_fqdn="dinkes.dev.demokab.go.id",
        dns_changes=[{"name": "dinkes.demokab.go.id", "rtype": "A", "value": "127.0.2.12"}],
        hosting=True, db_name="dinkes", db_user="dinkes", web_dev_host="web-dev",
        web_prod_host="web-prod", db_host="db", backup_dir="/var/backups/provisioner",
    ).to_dict()
    summary = RetirePlan.from_dict(plan).summary()
    assert summary[0].startswith("delete dns: dinkes.demokab.go.id A")
    assert [line.split(":")[0] for line in summary] == [
        "delete dns", "backup database", "delete site", "delete site", "delete database",
        "release name"]
    assert plan_checksum(plan) == plan_checksum(dict(plan))


def test_a_rolled_back_step_is_marked_undone_and_a_deploy_job_leaves_the_request_alone(
    store,  # type: ignore[no-untyped-def]
) -> None:
    settings, st = store
    names = [s.name for s in OPERATION_STEPS["promote"]]
    request_id, job_id = add_request(st, RequestState.LETTER_ISSUED, kind="promote", steps=names)
    steps = {n: Step(n) for n in names}
    steps["checks_prod"] = Step("checks_prod", RolledBackFake("checks_prod", "web-prod",
                                                             "health 500; rolled back"))
    assert JobRunner(st, steps, settings, worker_id="w1").run(job_id) == JobState.FAILED
    with st.read() as s:
        job = jobs_repo.get_job(s, job_id)
        assert [(x.name, x.status) for x in job.steps] == [
            ("source_prod", StepStatus.DONE), ("site_prod", StepStatus.UNDONE),
            ("checks_prod", StepStatus.FAILED)]
        req = requests_repo.get_request(s, request_id)
        assert req.state == RequestState.LETTER_ISSUED and req.failure_step is None
        assert "rolled back" in (job.error or "")


def test_a_provision_job_failing_after_rollback_records_it_on_the_request(store) -> None:  # type: ignore[no-untyped-def]
    settings, st = store
    names = [s.name for s in provision_steps(True)]
    request_id, job_id = add_request(st, RequestState.APPROVED, kind="provision", steps=names)
    steps = {n: Step(n) for n in names}
    steps["checks_prod"] = Step("checks_prod", RolledBackFake("checks_prod", "web-prod",
                                                             "health 500; rolled back"))
    JobRunner(st, steps, settings, worker_id="w1").run(job_id)
    with st.read() as s:
        req = requests_repo.get_request(s, request_id)
        assert (req.state, req.failure_step, req.failure_server) == (
            RequestState.FAILED, "checks_prod", "web-prod")
        assert "rolled back" in (req.failure_reason or "")
        assert letters_repo.letter_for_request(s, request_id) is None


def test_deploy_refuses_other_roles_bad_input_and_a_busy_site(store) -> None:  # type: ignore[no-untyped-def]
    settings, st = store
    add_request(st, RequestState.LETTER_ISSUED, kind=None)
    service = DeploymentService(st, settings)
    fqdn = "dinkes.demokab.go.id"
    with pytest.raises(Forbidden):
        service.deploy(fqdn, Actor("net", Role.NETWORK), branch="main")
    with pytest.raises(InvalidInput) as bad:
        service.deploy(fqdn, TECH, commit="abc")
    assert bad.value.field == "commit" and " / " in bad.value.message
    with pytest.raises(InvalidInput):
        service.deploy(fqdn, TECH, branch="../etc")
    with pytest.raises(Conflict) as untested:
        service.promote(fqdn, TECH, commit="a" * 40)  # never passed dev
    assert "dev" in untested.value.message
    first = service.deploy(fqdn, TECH, branch="main")
    with pytest.raises(Conflict) as busy:
        service.deploy(fqdn, TECH, branch="main")
    assert f"pekerjaan {first.id}" in busy.value.message and "busy" in busy.value.message
