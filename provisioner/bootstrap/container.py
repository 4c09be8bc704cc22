"""The composition root: the one place that builds concrete adapters and services. It hands
them down as one frozen Container (to bootstrap.serve, the CLI, tests and benches); the
partial builders below serve the commands that need only a part (`provisioner user`,
`provisioner dns`). The subscriptions each service is built with: bootstrap.events."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import timedelta

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.zones import DnsAdapter, DnsZones
from provisioner.adapters.git import GitAdapter
from provisioner.adapters.pdf import warm_up as warm_up_pdf
from provisioner.adapters.pdf_check import check_pdf
from provisioner.adapters.sop_files import load_presets, parse_yaml, to_yaml
from provisioner.adapters.web_probe import WebProbe
from provisioner.bootstrap import configs
from provisioner.bootstrap.events import Announcements, Events
from provisioner.bootstrap.existing_sites import build_existing_sites
from provisioner.bootstrap.procedures import build_procedures, sop_days_off
from provisioner.bootstrap.steps import build_steps
from provisioner.config import Settings
from provisioner.domain.auth_policy import AddressThrottle, LockoutPolicy, SessionPolicy
from provisioner.domain.naming import NamingPolicy
from provisioner.jobs.control import JobControl, JobUndoService
from provisioner.jobs.dispatch import Dispatcher, build_dispatcher
from provisioner.jobs.dispatch_procrastinate import apply_schema as apply_procrastinate_schema
from provisioner.jobs.periodic import PeriodicWork, periodic_work
from provisioner.jobs.runner import JobRunner
from provisioner.jobs.worker import Worker
from provisioner.ops.metrics import job_counts_from
from provisioner.ops.readiness import Readiness, check_readiness
from provisioner.steps.dns_apply import DnsChanges
from provisioner.steps.tls import TlsPlaybook
from provisioner.store.db import Store, migrate
from provisioner.workflow.dns_adoption.service import DnsAdoption
from provisioner.workflow.hosting.deployments import DeploymentService
from provisioner.workflow.hosting.existing_sites import ExistingSites
from provisioner.workflow.hosting.retirement import RetirementService, retire_hook
from provisioner.workflow.hosting.site_migration import SiteMigrations
from provisioner.workflow.letters import LetterService
from provisioner.workflow.monitoring.drift import DriftService
from provisioner.workflow.monitoring.renewal import TlsRenewal
from provisioner.workflow.monitoring.status import StatusService
from provisioner.workflow.people.audit import AuditService
from provisioner.workflow.people.notify import Notifier
from provisioner.workflow.people.services import PeopleServices
from provisioner.workflow.people.sessions import SessionService
from provisioner.workflow.people.sla import SlaService
from provisioner.workflow.people.users import UserService
from provisioner.workflow.procedures.catalog import SopCatalog
from provisioner.workflow.procedures.documents import ProcedureDocuments
from provisioner.workflow.procedures.overdue import OverdueSteps
from provisioner.workflow.procedures.reminders import EvaluationReminders
from provisioner.workflow.procedures.service import Procedures
from provisioner.workflow.requests.availability import AvailabilityService
from provisioner.workflow.requests.decisions import RequestDecisions
from provisioner.workflow.requests.documents import LetterScans
from provisioner.workflow.requests.intake import RequestIntake
from provisioner.workflow.requests.plans import RequestPlans
from provisioner.workflow.requests.queries import RequestQueries
from provisioner.workflow.requests.revisions import RequestRevisions
from provisioner.workflow.requests.rules import RequestRules, placement_from
from provisioner.workflow.requests.sources import BranchLookup


@dataclass(frozen=True)
class Container:
    """Everything the service runs on, built once; nothing in it is optional."""

    settings: Settings
    store: Store
    dns: DnsAdapter
    availability: AvailabilityService
    status: StatusService
    intake: RequestIntake
    decisions: RequestDecisions
    revisions: RequestRevisions
    documents: LetterScans
    queries: RequestQueries
    job_control: JobControl
    deployments: DeploymentService  # deploy / promote / roll back a hosted site
    retirements: RetirementService
    existing_sites: ExistingSites  # vhosts found on the web servers, registered for agencies
    site_migrations: SiteMigrations  # an existing site brought under management, and back
    undo: JobUndoService  # what a failed job left standing, and taking exactly that back
    drift: DriftService
    dns_adoption: DnsAdoption  # records the zones held before provisioner, taken over
    letters: LetterService
    people: PeopleServices  # accounts, sessions, audit, SLA clocks, notifications
    sops: SopCatalog  # the SOP definitions: presets, an admin's versions, the choice per type
    procedures: Procedures  # requests that follow an SOP, step by step
    procedure_documents: ProcedureDocuments  # their attachments
    sop_overdue: OverdueSteps  # their current steps past the limit (dashboards, the sweep)
    runner: JobRunner
    worker: Worker
    dispatcher: Dispatcher  # how queued jobs and the scheduler's periodic work reach a worker
    periodic_work: PeriodicWork

    def readiness(self) -> Readiness:
        """Store reachable, schema at head, a worker able to run jobs (GET /readyz)."""
        return check_readiness(
            self.store,
            dispatch=self.settings.dispatch,
            worker_alive=self.worker.alive,
            stale_seconds=self.settings.job_stale_seconds,
        )

    def job_counts(self) -> dict[str, int]:
        """Jobs in the store by state (GET /metrics)."""
        return job_counts_from(self.store)()


def dns_changes(settings: Settings, store: Store) -> DnsChanges:
    """The one guarded DNS path over every managed zone (each zone's adapter and key)."""
    return DnsChanges(
        DnsZones.from_config(configs.dns_config(settings)),
        store,
        verify_timeout=settings.dns_verify_timeout,
        retry_timeout=settings.dns_retry_timeout,
    )


def build_drift_service(
    settings: Settings, store: Store, changes: DnsChanges | None = None
) -> DriftService:
    """Drift of every managed zone, repaired through the guarded DNS path."""
    return DriftService(
        changes or dns_changes(settings, store),
        store,
        WebProbe(configs.ssh_config(settings)),
        networks=settings.allowed_target_networks,
        probe_timeout=settings.dns_drift_probe_timeout,
        max_changes=settings.dns_repair_max_changes,
    )


def build_dns_adoption(
    settings: Settings, store: Store, changes: DnsChanges | None = None
) -> DnsAdoption:
    """Adoption of the records every managed zone already holds (reads the zones only)."""
    return DnsAdoption((changes or dns_changes(settings, store)).zones, store)


def build_tls_renewal(settings: Settings, store: Store) -> TlsRenewal:
    """The scheduled renewal, with the TLS step's own playbook call."""
    ansible = AnsibleAdapter(configs.ansible_config(settings))
    return TlsRenewal(
        store,
        TlsPlaybook(ansible, configs.tls_config(settings)),
        WebProbe(configs.ssh_config(settings)),
        hosts={
            settings.web_dev_host: settings.web_dev_address,
            settings.web_prod_host: settings.web_prod_address,
        },
        renew_days=settings.tls_renew_days,
        runs_dir=settings.runs_dir,
    )


@dataclass(frozen=True)
class _RequestUseCases:
    intake: RequestIntake
    decisions: RequestDecisions
    revisions: RequestRevisions
    documents: LetterScans
    queries: RequestQueries
    job_control: JobControl


def _request_use_cases(
    settings: Settings,
    store: Store,
    availability: AvailabilityService,
    policy: NamingPolicy,
    sources: BranchLookup,
    events: Events,
) -> _RequestUseCases:
    """The request use cases and job control, each with the callbacks it announces to: a
    queued job to the dispatcher, a hand-off to the notifier, an approved deactivation to
    the site's retirement."""
    queued, handoff = events.job_queued, events.announce.handed_off
    retire = events.retire_approved
    rules = RequestRules.from_settings(settings)
    plans = RequestPlans(store, rules, placement_from(settings))
    return _RequestUseCases(
        intake=RequestIntake(store, rules, policy, availability, sources, on_handoff=handoff),
        decisions=RequestDecisions(store, plans, settings.secret_key, on_job_queued=queued,
                                   on_handoff=handoff, on_retire_approved=retire),
        revisions=RequestRevisions(store, rules, on_handoff=handoff),
        documents=LetterScans(store, settings.uploads_dir, settings.upload_max_bytes, check_pdf),
        queries=RequestQueries(store),
        job_control=JobControl(store, on_job_queued=queued),
    )  # fmt: skip


def build_notifier(settings: Settings, store: Store) -> Notifier:
    """Notifications by e-mail and webhook (each off unless configured)."""
    return Notifier(
        store, settings.public_url, configs.mail_config(settings), configs.webhook_config(settings)
    )


def build_people(settings: Settings, store: Store) -> PeopleServices:
    """Accounts, sessions (lock-out, time-outs, per-address throttle), audit, SLA clocks and
    the notifier they share."""
    notifier = build_notifier(settings, store)
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


def open_store(settings: Settings, *, migrate_store: bool = True) -> Store:
    """The store, its schema brought up to date first (unless told not to)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate_store:
        migrate(settings.store_url)
    return Store(settings.store_url)


def _jobs(
    settings: Settings, store: Store, changes: DnsChanges, announce: Announcements
) -> tuple[JobRunner, Worker]:
    runner = JobRunner(
        store,
        build_steps(settings, store, changes),
        settings,
        worker_id=settings.worker_id or socket.gethostname(),
        on_request_state=announce.state_reached,  # live, letter issued
        warm_ups=(warm_up_pdf,),  # WeasyPrint and its fonts, when a worker starts
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
    return runner, worker


def _status(
    settings: Settings, store: Store, dns: DnsAdapter, policy: NamingPolicy
) -> StatusService:
    return StatusService(
        store,
        dns,
        web=WebProbe(configs.ssh_config(settings)),
        zone=settings.zone,
        zones=[z.zone for z in configs.zone_configs(settings)],
        reserved=policy.reserved,
        allowed_networks=settings.allowed_target_networks,
    )


def build_container(settings: Settings, *, migrate_store: bool = True) -> Container:
    """Build everything once, in the order the subscriptions allow (bootstrap.events)."""
    store = open_store(settings, migrate_store=migrate_store)
    dns = DnsAdapter(
        zone=settings.zone,
        primary=settings.dns_primary,
        key=TsigKey.load(settings.tsig_key_path),
        timeout=settings.dns_timeout,
    )
    policy = NamingPolicy()
    availability = AvailabilityService(store, dns, policy, settings.zone)
    people = build_people(settings, store)
    announce = Announcements.by(people.notifier)
    changes = dns_changes(settings, store)
    runner, worker = _jobs(settings, store, changes, announce)
    if migrate_store and settings.dispatch == "procrastinate":
        apply_procrastinate_schema(settings)
    status = _status(settings, store, dns, policy)
    drift = build_drift_service(settings, store, changes)
    sop_overdue = OverdueSteps(store, sop_days_off(people.sla), people.notifier)
    existing_sites, site_migrations = build_existing_sites(settings, store, policy)
    work = periodic_work(store, status, drift=drift,
                         renewal=build_tls_renewal(settings, store), sla=people.sla,
                         evaluations=EvaluationReminders(store, people.notifier),
                         overdue=sop_overdue, existing_sites=existing_sites)  # fmt: skip
    dispatcher = build_dispatcher(settings, worker, store, work)
    retirements = RetirementService(store, settings, on_job_queued=dispatcher.queued)
    events = Events(announce, job_queued=dispatcher.queued,
                    retire_approved=retire_hook(retirements))  # fmt: skip
    # Asked at submit whether a hosting request's repository and branch exist; a short
    # time-out, as an OPD waits on the answer.
    sources = GitAdapter(configs.git_config(settings, timeout=15.0))
    uc = _request_use_cases(settings, store, availability, policy, sources, events)
    sops = SopCatalog(store, load_presets(), parse_yaml, to_yaml)
    deployments = DeploymentService(store, settings, on_job_queued=events.job_queued)
    procedures, procedure_docs = build_procedures(settings, store, sops, people.sla, deployments)
    return Container(
        settings=settings, store=store, dns=dns, availability=availability, status=status,
        intake=uc.intake, decisions=uc.decisions, revisions=uc.revisions,
        documents=uc.documents, queries=uc.queries, job_control=uc.job_control,
        deployments=deployments,
        retirements=retirements,
        existing_sites=existing_sites, site_migrations=site_migrations,
        undo=JobUndoService(store, on_job_queued=events.job_queued),
        drift=drift,
        dns_adoption=build_dns_adoption(settings, store, changes),
        letters=LetterService(store, configs.letter_settings(settings), check_pdf=check_pdf,
                              on_issued=announce.letter_issued),
        people=people, sops=sops, procedures=procedures, procedure_documents=procedure_docs,
        sop_overdue=sop_overdue,
        runner=runner, worker=worker, dispatcher=dispatcher, periodic_work=work,
    )  # fmt: skip
