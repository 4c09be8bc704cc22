"""Exposure and hardening on the real lab (names are asked of the lab's BIND, requests go
to a real store): what the anonymous status check answers and refuses, names that are no
names, browser headers, the sign-in form's CSRF token, per-address throttling, locked
accounts' tokens, who reads /metrics, the modes of the data directory's private files,
where `serve` shows the demo tokens, and the lab's second zone in the drift check."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.session import SESSION_COOKIE
from provisioner.bootstrap.configs import letter_settings
from provisioner.bootstrap.container import Container, build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import PROJECT_ROOT, Settings
from provisioner.domain.actors import Role
from provisioner.steps.letter import issue_letter
from provisioner.store.repositories import people as people_repo
from provisioner.workflow.people.users import add_user, ensure_demo_users
from tests.integration.test_letter_numbering import _content
from tests.pdf_samples import one_page_pdf

pytestmark = pytest.mark.lab
PASSWORD = "Kominfo-Expose-2026!"
ZONE = "demokab.go.id"


class Env:
    def __init__(self, client: TestClient, services: Container, tokens: dict[str, str]) -> None:
        self.client, self.services, self.tokens = client, services, tokens

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def browser(self, address: str) -> TestClient:
        """A client of its own from `address` (the throttle counts per client address)."""
        return TestClient(self.client.app, follow_redirects=False, client=(address, 50000))


@pytest.fixture(scope="module")
def env(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("exposure"), lab_path=lab.lab_dir,
                        environment="lab", secret_key="exposure-" + "e" * 28)
    services = build_container(settings)
    tokens = {
        "opd": add_user(services.store, "opd", Role.OPD, "Dinas Rahasia", password=PASSWORD),
        "net": add_user(services.store, "net", Role.NETWORK, None, password=PASSWORD),
        "tech": add_user(services.store, "tech", Role.TECHNICAL, None, password=PASSWORD),
        "admin": add_user(services.store, "admin", Role.ADMIN, None, password=PASSWORD),
    }
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        yield Env(client, services, tokens)
    services.store.dispose()


def body(label: str) -> dict[str, Any]:
    return {
        "label": label, "agency": "Dinas Rahasia", "purpose": "Situs resmi Dinas Rahasia",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/1234/RHS/2026", "letter_date": date.today().isoformat(),
        "hosting": False, "target_address": "127.0.2.12",
        "contact_nip": "198503152010012003", "contact_position": "Kepala Seksi",
    }  # fmt: skip


def submit(env: Env) -> dict[str, Any]:
    r = env.client.post("/api/v1/requests", json=body(f"rhs-{secrets.token_hex(3)}"),
                        headers=env.auth("opd"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def messages(r: Any) -> str:
    return " ".join(d["msg"] for d in r.json()["detail"])


def form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token in the form"
    return match.group(1)


def encoded(text: str) -> str:
    return quote(text, safe="").replace(".", "%2E")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- status: names that are no names ----------------------------------------------------------


@pytest.mark.parametrize(("name", "words"), [
    (f".{ZONE}", "empty label"),
    (f"a..{ZONE}", "empty label"),
    ("a" * 64 + f".{ZONE}", "64 characters"),
    (".".join(["a" * 63] * 4) + f".{ZONE}", "at most 253"),
])  # fmt: skip
def test_status_empty_label_is_422(env: Env, name: str, words: str) -> None:
    for url in (f"/api/v1/status/{name}", f"/api/v1/status/{name}/history"):
        r = env.client.get(url)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert words in messages(r) and r.json()["detail"][0]["loc"][-1] == "fqdn"


@pytest.mark.parametrize("name", [f".{ZONE}", f"a..{ZONE}", "a" * 64 + f".{ZONE}"])
def test_site_page_empty_label_is_a_422_page_with_the_reason(env: Env, name: str) -> None:
    page = env.client.get(f"/site/{name}")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "label" in page.text and 'role="alert"' in page.text


def test_status_of_a_name_not_in_the_registry_is_404(env: Env) -> None:
    name = f"tidak-pernah-{secrets.token_hex(3)}.{ZONE}"
    r = env.client.get(f"/api/v1/status/{name}")
    assert r.status_code == 404 and "not registered" in r.json()["detail"]
    assert env.client.get(f"/api/v1/status/{name}/history").status_code == 404
    page = env.client.get(f"/site/{name}")
    assert page.status_code == 404 and "tidak terdaftar" in page.text


def test_status_does_not_probe_infrastructure_or_dev_names(env: Env) -> None:
    req = submit(env)  # in the registry: its dev name still is not public
    for name in (f"ns1.{ZONE}", f"ns2.{ZONE}", f"www.{ZONE}", f"{req['label']}.dev.{ZONE}"):
        r = env.client.get(f"/api/v1/status/{name}")
        assert r.status_code == 404, (name, r.text)
        assert "infrastructure" in r.json()["detail"]


def test_status_of_a_request_under_review_or_rejected_hides_agency_ticket_and_state(
    env: Env,
) -> None:
    req = submit(env)
    for _ in range(2):
        r = env.client.get(f"/api/v1/status/{req['fqdn']}")
        assert r.status_code == 200 and r.json()["live"] is False, r.text
        assert r.json()["request"] is None and r.json()["nameservers"] == {}
        for secret in ("Dinas Rahasia", req["ticket"], req["state"]):
            assert secret not in r.text
        page = env.client.get(f"/site/{req['fqdn']}")
        assert page.status_code == 200 and "Dinas Rahasia" not in page.text
        assert req["ticket"] not in page.text
        rejected = env.client.post(f"/api/v1/requests/{req['id']}/reject",
                                   json={"reason": "Nama tidak sesuai tata naming"},
                                   headers=env.auth("net"))
        assert rejected.status_code in (200, 409), rejected.text  # second round: already


# --- availability: labels that break the rules, whatever they hold ---------------------------


@pytest.mark.parametrize("label", ["dinkes;rm -rf /", "../etc", "", "a/b", "."])
def test_availability_label_with_slash_dots_or_empty_gets_the_naming_reason(
    env: Env, label: str
) -> None:
    # Every character percent-encoded, dots too: a client must not resolve "." and ".."
    # segments away before the label reaches the service.
    by_path = env.client.get(f"/api/v1/names/{encoded(label)}/availability")
    by_query = env.client.get("/api/v1/names/availability", params={"label": label})
    for r in (by_path, by_query):
        assert r.status_code == 422, (label, r.status_code, r.text)
        assert r.json()["detail"][0]["loc"][-1] == "label" and " / " in messages(r)
    assert by_path.json()["detail"] == [
        {**d, "loc": ["path", "label"]} for d in by_query.json()["detail"]
    ]


def test_availability_of_a_good_label_still_answers_on_the_old_url(env: Env) -> None:
    r = env.client.get(f"/api/v1/names/bebas-{secrets.token_hex(3)}/availability")
    assert r.status_code == 200 and r.json()["available"] is True, r.text


# --- browser headers ---------------------------------------------------------------------------


def test_html_pages_carry_csp_frame_and_nosniff_headers(env: Env) -> None:
    for path in ("/", "/login", f"/site/x.{ZONE}"):
        r = env.client.get(path)
        assert r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    assert env.client.get("/api/v1/names/dinkes/availability").headers[
        "x-content-type-options"] == "nosniff"  # fmt: skip


def test_signed_in_pages_are_cache_control_no_store(env: Env) -> None:
    browser = env.browser("10.1.0.1")
    anonymous = browser.get("/")
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    login = browser.post("/login", data={"username": "opd", "password": PASSWORD,
                                         "csrf_token": form_token(browser.get("/login").text)})
    assert login.status_code == 303 and SESSION_COOKIE in browser.cookies
    for path in ("/requests", "/", "/api/v1/auth/me"):
        assert browser.get(path).headers["cache-control"] == "no-store", path


# --- sign-in --------------------------------------------------------------------------------


def test_login_form_without_its_csrf_token_is_403(env: Env) -> None:
    browser = env.browser("10.2.0.1")
    missing = browser.post("/login", data={"username": "opd", "password": PASSWORD})
    assert missing.status_code == 403 and SESSION_COOKIE not in browser.cookies
    form_token(missing.text)  # the page offers a fresh form
    browser.get("/login")
    forged = browser.post("/login", data={"username": "opd", "password": PASSWORD,
                                          "csrf_token": "0" * 64})
    assert forged.status_code == 403 and SESSION_COOKIE not in browser.cookies
    # Another browser's (an attacker's) token does not go with this browser's nonce.
    theirs = form_token(env.browser("10.2.0.2").get("/login").text)
    planted = browser.post("/login", data={"username": "opd", "password": PASSWORD,
                                           "csrf_token": theirs})
    assert planted.status_code == 403
    ok = browser.post("/login", data={"username": "opd", "password": PASSWORD,
                                      "csrf_token": form_token(browser.get("/login").text)})
    assert ok.status_code == 303 and SESSION_COOKIE in browser.cookies


def test_failed_logins_from_one_address_are_throttled_with_429(env: Env) -> None:
    browser = env.browser("10.3.0.1")
    users = ["opd", "net", "tech", "admin", "ghost"]
    for i in range(20):  # the default: 20 failures per address in 15 minutes
        r = browser.post("/api/v1/auth/login",
                         json={"username": users[i % 5], "password": f"Wrong-{i}-pass!"})
        assert r.status_code == 401, (i, r.text)
    api = browser.post("/api/v1/auth/login", json={"username": "net", "password": PASSWORD})
    assert api.status_code == 429 and 0 < int(api.headers["retry-after"]) <= 900
    page = browser.post("/login", data={"username": "net", "password": PASSWORD,
                                        "csrf_token": form_token(browser.get("/login").text)})
    assert page.status_code == 429 and page.headers["retry-after"]
    # Another address is not held up by this one.
    other = env.browser("10.3.0.2").post("/api/v1/auth/login",
                                         json={"username": "net", "password": PASSWORD})
    assert other.status_code == 200, other.text


def test_locked_or_disabled_account_api_token_is_401(env: Env) -> None:
    token = add_user(env.services.store, "kunci", Role.TECHNICAL, None, password=PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    assert env.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    browser = env.browser("10.4.0.1")
    for _ in range(5):  # the default lock-out: 5 failures
        assert browser.post("/api/v1/auth/login", json={"username": "kunci",
                                                        "password": "Wrong-pass-123!"}
                            ).status_code == 401  # fmt: skip
    locked = env.client.get("/api/v1/auth/me", headers=headers)
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    with env.services.store.session() as s:  # the lock ends (as after 15 minutes)
        user = people_repo.user_by_name(s, "kunci")
        assert user is not None
        user.locked_until = user.locked_until - timedelta(minutes=16) if user.locked_until \
            else None  # fmt: skip
    assert env.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    disabled = env.client.post("/api/v1/admin/users/kunci/disable", headers=env.auth("admin"))
    assert disabled.status_code in (200, 204), disabled.text
    assert env.client.get("/api/v1/auth/me", headers=headers).status_code == 401


# --- /metrics ---------------------------------------------------------------------------------


def test_metrics_is_not_public_by_default(env: Env) -> None:
    assert env.client.get("/metrics").status_code == 401
    assert env.client.get("/metrics", headers=env.auth("opd")).status_code == 403
    assert env.client.get("/metrics", headers={"Authorization": "Bearer nope"}
                          ).status_code == 401  # fmt: skip
    ok = env.client.get("/metrics", headers=env.auth("tech"))
    assert ok.status_code == 200 and "provisioner_jobs" in ok.text


def test_metrics_settings_open_it_to_an_allowed_network_or_to_everyone(
    lab: Settings, tmp_path: Path
) -> None:
    def status_of(address: str, **extra: Any) -> int:
        settings = Settings(data_dir=tmp_path / "m", lab_path=lab.lab_dir, environment="lab",
                            secret_key="metrics-" + "m" * 28, **extra)
        services = build_container(settings)
        app = serve_app(services, run_worker=False, run_scheduler=False)
        with TestClient(app, client=(address, 40000)) as client:
            code = client.get("/metrics").status_code
        services.store.dispose()
        return code

    assert status_of("127.0.0.1", metrics_allow_networks=["127.0.0.1/32"]) == 200
    assert status_of("127.0.0.2", metrics_allow_networks=["127.0.0.1/32"]) == 401
    assert status_of("10.0.0.9", metrics_access="public") == 200


# --- the data directory's private files -----------------------------------------------------


def test_store_secrets_uploads_and_letters_are_not_world_readable(env: Env, lab: Settings) -> None:
    settings = env.services.settings
    ensure_demo_users(env.services.store, settings.data_dir / "demo-users.json")
    req = submit(env)
    scan = env.client.put(f"/api/v1/requests/{req['id']}/letter-scan",
                          files={"file": ("surat.pdf", one_page_pdf(), "application/pdf")},
                          headers=env.auth("opd"))
    assert scan.status_code == 200, scan.text
    letter = issue_letter(env.services.store, letter_settings(settings),
                          request_id=req["id"], label=req["label"],
                          content=_content(req["fqdn"]))
    files = [settings.data_dir / "provisioner.db", settings.data_dir / "demo-users.json",
             settings.data_dir / "demo-passwords.json", Path(letter.pdf_path),
             *settings.uploads_dir.iterdir()]
    for wal in ("provisioner.db-wal", "provisioner.db-shm"):
        if (settings.data_dir / wal).exists():
            files.append(settings.data_dir / wal)
    wrong = {str(p): oct(mode(p)) for p in files if mode(p) != 0o600}
    assert not wrong, wrong
    dirs = [settings.uploads_dir, settings.letters_dir, Path(letter.pdf_path).parent]
    assert {str(d): oct(mode(d)) for d in dirs if mode(d) != 0o700} == {}
    # The lab's secrets: every directory 0700, every key and password 0600 (the ACME
    # CA's certificates, *.pem, are public: clients are handed them to trust).
    secrets_dir = lab.secrets_dir
    assert mode(secrets_dir) == 0o700
    loose = {str(p): oct(mode(p)) for p in secrets_dir.rglob("*")
             if mode(p) & 0o077 and not p.is_symlink() and p.suffix != ".pem"}
    assert not loose, loose
    assert all(mode(d) == 0o700 for d in secrets_dir.rglob("*") if d.is_dir())


# --- serve: the demo tokens on the terminal, not in the logs ------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_until_listening(lab: Settings, data: Path, command: list[str], log: Path
                           ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run `command` (which starts `provisioner serve`) until the service answers, then
    stop it; returns what the process printed on its own stdout."""
    env = dict(os.environ, PROVISIONER_DATA_DIR=str(data), PROVISIONER_LAB_PATH=str(lab.lab_dir),
               PROVISIONER_SECRET_KEY="serve-" + "t" * 30, PROVISIONER_WORKER_ENABLED="false",
               PROVISIONER_SCHEDULER_ENABLED="false")
    proc = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while "provisioner: http://" not in (log.read_text() if log.exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, (
                log.read_text() if log.exists() else "no log")
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(command, proc.returncode, out, "")


def test_serve_shows_the_demo_tokens_on_the_terminal_and_not_in_its_log(
    lab: Settings, tmp_path: Path
) -> None:
    serve = f"{sys.executable} -m provisioner.cli serve --port {_free_port()}"
    # With a terminal (`script` gives the command one): the table is on the terminal,
    # while the service's stdout and stderr go to a log file.
    data = tmp_path / "tty"
    log = tmp_path / "tty.log"
    shown = _serve_until_listening(
        lab, data, ["script", "-qec", f"{serve} > {log} 2>&1", "/dev/null"], log)
    tokens = json.loads((data / "demo-users.json").read_text())
    assert tokens["admin"] in shown.stdout and tokens["opd-dinkes"] in shown.stdout
    logged = log.read_text()
    assert not [name for name, token in tokens.items() if token in logged], logged
    assert "demo-users.json" in logged
    # Without a terminal (a service manager): only where the tokens are.
    data = tmp_path / "notty"
    log = tmp_path / "notty.log"
    _serve_until_listening(lab, data, ["sh", "-c", f"{serve} > {log} 2>&1"], log)
    tokens = json.loads((data / "demo-users.json").read_text())
    logged = log.read_text()
    assert not [name for name, token in tokens.items() if token in logged], logged
    assert "demo-users.json" in logged and mode(data / "demo-users.json") == 0o600


# --- the lab's second zone --------------------------------------------------------------------


def test_drift_check_with_the_lab_settings_calls_both_lab_zones_managed(
    lab: Settings, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, lab_path=lab.lab_dir)  # no zones file set
    services = build_container(settings)
    assert services.drift is not None
    assert {r.zone for r in services.drift.detect(None)} == {"demokab.go.id", "demokota.go.id"}
    services.store.dispose()
    env = dict(os.environ, PROVISIONER_DATA_DIR=str(tmp_path / "cli"),
               PROVISIONER_LAB_PATH=str(lab.lab_dir))
    env.pop("PROVISIONER_ZONES_FILE", None)
    out = subprocess.run([sys.executable, "-m", "provisioner.cli", "dns", "drift",
                          "--zone", "demokota.go.id"], env=env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert "not managed" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert out.returncode in (0, 1) and json.loads(out.stdout)[0]["zone"] == "demokota.go.id"
