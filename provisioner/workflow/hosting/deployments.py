"""The technical team's jobs on an existing site: deploy a branch or commit to dev (then
its checks), promote the commit that passed dev to production (then its checks, with an
automatic rollback), roll production back. They run on the same journal and runner as
provisioning; one job at a time per site."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from provisioner.config import Settings
from provisioner.domain.actors import Action, Actor, ensure_allowed, ensure_role
from provisioner.domain.errors import Conflict, InvalidInput, NotFound
from provisioner.domain.jobs import OPERATION_STEPS, release_steps, site_lock_key
from provisioner.domain.plan import tls_targets
from provisioner.domain.states import RequestState
from provisioner.store.db import Store
from provisioner.store.models.requests import Request
from provisioner.store.read_models import JobView, job_view
from provisioner.store.repositories import (
    audit as audit_repo,
    hosting as hosting_repo,
    jobs as jobs_repo,
    locks as locks_repo,
    requests as requests_repo,
)

_SHA = re.compile(r"^[0-9a-f]{40}$")
# git check-ref-format, the parts that matter for a name typed into an API.
_BRANCH = re.compile(r"^(?!/)(?!.*(\.\.|//|@\{|\.lock$|/$|\.$))[A-Za-z0-9._/-]{1,200}$")
# A site exists (vhosts, database) once provisioning got past the database: these states.
DEPLOYABLE = frozenset(
    {RequestState.LIVE, RequestState.LETTER_ISSUED, RequestState.FAILED, RequestState.DEV_READY}
)


def busy_message(fqdn: str, job_id: int) -> str:
    return (
        f"Situs {fqdn} sedang dikerjakan oleh pekerjaan {job_id}; tunggu sampai selesai / "
        f"Site {fqdn} is busy with job {job_id}; wait until it ends"
    )


def ensure_site_idle(session: Session, req: Request) -> None:
    """Refuse (409) while any job of the site is queued or running or holds its lock."""
    holder = locks_repo.lock_holder(session, site_lock_key(req.fqdn))
    active = jobs_repo.active_job_ids(session, req.id)
    if holder is not None or active:
        raise Conflict(busy_message(req.fqdn, holder or active[0]))


@dataclass
class DeploymentService:
    store: Store
    settings: Settings
    on_job_queued: Callable[[int], None] = field(default=lambda _job_id: None)

    def _site(self, session: Session, fqdn: str) -> Request:
        fqdn = fqdn.strip().lower().rstrip(".")
        req = requests_repo.latest_request_for_fqdn(session, fqdn)
        if req is None or not req.hosting:
            raise NotFound(f"Situs {fqdn} tidak dikenal / Unknown site {fqdn}")
        if RequestState(req.state) not in DEPLOYABLE or not req.db_name:
            raise Conflict(
                f"Situs {fqdn} belum disediakan (status: {req.state}) / "
                f"Site {fqdn} is not provisioned yet (state: {req.state})"
            )
        return req

    def _queue(
        self, fqdn: str, actor: Actor, kind: str, *, ref: str | None, commit: str | None
    ) -> JobView:
        ensure_allowed(actor, Action.PROMOTE if kind == "promote" else Action.DEPLOY)
        with self.store.session() as s:
            req = self._site(s, fqdn)
            ensure_site_idle(s, req)
            if kind != "deploy" and req.state == RequestState.DEV_READY:
                raise Conflict(
                    f"Situs {fqdn} belum ada di produksi: rilis setelah penerimaan SOP / "
                    f"Site {fqdn} is not on production yet: release it after the SOP's acceptance"
                )
            if kind == "promote" and commit is not None:
                passed = [c for c, _ in jobs_repo.passed_dev_commits(s, req.id)]
                if commit not in passed:
                    raise Conflict(
                        f"Commit {commit[:12]} belum lulus uji dev; deploy ke dev dulu / "
                        f"commit {commit[:12]} has not passed the dev checks; deploy it to dev"
                    )
            job = jobs_repo.create_job(
                s,
                request_id=req.id,
                kind=kind,
                lock_key=site_lock_key(req.fqdn),
                steps=[spec.name for spec in OPERATION_STEPS[kind]],
                actor=actor.username,
            )
            hosting_repo.add_deployment(s, job_id=job.id, request_id=req.id, kind=kind, ref=ref,
                              commit=commit, actor=actor.username)
            audit_repo.record_event(s, actor=actor.username, action=f"{kind}:queued",
                              request_id=req.id, job_id=job.id,
                              detail={"ref": ref, "commit": commit})
            view = job_view(job)
        self.on_job_queued(view.id)
        return view

    def deploy(
        self, fqdn: str, actor: Actor, *, branch: str | None = None, commit: str | None = None
    ) -> JobView:
        """Deploy a branch head or an exact commit to dev, then run the dev checks."""
        ensure_role(actor, Action.DEPLOY)  # who may, before what they sent
        if branch and commit:
            raise InvalidInput("commit", "Pilih cabang atau commit, bukan keduanya / "
                                         "Give a branch or a commit, not both")
        if commit is not None and not _SHA.match(commit):
            raise InvalidInput("commit", "Commit harus 40 digit heksadesimal huruf kecil / "
                                         "A commit is 40 lowercase hexadecimal digits")
        if branch is not None and not _BRANCH.match(branch):
            raise InvalidInput("branch", "Nama cabang tidak sah / Invalid branch name")
        return self._queue(fqdn, actor, "deploy", ref=commit or branch, commit=None)

    def promote(self, fqdn: str, actor: Actor, *, commit: str | None = None) -> JobView:
        """Put the commit that passed dev (the newest, or the one named) on production."""
        ensure_role(actor, Action.PROMOTE)
        if commit is not None and not _SHA.match(commit):
            raise InvalidInput("commit", "Commit harus 40 digit heksadesimal huruf kecil / "
                                         "A commit is 40 lowercase hexadecimal digits")
        return self._queue(fqdn, actor, "promote", ref=None, commit=commit)

    def release(self, fqdn: str, actor: Actor) -> JobView:
        """Put a site its SOP held at dev on production, once the acceptance is done: its
        own job — the commit that passed dev, the production site (and certificate, when
        the approved plan names one), the production checks and the letter."""
        ensure_role(actor, Action.PROMOTE)
        with self.store.session() as s:
            req = self._site(s, fqdn)
            ensure_allowed(actor, Action.PROMOTE, owner=req.created_by)
            if req.state != RequestState.DEV_READY:
                raise Conflict(
                    f"Situs {fqdn} tidak menunggu rilis ke produksi (status: {req.state}) / "
                    f"Site {fqdn} is not waiting for a release to production ({req.state})"
                )
            ensure_site_idle(s, req)
            job = jobs_repo.create_job(
                s,
                request_id=req.id,
                kind="provision_prod",
                lock_key=site_lock_key(req.fqdn),
                steps=[spec.name for spec in release_steps(tls=bool(tls_targets(req.plan)))],
                actor=actor.username,
            )
            audit_repo.record_event(s, actor=actor.username, action="release:queued",
                                    request_id=req.id, job_id=job.id)  # fmt: skip
            view = job_view(job)
        self.on_job_queued(view.id)
        return view

    def rollback(self, fqdn: str, actor: Actor) -> JobView:
        """Move production's `current` back one release, then check production."""
        return self._queue(fqdn, actor, "rollback", ref=None, commit=None)
