"""A request's story in plain words, for the agency that asked: submitted, checked by the
network team, set up on the development server, on production, the letter — never a
step's code, a server, a path or a tool's output (those are the teams' job pages).
Built from the read model only (no I/O here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from provisioner.workflow.read_models import JobView, RequestView, StepView

# The provisioning job's steps, grouped into what an agency can follow.
PHASES: tuple[tuple[str, frozenset[str]], ...] = (
    ("tl.dns", frozenset({"dns", "retarget_dns"})),
    # The database is a server of its own: a failure there is not the development server's.
    ("tl.db", frozenset({"database"})),
    ("tl.dev", frozenset({"site_dev", "cert_prod", "checks_dev"})),
    ("tl.prod", frozenset({"source_prod", "site_prod", "tls_prod", "checks_prod"})),
    ("tl.letter", frozenset({"letter"})),
)
# Steps that run beside a phase without being what the agency follows in it: the production
# certificate is asked for while the dev server is set up, and may still be running once
# the dev checks passed and production began. Only their failure shows.
BESIDE = frozenset({"cert_prod"})
STORY_JOBS = frozenset({"provision", "provision_dev", "provision_prod", "retarget"})
ENDINGS = {"retired": "tl.retired", "undone": "tl.undone", "completed": "tl.completed"}


@dataclass(frozen=True)
class Moment:
    key: str  # catalogue key: what happened or happens ("tl.dev")
    status: str  # done | current | failed | todo | undone
    at: datetime | None = None
    note: str | None = None  # a person's words (revision note, reason) or a catalogue key
    note_is_key: bool = False


def _story_job(req: RequestView) -> JobView | None:
    return next((j for j in req.jobs if j.kind in STORY_JOBS - {"provision_prod"}), None)


def _phase(key: str, steps: list[StepView], job: JobView) -> Moment:
    if any(s.status == "failed" for s in steps):
        failed_at = max((s.finished_at for s in steps if s.finished_at), default=None)
        return Moment(key, "failed", failed_at, "tl.failed_note", True)
    steps = [s for s in steps if s.name not in BESIDE] or steps
    statuses = {s.status for s in steps}
    finished = [s.finished_at for s in steps if s.finished_at is not None]
    started = [s.started_at for s in steps if s.started_at is not None]
    if statuses <= {"undone", "undoing"}:
        return Moment(key, "undone", max(finished, default=None))
    if statuses <= {"done", "skipped"}:
        return Moment(key, "done", max(finished, default=None))
    if statuses & {"running", "done"} and job.state in ("queued", "running"):
        return Moment(key, "current", min(started, default=None))
    return Moment(key, "todo")


def _job_moments(job: JobView) -> list[Moment]:
    moments = []
    for key, names in PHASES:
        steps = [s for s in job.steps if s.name in names]
        if steps:
            moments.append(_phase(key, steps, job))
    return moments


def _decision(req: RequestView) -> list[Moment]:
    if req.state == "returned":
        return [Moment("tl.returned", "current", None, req.revision_note)]
    if req.state in ("submitted", "verified"):
        return [Moment("tl.review", "current")]
    if req.state == "rejected":
        return [Moment("tl.rejected", "failed", req.decided_at, req.rejection_reason)]
    return [Moment("tl.approved", "done", req.decided_at)]


def timeline(req: RequestView) -> list[Moment]:
    """What happened to the request and what comes next, oldest first."""
    moments = [Moment("tl.submitted", "done", req.created_at), *_decision(req)]
    job = _story_job(req)
    if job is not None:
        moments += _job_moments(job)
        # An SOP that held production: the release is a job of its own, after acceptance.
        release = next((j for j in req.jobs if j.kind == "provision_prod"), None)
        if release is not None:
            moments += _job_moments(release)
        elif req.state == "dev_ready":
            moments.append(Moment("tl.dev_ready", "current"))
    elif req.state not in ("submitted", "verified", "returned", "rejected", "completed"):
        moments.append(Moment("tl.queued", "current"))
    if req.state in ENDINGS:
        moments.append(Moment(ENDINGS[req.state], "done"))
    return moments


def current_step(moments: Iterable[Moment]) -> Moment | None:
    """Where the request stands now: the failed or current moment, else the last done."""
    listed = list(moments)
    return next((m for m in listed if m.status in ("failed", "current")), None) or (
        listed[-1] if listed else None
    )
