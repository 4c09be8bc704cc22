"""The letters of an SOP's outcomes (provisioner.domain.sop_letters), composed from facts and
rendered for real: Jinja2 → HTML → WeasyPrint PDF, read back with poppler's pdftotext."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from provisioner.adapters.pdf import render_sop_letter_html, render_sop_letter_pdf
from provisioner.domain.errors import InvalidInput
from provisioner.domain.letters import format_letter_number, validate_pattern, verification_code
from provisioner.domain.sop import LetterKind
from provisioner.domain.sop_letters import (
    DEFAULT_PATTERNS,
    Letterhead,
    SopLetterContent,
    SopLetterFacts,
    compose,
    content_from_data,
    content_to_data,
    counter_name,
    sop_letter_digest,
    terbilang,
    zone_abbreviation,
)

LETTERHEAD = Letterhead(
    government_name="Pemerintah Kabupaten Demo",
    agency_name="Dinas Komunikasi dan Informatika Kabupaten Demo",
    agency_short="DISKOMINFO",
    agency_address="Jl. Pemuda No. 1, Demo, Kalimantan Utara 77212",
    place="Demo",
    signer_name="Ir. Budi Santoso, M.T.",
    signer_position="Kepala Dinas Komunikasi dan Informatika",
    signer_rank="Pembina Utama Muda (IV/c)",
    signer_nip="197001011995031001",
)
ISSUED = date(2026, 11, 23)  # a Monday
TITLE = "Sistem Informasi Puskesmas (SIMPUS)"
REQUEST_NUMBER = "400.7/1234/DINKES/2026"
SOP_NAME = "Permohonan Rekomendasi Pembangunan Aplikasi"
MAKASSAR = ZoneInfo("Asia/Makassar")

# Per kind: realistic facts and the sentence the body must carry.
FACTS: dict[LetterKind, tuple[dict[str, Any], str]] = {
    LetterKind.REPLY: (
        {"fqdn": "simpus.demokab.go.id", "findings": (("Nama terdaftar di ns1", "A 127.0.2.12"),)},
        "telah kami tindak lanjuti sesuai Standar Operasional Prosedur",
    ),
    LetterKind.REFUSAL: (
        {"reason": "Kebutuhan tersebut telah dipenuhi oleh aplikasi e-Puskesmas milik Kementerian "
                   "Kesehatan"},
        "kami menolak permohonan tersebut dengan alasan sebagai berikut: Kebutuhan tersebut "
        "telah dipenuhi oleh aplikasi e-Puskesmas",
    ),
    LetterKind.INVITATION: (
        {"event_at": datetime(2026, 11, 30, 9, 0, tzinfo=MAKASSAR),
         "event_place": "Ruang Rapat Diskominfo, Lantai 2"},
        "dengan ini kami mengundang Saudara untuk memaparkan usulan tersebut",
    ),
    LetterKind.RECOMMENDATION: (
        {"fqdn": "simpus.demokab.go.id", "hosting": True,
         "findings": (("Kajian kebutuhan", "Perlu"), ("Ketersediaan anggaran", "Tersedia"))},
        "dengan ini kami merekomendasikan Sistem Informasi Puskesmas (SIMPUS) yang diajukan "
        "oleh Dinas Kesehatan, termasuk pembuatan subdomain simpus.demokab.go.id dan "
        "penyediaan layanan hosting",
    ),
    LetterKind.ASSIGNMENT: (
        {"assignees": ("Andi Pratama, S.Kom.", "Siti Rahmah, S.T.", "Yusuf Hidayat")},
        "dengan ini kami menunjuk Andi Pratama, S.Kom.; Siti Rahmah, S.T.; dan Yusuf Hidayat "
        "sebagai petugas pelaksana",
    ),
    LetterKind.BERITA_ACARA: (
        {"findings": (("Kode sumber", "Repositori git, commit terakhir 3f9a1c2b7d4e"),
                      ("Dokumen teknis", "Panduan pengguna dan panduan instalasi")),
         "decision": "Aplikasi diterima dalam keadaan berfungsi baik"},
        "Pada hari ini, Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh "
        "enam (23 November 2026), bertempat di Demo, Dinas Komunikasi dan Informatika Kabupaten "
        "Demo telah menyerahkan aplikasi Sistem Informasi Puskesmas (SIMPUS) kepada Dinas "
        "Kesehatan",
    ),
    LetterKind.EVALUATION: (
        {"findings": (("Pemanfaatan", "1.240 pengguna aktif per bulan"),
                      ("Permasalahan", "Waktu muat halaman laporan lebih dari 10 detik")),
         "decision": "improve"},
        "Berdasarkan hasil evaluasi tersebut, aplikasi Sistem Informasi Puskesmas (SIMPUS) "
        "dinyatakan perlu diperbaiki",
    ),
}
SUBJECTS = {
    LetterKind.REPLY: f"Balasan Permohonan {TITLE}",
    LetterKind.REFUSAL: f"Penolakan Permohonan {TITLE}",
    LetterKind.INVITATION: f"Undangan Paparan Usulan {TITLE}",
    LetterKind.RECOMMENDATION: f"Rekomendasi {TITLE}",
    LetterKind.ASSIGNMENT: f"Penunjukan Petugas {TITLE}",
    LetterKind.BERITA_ACARA: f"Berita Acara Serah Terima Aplikasi {TITLE}",
    LetterKind.EVALUATION: f"Hasil Evaluasi {TITLE}",
}


def _facts(kind: LetterKind, **changes: Any) -> SopLetterFacts:
    base = SopLetterFacts(
        kind=kind,
        request_title=TITLE,
        agency="Dinas Kesehatan",
        request_letter_number=REQUEST_NUMBER,
        request_letter_date=date(2026, 11, 2),
        sop_name=SOP_NAME,
        carbon_copies=("Bupati Demo (sebagai laporan)", "Sekretaris Daerah Kabupaten Demo"),
    )
    return dataclasses.replace(base, **{**FACTS[kind][0], **changes})


def _number(kind: LetterKind, serial: int = 7) -> str:
    return format_letter_number(
        DEFAULT_PATTERNS[kind], serial=serial, when=ISSUED, classification="000.8.3.3",
        unit="DISKOMINFO",
    )


def _compose(facts: SopLetterFacts) -> SopLetterContent:
    content = compose(
        facts, number=_number(facts.kind), issued_on=ISSUED, verification_code="",
        verification_url="http://127.0.0.1:8080/surat/verifikasi", letterhead=LETTERHEAD,
    )
    code = verification_code(content.number, sop_letter_digest(content), "lab-only-secret")
    return dataclasses.replace(content, verification_code=code)


def _pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    """The PDF's text with runs of whitespace (line and page breaks) made single spaces;
    `layout` keeps table rows together (label, colon, value)."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    return " ".join(text.split())


def _page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_kind_renders_its_subject_number_and_body(kind: LetterKind, tmp_path: Path) -> None:
    content = _compose(_facts(kind))
    pdf = render_sop_letter_pdf(content)
    assert pdf.startswith(b"%PDF-")
    assert _page_count(pdf, tmp_path) == 1
    text = _pdf_text(pdf, tmp_path)
    assert content.subject == SUBJECTS[kind]
    subject = SUBJECTS[kind].upper() if kind is LetterKind.BERITA_ACARA else SUBJECTS[kind]
    for expected in (
        subject,
        content.number,
        FACTS[kind][1],
        "PEMERINTAH KABUPATEN DEMO",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        "Ir. Budi Santoso, M.T.",
        "NIP. 19700101 199503 1 001",
        content.verification_code,
        "Tembusan: 1. Bupati Demo (sebagai laporan); 2. Sekretaris Daerah Kabupaten Demo.",
    ):
        assert expected in text, (kind, expected, text)
    if kind is LetterKind.BERITA_ACARA:
        assert "Yang menyerahkan," in text and "Yang menerima, Kepala Dinas Kesehatan," in text
        assert "Yth." not in text
    else:
        assert "Yth. Kepala Dinas Kesehatan di Demo" in text
        assert "Demo, 23 November 2026" in text
    for english in ("Scan to verify", "Not a certified", "letter"):
        assert english not in text


def test_refusal_and_reply_cite_the_request_letter(tmp_path: Path) -> None:
    for kind in (LetterKind.REFUSAL, LetterKind.RECOMMENDATION, LetterKind.INVITATION):
        (opening, *_) = _compose(_facts(kind)).paragraphs
        assert opening.startswith(
            f"Sehubungan dengan surat Saudara Nomor {REQUEST_NUMBER} tanggal 2 November 2026 "
            f"perihal permohonan {TITLE}"
        )
    (opening, *_) = _compose(_facts(LetterKind.REFUSAL, request_letter_date=None)).paragraphs
    assert f"Nomor {REQUEST_NUMBER} perihal" in opening and "tanggal" not in opening


def test_not_needed_is_a_refusal_with_its_reason(tmp_path: Path) -> None:
    reason = "Hasil kajian: kebutuhan tidak perlu dibangun aplikasi baru"
    content = _compose(_facts(LetterKind.REFUSAL, reason=reason))
    text = _pdf_text(render_sop_letter_pdf(content), tmp_path)
    assert f"kami menolak permohonan tersebut dengan alasan sebagai berikut: {reason}." in text


def test_recommendation_without_fqdn_says_nothing_of_a_subdomain_or_a_commit(
    tmp_path: Path,
) -> None:
    content = _compose(_facts(LetterKind.RECOMMENDATION, fqdn=None, hosting=False, findings=()))
    text = _pdf_text(render_sop_letter_pdf(content), tmp_path)
    assert "merekomendasikan Sistem Informasi Puskesmas (SIMPUS) yang diajukan oleh Dinas " \
        "Kesehatan." in text
    lowered = text.lower()
    for absent in ("subdomain", "commit", "hosting", "dipasang", "terpasang"):
        assert absent not in lowered, absent


def test_recommendation_names_only_what_was_recommended() -> None:
    (hosting_only, *_) = _compose(
        _facts(LetterKind.RECOMMENDATION, fqdn=None, hosting=True)
    ).paragraphs
    assert hosting_only.endswith("oleh Dinas Kesehatan, termasuk penyediaan layanan hosting.")
    assert "subdomain" not in hosting_only
    (subdomain_only, *_) = _compose(
        _facts(LetterKind.RECOMMENDATION, hosting=False)
    ).paragraphs
    assert subdomain_only.endswith("termasuk pembuatan subdomain simpus.demokab.go.id.")
    assert "hosting" not in subdomain_only


def test_invitation_prints_wita_for_makassar(tmp_path: Path) -> None:
    content = _compose(_facts(LetterKind.INVITATION))
    text = _pdf_text(render_sop_letter_pdf(content), tmp_path, layout=True)
    assert "Hari/tanggal : Senin, 30 November 2026" in text
    assert "Pukul : 09.00 WITA s.d. selesai" in text
    assert "Tempat : Ruang Rapat Diskominfo, Lantai 2" in text


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        (ZoneInfo("Asia/Makassar"), "WITA"),
        (ZoneInfo("Asia/Jakarta"), "WIB"),
        (ZoneInfo("Asia/Jayapura"), "WIT"),
        (ZoneInfo("Europe/Berlin"), "UTC+1"),
        (timezone(timedelta(hours=5, minutes=30)), "UTC+5.30"),
        (timezone(timedelta(hours=-3)), "UTC-3"),
    ],
)
def test_time_zone_abbreviation(tz: Any, expected: str) -> None:
    assert zone_abbreviation(datetime(2026, 1, 5, 9, 0, tzinfo=tz)) == expected


def test_invitation_needs_an_aware_time_and_a_place() -> None:
    with pytest.raises(InvalidInput):
        _compose(_facts(LetterKind.INVITATION, event_at=datetime(2026, 11, 30, 9, 0)))
    with pytest.raises(InvalidInput):
        _compose(_facts(LetterKind.INVITATION, event_at=None))
    with pytest.raises(InvalidInput):
        _compose(_facts(LetterKind.INVITATION, event_place=" "))


@pytest.mark.parametrize(
    ("decision", "words"),
    [
        ("continue", "dinyatakan dapat dilanjutkan."),
        ("improve", "dinyatakan perlu diperbaiki"),
        ("retire", "dinyatakan dihentikan."),
        ("Hentikan", "dinyatakan dihentikan."),
    ],
)
def test_evaluation_decision_in_words(decision: str, words: str) -> None:
    paragraphs = _compose(_facts(LetterKind.EVALUATION, decision=decision)).paragraphs
    said = next(p for p in paragraphs if p.startswith("Berdasarkan hasil evaluasi tersebut"))
    assert words in said and decision not in said


def test_default_patterns_validate_and_number_each_kind_distinctly() -> None:
    assert set(DEFAULT_PATTERNS) == set(LetterKind)
    for pattern in DEFAULT_PATTERNS.values():
        validate_pattern(pattern)
    numbers = {_number(kind, serial=1) for kind in LetterKind}
    assert len(numbers) == len(LetterKind)
    assert _number(LetterKind.RECOMMENDATION, 11) == "000.8.3.3/011/DISKOMINFO-REK/XI/2026"


def test_counters_run_per_kind_per_year() -> None:
    assert counter_name(LetterKind.REFUSAL, 2026) == "sop-letter:refusal:2026"
    names = {counter_name(kind, year) for kind in LetterKind for year in (2026, 2027)}
    assert len(names) == 2 * len(LetterKind)


@pytest.mark.parametrize("kind", list(LetterKind))
def test_content_round_trips_through_json(kind: LetterKind) -> None:
    content = _compose(_facts(kind))
    data = json.loads(json.dumps(content_to_data(content)))
    again = content_from_data(data)
    assert again == content
    assert sop_letter_digest(again) == sop_letter_digest(content)


def test_digest_changes_with_the_content_not_the_code() -> None:
    content = _compose(_facts(LetterKind.REFUSAL))
    assert sop_letter_digest(dataclasses.replace(content, verification_code="X")) == \
        sop_letter_digest(content)
    assert sop_letter_digest(dataclasses.replace(content, number="1/1")) != \
        sop_letter_digest(content)


def test_html_escapes_request_data() -> None:
    content = _compose(_facts(
        LetterKind.REFUSAL, reason="<script>alert(1)</script>", agency="Dinas <b>Kesehatan</b>",
    ))
    html = render_sop_letter_html(content)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_is_self_contained() -> None:
    html = render_sop_letter_html(_compose(_facts(LetterKind.BERITA_ACARA)))
    for reference in ("<link", "<img", "@import", "src=", "url("):
        assert reference not in html


def test_terbilang_writes_berita_acara_dates() -> None:
    assert terbilang(23) == "dua puluh tiga"
    assert terbilang(11) == "sebelas"
    assert terbilang(2026) == "dua ribu dua puluh enam"
    assert terbilang(1999) == "seribu sembilan ratus sembilan puluh sembilan"
