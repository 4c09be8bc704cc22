"""The composition root: the one place that builds concrete adapters and hands them down
(used by api/app.py, the CLI and the worker entry point)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import timedelta

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.dns.adapter import DnsAdapter, TsigKey
from provisioner.adapters.dns.zones import load_zones
from provisioner.adapters.git import GitAdapter
from provisioner.config import Settings
from provisioner.domain.naming import NamingPolicy
from provisioner.jobs.control import JobUndoService
from provisioner.jobs.dispatch import Dispatcher, build_dispatcher
from provisioner.jobs.dispatch_procrastinate import apply_schema as apply_procrastinate_schema
from provisioner.jobs.periodic import PeriodicWork, periodic_work
from provisioner.jobs.runner import JobRunner
from provisioner.jobs.worker import Worker
from provisioner.steps.base import Step
from provisioner.steps.checks import ChecksStep
from provisioner.steps.database import DatabaseStep
from provisioner.steps.dns_apply import DnsChanges
from provisioner.steps.dns_records import DnsRecordsStep
from provisioner.steps.dns_retarget import RetargetDnsStep
from provisioner.steps.hosting_workflow import hosting_workflow_steps
from provisioner.steps.letter import LetterSettings, LetterStep
from provisioner.steps.site import SiteStep
from provisioner.steps.tls import TlsStep
from provisioner.store.db import Store, migrate
from provisioner.workflow.hosting.deployments import DeploymentService
from provisioner.workflow.hosting.retirement import RetirementService
from provisioner.workflow.letters import LetterService
from provisioner.workflow.monitoring.drift import DriftService
from provisioner.workflow.monitoring.status import StatusService
from provisioner.workflow.people.services import PeopleServices, build_people, retire_hook
from provisioner.workflow.requests.availability import AvailabilityService
from provisioner.workflow.requests.service import RequestService


@dataclass
class Services:
    settings: Settings
    store: Store
    dns: DnsAdapter
    availability: AvailabilityService
    requests: RequestService
    status: StatusService
    runner: JobRunner
    worker: Worker
    # --- hosting-workflow ---
    deployments: DeploymentService | None = None
    retirements: RetirementService | None = None
    # --- people ---
    people: PeopleServices | None = None
    letters: LetterService | None = None
    drift: DriftService | None = None
    # Undo of a failed provisioning job: what stands, and taking exactly that back.
    undo: JobUndoService | None = None
    # --- jobs: how queued jobs and the scheduler's periodic work reach a worker ---
    dispatcher: Dispatcher | None = None
    periodic_work: PeriodicWork = field(default_factory=dict)


def build_steps(settings: Settings, store: Store, dns: DnsAdapter) -> dict[str, Step]:
    ansible = AnsibleAdapter(settings)
    git = GitAdapter(
        ssh_key=settings.ssh_key_path,
        known_hosts=settings.known_hosts_path,
        cache_dir=settings.data_dir / "git-cache",
    )
    st = settings
    letter = LetterSettings.from_settings(st)
    dns_changes = DnsChanges.from_settings(st, store)
    steps: list[Step] = [
        DnsRecordsStep(dns_changes),
        RetargetDnsStep(dns_changes, store),  # an approved change of target
        DatabaseStep(ansible, db_host=st.db_host, client_hosts=st.db_client_hosts),
        SiteStep(
            ansible,
            git,
            environment="dev",
            host=st.web_dev_host,
            db_address=st.db_address,
            keep_releases=st.keep_releases,
        ),
        ChecksStep(st, environment="dev", host=st.web_dev_host, address=st.web_dev_address),
        SiteStep(
            ansible,
            git,
            environment="prod",
            host=st.web_prod_host,
            db_address=st.db_address,
            keep_releases=st.keep_releases,
        ),
        # In a job only when its approved plan names a certificate (provision_steps(tls=)).
        TlsStep(
            ansible, st, environment="prod", host=st.web_prod_host, address=st.web_prod_address
        ),
        ChecksStep(st, environment="prod", host=st.web_prod_host, address=st.web_prod_address),
        LetterStep(store, letter),
    ]
    built = {step.name: step for step in steps}
    built.update(hosting_workflow_steps(st, store, ansible, git, built))  # hosting-workflow
    return built


def build_services(settings: Settings, *, migrate_store: bool = True) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate_store:
        migrate(settings.store_url)
    store = Store(settings.store_url)
    dns = DnsAdapter(
        zone=settings.zone,
        primary=settings.dns_primary,
        key=TsigKey.load(settings.tsig_key_path),
        timeout=settings.dns_timeout,
    )
    policy = NamingPolicy()
    availability = AvailabilityService(store, dns, policy, settings.zone)
    runner = JobRunner(
        store,
        build_steps(settings, store, dns),
        settings,
        worker_id=settings.worker_id or socket.gethostname(),
    )
    # dispatch=procrastinate: the `provisioner worker` processes run jobs, not this one.
    inline = settings.dispatch != "procrastinate"
    worker = Worker(
        store,
        runner,
        threads=settings.worker_threads if inline else 0,
        poll_seconds=settings.worker_poll_seconds,
        stale_after=timedelta(seconds=settings.job_stale_seconds),
    )
    if migrate_store and not inline:
        apply_procrastinate_schema(settings)
    status = StatusService(
        store,
        dns,
        zone=settings.zone,
        zones=[z.zone for z in load_zones(settings)],
        reserved=policy.reserved,
        allowed_networks=settings.allowed_target_networks,
    )
    work = periodic_work(store, settings, status)
    dispatcher = build_dispatcher(settings, worker, store, work)
    # Asked at submit whether a hosting request's repository and branch exist; a short
    # time-out, as an OPD waits on the answer.
    sources = GitAdapter(
        ssh_key=settings.ssh_key_path,
        known_hosts=settings.known_hosts_path,
        cache_dir=settings.data_dir / "git-cache",
        timeout=15.0,
    )
    requests = RequestService(
        store, settings, availability, policy, on_job_queued=dispatcher.queued, sources=sources
    )
    services = Services(settings, store, dns, availability, requests, status, runner, worker)
    services.dispatcher, services.periodic_work = dispatcher, work
    services.deployments = DeploymentService(store, settings, on_job_queued=dispatcher.queued)
    services.retirements = RetirementService(store, settings, on_job_queued=dispatcher.queued)
    services.undo = JobUndoService(store, on_job_queued=dispatcher.queued)
    services.drift = DriftService.from_settings(settings, store)
    # --- people: notifications on hand-offs; a deactivation request retires the site ---
    services.people = build_people(store, settings)
    requests.on_handoff = services.people.notifier.notify_later
    runner.on_request_state = services.people.notifier.announce_state  # live, letter issued
    # A correction letter is announced like the job's letter (runner.on_request_state).
    services.letters = LetterService(
        store, settings, on_issued=services.people.notifier.notify_later
    )
    requests.on_retire_approved = retire_hook(services.retirements)
    return services
