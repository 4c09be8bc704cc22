"""The people area's services in one bundle, built by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from provisioner.config import Settings
from provisioner.domain.actors import Actor
from provisioner.domain.auth_policy import AddressThrottle, LockoutPolicy, SessionPolicy
from provisioner.store.db import Store
from provisioner.workflow.hosting.retirement import RetirementService
from provisioner.workflow.people.audit import AuditService
from provisioner.workflow.people.notify import Notifier, build_notifier
from provisioner.workflow.people.sessions import SessionService
from provisioner.workflow.people.sla import SlaService
from provisioner.workflow.people.users import UserService


@dataclass
class PeopleServices:
    users: UserService
    sessions: SessionService
    audit: AuditService
    sla: SlaService
    notifier: Notifier


def build_people(store: Store, settings: Settings) -> PeopleServices:
    notifier = build_notifier(store, settings)
    sessions = SessionService(
        store,
        LockoutPolicy(
            settings.login_max_failures, timedelta(minutes=settings.login_lockout_minutes)
        ),
        SessionPolicy(
            timedelta(minutes=settings.session_idle_minutes),
            timedelta(hours=settings.session_absolute_hours),
        ),
        AddressThrottle(
            settings.login_address_max_failures,
            timedelta(minutes=settings.login_address_window_minutes),
        ),
    )
    return PeopleServices(
        users=UserService(store),
        sessions=sessions,
        audit=AuditService(store),
        sla=SlaService(store, settings, notifier),
        notifier=notifier,
    )


RetireHook = Callable[[int, Actor, Actor, str], None]


def retire_hook(retirements: RetirementService) -> RetireHook:
    """An approved deactivation request becomes the hosting-workflow's retirement: the
    requester proposes (their own site), the approving network member approves, and the
    retire job is queued — the same separation of duties as a direct retirement."""

    def _retire(site_request_id: int, approver: Actor, requester: Actor, reason: str) -> None:
        retirements.propose(site_request_id, requester, reason)
        retirements.approve(site_request_id, approver)

    return _retire
