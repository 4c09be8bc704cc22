"""Driving a request through its SOP over the HTTP API, as each role would: the app on the
real lab with one user per role, and helpers to open, attach, act, approve and read letters
(rendered PDFs read back with pdftotext), and to take the subdomain / hosting request a
hardware step runs on to live through the existing API (what the teardown takes back)."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.workflow.people.users import add_user
from tests.pdf_samples import one_page_pdf

PDF = one_page_pdf()
AGENCY = "Dinas Kesehatan"
# One account per SOP role; the team roles act for `team`.
USERS: dict[str, tuple[Role, str | None]] = {
    "opd": (Role.OPD, AGENCY),
    "opd-other": (Role.OPD, "Dinas Pendidikan"),
    "umum": (Role.ADMIN, None),
    "kadis": (Role.APPROVER, None),
    "kabid": (Role.KABID, None),
    "jaringan": (Role.NETWORK, None),
    "teknis": (Role.TECHNICAL, None),
    "analis": (Role.TECHNICAL, None),
    "pemrogram": (Role.TECHNICAL, None),
}
# Full names, as letters that appoint someone give them.
FULL_NAMES = {
    "teknis": "Rahmat Hidayat, S.Kom.", "analis": "Nur Aisyah, S.Kom.",
    "pemrogram": "Yusuf Pratama, S.T.", "jaringan": "Dewi Lestari, S.T.",
}  # fmt: skip
# Jobs whose changes the teardown takes back, newest first.
UNDOABLE_JOBS = frozenset({"provision", "provision_dev", "provision_prod"})
# Who acts for each SOP role in these tests.
ACTS_FOR = {
    "opd": "opd", "secretariat": "umum", "kadis": "kadis", "kabid": "kabid", "team": "teknis",
    "network": "jaringan", "technical": "teknis", "developer": "teknis",
}  # fmt: skip


def sop_client(settings: Settings, data_dir: Path, **over: Any) -> Iterator[TestClient]:
    """The service on `data_dir` with one user per role (worker off unless asked)."""
    run_worker = over.pop("run_worker", False)
    cfg = Settings(data_dir=data_dir, lab_path=settings.lab_dir, environment="lab",
                   secret_key="sop-tests-" + "s" * 24, **over)  # fmt: skip
    services = build_container(cfg)
    tokens = {name: add_user(services.store, name, role, agency, FULL_NAMES.get(name, ""))
              for name, (role, agency) in USERS.items()}  # fmt: skip
    app = serve_app(services, run_worker=run_worker, run_scheduler=False)
    jobs: list[dict[str, Any]] = []
    with TestClient(app) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        client.services = services  # type: ignore[attr-defined]
        client.sites = []  # type: ignore[attr-defined]  # requests the teardown takes back
        try:
            yield client
        finally:
            for rid in client.sites:  # type: ignore[attr-defined]
                r = client.get(f"/api/v1/requests/{rid}", headers=auth(client, "teknis"))
                jobs += r.json()["jobs"] if r.status_code == 200 else []
    try:
        for job in sorted(jobs, key=lambda j: j["id"], reverse=True):
            if job["kind"] in UNDOABLE_JOBS:
                services.runner.undo(job["id"])
    finally:
        services.store.dispose()


def auth(client: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens[who]}"}  # type: ignore[attr-defined]


def open_request(
    client: TestClient, request_type: str, fields: dict[str, str], **over: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_type": request_type, "title": "Sistem Informasi Layanan Puskesmas",
        "agency": AGENCY, "request_letter_number": "400.7/321/DINKES/2026",
        "request_letter_date": date.today().isoformat(), "fields": fields,
    }  # fmt: skip
    body.update(over)
    r = client.post("/api/v1/procedures", json=body, headers=auth(client, "opd"))
    assert r.status_code == 201, r.text
    return r.json()


def attach(client: TestClient, pid: int, kind: str, who: str = "opd") -> dict[str, Any]:
    r = client.post(f"/api/v1/procedures/{pid}/documents", data={"kind": kind},
                    files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
                    headers=auth(client, who))  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


def act(
    client: TestClient,
    pid: int,
    step: str,
    who: str,
    outcome: str = "done",
    note: str = "",
    expect: int = 200,
    **fields: str,
) -> dict[str, Any]:
    r = client.post(f"/api/v1/procedures/{pid}/steps/{step}",
                    json={"outcome": outcome, "note": note, "fields": fields},
                    headers=auth(client, who))  # fmt: skip
    assert r.status_code == expect, r.text
    return r.json()


def current(view: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in view["steps"] if s["key"] == view["current_step"])


def approve_waiting(client: TestClient, pid: int) -> dict[str, Any]:
    """The Kepala Dinas approves this request's one waiting draft from the inbox."""
    inbox = client.get("/api/v1/sop-letters/waiting", headers=auth(client, "kadis"))
    assert inbox.status_code == 200, inbox.text
    mine = [x for x in inbox.json() if x["procedure_id"] == pid]
    assert len(mine) == 1, inbox.json()
    r = client.post(f"/api/v1/procedures/{pid}/letters/{mine[0]['id']}/approve",
                    headers=auth(client, "kadis"))  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


def letter_text(client: TestClient, letter: dict[str, Any], tmp_path: Path) -> str:
    """The issued letter's PDF read back as text."""
    r = client.get(letter["download_url"], headers=auth(client, "opd"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:200]
    pdf = tmp_path / f"letter-{letter['id']}.pdf"
    pdf.write_bytes(r.content)
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    # A name such as "held-c4ca5b.demokab.go.id" may wrap after its own hyphen: a line that
    # ends in "-" goes on in the next one without a space.
    return " ".join(re.sub(r"-[ \t]*\n\s*", "-", out.stdout).split())


def view(client: TestClient, pid: int, who: str = "opd") -> dict[str, Any]:
    """The request under its SOP (reading it finishes a hardware step whose job is done)."""
    r = client.get(f"/api/v1/procedures/{pid}", headers=auth(client, who))
    assert r.status_code == 200, r.text
    return r.json()


def link(client: TestClient, pid: int, request_id: int) -> dict[str, Any]:
    """The OPD names the subdomain / hosting request the SOP's hardware steps run on."""
    r = client.post(f"/api/v1/procedures/{pid}/request", json={"request_id": request_id},
                    headers=auth(client, "opd"))  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


def new_label(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def subdomain_body(label: str, *, hosting: bool) -> dict[str, Any]:
    """A new subdomain request: DNS only (to production's address), or hosting of the lab's
    sample application (repository `sample-app` on the lab's git server)."""
    body: dict[str, Any] = {
        "label": label, "agency": AGENCY, "purpose": "Situs resmi Dinas Kesehatan",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/1234/DINKES/2026", "letter_date": date.today().isoformat(),
        "contact_nip": "198503152010012003", "contact_position": "Kepala Seksi",
        "contact_rank": "Penata (III/c)", "site_kind": "official", "hosting": hosting,
    }  # fmt: skip
    body.update({"repo": "sample-app", "branch": "main"} if hosting else
                {"target_address": "127.0.2.12"})  # fmt: skip
    return body


def submit_subdomain(client: TestClient, label: str, *, hosting: bool = False) -> dict[str, Any]:
    """The OPD submits the request through the existing API (its teardown is registered)."""
    r = client.post("/api/v1/requests", json=subdomain_body(label, hosting=hosting),
                    headers=auth(client, "opd"))  # fmt: skip
    assert r.status_code == 201, r.text
    client.sites.append(r.json()["id"])  # type: ignore[attr-defined]
    return r.json()


def approve_subdomain(client: TestClient, request_id: int) -> int:
    """The network team approves the plan it was shown (its checksum); the job's id."""
    plan = client.get(f"/api/v1/requests/{request_id}/plan", headers=auth(client, "jaringan"))
    assert plan.status_code == 200, plan.text
    r = client.post(f"/api/v1/requests/{request_id}/approve",
                    json={"checksum": plan.json()["checksum"]},
                    headers=auth(client, "jaringan"))  # fmt: skip
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def wait_request(
    client: TestClient, request_id: int, states: set[str], timeout: float = 300
) -> dict[str, Any]:
    """Wait for the worker to take the request to one of `states` (a failure ends it)."""
    deadline = time.monotonic() + timeout
    while True:
        req = client.get(f"/api/v1/requests/{request_id}", headers=auth(client, "opd")).json()
        if req["state"] in states:
            return req
        assert req["state"] != "failed", req
        assert time.monotonic() < deadline, f"request {request_id} stuck in {req['state']}"
        time.sleep(0.5)


def live_request(client: TestClient, label: str, *, hosting: bool) -> dict[str, Any]:
    """Submit, approve and wait until the site is live."""
    req = submit_subdomain(client, label, hosting=hosting)
    approve_subdomain(client, req["id"])
    return wait_request(client, req["id"], {"live", "letter_issued"})


@pytest.fixture
def noop() -> None:
    """(keeps pytest from collecting this module's helpers as tests)"""
