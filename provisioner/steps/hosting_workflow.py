"""The steps of the hosting workflow's jobs (deploy, promote, rollback, retire), built from
the adapters and steps the composition root already made."""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.git import GitAdapter
from provisioner.adapters.ssh_options import SshConfig
from provisioner.steps.base import Step
from provisioner.steps.checks import ChecksStep
from provisioner.steps.deploy_source import DevSourceStep, ProdSourceStep
from provisioner.steps.hosts import Hosts
from provisioner.steps.retire import ReleaseNameStep, RetireDnsStep, RetireHostingStep
from provisioner.steps.rollback import ProductionGate, ProductionReverter, RollbackStep
from provisioner.store.db import Store


def hosting_workflow_steps(
    store: Store,
    ansible: AnsibleAdapter,
    git: GitAdapter,
    built: Mapping[str, Step],
    *,
    hosts: Hosts,
    ssh: SshConfig,
    keep_releases: int,
) -> dict[str, Step]:
    """New steps by name; `checks_prod` is replaced by its gate with automatic rollback."""
    reverter = ProductionReverter(
        ansible, ssh, host=hosts.web_prod, address=hosts.web_prod_address,
        keep_releases=keep_releases,
    )  # fmt: skip
    checks_prod = built["checks_prod"]
    assert isinstance(checks_prod, ChecksStep)
    steps: list[Step] = [
        ProductionGate(checks_prod, reverter),
        DevSourceStep(store, git),
        ProdSourceStep(store),
        RollbackStep(store, reverter),
        RetireDnsStep(built["dns"]),
        RetireHostingStep(ansible, hosts),
        ReleaseNameStep(store),
    ]
    return {step.name: step for step in steps}
