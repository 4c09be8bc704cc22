"""The job graph: which steps may start, steps side by side within a bound, a failure that
lets the steps in flight finish and be recorded before the job stops, a cancel that reaches
every branch, resume after a crash with several steps running, retry of the failed branch,
undo in reverse dependency order, and the request's state never moving back. Fake steps,
real SQLite store."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import StepFailed
from provisioner.domain.job_graph import check_order, job_graph, ready_steps, undo_order
from provisioner.domain.jobs import (
    OPERATION_STEPS,
    RETARGET_STEPS,
    JobState,
    StepStatus,
    provision_steps,
    site_lock_key,
)
from provisioner.domain.states import PROGRESS, RequestState, furthest
from provisioner.jobs.control import JobControl
from provisioner.jobs.graph import Entry, GraphRun, Outcome, StepBudget
from provisioner.jobs.runner import JobRunner
from provisioner.store.db import Store, migrate
from provisioner.store.models.audit import Event
from provisioner.store.models.requests import Request
from provisioner.store.repositories import jobs as jobs_repo, locks as locks_repo

TLS_NAMES = [s.name for s in provision_steps(True, tls=True)]
TECH = Actor("tech", Role.TECHNICAL)


class Fake:
    """A step that records when it ran; `hold` blocks apply until the event is set (or
    the job is cancelled), `fail` raises after it."""

    def __init__(self, name: str, log: list[tuple[str, str, float]], *, seconds: float = 0.0,
                 fail: bool = False, verify_result: dict[str, Any] | None = None) -> None:
        self.name, self.log, self.seconds, self.fail = name, log, seconds, fail
        self.verify_result = verify_result
        self.applied = self.verified = 0
        self.hold: threading.Event | None = None
        self.saw_cancel = False
        self.started = threading.Event()
        self.before_apply: Any = None

    def apply(self, ctx: Any) -> dict[str, Any]:
        self.applied += 1
        self.log.append(("start", self.name, time.monotonic()))
        self.started.set()
        if self.before_apply is not None:
            self.before_apply(ctx)
        if self.hold is not None:
            while not self.hold.wait(0.02):
                if ctx.cancelled():
                    self.saw_cancel = True
                    raise StepFailed(self.name, "web-dev", "stopped by the cancel")
        time.sleep(self.seconds)
        self.log.append(("end", self.name, time.monotonic()))
        if self.fail:
            raise StepFailed(self.name, "db", "ERROR 1045")
        return {"host": "fake", "step": self.name}

    def verify(self, ctx: Any) -> dict[str, Any] | None:
        self.verified += 1
        return self.verify_result

    def undo(self, ctx: Any) -> None:
        self.log.append(("undo", self.name, time.monotonic()))


@pytest.fixture
def env(tmp_path: Any) -> Any:
    settings = Settings(data_dir=tmp_path, environment="development", secret_key="t" * 32,
                        job_heartbeat_seconds=0.2)
    migrate(settings.store_url)
    store = Store(settings.store_url)
    yield settings, store
    store.dispose()


def make_job(store: Store, label: str = "graf") -> tuple[int, int]:
    with store.session() as s:
        req = Request(ticket=f"SUB-1-{label}", label=label, zone="demokab.go.id",
                      fqdn=f"{label}.demokab.go.id", agency="Dinas", purpose="p", contact_name="c",
                      contact_email="c@x.id", letter_number="1", letter_date=date(2026, 1, 1),
                      hosting=True, state=RequestState.APPROVED, created_by="opd", plan={},
                      plan_checksum="x")
        s.add(req)
        s.flush()
        job = jobs_repo.create_job(s, request_id=req.id, kind="provision",
                                   lock_key=site_lock_key(req.fqdn), steps=TLS_NAMES,
                                   actor="net")
        jobs_repo.claim_job(s, job.id, "w1")
        return req.id, job.id


def fakes(log: list[tuple[str, str, float]], **special: Fake) -> dict[str, Fake]:
    steps = {name: Fake(name, log) for name in TLS_NAMES}
    steps.update(special)
    return steps


def runner(settings: Settings, store: Store, steps: dict[str, Fake], **kw: Any) -> JobRunner:
    return JobRunner(store, steps, settings, worker_id="w1", **kw)


def journal(store: Store, job_id: int) -> dict[str, str]:
    with store.read() as s:
        return {st.name: st.status for st in jobs_repo.get_job(s, job_id).steps}


def when(log: list[tuple[str, str, float]], what: str, name: str) -> float:
    return next(t for kind, n, t in log if kind == what and n == name)


# --- the graph itself (pure) --------------------------------------------------------------

def test_ready_sets_follow_the_needs_not_the_list_order() -> None:
    needs = job_graph("provision", TLS_NAMES)
    s = StepStatus
    statuses = {name: s.PLANNED for name in TLS_NAMES}
    assert ready_steps(TLS_NAMES, needs, statuses, ()) == ["dns"]
    statuses["dns"] = s.DONE
    assert ready_steps(TLS_NAMES, needs, statuses, ()) == ["cert_prod", "database", "site_dev"]
    statuses["database"] = s.DONE
    assert "checks_dev" not in ready_steps(TLS_NAMES, needs, statuses, ())  # joined
    statuses["site_dev"] = s.DONE
    assert ready_steps(TLS_NAMES, needs, statuses, {"cert_prod"}) == ["checks_dev"]
    statuses["checks_dev"] = statuses["site_prod"] = s.DONE
    assert "tls_prod" not in ready_steps(TLS_NAMES, needs, statuses, ())  # no certificate yet
    assert needs["site_prod"] == ("checks_dev",)
    assert needs["checks_prod"] == ("site_prod", "tls_prod")


def test_a_journal_without_an_optional_step_passes_its_needs_through() -> None:
    old = [n for n in TLS_NAMES if n != "cert_prod"]  # a job approved before cert_prod existed
    assert job_graph("provision", old)["tls_prod"] == ("site_prod",)  # dns: implied
    plain = [s.name for s in provision_steps(True)]
    assert job_graph("provision", plain)["checks_prod"] == ("site_prod",)
    # Jobs the specs do not describe as a graph run in order.
    dns_only = [s.name for s in provision_steps(False)]
    assert job_graph("provision", dns_only) == {"dns": (), "letter": ("dns",)}
    assert job_graph("provision", ["dns", "mystery"])["mystery"] == ("dns",)


def test_every_spec_lists_its_steps_in_an_order_that_respects_the_needs() -> None:
    kinds = [("provision", provision_steps(h, tls=t)) for h in (True, False) for t in (True, False)]
    kinds += [(k, v) for k, v in OPERATION_STEPS.items()] + [("retarget", RETARGET_STEPS)]
    for kind, specs in kinds:
        names = [s.name for s in specs]
        check_order(names, job_graph(kind, names))  # raises otherwise
    with pytest.raises(ValueError, match="needs"):
        check_order(["site_dev", "dns"], job_graph("provision", ["site_dev", "dns"]))


def test_undo_order_takes_every_step_back_before_what_it_needed() -> None:
    needs = job_graph("provision", TLS_NAMES)
    order = undo_order(TLS_NAMES, needs)
    assert sorted(order) == sorted(TLS_NAMES)
    for name in TLS_NAMES:
        for need in needs[name]:
            assert order.index(name) < order.index(need), (name, need)
    assert order[-1] == "dns" and order[0] == "letter"


def test_request_state_never_moves_back_to_an_earlier_stage() -> None:
    S = RequestState
    assert furthest(S.TESTING_DEV, S.PROVISIONING) == S.TESTING_DEV
    assert furthest(S.PROVISIONING, S.PRODUCTION) == S.PRODUCTION
    assert furthest(S.FAILED, S.PROVISIONING) == S.PROVISIONING  # a retry moves it again
    assert furthest(S.APPROVED, S.PROVISIONING) == S.PROVISIONING


# --- the runner on a real store ----------------------------------------------------------

def test_database_and_dev_site_run_side_by_side_and_join_before_the_dev_checks(env: Any) -> None:
    settings, store = env
    log: list[tuple[str, str, float]] = []
    both = threading.Barrier(3, timeout=5)  # database, site_dev and cert_prod at once
    steps = fakes(log)
    for name in ("database", "site_dev", "cert_prod"):
        steps[name].before_apply = lambda _ctx: both.wait()  # broken unless side by side
    steps["database"].seconds = 0.2
    _, job_id = make_job(store)
    assert runner(settings, store, steps).run(job_id) == JobState.DONE
    assert set(journal(store, job_id).values()) == {StepStatus.DONE}
    assert [s.applied for s in steps.values()] == [1] * len(steps)
    assert when(log, "start", "checks_dev") >= when(log, "end", "database")
    assert when(log, "start", "checks_dev") >= when(log, "end", "site_dev")
    assert when(log, "start", "site_prod") >= when(log, "end", "checks_dev")
    assert when(log, "start", "tls_prod") >= max(when(log, "end", "site_prod"),
                                                 when(log, "end", "cert_prod"))


def test_steps_at_once_never_exceed_the_setting(tmp_path: Any) -> None:
    for limit in (1, 2):
        settings = Settings(data_dir=tmp_path / str(limit), environment="development",
                            secret_key="t" * 32, job_step_concurrency=limit)
        migrate(settings.store_url)
        store = Store(settings.store_url)
        log: list[tuple[str, str, float]] = []
        steps = fakes(log)
        for name in ("database", "site_dev", "cert_prod"):
            steps[name].seconds = 0.15
        _, job_id = make_job(store)
        assert runner(settings, store, steps).run(job_id) == JobState.DONE
        in_flight = peak = 0
        for kind, _, _ in sorted(log, key=lambda e: (e[2], e[0] == "start")):
            in_flight += 1 if kind == "start" else -1
            peak = max(peak, in_flight)
        assert peak == limit, (limit, log)
        if limit == 1:  # in order: the journal's positions
            assert [n for kind, n, _ in log if kind == "start"] == TLS_NAMES
        store.dispose()


def test_jobs_of_one_worker_share_the_steps_beside_their_first() -> None:
    """Two jobs of three independent steps, limit 3 each, one token to share: each job
    always runs one step, only one step in all runs beside them (three at most, not six)."""
    budget = StepBudget(1)
    lock, in_flight, peak = threading.Lock(), [0], [0]

    def step(entry: Entry, _outputs: dict[str, dict[str, Any]]) -> Outcome:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return Outcome(outputs={"done": entry.name})

    def job(tag: str) -> GraphRun:
        entries = [Entry(i, f"{tag}{i}", StepStatus.PLANNED) for i in range(3)]
        return GraphRun(entries, {e.name: () for e in entries}, limit=3,
                        cancelled=lambda: False, budget=budget)  # fmt: skip

    runs, results = [job("a"), job("b")], {}
    threads = [threading.Thread(target=lambda r=r: results.update({id(r): r.run(step)}))
               for r in runs]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert list(results.values()) == [(JobState.DONE, None)] * 2
    assert peak[0] == 3, peak
    assert budget.take() and not budget.take()  # the token came back, and only one exists
    # A job alone gets its branches side by side: its first step plus the shared token.
    alone, in_flight[0], peak[0] = job("c"), 0, 0
    budget.give()
    assert alone.run(step) == (JobState.DONE, None) and peak[0] == 2


def test_a_failure_lets_the_steps_beside_it_finish_and_be_recorded_first(env: Any) -> None:
    settings, store = env
    log: list[tuple[str, str, float]] = []
    steps = fakes(log, database=Fake("database", log, fail=True),
                  site_dev=Fake("site_dev", log, seconds=0.6),
                  cert_prod=Fake("cert_prod", log, seconds=0.3))
    request_id, job_id = make_job(store)
    assert runner(settings, store, steps).run(job_id) == JobState.FAILED
    statuses = journal(store, job_id)
    assert statuses["database"] == StepStatus.FAILED
    assert statuses["site_dev"] == statuses["cert_prod"] == StepStatus.DONE  # recorded
    assert statuses["checks_dev"] == statuses["site_prod"] == StepStatus.PLANNED  # not started
    assert steps["checks_dev"].applied == 0
    with store.read() as s:
        job = jobs_repo.get_job(s, job_id)
        site_dev = next(st for st in job.steps if st.name == "site_dev")
        assert job.finished_at >= site_dev.finished_at  # the job stopped after its sibling
        assert job.error.startswith("database @ db: ERROR 1045")
        assert locks_repo.lock_holder(s, site_lock_key("graf.demokab.go.id")) is None
        req = job.request
        assert (req.state, req.failure_step, req.failure_server) == ("failed", "database", "db")
        done = set(s.scalars(select(Event.action).where(Event.job_id == job_id)))
    assert {"step:site_dev:done", "step:cert_prod:done", "step:database:failed"} <= done


def test_retry_resumes_the_failed_branch_only(env: Any) -> None:
    settings, store = env
    log: list[tuple[str, str, float]] = []
    flaky = Fake("database", log, fail=True)
    steps = fakes(log, database=flaky)
    _, job_id = make_job(store)
    assert runner(settings, store, steps).run(job_id) == JobState.FAILED
    flaky.fail = False
    JobControl(store, on_job_queued=lambda _id: None).retry(job_id, TECH)
    with store.session() as s:
        assert jobs_repo.claim_job(s, job_id, "w1")
    assert runner(settings, store, steps).run(job_id) == JobState.DONE
    assert flaky.applied == 2
    assert steps["site_dev"].applied == steps["cert_prod"].applied == steps["dns"].applied == 1


def test_cancel_reaches_every_branch_and_nothing_after_them_starts(env: Any) -> None:
    settings, store = env
    log: list[tuple[str, str, float]] = []
    steps = fakes(log)
    branches = [steps[n] for n in ("database", "site_dev", "cert_prod")]
    for step in branches:
        step.hold = threading.Event()  # never set: each runs until the cancel stops it
    _, job_id = make_job(store)

    def cancel_when_all_run() -> None:
        for step in branches:
            assert step.started.wait(5)
        JobControl(store, on_job_queued=lambda _id: None).cancel(job_id, TECH)

    canceller = threading.Thread(target=cancel_when_all_run)
    canceller.start()
    assert runner(settings, store, steps).run(job_id) == JobState.CANCELLED
    canceller.join()
    assert all(step.saw_cancel for step in branches)
    statuses = journal(store, job_id)
    assert {statuses[s.name] for s in branches} == {StepStatus.FAILED}  # a retry resumes there
    assert statuses["checks_dev"] == StepStatus.PLANNED and steps["checks_dev"].applied == 0


def test_resume_after_a_crash_with_two_branches_running_does_nothing_twice(env: Any) -> None:
    settings, store = env
    _, job_id = make_job(store)
    with store.session() as s:  # the worker died with database and site_dev running
        for st in jobs_repo.get_job(s, job_id).steps:
            if st.name in ("dns", "cert_prod"):
                st.status, st.outputs = StepStatus.DONE, {"host": "before"}
            elif st.name in ("database", "site_dev"):
                st.status = StepStatus.RUNNING
    log: list[tuple[str, str, float]] = []
    steps = fakes(log, database=Fake("database", log, verify_result={"host": "db"}))
    assert runner(settings, store, steps).run(job_id) == JobState.DONE
    assert (steps["database"].verified, steps["database"].applied) == (1, 0)  # in place
    assert (steps["site_dev"].verified, steps["site_dev"].applied) == (1, 1)  # redone once
    assert steps["dns"].applied == steps["cert_prod"].applied == 0
    assert all(s.applied == 1 for n, s in steps.items()
               if n not in ("dns", "cert_prod", "database"))


def test_a_step_can_wait_for_a_sibling_it_turns_out_to_need(env: Any) -> None:
    settings, store = env
    log: list[tuple[str, str, float]] = []
    seen: list[dict[str, Any] | None] = []
    steps = fakes(log, database=Fake("database", log, seconds=0.3))
    steps["site_dev"].before_apply = lambda ctx: seen.append(ctx.wait_for("database"))
    _, job_id = make_job(store)
    assert runner(settings, store, steps).run(job_id) == JobState.DONE
    assert seen == [{"host": "fake", "step": "database"}]
    assert when(log, "end", "site_dev") >= when(log, "end", "database")

    failing = fakes(log, database=Fake("database", log, seconds=0.2, fail=True))
    failing["site_dev"].before_apply = lambda ctx: ctx.wait_for("database")
    _, second = make_job(store, "graf2")
    assert runner(settings, store, failing).run(second) == JobState.FAILED
    with store.read() as s:
        rows = {st.name: st for st in jobs_repo.get_job(s, second).steps}
        assert "database gagal / failed" in (rows["site_dev"].error or "")
        assert jobs_repo.get_job(s, second).request.failure_step == "database"


def test_a_step_starting_late_does_not_move_the_request_back_nor_out_of_failed(
    env: Any,
) -> None:
    settings, store = env
    request_id, job_id = make_job(store)
    with store.session() as s:
        rows = {st.name: st.id for st in jobs_repo.get_job(s, job_id).steps}
        jobs_repo.get_job(s, job_id).request.state = RequestState.TESTING_DEV
    journal_ = runner(settings, store, fakes([])).journal
    # The certificate (a provisioning-stage step) starts while the dev checks run.
    journal_.step_started(rows["cert_prod"], request_id, "cert_prod", settings.runs_dir)
    with store.read() as s:
        assert jobs_repo.get_job(s, job_id).request.state == RequestState.TESTING_DEV
    # A sibling failed in this run: a step that starts after that leaves the request failed.
    journal_.step_failed(job_id, rows["checks_dev"], request_id, "checks_dev",
                         StepFailed("checks_dev", "web-dev", "http 500"))
    journal_.step_started(rows["site_prod"], request_id, "site_prod", settings.runs_dir)
    with store.read() as s:
        req = jobs_repo.get_job(s, job_id).request
        assert (req.state, req.failure_step) == (RequestState.FAILED, "checks_dev")


def test_request_states_announced_by_a_graph_run_only_go_forward(env: Any) -> None:
    settings, store = env
    states: list[RequestState] = []
    log: list[tuple[str, str, float]] = []
    steps = fakes(log, cert_prod=Fake("cert_prod", log, seconds=0.3))
    _, job_id = make_job(store)
    run = runner(settings, store, steps, on_request_state=lambda _rid, st: states.append(st))
    assert run.run(job_id) == JobState.DONE
    ranks = [PROGRESS.index(st) for st in states]
    assert ranks == sorted(ranks) and states[-1] == RequestState.LETTER_ISSUED, states


def test_undo_takes_a_finished_job_back_in_reverse_dependency_order(env: Any) -> None:
    settings, store = env
    log: list[tuple[str, str, float]] = []
    steps = fakes(log)
    _, job_id = make_job(store)
    run = runner(settings, store, steps)
    assert run.run(job_id) == JobState.DONE
    run.undo(job_id)
    undone = [n for kind, n, _ in log if kind == "undo"]
    assert undone == undo_order(TLS_NAMES, job_graph("provision", TLS_NAMES))
    assert set(journal(store, job_id).values()) == {StepStatus.UNDONE}


def test_steps_in_their_own_threads_still_log_with_the_job_id(env: Any) -> None:
    from provisioner.ops.logs import job_id_var

    settings, store = env
    seen: dict[str, int | None] = {}
    steps = fakes([])
    for name in ("database", "site_dev"):
        steps[name].before_apply = lambda ctx: seen.setdefault(ctx.step, job_id_var.get())
    _, job_id = make_job(store)
    assert runner(settings, store, steps).run(job_id) == JobState.DONE
    assert seen == {"database": job_id, "site_dev": job_id}
