"""Sign-in, users, audit, SLA clocks and notifications in one bundle (built by the
composition root, provisioner.bootstrap.container.build_people)."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.workflow.people.audit import AuditService
from provisioner.workflow.people.notify import Notifier
from provisioner.workflow.people.sessions import SessionService
from provisioner.workflow.people.sla import SlaService
from provisioner.workflow.people.users import UserService


@dataclass(frozen=True)
class PeopleServices:
    users: UserService
    sessions: SessionService
    audit: AuditService
    sla: SlaService
    notifier: Notifier
