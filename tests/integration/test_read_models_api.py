"""Services hand read models to the API and the pages, never table rows: a store that holds
requests with jobs and steps is listed and shown to every role (it answered 500 for every
role once one request existed — a lazy load of `Request.jobs` after the session closed),
and an OPD reads a failure in plain words while the network team reads what failed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.web.i18n import LANG_COOKIE
from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.failure_notice import public_failure
from tests.populated_store import LEAKS, PASSWORD, SQL_ERROR, TOOL_OUTPUT, Population, populate

pytestmark = pytest.mark.lab
STAFF = ("network", "technical", "approver", "admin")


@pytest.fixture(scope="module")
def world(
    lab: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Population]]:
    data = tmp_path_factory.mktemp("read-models")
    settings = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                        secret_key="read-models-" + "s" * 28)
    services = build_container(settings)
    pop = populate(services)
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        yield client, pop
    services.store.dispose()


def _leaks(text: str) -> list[str]:
    return [word for word in LEAKS if word in text]


def test_list_requests_with_jobs_as_every_role(world: tuple[TestClient, Population]) -> None:
    client, pop = world
    for who in ("opd", *STAFF):
        answer = client.get("/api/v1/requests", headers=pop.headers(who))
        assert answer.status_code == 200, (who, answer.text[:500])
        rows = {row["id"]: row for row in answer.json()}
        failed = rows[pop.requests["failed"]]
        statuses = {s["status"] for job in failed["jobs"] for s in job["steps"]}
        assert {"done", "failed"} <= statuses, (who, failed["jobs"])
        assert rows[pop.requests["letter_issued"]]["jobs"][0]["state"] == "done", who
        # Each listed request is the same as the request read on its own.
        one = client.get(f"/api/v1/requests/{failed['id']}", headers=pop.headers(who)).json()
        assert [j["id"] for j in one["jobs"]] == [j["id"] for j in failed["jobs"]], who
        assert (pop.requests["other_agency"] in rows) is (who != "opd"), who


def test_list_requests_of_one_state_with_jobs(world: tuple[TestClient, Population]) -> None:
    client, pop = world
    answer = client.get("/api/v1/requests?state=provisioning", headers=pop.headers("network"))
    assert answer.status_code == 200, answer.text[:500]
    [row] = answer.json()
    assert row["id"] == pop.requests["provisioning"]
    assert [s["status"] for s in row["jobs"][0]["steps"][:2]] == ["done", "running"]


def test_opd_reads_a_failure_in_plain_words_without_paths_sql_or_tool_output(
    world: tuple[TestClient, Population],
) -> None:
    client, pop = world
    rid, job_id = pop.requests["failed"], pop.jobs["failed"]
    opd = pop.headers("opd")
    shown = client.get(f"/api/v1/requests/{rid}", headers=opd)
    assert shown.status_code == 200 and not _leaks(shown.text), _leaks(shown.text)
    # The repository by the name the agency gave, not the code server's address.
    assert shown.json()["repo_url"] == "sample-app"
    network_view = client.get(f"/api/v1/requests/{rid}", headers=pop.headers("network"))
    assert network_view.json()["repo_url"].startswith("ssh://")
    failure = shown.json()["failure"]
    assert failure["reason"] == failure["public_reason"] == public_failure("database")
    assert failure["server"] is None and failure["step_title"] == "Basis data / Database"
    [step] = [s for s in shown.json()["jobs"][0]["steps"] if s["status"] == "failed"]
    assert step["error"] == public_failure("database") and step["server"] is None
    listed = client.get("/api/v1/requests", headers=opd)
    job = client.get(f"/api/v1/jobs/{job_id}", headers=opd)
    log = client.get(f"/api/v1/jobs/{job_id}/steps/database/log", headers=opd)
    for answer in (listed, job, log):
        assert answer.status_code == 200 and not _leaks(answer.text), answer.text[:500]
    assert all(s["outputs"] is None for s in job.json()["steps"])
    assert log.json() == public_failure("database")
    # The web pages the OPD opens: the request, the job, the job's live output.
    signed_in = client.post("/api/v1/auth/login",
                            json={"username": pop.usernames["opd"], "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    try:
        for path in (f"/requests/{rid}", f"/jobs/{job_id}", f"/jobs/{job_id}/live"):
            page = client.get(path)
            assert page.status_code == 200 and not _leaks(page.text), (path, _leaks(page.text))
        # One language per page: Indonesian by default, English when the reader chose it.
        page_id = client.get(f"/requests/{rid}").text
        assert "Pemasangan gagal pada tahap Basis data" in page_id
        assert "Installation failed" not in page_id
        client.cookies.set(LANG_COOKIE, "en")
        page_en = client.get(f"/requests/{rid}").text
        client.cookies.delete(LANG_COOKIE)
        assert "Installation failed at Database" in page_en and "Pemasangan gagal" not in page_en
    finally:
        client.cookies.clear()


def test_network_team_reads_the_failures_server_detail_and_log(
    world: tuple[TestClient, Population],
) -> None:
    client, pop = world
    rid, job_id = pop.requests["failed"], pop.jobs["failed"]
    net = pop.headers("network")
    failure = client.get(f"/api/v1/requests/{rid}", headers=net).json()["failure"]
    assert (failure["step"], failure["server"], failure["reason"]) == ("database", "db", SQL_ERROR)
    assert failure["public_reason"] == public_failure("database")
    job = client.get(f"/api/v1/jobs/{job_id}", headers=net).json()
    assert job["error"] == f"database @ db: {SQL_ERROR}"
    step = next(s for s in job["steps"] if s["name"] == "database")
    assert step["error"] == SQL_ERROR and step["public_error"] == public_failure("database")
    assert job["steps"][0]["outputs"]["run_dir"].startswith("/var/lib/provisioner/runs/")
    log = client.get(f"/api/v1/jobs/{job_id}/steps/database/log", headers=net).json()
    assert log == TOOL_OUTPUT
    signed_in = client.post("/api/v1/auth/login",
                            json={"username": pop.usernames["network"], "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    try:
        assert "SQL syntax" in client.get(f"/requests/{rid}").text
    finally:
        client.cookies.clear()


def test_every_page_of_the_populated_store_renders_for_every_role(
    world: tuple[TestClient, Population],
) -> None:
    """The pages take the same read models: none of them may fail on a request with jobs,
    letters or a failure (they are not in the schema the fuzzing walks)."""
    client, pop = world
    pages = ["/requests", "/queue", "/sites", "/dashboard",
             *(f"/requests/{rid}" for rid in pop.requests.values()),
             *(f"/requests/{rid}/review" for rid in pop.requests.values()),
             *(f"/jobs/{jid}" for jid in pop.jobs.values()),
             *(f"/jobs/{jid}/live" for jid in pop.jobs.values())]  # fmt: skip
    for who in ("opd", *STAFF):
        signed_in = client.post("/api/v1/auth/login",
                                json={"username": pop.usernames[who], "password": PASSWORD})
        assert signed_in.status_code == 200, (who, signed_in.text)
        try:
            for path in pages:
                page = client.get(path, follow_redirects=False)
                assert page.status_code < 500, (who, path, page.text[-2000:])
        finally:
            client.cookies.clear()


def test_approver_dashboard_inbox_moves_a_letter_from_waiting_to_approved(
    world: tuple[TestClient, Population],
) -> None:
    """The approver's inbox on the dashboard: the issued letter's request waits with a link
    to its letters; once approved it is listed as approved, with who approved it. Other
    staff's dashboards have no inbox."""
    client, pop = world
    rid = pop.requests["letter_issued"]

    def dashboard(who: str) -> str:
        signed_in = client.post("/api/v1/auth/login",
                                json={"username": pop.usernames[who], "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        try:
            page = client.get("/dashboard")
            assert page.status_code == 200, page.text[-1000:]
            return page.text
        finally:
            client.cookies.clear()

    def section(html: str, table: str) -> str:
        found = re.search(rf'<table class="stack" id="{table}">(.*?)</table>', html, re.DOTALL)
        return found.group(1) if found else ""

    before = dashboard("approver")
    assert f'href="/requests/{rid}#letters"' in section(before, "letters-waiting")
    assert f'href="/requests/{rid}#letters"' not in section(before, "letters-approved")
    assert 'id="inbox"' not in dashboard("network")

    approved = client.post(f"/api/v1/requests/{rid}/letter/approve",
                           headers=pop.headers("approver"))  # fmt: skip
    assert approved.status_code == 200, approved.text
    after = dashboard("approver")
    assert f'href="/requests/{rid}#letters"' not in section(after, "letters-waiting")
    done = section(after, "letters-approved")
    assert f'href="/requests/{rid}#letters"' in done and pop.usernames["approver"] in done
