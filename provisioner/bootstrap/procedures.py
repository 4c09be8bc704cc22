"""The SOP procedures' wiring: their letters, documents, hardware steps and the working
calendar their clocks skip (part of the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from provisioner.adapters.feasibility import feasibility_probes
from provisioner.adapters.pdf import render_sop_letter_pdf
from provisioner.adapters.pdf_check import check_pdf
from provisioner.bootstrap import configs
from provisioner.config import Settings
from provisioner.domain.sop_letters import DEFAULT_PATTERNS
from provisioner.store.db import Store
from provisioner.workflow.hosting.deployments import DeploymentService
from provisioner.workflow.people.sla import SlaService
from provisioner.workflow.procedures.catalog import SopCatalog
from provisioner.workflow.procedures.documents import ProcedureDocuments
from provisioner.workflow.procedures.hardware import HardwareSteps
from provisioner.workflow.procedures.letters import LetterIssuer
from provisioner.workflow.procedures.service import Procedures
from provisioner.workflow.requests.rules import RequestRules


def sop_days_off(sla: SlaService) -> Callable[[], frozenset[date]]:
    """The days off an SOP clock skips: the admin's working calendar (national + regional),
    minus the days it declares working."""

    def days_off() -> frozenset[date]:
        calendar = sla.calendar()
        return calendar.days_off - calendar.working_days

    return days_off


def build_procedures(
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
            configs.letter_settings(settings),
            render_sop_letter_pdf,
            {
                kind: settings.sop_letter_patterns.get(kind.value, pattern)
                for kind, pattern in DEFAULT_PATTERNS.items()
            },
        ),  # fmt: skip
        days_off=days_off,
        hardware=hardware,
    )
    documents = ProcedureDocuments(
        store, settings.uploads_dir, settings.upload_max_bytes, check_pdf
    )
    return procedures, documents
