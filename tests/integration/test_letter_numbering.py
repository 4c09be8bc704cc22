"""Letters issued for real (WeasyPrint, a real store): numbering without a gap or a duplicate
under concurrency on SQLite and on PostgreSQL, provisioner's signature, verification by code
and by uploaded PDF, the TTE letter of record, and corrections.

Needs no lab: only WeasyPrint's libraries and, for the PostgreSQL case, the machine's
PostgreSQL on 127.0.0.1:5432 (a database of this test's own, dropped at the end).
"""

from __future__ import annotations

import secrets
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from provisioner.adapters.pdf_check import check_pdf
from provisioner.bootstrap.configs import letter_settings
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput
from provisioner.domain.letters import LetterContent, signature_valid
from provisioner.steps.letter import LetterSettings, issue_letter
from provisioner.store.db import Store, migrate
from provisioner.store.models.requests import Request
from provisioner.store.repositories import letters as letters_repo
from provisioner.workflow.letters import LetterService
from tests.pdf_samples import incremental_update

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ISSUED_ON = date(2026, 11, 23)


def _content(fqdn: str) -> LetterContent:
    return LetterContent(
        number="",
        issued_on=ISSUED_ON,
        place="Demo",
        nature="Biasa",
        attachments="-",
        subject="Rekomendasi Subdomain dan Hosting",
        addressee="Kepala Dinas Kesehatan",
        addressee_place="Tempat",
        request_letter_number="400.7/1234/DINKES/2026",
        request_letter_date=date(2026, 11, 2),
        fqdn=fqdn,
        dev_fqdn=None,
        server="web-prod (127.0.2.12)",
        database=None,
        commit="3f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345",
        checks=(("prod: http", True, "GET / → 200"),),
        agency_name="Dinas Komunikasi dan Informatika Kabupaten Demo",
        agency_short="DISKOMINFO",
        agency_address="Jl. Pemuda No. 1, Demo",
        signer_name="Ir. Budi Santoso, M.T.",
        signer_position="Kepala Dinas Komunikasi dan Informatika",
        signer_rank="Pembina Utama Muda (IV/c)",
        signer_nip="197001011995031001",
        carbon_copies=("Arsip",),
        verification_code="",
        verification_url="",
    )


def _add_requests(store: Store, n: int) -> list[tuple[int, str]]:
    rows = []
    with store.session() as s:
        for i in range(n):
            label = f"web-{secrets.token_hex(3)}-{i}"
            req = Request(
                ticket=f"SUB-T-{secrets.token_hex(6)}", label=label, zone="demokab.go.id",
                fqdn=f"{label}.demokab.go.id", agency="Dinas Kesehatan", purpose="uji",
                contact_name="Siti", contact_email="siti@dinkes.demokab.go.id",
                letter_number="400.7/1/DINKES/2026", letter_date=date(2026, 11, 2),
                hosting=False, state="live", created_by="opd",
            )
            s.add(req)
            s.flush()
            rows.append((req.id, label))
    return rows


def _issue_concurrently(store: Store, config: LetterSettings, threads: int, each: int) -> None:
    work = _add_requests(store, threads * each)
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run(chunk: list[tuple[int, str]]) -> None:
        try:
            barrier.wait()
            for request_id, label in chunk:
                issue_letter(store, config, request_id=request_id, label=label,
                             content=_content(f"{label}.demokab.go.id"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(work[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []


def _assert_gap_free(store: Store, config: LetterSettings, expected: int) -> None:
    with store.read() as s:
        letters = letters_repo.letters_of_year(s, ISSUED_ON.year)
    serials = [letter.serial for letter in letters]
    assert serials == list(range(1, expected + 1))
    numbers = [letter.number for letter in letters]
    assert len(set(numbers)) == expected
    assert numbers[0] == "000.8.3.3/001/DISKOMINFO/XI/2026"
    assert all(
        signature_valid(x.number, x.sha256, x.signature or "", config.secret) for x in letters
    )


def _settings(tmp_path: Path, url: str | None = None) -> Settings:
    return Settings(data_dir=tmp_path, database_url=url, secret_key="test-" + "k" * 27)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[tuple[Store, Settings]]:
    settings = _settings(tmp_path)
    migrate(settings.store_url)
    store = Store(settings.store_url)
    yield store, settings
    store.dispose()


@pytest.fixture
def pg_store(tmp_path: Path) -> Iterator[tuple[Store, Settings]]:
    name = f"prov_web_letters_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    settings = _settings(tmp_path, url)
    try:
        migrate(url)
        store = Store(url)
        yield store, settings
        store.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_letters_from_several_threads_on_sqlite_are_numbered_1_to_n(sqlite_store) -> None:
    store, settings = sqlite_store
    config = letter_settings(settings)
    _issue_concurrently(store, config, threads=4, each=3)
    _assert_gap_free(store, config, 12)


def test_letters_from_several_connections_on_postgresql_are_numbered_1_to_n(pg_store) -> None:
    store, settings = pg_store
    config = letter_settings(settings)
    _issue_concurrently(store, config, threads=4, each=3)
    with store.engine.connect() as c:  # several server connections really were used
        assert c.execute(text("SELECT count(*) FROM letters")).scalar_one() == 12
    _assert_gap_free(store, config, 12)


def _one_letter(store: Store, settings: Settings):  # type: ignore[no-untyped-def]
    [(request_id, label)] = _add_requests(store, 1)
    return issue_letter(store, letter_settings(settings), request_id=request_id,
                        label=label, content=_content(f"{label}.demokab.go.id"))


def test_issued_letter_verifies_and_an_altered_pdf_does_not(sqlite_store) -> None:
    store, settings = sqlite_store
    letter = _one_letter(store, settings)
    service = LetterService(store, letter_settings(settings), check_pdf=check_pdf)

    result = service.verify(letter.verification_code.lower())
    assert result.valid and result.signature_ok and result.code_ok and result.file_ok
    assert result.number == letter.number

    pdf = Path(letter.pdf_path).read_bytes()
    assert service.check_upload(letter.verification_code, pdf).matches_issued
    # One flipped bit in the middle of the PDF fails the comparison.
    flipped = bytearray(pdf)
    flipped[len(pdf) // 2] ^= 0x01
    altered = bytes(flipped)
    assert not service.check_upload(letter.verification_code, altered).matches
    with pytest.raises(InvalidInput):
        service.check_upload(letter.verification_code, b"GIF89a not a pdf")

    # The stored PDF edited on disk is reported, and so is a number edited in the store.
    Path(letter.pdf_path).write_bytes(altered)
    assert not service.verify(letter.verification_code).file_ok
    assert not service.verify(letter.verification_code).valid
    assert not signature_valid("000.8.3.3/999/DISKOMINFO/XI/2026", letter.sha256,
                               letter.signature or "", settings.secret_key)
    assert not service.verify("0000-0000-0000-0000").found


def test_letter_carries_a_qr_code_to_its_verification_page(sqlite_store, tmp_path) -> None:
    store, settings = sqlite_store
    letter = _one_letter(store, settings)
    text_out = subprocess.run(["pdftotext", letter.pdf_path, "-"], capture_output=True,
                              text=True, check=True).stdout
    assert letter.number in text_out and letter.verification_code in text_out
    # The QR is vector paths: render the page and decode nothing, but make sure the drawn
    # QR area is there — pdftoppm at low resolution, the lower-left quadrant is not blank.
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", letter.pdf_path, str(png)],
                   check=True)
    assert png.with_suffix(".png").stat().st_size > 5000


def test_tte_letter_of_record_is_stored_once_and_verifies(sqlite_store) -> None:
    store, settings = sqlite_store
    letter = _one_letter(store, settings)
    service = LetterService(store, letter_settings(settings), check_pdf=check_pdf)
    opd = Actor("opd", Role.OPD, "Dinas Kesehatan")
    tte = incremental_update(Path(letter.pdf_path).read_bytes())

    with pytest.raises(Forbidden):
        service.upload_record(letter.id, tte, Actor("other", Role.OPD, "Dinas Pendidikan"))
    with pytest.raises(InvalidInput):
        service.upload_record(letter.id, b"<html>not a pdf</html>", opd)
    stored = service.upload_record(letter.id, tte, opd)
    assert stored.record_sha256 and Path(stored.record_pdf_path or "").read_bytes() == tte
    with pytest.raises(Conflict):
        service.upload_record(letter.id, tte, opd)

    check = service.check_upload(letter.verification_code, tte)
    assert check.matches_record and not check.matches_issued
    assert service.verify(letter.verification_code).record_sha256 == stored.record_sha256


def test_correction_is_a_new_letter_naming_the_one_it_replaces(sqlite_store) -> None:
    store, settings = sqlite_store
    first = _one_letter(store, settings)
    service = LetterService(store, letter_settings(settings), check_pdf=check_pdf)
    approver = Actor("kadis", Role.APPROVER)

    with pytest.raises(Forbidden):
        service.correct(first.id, {"addressee": "x"}, Actor("opd", Role.OPD, "Dinas Kesehatan"))
    with pytest.raises(InvalidInput):
        service.correct(first.id, {"fqdn": "evil.demokab.go.id"}, approver)

    fixed = service.correct(first.id, {"addressee": "Kepala Dinas Kesehatan Kab. Demo"}, approver)
    assert fixed.serial == first.serial + 1 and fixed.replaces_id == first.id
    text_out = subprocess.run(["pdftotext", fixed.pdf_path, "-"], capture_output=True,
                              text=True, check=True).stdout
    assert first.number in text_out and "menggantikan" in text_out
    assert service.verify(first.verification_code).replaced_by == fixed.number
    assert service.verify(fixed.verification_code).replaces == first.number
    assert service.verify(fixed.verification_code).valid
    # the first letter is untouched: still valid, just replaced
    assert service.verify(first.verification_code).valid
    with pytest.raises(Conflict):
        service.correct(first.id, {"addressee": "again"}, approver)
