"""One way to render a page: the template gets the language, the catalogue, the signed-in
user, the CSRF token and the menu for the user's role."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web.i18n import language, pick, translate
from provisioner.domain.actors import Actor, Role
from provisioner.domain.states import RequestState

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")

# (path, catalogue key, roles that see it); None = everyone signed in.
MENU: tuple[tuple[str, str, frozenset[Role] | None], ...] = (
    ("/requests", "nav.my_requests", frozenset({Role.OPD})),
    ("/requests", "nav.requests", frozenset(set(Role) - {Role.OPD})),
    ("/requests/new", "nav.new_request", frozenset({Role.OPD, Role.ADMIN})),
    ("/queue", "nav.queue", frozenset({Role.NETWORK, Role.ADMIN})),
    ("/drift", "nav.drift", frozenset({Role.NETWORK, Role.ADMIN})),
    ("/sites", "nav.sites", frozenset({Role.TECHNICAL, Role.NETWORK, Role.ADMIN})),
    ("/dashboard", "nav.dashboard", frozenset({Role.APPROVER, Role.ADMIN, Role.NETWORK})),
)


def menu_for(actor: Actor | None) -> list[tuple[str, str]]:
    """The menu entries (path, key) this user's role uses."""
    if actor is None:
        return []
    return [(path, key) for path, key, roles in MENU if roles is None or actor.role in roles]


def state_label(state: str, lang: str) -> str:
    """A request state in the reader's language ("Surat terbit" / "Letter issued")."""
    try:
        s = RequestState(state)
    except ValueError:
        return state
    return s.label_en if lang == "en" else s.label_id


ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def local_time(when: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (UTC; naive means UTC) as the agency reads it: "2026-11-30 08:15 WITA"."""
    if when is None:
        return "–"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(ZoneInfo(tz))
    return f"{local.strftime(fmt)} {ZONE_NAMES.get(tz, local.tzname() or tz)}"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
    csrf: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Render `template` with the shared page context."""
    lang = language(request)
    ctx: dict[str, Any] = {
        "lang": lang,
        "t": lambda key: translate(key, lang),
        "msg": lambda message: pick(str(message), lang),
        "state_name": lambda state: state_label(str(state), lang),
        "actor": actor,
        "csrf_token": csrf,
        "menu": menu_for(actor),
        "path": request.url.path,
        "local": lambda when, fmt="%Y-%m-%d %H:%M": local_time(when, _timezone(request), fmt),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def _timezone(request: Request) -> str:
    timezone: str = request.app.state.container.settings.timezone
    return timezone
