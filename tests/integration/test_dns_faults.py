"""Faults and hostile input against the real lab: ns1's named stopped during a job, ns2's
named stopped during verification, injection attempts in labels, two requests racing for
one name, and no secret in any output.

Daemons are stopped by PID inside their host over ssh and brought back by `lab_up`
(which restarts only what is dead) in a `finally`; outages last a few seconds.
"""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import threading
import time
from datetime import date

import pytest

from provisioner.adapters.ssh import SshClient
from provisioner.bootstrap.container import build_container, dns_changes
from provisioner.config import Settings
from provisioner.domain.actors import Actor, Role
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.errors import StepFailed
from provisioner.domain.jobs import JobState
from provisioner.domain.requests import RequestDraft
from provisioner.lab import lab_up
from provisioner.store.repositories import (
    dns as dns_repo,
    jobs as jobs_repo,
    requests as requests_repo,
)
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab

NS1, NS2 = "127.0.2.53", "127.0.2.54"
ZONE = "demokab.go.id"
OPD = Actor("opd-faults", Role.OPD, "Dinas Kesehatan")
NET = Actor("net-faults", Role.NETWORK)
TECH = Actor("tech-faults", Role.TECHNICAL)


@pytest.fixture(scope="module")
def settings(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("dns-faults"),
        lab_path=lab.lab_dir,
        zones_file=lab.secrets_dir / "zones.json",
        dns_verify_timeout=3.0,
        dns_retry_timeout=3.0,
        step_retries=0,  # the DNS step backs off itself; keep each outage a few seconds
        secret_key="dns-faults-" + "k" * 24,
    )


@pytest.fixture(scope="module")
def services(settings: Settings):  # type: ignore[no-untyped-def]
    services = build_container(settings)
    yield services
    services.store.dispose()


def stop_named(settings: Settings, address: str) -> None:
    """Kill named inside one lab host (by its PID file) and wait until it is gone."""
    with SshClient(address, key=settings.ssh_key_path, known_hosts=settings.known_hosts_path) as c:
        result = c.run(
            "pid=$(cat /run/named/named.pid) && kill $pid && "
            "while kill -0 $pid 2>/dev/null; do sleep 0.05; done"
        )
    assert result.rc == 0, result.stderr


def dig(server: str, name: str, rtype: str = "A") -> list[str]:
    out = subprocess.run(
        ["dig", f"@{server}", name, rtype, "+short", "+norecurse", "+time=2", "+tries=1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.split())


def draft(label: str) -> RequestDraft:
    return RequestDraft(
        label=label, agency="Dinas Kesehatan", purpose="Uji gangguan DNS",
        contact_name="Siti Rahma", contact_email="siti@dinkes.demokab.go.id",
        letter_number="400.7/77/DINKES/2026", letter_date=date.today(), hosting=False,
        target_address="127.0.2.12",
    )  # fmt: skip


def run_job(services, job_id: int) -> JobState:  # type: ignore[no-untyped-def]
    with services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, services.runner.worker_id)
    return services.runner.run(job_id)


def test_ns1_down_the_step_retries_then_fails_naming_ns1_and_a_retry_completes(
    lab: Settings, settings: Settings, services  # type: ignore[no-untyped-def]
) -> None:
    outcome = None
    try:
        # The lab is shared: another run's `lab` fixture may restart ns1 during the outage,
        # and then the job simply succeeds; undo it and try the outage once more.
        for _ in range(3):
            label = f"flt-{secrets.token_hex(3)}"
            fqdn = f"{label}.{ZONE}"
            req = services.intake.submit(draft(label), OPD)
            stop_named(settings, NS1)
            job_id = services.decisions.approve(req.id, NET).job.id
            outcome = run_job(services, job_id)
            if outcome == JobState.FAILED:
                break
            services.runner.undo(job_id)
    finally:
        lab_up(lab)
    assert outcome == JobState.FAILED, "ns1 came back during every attempt"
    with services.store.read() as s:
        job = jobs_repo.get_job(s, job_id)
        step = next(st for st in job.steps if st.name == "dns")
        assert step.status == "failed"
        assert step.server == "ns1.demokab.go.id (127.0.2.53)"
        assert "nothing was changed" in (step.error or "")
        assert "attempt 2" in step.log  # it waited and tried again before giving up
        assert not dns_repo.records_of_request(s, req.id)
    assert dig(NS1, fqdn) == [] and dig(NS2, fqdn) == []  # nothing half-written

    services.job_control.retry(job_id, TECH)
    assert run_job(services, job_id) == JobState.DONE
    assert dig(NS2, fqdn) == ["127.0.2.12"]
    with services.store.read() as s:
        assert [r.value for r in dns_repo.records_of_request(s, req.id)] == ["127.0.2.12"]

    services.runner.undo(job_id)  # the DNS step's undo goes by the registry
    assert dig(NS2, fqdn) == []
    with services.store.read() as s:
        assert not dns_repo.records_of_request(s, req.id)


def test_ns2_down_verification_fails_naming_ns2(
    lab: Settings, settings: Settings, services  # type: ignore[no-untyped-def]
) -> None:
    changes = dns_changes(settings, services.store)
    name = f"flt-{secrets.token_hex(3)}.{ZONE}"
    create = DnsPlan(ZONE, (RecordChange("create", name, "A", 300, "127.0.2.12"),))
    delete = DnsPlan(ZONE, (RecordChange("delete", name, "A", 300, "127.0.2.12"),))
    failure: StepFailed | None = None
    try:
        # Another test run's `lab` fixture may restart ns2 while it is down (the lab is
        # shared): then the change verifies fine, and the outage is tried once more.
        for _ in range(3):
            stop_named(settings, NS2)
            try:
                changes.apply(create, request_id=None)
            except StepFailed as exc:
                failure = exc
                break
            changes.apply(delete, request_id=None)
    finally:
        lab_up(lab)
    assert failure is not None, "ns2 came back during every attempt"
    assert failure.step == "dns-verify"
    assert failure.server == "ns2.demokab.go.id"
    assert "unreachable" in failure.reason
    changes.apply(delete, request_id=None)
    assert dig(NS2, name) == []


# --- through the HTTP API ------------------------------------------------------------


@pytest.fixture(scope="module")
def api(settings: Settings, services):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from provisioner.bootstrap.serve import serve_app

    tokens = {
        "opd": add_user(services.store, "opd-api", Role.OPD, "Dinas Kesehatan"),
        "net": add_user(services.store, "net-api", Role.NETWORK, None),
        "tech": add_user(services.store, "tech-api", Role.TECHNICAL, None),
    }
    app = serve_app(services, run_worker=True, run_scheduler=False)
    with TestClient(app) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        client.services = services  # type: ignore[attr-defined]
        yield client


def auth(client, who: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {client.tokens[who]}"}


def body(label: str) -> dict[str, object]:
    return {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Uji masukan",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/78/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": False, "target_address": "127.0.2.12",
    }  # fmt: skip


def requests_in_store(api) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with api.services.store.read() as s:
        return [(r.id, r.label) for r in requests_repo.list_requests(s, limit=10_000)]


INJECTIONS = [
    "dinkes'", 'din"kes', "dinkes;rm -rf", "din\nkes", "din\r\nkes", "$(id)", "${HOME}",
    "dinkes$", "{{7*7}}", "{% if %}", "<VirtualHost *:80>", "din kes", "din.kes", "din_kes",
    "../etc", "dinkes\x00", "*", "dinkés", "x" * 64,
]  # fmt: skip


def test_injection_attempts_in_labels_are_422_and_change_nothing(api) -> None:  # type: ignore[no-untyped-def]
    serial = dig(NS1, ZONE, "SOA")
    before = requests_in_store(api)
    for label in INJECTIONS:
        answer = api.post("/api/v1/requests", json=body(label), headers=auth(api, "opd"))
        assert answer.status_code == 422, (label, answer.text)
        detail = answer.json()["detail"][0]
        assert detail["loc"][-1] == "label", (label, detail)
        assert " / " in detail["msg"]  # Bahasa Indonesia / English
    assert requests_in_store(api) == before
    assert dig(NS1, ZONE, "SOA") == serial


def test_two_requests_racing_for_one_name_get_one_201_and_one_409(api) -> None:  # type: ignore[no-untyped-def]
    label = f"race-{secrets.token_hex(3)}"
    start = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []  # type: ignore[type-arg]

    def submit() -> None:
        start.wait()
        answer = api.post("/api/v1/requests", json=body(label), headers=auth(api, "opd"))
        answers.append((answer.status_code, answer.json()))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(code for code, _ in answers)
    assert codes == [201, 409], answers
    refusal = next(data for code, data in answers if code == 409)
    assert label in refusal["detail"] and " / " in refusal["detail"]


def test_no_secret_appears_in_api_answers_job_logs_run_dirs_or_logging(
    api, settings: Settings, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_dir = settings.secrets_dir
    tsig = [json.loads(p.read_text())["secret"] for p in secrets_dir.glob("tsig*.json")]
    db_password = json.loads((secrets_dir / "mariadb.json").read_text())["password"]
    needles = [*tsig, db_password]
    assert len(tsig) == 2 and all(needles)

    label = f"sec-{secrets.token_hex(3)}"
    outputs: list[str] = []

    def call(method: str, url: str, who: str = "net", **kw: object) -> dict:  # type: ignore[type-arg]
        answer = api.request(method, url, headers=auth(api, who), **kw)
        outputs.append(answer.text)
        return answer.json()

    req = call("POST", "/api/v1/requests", "opd", json=body(label))
    call("GET", f"/api/v1/requests/{req['id']}/plan")
    job = call("POST", f"/api/v1/requests/{req['id']}/approve")
    deadline = time.monotonic() + 120
    while call("GET", f"/api/v1/jobs/{job['id']}")["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    final = call("GET", f"/api/v1/jobs/{job['id']}")
    assert final["state"] == "done", final
    for step in final["steps"]:
        call("GET", f"/api/v1/jobs/{job['id']}/steps/{step['name']}/log")
    call("GET", f"/api/v1/requests/{req['id']}")
    call("GET", "/api/v1/dns/drift")
    call("GET", f"/api/v1/names/{label}/availability")
    call("GET", f"/api/v1/status/{label}.{ZONE}")
    # The job's step logs (as stored), the run directories and every log line.
    with api.services.store.read() as s:
        outputs.extend(st.log + (st.error or "") for st in jobs_repo.get_job(s, job["id"]).steps)
    run_files = [p for p in settings.data_dir.rglob("*") if p.is_file() and "runs" in p.parts]
    texts = outputs + [p.read_text(errors="replace") for p in run_files] + [caplog.text]
    leaks = [(i, n[:6]) for i, text in enumerate(texts) for n in needles if n in text]
    assert not leaks, leaks
    assert any(f"{label}.{ZONE}" in text for text in outputs)  # the search looked at real output

    api.services.runner.undo(job["id"])
    assert dig(NS1, f"{label}.{ZONE}") == []
