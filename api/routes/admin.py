"""Administration (admin role): users, tokens, the working calendar and SLA limits."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentActor
from api.gates import requires
from api.presenters import user_out
from api.schemas.admin import AgencySlaIn, CalendarDayIn
from api.schemas.people import TokenOut, UserIn, UserOut
from api.session import People
from provisioner.domain.actors import Action, Role

router = APIRouter(
    prefix="/api/v1/admin", tags=["admin"], dependencies=[requires(Action.MANAGE_USERS)]
)


@router.get("/users", response_model=list[UserOut])
def list_users(actor: CurrentActor, people: People) -> list[UserOut]:
    """Every user with role, agency and whether it is disabled or locked."""
    return [user_out(u) for u in people.users.list(actor)]


@router.post("/users", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, actor: CurrentActor, people: People) -> TokenOut:
    """Create a user; the API token is shown once in the answer."""
    token = people.users.add(
        actor,
        body.username,
        Role(body.role),
        body.agency,
        full_name=body.full_name,
        password=body.password,
        email=body.email,
    )
    return TokenOut(username=body.username, token=token)


@router.post("/users/{username}/disable", status_code=204)
def disable_user(username: str, actor: CurrentActor, people: People) -> Response:
    """Disable an account: its sessions end and its token stops working."""
    people.users.set_disabled(actor, username, True)
    return Response(status_code=204)


@router.post("/users/{username}/enable", status_code=204)
def enable_user(username: str, actor: CurrentActor, people: People) -> Response:
    """Enable an account again (also clears a lock-out)."""
    people.users.set_disabled(actor, username, False)
    return Response(status_code=204)


@router.post("/users/{username}/token", response_model=TokenOut)
def new_token(username: str, actor: CurrentActor, people: People) -> TokenOut:
    """Replace a user's API token; the old one stops working."""
    return TokenOut(username=username, token=people.users.new_token(actor, username))


@router.put("/calendar", status_code=204)
def set_calendar_day(body: CalendarDayIn, actor: CurrentActor, people: People) -> Response:
    """A regional day off, or a listed holiday that is worked after all (SLA clocks)."""
    people.sla.set_day(actor, body.day, body.kind, body.note)
    return Response(status_code=204)


@router.put("/sla", status_code=204)
def set_agency_sla(body: AgencySlaIn, actor: CurrentActor, people: People) -> Response:
    """Per-agency SLA limits in working minutes and its time zone."""
    people.sla.set_agency_limits(
        actor, body.agency, {str(k): v for k, v in body.limits.items()}, body.timezone
    )
    return Response(status_code=204)
