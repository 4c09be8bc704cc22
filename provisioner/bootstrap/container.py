"""The composition root: the one place that builds concrete adapters and services. It hands
them down as one frozen Container (to bootstrap.serve, the CLI, tests and benches); the
partial builders below serve the commands that need only a part (`provisioner user`,
`provisioner dns`). The subscriptions each service is built with: bootstrap.events."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from provisioner.adapters.acme_issue import CertbotIssuer
from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.dns.tsig import TsigKey
from provisioner.adapters.dns.zones import DnsAdapter, DnsZones
from provisioner.adapters.feasibility import feasibility_probes
from provisioner.adapters.git import GitAdapter
from provisioner.adapters.pdf import render_sop_letter_pdf, warm_up as warm_up_pdf
from provisioner.adapters.pdf_check import check_pdf
from provisioner.adapters.sop_files import load_presets, parse_yaml, to_yaml
from provisioner.adapters.web_probe import WebProbe
from provisioner.bootstrap import configs
from provisioner.bootstrap.events import Announcements, Events
from provisioner.config import Settings
from provisioner.domain.auth_policy import AddressThrottle, LockoutPolicy, SessionPolicy
from provisioner.domain.naming import NamingPolicy
from provisioner.domain.sop_letters import DEFAULT_PATTERNS
from provisioner.jobs.control import JobControl, JobUndoService
from provisioner.jobs.dispatch import Dispatcher, build_dispatcher
from provisioner.jobs.dispatch_procrastinate import apply_schema as apply_procrastinate_schema
from provisioner.jobs.periodic import PeriodicWork, periodic_work
from provisioner.jobs.runner import JobRunner
from provisioner.jobs.worker import Worker
from provisioner.ops.metrics import job_counts_from
from provisioner.ops.readiness import Readiness, check_readiness
from provisioner.steps.base import Step
from provisioner.steps.checks import ChecksStep
from provisioner.steps.database import DatabaseStep
from provisioner.steps.dns_apply import DnsChanges
from provisioner.steps.dns_records import DnsRecordsStep
from provisioner.steps.dns_retarget import RetargetDnsStep
from provisioner.steps.hosting_workflow import hosting_workflow_steps
from provisioner.steps.letter import LetterStep
from provisioner.steps.site import SiteStep
from provisioner.steps.tls import CertStep, TlsPlaybook, TlsStep
from provisioner.store.db import Store, migrate
from provisioner.workflow.doctor.service import DoctorService
from provisioner.workflow.hosting.deployments import DeploymentService
from provisioner.workflow.hosting.retirement import RetirementService, retire_hook
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
from provisioner.workflow.procedures.hardware import HardwareSteps
from provisioner.workflow.procedures.letters import LetterIssuer
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
    undo: JobUndoService  # what a failed job left standing, and taking exactly that back
    drift: DriftService
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


def build_steps(settings: Settings, store: Store, changes: DnsChanges) -> dict[str, Step]:
    ansible = AnsibleAdapter(configs.ansible_config(settings))
    git = GitAdapter(configs.git_config(settings))
    hosts, ssh = configs.hosts(settings), configs.ssh_config(settings)
    tls = configs.tls_config(settings)
    keep = settings.keep_releases
    steps: list[Step] = [
        DnsRecordsStep(changes),
        RetargetDnsStep(changes, store),  # an approved change of target
        DatabaseStep(ansible, db_host=hosts.db, client_hosts=settings.db_client_hosts),
        SiteStep(ansible, git, environment="dev", host=hosts.web_dev,
                 db_address=hosts.db_address, keep_releases=keep),
        ChecksStep(ssh, tls, environment="dev", host=hosts.web_dev,
                   address=hosts.web_dev_address),
        SiteStep(ansible, git, environment="prod", host=hosts.web_prod,
                 db_address=hosts.db_address, keep_releases=keep),
        # In a job only when its approved plan names a certificate (provision_steps(tls=)):
        # cert_prod right after the DNS records, beside the dev branch; tls_prod after site_prod.
        CertStep(CertbotIssuer(ssh, tls), environment="prod", host=hosts.web_prod,
                 address=hosts.web_prod_address),
        TlsStep(TlsPlaybook(ansible, tls), environment="prod", host=hosts.web_prod,
                address=hosts.web_prod_address),
        ChecksStep(ssh, tls, environment="prod", host=hosts.web_prod,
                   address=hosts.web_prod_address),
        LetterStep(store, configs.letter_settings(settings)),
    ]  # fmt: skip
    built = {step.name: step for step in steps}
    built.update(
        hosting_workflow_steps(store, ansible, git, built, hosts=hosts, ssh=ssh, keep_releases=keep)
    )
    return built


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
    work = periodic_work(store, status, drift=drift,
                         renewal=build_tls_renewal(settings, store), sla=people.sla,
                         evaluations=EvaluationReminders(store, people.notifier),
                         overdue=sop_overdue)  # fmt: skip
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
    procedures, procedure_docs = _procedures(settings, store, sops, people.sla, deployments)
    return Container(
        settings=settings, store=store, dns=dns, availability=availability, status=status,
        intake=uc.intake, decisions=uc.decisions, revisions=uc.revisions,
        documents=uc.documents, queries=uc.queries, job_control=uc.job_control,
        deployments=deployments,
        retirements=retirements,
        undo=JobUndoService(store, on_job_queued=events.job_queued),
        drift=drift,
        letters=LetterService(store, configs.letter_settings(settings), check_pdf=check_pdf,
                              on_issued=announce.letter_issued),
        people=people, sops=sops, procedures=procedures, procedure_documents=procedure_docs,
        sop_overdue=sop_overdue,
        runner=runner, worker=worker, dispatcher=dispatcher, periodic_work=work,
    )  # fmt: skip


def sop_days_off(sla: SlaService) -> Callable[[], frozenset[date]]:
    """The days off an SOP clock skips: the admin's working calendar (national + regional),
    minus the days it declares working."""

    def days_off() -> frozenset[date]:
        calendar = sla.calendar()
        return calendar.days_off - calendar.working_days

    return days_off


def _procedures(
    settings: Settings, store: Store, sops: SopCatalog, sla: SlaService,
    deployments: DeploymentService,
) -> tuple[Procedures, ProcedureDocuments]:  # fmt: skip
    days_off = sop_days_off(sla)
    rules = RequestRules.from_settings(settings)
    hardware = HardwareSteps(
        store=store,
        probes=feasibility_probes(configs.tls_config(settings).acme_ca_file),
        dev_site=lambda label: (settings.web_dev_address, rules.dev_fqdn(label)),
        release=deployments.release,
    )
    procedures = Procedures(
        store=store,
        catalog=sops,
        issuer=LetterIssuer(
            configs.letter_settings(settings), render_sop_letter_pdf,
            {kind: settings.sop_letter_patterns.get(kind.value, pattern)
             for kind, pattern in DEFAULT_PATTERNS.items()},
        ),  # fmt: skip
        days_off=days_off,
        hardware=hardware,
    )
    documents = ProcedureDocuments(
        store, settings.uploads_dir, settings.upload_max_bytes, check_pdf
    )
    return procedures, documents


# --- provisioner doctor: checks of the real setup (built on its own, no store needed) ----


def build_doctor(settings: Settings) -> DoctorService:
    """The doctor with its adapters: the ssh client Ansible's settings use, each zone's
    reads and update probe (with the zone's key), the inventory, ACME and SMTP probes."""
    from provisioner.adapters import service_probes
    from provisioner.adapters.dns.probe import ZoneProbe
    from provisioner.adapters.inventory import read_inventory
    from provisioner.adapters.remote_shell import RemoteShell
    from provisioner.workflow.doctor.service import DoctorProbes

    zones = {z.zone: z for z in configs.zone_configs(settings)}
    timeout, tls = settings.dns_timeout, configs.tls_config(settings)

    def open_zone(zone: str) -> tuple[DnsAdapter, ZoneProbe]:
        z = zones[zone]
        key = TsigKey.load(z.tsig_key_file)
        adapter = DnsAdapter(zone=z.zone, primary=z.primary, key=key, timeout=timeout)
        return adapter, ZoneProbe(z.zone, z.primary, key, timeout=max(timeout, 3.0))

    probes = DoctorProbes(
        shell=RemoteShell(configs.ssh_config(settings)),
        open_zone=open_zone,
        read_hosts=lambda: read_inventory(settings.inventory),
        acme=lambda: service_probes.acme_directory(tls.acme_directory_url, tls.acme_ca_file),
        smtp=lambda: service_probes.smtp_greeting(
            settings.smtp_host or "", settings.smtp_port, starttls=settings.smtp_starttls
        ),
    )
    return DoctorService(configs.doctor_config(settings), configs.doctor_zones(settings), probes)
