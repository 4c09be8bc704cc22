"""What the SOP pages share: one way to render them (the SOP's own names in the page's
language, its limits as the SOP writes them), the message after an action, and a step's
clock in words — due, overdue, or paused while it waits on the OPD. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.web.flash import Flash, flash_of
from api.web.i18n import language, translate
from api.web.render import render
from api.web.session_bridge import page_csrf
from provisioner.domain.actors import Actor
from provisioner.domain.bilingual import Text
from provisioner.domain.sla import StepClock
from provisioner.workflow.procedures.views import ProcedureView

# done=<key> on an SOP page → "flash.<key>" (a fixed list: the address says nothing else).
SOP_DONE = frozenset(
    {"sop_opened", "sop_step", "sop_draft", "sop_probe", "sop_probe_failed", "sop_document",
     "sop_linked", "sop_letter_approved", "sop_saved", "sop_chosen", "record_uploaded"}
)  # fmt: skip
_LIMIT = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_UNITS = {
    "id": {"m": ("menit", "menit"), "h": ("jam", "jam"), "d": ("hari kerja", "hari kerja")},
    "en": {"m": ("minute", "minutes"), "h": ("hour", "hours"),
           "d": ("working day", "working days")},
}  # fmt: skip


def sop_flash(request: Request) -> Flash | None:
    """The message an SOP page's address asks for, else the site's usual one."""
    done = request.query_params.get("done")
    if done in SOP_DONE:
        name = request.query_params.get("name")
        return Flash(f"flash.{done}", None, name[:120] if name else None)
    return flash_of(request)


def limit_text(limit: str | None, lang: str) -> str:
    """A mutu baku as the SOP writes it: "20m" → "20 menit", "1d" → "1 hari kerja"."""
    if not limit:
        return translate("sop.no_limit", lang)
    m = _LIMIT.match(limit.strip())
    if m is None:
        return limit
    number = m[1].removesuffix(".0")
    one, many = _UNITS.get(lang, _UNITS["id"])[m[2]]
    return f"{number} {one if number == '1' else many}"


def sop_render(
    request: Request,
    template: str,
    context: dict[str, Any],
    actor: Actor,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """render() with the SOP pages' helpers: `tx(text)` (a bilingual name in the page's
    language) and `limit(step.limit)`."""
    lang = language(request)
    helpers: dict[str, Any] = {
        "tx": lambda text: text.in_(lang) if isinstance(text, Text) else str(text or ""),
        "limit": lambda value: limit_text(value, lang),
        "flash": sop_flash(request),
    }
    return render(request, template, {**helpers, **context}, actor=actor,
                  csrf=page_csrf(request, actor), status_code=status_code)  # fmt: skip


@dataclass(frozen=True)
class ClockLine:
    """A step's clock as a page says it."""

    state: str  # paused | overdue | due | running | done | late | none
    due_at: datetime | None
    used_minutes: float
    limit_minutes: int


def clock_line(clock: StepClock | None) -> ClockLine:
    if clock is None:
        return ClockLine("none", None, 0.0, 0)
    if clock.ended_at is not None:
        state = "late" if clock.overdue else "done"
    elif clock.paused:
        state = "paused"
    elif clock.overdue:
        state = "overdue"
    elif clock.due_at is not None:
        state = "due"
    else:
        state = "running"
    return ClockLine(state, clock.due_at, clock.used_minutes, clock.limit_minutes)


def latest_clocks(view: ProcedureView) -> dict[str, ClockLine]:
    """Each visited step's latest clock (a step visited again after a return has two)."""
    return {c.step: clock_line(c) for c in view.clocks}


def current_clock(view: ProcedureView) -> ClockLine | None:
    if view.current_step is None:
        return None
    running: Sequence[StepClock] = [c for c in view.clocks if c.ended_at is None]
    return clock_line(running[-1] if running else None)
