"""The network team's page for adopting the records a zone held before provisioner: the
records nobody owns (dangling CNAMEs marked, the ones that cannot be adopted with the
reason), checkboxes to pick them, an agency or "infrastructure" per row or for all at
once; then the plan to review, and its confirmation — adopted only if the plan is still
exactly the one shown. Nothing is written to the zone. Routes call the workflow only."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from api.deps import DnsAdoptionDep
from api.errors import error_page
from api.schemas.dns import AdoptRecordIn
from api.web.confirm import confirm_page, is_confirmed
from api.web.flash import done_url
from api.web.i18n import language, translate
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, page_csrf
from provisioner.domain.actors import Action, Actor, ensure_allowed
from provisioner.domain.dns_adoption import AdoptionWish
from provisioner.domain.errors import Forbidden, InvalidInput, ProvisionerError
from provisioner.workflow.dns_adoption.service import DnsAdoption, ZoneForeign

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

PAGE = "/dns/adopt"
# Rows shown at once: three form fields each stay well under the form parser's field
# limit; once these are adopted the list shows the next ones.
ROWS_SHOWN = 250
_RECORDS = TypeAdapter(list[AdoptRecordIn])


@router.get(PAGE, response_class=HTMLResponse)
def adoption_list(
    request: Request,
    adoption: DnsAdoptionDep,
    actor: SignedIn,
    zone: Annotated[str | None, Query(max_length=253)] = None,
    every: Annotated[str | None, Query(alias="all", max_length=1)] = None,
) -> Response:
    """The records of a zone nobody owns, to pick and assign (network team); `all=1`
    ticks every adoptable one."""
    return _list_page(request, adoption, actor, zone, select_all=every == "1")


@router.post(f"{PAGE}/review", response_class=HTMLResponse)
async def adoption_review(request: Request, adoption: DnsAdoptionDep, actor: SignedIn) -> Response:
    """The plan for the picked records, to confirm; back to the list, each row's mistake
    next to it, when something picked is wrong."""
    form = await request.form()
    zone = str(form.get("zone", ""))[:253]
    rows, wishes = _picked(form)
    try:
        ensure_allowed(actor, Action.ADOPT_DNS)
        review = adoption.review(actor, zone, wishes)
    except Forbidden as exc:
        return error_page(request, actor, exc)
    except InvalidInput as exc:
        return _list_page(request, adoption, actor, zone, problems=_by_row(exc, rows),
                          picked=form, status_code=422)  # fmt: skip
    except ProvisionerError as exc:
        return _list_page(request, adoption, actor, zone, error=exc.message, status_code=409)
    records = [
        {"name": w.name, "rtype": w.rtype, "value": w.value, "assign": w.assign,
         "agency": w.agency}
        for w in wishes
    ]  # fmt: skip
    return render(request, "dns_adopt_review.html",
                  {"review": review, "records": json.dumps(records), "zone": review.zone},
                  actor=actor, csrf=page_csrf(request, actor))  # fmt: skip


@router.post(PAGE)
def adopt(
    request: Request,
    adoption: DnsAdoptionDep,
    actor: SignedIn,
    zone: Annotated[str, Form(max_length=253)],
    checksum: Annotated[str, Form(max_length=64)],
    records: Annotated[str, Form(max_length=400_000)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Adopt the reviewed plan, once confirmed, if it is still exactly the plan shown."""
    try:
        ensure_allowed(actor, Action.ADOPT_DNS)
        wishes = _wishes_of(records)
        if not is_confirmed(confirmed):
            lang = language(request)
            return confirm_page(
                request, actor,
                question=translate("adopt.confirm_q", lang, count=len(wishes)),
                button=translate("adopt.confirm", lang, count=len(wishes)),
                fields={"zone": zone, "checksum": checksum, "records": records},
                back=f"{PAGE}?zone={zone}",
            )  # fmt: skip
        done = adoption.adopt(actor, zone, wishes, checksum)
    except Forbidden as exc:
        return error_page(request, actor, exc)
    except ProvisionerError as exc:
        # The zone or the registry moved since the plan was shown: the fresh list, and why.
        return _list_page(request, adoption, actor, zone, error=exc.message, status_code=409)
    url = done_url(f"{PAGE}?zone={done.zone}", "adopted", name=str(len(done.adopted)))
    return RedirectResponse(url, status_code=303)


# --- the list ----------------------------------------------------------------------------


def _list_page(
    request: Request,
    adoption: DnsAdoption,
    actor: Actor,
    zone: str | None,
    *,
    select_all: bool = False,
    problems: dict[int | None, list[str]] | None = None,
    picked: Any = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        ensure_allowed(actor, Action.ADOPT_DNS)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    zones = adoption.managed_zones()
    current: ZoneForeign | None = None
    try:
        current = adoption.foreign(actor, zone or zones[0])[0]
    except ProvisionerError as exc:
        error = error or exc.message
    rows = current.foreign[:ROWS_SHOWN] if current else []
    return render(
        request,
        "dns_adopt.html",
        {
            "zones": zones,
            "current": current,
            "rows": rows,
            "total": len(current.foreign) if current else 0,
            "select_all": select_all,
            "problems": problems or {},
            "kept": _kept(picked),
            "error": error,
        },
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


def _picked(form: Any) -> tuple[list[int], list[AdoptionWish]]:
    """The rows ticked (their numbers) and what each asks: a checkbox's value is
    "<row>\\t<name>\\t<type>\\t<value>", as the list showed the record."""
    bulk = str(form.get("bulk", "row"))
    bulk_agency = str(form.get("bulk_agency", "")) or None
    rows: list[int] = []
    wishes: list[AdoptionWish] = []
    for raw in form.getlist("pick"):
        parts = str(raw).split("\t", 3)
        if len(parts) != 4 or not parts[0].isdigit():
            continue
        row, name, rtype, value = int(parts[0]), parts[1], parts[2], parts[3]
        if bulk in ("agency", "infrastructure"):
            assign, agency = bulk, bulk_agency if bulk == "agency" else None
        else:
            assign = str(form.get(f"assign_{row}", "agency"))
            agency = (str(form.get(f"agency_{row}", "")) or None) if assign == "agency" else None
        rows.append(row)
        wishes.append(AdoptionWish(name, rtype, value, assign, agency))
    return rows, wishes


def _by_row(exc: InvalidInput, rows: list[int]) -> dict[int | None, list[str]]:
    """Each problem under the row it is about ("records[2].agency" → the third pick's
    row); None for the form as a whole."""
    found: dict[int | None, list[str]] = {}
    for field, message in exc.problems:
        row: int | None = None
        if field.startswith("records[") and "]" in field:
            index = field[len("records[") : field.index("]")]
            row = rows[int(index)] if index.isdigit() and int(index) < len(rows) else None
        found.setdefault(row, []).append(message)
    return found


def _kept(form: Any) -> dict[str, Any]:
    """What the team chose, so that the list shown again with its mistakes keeps it."""
    if form is None:
        return {}
    return {
        "picked": {str(v).split("\t", 1)[0] for v in form.getlist("pick")},
        "fields": {k: str(v) for k, v in form.items() if k.startswith(("assign_", "agency_"))},
        "bulk": str(form.get("bulk", "row")),
        "bulk_agency": str(form.get("bulk_agency", "")),
    }


def _wishes_of(records: str) -> list[AdoptionWish]:
    """The reviewed records the confirmation form carries back (JSON), checked like the
    API's body."""
    try:
        parsed = _RECORDS.validate_json(records)
    except ValidationError:
        raise InvalidInput(
            "records",
            "Daftar rekaman rusak; tinjau lagi / The list of records is damaged; review again",
        ) from None
    return [AdoptionWish(**r.model_dump()) for r in parsed]
