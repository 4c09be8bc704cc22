"""The admin's pages for accounts: every user with role (in words), agency and whether
it is disabled or locked; add a user, disable or enable one, set a new password, give a
new API token (shown once), change the role. Routes call the workflow only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.errors import error_page
from api.session import People
from api.web.flash import done_url
from api.web.listing import ListQuery, paginate
from api.web.render import render
from api.web.session_bridge import CsrfProtect, SignedIn, page_csrf
from provisioner.domain.actors import Action, Actor, Role, ensure_allowed
from provisioner.domain.errors import Conflict, InvalidInput, NotFound, ProvisionerError
from provisioner.workflow.people.services import PeopleServices
from provisioner.workflow.people.users import UserView

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtect])

USER_SORTS = {
    "username": lambda u: u.username,
    "role": lambda u: u.role,
    "agency": lambda u: u.agency or "",
}
Text = Annotated[str, Form(max_length=300)]


def _users_page(
    request: Request,
    people: PeopleServices,
    actor: Actor,
    *,
    token: tuple[str, str] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        users: list[UserView] = people.users.list(actor)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    listing = paginate(
        users, ListQuery.of(request.query_params, sort="username", desc=False),
        path="/admin/users", sorts=USER_SORTS, state=lambda u: u.role,
        text=lambda u: f"{u.username} {u.full_name} {u.agency or ''} {u.email or ''}",
    )  # fmt: skip
    return render(
        request,
        "admin_users.html",
        {"listing": listing, "token": token, "errors": errors or {}, "v": values or {},
         "roles": [str(r) for r in Role]},
        actor=actor,
        csrf=page_csrf(request, actor),
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, people: People, actor: SignedIn) -> Response:
    """Every account, with the forms that manage it."""
    return _users_page(request, people, actor)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            "role", "Pilih peran dari daftar / Choose a role from the list"
        ) from None


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    people: People,
    actor: SignedIn,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    agency: Text = "",
    full_name: Text = "",
    email: Text = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Add an account; its API token is shown once, on the page that answers."""
    values = {"username": username, "role": role, "agency": agency, "full_name": full_name,
              "email": email}  # fmt: skip
    try:
        ensure_allowed(actor, Action.MANAGE_USERS)
        token = people.users.add(
            actor, username.strip(), _role(role), agency.strip() or None,
            full_name=full_name.strip(), password=password or None, email=email.strip() or None,
        )  # fmt: skip
    except InvalidInput as exc:
        return _users_page(request, people, actor, errors=dict(exc.problems), values=values,
                           status_code=422)  # fmt: skip
    except Conflict as exc:
        return _users_page(request, people, actor, errors={"username": exc.message},
                           values=values, status_code=409)  # fmt: skip
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return _users_page(request, people, actor, token=(username.strip(), token))


@router.post("/admin/users/{username}/{change}")
def change_user(
    request: Request,
    username: str,
    change: str,
    people: People,
    actor: SignedIn,
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    agency: Text = "",
) -> Response:
    """Disable, enable, set the password, change the role, or give a new API token."""
    try:
        if change == "token":
            token = people.users.new_token(actor, username)
            return _users_page(request, people, actor, token=(username, token))
        done = _apply(people, actor, username, change, password=password, role=role,
                      agency=agency)  # fmt: skip
    except InvalidInput as exc:
        errors = {f"{username}:{field}": message for field, message in exc.problems}
        return _users_page(request, people, actor, errors=errors, status_code=422)
    except ProvisionerError as exc:
        return error_page(request, actor, exc)
    return RedirectResponse(done_url("/admin/users", done, name=username), status_code=303)


def _apply(
    people: PeopleServices, actor: Actor, username: str, change: str, *,
    password: str, role: str, agency: str,
) -> str:  # fmt: skip
    """Carry out one change of an account; the flash message that says it happened."""
    if change in ("disable", "enable"):
        people.users.set_disabled(actor, username, change == "disable")
        return "user_disabled" if change == "disable" else "user_enabled"
    if change == "password":
        people.users.set_password(actor, username, password)
        return "password_set"
    if change == "role":
        people.users.set_role(actor, username, _role(role), agency)
        return "role_set"
    raise NotFound(f"Perubahan {change} tidak ada / No change {change}")
