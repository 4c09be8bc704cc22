"""Kalimantan Utara's recommendation SOP end to end through the API, step by step as the seed
writes it: intake with the proposal's sections, receipt, the Kadis → Kabid disposition chain,
completeness and the invitation (approved before issue), the presentation, the assessment
and the Kadis's recommendation — and the "tidak perlu" branch with its refusal letter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provisioner.config import Settings
from tests.sop_support import (
    act,
    approve_waiting,
    attach,
    auth,
    letter_text,
    open_request,
    sop_client,
)

pytestmark = pytest.mark.lab

SECTIONS = [
    "legal_basis", "problem_and_need", "benefit", "similar_systems", "functional_features",
    "monitored_activities", "system_data", "system_reports", "system_standards",
    "authentication_access", "integration", "interface", "functional_other", "implementer",
    "resources_budget", "schedule",
]  # fmt: skip
PROPOSAL = {k: f"Uraian {k.replace('_', ' ')} untuk aplikasi puskesmas" for k in SECTIONS}


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    yield from sop_client(lab, tmp_path_factory.mktemp("kaltara"))


def to_presentation(api: TestClient) -> dict[str, Any]:
    """Open a request and take it through receipt, both dispositions and the invitation."""
    view = open_request(api, "application_recommendation", PROPOSAL)
    pid = view["id"]
    assert view["sop_key"] == "kaltara-rekomendasi" and view["sop_version"] == 1
    assert view["current_step"] == "receipt"
    attach(api, pid, "request_letter")
    attach(api, pid, "proposal")
    act(api, pid, "receipt", "umum")
    attach(api, pid, "disposition_sheet", who="kadis")
    act(api, pid, "kadis_disposition", "kadis", instruction="Kaji bersama tim", assignee="kabid")
    act(api, pid, "kabid_disposition", "kabid", instruction="Periksa berkas", assignee="teknis")
    view = act(
        api,
        pid,
        "completeness_invitation",
        "teknis",
        presentation_at="2026-12-10T09:00",
        presentation_place="Ruang Rapat Diskominfo",
    )
    assert view["current_step"] == "completeness_invitation"  # waits for the Kadis's approval
    assert view["letters"][-1]["number"] is None
    view = approve_waiting(api, pid)
    assert view["current_step"] == "presentation"
    return view


def test_the_recommendation_runs_as_the_seed_writes_it(api: TestClient, tmp_path: Path) -> None:
    view = to_presentation(api)
    pid = view["id"]
    invitation = view["letters"][0]
    text = letter_text(api, invitation, tmp_path)
    assert invitation["kind"] == "invitation" and invitation["number"] in text
    assert "-UND/" in invitation["number"] and "WITA" in text and "Ruang Rapat" in text
    attach(api, pid, "presentation_result")
    act(api, pid, "presentation", "opd")
    attach(api, pid, "assessment_result", who="teknis")
    act(api, pid, "assessment", "teknis", outcome="needed")
    view = act(api, pid, "recommendation", "kadis", outcome="approve")
    assert view["current_step"] == "recommendation"  # the draft waits in the inbox
    view = approve_waiting(api, pid)
    assert view["ended"] == "completed" and view["current_step"] is None
    rec = view["letters"][-1]
    assert rec["kind"] == "recommendation" and "-REK/" in rec["number"]
    text = letter_text(api, rec, tmp_path)
    assert rec["number"] in text and "Sistem Informasi Layanan Puskesmas" in text
    assert "commit" not in text and "subdomain" not in text.lower()
    # Every human step recorded with who and when, in the seed's order.
    steps = [(h["step"], h["actor"]) for h in view["history"]]
    assert steps == [
        ("receipt", "umum"), ("kadis_disposition", "kadis"), ("kabid_disposition", "kabid"),
        ("completeness_invitation", "kadis"), ("presentation", "opd"),
        ("assessment", "teknis"), ("recommendation", "kadis"),
    ]  # fmt: skip
    disposition = view["history"][1]["fields"]
    assert disposition == {"instruction": "Kaji bersama tim", "assignee": "kabid"}
    # Clocks in working minutes from the SOP's mutu baku: 20/20/20/20/60/120/480.
    limits = [c["limit_minutes"] for c in view["clocks"]]
    assert limits == [20, 20, 20, 20, 60, 120, 480]
    presentation = next(c for c in view["clocks"] if c["step"] == "presentation")
    assert presentation["paused"] is True  # the OPD's step: the Diskominfo's clock stops


def test_not_needed_ends_with_a_refusal_letter(api: TestClient, tmp_path: Path) -> None:
    pid = to_presentation(api)["id"]
    attach(api, pid, "presentation_result")
    act(api, pid, "presentation", "opd")
    refused = act(api, pid, "assessment", "teknis", outcome="not_needed", expect=422)
    assert refused["detail"][0]["loc"][-1] == "note"
    view = act(
        api,
        pid,
        "assessment",
        "teknis",
        outcome="not_needed",
        note="Sudah ada aplikasi serupa milik Kementerian Kesehatan",
    )
    assert view["ended"] == "not_needed"
    view = approve_waiting(api, pid)
    refusal = view["letters"][-1]
    assert refusal["kind"] == "refusal" and "-TLK/" in refusal["number"]
    text = letter_text(api, refusal, tmp_path)
    assert "Sudah ada aplikasi serupa milik Kementerian Kesehatan" in text


def test_wrong_turns_are_refused_with_the_reason(api: TestClient) -> None:
    view = open_request(api, "application_recommendation", PROPOSAL)
    pid = view["id"]
    # Forward without the intake's documents: 422 naming each.
    r = act(api, pid, "receipt", "umum", expect=422)
    assert {e["loc"][-1] for e in r["detail"]} >= {"request_letter", "proposal"}
    # The wrong role, and a step out of turn.
    attach(api, pid, "request_letter")
    attach(api, pid, "proposal")
    assert act(api, pid, "receipt", "teknis", expect=403)
    assert act(api, pid, "kadis_disposition", "kadis", expect=409)
    # Another agency sees nothing of it.
    other = api.get(f"/api/v1/procedures/{pid}", headers=auth(api, "opd-other"))
    assert other.status_code == 403
    # A missing section of the proposal is a 422 naming it, and nothing is stored.
    before = len(api.get("/api/v1/procedures", headers=auth(api, "kadis")).json())
    short = {k: v for k, v in PROPOSAL.items() if k != "benefit"}
    r = api.post("/api/v1/procedures", headers=auth(api, "opd"), json={
        "request_type": "application_recommendation", "title": "X", "agency": "Dinas Kesehatan",
        "request_letter_number": "1/2026", "fields": short})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "benefit"
    assert len(api.get("/api/v1/procedures", headers=auth(api, "kadis")).json()) == before
    # A disposition needs its instruction and an assignee who is a user.
    act(api, pid, "receipt", "umum")
    attach(api, pid, "disposition_sheet", who="kadis")
    r = act(api, pid, "kadis_disposition", "kadis", expect=422)
    assert {e["loc"][-1] for e in r["detail"]} == {"instruction", "assignee"}
    r = act(api, pid, "kadis_disposition", "kadis", instruction="x", assignee="nobody", expect=422)
    assert r["detail"][0]["loc"][-1] == "assignee"
