"""What an OPD reads of a failure (domain/failure_notice.py) and what the presenters leave
in an OPD's copy of a request or job (api/presenters.py) — pure, no store."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.presenters import job_for, job_out, request_out, step_log
from provisioner.domain.actors import Actor, Role
from provisioner.domain.failure_notice import (
    public_failure,
    public_job_error,
    public_progress,
    step_label,
    step_title,
)
from provisioner.domain.jobs import HOSTING_STEPS, OPERATION_STEPS
from provisioner.workflow.read_models import JobView, RequestView, StepView

NOW = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
DETAIL = "ERROR 1064 (42000) at '/var/lib/provisioner/runs/7/apply.sql': SQL syntax"
OPD = Actor("opd", Role.OPD, "Dinas Kesehatan")
NET = Actor("net", Role.NETWORK)


@pytest.mark.parametrize(
    "name", [s.name for s in HOSTING_STEPS] + [s.name for s in OPERATION_STEPS["retire"]]
)
def test_public_failure_names_the_step_in_both_languages(name: str) -> None:
    title_id, title_en = step_title(name)
    indonesian, english = public_failure(name).split(" / ", 1)
    assert title_id in indonesian and title_en in english


def test_unknown_step_gets_plain_words_not_its_recorded_name() -> None:
    assert public_failure("x; rm -rf /srv") == public_failure(None)
    assert "rm -rf" not in public_failure("x; rm -rf /srv")


def test_job_error_in_plain_words_by_state() -> None:
    assert public_job_error("failed", DETAIL, "database") == public_failure("database")
    assert public_job_error("failed", None, None) == public_failure(None)
    assert public_job_error("queued", "waiting for job 3 (site:x)", None) is not None
    assert public_job_error("done", None, None) is None
    assert "job 3" not in (public_job_error("queued", "waiting for job 3 (site:x)", None) or "")


def _failed_job() -> JobView:
    failed = StepView("database", step_label("database"), "failed", "db", DETAIL,
                      public_failure("database"), 3, NOW, NOW, {"run_dir": "/var/lib/x"},
                      "fatal: [db]: FAILED! " + DETAIL)  # fmt: skip
    done = StepView("dns", step_label("dns"), "done", "ns1", None, None, 1, NOW, NOW,
                    {"records": ["A"]}, "ok")  # fmt: skip
    return JobView(7, 1, "provision", "failed", f"database @ db: {DETAIL}",
                   public_failure("database"), "net", NOW, NOW, NOW, False, (done, failed))


def _failed_request() -> RequestView:
    return RequestView(
        id=1, ticket="SUB-20261130-0001", label="dinkes", zone="demokab.go.id",
        fqdn="dinkes.demokab.go.id", agency="Dinas Kesehatan", purpose="Situs resmi",
        contact_name="Siti", contact_email="siti@dinkes.demokab.go.id", contact_phone="",
        letter_number="400.7/1", letter_date=date(2026, 11, 29), hosting=True,
        repo_url="sample-app", branch="main", target_address=None, state="failed",
        created_by="opd", created_at=NOW, decided_by="net", decided_at=NOW,
        rejection_reason=None, plan=None, plan_checksum=None, commit_sha=None,
        failure_step="database", failure_server="db", failure_reason=DETAIL,
        failure_public=public_failure("database"), live_at=None, request_type="new",
        subject_request_id=None, contact_nip=None, contact_position=None, contact_rank=None,
        site_kind=None, stack=None, db_wanted=None, revision_note=None,
        letter_scan_sha256=None, letter_approved_by=None, letter_approved_at=None,
        db_name="site_dinkes", db_user="u_dinkes", jobs=(_failed_job(),),
    )  # fmt: skip


def test_opds_copy_of_a_failed_request_has_no_path_sql_or_tool_output() -> None:
    shown = request_out(_failed_request(), OPD).model_dump_json()
    job = job_out(_failed_job(), OPD, with_outputs=True).model_dump_json()
    for text in (shown, job, step_log(_failed_job(), "database", OPD)):
        assert "/var/lib" not in text and "SQL" not in text and "fatal:" not in text, text
    assert request_out(_failed_request(), OPD).failure == {
        "step": "database", "step_title": "Basis data / Database", "server": None,
        "reason": public_failure("database"), "public_reason": public_failure("database"),
    }  # fmt: skip


def test_network_teams_copy_keeps_server_reason_log_and_outputs() -> None:
    shown = request_out(_failed_request(), NET)
    assert shown.failure is not None and shown.failure["reason"] == DETAIL
    assert shown.failure["server"] == "db"
    job = job_out(_failed_job(), NET, with_outputs=True)
    assert job.error == f"database @ db: {DETAIL}" and job.steps[1].error == DETAIL
    assert job.steps[1].public_error == public_failure("database")
    assert job.steps[0].outputs == {"records": ["A"]}
    assert "fatal:" in step_log(_failed_job(), "database", NET)


def test_opd_follows_a_job_by_each_steps_progress_not_its_tool_output() -> None:
    shown = job_for(OPD, _failed_job())
    assert [s.log for s in shown.steps] == [
        "Rekaman DNS / DNS records: selesai / done", public_failure("database")
    ]
    assert public_progress("dns", "planned") is None
