"""Step `letter`: the numbered reply / recommendation letter, issued only once the
production checks passed, with their evidence kept beside it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from provisioner.adapters.pdf import render_letter_pdf
from provisioner.domain.letters import (
    LetterContent,
    format_letter_number,
    letter_digest,
    verification_code,
)
from provisioner.steps.base import StepContext
from provisioner.store import repositories as repo
from provisioner.store.db import Store
from provisioner.store.models import Letter


@dataclass(frozen=True)
class LetterSettings:
    pattern: str
    government_name: str
    classification: str
    unit: str
    place: str
    agency_name: str
    agency_short: str
    agency_address: str
    signer_name: str
    signer_position: str
    signer_rank: str
    signer_nip: str
    timezone: str
    secret: str
    public_url: str
    letters_dir: Path
    prod_server: str


class LetterStep:
    name = "letter"

    def __init__(self, store: Store, config: LetterSettings) -> None:
        self.store = store
        self.config = config

    def _outputs(self, letter: Letter) -> dict[str, Any]:
        return {
            "number": letter.number,
            "pdf": letter.pdf_path,
            "sha256": letter.sha256,
            "verification_code": letter.verification_code,
        }

    def _checks(self, ctx: StepContext) -> tuple[tuple[str, bool, str], ...]:
        rows: list[tuple[str, bool, str]] = []
        for step in ("dns", "checks_dev", "checks_prod"):
            out = ctx.outputs.get(step) or {}
            if step == "dns" and out:
                servers = sorted({ns for seen in out["verified_on"].values() for ns in seen})
                rows.append(("DNS", True, ", ".join(servers)))
            for check in out.get("checks", []):
                env = "dev" if step == "checks_dev" else "prod"
                rows.append((f"{env}: {check['name']}", check["passed"], check["detail"]))
        return tuple(rows)

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        cfg = self.config
        site = ctx.site
        today = datetime.now(ZoneInfo(cfg.timezone)).date()
        commit = (ctx.outputs.get("site_prod") or {}).get("commit", "-")
        with self.store.read() as session:
            existing = repo.letter_for_request(session, site.request_id)
            existing_outputs = self._outputs(existing) if existing else None
        if existing_outputs:  # a resumed job: the number was consumed once, keep it
            return existing_outputs
        # The number is taken and the letter stored in one transaction, so a number is
        # consumed only by a letter that exists: no gaps, no duplicates.
        with self.store.session() as session:
            serial = repo.next_counter(session, f"letter:{today.year}")
            number = format_letter_number(
                cfg.pattern,
                serial=serial,
                when=today,
                classification=cfg.classification,
                unit=cfg.unit,
            )
            content = LetterContent(
                number=number,
                issued_on=today,
                place=cfg.place,
                nature="Biasa",
                attachments="-",
                subject=(
                    "Rekomendasi Subdomain dan Hosting" if site.hosting else "Pembuatan Subdomain"
                ),
                addressee=f"Kepala {site.agency}",
                addressee_place="Tempat",
                request_letter_number=site.letter_number,
                request_letter_date=site.letter_date,
                fqdn=site.fqdn,
                dev_fqdn=site.dev_fqdn if site.hosting else None,
                server=cfg.prod_server if site.hosting else (site.target_address or "-"),
                database=site.db_name,
                commit=commit,
                checks=self._checks(ctx),
                agency_name=cfg.agency_name,
                agency_short=cfg.agency_short,
                agency_address=cfg.agency_address,
                signer_name=cfg.signer_name,
                signer_position=cfg.signer_position,
                signer_rank=cfg.signer_rank,
                signer_nip=cfg.signer_nip,
                carbon_copies=("Arsip",),
                verification_code="",
                verification_url="",
            )
            code = verification_code(number, letter_digest(content), cfg.secret)
            content = replace(
                content,
                verification_code=code,
                verification_url=f"{cfg.public_url.rstrip('/')}/verify/{code}",
            )
            pdf = render_letter_pdf(content)
            path = cfg.letters_dir / str(today.year) / f"{serial:05d}-{site.label}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pdf)
            letter = Letter(
                request_id=site.request_id,
                number=number,
                year=today.year,
                serial=serial,
                pdf_path=str(path),
                sha256=hashlib.sha256(pdf).hexdigest(),
                verification_code=code,
                evidence={"checks": [list(c) for c in content.checks]},
            )
            session.add(letter)
            session.flush()
            outputs = self._outputs(letter)
        # Logging writes to the journal in its own transaction: never inside this one.
        ctx.log(f"letter: {outputs['number']} → {outputs['pdf']}")
        return outputs

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        with self.store.read() as session:
            existing = repo.letter_for_request(session, ctx.site.request_id)
            return self._outputs(existing) if existing else None

    def undo(self, ctx: StepContext) -> None:
        return None  # letters are immutable once issued; a correction is a new letter
