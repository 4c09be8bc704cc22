"""Who is told what: the subscriptions to the workflow's events. The composition root makes
them once and hands them to the constructors of the services that raise the events —
nothing is assigned to a service after it is built.

Two groups, because of the order things can be built in: the announcements go to the
notifier, which exists first (the job runner already needs them); the follow-ups need the
dispatcher, which needs the worker and so the runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provisioner.workflow.hosting.retirement import RetireHook
from provisioner.workflow.people.notify import Notifier

# (request id, event: submitted, approved, rejected, returned, letter_issued …)
RequestEvent = Callable[[int, str], None]
# (request id, the state the job runner moved it to)
StateReached = Callable[[int, str], None]
# (job id)
JobQueued = Callable[[int], None]


@dataclass(frozen=True)
class Announcements:
    """What a request's people are told (e-mail, webhook; in the background, so a slow mail
    server never holds up a decision)."""

    handed_off: RequestEvent  # the request moved to the next desk
    state_reached: StateReached  # the job runner took it live, or issued its letter
    letter_issued: RequestEvent  # a correction letter was issued

    @classmethod
    def by(cls, notifier: Notifier) -> Announcements:
        return cls(
            handed_off=notifier.notify_later,
            state_reached=notifier.announce_state,
            letter_issued=notifier.notify_later,
        )


@dataclass(frozen=True)
class Events:
    """Every subscription the request, hosting and letter services are built with."""

    announce: Announcements
    job_queued: JobQueued  # the dispatcher: make sure a worker runs the job
    # An approved deactivation becomes the site's retirement (hosting.retirement.retire_hook).
    retire_approved: RetireHook
