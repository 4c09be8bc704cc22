"""Letters of an SOP: a draft prepared when its step's conditions hold, approved by the
Kepala Dinas from the inbox, and only then numbered (per kind and year), rendered and
issued — one transaction, so a number is consumed only by a letter that exists."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from provisioner.domain.letters import format_letter_number, sign_letter, verification_code
from provisioner.domain.sop import LetterKind, SopDefinition, parse_definition
from provisioner.domain.sop_letters import (
    DEFAULT_PATTERNS,
    Letterhead,
    SopLetterContent,
    SopLetterFacts,
    compose,
    content_to_data,
    counter_name,
    sop_letter_digest,
)
from provisioner.steps.letter import LetterSettings
from provisioner.store.models.base import utcnow
from provisioner.store.models.procedures import Procedure, ProcedureLetter
from provisioner.store.private_files import write_private
from provisioner.store.repositories import counters as counters_repo

RenderPdf = Callable[[SopLetterContent], bytes]


def letterhead(cfg: LetterSettings) -> Letterhead:
    return Letterhead(
        government_name=cfg.government_name,
        agency_name=cfg.agency_name,
        agency_short=cfg.agency_short,
        agency_address=cfg.agency_address,
        place=cfg.place,
        signer_name=cfg.signer_name,
        signer_position=cfg.signer_position,
        signer_rank=cfg.signer_rank,
        signer_nip=cfg.signer_nip,
    )


def facts_for(
    definition: SopDefinition,
    proc: Procedure,
    kind: LetterKind,
    *,
    reason: str = "",
    fields: dict[str, str] | None = None,
    fqdn: str | None = None,
    hosting: bool = False,
    assignees: Sequence[str] = (),
) -> dict[str, object]:
    """What the letter will say, kept with the draft so the approver reads what is issued."""
    given = fields or {}
    findings = [
        (definition.fields[k].name.id, v) for k, v in given.items()
        if k in definition.fields and str(v).strip()
    ]  # fmt: skip
    return {
        "kind": kind.value,
        "request_title": proc.title,
        "agency": proc.agency,
        "request_letter_number": proc.request_letter_number,
        "request_letter_date": proc.request_letter_date.isoformat()
        if proc.request_letter_date
        else None,
        "sop_name": definition.name.id,
        "reason": reason,
        "fqdn": fqdn,
        "hosting": hosting,
        "event_at": given.get("presentation_at") or given.get("event_at") or None,
        "event_place": given.get("presentation_place") or given.get("event_place") or "",
        "assignees": [a for a in assignees if a.strip()],
        "findings": findings,
        "decision": given.get("decision", ""),
    }


def invitation_problems(fields: dict[str, str]) -> list[tuple[str, str]]:
    """An invitation needs when (ISO date and time) and where the presentation is."""
    problems = []
    when = fields.get("presentation_at", "").strip()
    try:
        datetime.fromisoformat(when)
    except ValueError:
        problems.append(
            (
                "presentation_at",
                "Waktu pemaparan (YYYY-MM-DDTHH:MM) wajib diisi / "
                "The presentation time (YYYY-MM-DDTHH:MM) is required",
            )
        )
    if not fields.get("presentation_place", "").strip():
        problems.append(
            (
                "presentation_place",
                "Tempat pemaparan wajib diisi / The presentation place is required",
            )
        )
    return problems


def _facts(data: dict[str, object], tz: str) -> SopLetterFacts:
    letter_date = data.get("request_letter_date")
    event = data.get("event_at")
    event_at = None
    if isinstance(event, str) and event:
        parsed = datetime.fromisoformat(event)
        event_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz))
    findings = data.get("findings") or []
    assignees = data.get("assignees") or []
    return SopLetterFacts(
        kind=LetterKind(str(data["kind"])),
        request_title=str(data["request_title"]),
        agency=str(data["agency"]),
        request_letter_number=str(data["request_letter_number"]),
        request_letter_date=date.fromisoformat(letter_date)
        if isinstance(letter_date, str)
        else None,
        sop_name=str(data["sop_name"]),
        reason=str(data.get("reason") or ""),
        fqdn=str(data["fqdn"]) if data.get("fqdn") else None,
        hosting=bool(data.get("hosting")),
        event_at=event_at,
        event_place=str(data.get("event_place") or ""),
        assignees=tuple(str(a) for a in assignees) if isinstance(assignees, list) else (),
        findings=tuple((str(a), str(b)) for a, b in findings) if isinstance(findings, list) else (),
        decision=str(data.get("decision") or ""),
    )


@dataclass(frozen=True)
class LetterIssuer:
    cfg: LetterSettings
    render_pdf: RenderPdf
    # Number patterns by kind: the agency's own (settings), else the defaults.
    patterns: Mapping[LetterKind, str] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))

    def issue(self, s: Session, proc: Procedure, letter: ProcedureLetter, approver: str) -> None:
        """Number, render and keep the approved letter (inside the caller's transaction)."""
        today = datetime.now(ZoneInfo(self.cfg.timezone)).date()
        kind = LetterKind(letter.kind)
        serial = counters_repo.next_counter(s, counter_name(kind, today.year))
        number = format_letter_number(
            self.patterns.get(kind, DEFAULT_PATTERNS[kind]),
            serial=serial,
            when=today,
            classification=self.cfg.classification,
            unit=self.cfg.unit,
        )
        # A time typed without its zone (the presentation's) is the SOP's, where it is held.
        zone = parse_definition(proc.definition).service_hours.tz
        facts, head = _facts(letter.facts, zone), letterhead(self.cfg)
        unsigned = compose(facts, number=number, issued_on=today, verification_code="",
                           verification_url="", letterhead=head)  # fmt: skip
        code = verification_code(number, sop_letter_digest(unsigned), self.cfg.secret)
        content = compose(
            facts,
            number=number,
            issued_on=today,
            verification_code=code,
            verification_url=f"{self.cfg.public_url.rstrip('/')}/verify/{code}",
            letterhead=head,
        )
        pdf = self.render_pdf(content)
        path = write_private(
            self.cfg.letters_dir / f"{proc.ticket}-{kind.value}-{letter.id}.pdf", pdf
        )
        letter.number = number
        letter.verification_code = code
        letter.pdf_path = str(path)
        letter.sha256 = hashlib.sha256(pdf).hexdigest()
        letter.signature = sign_letter(number, letter.sha256, self.cfg.secret)
        letter.content = content_to_data(content)
        letter.approved_by = approver
        letter.approved_at = utcnow()
