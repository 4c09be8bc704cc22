"""The technical team's deploy / promote / rollback and a retirement, through the HTTP API on
the real lab: jobs on the same journal as provisioning, gated like it, refused while the
site is busy, verified with independent clients (raw HTTP to the web hosts, dig, ssh)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provisioner.adapters.ssh import SshClient
from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.workflow.people.users import add_user
from tests.hosting_workflow_support import (
    PROD_ONLY_BROKEN_HEALTH,
    delete_branch,
    get_site,
    new_label,
    push_branch,
)

pytestmark = pytest.mark.lab
PROD, DEV = "127.0.2.12", "127.0.2.11"


class Lab:
    """The API client, the users' tokens, and the site this module works on."""

    def __init__(self, client: TestClient, tokens: dict[str, str], settings: Settings) -> None:
        self.client, self.tokens, self.settings = client, tokens, settings
        self.label = new_label("hwapi")
        self.fqdn = f"{self.label}.demokab.go.id"
        self.request_id = 0
        self.branches: list[str] = []
        self.commits: dict[str, str] = {}

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def post(self, path: str, who: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, json=body, headers=self.auth(who))

    def wait_job(self, job_id: int, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.client.get(f"/api/v1/jobs/{job_id}", headers=self.auth("tech")).json()
            if job["state"] not in ("queued", "running"):
                return job
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} did not end: {job}")

    def request(self) -> dict[str, Any]:
        return self.client.get(f"/api/v1/requests/{self.request_id}",
                               headers=self.auth("opd")).json()

    def prod_head(self) -> str:
        st = self.settings
        root = shlex.quote(f"/var/www/{self.fqdn}/current/")
        with SshClient(PROD, key=st.ssh_key_path, known_hosts=st.known_hosts_path) as c:
            return c.run(f"git -c safe.directory='*' -C {root} rev-parse HEAD").stdout.strip()


@pytest.fixture(scope="module")
def lab_api(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("deploy-api"), lab_path=lab.lab_dir,
                        environment="lab", secret_key="deploy-" + "s" * 28)
    services = build_container(settings)
    tokens = {
        "opd": add_user(services.store, "hw-opd", Role.OPD, "Dinas Kesehatan"),
        "net": add_user(services.store, "hw-net", Role.NETWORK, None),
        "tech": add_user(services.store, "hw-tech", Role.TECHNICAL, None),
    }
    app = serve_app(services, run_worker=True, run_scheduler=False)
    with TestClient(app) as client:
        env = Lab(client, tokens, settings)
        try:
            env.commits["good"] = push_branch(lab, f"{env.label}-good",
                                              {"public/version.txt": "good\n"})
            env.commits["prodfail"] = push_branch(
                lab, f"{env.label}-prodfail", {"public/health.php": PROD_ONLY_BROKEN_HEALTH})
            env.branches += [f"{env.label}-good", f"{env.label}-prodfail"]
            body = {
                "label": env.label, "agency": "Dinas Kesehatan", "purpose": "Uji deploy",
                "contact_name": "Siti", "contact_email": "siti@dinkes.demokab.go.id",
                "letter_number": "400.7/77/DINKES/2026", "letter_date": date.today().isoformat(),
                "hosting": True, "repo": "sample-app", "branch": "main",
            }
            created = env.post("/api/v1/requests", "opd", body)
            assert created.status_code == 201, created.text
            env.request_id = created.json()["id"]
            job = env.post(f"/api/v1/requests/{env.request_id}/approve", "net").json()
            assert env.wait_job(job["id"], 300)["state"] == "done"
            env.main_commit = env.request()["commit_sha"]  # type: ignore[attr-defined]
            yield env
        finally:
            for branch in env.branches:
                delete_branch(lab, branch)
            if env.request_id and env.request()["state"] != "retired":
                for job in env.request()["jobs"]:
                    if job["kind"] == "provision":
                        services.runner.undo(job["id"])
    services.store.dispose()


def test_only_the_technical_team_deploys_and_bad_input_is_named(lab_api: Lab) -> None:
    path = f"/api/v1/sites/{lab_api.fqdn}/deploy"
    assert lab_api.post(path, "opd", {"branch": "main"}).status_code == 403
    assert lab_api.post(path, "net", {"branch": "main"}).status_code == 403
    bad = lab_api.post(path, "tech", {"commit": "abc"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "commit"]
    assert " / " in bad.json()["detail"][0]["msg"]
    unknown = lab_api.post("/api/v1/sites/nope-000.demokab.go.id/deploy", "tech", {})
    assert unknown.status_code == 404


def test_a_broken_branch_stops_on_dev_and_cannot_be_promoted(lab_api: Lab) -> None:
    queued = lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/deploy", "tech",
                          {"branch": "broken-health"})
    assert queued.status_code == 202, queued.text
    job = lab_api.wait_job(queued.json()["id"])
    assert job["kind"] == "deploy" and job["state"] == "failed"
    steps = {s["name"]: s for s in job["steps"]}
    assert steps["checks_dev"]["status"] == "failed" and steps["checks_dev"]["server"] == "web-dev"
    broken = steps["source_dev"]["outputs"]["commit"]
    # Production untouched, the request still has its letter, and the commit is refused.
    assert lab_api.prod_head() == lab_api.main_commit  # type: ignore[attr-defined]
    assert lab_api.request()["state"] == "letter_issued"
    refused = lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/promote", "tech", {"commit": broken})
    assert refused.status_code == 409 and "dev" in refused.json()["detail"]


def test_a_second_deploy_while_one_runs_is_refused(lab_api: Lab) -> None:
    first = lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/deploy", "tech",
                         {"branch": f"{lab_api.label}-good"})
    assert first.status_code == 202
    second = lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/deploy", "tech", {"branch": "main"})
    assert second.status_code == 409
    detail = second.json()["detail"]
    assert lab_api.fqdn in detail and "sedang dikerjakan" in detail and "busy" in detail
    job = lab_api.wait_job(first.json()["id"])
    assert job["state"] == "done", job
    assert get_site(DEV, f"{lab_api.label}.dev.demokab.go.id", "/version.txt").text == "good\n"


def test_promote_puts_the_dev_commit_on_production_and_rollback_takes_it_back(
    lab_api: Lab,
) -> None:
    promoted = lab_api.wait_job(
        lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/promote", "tech").json()["id"])
    assert promoted["state"] == "done", promoted
    assert lab_api.prod_head() == lab_api.commits["good"]
    assert get_site(PROD, lab_api.fqdn, "/version.txt").text == "good\n"

    rolled = lab_api.wait_job(
        lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/rollback", "tech").json()["id"])
    assert rolled["state"] == "done", rolled
    assert [s["name"] for s in rolled["steps"]] == ["rollback_prod", "checks_prod"]
    assert lab_api.prod_head() == lab_api.main_commit  # type: ignore[attr-defined]
    assert get_site(PROD, lab_api.fqdn, "/version.txt").status_code == 404
    assert get_site(PROD, lab_api.fqdn).status_code == 200


def test_a_production_only_failure_is_rolled_back_automatically(lab_api: Lab) -> None:
    deployed = lab_api.wait_job(lab_api.post(
        f"/api/v1/sites/{lab_api.fqdn}/deploy", "tech",
        {"commit": lab_api.commits["prodfail"]}).json()["id"])
    assert deployed["state"] == "done", deployed  # dev is fine with it
    before = lab_api.prod_head()
    promoted = lab_api.wait_job(
        lab_api.post(f"/api/v1/sites/{lab_api.fqdn}/promote", "tech").json()["id"])
    assert promoted["state"] == "failed"
    steps = {s["name"]: s for s in promoted["steps"]}
    assert steps["site_prod"]["status"] == "undone"
    assert "rolled back" in steps["checks_prod"]["error"] and "rolled back" in promoted["error"]
    assert lab_api.prod_head() == before
    assert lab_api.request()["commit_sha"] == before  # the request says what prod serves
    assert get_site(PROD, lab_api.fqdn, "/health.php").status_code == 200


def test_the_cli_deploys_as_the_token_owner(lab_api: Lab) -> None:
    st = lab_api.settings
    env = {**os.environ, "PROVISIONER_DATA_DIR": str(st.data_dir),
           "PROVISIONER_LAB_PATH": str(st.lab_dir), "PROVISIONER_SECRET_KEY": st.secret_key,
           "PROVISIONER_CONFIG": "/dev/null"}
    cli = str(Path(sys.executable).parent / "provisioner")
    refused = subprocess.run([cli, "deploy", lab_api.fqdn, "--branch", "main", "--token",
                              lab_api.tokens["opd"]], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert refused.returncode == 1 and "Petugas OPD tidak boleh men-deploy" in refused.stdout
    done = subprocess.run([cli, "deploy", lab_api.fqdn, "--branch", "main", "--here"],
                          env={**env, "PROVISIONER_TOKEN": lab_api.tokens["tech"]},
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checks_dev" in done.stdout and ": done" in done.stdout


def test_retirement_goes_through_an_approved_plan(lab_api: Lab) -> None:
    rid = lab_api.request_id
    plan = lab_api.post(f"/api/v1/requests/{rid}/retire", "opd",
                        {"reason": "Situs tidak dipakai lagi"})
    assert plan.status_code == 201, plan.text
    body = plan.json()
    assert body["state"] == "proposed"
    assert any(line.startswith("delete dns") and lab_api.fqdn in line for line in body["summary"])
    assert any(line.startswith("backup database") for line in body["summary"])
    assert lab_api.post(f"/api/v1/requests/{rid}/retire/approve", "opd").status_code == 403
    stale = lab_api.post(f"/api/v1/requests/{rid}/retire/approve", "net", {"checksum": "0" * 64})
    assert stale.status_code == 409
    approved = lab_api.post(f"/api/v1/requests/{rid}/retire/approve", "net",
                            {"checksum": body["checksum"]})
    assert approved.status_code == 202, approved.text
    job = lab_api.wait_job(approved.json()["id"])
    assert job["state"] == "done", job
    steps = {s["name"]: s for s in job["steps"]}
    backup = steps["retire_hosting"]["outputs"]
    assert backup["bytes"] > 0 and backup["backup"].startswith("/srv/backups/provisioner/")

    assert lab_api.request()["state"] == "retired"
    dig = subprocess.run(["dig", "@127.0.2.54", lab_api.fqdn, "A", "+short", "+time=2"],
                         capture_output=True, text=True, check=True)
    assert dig.stdout.strip() == ""
    assert "provisioner-sample-app" not in get_site(PROD, lab_api.fqdn).text
    st = lab_api.settings
    with SshClient("127.0.2.30", key=st.ssh_key_path, known_hosts=st.known_hosts_path) as c:
        assert c.run(f"test -s {shlex.quote(backup['backup'])}").rc == 0
        c.run(f"rm -f {shlex.quote(backup['backup'])}")
    free = lab_api.client.get(f"/api/v1/names/{lab_api.label}/availability").json()
    assert free["available"] is True, free
