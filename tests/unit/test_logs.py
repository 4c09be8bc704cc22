"""The process's logging: routine narration of libraries stays out, their warnings stay in,
and every record carries the job id."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from provisioner.ops.logs import QUIET_LIBRARIES, configure_logging, job_id_var


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield
    root.handlers, root.level = handlers, level
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_the_schedulers_every_run_is_not_logged_but_its_failures_are(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(json_logs=False)
    runs = logging.getLogger("apscheduler.executors.default")
    runs.info('Job "LeaderElection.renew" executed successfully')
    runs.warning('Run time of job "liveness" was missed by 0:00:03')
    logging.getLogger("weasyprint.progress").info("Step 5 - Creating layout - Page 1")
    token = job_id_var.set(7)
    try:
        logging.getLogger("provisioner.jobs.runner").info("step dns done")
    finally:
        job_id_var.reset(token)
    err = capsys.readouterr().err
    assert "executed successfully" not in err and "Creating layout" not in err
    assert "was missed by" in err
    assert "[job=7] step dns done" in err
