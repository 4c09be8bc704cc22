"""Confirmation of consequential actions (approve, reject, deploy, promote, roll back,
retire, repair drift, approve a letter). The action's form carries `confirmed`: the
browser's script sets it once the user said yes (static/js/confirm.js); a form posted
without it — no JavaScript — gets a page that asks, re-posting the same fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.session import CSRF_FIELD
from api.web.render import render
from api.web.session_bridge import page_csrf
from provisioner.domain.actors import Actor

CONFIRM_FIELD = "confirmed"


def is_confirmed(value: object) -> bool:
    """The form's answer to the question: only "yes" goes ahead."""
    return value == "yes"


def confirm_page(
    request: Request,
    actor: Actor,
    *,
    question: str,
    button: str,
    fields: Mapping[str, object],
    back: str,
    details: Iterable[tuple[str, str]] = (),
    danger: bool = False,
) -> HTMLResponse:
    """Ask before acting: the question, what it acts on, and the same form once more."""
    kept = [
        (name, str(value))
        for name, value in fields.items()
        if name not in (CSRF_FIELD, CONFIRM_FIELD) and isinstance(value, str | int)
    ]
    return render(
        request,
        "confirm.html",
        {
            "question": question,
            "button": button,
            "button_class": "danger" if danger else "",
            "action": request.url.path,
            "fields": kept,
            "back": back,
            "details": list(details),
        },
        actor=actor,
        csrf=page_csrf(request, actor),
    )
