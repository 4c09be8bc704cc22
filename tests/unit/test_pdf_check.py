"""The one upload check: a file is a PDF when pypdf parses it to at least one page — not
when it merely starts with `%PDF-` and ends with `%%EOF`."""

from __future__ import annotations

import pytest

from provisioner.adapters.pdf_check import check_pdf
from provisioner.domain.errors import InvalidInput
from tests.pdf_samples import HEADER_ONLY, HTML_POLYGLOT, one_page_pdf, pageless_pdf

LIMIT = 1024 * 1024


def _refused(data: bytes) -> str:
    with pytest.raises(InvalidInput) as err:
        check_pdf(data, max_bytes=LIMIT)
    (field, message), = err.value.problems
    assert field == "file" and " / " in message
    return message


def test_a_real_one_page_pdf_is_taken() -> None:
    assert check_pdf(one_page_pdf(), max_bytes=LIMIT) == 1


def test_html_polyglot_with_pdf_header_and_eof_is_refused() -> None:
    assert "not a readable PDF" in _refused(HTML_POLYGLOT)


def test_header_and_trailer_without_catalogue_is_refused() -> None:
    assert "not a readable PDF" in _refused(HEADER_ONLY)


def test_truncated_pdf_is_refused() -> None:
    data = one_page_pdf()
    assert "not a readable PDF" in _refused(data[: len(data) // 2])


def test_pdf_without_a_page_is_refused() -> None:
    assert "no page" in _refused(pageless_pdf())


def test_password_protected_pdf_is_refused() -> None:
    assert "password" in _refused(one_page_pdf(password="rahasia"))


def test_pdf_header_not_at_the_start_is_refused() -> None:
    assert "not a readable PDF" in _refused(b"<html>" + one_page_pdf())


def test_pdf_over_the_limit_is_refused_before_parsing() -> None:
    assert "too large" in _refused(b"%PDF-" + b"0" * LIMIT)


def test_refusal_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidInput) as err:
        check_pdf(b"GIF89a", max_bytes=LIMIT, field="letter_scan")
    assert err.value.problems[0][0] == "letter_scan"
