"""The shape of a job: which steps, what each needs before it may start (a graph, run
concurrently where the needs allow), and what each step means for the request's state
(pure logic; the runner in provisioner/jobs/ does the I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provisioner.domain.states import RequestState


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNDONE = "undone"  # a failed or cancelled job whose standing changes were taken back


class StepStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"
    # Asked to be taken back (POST /jobs/{id}/undo): the worker runs the step's undo, then
    # marks it undone; until then its change still stands.
    UNDOING = "undoing"


@dataclass(frozen=True)
class StepSpec:
    name: str
    # The request's state while this step runs. Steps of one job may run side by side: the
    # request shows the furthest state reached (states.furthest), so "live" comes only once
    # the production checks passed.
    request_state: RequestState
    title_id: str
    title_en: str
    # The steps that must be done before this one starts (a need the job does not have is
    # passed through to that step's own needs: job_graph). The runner starts every step
    # whose needs are done, a bounded number at a time; a spec tuple lists its steps in an
    # order that respects the needs (the journal's positions; undo goes in reverse).
    needs: tuple[str, ...] = ()


S = RequestState
# The database and the dev site are on different hosts: side by side after the DNS records,
# joined before the dev checks; production only after they passed, with the dev commit.
HOSTING_STEPS: tuple[StepSpec, ...] = (
    StepSpec("dns", S.PROVISIONING, "Rekaman DNS", "DNS records"),
    StepSpec("database", S.PROVISIONING, "Basis data", "Database", ("dns",)),
    StepSpec("site_dev", S.PROVISIONING, "Vhost + deploy ke server dev", "Vhost + deploy to dev",
             ("dns",)),
    StepSpec("checks_dev", S.TESTING_DEV, "Uji di server dev", "Checks on dev",
             ("database", "site_dev")),
    StepSpec("site_prod", S.PRODUCTION, "Promosi ke server produksi", "Promote to production",
             ("checks_dev",)),
    StepSpec("checks_prod", S.PRODUCTION, "Uji di server produksi", "Checks on production",
             ("site_prod", "tls_prod")),
    StepSpec("letter", S.LIVE, "Surat rekomendasi", "Recommendation letter", ("checks_prod",)),
)  # fmt: skip
# Only in a job whose approved plan names a certificate (plan.tls_targets). The certificate
# is asked for right after the DNS records, beside the dev branch: it changes nothing that
# is served (the web host answers HTTP-01 for every name from its ACME webroot). The HTTPS
# vhost goes in right after site_prod, so checks_prod also checks HTTPS.
CERT_PROD_STEP = StepSpec(
    "cert_prod", S.PROVISIONING, "Penerbitan sertifikat TLS produksi",
    "TLS certificate issued for production", ("dns",),
)  # fmt: skip
TLS_PROD_STEP = StepSpec(
    "tls_prod", S.PRODUCTION, "Sertifikat TLS produksi", "TLS certificate on production",
    ("site_prod", "cert_prod"),
)  # fmt: skip
# Steps without needs of their own (this one, the operations and retarget jobs) run one
# after another in the order listed (job_graph).
DNS_ONLY_STEPS: tuple[StepSpec, ...] = (
    StepSpec("dns", S.PROVISIONING, "Rekaman DNS", "DNS records"),
    StepSpec("letter", S.LIVE, "Surat balasan", "Reply letter"),
)
FINAL_STATE = S.LETTER_ISSUED

# --- the technical team's own jobs (deploy, promote, rollback) and retirement ----------
# These jobs work on a site that already exists: its request's state does not move while they
# run (a redeploy to dev does not make a live site "provisioning"); only retire ends in RETIRED.
OPERATION_STEPS: dict[str, tuple[StepSpec, ...]] = {
    "deploy": (
        StepSpec("source_dev", S.LIVE, "Tentukan commit", "Resolve the commit"),
        StepSpec("site_dev", S.LIVE, "Deploy ke server dev", "Deploy to dev"),
        StepSpec("checks_dev", S.LIVE, "Uji di server dev", "Checks on dev"),
    ),
    "promote": (
        StepSpec("source_prod", S.LIVE, "Commit yang lulus dev", "Commit that passed dev"),
        StepSpec("site_prod", S.LIVE, "Promosi ke server produksi", "Promote to production"),
        StepSpec("checks_prod", S.LIVE, "Uji di server produksi", "Checks on production"),
    ),
    "rollback": (
        StepSpec("rollback_prod", S.LIVE, "Kembalikan rilis produksi", "Roll production back"),
        StepSpec("checks_prod", S.LIVE, "Uji di server produksi", "Checks on production"),
    ),
    "retire": (
        StepSpec("retire_dns", S.LIVE, "Hapus rekaman DNS", "Delete DNS records"),
        # One playbook run (retire.yml): dump the database, remove the sites, drop it.
        StepSpec("retire_hosting", S.LIVE, "Cadangkan lalu hapus situs dan basis data",
                 "Back up, then remove the sites and the database"),
        StepSpec("release_name", S.LIVE, "Lepaskan nama", "Release the name"),
    ),
}
# Where the SOP holds production until its acceptance, provisioning stops after the dev
# checks ("provision_dev"); the release is its own job ("provision_prod"): the commit that
# passed dev, the production site (with its certificate when the plan names one), the
# production checks and the letter.
RELEASE_STEPS: tuple[StepSpec, ...] = (
    StepSpec("source_prod", S.PRODUCTION, "Commit yang lulus dev", "Commit that passed dev"),
    StepSpec("site_prod", S.PRODUCTION, "Promosi ke server produksi", "Promote to production"),
    StepSpec("checks_prod", S.PRODUCTION, "Uji di server produksi", "Checks on production"),
    StepSpec("letter", S.LIVE, "Surat rekomendasi", "Recommendation letter"),
)

# The request's state at the end of a job of each kind; absent: unchanged.
KIND_FINAL_STATE: dict[str, RequestState] = {
    "provision": FINAL_STATE,
    "provision_dev": S.DEV_READY,
    "provision_prod": FINAL_STATE,
    "retire": S.RETIRED,
    "retarget": S.COMPLETED,
}
# An approved change-of-target request: its one step moves the site's record through the
# guarded DNS path; the change request is provisioning while it runs, then completed.
RETARGET_STEPS: tuple[StepSpec, ...] = (
    StepSpec("retarget_dns", S.PROVISIONING, "Ubah rekaman DNS", "Change the DNS record"),
)


def provision_steps(hosting: bool, *, tls: bool = False) -> tuple[StepSpec, ...]:
    if not hosting:
        return DNS_ONLY_STEPS
    if not tls:
        return HOSTING_STEPS
    names = [s.name for s in HOSTING_STEPS]
    dns, prod = names.index("dns") + 1, names.index("site_prod") + 1
    return (
        HOSTING_STEPS[:dns] + (CERT_PROD_STEP,) + HOSTING_STEPS[dns:prod] + (TLS_PROD_STEP,)
        + HOSTING_STEPS[prod:]
    )  # fmt: skip


def dev_only_steps() -> tuple[StepSpec, ...]:
    """A hosting job that stops once the dev checks passed (no certificate yet: the release
    asks for it, when production is wanted)."""
    names = [s.name for s in HOSTING_STEPS]
    return HOSTING_STEPS[: names.index("checks_dev") + 1]


def release_steps(*, tls: bool = False) -> tuple[StepSpec, ...]:
    """The release of a held site to production, in order."""
    if not tls:
        return RELEASE_STEPS
    # The certificate's own state (provisioning) never takes the request back: states.furthest.
    return (
        RELEASE_STEPS[:1] + (CERT_PROD_STEP,) + RELEASE_STEPS[1:2] + (TLS_PROD_STEP,)
        + RELEASE_STEPS[2:]
    )  # fmt: skip


def hosting_graph() -> dict[str, StepSpec]:
    """Every step a hosting provisioning job may have, by name, with its needs."""
    return {spec.name: spec for spec in provision_steps(True, tls=True)}


def retire_steps(hosting: bool) -> tuple[StepSpec, ...]:
    """A DNS-only request has no site or database to remove."""
    steps = OPERATION_STEPS["retire"]
    return steps if hosting else (steps[0], steps[-1])


def tracks_request(kind: str) -> bool:
    """Whether a job's steps move the request's state and record its failure."""
    return kind not in OPERATION_STEPS


def final_state(kind: str) -> RequestState | None:
    return KIND_FINAL_STATE.get(kind)


def step_spec(name: str) -> StepSpec:
    for spec in (
        HOSTING_STEPS + (CERT_PROD_STEP, TLS_PROD_STEP) + DNS_ONLY_STEPS + RETARGET_STEPS
        + RELEASE_STEPS + sum(OPERATION_STEPS.values(), ())
    ):
        if spec.name == name:
            return spec
    raise KeyError(name)


def site_lock_key(fqdn: str) -> str:
    """One job at a time per site: the production name identifies the site."""
    return f"site:{fqdn}"
