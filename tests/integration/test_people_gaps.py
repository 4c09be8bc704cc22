"""Issue 5's last gaps on the real lab (BIND ns1/ns2, a real aiosmtpd SMTP server and an HTTP
webhook receiver on 127.0.0.1, the app through HTTP):

- the network team returns a request from the review page (form + CSRF), the clock stops,
  the OPD is told and resubmits its revision from its own page;
- the DNS drift page's repair button applies exactly the plan it showed;
- the letters API: TTE-signed upload (PDF by its bytes, size, roles) and corrections;
- a real DNS-only provisioning job tells the OPD "live" and "letter issued" with links;
- an approved change of target runs as a DNS job: the record changes on ns1, shows on ns2.

Jobs are run in the test's thread (`services.runner.run`), the background worker is off.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import dns.name
import dns.query
import dns.update
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from provisioner.adapters.dns.tsig import TsigKey
from provisioner.bootstrap.configs import letter_settings
from provisioner.bootstrap.container import Container, build_container, dns_changes
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.domain.dns_plan import DnsPlan, RecordChange
from provisioner.domain.letters import LetterContent
from provisioner.steps.letter import issue_letter
from provisioner.store.repositories import audit as audit_repo, dns as dns_repo, jobs as jobs_repo
from provisioner.workflow.people.users import add_user
from tests.pdf_samples import one_page_pdf

pytestmark = pytest.mark.lab

NS1, NS2 = "127.0.2.53", "127.0.2.54"
KAB, KOTA = "demokab.go.id", "demokota.go.id"
PASSWORD = "Kominfo-Gaps-2026!"
PUBLIC = "http://127.0.0.1:8080"
PDF = one_page_pdf()  # a real PDF: uploads are parsed, not sniffed
CONTACT = "siti@dinkes.demokab.go.id"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


class Env:
    def __init__(self, client: TestClient, services: Container, inbox: Inbox,
                 hooks: list[dict[str, Any]], tokens: dict[str, str]) -> None:  # fmt: skip
        self.client, self.services, self.inbox, self.hooks, self.tokens = (
            client, services, inbox, hooks, tokens
        )  # fmt: skip

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def hook(self, event: str, request_id: int, timeout: float = 10) -> dict[str, Any]:
        """The webhook note for (event, request) once it arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for h in list(self.hooks):
                if h["event"] == event and h["request_id"] == request_id:
                    return h
            time.sleep(0.05)
        raise AssertionError(f"no {event} webhook for {request_id}: {self.hooks}")

    def mail(self, ticket: str, words: str, timeout: float = 10) -> tuple[list[str], str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for rcpts, body in list(self.inbox.messages):
                if ticket in body and words in body:
                    return rcpts, body
            time.sleep(0.05)
        raise AssertionError(f"no mail for {ticket} with {words!r}")


@pytest.fixture(scope="module")
def env(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    hooks: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            hooks.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = int(probe.getsockname()[1])
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("people-gaps"),
        lab_path=lab.lab_dir,
        zones_file=lab.secrets_dir / "zones.json",
        environment="lab",
        secret_key="gaps-" + secrets.token_hex(16),
        public_url=PUBLIC,
        webhook_url=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        dns_verify_timeout=15.0,
        dns_retry_timeout=3.0,
    )
    services = build_container(settings)
    store = services.store
    tokens = {
        "opd": add_user(store, "opd", Role.OPD, "Dinas Kesehatan", password=PASSWORD,
                        email="opd@dinkes.demokab.go.id"),
        "opd2": add_user(store, "opd2", Role.OPD, "Dinas Pendidikan"),
        "net": add_user(store, "net", Role.NETWORK, None, password=PASSWORD,
                        email="net@diskominfo.demokab.go.id"),
        "tech": add_user(store, "tech", Role.TECHNICAL, None),
        "kadis": add_user(store, "kadis", Role.APPROVER, None, password=PASSWORD,
                          email="kadis@diskominfo.demokab.go.id"),
    }  # fmt: skip
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        yield Env(client, services, inbox, hooks, tokens)
    services.people.notifier.close()  # type: ignore[union-attr]
    services.store.dispose()
    smtp.stop()
    receiver.shutdown()
    receiver.server_close()


def body(label: str, **over: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Situs resmi Dinas Kesehatan",
        "contact_name": "Siti Rahma", "contact_email": CONTACT,
        "letter_number": "400.7/1234/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": False, "target_address": "127.0.2.12",
        "contact_nip": "198503152010012003", "contact_position": "Kepala Seksi",
    }  # fmt: skip
    b.update(over)
    return b


def submit(env: Env, **over: Any) -> dict[str, Any]:
    label = over.pop("label", f"gap-{secrets.token_hex(3)}")
    r = env.client.post("/api/v1/requests", json=body(label, **over), headers=env.auth("opd"))
    assert r.status_code == 201, r.text
    return r.json()


def signed_in(env: Env, username: str) -> TestClient:
    """A browser of its own: signed in through the login form, following no redirects."""
    browser = TestClient(env.client.app, follow_redirects=False)
    r = browser.post("/login", data={"username": username, "password": PASSWORD,
                                     "csrf_token": csrf_of(browser.get("/login").text)})
    assert r.status_code == 303, r.text
    return browser


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no form with a CSRF token on the page"
    return match.group(1)


def dig(server: str, name: str) -> list[str]:
    out = subprocess.run(
        ["dig", f"@{server}", name, "A", "+short", "+norecurse", "+time=2", "+tries=1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.split())


def run_job(env: Env, job_id: int) -> str:
    with env.services.store.session() as s:
        assert jobs_repo.claim_job(s, job_id, env.services.runner.worker_id)
    return str(env.services.runner.run(job_id))


# --- 1. return for revision -------------------------------------------------------------------


def test_network_returns_from_the_review_page_and_the_opd_resubmits_from_its_page(
    env: Env,
) -> None:
    req = submit(env)
    rid, url = req["id"], f"/requests/{req['id']}"
    net = signed_in(env, "net")
    review = net.get(f"{url}/review")
    assert review.status_code == 200 and f'action="{url}/return"' in review.text
    token = csrf_of(review.text)
    assert net.post(f"{url}/return", data={"note": "Lampirkan surat"}).status_code == 403
    short = net.post(f"{url}/return", data={"note": "x", "csrf_token": token})
    assert short.status_code == 422 and 'id="note-error"' in short.text
    note = "Nomor surat permohonan salah; lampirkan surat yang ditandatangani"
    back = net.post(f"{url}/return", data={"note": note, "csrf_token": token})
    assert back.status_code == 303 and back.headers["location"] == f"{url}?returned=1"

    got = env.client.get(f"/api/v1/requests/{rid}", headers=env.auth("opd")).json()
    assert got["state"] == "returned" and got["revision_note"] == note
    clocks = {c["step"]: c for c in env.client.get(f"/api/v1/requests/{rid}/sla",
                                                   headers=env.auth("opd")).json()}
    assert clocks["availability"]["paused"]
    with env.services.store.read() as s:
        entry = [e for e in audit_repo.events_for_request(s, rid)
                 if e.action == "request:returned"][-1]
    assert entry.actor == "net" and entry.detail == {"note": note}
    assert entry.after == {"state": "returned"} and entry.before == {"state": "submitted"}
    hook = env.hook("returned", rid)
    assert hook["link"] == f"{PUBLIC}/requests/{rid}"
    rcpts, mail = env.mail(req["ticket"], "dikembalikan")
    assert sorted(rcpts) == ["opd@dinkes.demokab.go.id", CONTACT]
    assert f"{PUBLIC}/requests/{rid}" in mail

    opd = signed_in(env, "opd")
    page = opd.get(url)
    assert 'id="resubmit-form"' in page.text and "Nomor surat permohonan salah" in page.text
    token = csrf_of(page.text)
    form = {"purpose": "Situs resmi, surat terlampir", "contact_name": "Siti Rahma",
            "contact_email": CONTACT, "letter_number": "400.7/1299/DINKES/2026",
            "letter_date": date.today().isoformat(), "contact_nip": "12345",
            "csrf_token": token}  # fmt: skip
    bad = opd.post(f"{url}/resubmit", data=form)
    assert bad.status_code == 422 and 'id="contact_nip-error"' in bad.text
    assert env.client.get(f"/api/v1/requests/{rid}", headers=env.auth("opd")).json()[
        "state"] == "returned"  # fmt: skip
    form["contact_nip"] = "198503152010012003"
    done = opd.post(f"{url}/resubmit", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"{url}?resubmitted=1"
    again = env.client.get(f"/api/v1/requests/{rid}", headers=env.auth("net")).json()
    assert again["state"] == "submitted" and again["purpose"] == "Situs resmi, surat terlampir"
    assert again["letter_number"] == "400.7/1299/DINKES/2026" and again["label"] == req["label"]
    clocks = {c["step"]: c for c in env.client.get(f"/api/v1/requests/{rid}/sla",
                                                   headers=env.auth("net")).json()}
    assert not clocks["availability"]["paused"]
    # Another agency's staff cannot revise it, even with a valid session and token.
    other = TestClient(env.client.app, follow_redirects=False)
    add_user(env.services.store, "opd3", Role.OPD, "Dinas Pendidikan", password=PASSWORD)
    login = {"username": "opd3", "password": PASSWORD,
             "csrf_token": csrf_of(other.get("/login").text)}  # the form's pre-session token
    assert other.post("/login", data=login).status_code == 303
    token3 = csrf_of(other.get("/requests/new").text)
    assert other.post(f"{url}/resubmit", data={**form, "csrf_token": token3}).status_code == 403


# --- 2. the drift page's repair button ----------------------------------------------------------


def test_drift_page_repairs_exactly_the_plan_it_showed(env: Env) -> None:
    settings = env.services.settings
    key = TsigKey.load(settings.secrets_dir / f"tsig-{KOTA}.json")
    name = f"gapdrift-{secrets.token_hex(3)}.{KOTA}"
    changes = dns_changes(settings, env.services.store)
    changes.apply(DnsPlan(KOTA, (RecordChange("create", name, "A", 300, "127.0.2.12"),)),
                  request_id=None)  # fmt: skip
    try:
        update = dns.update.UpdateMessage(KOTA, keyring=key.dns_key())
        update.replace(dns.name.from_text(name), 300, "A", "127.0.2.11")  # behind our back
        assert dns.query.tcp(update, NS1, timeout=3).rcode() == 0

        net = signed_in(env, "net")
        page = net.get("/drift")
        assert page.status_code == 200, page.text
        assert f"~ A {name} 127.0.2.11 → 127.0.2.12 (ttl 300)" in page.text
        form = re.search(
            r'name="zone" value="' + re.escape(KOTA) + r'">\s*'
            r'<input type="hidden" name="checksum" value="([0-9a-f]{64})"',
            page.text,
        )
        assert form, "no repair button for the zone"
        token = csrf_of(page.text)
        assert net.post("/drift/repair", data={"zone": KOTA, "checksum": form.group(1)}
                         ).status_code == 403  # no CSRF token  # fmt: skip
        # A consequential action asks first: without the answer nothing is changed, and
        # the page re-posts the same plan (this is what a browser without JavaScript sees).
        asked = net.post("/drift/repair",
                         data={"zone": KOTA, "checksum": form.group(1), "csrf_token": token})
        assert asked.status_code == 200 and 'action="/drift/repair"' in asked.text
        assert f'value="{form.group(1)}"' in asked.text and 'value="yes"' in asked.text
        assert dig(NS1, name) == ["127.0.2.11"]
        wrong = net.post("/drift/repair", data={"zone": KOTA, "checksum": "0" * 64,
                                                "csrf_token": token, "confirmed": "yes"})
        assert wrong.status_code == 409 and 'role="alert"' in wrong.text
        assert dig(NS1, name) == ["127.0.2.11"]  # nothing was changed
        opd = signed_in(env, "opd")
        refused = opd.post("/drift/repair", data={"zone": KOTA, "checksum": form.group(1),
                                                  "csrf_token": csrf_of(opd.get("/requests").text)})
        assert refused.status_code == 403
        done = net.post("/drift/repair", data={"zone": KOTA, "checksum": form.group(1),
                                               "csrf_token": token, "confirmed": "yes"})
        assert done.status_code == 303 and done.headers["location"] == f"/drift?repaired={KOTA}"
        assert dig(NS1, name) == dig(NS2, name) == ["127.0.2.12"]
        flash = net.get(done.headers["location"])
        assert 'id="flash"' in flash.text
        # No longer a difference; listed among the records compared, in agreement.
        differences = re.sub(r'<details class="compared".*?</details>', "", flash.text,
                             flags=re.DOTALL)  # fmt: skip
        assert name not in differences
        row = re.search(rf'<tr data-compared="{re.escape(name)}">(.*?)</tr>', flash.text,
                        re.DOTALL)  # fmt: skip
        assert row and "<code>127.0.2.12</code>" in row.group(1) and "ok-text" in row.group(1)
    finally:
        update = dns.update.UpdateMessage(KOTA, keyring=key.dns_key())
        update.delete(dns.name.from_text(name))
        dns.query.tcp(update, NS1, timeout=3)


# --- 3. the letters API ---------------------------------------------------------------------------


def _issue(env: Env, request_id: int, label: str) -> int:
    content = LetterContent(
        number="", issued_on=date.today(), place="Demo", nature="Biasa", attachments="-",
        subject="Balasan Permohonan Subdomain", addressee="Kepala Dinas Kesehatan",
        addressee_place="Demo", request_letter_number="400.7/1/DINKES/2026",
        request_letter_date=date.today(), fqdn=f"{label}.{KAB}", dev_fqdn=None,
        server="ns1 (127.0.2.53)", database=None, commit="", checks=(("DNS", True, "A"),),
        agency_name="Dinas Komunikasi dan Informatika", agency_short="DISKOMINFO",
        agency_address="Jl. Pemuda 1", signer_name="Budi", signer_position="Kepala Dinas",
        signer_rank="Pembina (IV/a)", signer_nip="197001011995031001", carbon_copies=(),
        verification_code="", verification_url="",
    )  # fmt: skip
    cfg = letter_settings(env.services.settings)
    return issue_letter(env.services.store, cfg, request_id=request_id, label=label,
                        content=content).id  # fmt: skip


def test_letters_api_takes_the_tte_pdf_once_and_issues_corrections_for_the_approver(
    env: Env,
) -> None:
    req = submit(env)
    rid = req["id"]
    lid = _issue(env, rid, req["label"])
    listed = env.client.get(f"/api/v1/requests/{rid}/letters", headers=env.auth("opd")).json()
    assert [x["id"] for x in listed] == [lid] and listed[0]["record_url"] is None
    assert env.client.get(f"/api/v1/letters/{lid}", headers=env.auth("opd2")).status_code == 403
    pdf = env.client.get(f"/api/v1/letters/{lid}.pdf", headers=env.auth("opd"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    url = f"/api/v1/letters/{lid}/record"

    def put(who: str, data: bytes) -> Any:
        return env.client.put(url, files={"file": ("tte.pdf", data, "application/pdf")},
                              headers=env.auth(who))  # fmt: skip

    html = put("opd", b"<html>bukan pdf</html>")
    assert html.status_code == 422 and html.json()["detail"][0]["loc"] == ["body", "file"]
    assert " / " in html.json()["detail"][0]["msg"]
    big = PDF[:-7] + b"\0" * (10 * 1024 * 1024) + b"%%EOF\n"
    too_big = put("opd", big)
    assert too_big.status_code == 422 and "MB" in too_big.json()["detail"][0]["msg"]
    missing = env.client.put(url, headers=env.auth("opd"))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "file"
    assert put("opd2", PDF).status_code == 403  # another agency
    assert put("tech", PDF).status_code == 403  # not a role that uploads letters
    ok = put("opd", PDF)
    assert ok.status_code == 200, ok.text
    assert ok.json()["record_uploaded_by"] == "opd" and ok.json()["record_url"]
    assert put("kadis", PDF).status_code == 409  # the letter of record is immutable
    record = env.client.get(f"/api/v1/letters/{lid}/record.pdf", headers=env.auth("net"))
    assert record.content == PDF

    fix = f"/api/v1/letters/{lid}/correct"
    new_to = {"addressee": "Kepala Dinas Kesehatan Kabupaten Demo"}
    assert env.client.post(fix, json=new_to, headers=env.auth("opd")).status_code == 403
    assert env.client.post(fix, json=new_to, headers=env.auth("net")).status_code == 403
    empty = env.client.post(fix, json={}, headers=env.auth("kadis"))
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "addressee"
    blank = env.client.post(fix, json={"subject": "  "}, headers=env.auth("kadis"))
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"][-1] == "subject"
    proven = env.client.post(fix, json={"fqdn": "lain.demokab.go.id"}, headers=env.auth("kadis"))
    assert proven.status_code == 422 and proven.json()["detail"][0]["loc"][-1] == "fqdn"
    issued = env.client.post(fix, json=new_to, headers=env.auth("kadis"))
    assert issued.status_code == 201, issued.text
    new = issued.json()
    assert new["replaces_id"] == lid and new["number"] != listed[0]["number"]
    assert env.client.post(fix, json=new_to, headers=env.auth("kadis")).status_code == 409
    hook = env.hook("letter_issued", rid)
    assert hook["links"]["letter"] == f"{PUBLIC}/letters/{new['id']}.pdf"
    assert hook["links"]["letter_number"] == new["number"]


# --- 4 and 5. a real job: live + letter notices, then a change of target ----------------------


@pytest.fixture(scope="module")
def live_site(env: Env) -> Iterator[dict[str, Any]]:
    """A DNS-only site provisioned for real: its A record on ns1/ns2, its letter issued."""
    site = submit(env)
    approved = env.client.post(f"/api/v1/requests/{site['id']}/approve", headers=env.auth("net"))
    assert approved.status_code == 202, approved.text
    assert run_job(env, approved.json()["id"]) == "done"
    yield site
    dns_changes(env.services.settings, env.services.store).remove_request_records(
        site["id"], lambda _line: None
    )


def test_opd_is_told_when_its_site_goes_live_and_when_the_letter_is_issued(
    env: Env, live_site: dict[str, Any]
) -> None:
    rid, fqdn = live_site["id"], live_site["fqdn"]
    state = env.client.get(f"/api/v1/requests/{rid}", headers=env.auth("opd")).json()["state"]
    assert state == "letter_issued"
    live = env.hook("live", rid)
    assert live["link"] == f"{PUBLIC}/requests/{rid}"
    assert live["links"] == {"site": f"http://{fqdn}/", "status": f"{PUBLIC}/site/{fqdn}"}
    letter = env.hook("letter_issued", rid)
    letters = env.client.get(f"/api/v1/requests/{rid}/letters", headers=env.auth("opd")).json()
    assert letter["links"]["letter"] == f"{PUBLIC}/letters/{letters[-1]['id']}.pdf"
    rcpts, mail = env.mail(live_site["ticket"], "Situs aktif")
    assert CONTACT in rcpts and "opd@dinkes.demokab.go.id" in rcpts
    assert f"http://{fqdn}/" in mail and f"{PUBLIC}/requests/{rid}" in mail
    rcpts, mail = env.mail(live_site["ticket"], "Surat terbit")
    assert CONTACT in rcpts and letters[-1]["number"] in mail
    with env.services.store.read() as s:
        sent = [(e.detail or {}).get("event") for e in audit_repo.events_for_request(s, rid)
                if e.action == "notify:sent"]  # fmt: skip
    assert sent.count("live") == 1 and sent.count("letter_issued") == 1


def test_approved_change_of_target_moves_the_record_on_ns1_and_shows_on_ns2(
    env: Env, live_site: dict[str, Any]
) -> None:
    site_id, fqdn = live_site["id"], live_site["fqdn"]
    assert dig(NS1, fqdn) == dig(NS2, fqdn) == ["127.0.2.12"]
    change = submit(env, label=live_site["label"], request_type="change_target",
                    target_address="127.0.2.11", purpose="Pindah ke server baru")  # fmt: skip
    plan = env.client.get(f"/api/v1/requests/{change['id']}/plan", headers=env.auth("net"))
    assert plan.json()["summary"] == [f"~ A {fqdn} 127.0.2.12 → 127.0.2.11 (ttl 300)"]
    review = signed_in(env, "net").get(f"/requests/{change['id']}/review")
    assert "(was 127.0.2.12)" in review.text
    approved = env.client.post(f"/api/v1/requests/{change['id']}/approve",
                               json={"checksum": plan.json()["checksum"]},
                               headers=env.auth("net"))  # fmt: skip
    assert approved.status_code == 202, approved.text
    job = approved.json()
    assert job["kind"] == "retarget" and [s["name"] for s in job["steps"]] == ["retarget_dns"]
    assert run_job(env, job["id"]) == "done"
    assert dig(NS1, fqdn) == dig(NS2, fqdn) == ["127.0.2.11"]
    done = env.client.get(f"/api/v1/requests/{change['id']}", headers=env.auth("opd")).json()
    assert done["state"] == "completed"
    steps = done["jobs"][0]["steps"]
    assert steps[0]["status"] == "done"
    site = env.client.get(f"/api/v1/requests/{site_id}", headers=env.auth("opd")).json()
    assert site["target_address"] == "127.0.2.11" and site["state"] == "letter_issued"
    with env.services.store.read() as s:
        row = dns_repo.owned_record(s, fqdn, "A")
        assert row is not None and row.value == "127.0.2.11" and row.request_id == site_id
        moved = [e for e in audit_repo.events_for_request(s, site_id)
                 if e.action == "site:retargeted"]
    assert moved and moved[0].before == {"target_address": "127.0.2.12"}
    assert moved[0].after == {"target_address": "127.0.2.11"}
    # The site is still the site: its status names it, and it can be changed again.
    status = env.client.get(f"/api/v1/status/{fqdn}").json()
    assert status["request"]["ticket"] == live_site["ticket"], status
    again = submit(env, label=live_site["label"], request_type="change_target",
                   target_address="127.0.2.12", purpose="Kembali ke server lama")  # fmt: skip
    assert again["subject_request_id"] == site_id
