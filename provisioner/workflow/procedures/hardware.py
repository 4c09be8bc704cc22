"""The SOP's hardware steps: the existing jobs do the work ("create the subdomain",
"provide hosting", "install on the development server", "deploy to production") on the
request the SOP is linked to, and the step finishes when the request gets there; the
feasibility tests provisioner runs itself (load, headers and TLS) keep their evidence."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from provisioner.domain.actors import Actor
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import Conflict, InvalidInput
from provisioner.domain.sla import _aware
from provisioner.domain.sop import JobKind, Outcome
from provisioner.domain.sop_run import NEEDS_REASON, check_finish
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.models.procedures import Procedure, ProcedureEvidence
from provisioner.store.repositories import procedures as repo, requests as requests_repo
from provisioner.workflow.ports import FeasibilityProbe
from provisioner.workflow.procedures.moves import SYSTEM_ACTOR, finish_step, recorded_fields
from provisioner.workflow.procedures.views import definition_of, state_of

# The request state at which a hardware step of the SOP is done.
JOB_DONE: dict[JobKind, frozenset[RequestState]] = {
    JobKind.SUBDOMAIN: frozenset({RequestState.LIVE, RequestState.LETTER_ISSUED}),
    JobKind.HOSTING: frozenset({RequestState.LIVE, RequestState.LETTER_ISSUED}),
    JobKind.DEV_INSTALL: frozenset(
        {RequestState.DEV_READY, RequestState.PRODUCTION, RequestState.LIVE,
         RequestState.LETTER_ISSUED}
    ),
    JobKind.PRODUCTION: frozenset({RequestState.LIVE, RequestState.LETTER_ISSUED}),
}
_NOT_HELD = Text(
    "Produksi dirilis dari situs yang lulus uji dev dan menunggu; langkah ini selesai sendiri "
    "ketika situs aktif",
    "Production is released from a site that passed on dev and waits; this step finishes by "
    "itself when the site is live",
)
_NO_DEV_SITE = Text(
    "Uji ini berjalan pada situs di server pengembangan: hubungkan permohonan hosting dan "
    "tunggu uji dev lulus",
    "This test runs on the site on the development server: link the hosting request and "
    "wait for its dev checks to pass",
)


@dataclass(frozen=True)
class HardwareSteps:
    store: Store
    # The feasibility tests provisioner runs itself, on the linked site's dev copy.
    probes: Mapping[JobKind, FeasibilityProbe]
    dev_site: Callable[[str], tuple[str, str]]  # label → (address, fqdn) on the dev server
    release: Callable[[str, Actor], object]  # put a site held at dev on production (a job)

    def held_site(self, s: Session, row: Procedure) -> str:
        """The linked site waiting for its release to production, by name."""
        req = requests_repo.get_request(s, row.request_id) if row.request_id else None
        if req is None or req.state != RequestState.DEV_READY:
            raise Conflict(_NOT_HELD)
        return req.fqdn

    def sync(self, procedure_id: int) -> None:
        """Finish a hardware step whose job is done (or refuse it when the linked request
        was rejected): the existing jobs are the steps' work. A step whose documents (or
        fields) are not all there yet keeps waiting for them, job done or not."""
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            if row.ended is not None or row.request_id is None or row.current_step is None:
                return
            definition = definition_of(row)
            step = definition.step(row.current_step)
            job = step.output.job
            if job is None or job not in JOB_DONE:
                return
            req = requests_repo.get_request(s, row.request_id)
            state = state_of(row, repo.steps(s, row.id))
            if RequestState(req.state) in JOB_DONE[job]:
                outcome = next(o for o in step.outcomes if o not in NEEDS_REASON)
                documents = frozenset(d.kind for d in repo.documents(s, row.id))
                try:
                    check_finish(definition, state, step.key, outcome, note="",
                                 fields=recorded_fields(s, row), documents=documents)  # fmt: skip
                except InvalidInput:
                    return
                finish_step(s, definition, row, state, step.key, outcome, SYSTEM_ACTOR,
                            "system", "", {"request": req.ticket, "state": req.state})  # fmt: skip
            elif req.state == RequestState.REJECTED and Outcome.REJECT in step.outcomes:
                reason = req.rejection_reason or "-"
                finish_step(s, definition, row, state, step.key, Outcome.REJECT, SYSTEM_ACTOR,
                            "system", reason, {"request": req.ticket})  # fmt: skip
            elif (
                req.state == RequestState.RETURNED and Outcome.RETURN in step.outcomes
                and state.current_since is not None
                and _aware(req.updated_at) > state.current_since
            ):  # returned during this visit (not a return the OPD has not answered yet)
                finish_step(s, definition, row, state, step.key, Outcome.RETURN, SYSTEM_ACTOR,
                            "system", req.revision_note or "-",
                            {"request": req.ticket})  # fmt: skip

    def dev_target(self, s: Session, row: Procedure) -> tuple[str, str]:
        """Where a feasibility test runs: the linked request's site on the dev server, once
        its dev checks have passed."""
        req = requests_repo.get_request(s, row.request_id) if row.request_id else None
        if req is None or RequestState(req.state) not in JOB_DONE[JobKind.DEV_INSTALL]:
            raise Conflict(_NO_DEV_SITE)
        return self.dev_site(req.label)

    def run_probe(
        self, procedure_id: int, step_key: str, outcome: Outcome, actor: Actor,
        target: tuple[str, str],
    ) -> int:  # fmt: skip
        """Run the test outside any transaction, keep its evidence, and finish the step when
        it passed (a failed test leaves the step waiting, with the evidence to read)."""
        with self.store.read() as s:
            job = definition_of(repo.get_procedure(s, procedure_id)).step(step_key).output.job
        assert job is not None  # the caller found a probe for it
        passed, data = self.probes[job](*target)
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            s.add(ProcedureEvidence(procedure_id=row.id, step=step_key, kind=job.value,
                                    passed=passed, data=data))  # fmt: skip
            s.flush()
            state = state_of(row, repo.steps(s, row.id))
            # A load test that lost requests keeps the step waiting; the baseline scan
            # informs (its findings are evidence for the penetration test and UAT).
            if (passed or job is JobKind.SECURITY_SCAN) and state.current == step_key:
                finish_step(
                    s,
                    definition_of(row),
                    row,
                    state,
                    step_key,
                    outcome,
                    actor.username,
                    str(actor.role),
                    "",
                    {"evidence": job.value},
                )
            return row.id
