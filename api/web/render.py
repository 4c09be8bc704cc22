"""One way to render a page: the template gets the language, the catalogue, the signed-in
user and the role in words, the CSRF token, the menu for the role, the flash message the
address carries, and the formatting helpers (times in the agency's zone, durations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from api.presenters import repo_name
from api.web.flash import flash_of
from api.web.formats import duration, local_time, minutes_since, month_name, parse_utc
from api.web.i18n import language, other_language, pick, translate
from provisioner.domain.actors import ALLOWED, ROLE_NAMES, Action, Actor, Role
from provisioner.domain.states import RequestState

__all__ = ["STATIC_DIR", "local_time", "menu_for", "render", "state_label", "templates"]

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def break_at_dots(name: object) -> Markup:
    """A domain name that may wrap after its dots on a narrow screen, never mid-label."""
    return Markup(str(escape(str(name))).replace(".", ".<wbr>"))


templates.env.filters["wbr"] = break_at_dots

# (path, catalogue key, the action its page needs); None = every signed-in user.
MENU: tuple[tuple[str, str, Action | None, frozenset[Role] | None], ...] = (
    ("/requests", "nav.my_requests", None, frozenset({Role.OPD})),
    ("/requests", "nav.requests", None, frozenset(set(Role) - {Role.OPD})),
    ("/requests/new", "nav.new_request", Action.SUBMIT, None),
    ("/sop", "nav.sop", None, None),
    ("/queue", "nav.queue", Action.DECIDE, None),
    ("/drift", "nav.drift", Action.DECIDE, None),
    ("/sites", "nav.sites", Action.OPERATE, None),
    ("/dashboard", "nav.dashboard", Action.DASHBOARD, None),
    ("/admin/users", "nav.users", Action.MANAGE_USERS, None),
    ("/admin/calendar", "nav.calendar", Action.MANAGE_USERS, None),
    ("/admin/sop", "nav.sop_admin", Action.EDIT_SOP, None),
    ("/admin/audit", "nav.audit", Action.AUDIT, None),
)


def menu_for(actor: Actor | None) -> list[tuple[str, str]]:
    """The menu entries (path, key) whose pages this user's role may open."""
    if actor is None:
        return []
    return [
        (path, key)
        for path, key, action, roles in MENU
        if (action is None or actor.role in ALLOWED[action])
        and (roles is None or actor.role in roles)
    ]


def state_label(state: str, lang: str) -> str:
    """A request state in the reader's language ("Surat terbit" / "Letter issued")."""
    try:
        s = RequestState(state)
    except ValueError:
        return state
    return s.label_en if lang == "en" else s.label_id


def role_name(role: str, lang: str) -> str:
    """A role in words ("Tim jaringan"), never its code."""
    try:
        return ROLE_NAMES[Role(role)].in_(lang)
    except ValueError:
        return role


def here(request: Request) -> str:
    """This page's address with its query, for the language switch to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _helpers(request: Request, lang: str) -> dict[str, Any]:
    tz = timezone_of(request)
    return {
        "t": lambda key, **kw: translate(key, lang, **kw),
        "msg": lambda message: pick(str(message or ""), lang),
        "state_name": lambda state: state_label(str(state), lang),
        "state_label": state_label,
        "role_name": lambda role: role_name(str(role), lang),
        "local": lambda when, fmt="%Y-%m-%d %H:%M": local_time(parse_utc(when), tz, fmt),
        "duration": lambda minutes: duration(minutes, lang),
        "age_minutes": minutes_since,
        "month_name": lambda ym: month_name(ym, lang),
        "state_choices": lambda listing: [(s, state_label(s, lang)) for s in listing.states],
        "type_choices": lambda listing: [
            (k, translate(f"type.{k}", lang)) for k in listing.types
        ],
        "repo_name": lambda url: repo_name(url) or "–",
    }


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
    other = other_language(lang)
    ctx: dict[str, Any] = {
        "lang": lang,
        "other_lang": other,
        "lang_url": f"/lang/{other}?next={quote(here(request), safe='')}",
        "actor": actor,
        "csrf_token": csrf,
        "menu": menu_for(actor),
        "path": request.url.path,
        "flash": flash_of(request),
        "agency_name": agency_name_of(request),
        **_helpers(request, lang),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def _settings_attr(request: Request, name: str, default: str) -> str:
    container = getattr(request.app.state, "container", None)
    return str(getattr(container.settings, name)) if container is not None else default


def agency_name_of(request: Request) -> str:
    """The Diskominfo that runs this service, as its letters name it."""
    return _settings_attr(request, "agency_name", "Diskominfo")


def timezone_of(request: Request) -> str:
    """The agency's time zone (every time on a page is shown in it, with its name)."""
    return _settings_attr(request, "timezone", "Asia/Makassar")
