"""A store that already holds what a working Diskominfo has: requests in every state, jobs
whose steps are done or failed — one failure with a server path, SQL and a tool's raw
output in it —, letters and a correction, a retirement proposed and one carried out, a
cancelled deploy, and a user of every role with an API token and a password.

Built through the services and repositories: names are checked against the lab's name
servers as in real use, but no playbook runs and the worker stays off — the jobs' progress
is written into the journal directly, as the runner would have."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from provisioner.bootstrap.configs import letter_settings
from provisioner.bootstrap.container import Container
from provisioner.domain.actors import Actor, Role
from provisioner.domain.jobs import JobState, StepStatus
from provisioner.domain.letters import LetterContent
from provisioner.domain.requests import RequestDraft
from provisioner.domain.states import RequestState
from provisioner.steps.letter import issue_letter
from provisioner.store.models.base import utcnow
from provisioner.store.repositories import jobs as jobs_repo, requests as requests_repo
from provisioner.workflow.people.users import add_user

PASSWORD = "Kominfo-Demo-2026"
AGENCY = "Dinas Kesehatan"
OTHER_AGENCY = "Dinas Pendidikan"
# Who the population's users are: role name → (role, agency).
ROLES: dict[str, tuple[Role, str | None]] = {
    "opd": (Role.OPD, AGENCY),
    "opd_other": (Role.OPD, OTHER_AGENCY),
    "network": (Role.NETWORK, None),
    "technical": (Role.TECHNICAL, None),
    "approver": (Role.APPROVER, None),
    "admin": (Role.ADMIN, None),
}
# What a failed database step really records: a server path, SQL, the tool's own words.
SERVER_PATH = "/var/lib/provisioner/runs/job-7/present_apply.sql"
SQL_ERROR = (
    "ERROR 1064 (42000) at line 3 in file: '" + SERVER_PATH + "': You have an error in "
    "your SQL syntax near 'GRANT ALL PRIVILEGES ON `dinkes_app`.* TO'"
)
TOOL_OUTPUT = (
    "TASK [database : Apply the statements] ****\n"
    'fatal: [db]: FAILED! => {"changed": true, "cmd": "mysql --defaults-file=/root/.my.cnf '
    f'< {SERVER_PATH}", "rc": 1, "stderr": "{SQL_ERROR}"}}\n'
)
# Words none of which may reach an OPD (the failure's technical detail above).
LEAKS = (SERVER_PATH, "/root/", "SQL syntax", "GRANT ALL", "fatal:", "ERROR 1064", "mysql")


@dataclass
class Population:
    services: Container
    usernames: dict[str, str]  # role name → user name
    tokens: dict[str, str]  # role name → API token
    requests: dict[str, int] = field(default_factory=dict)  # what it is → request id
    jobs: dict[str, int] = field(default_factory=dict)  # what it is → job id
    letters: list[int] = field(default_factory=list)

    def actor(self, who: str) -> Actor:
        role, agency = ROLES[who]
        return Actor(self.usernames[who], role, agency)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def populate(services: Container) -> Population:
    """Fill a fresh store (see the module's docstring); returns who is who and what is where."""
    tag = secrets.token_hex(3)
    usernames = {who: f"{who.replace('_', '-')}-{tag}" for who in ROLES}
    tokens = {
        who: add_user(services.store, usernames[who], role, agency, password=PASSWORD,
                      email=f"{usernames[who]}@demokab.go.id")
        for who, (role, agency) in ROLES.items()
    }  # fmt: skip
    pop = Population(services, usernames, tokens)
    opd, net = pop.actor("opd"), pop.actor("network")
    intake, decisions = services.intake, services.decisions

    def new(what: str, *, hosting: bool = False, who: str = "opd") -> int:
        label = f"{what.replace('_', '')[:12]}-{tag}"
        agency = ROLES[who][1] or AGENCY
        rid = intake.submit(_draft(label, agency, hosting=hosting), pop.actor(who)).id
        pop.requests[what] = rid
        return rid

    def approved(what: str, *, hosting: bool = False) -> tuple[int, int]:
        rid = new(what, hosting=hosting)
        done = decisions.approve(rid, net)
        assert done.job is not None
        pop.jobs[what] = done.job.id
        return rid, done.job.id

    new("submitted")
    new("other_agency", who="opd_other")
    decisions.verify(new("verified"), net)
    services.revisions.return_for_revision(new("returned"), net, "Lengkapi NIP penanggung jawab")
    decisions.reject(new("rejected"), net, "Nama tidak sesuai pedoman penamaan")
    approved("approved")
    _progress(pop, *approved("provisioning", hosting=True), done=1, state="provisioning")
    _progress(pop, *approved("testing_dev", hosting=True), done=3, state="testing_dev")
    _fail(pop, *approved("failed", hosting=True), at="database")
    live, _ = approved("live", hosting=True)
    _finish(pop, live, pop.jobs["live"], state=RequestState.LIVE)
    issued, _ = approved("letter_issued", hosting=True)
    _finish(pop, issued, pop.jobs["letter_issued"], state=RequestState.LETTER_ISSUED)
    first = _issue_letter(pop, issued)
    correction = services.letters.correct(  # type: ignore[union-attr]
        first, {"addressee": "Kepala Dinas Kesehatan Kabupaten Demo"}, pop.actor("approver")
    )
    pop.letters += [first, correction.id]
    # A deploy the technical team queued and then cancelled, on the live site.
    assert services.deployments is not None
    deploy = services.deployments.deploy(_fqdn(services, live), pop.actor("technical"),
                                         branch="main")
    services.job_control.cancel(deploy.id, pop.actor("technical"))
    pop.jobs["cancelled_deploy"] = deploy.id
    # A change of the person responsible, carried out; a change of target waiting.
    site_label = _label(services, issued)
    contact = intake.submit(
        _draft(site_label, AGENCY, request_type="change_contact", contact_name="Rina Wati"), opd
    )
    decisions.approve(contact.id, net)
    pop.requests["completed"] = contact.id
    pop.requests["change_target"] = intake.submit(
        _draft(_label(services, live), AGENCY, request_type="change_target",
               target_address="127.0.2.12"), opd,
    ).id  # fmt: skip
    # Retirement: one proposed and waiting, one approved and carried out.
    assert services.retirements is not None
    waiting, _ = approved("retirement_proposed")
    _finish(pop, waiting, pop.jobs["retirement_proposed"], state=RequestState.LETTER_ISSUED)
    services.retirements.propose(waiting, opd, "Situs diganti portal baru")
    gone, _ = approved("retired")
    _finish(pop, gone, pop.jobs["retired"], state=RequestState.LETTER_ISSUED)
    services.retirements.propose(gone, opd, "Layanan dihentikan")
    retire = services.retirements.approve(gone, net)
    _finish(pop, gone, retire.id, state=RequestState.RETIRED)
    pop.jobs["retire"] = retire.id
    return pop


def _draft(label: str, agency: str, *, hosting: bool = False, **over: Any) -> RequestDraft:
    values: dict[str, Any] = {
        "label": label, "agency": agency, "purpose": "Situs resmi " + agency,
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "contact_phone": "0812345678", "letter_number": "400.7/1234/DINKES/2026",
        "letter_date": date.today() - timedelta(days=1), "hosting": hosting,
        "repo": "sample-app" if hosting else None, "branch": "main" if hosting else None,
        "target_address": None if hosting else "127.0.2.12",
        "contact_nip": "198503152010012003", "contact_position": "Kepala Seksi",
        "contact_rank": "Penata (III/c)", "site_kind": "official",
    }  # fmt: skip
    values.update(over)
    return RequestDraft(**values)


def _label(services: Container, request_id: int) -> str:
    with services.store.read() as s:
        return requests_repo.get_request(s, request_id).label


def _fqdn(services: Container, request_id: int) -> str:
    with services.store.read() as s:
        return requests_repo.get_request(s, request_id).fqdn


def _progress(pop: Population, request_id: int, job_id: int, *, done: int, state: str) -> None:
    """A running job: its first `done` steps done, the next one running."""
    with pop.services.store.session() as s:
        job = jobs_repo.get_job(s, job_id)
        job.state, job.started_at, job.claimed_by = JobState.RUNNING, utcnow(), "fixture"
        job.heartbeat_at = utcnow()
        for step in job.steps[:done]:
            _done(step)
        job.steps[done].status, job.steps[done].started_at = StepStatus.RUNNING, utcnow()
        job.steps[done].log = "TASK [site : Clone the release] ****\n"
        requests_repo.get_request(s, request_id).state = state


def _fail(pop: Population, request_id: int, job_id: int, *, at: str) -> None:
    """A failed job, as the runner records it: the step's server, the tool's words, the log."""
    with pop.services.store.session() as s:
        job = jobs_repo.get_job(s, job_id)
        job.state, job.started_at, job.finished_at = JobState.FAILED, utcnow(), utcnow()
        for step in job.steps:
            if step.name == at:
                step.status, step.server, step.error = StepStatus.FAILED, "db", SQL_ERROR
                step.log, step.attempts = TOOL_OUTPUT, 3
                step.started_at = step.finished_at = utcnow()
                break
            _done(step)
        job.error = f"{at} @ db: {SQL_ERROR}"
        req = requests_repo.get_request(s, request_id)
        req.state = RequestState.FAILED
        req.failure_step, req.failure_server, req.failure_reason = at, "db", SQL_ERROR


def _finish(pop: Population, request_id: int, job_id: int, *, state: RequestState) -> None:
    """A job that ran to its end; the request in `state`."""
    with pop.services.store.session() as s:
        job = jobs_repo.get_job(s, job_id)
        job.state, job.started_at, job.finished_at = JobState.DONE, utcnow(), utcnow()
        for step in job.steps:
            _done(step)
        req = requests_repo.get_request(s, request_id)
        req.state = state
        req.live_at = req.live_at or utcnow()
        req.commit_sha = "a" * 40 if req.hosting else None
        if state == RequestState.RETIRED:
            requests_repo.release_name(s, request_id)


def _done(step: Any) -> None:
    step.status, step.attempts = StepStatus.DONE, 1
    step.started_at = step.finished_at = utcnow()
    step.server = step.server or "ns1.demokab.go.id"
    step.outputs = {"run_dir": f"/var/lib/provisioner/runs/{step.job_id}/{step.name}",
                    "commit": "a" * 40}  # fmt: skip
    step.log = f"TASK [{step.name}] ok\n"


def _issue_letter(pop: Population, request_id: int) -> int:
    with pop.services.store.read() as s:
        req = requests_repo.get_request(s, request_id)
        label, fqdn = req.label, req.fqdn
    content = LetterContent(
        number="", issued_on=date.today(), place="Demo", nature="Biasa", attachments="-",
        subject="Balasan Permohonan Subdomain", addressee="Kepala Dinas Kesehatan",
        addressee_place="Demo", request_letter_number="400.7/1234/DINKES/2026",
        request_letter_date=date.today(), fqdn=fqdn, dev_fqdn=None,
        server="web-prod (127.0.2.12)", database=None, commit="a" * 40,
        checks=(("HTTP", True, "200"),), agency_name="Dinas Komunikasi dan Informatika",
        agency_short="DISKOMINFO", agency_address="Jl. Pemuda 1", signer_name="Budi",
        signer_position="Kepala Dinas", signer_rank="Pembina (IV/a)",
        signer_nip="197001011995031001", carbon_copies=(), verification_code="",
        verification_url="",
    )  # fmt: skip
    cfg = letter_settings(pop.services.settings)
    return issue_letter(pop.services.store, cfg, request_id=request_id, label=label,
                        content=content).id  # fmt: skip
