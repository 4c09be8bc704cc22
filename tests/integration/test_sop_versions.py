"""An admin edits an SOP through the API: the edit is stored as the next version, a new
request follows it, and a request already under way keeps the version it started with —
its steps, its limits and its clocks."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from provisioner.config import Settings
from tests.sop_support import act, attach, auth, open_request, sop_client

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    yield from sop_client(lab, tmp_path_factory.mktemp("sop-versions"))


def edited_tarakan(api: TestClient) -> str:
    """Tarakan's consultation SOP with a 45-minute review and a new step after it."""
    r = api.get("/api/v1/sops/tarakan-konsultasi?version=1", headers=auth(api, "umum"))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    steps = data["steps"]
    review = next(s for s in steps if s["key"] == "review")
    review["limit"] = "45m"
    steps.insert(steps.index(review) + 1, {
        "key": "security_review", "role": "team", "limit": "1h",
        "name": {"id": "Kajian keamanan aplikasi", "en": "Application security review"},
        "output": {"record": "security_review"},
    })  # fmt: skip
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_an_edit_is_a_new_version_and_requests_under_way_keep_theirs(api: TestClient) -> None:
    before = open_request(api, "consultation", {})
    assert (before["sop_key"], before["sop_version"]) == ("tarakan-konsultasi", 1)
    r = api.put("/api/v1/sops/tarakan-konsultasi", headers=auth(api, "umum"),
                json={"definition": edited_tarakan(api)})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["edited"] is True
    after = open_request(api, "consultation", {})
    assert after["sop_version"] == 2
    keys_after = [s["key"] for s in after["steps"]]
    assert keys_after[keys_after.index("review") + 1] == "security_review"
    # The request under way: still version 1, no new step, the old limit on its clock.
    again = api.get(f"/api/v1/procedures/{before['id']}", headers=auth(api, "opd")).json()
    assert again["sop_version"] == 1
    assert "security_review" not in [s["key"] for s in again["steps"]]
    assert next(s for s in again["steps"] if s["key"] == "review")["limit"] == "25m"
    # Both move on under their own definition: the new one stops at the new step.
    for view in (before, after):
        pid = view["id"]
        attach(api, pid, "request_letter")
        act(api, pid, "request_letter", "opd")
        attach(api, pid, "disposition_sheet", who="umum")
        act(api, pid, "registration", "umum", agenda_number="AG-2026/117")
        act(api, pid, "disposition", "kadis", instruction="Kaji", assignee="kabid")
        moved = act(api, pid, "review", "kabid", prepared_website="https://contoh.go.id",
                    follow_up_data="Kebutuhan aplikasi antrean")
    assert moved["current_step"] == "security_review"
    old = api.get(f"/api/v1/procedures/{before['id']}", headers=auth(api, "opd")).json()
    assert old["current_step"] == "decision"
    review_clock = next(c for c in moved["clocks"] if c["step"] == "review")
    assert review_clock["limit_minutes"] == 45
    # The version an old request used can still be read.
    v1 = api.get("/api/v1/sops/tarakan-konsultasi?version=1", headers=auth(api, "umum"))
    assert v1.status_code == 200 and v1.json()["version"] == 1


def test_a_broken_edit_is_refused_naming_the_problem_and_changes_nothing(
    api: TestClient,
) -> None:
    listed = {s["key"]: s["version"] for s in
              api.get("/api/v1/sops", headers=auth(api, "umum")).json()}  # fmt: skip
    data = yaml.safe_load(edited_tarakan(api))
    data["steps"][0]["outcomes"] = {"done": {"next": "no_such_step"}}
    r = api.put("/api/v1/sops/tarakan-konsultasi", headers=auth(api, "umum"),
                json={"definition": yaml.safe_dump(data)})  # fmt: skip
    assert r.status_code == 422 and "no_such_step" in r.text
    r = api.put("/api/v1/sops/tarakan-konsultasi", headers=auth(api, "umum"),
                json={"definition": "key: [unclosed"})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "definition"
    r = api.put("/api/v1/sops/default", headers=auth(api, "umum"),
                json={"definition": edited_tarakan(api)})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "key"
    # Only an admin edits; the others get 403.
    r = api.put("/api/v1/sops/tarakan-konsultasi", headers=auth(api, "kadis"),
                json={"definition": edited_tarakan(api)})  # fmt: skip
    assert r.status_code == 403
    now = {s["key"]: s["version"] for s in
           api.get("/api/v1/sops", headers=auth(api, "umum")).json()}  # fmt: skip
    assert now == listed


def test_the_admin_chooses_the_sop_of_a_request_type(api: TestClient) -> None:
    r = api.put("/api/v1/sops/choice/subdomain", headers=auth(api, "umum"),
                json={"key": "tapin-subdomain"})  # fmt: skip
    assert r.status_code == 200 and "subdomain" in r.json()["chosen_for"]
    r = api.put("/api/v1/sops/choice/subdomain", headers=auth(api, "umum"),
                json={"key": "kaltara-rekomendasi"})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "key"
    api.put("/api/v1/sops/choice/subdomain", headers=auth(api, "umum"), json={"key": "default"})
