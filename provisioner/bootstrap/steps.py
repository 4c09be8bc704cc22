"""The job steps a runner is built with: each hardware step with the adapters it drives
(part of the composition root; only bootstrap builds concrete adapters)."""

from __future__ import annotations

from provisioner.adapters.acme_issue import CertbotIssuer
from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.db_exec import MariadbOverSsh
from provisioner.adapters.git import GitAdapter
from provisioner.adapters.https_vhost import HttpsVhost, TlsRole
from provisioner.adapters.site_release import SiteOverSsh
from provisioner.bootstrap import configs
from provisioner.config import Settings
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
from provisioner.store.db import Store


def build_steps(settings: Settings, store: Store, changes: DnsChanges) -> dict[str, Step]:
    ansible = AnsibleAdapter(configs.ansible_config(settings))
    git = GitAdapter(configs.git_config(settings))
    hosts, ssh = configs.hosts(settings), configs.ssh_config(settings)
    tls = configs.tls_config(settings)
    keep = settings.keep_releases
    # site.yml's vhost and deploy roles over SSH, on the inventory's host as Ansible would
    # reach it (user, become).
    site = SiteOverSsh(ssh, roles_dir=settings.playbooks_dir / "roles",
                       inventory=settings.inventory)  # fmt: skip
    steps: list[Step] = [
        DnsRecordsStep(changes),
        RetargetDnsStep(changes, store),  # an approved change of target
        # The database role's SQL over one SSH exec, on the inventory's host as Ansible
        # would reach it (user, become).
        DatabaseStep(MariadbOverSsh(ssh, role_dir=settings.playbooks_dir / "roles" / "database",
                                    inventory=settings.inventory),
                     db_host=hosts.db, client_hosts=settings.db_client_hosts),
        SiteStep(ansible, site, git, environment="dev", host=hosts.web_dev,
                 db_address=hosts.db_address, keep_releases=keep),
        ChecksStep(ssh, tls, environment="dev", host=hosts.web_dev,
                   address=hosts.web_dev_address),
        SiteStep(ansible, site, git, environment="prod", host=hosts.web_prod,
                 db_address=hosts.db_address, keep_releases=keep),
        # In a job only when its approved plan names a certificate (provision_steps(tls=)):
        # cert_prod right after the DNS records, beside the dev branch; tls_prod after site_prod.
        CertStep(CertbotIssuer(ssh, tls), environment="prod", host=hosts.web_prod,
                 address=hosts.web_prod_address),
        TlsStep(TlsPlaybook(ansible, tls), CertbotIssuer(ssh, tls),
                HttpsVhost(ssh, TlsRole(settings.playbooks_dir / "roles" / "tls")),
                environment="prod", host=hosts.web_prod, address=hosts.web_prod_address),
        ChecksStep(ssh, tls, environment="prod", host=hosts.web_prod,
                   address=hosts.web_prod_address),
        LetterStep(store, configs.letter_settings(settings)),
    ]  # fmt: skip
    built = {step.name: step for step in steps}
    built.update(
        hosting_workflow_steps(store, ansible, git, built, hosts=hosts, ssh=ssh, keep_releases=keep)
    )
    return built
