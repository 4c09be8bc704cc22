"""The README's role × action table, through HTTP: every gated route of the real app (a real
store, the lab's name servers behind submit) called as every role — an allowed role gets
past the gate (neither 401 nor 403), a refused one gets 403 — and the role is checked
before the body: a role that may not act gets 403 even for a malformed body, never 422.

The ids named do not exist (a network user approving request 999999 gets 404, which is
past the gate), so nothing here changes a server."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import ALLOWED, Action, Role
from provisioner.workflow.people.users import add_user
from tests.pdf_samples import one_page_pdf

pytestmark = pytest.mark.lab

NONE = 999_999  # an id no request, job or letter has
FQDN = "tidak-ada.demokab.go.id"
PDF = one_page_pdf()


def new_request(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": f"gate-{secrets.token_hex(3)}", "agency": "Dinas Kesehatan",
        "purpose": "Situs resmi", "contact_name": "Siti Rahma",
        "contact_email": "siti@dinkes.demokab.go.id", "letter_number": "400.7/1/DINKES/2026",
        "letter_date": date.today().isoformat(), "hosting": False,
        "target_address": "127.0.2.12",
    }  # fmt: skip
    body.update(over)
    return body


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the app declares it
    action: Action
    url: str = ""  # the path with ids filled in (default: `path`)
    ok: dict[str, Any] = field(default_factory=dict)  # a well-formed body (httpx kwargs)
    bad: dict[str, Any] | None = None  # a malformed body, for the 403-before-422 test

    def target(self) -> str:
        return self.url or self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def js(body: Any) -> dict[str, Any]:
    return {"json": body}


def upload(data: bytes) -> dict[str, Any]:
    return {"files": {"file": ("surat.pdf", data, "application/pdf")}}


R, A = f"/api/v1/requests/{NONE}", Action
EXISTING = f"/api/v1/sites/existing/{FQDN}"  # a name no existing site has
ADOPT_RECORD = {"name": FQDN, "rtype": "A", "value": "127.0.2.12", "assign": "infrastructure"}
ROUTES = [
    Route("POST", "/api/v1/requests", A.SUBMIT, ok=js(new_request()),
          bad=js(new_request(hosting="yes"))),
    Route("POST", "/api/v1/requests/{request_id}/resubmit", A.SUBMIT, f"{R}/resubmit",
          bad=js({"label": 5})),
    Route("PUT", "/api/v1/requests/{request_id}/letter-scan", A.SUBMIT, f"{R}/letter-scan",
          ok=upload(PDF), bad={"files": {"not_file": ("x.txt", b"x", "text/plain")}}),
    Route("POST", "/api/v1/requests/{request_id}/verify", A.DECIDE, f"{R}/verify"),
    Route("POST", "/api/v1/requests/{request_id}/approve", A.DECIDE, f"{R}/approve",
          bad=js({"checksum": 5})),
    Route("POST", "/api/v1/requests/{request_id}/reject", A.DECIDE, f"{R}/reject",
          ok=js({"reason": "Surat belum lengkap"}), bad=js({"reason": ["x"]})),
    Route("POST", "/api/v1/requests/{request_id}/return", A.DECIDE, f"{R}/return",
          ok=js({"note": "Lampirkan surat"}), bad=js({})),
    Route("POST", "/api/v1/requests/{request_id}/retire/approve", A.DECIDE,
          f"{R}/retire/approve", bad=js({"checksum": 5})),
    Route("POST", "/api/v1/requests/{request_id}/retire/reject", A.DECIDE,
          f"{R}/retire/reject", ok=js({"reason": "Masih dipakai"}), bad=js({})),
    Route("GET", "/api/v1/dns/drift", A.DECIDE, "/api/v1/dns/drift?zone=tidak-ada.example"),
    Route("POST", "/api/v1/dns/drift/repair", A.DECIDE,
          ok=js({"zone": "tidak-ada.example", "checksum": "0" * 64}),
          bad=js({"zone": "demokab.go.id", "checksum": "not-a-checksum"})),
    Route("GET", "/api/v1/dns/adoption", A.ADOPT_DNS,
          "/api/v1/dns/adoption?zone=tidak-ada.example"),
    Route("POST", "/api/v1/dns/adoption/plan", A.ADOPT_DNS,
          ok=js({"zone": "tidak-ada.example", "records": [ADOPT_RECORD]}),
          bad=js({"zone": "demokab.go.id", "records": [{**ADOPT_RECORD, "assign": "owner"}]})),
    Route("POST", "/api/v1/dns/adoption", A.ADOPT_DNS,
          ok=js({"zone": "tidak-ada.example", "records": [ADOPT_RECORD], "checksum": "0" * 64}),
          bad=js({"zone": "demokab.go.id", "records": [ADOPT_RECORD], "checksum": "x"})),
    Route("GET", "/api/v1/sites/existing", A.DECIDE),
    Route("GET", "/api/v1/sites/existing/registered", A.VIEW),
    Route("POST", "/api/v1/sites/existing", A.DECIDE,
          ok=js({"host": "tidak-ada", "fqdn": FQDN, "agency": "Dinas Uji"}),
          bad=js({"host": 5, "fqdn": FQDN, "agency": "Dinas Uji"})),
    Route("GET", "/api/v1/sites/existing/drift", A.DECIDE),
    Route("DELETE", "/api/v1/sites/existing/{fqdn}", A.DECIDE, EXISTING),
    Route("POST", "/api/v1/sites/existing/{fqdn}/drift/accept", A.DECIDE,
          f"{EXISTING}/drift/accept"),
    Route("GET", "/api/v1/sites/existing/{fqdn}/migration", A.DECIDE, f"{EXISTING}/migration"),
    Route("POST", "/api/v1/sites/existing/{fqdn}/migration", A.DECIDE, f"{EXISTING}/migration",
          ok=js({"checksum": "0" * 64}), bad=js({"checksum": "x"})),
    Route("GET", "/api/v1/sites/existing/{fqdn}/migration/back", A.DECIDE,
          f"{EXISTING}/migration/back"),
    Route("POST", "/api/v1/sites/existing/{fqdn}/migration/back", A.DECIDE,
          f"{EXISTING}/migration/back", ok=js({"checksum": "0" * 64}), bad=js({"checksum": 5})),
    Route("POST", "/api/v1/jobs/{job_id}/retry", A.OPERATE, f"/api/v1/jobs/{NONE}/retry"),
    Route("POST", "/api/v1/jobs/{job_id}/cancel", A.OPERATE, f"/api/v1/jobs/{NONE}/cancel"),
    Route("POST", "/api/v1/jobs/{job_id}/undo", A.OPERATE, f"/api/v1/jobs/{NONE}/undo"),
    Route("POST", "/api/v1/sites/{fqdn}/deploy", A.DEPLOY, f"/api/v1/sites/{FQDN}/deploy",
          ok=js({"branch": "main"}), bad=js({"commit": "z" * 41})),
    Route("POST", "/api/v1/sites/{fqdn}/promote", A.PROMOTE, f"/api/v1/sites/{FQDN}/promote",
          bad=js({"commit": 5})),
    Route("POST", "/api/v1/sites/{fqdn}/rollback", A.DEPLOY, f"/api/v1/sites/{FQDN}/rollback"),
    Route("POST", "/api/v1/sites/{fqdn}/release", A.PROMOTE, f"/api/v1/sites/{FQDN}/release"),
    Route("POST", "/api/v1/requests/{request_id}/letter/approve", A.SIGN_LETTER,
          f"{R}/letter/approve"),
    Route("POST", "/api/v1/letters/{letter_id}/correct", A.CORRECT_LETTER,
          f"/api/v1/letters/{NONE}/correct", ok=js({"subject": "Rekomendasi subdomain"}),
          bad=js({"subject": 5})),
    Route("PUT", "/api/v1/letters/{letter_id}/record", A.RECORD_LETTER,
          f"/api/v1/letters/{NONE}/record", ok=upload(PDF),
          bad={"files": {"not_file": ("x.txt", b"x", "text/plain")}}),
    Route("GET", "/api/v1/admin/users", A.MANAGE_USERS),
    Route("POST", "/api/v1/admin/users", A.MANAGE_USERS,
          ok=js({"username": f"gate-{secrets.token_hex(3)}", "role": "technical"}),
          bad=js({"username": "x", "role": "root"})),
    Route("POST", "/api/v1/admin/users/{username}/disable", A.MANAGE_USERS,
          "/api/v1/admin/users/tidak-ada/disable"),
    Route("POST", "/api/v1/admin/users/{username}/enable", A.MANAGE_USERS,
          "/api/v1/admin/users/tidak-ada/enable"),
    Route("POST", "/api/v1/admin/users/{username}/token", A.MANAGE_USERS,
          "/api/v1/admin/users/tidak-ada/token"),
    Route("PUT", "/api/v1/admin/calendar", A.MANAGE_USERS,
          ok=js({"day": "2099-01-02", "kind": "off", "note": "uji"}),
          bad=js({"day": "kemarin", "kind": "off"})),
    Route("PUT", "/api/v1/admin/sla", A.MANAGE_USERS,
          ok=js({"agency": "Dinas Uji", "limits": {"create": 240}}),
          bad=js({"agency": "Dinas Uji", "limits": {"create": "240"}})),
    Route("GET", "/api/v1/audit", A.AUDIT),
    Route("GET", "/api/v1/audit/verify", A.AUDIT),
    Route("GET", "/api/v1/audit/export", A.AUDIT),
    Route("GET", "/api/v1/sla/overdue", A.DASHBOARD),
    # Requests under an SOP and the SOP definitions.
    Route("POST", "/api/v1/procedures", A.SUBMIT,
          ok=js({"request_type": "consultation", "title": "Uji", "agency": "Dinas Kesehatan",
                 "request_letter_number": "1/UJI/2026"}),
          bad=js({"request_type": "consultation", "title": 5})),
    Route("POST", "/api/v1/procedures/{procedure_id}/request", A.SUBMIT,
          f"/api/v1/procedures/{NONE}/request", ok=js({"request_id": NONE}),
          bad=js({"request_id": "satu"})),
    Route("POST", "/api/v1/procedures/{procedure_id}/steps/{step}", A.SOP_STEP,
          f"/api/v1/procedures/{NONE}/steps/receipt", ok=js({"outcome": "done"}),
          bad=js({"outcome": "maybe"})),
    Route("POST", "/api/v1/procedures/{procedure_id}/documents", A.SOP_STEP,
          f"/api/v1/procedures/{NONE}/documents",
          ok={"data": {"kind": "proposal"}, **upload(PDF)},
          bad={"files": {"not_file": ("x.txt", b"x", "text/plain")}}),
    Route("GET", "/api/v1/sop-letters/waiting", A.SIGN_LETTER),
    Route("PUT", "/api/v1/procedures/{procedure_id}/letters/{letter_id}/record",
          A.RECORD_LETTER, f"/api/v1/procedures/{NONE}/letters/{NONE}/record", ok=upload(PDF),
          bad={"files": {"not_file": ("x.txt", b"x", "text/plain")}}),
    Route("POST", "/api/v1/procedures/{procedure_id}/letters/{letter_id}/approve",
          A.SIGN_LETTER, f"/api/v1/procedures/{NONE}/letters/{NONE}/approve"),
    Route("PUT", "/api/v1/sops/{key}", A.EDIT_SOP, "/api/v1/sops/default",
          ok=js({"definition": "key: default"}), bad=js({"definition": 5})),
    Route("PUT", "/api/v1/sops/choice/{request_type}", A.EDIT_SOP,
          "/api/v1/sops/choice/subdomain", ok=js({"key": "default"}), bad=js({"key": 5})),
]
WITH_BODY = [r for r in ROUTES if r.bad is not None]


@pytest.fixture(scope="module")
def api(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("roles-http"), lab_path=lab.lab_dir,
                        zones_file=lab.secrets_dir / "zones.json", environment="lab",
                        secret_key="roles-" + secrets.token_hex(16))  # fmt: skip
    services = build_container(settings)
    tokens = {
        role: add_user(services.store, f"gate-{role}", role,
                       "Dinas Kesehatan" if role is Role.OPD else None)
        for role in Role
    }  # fmt: skip
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        yield client
    services.store.dispose()


def call(api: TestClient, route: Route, role: Role | None, body: dict[str, Any]) -> Any:
    headers = {} if role is None else {
        "Authorization": f"Bearer {api.tokens[role]}"  # type: ignore[attr-defined]
    }
    return api.request(route.method, route.target(), headers=headers, **body)


def gate_of(route: APIRoute) -> str | None:
    names = [d.dependency.__name__ for d in route.dependencies if d.dependency is not None]
    gates = [n.removeprefix("requires_") for n in names if n.startswith("requires_")]
    assert len(gates) <= 1, f"{route.path} has several gates: {gates}"
    return gates[0] if gates else None


def test_every_gated_route_of_the_app_is_in_the_matrix_with_its_action(api: TestClient) -> None:
    declared = {
        (method, ctx.path): gate
        for ctx in iter_route_contexts(api.app.routes)  # type: ignore[attr-defined]
        if isinstance(ctx.original_route, APIRoute)
        and (gate := gate_of(ctx.original_route)) is not None
        for method in ctx.methods or ()
    }
    assert declared == {(r.method, r.path): str(r.action) for r in ROUTES}


@pytest.mark.parametrize(("route", "role"), list(itertools.product(ROUTES, Role)), ids=str)
def test_role_passes_the_gate_exactly_when_the_table_allows(
    api: TestClient, route: Route, role: Role
) -> None:
    answer = call(api, route, role, route.ok)
    if role in ALLOWED[route.action]:
        assert answer.status_code not in (401, 403), answer.text
    else:
        assert answer.status_code == 403, answer.text
        assert " / " in answer.json()["detail"]  # the bilingual refusal of the gate


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_gated_route_without_credentials_is_401(api: TestClient, route: Route) -> None:
    assert call(api, route, None, route.bad or route.ok).status_code == 401


@pytest.mark.parametrize(
    ("route", "role"),
    [(r, role) for r in WITH_BODY for role in Role if role not in ALLOWED[r.action]],
    ids=str,
)
def test_malformed_body_from_a_refused_role_is_403_not_422(
    api: TestClient, route: Route, role: Role
) -> None:
    assert route.bad is not None
    answer = call(api, route, role, route.bad)
    assert answer.status_code == 403, answer.text


@pytest.mark.parametrize(
    ("route", "role"),
    [(r, role) for r in WITH_BODY for role in Role if role in ALLOWED[r.action]],
    ids=str,
)
def test_malformed_body_from_an_allowed_role_is_still_422(
    api: TestClient, route: Route, role: Role
) -> None:
    assert route.bad is not None
    answer = call(api, route, role, route.bad)
    assert answer.status_code == 422, answer.text


def test_deploy_with_malformed_commit_as_opd_is_403_not_422(api: TestClient) -> None:
    deploy = next(r for r in ROUTES if r.path.endswith("/deploy"))
    answer = call(api, deploy, Role.OPD, js({"commit": "not-a-commit" * 5}))
    assert answer.status_code == 403 and "deploy" in answer.json()["detail"]


def test_admin_approving_a_plan_is_403(api: TestClient) -> None:
    approve = next(r for r in ROUTES if r.path.endswith("/{request_id}/approve"))
    assert call(api, approve, Role.ADMIN, {}).status_code == 403


def test_network_user_retrying_a_job_is_403(api: TestClient) -> None:
    retry = next(r for r in ROUTES if r.path.endswith("/retry"))
    assert call(api, retry, Role.NETWORK, {}).status_code == 403


@pytest.mark.parametrize(
    ("route", "role"),
    [(r, role) for r in WITH_BODY if "json" in r.bad  # type: ignore[operator]
     for role in Role if role not in ALLOWED[r.action]],
    ids=str,
)
def test_body_that_is_not_json_from_a_refused_role_is_403_not_422(
    api: TestClient, route: Route, role: Role
) -> None:
    # FastAPI refuses unparseable JSON before any dependency runs; the gate still answers.
    body = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    headers = {"Authorization": f"Bearer {api.tokens[role]}"}  # type: ignore[attr-defined]
    answer = api.request(route.method, route.target(), headers=headers | body["headers"],
                         content=body["content"])
    assert answer.status_code == 403, answer.text


def test_body_that_is_not_json_without_credentials_is_401(api: TestClient) -> None:
    deploy = next(r for r in ROUTES if r.path.endswith("/deploy"))
    answer = api.request(deploy.method, deploy.target(), content=b"{not json",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 401, answer.text


def test_body_that_is_not_json_from_an_allowed_role_is_422(api: TestClient) -> None:
    deploy = next(r for r in ROUTES if r.path.endswith("/deploy"))
    answer = api.request(deploy.method, deploy.target(), content=b"{not json",
                         headers={"content-type": "application/json",
                                  "Authorization": f"Bearer {api.tokens[Role.TECHNICAL]}"})  # type: ignore[attr-defined]
    assert answer.status_code == 422, answer.text
