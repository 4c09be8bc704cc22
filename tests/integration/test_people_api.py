"""The people side through the HTTP API on the real lab (names are checked against the
lab's name servers): sign-in, cookies, CSRF, roles, revisions, uploads, change requests,
the letter approval, SLA clocks, admin and audit. The worker is off: approved jobs are
only queued, so nothing here touches a server."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from api.session import SESSION_COOKIE, CsrfProtect
from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.domain.states import RequestState
from provisioner.store.models.base import utcnow
from provisioner.store.models.letters import Letter
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.people.users import add_user
from tests.pdf_samples import one_page_pdf

pytestmark = pytest.mark.lab
PASSWORD = "Kominfo-Demo-2026"
PDF = one_page_pdf()  # a real PDF: uploads are parsed, not sniffed


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("people")
    settings = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                        secret_key="people-" + "s" * 28, upload_max_bytes=64 * 1024)
    services = build_container(settings)
    tokens = {
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan", password=PASSWORD),
        "opd2": add_user(services.store, "opd2", Role.OPD, "Dinas Pendidikan"),
        "net": add_user(services.store, "net", Role.NETWORK, None, password=PASSWORD),
        "net2": add_user(services.store, "net2", Role.NETWORK, None),
        "tech": add_user(services.store, "tech", Role.TECHNICAL, None),
        "kadis": add_user(services.store, "kadis", Role.APPROVER, None),
        "admin": add_user(services.store, "admin", Role.ADMIN, None),
    }
    app = serve_app(services, run_worker=False, run_scheduler=False)
    probe = APIRouter(dependencies=[CsrfProtect])  # stands for a web page's form handler

    @probe.post("/_probe/form")
    def _form() -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(probe)
    with TestClient(app) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        client.services = services  # type: ignore[attr-defined]
        yield client
    services.store.dispose()


def auth(client: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[who]}"}  # type: ignore[attr-defined]


def body(label: str, **over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Situs resmi Dinas Kesehatan",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/1234/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": False, "target_address": "127.0.2.12",
        "contact_nip": "198503152010012003", "contact_position": "Kepala Seksi",
        "contact_rank": "Penata (III/c)", "site_kind": "official",
    }  # fmt: skip
    b.update(over)
    return b


def submit(api: TestClient, **over: Any) -> dict[str, Any]:
    label = over.pop("label", f"ppl-{secrets.token_hex(3)}")
    r = api.post("/api/v1/requests", json=body(label, **over), headers=auth(api, "opd"))
    assert r.status_code == 201, r.text
    return r.json()


# --- sign-in, cookies, CSRF -------------------------------------------------------------


def test_login_sets_a_hardened_cookie_and_returns_the_csrf_token(api: TestClient) -> None:
    client = TestClient(api.app)
    r = client.post("/api/v1/auth/login", json={"username": "opd", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http in the test; Secure when https
    me = client.get("/api/v1/auth/me").json()
    assert me["username"] == "opd" and me["csrf_token"] == r.json()["csrf_token"]


def test_wrong_password_is_401_with_one_message(api: TestClient) -> None:
    client = TestClient(api.app)
    a = client.post("/api/v1/auth/login", json={"username": "net", "password": "Nope-nope-123"})
    b = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "Nope-nope-123"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_a_session_needs_its_csrf_token_on_every_unsafe_call(api: TestClient) -> None:
    client = TestClient(api.app)
    token = client.post(
        "/api/v1/auth/login", json={"username": "opd", "password": PASSWORD}
    ).json()["csrf_token"]
    new = body(f"csrf-{secrets.token_hex(3)}")
    assert client.post("/api/v1/requests", json=new).status_code == 403
    bad = client.post("/api/v1/requests", json=new, headers={"X-CSRF-Token": "x" * 43})
    assert bad.status_code == 403
    ok = client.post("/api/v1/requests", json=new, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201, ok.text
    # A web form: the token travels as a form field.
    assert client.post("/_probe/form", data={"x": "1"}).status_code == 403
    assert client.post("/_probe/form", data={"csrf_token": token}).json() == {"ok": "yes"}
    # Signing out ends the session for good.
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


# --- request fields and bad input ----------------------------------------------------------


def test_sop_fields_are_kept_and_shown(api: TestClient) -> None:
    req = submit(api)
    assert req["contact_nip"] == "198503152010012003" and req["site_kind"] == "official"
    assert req["contact_rank"] == "Penata (III/c)" and req["request_type"] == "new"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("contact_nip", "12345", "18"),
        ("contact_nip", "198513452010012003", "NIP"),  # month 13
        ("site_kind", "blog", "Pilih salah satu"),
        ("request_type", "rename", "Pilih salah satu"),
        ("letter_date", "kemarin", "Tanggal tidak sah"),
        ("contact_email", "siti-at-dinkes", "e-mail"),
    ],
)
def test_bad_fields_get_422_naming_the_field_in_both_languages(
    api: TestClient, field: str, value: str, words: str
) -> None:
    r = api.post("/api/v1/requests", json=body(f"bad-{secrets.token_hex(3)}", **{field: value}),
                 headers=auth(api, "opd"))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][-1] == field and words in detail["msg"] and " / " in detail["msg"]


def test_a_missing_field_is_named(api: TestClient) -> None:
    b = body("x-missing")
    del b["agency"]
    r = api.post("/api/v1/requests", json=b, headers=auth(api, "opd"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "agency"]
    assert r.json()["detail"][0]["msg"].startswith("Wajib diisi / ")


# --- letter scan ------------------------------------------------------------------------------


def test_letter_scan_must_be_a_small_pdf_and_is_stored_outside_the_web_root(api) -> None:
    req = submit(api)
    url = f"/api/v1/requests/{req['id']}/letter-scan"
    html = api.put(url, files={"file": ("surat.pdf", b"<html>not a pdf</html>", "application/pdf")},
                   headers=auth(api, "opd"))
    assert html.status_code == 422 and html.json()["detail"][0]["loc"][-1] == "file"
    big = PDF[:-7] + b"\0" * (70 * 1024) + b"%%EOF\n"
    too_big = api.put(url, files={"file": ("s.pdf", big, "application/pdf")},
                      headers=auth(api, "opd"))
    assert too_big.status_code == 422 and "KiB" in too_big.json()["detail"][0]["msg"]
    other = api.put(url, files={"file": ("s.pdf", PDF, "application/pdf")},
                    headers=auth(api, "opd2"))
    assert other.status_code == 403
    ok = api.put(url, files={"file": ("s.pdf", PDF, "application/pdf")}, headers=auth(api, "opd"))
    assert ok.status_code == 200 and ok.json()["letter_scan_sha256"]
    settings = api.services.settings  # type: ignore[attr-defined]
    stored = list(settings.uploads_dir.glob(f"{req['ticket']}*.pdf"))
    assert stored and stored[0].read_bytes() == PDF
    assert settings.data_dir in stored[0].parents
    assert api.get(url, headers=auth(api, "net")).content == PDF


# --- revision and SLA -------------------------------------------------------------------------


def test_return_for_revision_stops_the_clock_and_the_opd_resubmits(api: TestClient) -> None:
    req = submit(api)
    rid = req["id"]
    no_note = api.post(f"/api/v1/requests/{rid}/return", json={"note": ""},
                       headers=auth(api, "net"))
    assert no_note.status_code == 422
    assert api.post(f"/api/v1/requests/{rid}/return", json={"note": "Lampirkan surat"},
                    headers=auth(api, "opd")).status_code == 403
    back = api.post(f"/api/v1/requests/{rid}/return", json={"note": "Lampirkan surat resmi"},
                    headers=auth(api, "net"))
    assert back.status_code == 200 and back.json()["state"] == "returned"
    assert back.json()["state_label"].startswith("Dikembalikan")
    clocks = {c["step"]: c for c in api.get(f"/api/v1/requests/{rid}/sla",
                                           headers=auth(api, "opd")).json()}
    assert clocks["availability"]["paused"] and clocks["availability"]["due_at"] is None
    again = api.post(f"/api/v1/requests/{rid}/resubmit",
                     json=body(req["label"], purpose="Situs resmi, surat terlampir"),
                     headers=auth(api, "opd"))
    assert again.status_code == 200, again.text
    assert again.json()["state"] == "submitted" and again.json()["purpose"].endswith("terlampir")
    clocks = {c["step"]: c for c in api.get(f"/api/v1/requests/{rid}/sla",
                                           headers=auth(api, "opd")).json()}
    assert not clocks["availability"]["paused"] and clocks["availability"]["due_at"]


# --- roles on real calls ---------------------------------------------------------------------


def test_who_may_approve_and_nobody_twice(api: TestClient) -> None:
    req = submit(api)
    rid = req["id"]
    for who in ("opd", "tech", "kadis"):
        refused = api.post(f"/api/v1/requests/{rid}/approve", headers=auth(api, who))
        assert refused.status_code == 403
    assert api.get(f"/api/v1/requests/{rid}", headers=auth(api, "opd2")).status_code == 403
    assert api.post(f"/api/v1/requests/{rid}/verify", headers=auth(api, "opd")).status_code == 403
    verified = api.post(f"/api/v1/requests/{rid}/verify", headers=auth(api, "net"))
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    clocks = {c["step"]: c for c in api.get(f"/api/v1/requests/{rid}/sla",
                                           headers=auth(api, "net")).json()}
    assert clocks["disposition"]["ended_at"] and clocks["availability"]["ended_at"] is None
    first = api.post(f"/api/v1/requests/{rid}/approve", headers=auth(api, "net"))
    assert first.status_code == 202, first.text
    second = api.post(f"/api/v1/requests/{rid}/approve", headers=auth(api, "net2"))
    assert second.status_code == 409


def _make_live(api: TestClient, request_id: int) -> None:
    """Test setup: a site that went live (the provisioning itself is the e2e test's)."""
    with api.services.store.session() as s:  # type: ignore[attr-defined]
        req = requests_repo.get_request(s, request_id)
        req.state, req.live_at = RequestState.LIVE, utcnow()


def test_letter_approval_is_the_approvers_alone(api: TestClient) -> None:
    req = submit(api)
    rid = req["id"]
    url = f"/api/v1/requests/{rid}/letter/approve"
    assert api.post(url, headers=auth(api, "kadis")).status_code == 409  # no letter yet
    with api.services.store.session() as s:  # type: ignore[attr-defined]
        s.add(Letter(request_id=rid, number=f"000.8.3.3/{rid}/TEST/XI/2026", year=2099,
                     serial=rid, pdf_path="/nonexistent.pdf", sha256="0" * 64,
                     verification_code=secrets.token_hex(8)))
    for who in ("net", "tech", "admin", "opd"):
        assert api.post(url, headers=auth(api, who)).status_code == 403
    ok = api.post(url, headers=auth(api, "kadis"))
    assert ok.status_code == 200 and ok.json()["letter_approved_by"] == "kadis"
    assert api.post(url, headers=auth(api, "kadis")).status_code == 409


# --- change requests --------------------------------------------------------------------------


def test_change_of_the_person_responsible(api: TestClient) -> None:
    site = submit(api)
    _make_live(api, site["id"])
    change = submit(api, label=site["label"], request_type="change_contact",
                    contact_name="Budi Santoso", contact_email="budi@dinkes.demokab.go.id",
                    contact_nip="197901012005011002")
    assert change["subject_request_id"] == site["id"] and change["state"] == "submitted"
    plan = api.get(f"/api/v1/requests/{change['id']}/plan", headers=auth(api, "net")).json()
    assert "Budi Santoso" in plan["summary"][0]
    done = api.post(f"/api/v1/requests/{change['id']}/approve", headers=auth(api, "net"))
    assert done.status_code == 202 and done.json()["state"] == "completed"
    after = api.get(f"/api/v1/requests/{site['id']}", headers=auth(api, "opd")).json()
    assert after["contact_name"] == "Budi Santoso" and after["contact_nip"] == "197901012005011002"


def test_change_request_needs_a_live_site_of_the_same_agency(api: TestClient) -> None:
    r = api.post("/api/v1/requests", json=body("tidak-ada-situs", request_type="change_contact"),
                 headers=auth(api, "opd"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "label"


def test_deactivation_queues_the_retire_job(api: TestClient) -> None:
    site = submit(api)
    _make_live(api, site["id"])
    change = submit(api, label=site["label"], request_type="deactivate",
                    purpose="Situs tidak dipakai lagi")
    done = api.post(f"/api/v1/requests/{change['id']}/approve", headers=auth(api, "net"))
    assert done.status_code == 202, done.text
    assert done.json()["state"] == "completed"
    jobs = api.get(f"/api/v1/requests/{site['id']}", headers=auth(api, "net")).json()["jobs"]
    assert [j["kind"] for j in jobs] == ["retire"] and jobs[0]["state"] == "queued"
    job_id = jobs[0]["id"]
    assert api.post(f"/api/v1/jobs/{job_id}/cancel", headers=auth(api, "tech")).status_code == 202


# --- admin and audit ---------------------------------------------------------------------------


def test_admin_manages_users_and_a_disabled_user_is_locked_out(api: TestClient) -> None:
    name = f"u{secrets.token_hex(3)}"
    weak = api.post("/api/v1/admin/users", json={"username": name, "role": "network",
                                                 "password": "short"}, headers=auth(api, "admin"))
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"][-1] == "password"
    made = api.post("/api/v1/admin/users", json={"username": name, "role": "network",
                                                 "password": PASSWORD}, headers=auth(api, "admin"))
    assert made.status_code == 201
    token = made.json()["token"]
    me = api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "network"
    assert api.get("/api/v1/admin/users", headers=auth(api, "net")).status_code == 403
    assert api.post(f"/api/v1/admin/users/{name}/disable",
                    headers=auth(api, "admin")).status_code == 204
    assert api.get("/api/v1/auth/me",
                   headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_audit_is_chained_exportable_and_for_auditors_only(api: TestClient) -> None:
    submit(api)
    for who in ("opd", "net", "tech"):
        assert api.get("/api/v1/audit/verify", headers=auth(api, who)).status_code == 403
    verdict = api.get("/api/v1/audit/verify", headers=auth(api, "kadis")).json()
    assert verdict["ok"] and verdict["entries"] > 5, verdict
    rows = api.get("/api/v1/audit/export?format=json", headers=auth(api, "admin")).json()
    submitted = [r for r in rows if r["action"] == "request:submitted"]
    assert submitted and submitted[-1]["client_ip"] == "testclient"
    assert submitted[-1]["after"] == {"state": "submitted"} and submitted[-1]["actor"] == "opd"
    csv_text = api.get("/api/v1/audit/export?format=csv", headers=auth(api, "kadis")).text
    assert csv_text.startswith("seq,at,actor,action") and rows[-1]["hash"] in csv_text
