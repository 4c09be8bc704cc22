"""Which buttons a page offers: an action appears only for a role that may take it
(provisioner.domain.actors.ALLOWED) and in a state where it can succeed — no Promote for a
site that never reached production, no Roll back without an earlier release, a Retry
where the technical team looks at a failed job (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.domain.actors import ALLOWED, Action, Actor
from provisioner.workflow.read_models import JobView, RequestView, RetirementView

IN_PRODUCTION = frozenset({"live", "letter_issued"})
DEPLOYABLE = frozenset({"live", "letter_issued", "failed", "dev_ready"})
RETIRABLE = frozenset({"live", "letter_issued", "failed"})
DECIDABLE = frozenset({"submitted", "verified"})


def may(actor: Actor, action: Action) -> bool:
    return actor.role in ALLOWED[action]


def _last_done(jobs: tuple[JobView, ...], kind: str) -> JobView | None:
    done = [j for j in jobs if j.kind == kind and j.state == "done"]
    return max(done, key=lambda j: j.finished_at or j.created_at, default=None)


@dataclass(frozen=True)
class SiteActions:
    """The technical team's buttons for one site."""

    deploy: bool
    promote: bool
    rollback: bool
    retry: JobView | None  # the failed job to retry
    release: bool = False  # a site its SOP held at dev, to production

    @property
    def any(self) -> bool:
        return (self.deploy or self.promote or self.rollback or self.release
                or self.retry is not None)  # fmt: skip


def site_actions(actor: Actor, req: RequestView) -> SiteActions:
    """Deploy to dev once the site exists; promote only a site in production with a commit
    that passed dev since the last promotion; roll back only after a promotion (the
    release before it is what production goes back to); retry the latest failed job."""
    busy = any(j.state in ("queued", "running") for j in req.jobs)
    exists = req.hosting and req.state in DEPLOYABLE and not busy
    deployed, promoted = _last_done(req.jobs, "deploy"), _last_done(req.jobs, "promote")
    newer = deployed is not None and (
        promoted is None
        or (deployed.finished_at or deployed.created_at)
        > (promoted.finished_at or promoted.created_at)
    )
    in_production = exists and req.state in IN_PRODUCTION
    latest = req.jobs[-1] if req.jobs else None
    failed = latest if latest is not None and latest.state == "failed" else None
    return SiteActions(
        deploy=exists and may(actor, Action.DEPLOY),
        promote=in_production and newer and may(actor, Action.PROMOTE),
        rollback=in_production and promoted is not None and may(actor, Action.DEPLOY),
        retry=failed if failed is not None and may(actor, Action.OPERATE) else None,
        release=exists and req.state == "dev_ready" and may(actor, Action.PROMOTE),
    )


@dataclass(frozen=True)
class RequestActions:
    """What the request's page offers to this reader."""

    review: bool
    resubmit: bool
    upload_record: bool
    correct_letter: bool
    approve_letter: bool
    propose_retire: bool
    decide_retire: bool
    site: SiteActions


def actions_for(
    actor: Actor, req: RequestView, retirement: RetirementView | None, *, has_letters: bool
) -> RequestActions:
    own = req.created_by == actor.username
    proposed = retirement is not None and retirement.state == "proposed"
    return RequestActions(
        review=may(actor, Action.DECIDE) and req.state in DECIDABLE and not own,
        resubmit=may(actor, Action.SUBMIT) and req.state == "returned",
        upload_record=may(actor, Action.RECORD_LETTER) and has_letters,
        correct_letter=may(actor, Action.CORRECT_LETTER) and has_letters,
        approve_letter=may(actor, Action.SIGN_LETTER) and has_letters
        and not req.letter_approved_by,
        # A failed request that never went live is undone by the technical team, not retired.
        propose_retire=req.state in RETIRABLE and (req.state != "failed" or req.live_at is not None)
        and req.request_type == "new" and not proposed
        and not any(j.state in ("queued", "running") for j in req.jobs),
        decide_retire=proposed and may(actor, Action.DECIDE)
        and retirement is not None and retirement.proposed_by != actor.username,
        site=site_actions(actor, req),
    )  # fmt: skip
