"""A plan that was approved can be carried out, and a failure leaves nothing half-made — on
the lab's real MariaDB, BIND and Apache, through the HTTP API and the worker:

- every name derived from a 63-character label fits its server and is its own (the old
  truncation gave two such labels one database, which MariaDB then refused in the GRANT);
- a plan whose names clash with another site's is refused before approval, with no job and
  no DNS record;
- the database step is all-or-none: a statement MariaDB refuses after CREATE DATABASE
  leaves the DB server as it was (checked with SQL on the db host);
- a job that failed after changing servers lists what stands, and its undo — run by the
  worker — removes exactly that (dig on ns1/ns2, SQL on db, the tree on web-dev), and the
  name is free again.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provisioner.adapters.ssh_options import ssh_command
from provisioner.bootstrap.configs import ssh_config
from provisioner.bootstrap.container import Container, build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Role
from provisioner.domain.errors import StepFailed
from provisioner.domain.site_names import DB_GRANT_PATTERN_MAX, grant_pattern_length, site_user
from provisioner.jobs.runner import site_spec
from provisioner.steps.base import StepContext
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab
PASSWORD = "Kominfo-Demo-2026"
DB_ADDRESS, NS1, NS2, WEB_DEV = "127.0.2.30", "127.0.2.53", "127.0.2.54", "127.0.2.11"
WEB_PROD = "127.0.2.12"


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("plans"), lab_path=lab.lab_dir,
                        environment="lab", secret_key="plans-" + secrets.token_hex(16))
    services = build_container(settings)
    tokens = {
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan"),
        "net": add_user(services.store, "net", Role.NETWORK, None, password=PASSWORD),
        "tech": add_user(services.store, "tech", Role.TECHNICAL, None, password=PASSWORD),
    }
    app = serve_app(services, run_worker=True, run_scheduler=False)
    with TestClient(app, follow_redirects=False) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        client.services = services  # type: ignore[attr-defined]
        client.cleanup = []  # type: ignore[attr-defined]
        yield client
    for job_id in client.cleanup:  # type: ignore[attr-defined]
        services.runner.undo(job_id)  # idempotent: nothing left when the test undid it
    services.store.dispose()


def auth(api: TestClient, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[who]}"}  # type: ignore[attr-defined]


def services_of(api: TestClient) -> Container:
    return api.services  # type: ignore[attr-defined]


def submit(api: TestClient, label: str, branch: str = "main") -> dict[str, Any]:
    body = {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Situs resmi Dinas Kesehatan",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/77/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": True, "repo": "sample-app", "branch": branch,
    }  # fmt: skip
    created = api.post("/api/v1/requests", json=body, headers=auth(api, "opd"))
    assert created.status_code == 201, created.text
    return {**created.json(), "dev_fqdn": f"{label}.dev.demokab.go.id"}


@contextmanager
def signed_in(api: TestClient, username: str) -> Iterator[None]:
    """The client as a signed-in browser of `username` (session cookie) for the block."""
    form = re.search(r'name="csrf_token" value="([^"]+)"', api.get("/login").text)
    assert form is not None
    answer = api.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": form.group(1)})  # fmt: skip
    assert answer.status_code == 303, answer.text
    try:
        yield
    finally:
        api.cookies.clear()


def csrf_of(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the page"
    return token.group(1)


def long_label(last: str) -> str:
    """A fresh 63-character label (hyphens and all) ending in `last`."""
    head = f"x{secrets.token_hex(3)}-dinas-kesehatan-kabupaten-demo-layanan-publik-"
    return (head + "sehat" * 10)[:62] + last


def ssh(settings: Settings, address: str, command: str) -> str:
    out = subprocess.run([*ssh_command(ssh_config(settings)), f"root@{address}", command],
                         capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return out.stdout


def mariadb(settings: Settings, sql: str) -> list[str]:
    """Rows (tab-joined) of `sql`, run as root on the db host with the mariadb client."""
    out = ssh(settings, DB_ADDRESS, f"mariadb --batch --skip-column-names -e {shlex.quote(sql)}")
    return [line for line in out.splitlines() if line]


def db_leftovers(settings: Settings, db_name: str, db_user: str) -> list[str]:
    return mariadb(
        settings,
        f"SELECT CONCAT('database ', SCHEMA_NAME) FROM information_schema.SCHEMATA "
        f"WHERE SCHEMA_NAME = '{db_name}' UNION ALL "
        f"SELECT CONCAT('user ', User, '@', Host) FROM mysql.user WHERE User = '{db_user}'",
    )


def dig(server: str, name: str) -> str:
    out = subprocess.run(["dig", f"@{server}", name, "A", "+short", "+time=2", "+tries=1"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.strip()


def database_step_context(services: Container, request_id: int, **site: str) -> StepContext:
    """What the database step of a job for this request gets, with `site`'s fields (db
    names) replaced and a fresh password."""
    with services.store.read() as s:
        spec = site_spec(requests_repo.get_request(s, request_id), services.settings,
                         services.runner.box)
    spec = dataclasses.replace(spec, db_password="Pw-" + secrets.token_hex(12), **site)
    return StepContext(
        job_id=0, step="database", site=spec, outputs={}, log=lambda _line: None,
        run_dir=PROJECT_ROOT / "test-artifacts" / f"plans-{secrets.token_hex(4)}" / "database",
    )  # fmt: skip


def _cert_probe(fqdn: str) -> str:
    """A shell line that says whether web-prod holds a certificate for `fqdn`."""
    live = shlex.quote(f"/etc/letsencrypt/live/{fqdn}")
    return f"[ -e {live} ] && echo cert=present || echo cert=absent"


def wait_for_job(api: TestClient, job_id: int, states: set[str], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = api.get(f"/api/v1/jobs/{job_id}", headers=auth(api, "tech")).json()
        if job["state"] in states:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} stuck in {job.get('state')}: {job}")


# --- names ------------------------------------------------------------------------------


def test_63_char_label_plans_distinct_executable_names(api: TestClient) -> None:
    services = services_of(api)
    label_a = long_label("a")
    label_b = label_a[:-1] + "b"
    assert len(label_a) == len(label_b) == 63
    first, second = submit(api, label_a), submit(api, label_b)
    plans = [api.get(f"/api/v1/requests/{r['id']}/plan", headers=auth(api, "net"))
             for r in (first, second)]  # fmt: skip
    assert [p.status_code for p in plans] == [200, 200], [p.text for p in plans]
    dbs = [p.json()["plan"]["hosting"]["database"] for p in plans]
    assert dbs[0]["name"] != dbs[1]["name"] and dbs[0]["user"] != dbs[1]["user"]
    for db in dbs:
        assert len(db["name"]) <= 64 and grant_pattern_length(db["name"]) <= DB_GRANT_PATTERN_MAX
        assert len(db["user"]) <= 32
    assert any(dbs[0]["name"] in line for line in plans[0].json()["summary"])
    # The web hosts' names: each site its own system user (≤ 32), on dev and production.
    users = {site_user(r[k]) for r in (first, second) for k in ("fqdn", "dev_fqdn")}
    assert len(users) == 4 and all(len(u) <= 32 for u in users)

    # The step the provisioning job runs, with exactly the names the plan shows.
    name, user = dbs[0]["name"], dbs[0]["user"]
    step = services.runner.steps["database"]
    ctx = database_step_context(services, first["id"], db_name=name, db_user=user)
    try:
        out = step.apply(ctx)
        assert (out["database"], out["user"]) == (name, user)
        assert sorted(db_leftovers(services.settings, name, user)) == [
            f"database {name}", f"user {user}@127.0.2.%"]
        # The grant names exactly this database: MariaDB shows it escaped, "_" as "\_".
        grants = mariadb(services.settings, f"SHOW GRANTS FOR '{user}'@'127.0.2.%'")
        assert any("ALL PRIVILEGES ON `" + name.replace("_", "\\\\_") + "`" in g
                   for g in grants), grants  # fmt: skip
    finally:
        step.undo(ctx)
    assert db_leftovers(services.settings, name, user) == []


def test_plan_whose_names_clash_is_refused_before_approval_with_no_job_or_record(
    api: TestClient,
) -> None:
    services = services_of(api)
    holder, victim = submit(api, f"hold-{secrets.token_hex(3)}"), submit(
        api, f"clash-{secrets.token_hex(3)}"
    )
    shown = api.get(f"/api/v1/requests/{victim['id']}/plan", headers=auth(api, "net")).json()
    taken = shown["plan"]["hosting"]["database"]["name"]
    # Force the collision through the registry: the other site holds that database already.
    with services.store.session() as s:
        requests_repo.get_request(s, holder["id"]).db_name = taken

    plan = api.get(f"/api/v1/requests/{victim['id']}/plan", headers=auth(api, "net"))
    approve = api.post(f"/api/v1/requests/{victim['id']}/approve",
                       json={"checksum": shown["checksum"]}, headers=auth(api, "net"))
    for answer in (plan, approve):
        assert answer.status_code == 409, answer.text
        detail = answer.json()["detail"]
        assert f"database {taken}" in detail and holder["ticket"] in detail, detail
    after = api.get(f"/api/v1/requests/{victim['id']}", headers=auth(api, "net")).json()
    assert after["state"] == "submitted" and after["jobs"] == []
    with services.store.read() as s:
        assert requests_repo.get_request(s, victim["id"]).jobs == []
    assert dig(NS1, victim["fqdn"]) == "" and dig(NS2, victim["fqdn"]) == ""
    with signed_in(api, "net"):  # the review page says why and offers no approval
        review = api.get(f"/requests/{victim['id']}/review")
    assert review.status_code == 200
    assert 'id="plan-refused"' in review.text and holder["ticket"] in review.text
    assert 'id="approve"' not in review.text and 'id="reject"' in review.text


# --- the database step --------------------------------------------------------------------


def test_database_step_failure_leaves_db_server_as_it_was(api: TestClient) -> None:
    """The name the old truncation gave a 63-character label: 64 characters, 72 with the
    GRANT's escapes. MariaDB creates the database and the user, then refuses the GRANT
    (ERROR 1102); the role takes back what it created. A user that was there before (with
    its grant on another database) stays exactly as it was."""
    services = services_of(api)
    step = services.runner.steps["database"]
    tag = secrets.token_hex(3)
    too_long = f"site_{tag}_abcdefg_abcdefg_abcdefg_abcdefg_abcdefg_abcdefg_abcdef"[:64]
    assert len(too_long) == 64 and grant_pattern_length(too_long) > DB_GRANT_PATTERN_MAX
    existing_db, user = f"t{tag}_keep", f"t{tag}_u"
    request_id = submit(api, f"dbf-{tag}")["id"]
    keep = database_step_context(services, request_id, db_name=existing_db, db_user=user)
    fail = database_step_context(services, request_id, db_name=too_long, db_user=f"t{tag}_new")
    reuse = dataclasses.replace(keep, site=dataclasses.replace(keep.site, db_name=too_long))
    step.apply(keep)
    try:
        grants_before = mariadb(services.settings, f"SHOW GRANTS FOR '{user}'@'127.0.2.%'")
        for ctx in (fail, reuse):  # a new user, then the existing one
            with pytest.raises(StepFailed) as refused:
                step.apply(ctx)
            assert "1102" in refused.value.reason and "taken back" in refused.value.reason
            assert refused.value.server == "db"
        # Real SQL on the db host: no database of that name, no new user, and the user
        # that was there keeps its password and its one grant.
        assert db_leftovers(services.settings, too_long, f"t{tag}_new") == []
        assert mariadb(services.settings, f"SHOW GRANTS FOR '{user}'@'127.0.2.%'") == grants_before
        assert sorted(db_leftovers(services.settings, existing_db, user)) == [
            f"database {existing_db}", f"user {user}@127.0.2.%"]
    finally:
        step.undo(keep)
    assert db_leftovers(services.settings, existing_db, user) == []


# --- a failed job, what stands, and its undo ------------------------------------------------


def test_failed_job_lists_standing_changes_and_undo_removes_exactly_those(
    api: TestClient,
) -> None:
    services = services_of(api)
    label = f"undo-{secrets.token_hex(3)}"
    req = submit(api, label, branch="broken-health")  # its health page fails the dev checks
    fqdn, dev_fqdn = req["fqdn"], f"{label}.dev.demokab.go.id"
    approved = api.post(f"/api/v1/requests/{req['id']}/approve", headers=auth(api, "net"))
    assert approved.status_code == 202, approved.text
    job_id = approved.json()["id"]
    api.cleanup.append(job_id)  # type: ignore[attr-defined]
    job = wait_for_job(api, job_id, {"failed", "done"})
    assert job["state"] == "failed"
    steps = {s["name"]: s["status"] for s in job["steps"]}
    assert steps["checks_dev"] == "failed" and steps["site_prod"] == "planned"
    db = next(s["outputs"] for s in job["steps"] if s["name"] == "database")
    db_name, db_user = db["database"], db["user"]

    # What stands, from the journal, in words — in the job and on the request.
    # The production certificate was issued beside the dev branch (job graph): it stands too.
    standing = {c["step"]: c for c in job["standing_changes"]}
    assert list(standing) == ["dns", "cert_prod", "database", "site_dev"], standing
    assert job["undoable"] is True
    assert any(fqdn in item for item in standing["dns"]["items"])
    assert any(dev_fqdn in item for item in standing["dns"]["items"])
    assert db_name in standing["database"]["text"] and db_user in standing["database"]["text"]
    assert dev_fqdn in standing["site_dev"]["text"]
    assert standing["site_dev"]["server"] == "web-dev"
    on_request = api.get(f"/api/v1/requests/{req['id']}", headers=auth(api, "net")).json()
    assert [c["step"] for c in on_request["jobs"][-1]["standing_changes"]] == list(standing)
    assert "cert=present" in ssh(services.settings, WEB_PROD, _cert_probe(fqdn))
    opd_view = api.get(f"/api/v1/jobs/{job_id}", headers=auth(api, "opd")).json()
    assert opd_view["standing_changes"] == [] and opd_view["undoable"] is False
    # Still there before the undo: records on both name servers, the database, the tree.
    assert dig(NS1, fqdn) == "127.0.2.12" and dig(NS2, dev_fqdn) == "127.0.2.11"
    assert f"database {db_name}" in db_leftovers(services.settings, db_name, db_user)

    # The job page lists the same and offers the undo behind the shared confirmation (a
    # dialog with JavaScript); posted unconfirmed — no JavaScript — it asks on a page first.
    with signed_in(api, "tech"):
        page = api.get(f"/jobs/{job_id}")
        assert page.status_code == 200
        assert 'data-standing-step="database"' in page.text and db_name in page.text
        undo_form = re.search(rf'<form method="post" action="/jobs/{job_id}/undo"[^>]*>', page.text)
        assert undo_form is not None and "data-confirm=" in undo_form.group(0)
        assert 'type="checkbox"' not in page.text.split(undo_form.group(0))[1].split("</form>")[0]
        request_page = api.get(f"/requests/{req['id']}")
        assert 'data-standing-step="site_dev"' in request_page.text
        unconfirmed = api.post(f"/jobs/{job_id}/undo", data={"csrf_token": csrf_of(page.text)})
        assert unconfirmed.status_code == 200  # the confirmation page, nothing done yet
        assert 'id="confirm-form"' in unconfirmed.text and db_name in unconfirmed.text
        assert 'name="confirmed" value="yes"' in unconfirmed.text
    assert api.post(f"/api/v1/jobs/{job_id}/undo", headers=auth(api, "opd")).status_code == 403
    assert wait_for_job(api, job_id, {"failed"})["undoable"] is True

    undo = api.post(f"/api/v1/jobs/{job_id}/undo", headers=auth(api, "tech"))
    assert undo.status_code == 202, undo.text
    assert all(c["undoing"] for c in undo.json()["standing_changes"])
    done = wait_for_job(api, job_id, {"undone", "failed"})
    assert done["state"] == "undone", done
    steps = {s["name"]: s["status"] for s in done["steps"]}
    assert steps["dns"] == steps["cert_prod"] == steps["database"] == steps["site_dev"] == "undone"
    assert steps["checks_dev"] == "failed" and steps["site_prod"] == "planned"
    assert done["standing_changes"] == [] and done["undoable"] is False

    # Independent clients: both name servers, SQL on the db host, the tree on web-dev.
    for server in (NS1, NS2):
        assert dig(server, fqdn) == "" and dig(server, dev_fqdn) == ""
    assert db_leftovers(services.settings, db_name, db_user) == []
    assert "cert=absent" in ssh(services.settings, WEB_PROD, _cert_probe(fqdn))
    left = ssh(services.settings, WEB_DEV,
               f"ls -d /var/www/{dev_fqdn} /etc/apache2/sites-enabled/{dev_fqdn}.conf 2>&1; "
               f"getent passwd {site_user(dev_fqdn)} || echo no-site-user")  # fmt: skip
    assert left.count("No such file") == 2 and "no-site-user" in left, left
    after = api.get(f"/api/v1/requests/{req['id']}", headers=auth(api, "opd")).json()
    assert after["state"] == "undone"
    avail = api.get(f"/api/v1/names/{label}/availability").json()
    assert avail["available"] is True, avail
