"""Settings from the environment (PROVISIONER_*) or a `.env`-style config file.

Built by `get_settings()`, never at import time, so tests and the CLI can point a
process at another data directory before anything reads it.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from provisioner.domain.errors import ProvisionerError
from provisioner.domain.letters import validate_pattern
from provisioner.domain.sop import LetterKind

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets that must never be used outside the lab/development environment.
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", ""}
PLACEHOLDER_MARK = re.compile(r"change-?me", re.IGNORECASE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PROVISIONER_",
        env_file=os.environ.get("PROVISIONER_CONFIG", "provisioner.env"),
        extra="ignore",
    )

    environment: str = Field("lab", description="lab | development | production")
    data_dir: Path = Field(PROJECT_ROOT / "var", description="store, letters, job runs, lab state")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    lab_path: Path | None = Field(None, description="lab state and secrets; default data_dir/lab")

    # --- DNS -------------------------------------------------------------------------
    zone: str = "demokab.go.id"
    dns_primary: str = Field("127.0.2.53", description="address that accepts RFC 2136 updates")
    tsig_key_file: Path | None = Field(None, description="JSON {name, algorithm, secret}")
    dev_subzone: str = Field("dev", description="dev name is <label>.<dev_subzone>.<zone>")
    dns_ttl: int = 300
    dns_timeout: float = 2.0
    dns_verify_timeout: float = 20.0

    # --- DNS zones, retries and drift ---------------------------------------------------
    zones_file: Path | None = Field(
        None,
        description="YAML/JSON list of {zone, primary, tsig_key_file}; default: the lab's "
        "secrets/zones.json when `lab up` wrote one, else the single `zone`",
    )
    dns_retry_timeout: float = Field(
        15.0, description="seconds to keep retrying an unreachable primary (back-off)"
    )
    dns_drift_probe_timeout: float = Field(
        1.0, description="seconds a drift check waits for a record's host to answer"
    )
    dns_repair_max_changes: int = Field(
        20, ge=1, description="a drift repair changing more records is refused unless forced"
    )

    # --- hosts -----------------------------------------------------------------------
    inventory: Path = PROJECT_ROOT / "inventories" / "lab" / "hosts.yml"
    playbooks_dir: Path = PROJECT_ROOT / "playbooks"
    ssh_private_key: Path | None = None
    ssh_known_hosts: Path | None = None
    web_dev_host: str = "web-dev"
    web_dev_address: str = "127.0.2.11"
    web_prod_host: str = "web-prod"
    web_prod_address: str = "127.0.2.12"
    # --- TLS (ACME) and hosting ---
    acme_directory_url: str = Field(
        "https://127.0.2.53:14000/dir", description="ACME directory (lab: pebble inside ns1)"
    )
    acme_ca_file: Path | None = Field(
        None, description="CA of the ACME server's HTTPS; default secrets_dir/acme/ca.pem"
    )
    acme_roots_url: str | None = Field(
        "https://127.0.2.53:15000/roots/0",
        description="test CA's issuing roots for the TLS check (lab); unset = system store",
    )
    acme_email: str = Field("", description="ACME account contact; empty = none")
    tls_renew_days: int = Field(30, ge=1, description="renew certificates expiring within")
    db_host: str = "db"
    db_address: str = "127.0.2.30"
    git_base_url: str = Field("ssh://root@127.0.2.40/srv/git", description="repository server")
    keep_releases: int = 3
    db_client_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.2.%"],
        description="MariaDB host patterns the site user may connect from",
    )
    allowed_target_networks: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8"],
        description="networks a no-hosting request may point its record at",
    )

    # --- letters ---------------------------------------------------------------------
    government_name: str = "Pemerintah Kabupaten Demo"
    agency_name: str = "Dinas Komunikasi dan Informatika Kabupaten Demo"
    agency_short: str = "DISKOMINFO"
    agency_address: str = "Jl. Pemuda No. 1, Demo, Kalimantan Selatan 71111"
    letter_place: str = "Demo"
    letter_number_pattern: str = "{klasifikasi}/{nomor:03d}/{unit}/{bulan_romawi}/{tahun}"
    sop_letter_patterns: dict[str, str] = Field(
        default_factory=dict,
        description="number patterns of SOP letters by kind (reply, refusal, invitation, "
        "recommendation, assignment, berita_acara, evaluation); a kind not named keeps its "
        "default, e.g. {klasifikasi}/{nomor:03d}/{unit}-REK/{bulan_romawi}/{tahun}",
    )
    letter_classification: str = "000.8.3.3"
    signer_name: str = "Ir. Budi Santoso, M.T."
    signer_position: str = "Kepala Dinas Komunikasi dan Informatika"
    signer_rank: str = "Pembina Utama Muda (IV/c)"
    signer_nip: str = "197001011995031001"
    timezone: str = "Asia/Makassar"

    # --- service ---------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    secret_key: str = Field("lab-only-secret", description="signs letters and sessions")
    worker_enabled: bool = True
    worker_id: str | None = Field(None, description="stable per node; default: host name")
    worker_threads: int = 2
    worker_poll_seconds: float = 0.5
    scheduler_enabled: bool = True

    # --- sign-in, uploads, notifications, SLA -------------------------------------------
    session_idle_minutes: int = Field(30, ge=1, description="web session idle time-out")
    session_absolute_hours: int = Field(8, ge=1, description="web session absolute time-out")
    login_max_failures: int = Field(5, ge=1, description="failed sign-ins before lock-out")
    login_lockout_minutes: int = Field(15, ge=1, description="lock-out time, then unlocked")
    login_address_max_failures: int = Field(
        20, ge=1, description="failed sign-ins from one client address (any accounts) …"
    )
    login_address_window_minutes: int = Field(
        15, ge=1, description="… within this many minutes, then 429 until one expires"
    )
    metrics_access: str = Field(
        "token",
        pattern="^(token|public)$",
        description="/metrics: 'token' = a bearer token of the technical team or an admin "
        "(or a client address in metrics_allow_networks); 'public' = anyone",
    )
    metrics_allow_networks: list[str] = Field(
        default_factory=list,
        description="client networks that may read /metrics without a token, e.g. "
        "['127.0.0.1/32'] for a Prometheus on the same machine",
    )
    upload_max_bytes: int = Field(5 * 1024 * 1024, description="largest letter scan (PDF)")
    json_body_max_bytes: int = Field(
        1024 * 1024, ge=1024, description="largest JSON (or form) body; larger ones get 413"
    )
    letter_max_age_years: int = Field(
        5, ge=1, le=25, description="oldest plausible request letter, in years before today"
    )
    smtp_host: str | None = Field(None, description="SMTP server for notifications; unset = off")
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "provisioner@demokab.go.id"
    webhook_url: str | None = Field(None, description="POSTed a JSON note on every notification")
    sla_limits: dict[str, int] = Field(
        default_factory=dict, description="working minutes per SLA step, e.g. {'create': 240}"
    )
    evaluation_after_days: int = Field(182, description="evaluation reminder after go-live")

    # --- jobs ------------------------------------------------------------------------
    dispatch: str = Field("inline", description="inline (in-process worker) | procrastinate")
    job_heartbeat_seconds: float = Field(10.0, description="a running job proves it is alive")
    job_stale_seconds: float = Field(120.0, description="no heartbeat this long: job orphaned")
    step_retries: int = Field(2, description="retries of a step whose server is unreachable")
    step_retry_backoff: float = Field(1.0, description="first back-off; doubles each retry")
    job_step_concurrency: int = Field(
        3, ge=1, description="steps of one job run at once where their needs allow; 1 = in order"
    )
    worker_concurrency: int = Field(1, description="jobs at once per `provisioner worker`")
    scheduler_lease_seconds: float = Field(30.0, description="leader lease of the scheduler")
    log_json: bool = Field(False, description="structured JSON logs with job/request ids")

    # --- provisioner doctor --------------------------------------------------------------
    doctor_apache_modules: list[str] = Field(
        default_factory=lambda: [
            "alias", "headers", "macro", "proxy", "proxy_fcgi", "rewrite", "setenvif",
            "socache_shmcb", "ssl",
        ],
        description="Apache modules the vhost and TLS roles enable: each must be installed",
    )  # fmt: skip
    doctor_php_extensions: list[str] = Field(
        default_factory=lambda: ["mysqli", "pdo_mysql"],
        description="PHP extensions the web hosts must load (the database check uses mysqli)",
    )
    doctor_git_repository: str = Field(
        "sample-app", description="a repository on the repository server for `git ls-remote`"
    )

    @field_validator("sop_letter_patterns", mode="after")
    @classmethod
    def _sop_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, pattern in value.items():
            if kind not in {k.value for k in LetterKind}:
                raise ValueError(f"unknown letter kind {kind!r}")
            try:
                validate_pattern(pattern)
            except ProvisionerError as exc:
                raise ValueError(f"{kind}: {exc.message}") from None
        return value

    @field_validator("data_dir", "inventory", "playbooks_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        if self.secret_key in PLACEHOLDER_SECRETS or self.secret_key.startswith("lab-"):
            raise ValueError("PROVISIONER_SECRET_KEY must be set to a real secret in production")
        # The example file's secrets (deploy/provisioner.env.example) all say "change-me".
        left = [name for name, value in (
            ("PROVISIONER_SECRET_KEY", self.secret_key),
            ("PROVISIONER_SMTP_PASSWORD", self.smtp_password or ""),
            ("PROVISIONER_DATABASE_URL", self.database_url or ""),
        ) if PLACEHOLDER_MARK.search(value)]  # fmt: skip
        if left:
            raise ValueError(f"{', '.join(left)}: still the example's placeholder; set a real "
                             "secret for production")
        return self

    # Derived paths: one place that knows where things live under data_dir.
    @property
    def lab_dir(self) -> Path:
        return self.lab_path or self.data_dir / "lab"

    @property
    def secrets_dir(self) -> Path:
        return self.lab_dir / "secrets"

    @property
    def letters_dir(self) -> Path:
        return self.data_dir / "letters"

    @property
    def uploads_dir(self) -> Path:
        """Letter scans: under the data dir, never under a web root."""
        return self.data_dir / "uploads"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'provisioner.db'}"

    @property
    def zones_path(self) -> Path | None:
        """The zones file in effect: the one set, or the lab's (every zone the lab serves,
        so the drift check and the lab agree on what is managed), or None (one zone)."""
        if self.zones_file is not None:
            return self.zones_file
        lab_zones = self.secrets_dir / "zones.json"
        return lab_zones if lab_zones.is_file() else None

    @property
    def tsig_key_path(self) -> Path:
        return self.tsig_key_file or self.secrets_dir / "tsig.json"

    @property
    def ssh_key_path(self) -> Path:
        return self.ssh_private_key or self.secrets_dir / "id_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        return self.ssh_known_hosts or self.secrets_dir / "known_hosts"

    def prod_fqdn(self, label: str) -> str:
        return f"{label}.{self.zone}"

    def dev_fqdn(self, label: str) -> str:
        return f"{label}.{self.dev_subzone}.{self.zone}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
