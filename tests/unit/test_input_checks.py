"""Inputs that were accepted and must not be: implausible letter dates, e-mail addresses
that are not deliverable syntax, characters that do not show, hosting with a target
address. Each refusal names its field and reads in both languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from provisioner.domain.errors import InvalidInput
from provisioner.domain.requests import (
    RequestDraft,
    earliest_letter_date,
    normalise_draft,
    required_note,
    validate_email,
)
from provisioner.domain.text import check_visible, hidden_characters

BASE = "ssh://root@127.0.2.40/srv/git"
TODAY = date(2026, 11, 23)
DRAFT = RequestDraft(
    label="dinkes", agency="Dinas Kesehatan", purpose="Situs resmi", contact_name="Siti",
    contact_email="siti@dinkes.demokab.go.id", letter_number="000.8/12/DINKES/2026",
    letter_date=date(2026, 11, 20), hosting=True, repo="sample-app", branch="main",
)  # fmt: skip


def refused_fields(draft: RequestDraft) -> dict[str, str]:
    with pytest.raises(InvalidInput) as err:
        normalise_draft(draft, git_base_url=BASE, allowed_networks=["127.0.0.0/8"], today=TODAY)
    assert all(" / " in message for _, message in err.value.problems)
    return dict(err.value.problems)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1900, 1, 1), date(1999, 12, 31)])
def test_letter_date_before_2000_is_refused(day: date) -> None:
    assert "letter_date" in refused_fields(replace(DRAFT, letter_date=day))


def test_letter_date_0001_01_01_is_refused() -> None:
    assert list(refused_fields(replace(DRAFT, letter_date=date(1, 1, 1)))) == ["letter_date"]


def test_letter_date_older_than_the_window_is_refused() -> None:
    assert "letter_date" in refused_fields(replace(DRAFT, letter_date=date(2021, 11, 22)))


def test_letter_date_at_the_edge_of_the_window_is_taken() -> None:
    out = normalise_draft(replace(DRAFT, letter_date=date(2021, 11, 23)), git_base_url=BASE,
                          allowed_networks=["127.0.0.0/8"], today=TODAY)
    assert out.letter_date == date(2021, 11, 23)


def test_letter_date_tomorrow_is_refused() -> None:
    assert "letter_date" in refused_fields(replace(DRAFT, letter_date=date(2026, 11, 24)))


def test_earliest_letter_date_of_29_february_is_28_february() -> None:
    assert earliest_letter_date(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert earliest_letter_date(date(2026, 1, 1), 40) == date(2000, 1, 1)


@pytest.mark.parametrize(
    "address",
    [
        "siti@.x.go.id",  # empty first domain label
        "siti@x..go.id",  # empty label between dots
        "siti@x.go.id.",  # trailing dot
        "siti.@x.go.id",  # local part ends with a dot
        "siti@localhost",  # no dot: not a deliverable domain
        "siti@-x.go.id",  # label starts with a hyphen
        "siti@[127.0.0.1]",  # domain literal
        '"siti rahma"@x.go.id',  # quoted local part
        "sïti@x.go.id",  # non-ASCII local part needs SMTPUTF8
        "siti@x.go.id\u202e",  # bidi override after the address
    ],
)
def test_email_that_is_not_deliverable_syntax_is_refused(address: str) -> None:
    assert "contact_email" in refused_fields(replace(DRAFT, contact_email=address))


def test_email_with_empty_domain_label_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInput) as err:
        validate_email("contact_email", "siti@.x.go.id")
    assert err.value.field == "contact_email" and "period" in err.value.message


def test_ordinary_government_address_is_taken() -> None:
    assert validate_email("email", " siti.rahma+opd@dinkes.demokab.go.id ") == (
        "siti.rahma+opd@dinkes.demokab.go.id"
    )


@pytest.mark.parametrize(
    ("field", "char"),
    [
        ("agency", "\u202e"),  # RIGHT-TO-LEFT OVERRIDE
        ("agency", "\u2066"),  # LEFT-TO-RIGHT ISOLATE
        ("contact_name", "\u200b"),  # ZERO WIDTH SPACE
        ("contact_name", "\u200d"),  # ZERO WIDTH JOINER
        ("letter_number", "\ufeff"),  # ZERO WIDTH NO-BREAK SPACE (BOM)
        ("purpose", "\x1b"),  # ESC
        ("purpose", "\u2028"),  # LINE SEPARATOR
        ("contact_position", "\u00ad"),  # SOFT HYPHEN
        ("contact_rank", "\x7f"),  # DEL
    ],
)
def test_invisible_character_in_text_field_is_refused(field: str, char: str) -> None:
    value = f"Dinas{char} Kesehatan"
    problems = refused_fields(replace(DRAFT, **{field: value}))
    assert f"U+{ord(char):04X}" in problems[field]


def test_bidi_override_in_agency_is_refused() -> None:
    problems = refused_fields(replace(DRAFT, agency="Dinas \u202eanatahesek"))
    assert list(problems) == ["agency"] and "U+202E" in problems["agency"]


def test_line_breaks_in_purpose_are_taken() -> None:
    out = normalise_draft(replace(DRAFT, purpose="Situs resmi\r\n- berita\n\t- layanan"),
                          git_base_url=BASE, allowed_networks=["127.0.0.0/8"], today=TODAY)
    assert out.purpose.startswith("Situs resmi")


def test_bidi_override_in_rejection_reason_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        required_note("reason", "Nama \u202etidak sesuai", "reason required")
    assert err.value.field == "reason" and "U+202E" in err.value.message


def test_hidden_characters_are_named_once_in_order() -> None:
    assert hidden_characters("a\u200bb\u202ec\u200b") == ["U+200B", "U+202E"]
    assert hidden_characters("a\nb", multiline=True) == []
    assert hidden_characters("a\nb") == ["U+000A"]
    assert check_visible("x", "Kota Batam — Dinas Kominfo") == "Kota Batam — Dinas Kominfo"


def test_hosting_with_target_address_is_refused() -> None:
    problems = refused_fields(replace(DRAFT, hosting=True, target_address="127.0.2.12"))
    assert list(problems) == ["target_address"]
