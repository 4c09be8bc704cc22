"""Figures for the approver's dashboard, computed from request rows (no I/O here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median
from typing import Any

OPEN_STATES = frozenset(
    {"submitted", "verified", "approved", "returned", "provisioning", "testing_dev",
     "dev_ready", "production", "failed"}
)


@dataclass(frozen=True)
class MonthFigure:
    month: str  # "2026-11"
    count: int
    median_hours: float

    @property
    def median_minutes(self) -> float:
        """The median in minutes, for a page to say "36 menit" rather than "0.6 jam"."""
        return self.median_hours * 60


def time_to_live_per_month(requests: Iterable[Any]) -> list[MonthFigure]:
    """Median hours from submission to live, per month of going live (newest first)."""
    hours: dict[str, list[float]] = defaultdict(list)
    for req in requests:
        if req.live_at is None or req.created_at is None:
            continue
        live_at, created_at = req.live_at, req.created_at
        # SQLite hands back naive datetimes; both columns are stored in UTC.
        if (live_at.tzinfo is None) != (created_at.tzinfo is None):
            live_at, created_at = live_at.replace(tzinfo=None), created_at.replace(tzinfo=None)
        hours[live_at.strftime("%Y-%m")].append((live_at - created_at).total_seconds() / 3600)
    return [
        MonthFigure(month, len(values), round(median(values), 4))
        for month, values in sorted(hours.items(), reverse=True)
    ]


def open_requests(requests: Iterable[Any]) -> list[Any]:
    """Requests still on their way (not live, rejected or retired)."""
    return [r for r in requests if r.state in OPEN_STATES]


@dataclass(frozen=True)
class LetterInbox:
    """The signing official's letters: waiting for approval, approved (newest first)."""

    waiting: list[Any]
    approved: list[Any]


def letter_inbox(requests: Iterable[Any]) -> LetterInbox:
    """Requests whose letter was issued, split by whether the official approved it."""
    issued = sorted((r for r in requests if r.state == "letter_issued"),
                    key=lambda r: r.live_at or r.created_at, reverse=True)  # fmt: skip
    return LetterInbox(
        waiting=[r for r in issued if not r.letter_approved_by],
        approved=[r for r in issued if r.letter_approved_by],
    )
