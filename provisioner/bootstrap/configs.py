"""Settings → the small frozen configs the adapters and steps are built with.

The config types live next to the code that uses them (adapters/, steps/), so neither
imports the settings; this module is the one place that reads Settings for them.
"""

from __future__ import annotations

from pathlib import Path

from provisioner.adapters.ansible import AnsibleConfig
from provisioner.adapters.dns.zones import DnsConfig, ZoneConfig, read_zones_file
from provisioner.adapters.git import GitConfig
from provisioner.adapters.inventory import read_inventory
from provisioner.adapters.mail import SmtpMailer
from provisioner.adapters.ssh_options import Login, SshConfig
from provisioner.adapters.tls import TlsConfig
from provisioner.adapters.webhook import WebhookSender
from provisioner.config import Settings
from provisioner.domain.requests import repo_url_for
from provisioner.steps.hosts import Hosts
from provisioner.steps.letter import LetterSettings
from provisioner.workflow.doctor.dns_checks import ZoneTarget
from provisioner.workflow.doctor.service import DoctorConfig


def ssh_config(settings: Settings) -> SshConfig:
    return SshConfig(
        key=settings.ssh_key_path,
        known_hosts=settings.known_hosts_path,
        state_dir=settings.data_dir / "ssh",
        logins=_logins(settings.inventory),
    )


def _logins(inventory: Path) -> tuple[tuple[str, Login], ...]:
    """The inventory's hosts that are not reached as plain root (user, sudo), by address,
    so the adapters that speak SSH themselves log in as Ansible does."""
    if not inventory.is_file():
        return ()
    return tuple(
        (host.address, Login(host.user, host.become))
        for host in read_inventory(inventory)
        if host.user != "root" or host.become
    )


def ansible_config(settings: Settings) -> AnsibleConfig:
    return AnsibleConfig(
        playbooks_dir=settings.playbooks_dir,
        inventory=settings.inventory,
        home_dir=settings.data_dir / "ansible",
        ssh=ssh_config(settings),
    )


def git_config(settings: Settings, *, timeout: float = 60.0) -> GitConfig:
    """`timeout`: short where a person waits on the answer (the submit form's check)."""
    return GitConfig(
        ssh=ssh_config(settings),
        cache_dir=settings.data_dir / "git-cache",
        timeout=timeout,
    )


def tls_config(settings: Settings) -> TlsConfig:
    return TlsConfig(
        acme_directory_url=settings.acme_directory_url,
        acme_ca_file=settings.acme_ca_file or settings.secrets_dir / "acme" / "ca.pem",
        acme_roots_url=settings.acme_roots_url,
        acme_email=settings.acme_email,
        renew_days=settings.tls_renew_days,
    )


def zone_configs(settings: Settings) -> list[ZoneConfig]:
    """The zones file's zones (`settings.zones_path`: the one set, or the lab's), else the
    settings' single zone."""
    if settings.zones_path is None:
        return [ZoneConfig(settings.zone, settings.dns_primary, settings.tsig_key_path)]
    return read_zones_file(settings.zones_path)


def dns_config(settings: Settings) -> DnsConfig:
    return DnsConfig(zones=tuple(zone_configs(settings)), timeout=settings.dns_timeout)


def hosts(settings: Settings) -> Hosts:
    return Hosts(
        web_dev=settings.web_dev_host,
        web_dev_address=settings.web_dev_address,
        web_prod=settings.web_prod_host,
        web_prod_address=settings.web_prod_address,
        db=settings.db_host,
        db_address=settings.db_address,
    )


def letter_settings(settings: Settings) -> LetterSettings:
    """One place for both the job's letter step and the corrections the web pages issue."""
    st = settings
    return LetterSettings(
        pattern=st.letter_number_pattern,
        government_name=st.government_name,
        classification=st.letter_classification,
        unit=st.agency_short,
        place=st.letter_place,
        agency_name=st.agency_name,
        agency_short=st.agency_short,
        agency_address=st.agency_address,
        signer_name=st.signer_name,
        signer_position=st.signer_position,
        signer_rank=st.signer_rank,
        signer_nip=st.signer_nip,
        timezone=st.timezone,
        secret=st.secret_key,
        public_url=st.public_url,
        letters_dir=st.letters_dir,
        prod_server=f"{st.web_prod_host} ({st.web_prod_address})",
    )


def mail_config(settings: Settings) -> SmtpMailer | None:
    """The SMTP server notifications go through (its mailer is its config); None = off."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


def webhook_config(settings: Settings) -> WebhookSender | None:
    """Where every notification is also POSTed; None = off."""
    return WebhookSender(settings.webhook_url) if settings.webhook_url else None


# --- provisioner doctor -----------------------------------------------------------------


def doctor_config(settings: Settings) -> DoctorConfig:
    """What the doctor checks against: the roles' needs, the repository to list from each
    web host, and the paths its fix texts name."""
    smtp = f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else ""
    return DoctorConfig(
        apache_modules=tuple(settings.doctor_apache_modules),
        php_extensions=tuple(settings.doctor_php_extensions),
        web_tools=("git", "certbot") if settings.acme_directory_url else ("git",),
        git_probe_url=repo_url_for(settings.doctor_git_repository, settings.git_base_url),
        ssh_key=str(settings.ssh_key_path),
        known_hosts=str(settings.known_hosts_path),
        inventory=str(settings.inventory),
        acme_directory_url=settings.acme_directory_url,
        smtp_target=smtp,
    )


def doctor_zones(settings: Settings) -> list[ZoneTarget]:
    return [ZoneTarget(z.zone, z.primary, str(z.tsig_key_file)) for z in zone_configs(settings)]
