"""The whole path through the HTTP API on the real lab: an OPD submits, the network team
approves the shown plan, the job provisions DNS, database, vhosts, deploys to dev, checks,
promotes the same commit to production, checks again, and issues the letter.
Verified with independent clients: dig against ns2, raw HTTP to web-prod, pdftotext."""

from __future__ import annotations

import secrets
import subprocess
import time
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient

from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("e2e")
    settings = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                        secret_key="e2e-" + "s" * 28)
    services = build_container(settings)
    tokens = {
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan"),
        "net": add_user(services.store, "net", Role.NETWORK, None),
        "tech": add_user(services.store, "tech", Role.TECHNICAL, None),
    }
    app = serve_app(services, run_worker=True, run_scheduler=False)
    with TestClient(app) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        client.services = services  # type: ignore[attr-defined]
        yield client
    jobs_to_undo = getattr(client, "undo", [])
    for job_id in jobs_to_undo:
        services.runner.undo(job_id)
    services.store.dispose()


def auth(client: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[who]}"}  # type: ignore[attr-defined]


def request_body(label: str, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Situs resmi Dinas Kesehatan",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/1234/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": True, "repo": "sample-app", "branch": "main",
    }
    body.update(over)
    return body


def wait_for(client: TestClient, request_id: int, states: set[str], timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        req = client.get(f"/api/v1/requests/{request_id}", headers=auth(client, "opd")).json()
        if req["state"] in states:
            return req
        time.sleep(0.5)
    raise AssertionError(f"request {request_id} stuck in {req['state']}: {req}")


def dig(server: str, name: str) -> str:
    out = subprocess.run(["dig", f"@{server}", name, "A", "+short", "+time=2", "+tries=1"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_request_to_live_site_and_letter(api: TestClient) -> None:
    label = f"e2e-{secrets.token_hex(3)}"
    fqdn = f"{label}.demokab.go.id"

    avail = api.get(f"/api/v1/names/{label}/availability").json()
    assert avail["available"] is True, avail
    assert set(avail["nameservers"]) == {"ns1.demokab.go.id", "ns2.demokab.go.id"}

    created = api.post("/api/v1/requests", json=request_body(label), headers=auth(api, "opd"))
    assert created.status_code == 201, created.text
    req = created.json()
    assert req["state"] == "submitted" and req["ticket"].startswith("SUB-")

    plan = api.get(f"/api/v1/requests/{req['id']}/plan", headers=auth(api, "net")).json()
    assert any(fqdn in line and "127.0.2.12" in line for line in plan["summary"])

    approved = api.post(f"/api/v1/requests/{req['id']}/approve",
                        json={"checksum": plan["checksum"]}, headers=auth(api, "net"))
    assert approved.status_code == 202, approved.text
    job_id = approved.json()["id"]
    api.undo = [job_id]  # type: ignore[attr-defined]

    final = wait_for(api, req["id"], {"letter_issued", "failed"})
    assert final["state"] == "letter_issued", final["failure"]
    assert final["decided_by"] == "net" and final["decided_at"]
    assert final["commit_sha"] and len(final["commit_sha"]) == 40

    # Independent clients: the secondary name server, raw HTTP to production, the PDF.
    assert dig("127.0.2.54", fqdn) == "127.0.2.12"
    assert dig("127.0.2.54", f"{label}.dev.demokab.go.id") == "127.0.2.11"
    page = httpx.get("http://127.0.2.12/", headers={"Host": fqdn}, timeout=5)
    assert page.status_code == 200 and "provisioner-sample-app" in page.text
    dev_page = httpx.get("http://127.0.2.11/", headers={"Host": f"{label}.dev.demokab.go.id"})
    assert dev_page.status_code == 200

    letter = api.get(f"/api/v1/requests/{req['id']}/letter", headers=auth(api, "opd")).json()
    pdf = api.get(letter["download_url"], headers=auth(api, "opd"))
    assert pdf.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                          check=True).stdout.decode()
    assert fqdn in text and letter["number"] in text and final["commit_sha"][:12] in text

    status = api.get(f"/api/v1/status/{fqdn}").json()
    assert status["live"] is True and status["http"]["status"] == 200
    assert all(a == ["127.0.2.12"] for a in status["nameservers"].values())

    # The lab configures an ACME CA (pebble), so production also got its certificate.
    assert status["tls"]["ok"] and status["tls"]["not_after"], status

    job = api.get(f"/api/v1/jobs/{job_id}", headers=auth(api, "tech")).json()
    steps = {s["name"]: s for s in job["steps"]}
    # The journal of the job graph: the certificate right after dns, beside the dev branch.
    assert list(steps) == ["dns", "cert_prod", "database", "site_dev", "checks_dev", "site_prod",
                           "tls_prod", "checks_prod", "letter"]
    assert all(s["status"] == "done" for s in job["steps"]), job["steps"]
    # database (db host) and site_dev (web-dev) ran side by side: each began before the
    # other ended; checks_dev began only after both.
    db, dev = steps["database"], steps["site_dev"]
    assert db["started_at"] < dev["finished_at"] and dev["started_at"] < db["finished_at"]
    assert steps["checks_dev"]["started_at"] >= max(db["finished_at"], dev["finished_at"])
    assert steps["site_prod"]["outputs"]["commit"] == steps["site_dev"]["outputs"]["commit"]
    assert steps["tls_prod"]["outputs"]["https"] is True

    # The name is now taken: a second request for it is refused with the reason.
    again = api.post("/api/v1/requests", json=request_body(label), headers=auth(api, "opd"))
    assert again.status_code == 409 and fqdn in again.json()["detail"]


def test_taken_and_invalid_names_are_refused_with_reasons(api: TestClient) -> None:
    taken = api.post("/api/v1/requests", json=request_body("www"), headers=auth(api, "opd"))
    assert taken.status_code in (409, 422)
    bad = api.post("/api/v1/requests", json=request_body("Bad_Name"), headers=auth(api, "opd"))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "label"]
    assert "_" in bad.json()["detail"][0]["msg"]
    several = api.post("/api/v1/requests", headers=auth(api, "opd"),
                       json={**request_body("Bad_Name"), "contact_email": "nope", "branch": "a..b"})
    assert several.status_code == 422  # every mistake at once, the label's first
    assert [d["loc"][1] for d in several.json()["detail"]] == ["label", "contact_email", "branch"]
    portal = api.get("/api/v1/names/portal/availability").json()  # valid, but taken
    assert portal["available"] is False and portal["suggestions"]
    www = api.get("/api/v1/names/www/availability")  # reserved by the agency's rules
    assert www.status_code == 422
    assert www.json()["detail"][0]["loc"] == ["path", "label"]
    assert www.json()["suggestions"]
    for bad in ("Bad_Name", "a;b", "xn--caf-dma", "-lead", "12345"):
        answer = api.get(f"/api/v1/names/{bad}/availability")
        assert answer.status_code == 422, bad
        assert all(d["msg"] for d in answer.json()["detail"])


def test_rejection_needs_a_reason_and_releases_the_name(api: TestClient) -> None:
    label = f"rej-{secrets.token_hex(3)}"
    req = api.post("/api/v1/requests", json=request_body(label), headers=auth(api, "opd")).json()
    no_reason = api.post(f"/api/v1/requests/{req['id']}/reject", json={"reason": ""},
                         headers=auth(api, "net"))
    assert no_reason.status_code == 422
    opd_rejects = api.post(f"/api/v1/requests/{req['id']}/reject",
                           json={"reason": "bukan wewenang"}, headers=auth(api, "opd"))
    assert opd_rejects.status_code == 403
    done = api.post(f"/api/v1/requests/{req['id']}/reject",
                    json={"reason": "Nama tidak sesuai nomenklatur"}, headers=auth(api, "net"))
    assert done.status_code == 200 and done.json()["state"] == "rejected"
    assert api.get(f"/api/v1/names/{label}/availability").json()["available"] is True
