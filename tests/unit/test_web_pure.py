"""Pure pieces of the web pages and letters: provisioner's letter signature, the content
kept with a letter, the language catalogues, redirects, the plan diff and the
dashboard's time-to-live figures."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from api.web.dashboard import open_requests, time_to_live_per_month
from api.web.i18n import EN, ID, pick, translate
from api.web.pages import safe_next
from api.web.plan_view import plan_sections
from provisioner.domain.letters import (
    LetterContent,
    content_from_data,
    content_to_data,
    letter_digest,
    sign_letter,
    signature_valid,
)
from provisioner.domain.plan import Placement, ProvisionPlan

SECRET = "unit-" + "s" * 27
SHA = "a" * 64


def test_signature_verifies_only_the_number_and_hash_it_was_made_for() -> None:
    sig = sign_letter("000.8.3.3/001/DISKOMINFO/XI/2026", SHA, SECRET)
    assert signature_valid("000.8.3.3/001/DISKOMINFO/XI/2026", SHA, sig, SECRET)
    assert not signature_valid("000.8.3.3/002/DISKOMINFO/XI/2026", SHA, sig, SECRET)
    assert not signature_valid("000.8.3.3/001/DISKOMINFO/XI/2026", "b" * 64, sig, SECRET)
    assert not signature_valid("000.8.3.3/001/DISKOMINFO/XI/2026", SHA, sig, "other-secret")
    assert not signature_valid("000.8.3.3/001/DISKOMINFO/XI/2026", SHA, "", SECRET)


def _content() -> LetterContent:
    return LetterContent(
        number="N/1", issued_on=date(2026, 11, 23), place="Demo", nature="Biasa",
        attachments="-", subject="Hal", addressee="Kepala Dinas", addressee_place="Tempat",
        request_letter_number="R/1", request_letter_date=date(2026, 11, 2),
        fqdn="a.demokab.go.id", dev_fqdn=None, server="web-prod", database=None, commit="c",
        checks=(("http", True, "200"),), agency_name="Diskominfo", agency_short="DK",
        agency_address="Jl. 1", signer_name="Budi", signer_position="Kepala",
        signer_rank="IV/c", signer_nip="197001011995031001", carbon_copies=("Arsip",),
        verification_code="X", verification_url="http://x/verify/X",
    )


def test_letter_content_survives_the_round_trip_through_json_data() -> None:
    content = _content()
    again = content_from_data(content_to_data(content))
    assert again == content
    assert letter_digest(again) == letter_digest(content)
    corrected = dataclasses.replace(content, replaces="N/0")
    assert letter_digest(corrected) != letter_digest(content)


def test_both_catalogues_have_every_string() -> None:
    assert set(ID) == set(EN)
    assert all(ID.values()) and all(EN.values())
    assert translate("nav.login", "en") == "Sign in" and translate("nav.login", "id") == "Masuk"
    assert translate("nav.login", "fr") == "Masuk"  # unknown language: Indonesian
    assert translate("no.such.key", "en") == "no.such.key"  # a gap is visible


def test_a_bilingual_message_is_shown_in_the_readers_language_only() -> None:
    message = "Wajib diisi / Required"
    assert pick(message, "id") == "Wajib diisi"
    assert pick(message, "en") == "Required"
    assert pick("only one", "en") == "only one"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/requests/1", "/requests/1"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("javascript:alert(1)", "/"),
        (None, "/"),
    ],
)
def test_redirects_stay_on_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_plan_is_shown_as_a_diff_by_section() -> None:
    placement = Placement(web_dev_host="web-dev", web_dev_address="127.0.2.11",
                          web_prod_host="web-prod", web_prod_address="127.0.2.12",
                          db_host="db", ttl=300)
    plan = ProvisionPlan.build(zone="demokab.go.id", fqdn="a.demokab.go.id",
                      dev_fqdn="a.dev.demokab.go.id", hosting=True, target_address=None,
                      repo_url="ssh://git/a.git", branch="main", db_name="site_a",
                      db_user="u_a", placement=placement)
    sections = dict(plan_sections(plan))
    assert [line.text for line in sections["review.dns"]] == [
        "a.demokab.go.id. 300 IN A 127.0.2.12",
        "a.dev.demokab.go.id. 300 IN A 127.0.2.11",
    ]
    assert all(line.sign == "+" for line in sections["review.dns"])
    assert any("ServerName a.demokab.go.id" in line.text for line in sections["review.vhost"])
    assert "CREATE DATABASE site_a" in sections["review.database"][0].text
    assert sections["review.deploy"][0].sign == "~"
    assert "review.tls" not in sections  # no ACME directory: no certificate in the plan
    assert plan_sections(None) == []


def test_a_plan_with_tls_shows_the_certificate_and_https_vhost() -> None:
    placement = Placement(web_dev_host="web-dev", web_dev_address="127.0.2.11",
                          web_prod_host="web-prod", web_prod_address="127.0.2.12",
                          db_host="db", ttl=300, acme_directory_url="https://acme.test/dir")
    plan = ProvisionPlan.build(zone="demokab.go.id", fqdn="a.demokab.go.id",
                      dev_fqdn="a.dev.demokab.go.id", hosting=True, target_address=None,
                      repo_url="ssh://git/a.git", branch="main", db_name="site_a",
                      db_user="u_a", placement=placement)
    lines = [line.text for line in dict(plan_sections(plan))["review.tls"]]
    assert lines == [
        "web-prod: certificate a.demokab.go.id (ACME HTTP-01, https://acme.test/dir)",
        "web-prod: <VirtualHost *:443> ServerName a.demokab.go.id",
    ]


def test_time_to_live_is_the_median_per_month_of_going_live() -> None:
    t0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
    rows = [
        SimpleNamespace(state="letter_issued", created_at=t0, live_at=t0 + timedelta(hours=2)),
        SimpleNamespace(state="live", created_at=t0, live_at=t0 + timedelta(hours=4)),
        SimpleNamespace(state="live", created_at=t0, live_at=t0 + timedelta(hours=30)),
        SimpleNamespace(state="submitted", created_at=t0, live_at=None),
        SimpleNamespace(state="live", created_at=t0.replace(month=10),
                        live_at=t0.replace(month=10) + timedelta(hours=1)),
    ]
    figures = time_to_live_per_month(rows)
    assert [(f.month, f.count, f.median_hours) for f in figures] == [
        ("2026-11", 3, 4.0),
        ("2026-10", 1, 1.0),
    ]
    assert [r.state for r in open_requests(rows)] == ["submitted"]


def test_times_are_shown_in_the_agency_zone_with_its_name() -> None:
    from datetime import UTC, datetime

    from api.web.render import local_time

    stored = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)  # 00:30 the next day in WITA
    assert local_time(stored, "Asia/Makassar") == "2026-11-30 00:30 WITA"
    assert local_time(stored.replace(tzinfo=None), "Asia/Jakarta", "%Y-%m-%d") == "2026-11-29 WIB"
    assert local_time(None, "Asia/Makassar") == "–"
