"""Step `letter`: the numbered reply / recommendation letter, issued only once the
production checks passed, with their evidence kept beside it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from provisioner.adapters.pdf import render_letter_pdf
from provisioner.domain.errors import StepFailed
from provisioner.domain.letters import (
    LetterContent,
    content_to_data,
    format_letter_number,
    letter_digest,
    sign_letter,
    verification_code,
)
from provisioner.steps.base import StepContext
from provisioner.store.db import Store
from provisioner.store.models.letters import Letter
from provisioner.store.private_files import private_dir, write_private
from provisioner.store.repositories import counters as counters_repo, letters as letters_repo


@dataclass(frozen=True)
class LetterSettings:
    """What a letter says of the agency and its signer, how it is numbered and signed, and
    where issued letters are kept."""

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


def issue_letter(
    store: Store,
    cfg: LetterSettings,
    *,
    request_id: int,
    label: str,
    content: LetterContent,
    replaces_id: int | None = None,
) -> Letter:
    """Number, render, sign and store one letter; return the stored row.

    The serial is taken and the letter stored in ONE transaction, so a number is consumed
    only by a letter that exists: no gap, no duplicate — also when several workers issue
    at once (the counter row is locked until commit). The PDF's SHA-256 is signed with the
    service secret (`sign_letter`) and the rendered content kept for re-verification.
    """
    issued_on = content.issued_on
    with store.session() as session:
        serial = counters_repo.next_counter(session, f"letter:{issued_on.year}")
        number = format_letter_number(
            cfg.pattern,
            serial=serial,
            when=issued_on,
            classification=cfg.classification,
            unit=cfg.unit,
        )
        content = replace(content, number=number, verification_code="", verification_url="")
        code = verification_code(number, letter_digest(content), cfg.secret)
        content = replace(
            content,
            verification_code=code,
            verification_url=f"{cfg.public_url.rstrip('/')}/verify/{code}",
        )
        pdf = render_letter_pdf(content)
        path = cfg.letters_dir / str(issued_on.year) / f"{serial:05d}-{label}.pdf"
        private_dir(cfg.letters_dir)  # 0700, the letters 0600: issued before they are sent
        private_dir(path.parent)
        write_private(path, pdf)
        digest = hashlib.sha256(pdf).hexdigest()
        letter = Letter(
            request_id=request_id,
            number=number,
            year=issued_on.year,
            serial=serial,
            pdf_path=str(path),
            sha256=digest,
            verification_code=code,
            evidence={"checks": [list(c) for c in content.checks]},
            signature=sign_letter(number, digest, cfg.secret),
            content=content_to_data(content),
            replaces_id=replaces_id,
        )
        session.add(letter)
        session.flush()
    return letter


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

    def _ensure_checks_passed(self, ctx: StepContext) -> None:
        """A letter says the site passed its checks: refuse to issue one that would lie."""
        step = "checks_prod" if ctx.site.hosting else "dns"
        out = ctx.outputs.get(step)
        failed = [c["name"] for c in (out or {}).get("checks", []) if not c["passed"]]
        if not out or failed:
            raise StepFailed(
                step=self.name,
                server="pdf",
                reason=(
                    f"surat hanya terbit setelah {step} lulus (gagal: {failed or '-'}) / "
                    f"a letter is issued only after {step} passed (failed: {failed or '-'})"
                ),
            )

    def content_for(self, ctx: StepContext, today: date) -> LetterContent:
        """The letter's content for this site; number and verification fields are blank
        until `issue_letter` fills them inside the numbering transaction."""
        cfg = self.config
        site = ctx.site
        commit = (ctx.outputs.get("site_prod") or {}).get("commit", "-")
        return LetterContent(
            number="",
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
            government_name=cfg.government_name,
        )

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        site = ctx.site
        with self.store.read() as session:
            existing = letters_repo.letter_for_request(session, site.request_id)
            existing_outputs = self._outputs(existing) if existing else None
        if existing_outputs:  # a resumed job: the number was consumed once, keep it
            return existing_outputs
        self._ensure_checks_passed(ctx)
        today = datetime.now(ZoneInfo(self.config.timezone)).date()
        letter = issue_letter(
            self.store,
            self.config,
            request_id=site.request_id,
            label=site.label,
            content=self.content_for(ctx, today),
        )
        outputs = self._outputs(letter)
        # Logging writes to the journal in its own transaction: never inside the letter's.
        ctx.log(f"letter: {outputs['number']} → {outputs['pdf']}")
        return outputs

    def verify(self, ctx: StepContext) -> dict[str, Any] | None:
        with self.store.read() as session:
            existing = letters_repo.letter_for_request(session, ctx.site.request_id)
            return self._outputs(existing) if existing else None

    def undo(self, ctx: StepContext) -> None:
        return None  # letters are immutable once issued; a correction is a new letter
