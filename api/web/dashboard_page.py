"""The staff dashboard: figures people can read (how many open, how many overdue, the
median time to live per month in minutes or hours), the overdue SLA steps, the open
requests as a list to search and sort, and — for the signing official — the letters
waiting for approval and those approved, and the SOP letters (invitations,
recommendations, refusals …) waiting for the Kepala Dinas, each approved from here once
asked. Routes call the workflow only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ProceduresDep, QueriesDep
from api.errors import error_page
from api.session import People
from api.web.actions import may
from api.web.dashboard import letter_inbox, open_requests, time_to_live_per_month
from api.web.listing import ListQuery, paginate
from api.web.opd import REQUEST_SORTS, request_text
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, page_csrf
from provisioner.domain.actors import Action, ensure_allowed
from provisioner.domain.errors import ProvisionerError

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, queries: QueriesDep, procedures: ProceduresDep, people: People,
    actor: SignedIn,
) -> Response:
    """Open requests, overdue steps (the SLA clocks), time to live per month, letters."""
    try:
        ensure_allowed(actor, Action.DASHBOARD)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    rows = queries.list(actor)
    opened = open_requests(rows)
    listing = paginate(
        opened, ListQuery.of(request.query_params, sort="created", desc=False),
        path="/dashboard", text=request_text, sorts=REQUEST_SORTS, state=lambda r: r.state,
        kind=lambda r: r.request_type, page_size=15,
    )  # fmt: skip
    signs = may(actor, Action.SIGN_LETTER) or may(actor, Action.CORRECT_LETTER)
    return render(
        request,
        "dashboard.html",
        {
            "listing": listing,
            "open_count": len(opened),
            "total": len(rows),
            "overdue": list(people.sla.overdue(actor)),
            "months": time_to_live_per_month(rows),
            "inbox": letter_inbox(rows) if signs else None,
            "sop_letters": (
                procedures.letters_waiting(actor) if may(actor, Action.SIGN_LETTER) else None
            ),
        },
        actor=actor,
        csrf=page_csrf(request, actor),
    )
