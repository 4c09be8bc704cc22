"""Letters after issue: public verification (by code and by uploaded PDF), the agency's
TTE-signed letter of record, and corrections that replace an issued letter.

Letters are immutable: nothing here changes an issued letter's number, content or PDF. The
letter of record is an additional file; a correction is a new letter naming the old one.
"""

from __future__ import annotations

import hashlib
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
    agency: str = ""
    sha256: str = ""
    signature_ok: bool = False  # provisioner's HMAC over number + PDF hash recomputes
    code_ok: bool = False  # the code recomputes from the stored content
    file_ok: bool = False  # the stored PDF still hashes to the signed hash
    replaces: str | None = None
    replaced_by: str | None = None
    record_sha256: str | None = None
    record_uploaded_at: datetime | None = None

    @property
    def valid(self) -> bool:
        """Issued by provisioner and not altered since (it may still have been replaced)."""
        return self.found and self.signature_ok and self.code_ok and self.file_ok


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

    def verify(self, code: str) -> LetterVerification:
        """Recompute everything that can be recomputed about the letter with this code."""
        letter = self._by_code(code)
        if letter is None:
            return LetterVerification(found=False, code=code)
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
        )

    def check_upload(self, code: str, data: bytes) -> UploadCheck:
        """Hash an uploaded PDF and compare it with the issued letter and the letter of record.

        Any changed byte changes the hash, so an altered PDF never matches.
        """
        self.check_pdf(data, max_bytes=MAX_PDF_BYTES)
        letter = self._by_code(code)
        if letter is None:
            raise NotFound(f"Kode {code} tidak dikenal / Unknown code {code}")
        digest = _sha256(data)
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
