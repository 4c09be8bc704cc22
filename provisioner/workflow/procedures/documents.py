"""Documents of a request under an SOP (KAK, design documents, test reports, minutes …):
PDFs checked by their bytes like the request letter's scan, kept outside any web root with
their kind, uploader and time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import Conflict, InvalidInput, NotFound, ProvisionerError
from provisioner.store.db import Store
from provisioner.store.models.base import utcnow
from provisioner.store.models.procedures import ProcedureDocument, ProcedureLetter
from provisioner.store.private_files import private_dir, write_private
from provisioner.store.repositories import audit as audit_repo, procedures as repo
from provisioner.workflow.ports import PdfCheck
from provisioner.workflow.procedures.views import (
    DocumentView,
    ProcedureLetterView,
    definition_of,
    document_view,
    letter_view,
)


@dataclass(frozen=True)
class ProcedureDocuments:
    store: Store
    uploads_dir: Path
    max_bytes: int
    check_pdf: PdfCheck

    def attach(
        self,
        procedure_id: int,
        kind: str,
        filename: str,
        data: bytes,
        actor: Actor,
        *,
        step: str | None = None,
    ) -> DocumentView:
        """Keep an attachment (a PDF, checked by its bytes) with its type, uploader and time."""
        self.check_pdf(data, max_bytes=self.max_bytes, field="file")
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            ensure_allowed(actor, Action.SOP_STEP, agency=row.agency)
            definition = definition_of(row)
            if kind not in definition.documents:
                known = ", ".join(definition.documents) or "-"
                raise InvalidInput(
                    "kind",
                    Text(
                        f"Jenis dokumen tidak dikenal; pilih: {known}",
                        f"Unknown document kind; choose: {known}",
                    ),
                )
            if row.ended is not None:
                raise Conflict("Permohonan sudah selesai / The request has ended")
            digest = hashlib.sha256(data).hexdigest()
            folder = private_dir(self.uploads_dir / "procedures")
            path = write_private(folder / f"{row.ticket}-{kind}-{digest[:12]}.pdf", data)
            doc = ProcedureDocument(
                procedure_id=row.id,
                kind=kind,
                step=step or row.current_step,
                filename=_safe_name(filename),
                media_type="application/pdf",
                path=str(path),
                sha256=digest,
                size=len(data),
                uploaded_by=actor.username,
            )
            s.add(doc)
            s.flush()
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="procedure:document",
                request_id=row.request_id,
                detail={"procedure": row.ticket, "kind": kind, "bytes": len(data)},
                after={"sha256": digest},
            )
            return document_view(doc, definition_of(row))

    def upload_record(
        self, procedure_id: int, letter_id: int, data: bytes, actor: Actor
    ) -> ProcedureLetterView:
        """Keep the TTE-signed PDF of an issued letter as its letter of record, once (the
        requesting agency, the approver or an admin), as for subdomain letters."""
        self.check_pdf(data, max_bytes=self.max_bytes, field="file")
        with self.store.session() as s:
            row = repo.get_procedure(s, procedure_id, lock=True)
            ensure_allowed(actor, Action.RECORD_LETTER, agency=row.agency)
            letter = next((lt for lt in repo.letters(s, row.id) if lt.id == letter_id), None)
            problem = _record_problem(letter, letter_id)
            if problem is not None:
                raise problem
            assert letter is not None and letter.number is not None
            digest = hashlib.sha256(data).hexdigest()
            folder = private_dir(self.uploads_dir / "procedures")
            path = write_private(folder / f"{row.ticket}-{letter.kind}-{letter.id}-tte.pdf", data)
            letter.record_pdf_path, letter.record_sha256 = str(path), digest
            letter.record_uploaded_at, letter.record_uploaded_by = utcnow(), actor.username
            audit_repo.record_event(
                s, actor=actor.username, action="procedure:letter_record",
                request_id=row.request_id,
                detail={"procedure": row.ticket, "number": letter.number, "bytes": len(data)},
                after={"sha256": digest},
            )  # fmt: skip
            return letter_view(letter, row)

    def record_file(self, procedure_id: int, letter_id: int, actor: Actor) -> Path:
        with self.store.read() as s:
            row = repo.get_procedure(s, procedure_id)
            ensure_allowed(actor, Action.VIEW, agency=row.agency)
            letter = next((lt for lt in repo.letters(s, row.id) if lt.id == letter_id), None)
            if letter is None or letter.record_pdf_path is None:
                raise NotFound("Belum ada surat ber-TTE / No TTE-signed letter yet")
            return Path(letter.record_pdf_path)

    def document_file(self, procedure_id: int, document_id: int, actor: Actor) -> tuple[Path, str]:
        with self.store.read() as s:
            row = repo.get_procedure(s, procedure_id)
            ensure_allowed(actor, Action.VIEW, agency=row.agency)
            doc = next((d for d in repo.documents(s, row.id) if d.id == document_id), None)
            if doc is None:
                raise NotFound(f"Dokumen {document_id} tidak ada / No document {document_id}")
            return Path(doc.path), doc.filename


def _safe_name(filename: str) -> str:
    name = Path(filename or "dokumen.pdf").name.replace("\x00", "")
    return name[:200] or "dokumen.pdf"


def _record_problem(letter: ProcedureLetter | None, letter_id: int) -> ProvisionerError | None:
    if letter is None:
        return NotFound(f"Surat {letter_id} tidak ada / No letter {letter_id}")
    if letter.number is None:
        return Conflict("Surat belum terbit / The letter is not issued yet")
    if letter.record_sha256 is not None:
        return Conflict("Surat ber-TTE sudah diunggah / The TTE-signed letter is already uploaded")
    return None
