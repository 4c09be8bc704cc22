"""The web pages in a real browser (Debian's Chromium, headless, driven by Playwright)
against a real uvicorn server on 127.0.0.1 with its own data directory and the real lab.

The journeys of each role, in order: the OPD signs in on a phone-sized screen, types a
wrong label on purpose (the bilingual error appears as they type), then a good one, and
submits; the network team reviews the plan as a diff and approves it; the OPD watches the
job live and downloads the letter; anyone verifies the letter (and an altered copy fails);
the technical team deploys to dev and watches the output stream; the approver reads the
dashboard. Screenshots of every page go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from provisioner.config import Settings
from provisioner.domain.actors import Role
from tests.e2e.browser_support import (
    DESKTOP,
    PHONE,
    Server,
    _context,
    running_server,
    shot,
    sign_in,
)

pytestmark = pytest.mark.lab

JOB_TIMEOUT_MS = 240_000
USERS = {
    "opd-kes": (Role.OPD, "Dinas Kesehatan"),
    "net-budi": (Role.NETWORK, None),
    "tech-ani": (Role.TECHNICAL, None),
    "kadis-demo": (Role.APPROVER, None),
}


@pytest.fixture(scope="module")
def server(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(lab, tmp_path_factory.mktemp("browser"), USERS) as srv:
        yield srv


A11Y_PROBLEMS = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]'))
      || el.getAttribute('aria-label') || el.closest('label');
    if (!labelled) problems.push('unlabelled ' + (el.name || el.id));
  }
  if (!document.querySelector('main')) problems.push('no <main>');
  if (!document.documentElement.lang) problems.push('no lang');
  for (const img of document.querySelectorAll('img:not([alt])')) problems.push('img without alt');
  for (const s of document.querySelectorAll('script[src], link[href]')) {
    const u = s.src || s.href;
    if (u && !u.startsWith(location.origin)) problems.push('external ' + u);
  }
  return problems;
}"""


def accessible(page) -> None:  # type: ignore[no-untyped-def]
    """Labels, landmarks, language, and nothing loaded from another origin."""
    assert page.evaluate(A11Y_PROBLEMS) == []


def test_main_journeys_of_every_role(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = server.url
    label = f"web-{secrets.token_hex(3)}"
    fqdn = f"{label}.demokab.go.id"
    outside: list[str] = []

    # --- OPD, on a phone ---------------------------------------------------------------
    opd_ctx = _context(browser, tmp_path, PHONE)
    opd_ctx.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    opd = opd_ctx.new_page()
    opd.goto(url + "/")
    opd.keyboard.press("Tab")  # keyboard users land on the skip link first
    assert opd.evaluate("document.activeElement.className") == "skip"
    accessible(opd)
    shot(opd, "01-home-phone")

    sign_in(opd, url, "opd-kes")
    opd.goto(f"{url}/requests/new")
    accessible(opd)
    label_box = opd.locator("#label")
    label_box.press_sequentially("Dinkes_Baru", delay=30)  # wrong on purpose
    live = opd.locator("#label-live")
    sync_api.expect(live).to_contain_text("garis bawah", timeout=10_000)
    assert "underscore" not in live.inner_text()  # one language per page
    assert label_box.get_attribute("aria-invalid") == "true"
    shot(opd, "02-opd-wrong-label-phone")

    label_box.fill("")
    label_box.press_sequentially(label, delay=20)
    sync_api.expect(live).to_contain_text(f"Tersedia: {fqdn}", timeout=15_000)
    opd.locator("#purpose").fill("Situs resmi Dinas Kesehatan (uji peramban)")
    opd.locator("#contact_name").fill("Siti Rahma")
    opd.locator("#contact_email").fill("siti@dinkes.demokab.go.id")
    opd.locator("#letter_number").fill("400.7/77/DINKES/2026")
    opd.locator("#repo").fill("sample-app")
    shot(opd, "03-opd-form-filled-phone")
    opd.get_by_role("button", name="Ajukan").click()
    opd.wait_for_url(re.compile(r"/requests/\d+\?done=submitted"))
    sync_api.expect(opd.locator("#req-state")).to_contain_text("Diajukan")
    request_path = opd.url.split("?")[0].removeprefix(url)
    shot(opd, "04-opd-submitted-phone")

    # --- network team: the queue, the plan as a diff, approve ----------------------------
    net_ctx = _context(browser, tmp_path, DESKTOP)
    net = net_ctx.new_page()
    asked: list[str] = []  # consequential actions ask first (window.confirm)
    net.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    sign_in(net, url, "net-budi")
    net.goto(f"{url}/queue")
    net.get_by_role("link", name=f"Tinjau {fqdn}").click()
    dns = net.locator("#diff-dns")
    sync_api.expect(dns).to_contain_text(f"{fqdn}. 300 IN A 127.0.2.12")
    sync_api.expect(net.locator("#diff-vhost")).to_contain_text(f"ServerName {fqdn}")
    sync_api.expect(net.locator("#diff-database")).to_contain_text("CREATE DATABASE")
    accessible(net)
    shot(net, "05-network-review-desktop")
    net.get_by_role("button", name="Setujui rencana ini").click()
    net.wait_for_url(re.compile(r"/requests/\d+(\?.*)?$"))
    assert len(asked) == 1, asked  # the approval asked before it acted
    job_id = int(net.locator("[data-job-live]").get_attribute("data-job-live").split("/")[2])
    server.undo.append(job_id)

    # --- OPD watches the job live, then downloads the letter -----------------------------
    opd.goto(url + request_path)
    # The OPD follows a plain timeline, not the operators' log (that is for the teams).
    sync_api.expect(opd.locator('#timeline [data-status="current"]')).to_have_count(1,
                                                                                 timeout=60_000)
    assert opd.locator("[data-job-log]").count() == 0
    shot(opd, "06-opd-job-running-phone")
    sync_api.expect(opd.locator("[data-letter]").first).to_be_visible(timeout=JOB_TIMEOUT_MS)
    sync_api.expect(opd.locator("#req-state")).to_contain_text("Surat terbit")
    shot(opd, "07-opd-letter-issued-phone")
    with opd.expect_download() as info:
        opd.locator("[id^=download-letter-]").first.click()
    pdf_path = tmp_path / "letter.pdf"
    info.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert fqdn in text

    # --- anyone: the verification page, upload-to-verify, an altered copy fails ----------
    code = re.search(r"/verify/([0-9A-F-]{19})", text)
    assert code, text
    pub = browser.new_context(viewport=PHONE).new_page()
    pub.goto(f"{url}/verify/{code.group(1)}")
    sync_api.expect(pub.locator("#verify-result")).to_contain_text("SAH")
    pub.locator("#file").set_input_files(str(pdf_path))
    pub.get_by_role("button", name="Periksa berkas").click()
    sync_api.expect(pub.locator("#upload-result")).to_contain_text("COCOK")
    shot(pub, "08-public-verify-match-phone")
    altered = bytearray(pdf)
    altered[len(pdf) // 2] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    pub.locator("#file").set_input_files(str(tmp_path / "altered.pdf"))
    pub.get_by_role("button", name="Periksa berkas").click()
    sync_api.expect(pub.locator("#upload-result")).to_contain_text("TIDAK COCOK")
    pub.locator("#lang-toggle").click()  # English, kept in a cookie
    sync_api.expect(pub.locator("#verify-result")).to_contain_text("VALID")
    assert pub.evaluate("document.documentElement.lang") == "en"
    shot(pub, "09-public-verify-english-phone")
    pub.goto(f"{url}/site/{fqdn}")
    sync_api.expect(pub.locator("#status-result")).to_contain_text("LIVE")
    shot(pub, "10-public-status-english-phone")

    # --- technical team: deploy to dev, the output streams -------------------------------
    tech_ctx = _context(browser, tmp_path, DESKTOP)
    tech = tech_ctx.new_page()
    tech.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    sign_in(tech, url, "tech-ani")
    tech.goto(f"{url}/sites")
    accessible(tech)
    shot(tech, "11-technical-sites-desktop")
    site = tech.locator(f'section[data-site="{fqdn}"]')
    site.get_by_role("button", name="Deploy ke dev").click()
    tech.wait_for_url(re.compile(r"/jobs/\d+(\?.*)?$"))
    state = tech.locator("[data-job-state]")
    sync_api.expect(state).to_have_attribute("data-value", "done", timeout=JOB_TIMEOUT_MS)
    sync_api.expect(state).to_have_text("selesai")
    sync_api.expect(tech.locator("[data-job-log]")).not_to_be_empty()
    shot(tech, "12-technical-deploy-done-desktop")

    # --- approver: the dashboard ---------------------------------------------------------
    boss = _context(browser, tmp_path, DESKTOP).new_page()
    sign_in(boss, url, "kadis-demo")
    boss.goto(f"{url}/dashboard")
    accessible(boss)
    month = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")[time.localtime().tm_mon - 1]
    ttl = boss.locator("#ttl")
    sync_api.expect(ttl).to_contain_text(f"{month} {time.strftime('%Y')}")  # month in words
    assert " jam" in ttl.inner_text() or " menit" in ttl.inner_text()  # not "0.01 jam"
    assert "0.0" not in ttl.inner_text()
    shot(boss, "13-approver-dashboard-desktop")

    assert outside == [], f"requests to other origins: {json.dumps(outside)}"
