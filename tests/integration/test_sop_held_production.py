"""An SOP that installs on the development server as a step of its own holds production:
the approved hosting request is provisioned up to the dev checks only, the SOP's human steps
(UAT) follow, and the technical team's production step releases the same commit to
production as its own job — against the real lab, the sites asked over HTTP."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from provisioner.config import Settings
from provisioner.store.repositories import jobs as jobs_repo
from tests.sop_support import act, approve_waiting, auth, letter_text, open_request, sop_client

pytestmark = pytest.mark.lab

# An agency's own SOP, written by its admin: dev first, UAT, then production.
DEV_FIRST = """
key: uji-dev-dulu
version: 1
request_type: application_development
name: {id: "Pengembangan aplikasi: uji di dev dahulu", en: "Application: dev first"}
source: "SOP uji Diskominfo Kabupaten Demo"
service_hours:
  tz: Asia/Makassar
  days: {mon: "08:00-16:00", tue: "08:00-16:00", wed: "08:00-16:00", thu: "08:00-16:00",
         fri: "08:00-16:30"}
fields:
  uat_result: {name: {id: "Hasil UAT", en: "UAT result"}}
steps:
  - key: install_dev
    name: {id: "Instalasi dan uji di server pengembangan", en: "Install and test on dev"}
    role: team
    limit: 3d
    output: {job: dev_install}
  - key: uat
    name: {id: "User acceptance test oleh OPD", en: "User acceptance test by the OPD"}
    role: opd
    limit: 3d
    requires: {fields: [uat_result]}
    output: {record: uat}
  - key: production
    name: {id: "Deploy ke server produksi", en: "Deploy to production"}
    role: technical
    limit: 1d
    output: {job: production}
  - key: recommendation
    name: {id: "Surat rekomendasi", en: "Recommendation letter"}
    role: kadis
    limit: 1d
    output: {letter: recommendation}
"""


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    yield from sop_client(lab, tmp_path_factory.mktemp("held"))


def run_queued(api: TestClient, job_id: int) -> str:
    """Run one queued job in this thread, as a worker thread does."""
    services = api.services  # type: ignore[attr-defined]
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, services.runner.worker_id)
    return str(services.runner.run(job_id))


def home(address: str, fqdn: str) -> int:
    return httpx.get(f"http://{address}/", headers={"Host": fqdn}, timeout=5,
                     trust_env=False).status_code  # fmt: skip


def test_production_waits_for_the_sop_then_the_same_commit_is_released(
    api: TestClient, lab: Settings, tmp_path: Path
) -> None:
    r = api.put("/api/v1/sops/uji-dev-dulu", headers=auth(api, "umum"),
                json={"definition": DEV_FIRST})  # fmt: skip
    assert r.status_code == 200, r.text
    label = f"held-{secrets.token_hex(3)}"
    fqdn, dev_fqdn = f"{label}.demokab.go.id", f"{label}.dev.demokab.go.id"
    created = api.post("/api/v1/requests", headers=auth(api, "opd"), json={
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Aplikasi antrean puskesmas",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/77/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": True, "repo": "sample-app", "branch": "main"})  # fmt: skip
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    api.sites.append(request_id)  # type: ignore[attr-defined]  # taken back afterwards
    view = open_request(api, "application_development", {}, sop_key="uji-dev-dulu",
                        request_id=request_id)  # fmt: skip
    pid = view["id"]
    # Nobody finishes a job step by hand.
    assert act(api, pid, "install_dev", "teknis", expect=409)

    plan = api.get(f"/api/v1/requests/{request_id}/plan", headers=auth(api, "jaringan")).json()
    approved = api.post(f"/api/v1/requests/{request_id}/approve", headers=auth(api, "jaringan"),
                        json={"checksum": plan["checksum"]})  # fmt: skip
    assert approved.status_code == 202, approved.text
    dev_job = approved.json()
    assert dev_job["kind"] == "provision_dev"
    assert "site_prod" not in [s["name"] for s in dev_job["steps"]]
    assert run_queued(api, dev_job["id"]) == "done"

    req = api.get(f"/api/v1/requests/{request_id}", headers=auth(api, "opd")).json()
    assert req["state"] == "dev_ready"
    assert home(lab.web_dev_address, dev_fqdn) == 200
    assert home(lab.web_prod_address, fqdn) == 404  # the catch-all: no production site yet
    view = api.get(f"/api/v1/procedures/{pid}", headers=auth(api, "opd")).json()
    assert view["current_step"] == "uat"
    assert view["history"][0]["actor"] == "provisioner"
    assert view["history"][0]["fields"]["state"] == "dev_ready"

    # Production is the SOP's to release: promote refuses a held site, an OPD cannot.
    promote = api.post(f"/api/v1/sites/{fqdn}/promote", headers=auth(api, "teknis"))
    assert promote.status_code == 409, promote.text
    early = act(api, pid, "production", "teknis", expect=409)
    assert "production" in str(early) or "produksi" in str(early)
    assert api.post(f"/api/v1/sites/{fqdn}/release", headers=auth(api, "opd")).status_code == 403

    act(api, pid, "uat", "opd", uat_result="Semua skenario UAT diterima")
    view = act(api, pid, "production", "teknis")
    assert view["current_step"] == "production"  # waits for the release job
    jobs = api.get(f"/api/v1/requests/{request_id}", headers=auth(api, "teknis")).json()["jobs"]
    release = next(j for j in jobs if j["kind"] == "provision_prod")
    names = [s["name"] for s in release["steps"]]
    assert names[0] == "source_prod" and names[-2:] == ["checks_prod", "letter"]
    assert {"site_prod", "cert_prod", "tls_prod"} <= set(names)  # the lab's plan names TLS
    assert run_queued(api, release["id"]) == "done"
    assert home(lab.web_prod_address, fqdn) == 200

    # The same commit on both servers.
    jobs = api.get(f"/api/v1/requests/{request_id}", headers=auth(api, "teknis")).json()["jobs"]
    outputs = {s["name"]: s.get("outputs") or {} for j in jobs for s in j["steps"]}
    assert outputs["site_prod"].get("commit") == outputs["site_dev"].get("commit")

    view = api.get(f"/api/v1/procedures/{pid}", headers=auth(api, "opd")).json()
    assert view["current_step"] == "recommendation" and view["request_state"] in (
        "live", "letter_issued")
    act(api, pid, "recommendation", "kadis")
    view = approve_waiting(api, pid)
    assert view["ended"] == "completed"
    text = letter_text(api, view["letters"][-1], tmp_path)
    assert fqdn in text and "hosting" in text.lower()
