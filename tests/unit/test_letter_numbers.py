"""Letter numbering, dates and verification codes (pure, provisioner.domain.letters)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from provisioner.domain.errors import InvalidInput
from provisioner.domain.letters import (
    LetterContent,
    format_letter_number,
    format_nip,
    indonesian_date,
    letter_digest,
    roman_month,
    short_sha,
    validate_pattern,
    verification_code,
)

DEFAULT_PATTERN = "{klasifikasi}/{nomor:03d}/{unit}/{bulan_romawi}/{tahun}"


@pytest.mark.parametrize(
    ("month", "roman"),
    [
        (1, "I"),
        (2, "II"),
        (3, "III"),
        (4, "IV"),
        (5, "V"),
        (6, "VI"),
        (7, "VII"),
        (8, "VIII"),
        (9, "IX"),
        (10, "X"),
        (11, "XI"),
        (12, "XII"),
    ],
)
def test_roman_month_covers_every_month(month: int, roman: str) -> None:
    assert roman_month(month) == roman


@pytest.mark.parametrize("month", [0, 13, -1])
def test_roman_month_refuses_a_month_that_does_not_exist(month: int) -> None:
    with pytest.raises(InvalidInput):
        roman_month(month)


def test_default_pattern_gives_the_tapin_style_number() -> None:
    number = format_letter_number(
        DEFAULT_PATTERN,
        serial=11,
        when=date(2024, 1, 8),
        classification="000.8.3.3",
        unit="DISKOMINFO",
    )
    assert number == "000.8.3.3/011/DISKOMINFO/I/2024"


@pytest.mark.parametrize(
    ("pattern", "serial", "when", "expected"),
    [
        # Muara Enim style: classification, serial, unit-with-suffix, year.
        (
            "{klasifikasi} /{nomor}/{unit}-III/{tahun}",
            38,
            date(2021, 1, 25),
            "800 /38/DISKOMINFO-III/2021",
        ),
        # Batam style: serial first, the month as a number.
        ("{nomor}/SOP/{unit}/{bulan}/{tahun}", 11, date(2018, 10, 8), "11/SOP/DISKOMINFO/10/2018"),
        # Zero-padded month and a wide serial.
        (
            "{klasifikasi}/{nomor:05d}/{unit}/{bulan:02d}.{tahun}",
            7,
            date(2026, 3, 1),
            "800/00007/DISKOMINFO/03.2026",
        ),
        (
            "{klasifikasi}/{nomor:03d}/{unit}/{bulan_romawi}/{tahun}",
            1234,
            date(2026, 12, 31),
            "800/1234/DISKOMINFO/XII/2026",
        ),
        (
            "{klasifikasi}/{nomor:03d}/{unit}/{bulan_romawi}/{tahun}",
            5,
            date(2026, 9, 30),
            "800/005/DISKOMINFO/IX/2026",
        ),
    ],
)
def test_patterns_of_other_governments(
    pattern: str, serial: int, when: date, expected: str
) -> None:
    number = format_letter_number(
        pattern, serial=serial, when=when, classification="800", unit="DISKOMINFO"
    )
    assert number == expected


def test_serial_padding_does_not_truncate_large_serials() -> None:
    numbers = [
        format_letter_number(
            DEFAULT_PATTERN, serial=s, when=date(2026, 5, 2), classification="X", unit="U"
        )
        for s in (1, 99, 100, 1000)
    ]
    assert numbers == ["X/001/U/V/2026", "X/099/U/V/2026", "X/100/U/V/2026", "X/1000/U/V/2026"]


@pytest.mark.parametrize("serial", [0, -3])
def test_serial_must_be_positive(serial: int) -> None:
    with pytest.raises(InvalidInput) as info:
        format_letter_number(
            DEFAULT_PATTERN, serial=serial, when=date(2026, 1, 1), classification="X", unit="U"
        )
    assert info.value.field == "serial"


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        ("{klasifikasi}/{unit}/{tahun}", "{nomor}"),  # no serial: numbers would collide
        ("{klasifikasi}/{nomor}/{dinas}/{tahun}", "{dinas}"),  # unknown field
        ("{}/{nomor}", "{}"),  # positional field
        ("{0}/{nomor}", "{0}"),
        ("{nomor}/{tahun.__class__}", "tahun.__class__"),  # attribute access
        ("{nomor}/{unit[0]}", "unit[0]"),  # index access
        ("{nomor}/{unit:03d}", "format"),  # spec that does not fit a text field
        ("{nomor:{lebar}}", "format"),  # nested spec
        ("{nomor/{tahun}", "pola"),  # unbalanced brace
        ("{nomor}/}", "pola"),
    ],
)
def test_validate_pattern_refuses_unsafe_patterns(pattern: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_pattern(pattern)
    assert info.value.field == "letter_number_pattern"
    assert " / " in info.value.message  # Bahasa Indonesia / English
    assert hint in info.value.message


def test_format_letter_number_refuses_an_invalid_pattern() -> None:
    with pytest.raises(InvalidInput):
        format_letter_number(
            "{klasifikasi}/{tahun}", serial=1, when=date(2026, 1, 1), classification="X", unit="U"
        )


def test_validate_pattern_accepts_every_documented_field() -> None:
    validate_pattern("{klasifikasi}/{nomor:04d}/{unit}/{bulan_romawi}/{bulan:02d}/{tahun}")


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2026, 11, 23), "23 November 2026"),
        (date(2024, 1, 8), "8 Januari 2024"),
        (date(2025, 2, 28), "28 Februari 2025"),
        (date(2025, 3, 1), "1 Maret 2025"),
        (date(2025, 5, 17), "17 Mei 2025"),
        (date(2025, 6, 1), "1 Juni 2025"),
        (date(2025, 7, 1), "1 Juli 2025"),
        (date(2025, 8, 17), "17 Agustus 2025"),
        (date(2025, 10, 28), "28 Oktober 2025"),
        (date(2025, 12, 31), "31 Desember 2025"),
    ],
)
def test_indonesian_date_uses_indonesian_month_names(d: date, text: str) -> None:
    assert indonesian_date(d) == text


def test_format_nip_groups_an_18_digit_nip_and_leaves_others_alone() -> None:
    assert format_nip("197001011995031001") == "19700101 199503 1 001"
    assert format_nip("19700101 199503 1 001") == "19700101 199503 1 001"
    assert format_nip("12345") == "12345"


def test_short_sha_matches_release_directory_length() -> None:
    assert short_sha("3f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345") == "3f9a1c2b7d4e"


DIGEST = "a" * 64


def test_verification_code_is_stable_and_grouped() -> None:
    first = verification_code("000.8.3.3/011/DISKOMINFO/I/2024", DIGEST, "s3cret-key-123")
    again = verification_code("000.8.3.3/011/DISKOMINFO/I/2024", DIGEST, "s3cret-key-123")
    assert first == again
    groups = first.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert all(c in "0123456789ABCDEF" for c in "".join(groups))


def test_verification_code_depends_on_secret_number_and_content() -> None:
    base = verification_code("N/1", DIGEST, "secret-one")
    assert verification_code("N/1", DIGEST, "secret-two") != base
    assert verification_code("N/2", DIGEST, "secret-one") != base
    assert verification_code("N/1", "b" * 64, "secret-one") != base


def _content(**changes: Any) -> LetterContent:
    content = LetterContent(
        number="000.8.3.3/011/DISKOMINFO/I/2024",
        issued_on=date(2024, 1, 8),
        place="Demo",
        nature="Biasa",
        attachments="-",
        subject="Rekomendasi Subdomain dan Hosting Aplikasi",
        addressee="Kepala Dinas Kesehatan Kabupaten Demo",
        addressee_place="Demo",
        request_letter_number="400/12/DINKES/2024",
        request_letter_date=date(2024, 1, 2),
        fqdn="sehat.demokab.go.id",
        dev_fqdn=None,
        server="web-prod (127.0.2.12)",
        database=None,
        commit="0" * 40,
        checks=(("HTTP 200", True, "GET /"),),
        agency_name="Dinas Komunikasi dan Informatika Kabupaten Demo",
        agency_short="DISKOMINFO",
        agency_address="Jl. Pemuda No. 1",
        signer_name="Budi",
        signer_position="Kepala Dinas",
        signer_rank="Pembina (IV/a)",
        signer_nip="197001011995031001",
        carbon_copies=(),
        verification_code="",
        verification_url="http://127.0.0.1:8080/verifikasi",
    )
    return dataclasses.replace(content, **changes)


def test_letter_digest_ignores_the_verification_fields_it_feeds() -> None:
    plain = _content()
    coded = _content(verification_code="ABCD-0123-4567-89EF", verification_url="http://x/")
    assert letter_digest(plain) == letter_digest(coded)


def test_letter_digest_changes_with_what_the_letter_says() -> None:
    assert letter_digest(_content()) != letter_digest(_content(fqdn="sakit.demokab.go.id"))
    assert letter_digest(_content()) != letter_digest(
        _content(checks=(("HTTP 200", False, "GET /"),))
    )


def test_letterhead_drops_the_region_the_government_line_already_names() -> None:
    assert _content().letterhead_agency == "DINAS KOMUNIKASI DAN INFORMATIKA"
    other = _content(government_name="Pemerintah Kota Batam")
    assert other.letterhead_agency == "DINAS KOMUNIKASI DAN INFORMATIKA KABUPATEN DEMO"
