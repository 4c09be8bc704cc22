"""The seed SOPs end to end through the API, step by step as each seed writes it: Tapin's
subdomain SOP and the default one on a DNS-only request (and the default's refusal when the
network team rejects), Batam's 15 steps, Tarakan's consultation (approved and refused),
Muara Enim's two development charts, and Kaltara's development SOP with its hardware steps
on the real lab. Per journey: who recorded each step and when, in the SOP's order; every
clock's mutu baku in working minutes (OPD steps paused, due times inside service hours);
every letter approved by the Kadis, numbered with its kind's code and read back from the PDF.

Real sites are few (CI time): one hosting site, taken to dev and released to production by
Kaltara's journey and then linked by Batam and Tarakan once Kaltara's request has ended, and
one DNS-only subdomain per subdomain SOP. The human-only SOPs touch no server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from provisioner.config import Settings
from provisioner.domain.sop import SopRole, limit_minutes
from provisioner.domain.sop_run import ACTS_AS
from tests.sop_support import (
    FULL_NAMES,
    USERS,
    act,
    approve_subdomain,
    approve_waiting,
    attach,
    auth,
    letter_text,
    link,
    live_request,
    new_label,
    open_request,
    sop_client,
    subdomain_body,
    submit_subdomain,
    view,
    wait_request,
)

pytestmark = pytest.mark.lab

CODES = {
    "reply": "-BLS/", "refusal": "-TLK/", "invitation": "-UND/", "recommendation": "-REK/",
    "assignment": "-TGS/", "berita_acara": "-BA/", "evaluation": "-EVL/",
}  # fmt: skip
REASONS = {"reject", "return", "not_needed", "retire"}
PROBES = {"load_test", "security_scan"}  # hardware steps the team runs (provisioner tests)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LIVE = {"live", "letter_issued"}
# Words a letter about a DNS-only subdomain has no business with.
APPLICATION_WORDS = ("aplikasi", "hosting", "commit", "instal", "deploy", "server", "basis data")
SYSTEM = ("provisioner", "system")


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    yield from sop_client(lab, tmp_path_factory.mktemp("journeys"), run_worker=True)


@pytest.fixture(scope="module")
def site(api: TestClient) -> dict[str, Any]:
    """The one hosting request of the module (the lab's sample application), submitted."""
    return submit_subdomain(api, new_label("sop"), hosting=True)


@pytest.fixture(scope="module")
def live_site(api: TestClient, site: dict[str, Any]) -> dict[str, Any]:
    """The hosting site live on dev and production, free to be linked: Kaltara's journey
    leaves it so; run alone (or after Kaltara failed half-way) this gets it there itself."""
    under_way = api.get("/api/v1/procedures?open_only=true", headers=auth(api, "kadis")).json()
    if any(p["request_id"] == site["id"] for p in under_way):
        return live_request(api, new_label("sop"), hosting=True)
    req = api.get(f"/api/v1/requests/{site['id']}", headers=auth(api, "opd")).json()
    if req["state"] == "submitted":
        approve_subdomain(api, site["id"])
    req = wait_request(api, site["id"], {"dev_ready", *LIVE})
    if req["state"] == "dev_ready":
        r = api.post(f"/api/v1/sites/{req['fqdn']}/release", headers=auth(api, "teknis"))
        assert r.status_code == 202, r.text
        req = wait_request(api, site["id"], LIVE)
    return req


# --- what every journey is checked for -------------------------------------------------------


def sop_of(api: TestClient, v: dict[str, Any]) -> dict[str, Any]:
    r = api.get(f"/api/v1/sops/{v['sop_key']}?version={v['sop_version']}",
                headers=auth(api, "umum"))  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


def acts_for(username: str, role: str) -> bool:
    return USERS[username][0] in ACTS_AS[SopRole(role)]


def check_history(api: TestClient, v: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """Every step recorded in the SOP's order by whom the SOP names, with its time: a letter
    step prepared by the step's role and finished by the Kadis's approval, a job step by
    provisioner when the job got there."""
    assert [(h["step"], h["actor"]) for h in v["history"]] == expected
    times = [datetime.fromisoformat(h["at"]) for h in v["history"]]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    steps = {s["key"]: s for s in sop_of(api, v)["steps"]}
    for h in v["history"]:
        step, out = steps[h["step"]], steps[h["step"]]["output"]
        if out.get("job") and out["job"] not in PROBES:
            assert (h["actor"], h["role"]) == SYSTEM, h
        elif out.get("letter") and h["outcome"] not in REASONS:
            assert h["actor"] == "kadis", h
            (letter,) = [lt for lt in v["letters"] if lt["step"] == h["step"]
                         and lt["kind"] == out["letter"]]  # fmt: skip
            assert acts_for(letter["prepared_by"], step["role"]), letter
        else:
            assert acts_for(h["actor"], step["role"]), h
            assert h["role"] == USERS[h["actor"]][0].value


def in_service_hours(when: datetime, sop: dict[str, Any]) -> bool:
    local = when.astimezone(ZoneInfo(sop["service_hours"]["tz"]))
    span = sop["service_hours"]["days"].get(DAYS[local.weekday()])
    return span is not None and span[:5] <= f"{local:%H:%M}" <= span[6:]


def check_clocks(api: TestClient, v: dict[str, Any], limits: list[int]) -> None:
    """One clock per visit, its limit the preset's mutu baku in working minutes (1 day = 8
    working hours); the OPD's (and its developer's) steps paused; no more minutes used than
    the wall clock gave; a due time inside the SOP's service hours."""
    sop = sop_of(api, v)
    steps = {s["key"]: s for s in sop["steps"]}
    visits = [h["step"] for h in v["history"]] + ([v["current_step"]] if v["current_step"] else [])
    assert [c["step"] for c in v["clocks"]] == visits
    assert [c["limit_minutes"] for c in v["clocks"]] == limits
    for c in v["clocks"]:
        step = steps[c["step"]]
        assert c["limit_minutes"] == (int(limit_minutes(step["limit"])) if step["limit"] else 0)
        assert c["paused"] is (step["role"] in ("opd", "developer")), c
        start = datetime.fromisoformat(c["started_at"])
        stop = datetime.fromisoformat(c["ended_at"]) if c["ended_at"] else datetime.now(UTC)
        wall = max((stop - start).total_seconds() / 60, 0.0)
        assert 0 <= c["used_minutes"] <= wall + 0.05, c
        if c["due_at"] is not None:
            due = datetime.fromisoformat(c["due_at"])
            assert not c["paused"] and c["ended_at"] is None and in_service_hours(due, sop), c
            assert due - start >= timedelta(minutes=c["limit_minutes"])


def issued(
    api: TestClient, v: dict[str, Any], kind: str, tmp_path: Path, *phrases: str, at: int = -1
) -> str:
    """The letter of `kind` (the last unless `at`): approved by the Kadis, numbered with the
    kind's code; its PDF's text, which holds the number, the agency and `phrases`."""
    letter = [lt for lt in v["letters"] if lt["kind"] == kind][at]
    assert letter["approved_by"] == "kadis" and letter["approved_at"], letter
    assert letter["number"] and CODES[kind] in letter["number"], letter
    text = letter_text(api, letter, tmp_path)
    assert letter["number"] in text and "Dinas Kesehatan" in text
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    return text


def done(api: TestClient, pid: int, step: str, who: str, docs: tuple[str, ...] = (),
         **fields: str) -> dict[str, Any]:  # fmt: skip
    """Attach the step's documents (as the one acting) and record it done."""
    for kind in docs:
        attach(api, pid, kind, who=who)
    v = act(api, pid, step, who, **fields)
    assert v["current_step"] != step or step == "evaluation", v["current_step"]
    return v


def letter_step(api: TestClient, pid: int, step: str, who: str, **fields: str) -> dict[str, Any]:
    """A letter step: the draft waits for the Kadis; approving it issues it and goes on."""
    v = act(api, pid, step, who, **fields)
    assert v["current_step"] == step and v["letters"][-1]["number"] is None
    assert v["letters"][-1]["prepared_by"] == who
    v = approve_waiting(api, pid)
    assert v["current_step"] != step
    return v


def no_application(text: str) -> None:
    lower = text.lower()
    for word in APPLICATION_WORDS:
        assert word not in lower, (word, text)


def wait_step(api: TestClient, pid: int, step: str, timeout: float = 60) -> dict[str, Any]:
    """Read the request until its hardware step `step` is finished."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        v = view(api, pid)
        if v["current_step"] != step:
            return v
        assert datetime.now(UTC) < deadline, v
        time.sleep(0.5)


# --- subdomain SOPs on a DNS-only request ------------------------------------------------


def subdomain_intake(req: dict[str, Any]) -> dict[str, str]:
    """What the default SOP's intake asks, as the OPD's subdomain request has it."""
    keys = ("label", "agency", "purpose", "site_kind", "contact_name", "contact_nip",
            "contact_position", "contact_rank", "contact_email", "letter_number", "letter_date")
    return {k: str(req[k]) for k in keys}


def open_subdomain_sop(api: TestClient, req: dict[str, Any], sop_key: str) -> dict[str, Any]:
    fields = {"label": req["label"]} if sop_key == "tapin-subdomain" else subdomain_intake(req)
    v = open_request(api, "subdomain", fields, sop_key=sop_key, request_id=req["id"],
                     title=f"subdomain {req['fqdn']}")  # fmt: skip
    assert (v["sop_key"], v["request_id"], v["request_state"]) == (sop_key, req["id"], "submitted")
    return v


def to_creation(api: TestClient, v: dict[str, Any], disposition: str) -> int:
    """Receipt and disposition by the Kadis, the name check by the network team (the label
    the intake gave is the one checked), then the creation waits on the job."""
    pid = v["id"]
    check_clocks(api, v, [30])  # the disposition's clock runs from the start
    attach(api, pid, "request_letter")
    done(api, pid, disposition, "kadis", instruction="Periksa dan buatkan", assignee="jaringan")
    v = done(api, pid, "name_check", "jaringan")
    assert v["current_step"] == "create_subdomain"
    # The creation is the job's: recording it by hand is refused, and nothing happens yet.
    forward = next(s for s in v["steps"] if s["key"] == "create_subdomain")["outcomes"][0]
    act(api, pid, "create_subdomain", "jaringan", outcome=forward, expect=409)
    assert view(api, pid)["current_step"] == "create_subdomain"
    return pid


def reply_journey(api: TestClient, tmp_path: Path, sop_key: str, disposition: str,
                  limits: list[int]) -> None:  # fmt: skip
    req = submit_subdomain(api, new_label(sop_key.split("-")[0]))
    pid = to_creation(api, open_subdomain_sop(api, req, sop_key), disposition)
    approve_subdomain(api, req["id"])
    final = wait_request(api, req["id"], LIVE)
    assert final["decided_by"] == "jaringan" and final["hosting"] is False
    v = wait_step(api, pid, "create_subdomain")
    assert v["current_step"] == "reply_letter" and v["request_state"] in LIVE
    assert v["history"][-1]["fields"]["request"] == req["ticket"]
    v = letter_step(api, pid, "reply_letter", "kadis")
    assert v["ended"] == "completed" and v["current_step"] is None
    check_history(api, v, [(disposition, "kadis"), ("name_check", "jaringan"),
                           ("create_subdomain", "provisioner"), ("reply_letter", "kadis")])
    check_clocks(api, v, limits)
    assert [lt["kind"] for lt in v["letters"]] == ["reply"]
    text = issued(api, v, "reply", tmp_path, f"pembuatan subdomain {req['fqdn']}",
                  "Balasan Permohonan", "400.7/321/DINKES/2026")  # fmt: skip
    no_application(text)


def test_tapin_subdomain_creates_the_name_and_replies(api: TestClient, tmp_path: Path) -> None:
    reply_journey(api, tmp_path, "tapin-subdomain", "request_disposition", [30, 120, 240, 480])


def test_default_subdomain_flow_on_a_dns_only_request(api: TestClient, tmp_path: Path) -> None:
    reply_journey(api, tmp_path, "default", "disposition", [30, 120, 240, 480])


def test_default_refused_by_the_network_team_ends_with_its_letter(
    api: TestClient, tmp_path: Path
) -> None:
    req = submit_subdomain(api, new_label("tolak"))
    v = open_subdomain_sop(api, req, "default")
    pid = to_creation(api, v, "disposition")
    reason = "Nama subdomain tidak sesuai nomenklatur perangkat daerah"
    r = api.post(f"/api/v1/requests/{req['id']}/reject", json={"reason": reason},
                 headers=auth(api, "jaringan"))  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "rejected", r.text
    v = view(api, pid)
    assert v["ended"] == "rejected" and v["current_step"] is None
    rejected = v["history"][-1]
    assert (rejected["step"], rejected["outcome"], rejected["note"]) == (
        "create_subdomain", "reject", reason)  # fmt: skip
    assert v["letters"][-1]["kind"] == "refusal" and v["letters"][-1]["number"] is None
    v = approve_waiting(api, pid)
    check_history(api, v, [("disposition", "kadis"), ("name_check", "jaringan"),
                           ("create_subdomain", "provisioner")])
    check_clocks(api, v, [30, 120, 240])
    text = issued(api, v, "refusal", tmp_path, reason, "Penolakan Permohonan", "menolak")
    no_application(text)


def test_default_returned_by_the_network_team_goes_back_to_the_opd_then_lives(
    api: TestClient, tmp_path: Path
) -> None:
    req = submit_subdomain(api, new_label("balik"))
    v = open_subdomain_sop(api, req, "default")
    pid = to_creation(api, v, "disposition")
    note = "Lampirkan surat permohonan yang ditandatangani Kepala Dinas"
    r = api.post(f"/api/v1/requests/{req['id']}/return", json={"note": note},
                 headers=auth(api, "jaringan"))  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "returned", r.text
    v = view(api, pid)
    assert v["current_step"] == "opd_revision"
    assert (v["history"][-1]["outcome"], v["history"][-1]["note"]) == ("return", note)
    assert next(c for c in v["clocks"] if c["step"] == "opd_revision")["paused"] is True
    # The OPD revises the request itself, then records its revision step.
    again = api.post(f"/api/v1/requests/{req['id']}/resubmit", headers=auth(api, "opd"),
                     json=subdomain_body(req["label"], hosting=False)
                     | {"purpose": "Situs resmi, surat bertanda tangan terlampir"})  # fmt: skip
    assert again.status_code == 200 and again.json()["state"] == "submitted", again.text
    v = advance(api, pid, "opd")
    assert v["current_step"] == "create_subdomain"
    assert view(api, pid)["current_step"] == "create_subdomain"  # the answered return stays past
    approve_subdomain(api, req["id"])
    wait_request(api, req["id"], LIVE)
    v = view(api, pid)
    assert v["current_step"] == "reply_letter"
    check_history(api, v, [
        ("disposition", "kadis"), ("name_check", "jaringan"), ("create_subdomain", "provisioner"),
        ("opd_revision", "opd"), ("create_subdomain", "provisioner"),
    ])  # fmt: skip


# --- Kaltara: development SOP on the dev server, then production -------------------------


KALTARA_DESIGN = ("design_model", "database_design", "access_design", "interface_design",
                  "internal_control_design", "integration_design")
KALTARA_BUILD = ("source_code", "installation_guide", "technology_description",
                 "module_description", "user_manual", "admin_manual")


def production_page(lab: Settings, fqdn: str) -> httpx.Response:
    return httpx.get(f"http://{lab.web_prod_address}/", headers={"Host": fqdn}, timeout=5,
                     trust_env=False)  # fmt: skip


def test_kaltara_development_dev_tests_then_production(
    api: TestClient, site: dict[str, Any], lab: Settings, tmp_path: Path
) -> None:
    v = open_request(api, "application_development", {}, sop_key="kaltara-pengembangan")
    pid = v["id"]
    attach(api, pid, "recommendation_letter")
    # Linked before it is approved: the SOP holds production until its acceptance.
    link(api, pid, site["id"])
    done(api, pid, "design", "teknis", KALTARA_DESIGN)
    v = done(api, pid, "implementation", "teknis", KALTARA_BUILD)
    assert v["current_step"] == "dev_install"
    # 10d: the network team approves the plan; the job stops once the dev checks passed.
    approve_subdomain(api, site["id"])
    req = wait_request(api, site["id"], {"dev_ready", *LIVE})
    assert req["state"] == "dev_ready", req
    assert production_page(lab, site["fqdn"]).status_code == 404  # nothing on production
    v = wait_step(api, pid, "dev_install")
    done(api, pid, "functional_test", "teknis", ("functional_test_report",))
    # 11b, 11c: provisioner's load test and scan against the dev site, evidence kept.
    v = act(api, pid, "load_test", "teknis")
    assert v["current_step"] == "security_scan", v["evidence"]
    load = v["evidence"][-1]
    assert (load["step"], load["kind"], load["passed"]) == ("load_test", "load_test", True)
    assert lab.dev_fqdn(site["label"]) in load["data"]["url"]
    assert load["data"]["failed"] == 0 and load["data"]["ok"] == load["data"]["requests"] > 0
    assert load["data"]["statuses"] == {"200": load["data"]["requests"]}
    v = act(api, pid, "security_scan", "teknis")
    scan = v["evidence"][-1]
    assert (scan["step"], scan["kind"]) == ("security_scan", "security_scan")
    assert lab.dev_fqdn(site["label"]) in scan["data"]["url"] and scan["data"]["findings"]
    done(api, pid, "penetration_test", "teknis", ("penetration_test_report",))
    done(api, pid, "integration_test", "teknis", ("integration_test_report",))
    v = done(api, pid, "uat", "opd", ("uat_report",))
    assert v["current_step"] == "production" and v["request_state"] == "dev_ready"
    # 12: the team deploys to production: the commit that passed dev, released by the SOP.
    act(api, pid, "production", "teknis")
    req = wait_request(api, site["id"], LIVE)
    page = production_page(lab, site["fqdn"])
    assert page.status_code == 200 and "provisioner-sample-app" in page.text
    v = wait_step(api, pid, "production")
    done(api, pid, "maintenance", "teknis")
    # 13: the OPD's periodic evaluation: `continue` brings it back after 182 days.
    v = done(api, pid, "evaluation", "opd", ("success_indicator_assessment", "evaluation_report"),
             usage="312 pengguna, 4.100 transaksi per bulan", problems="Tidak ada kendala",
             outcome="continue")  # fmt: skip
    assert v["current_step"] == "evaluation"
    v = approve_waiting(api, pid)  # the evaluation's result, a letter of its own
    evaluation = issued(api, v, "evaluation", tmp_path, "312 pengguna")
    again = datetime.fromisoformat(v["clocks"][-1]["started_at"])
    assert again - datetime.now(UTC) > timedelta(days=181)
    v = act(api, pid, "evaluation", "opd", outcome="done", usage="330 pengguna",
            problems="Tidak ada kendala")  # fmt: skip
    v = done(api, pid, "final_report", "teknis", ("final_report",))
    assert v["ended"] == "completed" and [lt["kind"] for lt in v["letters"]] == ["evaluation"]
    assert "dilanjutkan" in evaluation.lower() or "lanjut" in evaluation.lower(), evaluation
    check_history(api, v, [
        ("design", "teknis"), ("implementation", "teknis"), ("dev_install", "provisioner"),
        ("functional_test", "teknis"), ("load_test", "teknis"), ("security_scan", "teknis"),
        ("penetration_test", "teknis"), ("integration_test", "teknis"), ("uat", "opd"),
        ("production", "provisioner"), ("maintenance", "teknis"), ("evaluation", "opd"),
        ("evaluation", "opd"), ("final_report", "teknis"),
    ])  # fmt: skip
    assert [h["outcome"] for h in v["history"]][-3:-1] == ["continue", "done"]
    check_clocks(api, v, [0] * 14)  # the seed gives these steps no mutu baku
    assert {e["kind"] for e in v["evidence"]} == PROBES


# --- Batam: 15 steps, the install on Kominfo's server and the recommendation ---------------


def test_batam_application_development_15_steps(
    api: TestClient, live_site: dict[str, Any], tmp_path: Path
) -> None:
    v = open_request(api, "application_development", {}, sop_key="batam-aplikasi")
    pid = v["id"]
    assert len(v["steps"]) == 15 and v["current_step"] == "request"
    done(api, pid, "request", "opd", ("request_letter",))
    # 2: the Kadis appoints a Diskominfo employee (a user) to the team: surat penunjukan.
    r = act(api, pid, "appoint_staff", "kadis", appointed_staff="nobody", expect=422)
    assert r["detail"][0]["loc"][-1] == "appointed_staff"
    v = letter_step(api, pid, "appoint_staff", "kadis", appointed_staff="teknis")
    done(api, pid, "opd_team", "opd", ("opd_team_decree",))
    v = letter_step(api, pid, "analysis_invitation", "teknis",
                    presentation_at="2026-12-10T09:00",
                    presentation_place="Ruang Rapat Diskominfo Kota Batam")  # fmt: skip
    done(api, pid, "analysis", "teknis",
         ("app_inventory", "infrastructure_documentation", "analysis_report"))  # fmt: skip
    done(api, pid, "kak_draft", "opd", ("ict_standard", "kak_draft"))
    done(api, pid, "kak_review", "teknis", ("kak_draft_approved",))
    done(api, pid, "kak_approval", "opd", ("kak",))
    done(api, pid, "plan_presentation", "teknis", ("mockup", "business_flow", "work_schedule"),
         developer_name="CV Data Prima", similar_applications="SIMPUS Kota Tanjungpinang")
    done(api, pid, "plan_response", "teknis", plan_response="Rencana dapat dilanjutkan")
    done(api, pid, "repository", "teknis", repository_url="git@git.demokab.go.id:sample-app")
    # 12: the repository recorded at 11 counts; the developer's documents are attached.
    done(api, pid, "development", "teknis",
         ("analysis_documentation", "development_documentation", "test_documentation",
          "installation_guide", "user_guide"))  # fmt: skip
    v = done(api, pid, "result_presentation", "teknis",
             ("uat_report", "penetration_test_report", "usability_test_report",
              "system_requirements"))  # fmt: skip
    # 14: installed and tested on Kominfo's server: the linked hosting request's job.
    assert v["current_step"] == "dev_install"
    act(api, pid, "dev_install", "teknis", expect=409)
    link(api, pid, live_site["id"])
    v = view(api, pid)
    assert v["current_step"] == "recommendation" and v["request_state"] in LIVE
    # 15: the team's recommendation of the subdomain and hosting, signed by the Kadis.
    v = letter_step(api, pid, "recommendation", "teknis")
    assert v["ended"] == "completed"
    check_history(api, v, [
        ("request", "opd"), ("appoint_staff", "kadis"), ("opd_team", "opd"),
        ("analysis_invitation", "kadis"), ("analysis", "teknis"), ("kak_draft", "opd"),
        ("kak_review", "teknis"), ("kak_approval", "opd"), ("plan_presentation", "teknis"),
        ("plan_response", "teknis"), ("repository", "teknis"), ("development", "teknis"),
        ("result_presentation", "teknis"), ("dev_install", "provisioner"),
        ("recommendation", "kadis"),
    ])  # fmt: skip
    check_clocks(api, v, [480, 480, 1440, 480, 2400, 960, 960, 7200, 480, 480, 480, 0, 480,
                          1440, 480])  # fmt: skip
    assert [lt["kind"] for lt in v["letters"]] == ["assignment", "invitation", "recommendation"]
    # What the letter steps were given is on record with them, as any step's.
    given = {h["step"]: h["fields"] for h in v["history"]}
    assert given["appoint_staff"] == {"appointed_staff": "teknis"}
    assert given["analysis_invitation"]["presentation_place"].startswith("Ruang Rapat")
    issued(api, v, "assignment", tmp_path, "Penunjukan Petugas", FULL_NAMES["teknis"],
           f"menunjuk {FULL_NAMES['teknis']} sebagai petugas")  # fmt: skip
    issued(api, v, "invitation", tmp_path, "WIB", "Ruang Rapat Diskominfo Kota Batam", "09.00")
    text = issued(api, v, "recommendation", tmp_path, "merekomendasikan",
                  f"pembuatan subdomain {live_site['fqdn']}", "penyediaan layanan hosting")
    assert "commit" not in text


# --- Tarakan: consultation, approved (with the installation) and refused --------------------


def tarakan_to_decision(api: TestClient) -> int:
    v = open_request(api, "consultation", {}, sop_key="tarakan-konsultasi")
    pid = v["id"]
    check_clocks(api, v, [2])
    assert v["clocks"][0]["paused"] is True  # the OPD's own step
    done(api, pid, "request_letter", "opd", ("request_letter",))
    done(api, pid, "registration", "umum", ("disposition_sheet",), agenda_number="AG-2026/118")
    done(api, pid, "disposition", "kadis", instruction="Kaji kebutuhan aplikasi",
         assignee="kabid")  # fmt: skip
    v = done(api, pid, "review", "kabid", prepared_website="https://dinkes.demokab.go.id",
             follow_up_data="Aplikasi antrean puskesmas; tersedia di pasaran")  # fmt: skip
    assert v["current_step"] == "decision"
    return pid


TARAKAN_START = [("request_letter", "opd"), ("registration", "umum"),
                 ("disposition", "kadis"), ("review", "kabid")]  # fmt: skip


def test_tarakan_consultation_approved_installs_and_reports(
    api: TestClient, live_site: dict[str, Any]
) -> None:
    pid = tarakan_to_decision(api)
    done(api, pid, "decision", "kadis", outcome="approve")  # the review's data counts
    done(api, pid, "vendor_purchase", "opd", information_needs="Antrean dan rekam medis")
    done(api, pid, "needs_analysis", "teknis")
    v = done(api, pid, "procurement_kak", "teknis", ("procurement_kak",),
             application_needs="Aplikasi antrean berbasis web")  # fmt: skip
    assert v["current_step"] == "install_test"
    # 9: the installation waits for the manual and documentation, job done or not.
    link(api, pid, live_site["id"])
    assert view(api, pid)["current_step"] == "install_test"
    attach(api, pid, "user_manual", who="teknis")
    attach(api, pid, "app_documentation", who="teknis")
    v = view(api, pid)
    assert v["current_step"] == "report"
    done(api, pid, "report", "teknis", ("report_documentation",))
    v = done(api, pid, "finished", "kadis")
    assert v["ended"] == "completed" and v["letters"] == []
    check_history(api, v, [*TARAKAN_START, ("decision", "kadis"), ("vendor_purchase", "opd"),
                           ("needs_analysis", "teknis"), ("procurement_kak", "teknis"),
                           ("install_test", "provisioner"), ("report", "teknis"),
                           ("finished", "kadis")])  # fmt: skip
    check_clocks(api, v, [2, 3, 2, 25, 30, 15, 1440, 3360, 90, 2, 2])


def test_tarakan_consultation_refused_with_its_letter(api: TestClient, tmp_path: Path) -> None:
    pid = tarakan_to_decision(api)
    assert act(api, pid, "decision", "kadis", outcome="reject", expect=422)
    reason = "Aplikasi sejenis telah tersedia dari Kementerian Kesehatan"
    v = act(api, pid, "decision", "kadis", outcome="reject", note=reason)
    assert v["ended"] == "rejected" and v["letters"][-1]["number"] is None
    v = approve_waiting(api, pid)
    check_history(api, v, [*TARAKAN_START, ("decision", "kadis")])
    check_clocks(api, v, [2, 3, 2, 25, 30])
    issued(api, v, "refusal", tmp_path, reason, "Penolakan Permohonan", "menolak")


# --- Muara Enim: the in-house chart (assignment letters) and the developer's chart ---------


def test_muaraenim_mandiri_with_its_two_assignment_letters(
    api: TestClient, tmp_path: Path
) -> None:
    v = open_request(api, "application_development", {}, sop_key="muaraenim-mandiri")
    pid = v["id"]
    done(api, pid, "needs_identification", "opd", ("needs_identification",))
    done(api, pid, "requirements_specification", "teknis", ("requirements_specification",))
    done(api, pid, "specification_review", "kabid", ("modification_request",))
    # A `user` field names an active user: anyone else is refused, naming the field.
    r = act(api, pid, "appoint_system_analyst", "teknis", system_analyst="nobody", expect=422)
    assert [e["loc"][-1] for e in r["detail"]] == ["system_analyst"]
    v = letter_step(api, pid, "appoint_system_analyst", "teknis", system_analyst="analis")
    done(api, pid, "implementation_plan", "teknis",
         ("implementation_plan", "implementation_schedule", "programmer_needs"))  # fmt: skip
    v = letter_step(api, pid, "appoint_programmer", "teknis", programmer="pemrogram")
    done(api, pid, "dfd_erd", "teknis", ("dfd_erd",))
    done(api, pid, "uat_initial", "teknis", ("uat_initial",))
    done(api, pid, "prototype", "teknis", prototype_system="https://proto.dev.demokab.go.id")
    done(api, pid, "uat", "teknis", ("uat_report",))
    done(api, pid, "internal_review", "teknis", ("review_schedule",))
    done(api, pid, "owner_review", "kabid", ("review_report",))
    done(api, pid, "user_training", "teknis", ("training_report",),
         training_equipment="10 laptop dan proyektor")  # fmt: skip
    v = done(api, pid, "implementation", "teknis", final_system="Aplikasi jadi, versi 1.0")
    assert v["ended"] == "completed"
    check_history(api, v, [
        ("needs_identification", "opd"), ("requirements_specification", "teknis"),
        ("specification_review", "kabid"), ("appoint_system_analyst", "kadis"),
        ("implementation_plan", "teknis"), ("appoint_programmer", "kadis"),
        ("dfd_erd", "teknis"), ("uat_initial", "teknis"), ("prototype", "teknis"),
        ("uat", "teknis"), ("internal_review", "teknis"), ("owner_review", "kabid"),
        ("user_training", "teknis"), ("implementation", "teknis"),
    ])  # fmt: skip
    check_clocks(api, v, [1440, 1440, 120, 60, 1920, 60, 1920, 1920, 43200, 1440, 90, 120,
                          480, 0])  # fmt: skip
    assert [lt["kind"] for lt in v["letters"]] == ["assignment", "assignment"]
    # Each letter appoints the one its step names, not the other.
    first = issued(api, v, "assignment", tmp_path, f"menunjuk {FULL_NAMES['analis']}",
                   f"System analyst yang ditunjuk {FULL_NAMES['analis']}", at=0)  # fmt: skip
    second = issued(api, v, "assignment", tmp_path, f"menunjuk {FULL_NAMES['pemrogram']}",
                    f"Programmer yang ditunjuk {FULL_NAMES['pemrogram']}", at=1)  # fmt: skip
    assert FULL_NAMES["pemrogram"] not in first and FULL_NAMES["analis"] not in second
    given = {h["step"]: h["fields"] for h in v["history"]}
    assert given["appoint_system_analyst"] == {"system_analyst": "analis"}
    assert given["appoint_programmer"] == {"programmer": "pemrogram"}
    assert v["letters"][0]["number"] != v["letters"][1]["number"]


def test_muaraenim_pengembang_by_a_developer(api: TestClient) -> None:
    v = open_request(api, "application_development", {}, sop_key="muaraenim-pengembang")
    pid = v["id"]
    done(api, pid, "needs_identification", "opd", ("needs_identification",))
    done(api, pid, "requirements_specification", "teknis", ("requirements_specification",))
    done(api, pid, "specification_review", "kabid", ("modification_request",))
    done(api, pid, "appoint_developer", "teknis", ("work_contract", "cooperation_agreement"),
         developer_name="PT Solusi Data Sriwijaya")  # fmt: skip
    done(api, pid, "monitoring", "kabid", ("implementation_plan", "implementation_schedule"),
         prototype_system="https://proto.dev.demokab.go.id")  # fmt: skip
    done(api, pid, "prototype_review", "kabid", ("review_report",))
    done(api, pid, "user_training", "teknis", ("training_report",),
         training_equipment="10 laptop dan proyektor")  # fmt: skip
    v = done(api, pid, "implementation", "teknis", final_system="Aplikasi jadi, versi 1.0")
    assert v["ended"] == "completed" and v["letters"] == []
    check_history(api, v, [
        ("needs_identification", "opd"), ("requirements_specification", "teknis"),
        ("specification_review", "kabid"), ("appoint_developer", "teknis"),
        ("monitoring", "kabid"), ("prototype_review", "kabid"), ("user_training", "teknis"),
        ("implementation", "teknis"),
    ])  # fmt: skip
    check_clocks(api, v, [1440, 1440, 120, 1440, 43200, 120, 480, 0])


# --- Tapin's second SOP: the application, its berita acara and the refusal at row 7 --------


def advance(api: TestClient, pid: int, who: str, outcome: str = "done", note: str = "",
            **fields: str) -> dict[str, Any]:  # fmt: skip
    """Attach what the current step still lacks (as the one acting) and record it."""
    v = view(api, pid)
    have = {d["kind"] for d in v["documents"]}
    step = next(s for s in v["steps"] if s["key"] == v["current_step"])
    for kind in step["documents"]:
        if kind not in have:
            attach(api, pid, kind, who=who)
    return act(api, pid, step["key"], who, outcome=outcome, note=note, **fields)


def tapin_to_availability(api: TestClient) -> int:
    v = open_request(api, "application_development", {}, sop_key="tapin-aplikasi")
    pid = v["id"]
    advance(api, pid, "opd")
    advance(api, pid, "kadis", instruction="Tindak lanjuti", assignee="kabid")
    advance(api, pid, "kabid", instruction="Analisis kebutuhan", assignee="teknis")
    advance(api, pid, "teknis", instruction="Tim aplikasi", assignee="analis")
    v = advance(api, pid, "teknis")
    assert v["current_step"] == "availability_check"
    return pid


TAPIN_START = [("request", "opd"), ("kadis_disposition", "kadis"),
               ("kabid_disposition", "kabid"), ("appoint_team", "teknis"),
               ("needs_analysis", "teknis"), ("availability_check", "kabid")]  # fmt: skip


def test_tapin_application_to_its_berita_acara(api: TestClient, tmp_path: Path) -> None:
    pid = tapin_to_availability(api)
    v = advance(api, pid, "kabid", outcome="approve")
    assert v["current_step"] == "development_plan"  # available: row 8, past the letter
    advance(api, pid, "teknis", repository_url="git@git.demokab.go.id:sample-app")
    advance(api, pid, "teknis")
    advance(api, pid, "opd", outcome="approve", plan_response="Setuju")
    advance(api, pid, "teknis", project_management_app="Redmine Diskominfo")
    advance(api, pid, "teknis")
    advance(api, pid, "opd", outcome="approve", result_response="Setuju, sesuai kebutuhan")
    advance(api, pid, "teknis")
    v = advance(api, pid, "kabid")
    assert v["current_step"] == "berita_acara"
    v = letter_step(api, pid, "berita_acara", "teknis")
    # 17: evaluated every six months: usage and problems, the decision in a letter each time.
    v = advance(api, pid, "teknis", outcome="continue", usage="85 pegawai memakai",
                problems="Lambat saat jam sibuk")  # fmt: skip
    assert v["current_step"] == "evaluation" and v["ended"] is None
    v = approve_waiting(api, pid)
    v = advance(api, pid, "teknis", outcome="retire", note="Diganti aplikasi nasional")
    assert v["ended"] == "retired"
    v = approve_waiting(api, pid)
    first = issued(api, v, "evaluation", tmp_path, "85 pegawai memakai", at=0)
    last = issued(api, v, "evaluation", tmp_path, "Diganti aplikasi nasional")
    assert first != last
    check_history(api, v, [
        *TAPIN_START, ("development_plan", "teknis"), ("plan_presentation", "teknis"),
        ("plan_response", "opd"), ("development", "teknis"), ("result_presentation", "teknis"),
        ("result_response", "opd"), ("report_to_section", "teknis"),
        ("kabid_receives_report", "kabid"), ("berita_acara", "kadis"), ("evaluation", "teknis"),
        ("evaluation", "teknis"),
    ])  # fmt: skip
    check_clocks(api, v, [0, 480, 0, 0, 480, 0, 480, 480, 0, 57600, 3360, 0, 3360, 0, 0, 0, 0])
    assert [lt["kind"] for lt in v["letters"]] == ["berita_acara", "evaluation", "evaluation"]
    issued(api, v, "berita_acara", tmp_path, "BERITA ACARA SERAH TERIMA", "telah menyerahkan",
           "Kepala Dinas Kesehatan")  # fmt: skip


def test_tapin_application_unavailable_ends_with_the_letter(
    api: TestClient, tmp_path: Path
) -> None:
    pid = tapin_to_availability(api)
    v = advance(api, pid, "kabid", outcome="reject", note="Anggaran tahun ini tidak tersedia")
    assert v["current_step"] == "unavailability_letter"
    reason = "Infrastruktur, SDM dan anggaran belum tersedia pada tahun anggaran 2026"
    v = advance(api, pid, "kabid", note=reason)
    assert v["current_step"] == "unavailability_letter" and v["letters"][-1]["number"] is None
    v = approve_waiting(api, pid)
    assert v["ended"] == "rejected"
    check_history(api, v, [*TAPIN_START, ("unavailability_letter", "kadis")])
    check_clocks(api, v, [0, 480, 0, 0, 480, 0, 0])
    issued(api, v, "refusal", tmp_path, reason, "menolak")
