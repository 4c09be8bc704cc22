"""Letters after issue: public verification (by code and by uploaded PDF), the agency's
TTE-signed letter of record, and corrections that replace an issued letter.

A code is looked up among the subdomain requests' letters first, then among the letters an
SOP request issued (procedure_letters): the same page and API verify both.

Letters are immutable: nothing here changes an issued letter's number, content or PDF. The
letter of record is an additional file; a correction is a new letter naming the old one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from provisioner.domain.actors import Action, Actor, ensure_allowed, ensure_role
from provisioner.domain.errors import Conflict, InvalidInput, NotFound
from provisioner.domain.letters import (
    content_from_data,
    letter_digest,
    signature_valid,
    verification_code,
)
from provisioner.domain.sop import LETTER_NAMES, LetterKind
from provisioner.domain.sop_letters import (
    content_from_data as sop_content_from_data,
    sop_letter_digest,
)
from provisioner.domain.text import check_visible
from provisioner.steps.letter import LetterSettings, issue_letter
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.letters import Letter
from provisioner.store.private_files import write_private
from provisioner.store.read_models import LetterView, letter_view
from provisioner.store.repositories import (
    audit as audit_repo,
    letters as letters_repo,
    procedures as procedures_repo,
    requests as requests_repo,
)
from provisioner.workflow.ports import PdfCheck

# A scanned or TTE-signed letter of a page or two is well under this; anything larger is
# not a letter and would only fill the disk.
MAX_PDF_BYTES = 10 * 1024 * 1024

# Fields a correction may change. The site's facts (name, server, commit, checks) are what
# the job proved and cannot be corrected by hand: a different site needs a new request.
CORRECTABLE_FIELDS = ("addressee", "addressee_place", "subject", "nature", "attachments")


@dataclass(frozen=True)
class LetterVerification:
    """What the public verification page shows about one letter."""

    found: bool
    code: str
    number: str = ""
    issued_at: datetime | None = None
    fqdn: str = ""
    agency: str = ""  # the addressee as the letter writes it
    sha256: str = ""
    signature_ok: bool = False  # provisioner's HMAC over number + PDF hash recomputes
    code_ok: bool = False  # the code recomputes from the stored content
    file_ok: bool = False  # the stored PDF still hashes to the signed hash
    replaces: str | None = None
    replaced_by: str | None = None
    record_sha256: str | None = None
    record_uploaded_at: datetime | None = None
    kind: str = ""  # a LetterKind: "reply" for a subdomain request's letter
    kind_name: str = ""  # "Surat balasan / Reply letter"
    opd: str = ""  # the requesting agency (OPD)
    source: str = ""  # "request" (subdomain request) or "sop" (a request under an SOP)
    # An SOP letter carries its code (an HMAC over number + content) but no second HMAC over
    # the PDF's hash; `signature_ok` then says nothing and is not asked for.
    signed: bool = True

    @property
    def valid(self) -> bool:
        """Issued by provisioner and not altered since (it may still have been replaced)."""
        signature = self.signature_ok or not self.signed
        return self.found and signature and self.code_ok and self.file_ok


@dataclass(frozen=True)
class UploadCheck:
    """The result of comparing an uploaded PDF with what was issued."""

    sha256: str
    matches_issued: bool
    matches_record: bool

    @property
    def matches(self) -> bool:
        return self.matches_issued or self.matches_record


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_hash(path: str | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    return _sha256(Path(path).read_bytes())


@dataclass(frozen=True)
class _SopLetter:
    """What verification needs of an issued SOP letter, read inside one session."""

    number: str
    code: str
    kind: str
    issued_at: datetime | None
    sha256: str
    pdf_path: str | None
    content: dict[str, object] | None
    opd: str
    signature: str | None = None  # letters issued before SOP letters were signed have none


class LetterService:
    """Verification, letter of record and corrections, for the web pages and the API."""

    def __init__(
        self,
        store: Store,
        config: LetterSettings,
        *,
        check_pdf: PdfCheck,
        on_issued: Callable[[int, str], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.check_pdf = check_pdf
        # Notifications: called with (request_id, "letter_issued") after a
        # correction letter is issued, as the job's letter step is announced by the runner.
        self.on_issued = on_issued

    def _by_code(self, code: str) -> Letter | None:
        code = code.strip().upper()
        with self.store.read() as s:
            return letters_repo.letter_by_code(s, code)

    def _sop_by_code(self, code: str) -> _SopLetter | None:
        """An issued letter of an SOP request with this code (a draft has none)."""
        with self.store.read() as s:
            row = procedures_repo.letter_by_code(s, code.strip().upper())
            if row is None or row.number is None or row.verification_code is None:
                return None
            proc = procedures_repo.get_procedure(s, row.procedure_id)
            return _SopLetter(
                number=row.number,
                code=row.verification_code,
                kind=row.kind,
                issued_at=row.approved_at,
                sha256=row.sha256 or "",
                pdf_path=row.pdf_path,
                content=dict(row.content) if row.content else None,
                opd=proc.agency,
                signature=row.signature,
            )

    def _verify_sop(self, code: str) -> LetterVerification:
        letter = self._sop_by_code(code)
        if letter is None:
            return LetterVerification(found=False, code=code)
        code_ok, addressee = False, ""
        if letter.content:
            content = sop_content_from_data(letter.content)
            addressee = content.addressee
            expected = verification_code(
                letter.number, sop_letter_digest(content), self.config.secret
            )
            code_ok = hmac.compare_digest(expected, letter.code)
        file_ok = bool(letter.sha256) and _file_hash(letter.pdf_path) == letter.sha256
        kind = LetterKind(letter.kind)
        return LetterVerification(
            found=True,
            code=letter.code,
            number=letter.number,
            issued_at=letter.issued_at,
            agency=addressee,
            sha256=letter.sha256,
            code_ok=code_ok,
            file_ok=file_ok,
            kind=kind.value,
            kind_name=LETTER_NAMES[kind].joined(),
            opd=letter.opd,
            source="sop",
            signed=letter.signature is not None,
            signature_ok=letter.signature is not None and signature_valid(
                letter.number, letter.sha256, letter.signature, self.config.secret
            ),
        )

    def verify(self, code: str) -> LetterVerification:
        """Recompute everything that can be recomputed about the letter with this code: a
        subdomain request's letter, or else an SOP request's."""
        letter = self._by_code(code)
        if letter is None:
            return self._verify_sop(code)
        secret = self.config.secret
        code_ok = False
        fqdn = agency = ""
        if letter.content:
            content = content_from_data(letter.content)
            fqdn = content.fqdn
            agency = content.addressee
            blank = replace(content, verification_code="", verification_url="")
            code_ok = verification_code(letter.number, letter_digest(blank), secret) == (
                letter.verification_code
            )
        path = Path(letter.pdf_path)
        file_ok = path.is_file() and _sha256(path.read_bytes()) == letter.sha256
        with self.store.read() as s:
            replaced = letters_repo.letter_replacing(s, letter.id)
            old = letters_repo.letter_by_id(s, letter.replaces_id) if letter.replaces_id else None
            replaced_by = replaced.number if replaced else None
            replaces = old.number if old else None
            opd = requests_repo.get_request(s, letter.request_id).agency
        return LetterVerification(
            found=True,
            code=letter.verification_code,
            number=letter.number,
            issued_at=letter.issued_at,
            fqdn=fqdn,
            agency=agency,
            sha256=letter.sha256,
            signature_ok=signature_valid(letter.number, letter.sha256, letter.signature or "",
                                         secret),
            code_ok=code_ok,
            file_ok=file_ok,
            replaces=replaces,
            replaced_by=replaced_by,
            record_sha256=letter.record_sha256,
            record_uploaded_at=letter.record_uploaded_at,
            kind=LetterKind.REPLY.value,
            kind_name=LETTER_NAMES[LetterKind.REPLY].joined(),
            opd=opd,
            source="request",
        )

    def check_upload(self, code: str, data: bytes) -> UploadCheck:
        """Hash an uploaded PDF and compare it with the issued letter and the letter of record.

        Any changed byte changes the hash, so an altered PDF never matches.
        """
        self.check_pdf(data, max_bytes=MAX_PDF_BYTES)
        letter = self._by_code(code)
        digest = _sha256(data)
        if letter is None:
            sop = self._sop_by_code(code)
            if sop is None:
                raise NotFound(f"Kode {code} tidak dikenal / Unknown code {code}")
            return UploadCheck(
                sha256=digest, matches_issued=digest == sop.sha256, matches_record=False
            )
        return UploadCheck(
            sha256=digest,
            matches_issued=digest == letter.sha256,
            matches_record=letter.record_sha256 is not None and digest == letter.record_sha256,
        )

    def letters(self, request_id: int, actor: Actor) -> list[LetterView]:
        """Every letter of a request the actor may see, oldest first."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return [letter_view(x) for x in letters_repo.letters_for_request(s, request_id)]

    def letter(self, letter_id: int, actor: Actor) -> LetterView:
        """One letter the actor may see."""
        with self.store.read() as s:
            letter = letters_repo.letter_by_id(s, letter_id)
            if letter is None:
                raise NotFound(f"Surat {letter_id} tidak ada / No letter {letter_id}")
            owner = requests_repo.get_request(s, letter.request_id)
            ensure_allowed(actor, Action.VIEW, agency=owner.agency)
            return letter_view(letter)

    def upload_record(self, letter_id: int, data: bytes, actor: Actor) -> LetterView:
        """Store the agency's TTE-signed PDF as the letter of record (once; then immutable).

        Allowed to the requesting agency's OPD staff, the approver and admins.
        """
        ensure_role(actor, Action.RECORD_LETTER)
        self.check_pdf(data, max_bytes=MAX_PDF_BYTES)
        with self.store.session() as s:
            letter = letters_repo.letter_by_id(s, letter_id)
            if letter is None:
                raise NotFound(f"Surat {letter_id} tidak ada / No letter {letter_id}")
            req = requests_repo.get_request(s, letter.request_id)
            ensure_allowed(actor, Action.RECORD_LETTER, agency=req.agency)
            if letter.record_sha256:
                raise Conflict(
                    "Surat bertanda tangan sudah diunggah; surat tidak dapat diubah / "
                    "The signed letter was already uploaded; letters are immutable"
                )
            path = Path(letter.pdf_path).with_name(Path(letter.pdf_path).stem + "-tte.pdf")
            write_private(path, data)
            letter.record_pdf_path = str(path)
            letter.record_sha256 = _sha256(data)
            letter.record_uploaded_at = utcnow()
            letter.record_uploaded_by = actor.username
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="letter:record_uploaded",
                request_id=letter.request_id,
                detail={"letter": letter.number, "sha256": letter.record_sha256},
            )
            return letter_view(letter)

    def correct(self, letter_id: int, changes: dict[str, str], actor: Actor) -> LetterView:
        """Issue a correction: a new letter with a new number that names the one it replaces.

        Only the approver or an admin; only `CORRECTABLE_FIELDS` may change; a letter that
        was already replaced cannot be replaced again (correct the newest one).
        """
        ensure_role(actor, Action.CORRECT_LETTER)
        if not changes:
            raise InvalidInput(
                "addressee",
                "Isi yang dibetulkan (mis. Yth., Hal) / Give what to correct (e.g. addressee, "
                "subject)",
            )
        unknown = sorted(set(changes) - set(CORRECTABLE_FIELDS))
        if unknown:
            raise InvalidInput(
                unknown[0], "kolom ini tidak boleh dibetulkan / this field cannot be corrected"
            )
        for field, value in changes.items():
            if not value.strip() or len(value) > 300:
                raise InvalidInput(field, "isi 1–300 karakter / give 1–300 characters")
            check_visible(field, value)
        with self.store.read() as s:
            old = letters_repo.letter_by_id(s, letter_id)
            if old is None or not old.content:
                raise NotFound(f"Surat {letter_id} tidak ada / No letter {letter_id}")
            if letters_repo.letter_replacing(s, letter_id) is not None:
                raise Conflict(
                    "Surat ini sudah diganti; betulkan surat penggantinya / "
                    "This letter was already replaced; correct its replacement"
                )
            label = requests_repo.get_request(s, old.request_id).label
        today = datetime.now(ZoneInfo(self.config.timezone)).date()
        content = replace(content_from_data(old.content), issued_on=today, replaces=old.number)
        # Only CORRECTABLE_FIELDS (all plain text) reach this point.
        content = replace(content, **{k: v.strip() for k, v in changes.items()})  # type: ignore[arg-type]
        letter = issue_letter(
            self.store, self.config, request_id=old.request_id, label=label, content=content,
            replaces_id=old.id,
        )
        with self.store.session() as s:
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="letter:corrected",
                request_id=old.request_id,
                detail={"replaces": old.number, "letter": letter.number},
            )
            issued = letters_repo.letter_by_id(s, letter.id)
            assert issued is not None  # committed by issue_letter above
            view = letter_view(issued)
        if self.on_issued is not None:
            self.on_issued(old.request_id, "letter_issued")
        return view
