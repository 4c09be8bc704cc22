"""The service under load while jobs run: a real uvicorn server (`provisioner serve`, its own
data dir, in-process worker) on a free loopback port takes 200 concurrent status requests and
50 concurrent submissions while provisioning jobs run against the lab. Nothing may fail and
nothing may be lost: every status answer is 200, every submission is 201 and is in the store
afterwards with its own ticket number. The load is bounded in time."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from provisioner.bootstrap.container import build_container
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.store.repositories import requests as requests_repo

pytestmark = pytest.mark.lab

N_STATUS = 200
N_SUBMISSIONS = 50
N_DNS_JOBS = 4
LOAD_TIMEOUT_S = 60.0
SECRET = "load-" + "l" * 32


@dataclass
class Server:
    url: str
    settings: Settings
    tokens: dict[str, str]
    log: Path

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(lab: Settings) -> Iterator[Server]:
    # A short data dir: the worker runs Ansible, whose ssh ControlPath lives under it.
    data = Path(tempfile.mkdtemp(prefix="ld-"))
    port = free_port()
    env = dict(os.environ, PROVISIONER_DATA_DIR=str(data),
               PROVISIONER_LAB_PATH=str(lab.lab_dir), PROVISIONER_ENVIRONMENT="lab",
               PROVISIONER_SECRET_KEY=SECRET, PROVISIONER_WORKER_ENABLED="true",
               PROVISIONER_SCHEDULER_ENABLED="false", PROVISIONER_WORKER_POLL_SECONDS="0.2")
    log = data / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "provisioner.cli", "serve",
                                 "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        tokens = json.loads((data / "demo-users.json").read_text())
        settings = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                            secret_key=SECRET, worker_enabled=False)
        yield Server(url, settings, tokens, log)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(data, ignore_errors=True)


def request_body(label: str, *, hosting: bool) -> dict[str, object]:
    body: dict[str, object] = {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Uji beban / load test",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/LOAD/2026", "letter_date": date.today().isoformat(),
        "hosting": hosting,
    }
    body.update({"repo": "sample-app", "branch": "main"} if hosting
                else {"target_address": "127.0.2.12"})
    return body


def start_job(client: httpx.Client, server: Server, label: str, *, hosting: bool) -> int:
    created = client.post("/api/v1/requests", json=request_body(label, hosting=hosting),
                          headers=server.auth("opd-dinkes"))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    plan = client.get(f"/api/v1/requests/{request_id}/plan", headers=server.auth("jaringan"))
    approved = client.post(f"/api/v1/requests/{request_id}/approve",
                           json={"checksum": plan.json()["checksum"]},
                           headers=server.auth("jaringan"))
    assert approved.status_code == 202, approved.text
    return int(approved.json()["id"])


async def load(
    server: Server, status_names: list[str], labels: list[str], job_ids: list[int]
) -> tuple[list[httpx.Response | BaseException], list[httpx.Response | BaseException], set[str]]:
    """Fire every status request and every submission at once, bounded in time; meanwhile
    ask the server which state its jobs are in (the load must overlap real work)."""
    limits = httpx.Limits(max_connections=N_STATUS + N_SUBMISSIONS + 10)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=45) as client:
        job_states: set[str] = set()
        done = asyncio.Event()

        async def watch_jobs() -> None:
            while not done.is_set():
                for job_id in job_ids:
                    job = await client.get(f"/api/v1/jobs/{job_id}", headers=server.auth("teknis"))
                    assert job.status_code == 200, job.text
                    job_states.add(job.json()["state"])
                await asyncio.sleep(0.1)

        async def statuses() -> list[httpx.Response | BaseException]:
            return await asyncio.gather(
                *(client.get(f"/api/v1/status/{status_names[i % len(status_names)]}")
                  for i in range(N_STATUS)), return_exceptions=True)

        async def submissions() -> list[httpx.Response | BaseException]:
            return await asyncio.gather(
                *(client.post("/api/v1/requests", headers=server.auth("opd-dinkes"),
                              json=request_body(label, hosting=i % 2 == 0))
                  for i, label in enumerate(labels)), return_exceptions=True)

        watcher = asyncio.create_task(watch_jobs())
        try:
            got_status, got_submit = await asyncio.wait_for(
                asyncio.gather(statuses(), submissions()), LOAD_TIMEOUT_S)
        finally:
            done.set()
            await watcher
    return got_status, got_submit, job_states


def wait_jobs(server: Server, client: httpx.Client, job_ids: list[int], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        states = {job_id: client.get(f"/api/v1/jobs/{job_id}", headers=server.auth("teknis"))
                  .json() for job_id in job_ids}
        if all(j["state"] in ("done", "failed", "cancelled") for j in states.values()):
            return states
        assert time.monotonic() < deadline, {k: v["state"] for k, v in states.items()}
        time.sleep(0.5)


def test_200_status_and_50_submissions_under_running_jobs_lose_nothing(server: Server) -> None:
    tag = secrets.token_hex(2)
    services = build_container(server.settings, migrate_store=False)
    job_ids: list[int] = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            # Provisioning jobs on the real lab: one hosting job (minutes of Ansible) and a
            # few DNS-only ones, queued right before the load starts.
            job_ids.append(start_job(client, server, f"ldh-{tag}", hosting=True))
            for i in range(N_DNS_JOBS):
                job_ids.append(start_job(client, server, f"ldd-{tag}-{i}", hosting=False))
            labels = [f"lds-{tag}-{i}" for i in range(N_SUBMISSIONS)]
            # Names in every state: being provisioned, just submitted, unknown, and the zone's
            # own name server; forty distinct names so most answers are checked, not cached.
            status_names = (
                [f"ldh-{tag}.demokab.go.id", f"ldh-{tag}.dev.demokab.go.id",
                 "ns1.demokab.go.id"]
                + [f"ldd-{tag}-{i}.demokab.go.id" for i in range(N_DNS_JOBS)]
                + [f"{label}.demokab.go.id" for label in labels[:20]]
                + [f"tidak-ada-{tag}-{i}.demokab.go.id" for i in range(13)]
            )

            started = time.monotonic()
            got_status, got_submit, job_states = asyncio.run(
                load(server, status_names, labels, job_ids))
            elapsed = time.monotonic() - started

            # Names not in the registry (unknown, the dev name, the name server) are a 404
            # without any DNS query; names being provisioned are answered; a name submitted
            # during the load is registered once its submission commits (404 before, 200
            # after: the status calls race the submissions on purpose).
            unregistered = {f"ldh-{tag}.dev.demokab.go.id", "ns1.demokab.go.id",
                            *(f"tidak-ada-{tag}-{i}.demokab.go.id" for i in range(13))}
            submitted = {f"{label}.demokab.go.id" for label in labels}

            def expected(name: str) -> set[int]:
                if name in unregistered:
                    return {404}
                return {200, 404} if name in submitted else {200}

            codes = [expected(status_names[i % len(status_names)])
                     for i in range(len(got_status))]
            errors = [r if isinstance(r, BaseException) else f"{r.status_code} {r.text[:200]}"
                      for r, code in zip(got_status, codes, strict=True)
                      if isinstance(r, BaseException) or r.status_code not in code]
            assert not errors, (len(errors), errors[:5])
            assert all(r.json()["fqdn"] for r in got_status
                       if r.status_code == 200)  # type: ignore[union-attr]
            errors = [r if isinstance(r, BaseException) else f"{r.status_code} {r.text[:200]}"
                      for r in got_submit if isinstance(r, BaseException) or r.status_code != 201]
            assert not errors, (len(errors), errors[:5])
            assert "running" in job_states, job_states  # the load overlapped real work
            assert elapsed < LOAD_TIMEOUT_S

            # Nothing lost: every submission answered is in the store, once, with its own
            # ticket, and the store holds no submission nobody was told about.
            answered = {r.json()["id"]: r.json() for r in got_submit}  # type: ignore[union-attr]
            assert len(answered) == N_SUBMISSIONS
            with services.store.read() as s:
                stored = {r.label: (r.id, r.ticket, r.state)
                          for r in requests_repo.list_requests(s, limit=10_000)}
            assert len(stored) == N_SUBMISSIONS + 1 + N_DNS_JOBS  # nothing made up either
            for label in labels:
                request_id, ticket, state = stored[label]
                assert answered[request_id]["ticket"] == ticket and state == "submitted"
            tickets = [ticket for _, ticket, _ in stored.values()]
            assert len(set(tickets)) == len(tickets), sorted(tickets)

            # The jobs that ran under the load still finish.
            final = wait_jobs(server, client, job_ids, timeout=240)
            failed = {k: (v["state"], v.get("error")) for k, v in final.items()
                      if v["state"] != "done"}
            assert not failed, failed
        log = server.log.read_text()
        assert "Traceback" not in log, log[-3000:]
    finally:
        for job_id in job_ids:
            services.runner.undo(job_id)
        services.store.dispose()
