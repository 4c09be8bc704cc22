"""The letter rendered for real: Jinja2 → HTML → WeasyPrint PDF, read back with poppler.

Needs no lab, only WeasyPrint's system libraries and poppler-utils (pdftotext, pdfinfo).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from provisioner.adapters.pdf import render_letter_html, render_letter_pdf
from provisioner.domain.letters import LetterContent, letter_digest, verification_code

COMMIT = "3f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345"


def _letter(**changes: Any) -> LetterContent:
    content = LetterContent(
        number="000.8.3.3/011/DISKOMINFO/XI/2026",
        issued_on=date(2026, 11, 23),
        place="Demo",
        nature="Biasa",
        attachments="-",
        subject="Rekomendasi Subdomain dan Hosting Aplikasi",
        addressee="Kepala Dinas Kesehatan Kabupaten Demo",
        addressee_place="Demo",
        request_letter_number="400.7/1234/DINKES/2026",
        request_letter_date=date(2026, 11, 2),
        fqdn="sikesehatan.demokab.go.id",
        dev_fqdn="sikesehatan.dev.demokab.go.id",
        server="web-prod (127.0.2.12)",
        database="sikesehatan pada db (127.0.2.30)",
        commit=COMMIT,
        checks=(
            ("Nama terdaftar di ns1 dan ns2", True, "A 127.0.2.12"),
            ("Halaman utama", True, "GET / → 200"),
            ("Pemeriksaan kesehatan aplikasi", True, "GET /health → ok"),
        ),
        agency_name="Dinas Komunikasi dan Informatika Kabupaten Demo",
        agency_short="DISKOMINFO",
        agency_address="Jl. Pemuda No. 1, Demo, Kalimantan Selatan 71111",
        signer_name="Ir. Budi Santoso, M.T.",
        signer_position="Kepala Dinas Komunikasi dan Informatika",
        signer_rank="Pembina Utama Muda (IV/c)",
        signer_nip="197001011995031001",
        carbon_copies=("Bupati Demo (sebagai laporan)", "Inspektur Kabupaten Demo"),
        verification_code="",
        verification_url="http://127.0.0.1:8080/surat/verifikasi",
    )
    content = dataclasses.replace(content, **changes)
    code = verification_code(content.number, letter_digest(content), "lab-only-secret")
    return dataclasses.replace(content, verification_code=code)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text with runs of whitespace (line and page breaks) made single spaces."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def _page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    pages = next(line for line in info.splitlines() if line.startswith("Pages:"))
    return int(pages.split()[1])


@pytest.fixture(scope="module")
def letter() -> LetterContent:
    return _letter()


@pytest.fixture(scope="module")
def pdf(letter: LetterContent) -> bytes:
    return render_letter_pdf(letter)


def test_letter_is_a_one_page_a4_pdf(pdf: bytes, tmp_path: Path) -> None:
    assert pdf.startswith(b"%PDF-")
    assert _page_count(pdf, tmp_path) == 1
    path = tmp_path / "size.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    assert "(A4)" in info.stdout


def test_letter_text_carries_what_the_letter_must_say(
    letter: LetterContent, pdf: bytes, tmp_path: Path
) -> None:
    text = _pdf_text(pdf, tmp_path)
    for expected in (
        letter.number,
        letter.fqdn,
        COMMIT[:12],
        "NIP. 19700101 199503 1 001",
        "Yth.",
        "PEMERINTAH KABUPATEN DEMO",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        "Demo, 23 November 2026",
        "tanggal 2 November 2026",
        "Sifat",
        "Lampiran",
        "Hal",
        "Tembusan:",
        "6 (enam) bulan",
        letter.verification_code,
        letter.verification_url,
        "Bukan tanda tangan elektronik tersertifikasi (TTE)",
    ):
        assert expected in text, expected
    assert "Not a certified" not in text  # an Indonesian letter, in Indonesian only
    assert text.count("✓") == len(letter.checks)
    assert COMMIT not in text  # the short form only


def test_addressee_with_markup_is_printed_as_text(tmp_path: Path) -> None:
    hostile = _letter(addressee='<script>alert("x")</script> Kepala <b>Dinas</b> & Co')
    html = render_letter_html(hostile)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    text = _pdf_text(render_letter_pdf(hostile), tmp_path)
    assert '<script>alert("x")</script> Kepala <b>Dinas</b> & Co' in text


def test_letter_without_dev_name_database_or_copies_leaves_them_out(tmp_path: Path) -> None:
    bare = _letter(dev_fqdn=None, database=None, carbon_copies=())
    text = _pdf_text(render_letter_pdf(bare), tmp_path)
    assert "pengembangan" not in text
    assert "basis data" not in text
    assert "Tembusan" not in text
    assert bare.fqdn in text


def test_dns_only_letter_says_nothing_of_an_installed_application(tmp_path: Path) -> None:
    # A DNS-only request has no commit, server of ours or database: the letter used to say
    # the application "telah dipasang pada server produksi … dari commit -".
    dns_only = _letter(
        subject="Pembuatan Subdomain", dev_fqdn=None, database=None, commit="-",
        server="127.0.2.12", checks=(("DNS", True, "ns1.demokab.go.id, ns2.demokab.go.id"),),
    )
    text = " ".join(_pdf_text(render_letter_pdf(dns_only), tmp_path).split())
    for phrase in ("Aplikasi Saudara", "dipasang", "commit", "hosting", "server produksi"):
        assert phrase not in text, phrase
    assert "diarahkan ke alamat 127.0.2.12" in text
    assert "Lulus" in text and dns_only.fqdn in text


def test_failed_check_is_marked_as_failed(tmp_path: Path) -> None:
    failed = _letter(checks=(("Uji penetrasi dasar", False, "X-Frame-Options tidak ada"),))
    text = _pdf_text(render_letter_pdf(failed), tmp_path)
    assert "✗ Gagal" in text
    assert "✓" not in text


def test_html_is_self_contained(letter: LetterContent) -> None:
    html = render_letter_html(letter)
    # No web fonts, stylesheets, images or scripts from anywhere: the letter must render
    # the same offline, years later.
    for marker in ("<link", "<script", "<img", "@import", "url(", "https://"):
        assert marker not in html, marker


def test_long_letter_flows_onto_a_numbered_second_page(tmp_path: Path) -> None:
    many = tuple((f"Pemeriksaan {i}", True, "lulus") for i in range(1, 41))
    long_letter = _letter(checks=many)
    pdf = render_letter_pdf(long_letter)
    assert _page_count(pdf, tmp_path) >= 2
    text = _pdf_text(pdf, tmp_path)
    assert "NIP. 19700101 199503 1 001" in text
    # The verification footer is repeated on every page.
    assert text.count(long_letter.verification_code) == _page_count(pdf, tmp_path)


def test_long_check_details_wrap_inside_the_right_margin(tmp_path: Path) -> None:
    """A site user's owner:group (unbreakable, ~70 characters) and a long release path wrap
    inside their cell: no word is printed past the 2 cm right margin (read back with
    `pdftotext -bbox`, where each word carries its box)."""
    owner = "wordpres_e43064_dev_dem_c50ba1d1:wordpres_e43064_dev_dem_c50ba1d1"
    checks = (
        ("dev: env_permissions", True, f"mode 0640 {owner} (want 0640 {owner})"),
        ("dev: current_release", True, "current -> /var/www/wordpres-e43064.dev.demokab.go.id/"
         "releases/20261202230841-98c8c90a5d43, HEAD 98c8c90a5d439e7d322da053545cd952baf7c02b"),
    )  # fmt: skip
    path = tmp_path / "wide.pdf"
    path.write_bytes(render_letter_pdf(_letter(checks=checks)))
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    width = float(re.search(r'<page width="([0-9.]+)"', boxes).group(1))  # type: ignore[union-attr]
    right = max(float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes))
    margin_pt = 2 / 2.54 * 72
    assert right <= width - margin_pt + 1, (right, width)
    text = " ".join(re.findall(r">([^<]+)</word>", boxes))
    assert "c50ba1d1)" in text.replace(" ", "")  # the whole owner, wrapped not cut
