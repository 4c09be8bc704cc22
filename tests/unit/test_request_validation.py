"""Request drafts: each bad field is refused with its own name and a bilingual reason."""

from dataclasses import replace
from datetime import date

import pytest

from provisioner.domain.errors import InvalidInput
from provisioner.domain.requests import (
    RequestDraft,
    db_identifiers,
    format_ticket,
    normalise_draft,
    repo_url_for,
)

BASE = "ssh://root@127.0.2.40/srv/git"
TODAY = date(2026, 11, 23)
DRAFT = RequestDraft(
    label="dinkes", agency=" Dinas Kesehatan ", purpose="Situs resmi", contact_name="Siti",
    contact_email="siti@dinkes.demokab.go.id", letter_number="000.8/12/DINKES/2026",
    letter_date=date(2026, 11, 20), hosting=True, repo="sample-app", branch="main",
)


def normalise(draft):
    return normalise_draft(draft, git_base_url=BASE, allowed_networks=["127.0.0.0/8"], today=TODAY)


def test_good_draft_is_trimmed_and_repo_expanded():
    out = normalise(DRAFT)
    assert out.agency == "Dinas Kesehatan"
    assert out.repo == f"{BASE}/sample-app.git"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"letter_date": date(2027, 1, 1)}, "letter_date"),
        ({"repo": None}, "repo"),
        ({"repo": "https://evil.example/x.git"}, "repo"),
        ({"repo": "../../etc"}, "repo"),
        ({"repo": "ssh://root@127.0.2.40/srv/git/../x"}, "repo"),
        ({"branch": "--upload-pack=x"}, "branch"),
        ({"branch": "a..b"}, "branch"),
        ({"agency": "   "}, "agency"),
        ({"letter_number": "x\x00y"}, "letter_number"),
        ({"contact_phone": "call me; rm -rf"}, "contact_phone"),
        ({"hosting": False, "target_address": None}, "target_address"),
        ({"hosting": False, "target_address": "10.0.0.1"}, "target_address"),
        ({"hosting": False, "target_address": "not-an-ip"}, "target_address"),
    ],
)
def test_bad_field_is_refused_with_its_name(change, field):
    with pytest.raises(InvalidInput) as err:
        normalise(replace(DRAFT, **change))
    assert err.value.field == field
    assert " / " in err.value.message


def test_every_bad_field_is_reported_at_once():
    bad = replace(DRAFT, contact_email="nope", branch="a..b", agency=" ", contact_nip="123",
                  letter_date=date(2027, 1, 1))
    with pytest.raises(InvalidInput) as err:
        normalise(bad)
    fields = [field for field, _ in err.value.problems]
    assert sorted(fields) == ["agency", "branch", "contact_email", "contact_nip", "letter_date"]
    assert all(" / " in message for _, message in err.value.problems)
    assert (err.value.field, err.value.message) == err.value.problems[0]


def test_without_hosting_a_loopback_target_is_accepted():
    out = normalise(replace(DRAFT, hosting=False, repo=None, target_address=" 127.0.2.12 "))
    assert out.target_address == "127.0.2.12" and out.repo is None


def test_full_repo_url_under_the_server_is_accepted():
    assert repo_url_for(f"{BASE}/app.git", BASE) == f"{BASE}/app.git"


def test_ticket_format():
    assert format_ticket(date(2026, 1, 5), 7) == "SUB-20260105-0007"


def test_db_identifiers_fit_mariadb_limits_and_stay_distinct():
    long_a, long_b = "a" * 40 + "-x", "a" * 40 + "-y"
    name_a, user_a = db_identifiers(long_a)
    name_b, user_b = db_identifiers(long_b)
    assert len(user_a) <= 32 and len(name_a) <= 64
    assert user_a != user_b and name_a != name_b
    assert db_identifiers("sipd-kab") == ("site_sipd_kab", "u_sipd_kab")
