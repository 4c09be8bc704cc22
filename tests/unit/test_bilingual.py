"""A page speaks one language: the stored "Indonesia / English" messages split into their
two halves, also the compound forms the code builds."""

from __future__ import annotations

import pytest

from provisioner.domain.bilingual import Text, in_language, plural, split


@pytest.mark.parametrize(
    ("message", "id_half", "en_half"),
    [
        ("Wajib diisi / Required", "Wajib diisi", "Required"),
        ("only one language", "only one language", "only one language"),
        ("Basis data / Database: selesai / done", "Basis data: selesai", "Database: done"),
        ("site_dev @ web-dev: Gagal / Failed", "site_dev @ web-dev: Gagal",
         "site_dev @ web-dev: Failed"),
        ("RUSAK / BROKEN: 2 masalah / problems", "RUSAK: 2 masalah", "BROKEN: 2 problems"),
        ("127.0.2.50 tidak dipantau / not monitored", "127.0.2.50 tidak dipantau",
         "127.0.2.50 not monitored"),
    ],
)
def test_a_stored_message_splits_into_its_two_languages(
    message: str, id_half: str, en_half: str
) -> None:
    assert split(message) == Text(id_half, en_half)
    assert in_language(message, "id") == id_half
    assert in_language(message, "en") == en_half


def test_a_message_whose_parts_do_not_all_split_keeps_its_first_separators_halves() -> None:
    # Three separators in one part: no reading is sure, the first cut is the least wrong.
    text = split("a / b / c / d")
    assert " / ".join(text) == "a / b / c / d"
    assert text.id == "a" and text.en == "b / c / d"


def test_an_unknown_language_reads_indonesian() -> None:
    assert in_language("Ya / Yes", "fr") == "Ya"
    assert Text("Ya", "Yes").joined() == "Ya / Yes" and Text("OK", "OK").joined() == "OK"


def test_plural_says_one_character_and_five_characters() -> None:
    assert plural(1, "character", "characters") == "1 character"
    assert plural(5, "character", "characters") == "5 characters"
