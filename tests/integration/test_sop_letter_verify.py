"""A letter issued from an SOP request is verified like a subdomain request's: its code opens
the public page /verify/<code> and answers GET /api/v1/verify/<code> with the number, the
kind, the issue date, the OPD and whether the stored PDF still has the hash kept at issue.
Tarakan's consultation SOP refuses at the Kadis's decision, so a refusal letter comes fast."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provisioner.config import Settings
from provisioner.store.repositories import procedures as procedures_repo
from tests.sop_support import (
    AGENCY,
    PDF,
    act,
    approve_waiting,
    attach,
    auth,
    open_request,
    sop_client,
)

pytestmark = pytest.mark.lab

REASON = "Aplikasi serupa sudah tersedia di Kementerian Dalam Negeri"


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    yield from sop_client(lab, tmp_path_factory.mktemp("sop-verify"))


def refused_consultation(api: TestClient) -> dict[str, Any]:
    """A consultation taken to the Kadis's decision, refused, and its letter approved."""
    view = open_request(api, "consultation", {})
    pid = view["id"]
    assert view["sop_key"] == "tarakan-konsultasi"
    attach(api, pid, "request_letter")
    act(api, pid, "request_letter", "opd")
    attach(api, pid, "disposition_sheet", who="umum")
    act(api, pid, "registration", "umum", agenda_number="AG-0042/2026")
    act(api, pid, "disposition", "kadis", instruction="Kaji kebutuhannya", assignee="kabid")
    act(api, pid, "review", "kabid", prepared_website="-", follow_up_data="Kebutuhan data OPD")
    view = act(api, pid, "decision", "kadis", outcome="reject", note=REASON)
    assert view["ended"] == "rejected"
    view = approve_waiting(api, pid)
    letter = view["letters"][-1]
    assert letter["kind"] == "refusal" and letter["number"] and letter["verification_code"]
    return letter


@pytest.fixture(scope="module")
def refusal(api: TestClient) -> dict[str, Any]:
    return refused_consultation(api)


def test_the_api_verifies_an_sop_letters_code(api: TestClient, refusal: dict[str, Any]) -> None:
    code = refusal["verification_code"]
    r = api.get(f"/api/v1/verify/{code}")  # public: no credentials
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == code and body["number"] == refusal["number"]
    assert body["kind"] == "refusal" and body["kind_name"] == "Surat penolakan / Refusal letter"
    assert body["source"] == "sop"
    assert body["opd"] == AGENCY and body["addressee"] == f"Kepala {AGENCY}"
    assert body["issued_at"] is not None and body["issued_at"][:10] == refusal["approved_at"][:10]
    assert body["code_ok"] and body["file_ok"] and body["valid"]
    assert body["signature_ok"] is True  # signed like a subdomain letter: HMAC over its hash
    assert len(body["sha256"]) == 64
    # The code as typed by hand: lower case and spaces around it.
    again = api.get(f"/api/v1/verify/%20{code.lower()}%20")
    assert again.status_code == 200 and again.json()["number"] == refusal["number"]


def test_the_public_page_shows_the_sop_letter(api: TestClient, refusal: dict[str, Any]) -> None:
    code = refusal["verification_code"]
    page = api.get(f"/verify/{code}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "SAH —" in html and "TIDAK SAH" not in html
    assert f'id="letter-number">{refusal["number"]}<' in html
    assert 'id="letter-kind">Surat penolakan<' in html
    assert f'id="letter-opd">{AGENCY}<' in html
    assert 'id="letter-file">cocok<' in html
    assert 'id="letter-issued">' in html


def test_an_uploaded_copy_is_compared_with_the_issued_sop_letter(
    api: TestClient, refusal: dict[str, Any]
) -> None:
    code = refusal["verification_code"]
    pdf = api.get(refusal["download_url"], headers=auth(api, "opd"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    same = api.post(
        f"/verify/{code}", files={"file": ("surat.pdf", pdf.content, "application/pdf")}
    )
    assert same.status_code == 200 and 'id="upload-result"' in same.text
    assert "COCOK" in same.text and "TIDAK COCOK" not in same.text
    flipped = bytearray(pdf.content)  # one bit in the middle of the PDF
    flipped[len(flipped) // 2] ^= 0x01
    altered = bytes(flipped)
    other = api.post(f"/verify/{code}", files={"file": ("surat.pdf", altered, "application/pdf")})
    assert other.status_code == 200 and "TIDAK COCOK" in other.text


def test_a_wrong_code_is_not_found(api: TestClient, refusal: dict[str, Any]) -> None:
    wrong = "0000-0000-0000-0000"
    assert wrong != refusal["verification_code"]
    r = api.get(f"/api/v1/verify/{wrong}")
    assert r.status_code == 404 and " / " in r.json()["detail"]
    page = api.get(f"/verify/{wrong}")
    assert page.status_code == 404 and 'id="verify-result"' in page.text
    assert refusal["number"] not in page.text


def test_a_draft_has_no_code_to_verify(api: TestClient) -> None:
    view = open_request(api, "consultation", {})
    pid = view["id"]
    attach(api, pid, "request_letter")
    act(api, pid, "request_letter", "opd")
    attach(api, pid, "disposition_sheet", who="umum")
    act(api, pid, "registration", "umum", agenda_number="AG-0043/2026")
    act(api, pid, "disposition", "kadis", instruction="Kaji", assignee="kabid")
    act(api, pid, "review", "kabid", prepared_website="-", follow_up_data="Data")
    view = act(api, pid, "decision", "kadis", outcome="reject", note=REASON)
    draft = view["letters"][-1]
    assert draft["number"] is None and draft["verification_code"] is None
    # (approved here so the inbox holds no draft of this module's other requests)
    approve_waiting(api, pid)


def test_a_changed_file_is_shown_as_changed(api: TestClient) -> None:
    """The stored PDF altered after issue: the code still recomputes, the file does not."""
    fresh = refused_consultation(api)
    services = api.services  # type: ignore[attr-defined]
    with services.store.read() as s:
        row = procedures_repo.letter_by_code(s, fresh["verification_code"])
        assert row is not None and row.pdf_path
        path = Path(row.pdf_path)
    path.write_bytes(path.read_bytes() + b"\n% changed after issue\n")
    body = api.get(f"/api/v1/verify/{fresh['verification_code']}").json()
    assert body["code_ok"] and not body["file_ok"] and not body["valid"]
    page = api.get(f"/verify/{fresh['verification_code']}")
    assert page.status_code == 200 and "TIDAK SAH" in page.text


def test_a_file_changed_with_its_stored_hash_fails_the_signature(api: TestClient) -> None:
    """Both the PDF and the hash kept for it changed: the file matches its hash again, but
    provisioner's HMAC over number + hash no longer does."""
    fresh = refused_consultation(api)
    services = api.services  # type: ignore[attr-defined]
    with services.store.session() as s:
        row = procedures_repo.letter_by_code(s, fresh["verification_code"])
        assert row is not None and row.pdf_path and row.signature
        path = Path(row.pdf_path)
        forged = path.read_bytes() + b"\n% forged\n"
        path.write_bytes(forged)
        row.sha256 = hashlib.sha256(forged).hexdigest()
    body = api.get(f"/api/v1/verify/{fresh['verification_code']}").json()
    assert body["file_ok"] and body["signature_ok"] is False and not body["valid"]


def test_the_tte_signed_letter_is_kept_once_as_the_letter_of_record(api: TestClient) -> None:
    letter = refused_consultation(api)
    url = f"/api/v1/procedures/{letter['procedure_id']}/letters/{letter['id']}/record"

    def put(who: str, data: bytes, name: str = "tte.pdf") -> Any:
        return api.put(url, files={"file": (name, data, "application/pdf")},
                       headers=auth(api, who))  # fmt: skip

    assert put("opd-other", PDF).status_code == 403  # another agency's letter
    assert put("teknis", PDF).status_code == 403  # not a role that records letters
    bad = put("opd", b"<html>%PDF-1.7 not a pdf</html>", "tte.html")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "file"
    kept = put("opd", PDF)
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert body["record_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["record_uploaded_by"] == "opd" and body["record_url"]
    assert put("opd", PDF).status_code == 409  # once
    got = api.get(body["record_url"], headers=auth(api, "kadis"))
    assert got.status_code == 200 and got.content == PDF
    shown = api.get(f"/api/v1/procedures/{letter['procedure_id']}", headers=auth(api, "opd"))
    assert shown.json()["letters"][-1]["record_sha256"] == body["record_sha256"]
