"""Role gates for routes. FastAPI resolves a route's dependencies before it validates the
body, so a caller whose role may not do the action at all gets 403 — not a 422 about a
body it had no business sending. Only the role (the README's table, `ALLOWED`): whether it
is the caller's own request or agency needs the request, and stays in the workflow.

    @router.post("/…/deploy", dependencies=[requires(Action.DEPLOY)])
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request, params
from fastapi.routing import APIRoute

from api.deps import CurrentActor, current_actor, users_of
from provisioner.domain.actors import Action, Actor, ensure_role
from provisioner.domain.errors import Forbidden


def requires(action: Action) -> params.Depends:
    """A route dependency that lets through only roles allowed to do `action`
    (401 without credentials, 403 for another role)."""

    def gate(actor: CurrentActor) -> Actor:
        ensure_role(actor, action)
        return actor

    gate.gated_action = action  # type: ignore[attr-defined]  # read by refusal_before_body
    gate.__name__ = f"requires_{action.value}"
    gate.__doc__ = f"Role gate: {action.value}"
    gate_dependency: params.Depends = Depends(gate)
    return gate_dependency


def refusal_before_body(request: Request) -> HTTPException | None:
    """The gate's answer for a request whose body FastAPI could not even parse (not JSON,
    a broken form): FastAPI refuses such a body before any dependency runs, so the
    validation handler asks here first — a role that may not act gets 401/403, never a
    422 about the body it had no business sending."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    action = next(
        (getattr(d.call, "gated_action", None) for d in route.dependant.dependencies
         if getattr(d.call, "gated_action", None) is not None),
        None,
    )
    if action is None:
        return None
    try:
        actor = current_actor(request, users_of(request), request.headers.get("authorization"))
        ensure_role(actor, action)
    except HTTPException as refused:
        return refused
    except Forbidden as exc:
        return HTTPException(status_code=403, detail=exc.message)
    return None
