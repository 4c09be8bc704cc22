"""Bad input over HTTP against the real app, the lab's name servers and its git server:
strict JSON types, implausible letter dates, undeliverable e-mail syntax, characters that
do not show, hosting with a target address, a repository or branch the repository server
does not have (asked with `git ls-remote` at submit), a code server that does not answer,
PDFs that are not PDFs — and the PDFs served back as `nosniff` attachments."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provisioner.bootstrap.configs import letter_settings
from provisioner.bootstrap.container import Container, build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.domain.letters import LetterContent
from provisioner.steps.letter import issue_letter
from provisioner.workflow.people.users import add_user
from tests.pdf_samples import HEADER_ONLY, HTML_POLYGLOT, one_page_pdf

pytestmark = pytest.mark.lab
PASSWORD = "Kominfo-Demo-2026"
PDF = one_page_pdf()


def _settings(lab: Settings, data: Any, **over: Any) -> Settings:
    return Settings(data_dir=data, lab_path=lab.lab_dir, zones_file=lab.secrets_dir / "zones.json",
                    environment="lab", secret_key="inputs-" + secrets.token_hex(16),
                    **over)  # fmt: skip


def _client(services: Container) -> TestClient:
    app = serve_app(services, run_worker=False, run_scheduler=False)
    return TestClient(app, follow_redirects=False)


@pytest.fixture(scope="module")
def services(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    built = build_container(_settings(lab, tmp_path_factory.mktemp("inputs")))
    yield built
    built.store.dispose()


@pytest.fixture(scope="module")
def tokens(services: Container) -> dict[str, str]:
    return {
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan", password=PASSWORD),
        "admin": add_user(services.store, "admin", Role.ADMIN, None),
        "kadis": add_user(services.store, "kadis", Role.APPROVER, None),
    }


@pytest.fixture(scope="module")
def api(services: Container, tokens: dict[str, str]) -> Iterator[TestClient]:
    with _client(services) as client:
        client.headers["Authorization"] = f"Bearer {tokens['opd']}"
        yield client


def body(**over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "label": f"inp-{secrets.token_hex(3)}", "agency": "Dinas Kesehatan",
        "purpose": "Situs resmi Dinas Kesehatan", "contact_name": "Siti Rahma",
        "contact_email": "siti@dinkes.demokab.go.id", "letter_number": "400.7/1234/DINKES/2026",
        "letter_date": date.today().isoformat(), "hosting": False, "target_address": "127.0.2.12",
    }  # fmt: skip
    b.update(over)
    return b


def hosting(**over: Any) -> dict[str, Any]:
    return body(**{"hosting": True, "target_address": None, "repo": "sample-app",
                   "branch": "main", **over})  # fmt: skip


def signed_in(services: Container, username: str) -> TestClient:
    """A browser signed in through the login form (with the form's CSRF token)."""
    browser = _client(services)
    form = browser.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert match, "no CSRF token on the login form"
    answer = browser.post("/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": match.group(1)})  # fmt: skip
    assert answer.status_code == 303, answer.text
    return browser


def refused(answer: Any) -> dict[str, str]:
    """The fields a 422 names, with their messages (each bilingual)."""
    assert answer.status_code == 422, answer.text
    problems = {e["loc"][-1]: e["msg"] for e in answer.json()["detail"]}
    assert all(" / " in m for m in problems.values()), problems
    return problems


# --- strict types -----------------------------------------------------------------------------


def test_string_yes_for_hosting_is_422(api: TestClient) -> None:
    assert list(refused(api.post("/api/v1/requests", json=body(hosting="yes")))) == ["hosting"]


def test_integer_1_for_hosting_is_422(api: TestClient) -> None:
    assert list(refused(api.post("/api/v1/requests", json=body(hosting=1)))) == ["hosting"]


def test_string_true_for_db_wanted_is_422(api: TestClient) -> None:
    assert "db_wanted" in refused(api.post("/api/v1/requests", json=hosting(db_wanted="true")))


def test_string_number_for_an_sla_limit_is_422(
    api: TestClient, tokens: dict[str, str]
) -> None:
    answer = api.put("/api/v1/admin/sla", json={"agency": "Dinas Uji", "limits": {"create": "240"}},
                     headers={"Authorization": f"Bearer {tokens['admin']}"})  # fmt: skip
    assert "create" in refused(answer)


# --- letter date, e-mail, invisible characters, hosting + target -----------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01"])
def test_letter_date_far_in_the_past_is_422(api: TestClient, day: str) -> None:
    problems = refused(api.post("/api/v1/requests", json=body(letter_date=day)))
    assert list(problems) == ["letter_date"] and "earliest" in problems["letter_date"]


def test_letter_date_0001_01_01_is_422(api: TestClient) -> None:
    answer = api.post("/api/v1/requests", json=body(letter_date="0001-01-01"))
    assert "letter_date" in refused(answer)


def test_letter_date_in_the_future_is_422(api: TestClient) -> None:
    later = (date.today() + timedelta(days=2)).isoformat()
    problems = refused(api.post("/api/v1/requests", json=body(letter_date=later)))
    assert "future" in problems["letter_date"]


def test_email_with_empty_domain_label_is_422(api: TestClient) -> None:
    problems = refused(api.post("/api/v1/requests", json=body(contact_email="siti@.x.go.id")))
    assert list(problems) == ["contact_email"]


def test_email_with_two_dots_in_a_row_is_422(api: TestClient) -> None:
    assert "contact_email" in refused(
        api.post("/api/v1/requests", json=body(contact_email="siti@x..go.id"))
    )


def test_bidi_override_in_agency_is_422(api: TestClient, tokens: dict[str, str]) -> None:
    # An admin may name any agency: the OPD's own agency must not hide the check.
    answer = api.post("/api/v1/requests", json=body(agency="Dinas \u202eanatahesek"),
                      headers={"Authorization": f"Bearer {tokens['admin']}"})  # fmt: skip
    assert "U+202E" in refused(answer)["agency"]


def test_zero_width_space_in_contact_name_is_422(api: TestClient) -> None:
    answer = api.post("/api/v1/requests", json=body(contact_name="Siti\u200b Rahma"))
    assert "U+200B" in refused(answer)["contact_name"]


def test_hosting_with_target_address_is_422(api: TestClient) -> None:
    answer = api.post("/api/v1/requests", json=hosting(target_address="127.0.2.12"))
    assert list(refused(answer)) == ["target_address"]


# --- repository and branch, asked of the lab's git server at submit ---------------------------


def test_unknown_branch_is_422_at_submit(api: TestClient) -> None:
    problems = refused(api.post("/api/v1/requests", json=hosting(branch="tidak-ada-cabang")))
    assert list(problems) == ["branch"] and "tidak-ada-cabang" in problems["branch"]


def test_unknown_repository_is_422_at_submit(api: TestClient) -> None:
    problems = refused(api.post("/api/v1/requests", json=hosting(repo="tidak-ada-repo")))
    assert list(problems) == ["repo"] and "tidak-ada-repo" in problems["repo"]


def test_existing_repository_and_branch_are_accepted_at_submit(api: TestClient) -> None:
    answer = api.post("/api/v1/requests", json=hosting())
    assert answer.status_code == 201, answer.text
    assert answer.json()["branch"] == "main" and answer.json()["target_address"] is None


def test_code_server_that_does_not_answer_is_503_at_submit(
    lab: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Nothing listens on 127.0.2.99: a real refused connection, not a stand-in.
    settings = _settings(lab, tmp_path_factory.mktemp("inputs-git-away"),
                         git_base_url="ssh://root@127.0.2.99/srv/git")  # fmt: skip
    services = build_container(settings)
    token = add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan")
    try:
        with _client(services) as client:
            answer = client.post("/api/v1/requests", json=hosting(),
                                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    finally:
        services.store.dispose()
    assert answer.status_code == 503, answer.text
    detail = answer.json()["detail"]
    assert "127.0.2.99" in detail and "try again later" in detail and "refused" in detail


def test_web_form_shows_unknown_branch_next_to_the_field(
    services: Container, tokens: dict[str, str]
) -> None:
    with signed_in(services, "opd") as browser:
        page = browser.get("/requests/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the form"
        form = {k: str(v) for k, v in hosting(branch="tidak-ada-cabang").items() if v is not None}
        form.update(hosting="on", csrf_token=token.group(1))
        answer = browser.post("/requests/new", data=form)
    assert answer.status_code == 422
    assert 'id="branch" name="branch"' in answer.text
    assert re.search(r'<p class="field-error" id="branch-error">[^<]*tidak-ada-cabang', answer.text)


# --- PDFs in, PDFs out ------------------------------------------------------------------------


def _new_request(api: TestClient) -> dict[str, Any]:
    answer = api.post("/api/v1/requests", json=body())
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("fake", [HTML_POLYGLOT, HEADER_ONLY], ids=["html", "header-only"])
def test_html_polyglot_pdf_upload_is_refused(api: TestClient, fake: bytes) -> None:
    req = _new_request(api)
    answer = api.put(f"/api/v1/requests/{req['id']}/letter-scan",
                     files={"file": ("surat.pdf", fake, "application/pdf")})  # fmt: skip
    assert refused(answer) == {"file": refused(answer)["file"]}
    assert "not a readable PDF" in refused(answer)["file"]
    assert api.get(f"/api/v1/requests/{req['id']}/letter-scan").status_code == 404


def test_html_polyglot_is_refused_as_letter_of_record(services: Container, api: TestClient) -> None:
    req = _new_request(api)
    lid = _issue(services, req["id"], req["label"])
    answer = api.put(f"/api/v1/letters/{lid}/record",
                     files={"file": ("tte.pdf", HTML_POLYGLOT, "application/pdf")})  # fmt: skip
    assert "not a readable PDF" in refused(answer)["file"]


def test_html_polyglot_is_refused_on_the_verification_page(
    services: Container, api: TestClient
) -> None:
    req = _new_request(api)
    lid = _issue(services, req["id"], req["label"])
    code = api.get(f"/api/v1/letters/{lid}").json()["verification_code"]
    answer = api.post(f"/verify/{code}",
                      files={"file": ("x.pdf", HTML_POLYGLOT, "application/pdf")})  # fmt: skip
    assert answer.status_code == 422
    # The refusal is the page's first verdict, an alert in red, with the parser's reason.
    card = re.search(r'<div class="card bad verdict-card" id="upload-result" role="alert">'
                     r'(.*?)</div>', answer.text, re.DOTALL)  # fmt: skip
    assert card and "bukan PDF yang dapat dibaca" in card.group(1), answer.text[-2000:]
    assert answer.text.index('id="upload-result"') < answer.text.index('id="verify-result"')


def _issue(services: Container, request_id: int, label: str) -> int:
    content = LetterContent(
        number="", issued_on=date.today(), place="Demo", nature="Biasa", attachments="-",
        subject="Balasan Permohonan Subdomain", addressee="Kepala Dinas Kesehatan",
        addressee_place="Demo", request_letter_number="400.7/1/DINKES/2026",
        request_letter_date=date.today(), fqdn=f"{label}.demokab.go.id", dev_fqdn=None,
        server="ns1 (127.0.2.53)", database=None, commit="", checks=(("DNS", True, "A"),),
        agency_name="Dinas Komunikasi dan Informatika", agency_short="DISKOMINFO",
        agency_address="Jl. Pemuda 1", signer_name="Budi", signer_position="Kepala Dinas",
        signer_rank="Pembina (IV/a)", signer_nip="197001011995031001", carbon_copies=(),
        verification_code="", verification_url="",
    )  # fmt: skip
    cfg = letter_settings(services.settings)
    return issue_letter(services.store, cfg, request_id=request_id, label=label,
                        content=content).id  # fmt: skip


def _served_as_attachment(answer: Any) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"].startswith("attachment;")


def test_every_route_serving_a_pdf_sends_nosniff_and_attachment(
    services: Container, api: TestClient
) -> None:
    req = _new_request(api)
    rid = req["id"]
    scan = api.put(f"/api/v1/requests/{rid}/letter-scan",
                   files={"file": ("surat.pdf", PDF, "application/pdf")})  # fmt: skip
    assert scan.status_code == 200, scan.text
    lid = _issue(services, rid, req["label"])
    record = api.put(f"/api/v1/letters/{lid}/record",
                     files={"file": ("tte.pdf", PDF, "application/pdf")})  # fmt: skip
    assert record.status_code == 200, record.text
    for url in (f"/api/v1/requests/{rid}/letter-scan", f"/api/v1/requests/{rid}/letter.pdf",
                f"/api/v1/letters/{lid}.pdf", f"/api/v1/letters/{lid}/record.pdf"):  # fmt: skip
        _served_as_attachment(api.get(url))
    with signed_in(services, "opd") as browser:
        for url in (f"/letters/{lid}.pdf", f"/letters/{lid}/record.pdf"):
            _served_as_attachment(browser.get(url))
