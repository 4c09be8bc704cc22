"""Structured JSON logs that carry the job id and the HTTP request id of what they are about."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

job_id_var: ContextVar[int | None] = ContextVar("job_id", default=None)
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


QUIET_LIBRARIES = ("apscheduler.executors", "apscheduler.scheduler", "weasyprint.progress")


class ContextFilter(logging.Filter):
    """Copies the current job and request ids onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = job_id_var.get()
        record.request_id = request_id_var.get()
        return True


def configure_logging(*, json_logs: bool, level: int = logging.INFO) -> None:
    """Root logging for a process: JSON lines (production) or plain text (a terminal)."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(job_id)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [job=%(job_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # Libraries that narrate routine work at INFO: the scheduler's every run (the leader
    # lease each 10 s) and each step of every PDF; their warnings and errors still show.
    for chatty in QUIET_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
