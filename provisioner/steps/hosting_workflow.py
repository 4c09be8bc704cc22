"""The steps of the hosting workflow's jobs (deploy, promote, rollback, retire), built from
the adapters and steps the composition root already made."""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.adapters.ansible import AnsibleAdapter
from provisioner.adapters.git import GitAdapter
from provisioner.config import Settings
from provisioner.steps.base import Step
from provisioner.steps.checks import ChecksStep
from provisioner.steps.deploy_source import DevSourceStep, ProdSourceStep
from provisioner.steps.retire import ReleaseNameStep, RetireDnsStep, RetireHostingStep
from provisioner.steps.rollback import ProductionGate, ProductionReverter, RollbackStep
from provisioner.store.db import Store


def hosting_workflow_steps(
    settings: Settings,
    store: Store,
    ansible: AnsibleAdapter,
    git: GitAdapter,
    built: Mapping[str, Step],
) -> dict[str, Step]:
    """New steps by name; `checks_prod` is replaced by its gate with automatic rollback."""
    reverter = ProductionReverter(ansible, settings)
    checks_prod = built["checks_prod"]
    assert isinstance(checks_prod, ChecksStep)
    steps: list[Step] = [
        ProductionGate(checks_prod, reverter),
        DevSourceStep(store, git),
        ProdSourceStep(store),
        RollbackStep(store, reverter),
        RetireDnsStep(built["dns"]),
        RetireHostingStep(ansible, settings),
        ReleaseNameStep(store),
    ]
    return {step.name: step for step in steps}
