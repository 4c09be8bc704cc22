"""Reading requests, their jobs and their letters, as read models complete when the
session closes; each only for whoever may see it."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.store.db import Store
from provisioner.store.read_models import (
    JobView,
    LetterView,
    RequestView,
    job_view,
    letter_view,
    request_view,
)
from provisioner.store.repositories import (
    jobs as jobs_repo,
    letters as letters_repo,
    requests as requests_repo,
)


@dataclass(frozen=True)
class RequestQueries:
    store: Store

    def get(self, request_id: int, actor: Actor) -> RequestView:
        """One request with its jobs, their steps and the steps' logs."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return request_view(req)

    def list(self, actor: Actor, *, state: str | None = None) -> builtins.list[RequestView]:
        """Newest first, with jobs and steps (without the steps' logs and outputs); an OPD
        sees only its own agency's."""
        ensure_allowed(actor, Action.VIEW)
        agency = actor.agency if actor.role == Role.OPD else None
        with self.store.read() as s:
            rows = requests_repo.list_requests(s, agency=agency, state=state, with_jobs=True)
            return [request_view(r, detail=False) for r in rows]

    def job(self, job_id: int, actor: Actor) -> JobView:
        with self.store.read() as s:
            job = jobs_repo.get_job(s, job_id)
            ensure_allowed(actor, Action.VIEW, agency=job.request.agency)
            return job_view(job)

    def letter(self, request_id: int, actor: Actor) -> LetterView | None:
        """The request's newest letter, if one was issued."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            letter = letters_repo.letter_for_request(s, request_id)
            return letter_view(letter) if letter is not None else None
