"""The job runner's journal: each step runs once, a failure is recorded with its server,
a retry resumes at the failed step, a step interrupted mid-way is verified before redo,
and a job waits while another holds its site's lock. Fake steps, real SQLite store."""

from datetime import date

import pytest

from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import StepFailed
from provisioner.domain.jobs import JobState, StepStatus, provision_steps, site_lock_key
from provisioner.domain.states import RequestState
from provisioner.jobs.control import JobControl
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.repositories import (
    counters as counters_repo,
    jobs as jobs_repo,
    leases as leases_repo,
    locks as locks_repo,
    requests as requests_repo,
)


class FakeStep:
    def __init__(self, name, *, fail_times=0, verify_result=None):
        self.name = name
        self.fail_times = fail_times
        self.verify_result = verify_result
        self.applied = 0
        self.verified = 0

    def apply(self, ctx):
        self.applied += 1
        if self.applied <= self.fail_times:
            raise StepFailed(self.name, "web-prod", "sshd stopped")
        ctx.log(f"{self.name} applied")
        return {"host": "fake", "seen": sorted(ctx.outputs)}

    def verify(self, ctx):
        self.verified += 1
        return self.verify_result

    def undo(self, ctx):
        return None


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32)
    migrate(settings.store_url)
    store = Store(settings.store_url)
    yield settings, store
    store.dispose()


def make_job(store, label="dinkes"):
    with store.session() as s:
        req = Request(ticket=f"SUB-1-{label}", label=label, zone="demokab.go.id",
                      fqdn=f"{label}.demokab.go.id", agency="Dinas", purpose="p",
                      contact_name="c", contact_email="c@x.id", letter_number="1",
                      letter_date=date(2026, 1, 1), hosting=True, state=RequestState.APPROVED,
                      created_by="opd", plan={}, plan_checksum="x")
        s.add(req)
        s.flush()
        job = jobs_repo.create_job(s, request_id=req.id, kind="provision",
                              lock_key=site_lock_key(req.fqdn),
                              steps=[spec.name for spec in provision_steps(True)], actor="net")
        jobs_repo.claim_job(s, job.id, "w1")
        return req.id, job.id


def runner_with(settings, store, **overrides):
    steps = {spec.name: FakeStep(spec.name) for spec in provision_steps(True)}
    steps.update(overrides)
    return JobRunner(store, steps, settings, worker_id="w1"), steps


def job_state(store, job_id):
    with store.read() as s:
        job = jobs_repo.get_job(s, job_id)
        return job.state, [(st.name, st.status) for st in job.steps], job.request


def test_whole_job_runs_each_step_once_and_ends_with_the_letter_state(env):
    settings, store = env
    request_id, job_id = make_job(store)
    runner, steps = runner_with(settings, store)
    assert runner.run(job_id) == JobState.DONE
    state, journal, req = job_state(store, job_id)
    assert all(status == StepStatus.DONE for _, status in journal)
    assert [s.applied for s in steps.values()] == [1] * len(steps)
    assert req.state == RequestState.LETTER_ISSUED and req.live_at is not None
    # later steps saw the outputs of the earlier ones
    assert steps["letter"].applied == 1
    with store.read() as s:
        assert locks_repo.lock_holder(s, site_lock_key("dinkes.demokab.go.id")) is None


def test_failure_records_step_server_reason_and_retry_resumes_there(env):
    settings, store = env
    request_id, job_id = make_job(store)
    flaky = FakeStep("site_prod", fail_times=1)
    runner, steps = runner_with(settings, store, site_prod=flaky)
    assert runner.run(job_id) == JobState.FAILED
    state, journal, req = job_state(store, job_id)
    assert dict(journal)["site_prod"] == StepStatus.FAILED
    assert dict(journal)["checks_prod"] == StepStatus.PLANNED
    assert (req.state, req.failure_step, req.failure_server) == (
        RequestState.FAILED, "site_prod", "web-prod")
    assert "sshd stopped" in req.failure_reason

    service = JobControl(store, on_job_queued=lambda _job_id: None)
    service.retry(job_id, Actor("tech", Role.TECHNICAL))
    with store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "w1")
    assert runner.run(job_id) == JobState.DONE
    assert steps["dns"].applied == 1  # not redone
    assert flaky.applied == 2
    assert job_state(store, job_id)[2].failure_step is None


def test_step_interrupted_mid_way_is_verified_and_not_redone_when_in_place(env):
    settings, store = env
    _, job_id = make_job(store)
    with store.session() as s:
        job = jobs_repo.get_job(s, job_id)
        job.steps[0].status = StepStatus.DONE
        job.steps[0].outputs = {"records": ["x"]}
        job.steps[1].status = StepStatus.RUNNING  # the process died here
    in_place = FakeStep("database", verify_result={"host": "db", "verified": True})
    runner, steps = runner_with(settings, store, database=in_place)
    assert runner.run(job_id) == JobState.DONE
    assert (in_place.verified, in_place.applied) == (1, 0)
    assert steps["dns"].applied == 0


def test_step_interrupted_and_not_in_place_is_redone(env):
    settings, store = env
    _, job_id = make_job(store)
    with store.session() as s:
        jobs_repo.get_job(s, job_id).steps[0].status = StepStatus.RUNNING
    missing = FakeStep("dns", verify_result=None)
    runner, _ = runner_with(settings, store, dns=missing)
    assert runner.run(job_id) == JobState.DONE
    assert (missing.verified, missing.applied) == (1, 1)


def test_second_job_for_the_same_site_waits_for_the_lock(env):
    settings, store = env
    _, first = make_job(store, "dinkes")
    with store.session() as s:
        assert locks_repo.acquire_lock(s, site_lock_key("dinkes.demokab.go.id"), first)
        req = jobs_repo.get_job(s, first).request
        second = jobs_repo.create_job(s, request_id=req.id, kind="provision",
                                 lock_key=site_lock_key(req.fqdn), steps=["dns"], actor="n")
        jobs_repo.claim_job(s, second.id, "w1")
        second_id = second.id
    runner, steps = runner_with(settings, store)
    assert runner.run(second_id) == JobState.QUEUED
    assert steps["dns"].applied == 0
    with store.read() as s:
        assert "menunggu" in jobs_repo.get_job(s, second_id).error


def test_orphaned_running_job_of_this_worker_is_requeued(env):
    from datetime import timedelta

    settings, store = env
    _, job_id = make_job(store)
    with store.session() as s:
        assert jobs_repo.requeue_orphans(s, worker="w1", stale_after=timedelta(hours=1)) == [job_id]
        assert jobs_repo.get_job(s, job_id).state == JobState.QUEUED


def test_letter_counter_never_skips_or_repeats(env):
    _, store = env
    with store.session() as s:
        values = [counters_repo.next_counter(s, "letter:2026") for _ in range(5)]
    with pytest.raises(RuntimeError), store.session() as s:
        counters_repo.next_counter(s, "letter:2026")
        raise RuntimeError("rolled back: the number is not consumed")
    with store.session() as s:
        values.append(counters_repo.next_counter(s, "letter:2026"))
    assert values == [1, 2, 3, 4, 5, 6]


class SlowStep(FakeStep):
    def __init__(self, name, seconds):
        super().__init__(name)
        self.seconds = seconds

    def apply(self, ctx):
        import time

        time.sleep(self.seconds)
        return super().apply(ctx)


def test_heartbeat_keeps_beating_while_a_long_step_runs(tmp_path):
    import threading
    import time

    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32,
                        job_heartbeat_seconds=0.2)
    migrate(settings.store_url)
    store = Store(settings.store_url)
    _, job_id = make_job(store)
    runner, _ = runner_with(settings, store, database=SlowStep("database", 1.5))
    beats = []

    def watch():
        for _ in range(12):
            with store.read() as s:
                beats.append(jobs_repo.get_job(s, job_id).heartbeat_at)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert runner.run(job_id) == JobState.DONE
    watcher.join()
    assert len(set(beats)) >= 4, beats  # the beat moved on during the 1.5 s step
    store.dispose()


def test_a_job_waits_for_another_job_holding_its_dns_name_or_database(env):
    settings, store = env
    _, first = make_job(store, "dinkes")
    with store.session() as s:
        # Another job (say a rename) holds the database of this site, not the site itself.
        assert locks_repo.acquire_locks(s, ["db:dinkes_db"], first) is None
        req = requests_repo.get_request(s, jobs_repo.get_job(s, first).request_id)
        req.db_name = "dinkes_db"
        second = jobs_repo.create_job(s, request_id=req.id, kind="provision",
                                 lock_key="site:other", steps=["dns"], actor="n")
        jobs_repo.claim_job(s, second.id, "w1")
        second_id = second.id
    runner, steps = runner_with(settings, store)
    assert runner.run(second_id) == JobState.QUEUED
    assert steps["dns"].applied == 0
    with store.read() as s:
        assert "db:dinkes_db" in jobs_repo.get_job(s, second_id).error
        # all or nothing: the keys that were free were not kept
        assert locks_repo.lock_holder(s, "site:other") is None


def test_unreachable_server_is_retried_with_backoff_then_fails_naming_it(tmp_path):
    from provisioner.domain.errors import ServerUnreachable

    class Unreachable(FakeStep):
        def apply(self, ctx):
            self.applied += 1
            raise ServerUnreachable(self.name, "db", "connection refused")

    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32,
                        step_retries=2, step_retry_backoff=0.05)
    migrate(settings.store_url)
    store = Store(settings.store_url)
    _, job_id = make_job(store)
    down = Unreachable("database")
    runner, _ = runner_with(settings, store, database=down)
    assert runner.run(job_id) == JobState.FAILED
    assert down.applied == 3
    state, journal, req = job_state(store, job_id)
    assert (req.failure_step, req.failure_server) == ("database", "db")
    with store.read() as s:
        log = jobs_repo.get_job(s, job_id).steps[1].log
    assert log.count("retrying in") == 2
    store.dispose()


def test_scheduler_lease_has_one_holder_until_it_expires(env):
    _, store = env
    with store.session() as s:
        assert leases_repo.take_lease(s, "scheduler", "a", seconds=30)
        assert not leases_repo.take_lease(s, "scheduler", "b", seconds=30)
        assert leases_repo.take_lease(s, "scheduler", "a", seconds=30)  # renewal
        assert leases_repo.lease_holder(s, "scheduler") == "a"
    with store.session() as s:
        assert leases_repo.take_lease(s, "gone", "a", seconds=-1)  # already expired
        assert leases_repo.take_lease(s, "gone", "b", seconds=30)  # so b takes it over
        assert leases_repo.lease_holder(s, "gone") == "b"
