"""The scan of the OPD's request letter: a PDF (checked by its bytes, not its name) no
larger than the limit, kept under the data dir, outside any web root (0700: personal data)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.store.db import Store
from provisioner.store.private_files import private_dir, write_private
from provisioner.store.repositories import audit as audit_repo, requests as requests_repo
from provisioner.workflow.ports import PdfCheck


@dataclass(frozen=True)
class LetterScans:
    store: Store
    uploads_dir: Path
    max_bytes: int
    check_pdf: PdfCheck

    def attach(
        self, request_id: int, data: bytes, actor: Actor, *, client_ip: str | None = None
    ) -> Path:
        """Keep the scan (replacing an earlier one) and record its sha256."""
        self.check_pdf(data, max_bytes=self.max_bytes)
        with self.store.session() as s:
            req = requests_repo.get_request(s, request_id, lock=True)
            ensure_allowed(actor, Action.SUBMIT, agency=req.agency)
            folder = private_dir(self.uploads_dir)
            path = write_private(folder / f"{req.ticket}-surat-permohonan.pdf", data)
            digest = hashlib.sha256(data).hexdigest()
            before = {"sha256": req.letter_scan_sha256}
            req.letter_scan_path = str(path)
            req.letter_scan_sha256 = digest
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="request:letter_scan",
                request_id=req.id,
                detail={"bytes": len(data)},
                client_ip=client_ip,
                before=before,
                after={"sha256": digest},
            )
        return path

    def scan_path(self, request_id: int, actor: Actor) -> Path | None:
        """Where the scan is kept, for whoever may see the request; None without one."""
        with self.store.read() as s:
            req = requests_repo.get_request(s, request_id)
            ensure_allowed(actor, Action.VIEW, agency=req.agency)
            return Path(req.letter_scan_path) if req.letter_scan_path else None
