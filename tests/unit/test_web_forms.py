"""The web forms are read by the JSON body's model (api.web.forms): the same lengths,
choices and dates apply to a form as to `POST /api/v1/requests`, and each refusal is
reported next to its field."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData

from api.schemas.requests import RequestIn
from api.web.forms import DATE_INVALID, read_request_form, read_revision_form
from provisioner.domain.actors import Actor, Role

OPD = Actor("opd-kes", Role.OPD, "Dinas Kesehatan")
ADMIN = Actor("admin", Role.ADMIN)


def _form(**fields: str) -> FormData:
    base = {
        "label": "dinkes", "agency": "Dinas Kesehatan", "purpose": "Situs resmi",
        "contact_name": "Siti", "contact_email": "siti@dinkes.go.id", "contact_phone": "",
        "letter_number": "400/1/2026", "letter_date": "2026-01-05", "request_type": "new",
        "repo": "sample-app", "branch": "main", "target_address": "", "contact_nip": "",
        "contact_position": "", "contact_rank": "", "site_kind": "", "stack": "php",
        "hosting": "on", "db_wanted": "on",
    }  # fmt: skip
    base.update(fields)
    return FormData([(k, v) for k, v in base.items() if v is not None])


def test_form_label_over_the_json_limit_is_refused_next_to_the_label() -> None:
    limit = RequestIn.model_fields["label"].metadata[0].max_length
    read = read_request_form(_form(label="a" * (limit + 1)), ADMIN)
    assert read.request is None
    assert set(read.errors) == {"label"}
    assert f"maks. {limit}" in read.errors["label"] and f"at most {limit}" in read.errors["label"]


def test_form_unknown_request_type_is_refused_like_the_json_body() -> None:
    read = read_request_form(_form(request_type="rename"), ADMIN)
    assert read.request is None and set(read.errors) == {"request_type"}


def test_form_bad_letter_date_keeps_the_forms_date_message() -> None:
    read = read_request_form(_form(letter_date="05/01/2026"), ADMIN)
    assert read.errors == {"letter_date": DATE_INVALID}


def test_form_missing_required_field_is_named_not_a_crash() -> None:
    form = FormData([(k, v) for k, v in _form().multi_items() if k != "purpose"])
    read = read_request_form(form, ADMIN)
    assert read.request is None and set(read.errors) == {"purpose"}


def test_form_blank_optional_fields_are_not_given() -> None:
    read = read_request_form(_form(target_address="  ", branch=" dev "), ADMIN)
    assert read.request is not None
    assert read.request.target_address is None and read.request.contact_nip is None
    assert read.request.site_kind is None and read.request.branch == "dev"
    assert read.request.letter_date == date(2026, 1, 5) and read.request.db_wanted is True


def test_form_without_hosting_asks_for_no_repository_stack_or_database() -> None:
    form = FormData([(k, v) for k, v in _form().multi_items() if k != "hosting"])
    read = read_request_form(form, ADMIN)
    assert read.request is not None and read.request.hosting is False
    assert (read.request.repo, read.request.branch, read.request.stack,
            read.request.db_wanted) == (None, None, None, None)  # fmt: skip


def test_form_opd_cannot_ask_for_another_agency() -> None:
    read = read_request_form(_form(agency="Dinas Pendidikan"), OPD)
    assert read.request is not None and read.request.agency == "Dinas Kesehatan"
    assert read.values["agency"] == "Dinas Kesehatan"  # what the form shows again


def test_revision_form_checks_each_field_by_the_json_rule() -> None:
    limit = RequestIn.model_fields["contact_name"].metadata[0].max_length
    read = read_revision_form(FormData([
        ("contact_name", "x" * (limit + 1)), ("letter_date", "kemarin"), ("contact_nip", " "),
        ("purpose", "Situs resmi"), ("label", "not-revisable"),
    ]))  # fmt: skip
    assert set(read.errors) == {"contact_name", "letter_date"}
    assert read.errors["letter_date"] == DATE_INVALID
    assert read.changes == {"contact_nip": None, "purpose": "Situs resmi"}
    assert "label" not in read.values
