"""Schemathesis against /openapi.json, and not one server error (5xx) — against a store that
already holds requests in every state, jobs with done and failed steps, letters, a
correction, retirements and users of every role (tests/populated_store.py), as EACH role
with its own bearer token. Fuzzing an empty store as an admin once missed that listing
requests answered 500 to everybody as soon as one request had a job.

Per role, two runs: every operation on its own (a bounded number of generated valid and
invalid calls; small ids land on the population's rows), then stateful: the state machine
follows the schema's OpenAPI links (api/links.py) from what it creates or lists — a new
request to its plan and decisions, a listed request to its jobs' retry and cancel, a
letter to its correction. The worker is off, so an approval or a deploy only queues a job;
the one operation that changes the lab's name servers (drift repair) is fuzzed by the DNS
tests, not here."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.checks import not_a_server_error

from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.store.repositories import requests as requests_repo
from tests.populated_store import ROLES, Population, populate

pytestmark = pytest.mark.lab
FUZZED_ROLES = ("opd", "network", "technical", "approver", "admin")
# A documented 503 (not ready while no worker runs), and a repair that writes to the lab's
# primary name server.
NOT_FUZZED = {("GET", "/readyz"), ("POST", "/api/v1/dns/drift/repair")}
EXAMPLES_PER_OPERATION = 10
STATEFUL = settings(max_examples=60, stateful_step_count=10, deadline=None, database=None,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))
STEP_NAMES = ("dns", "database", "site_dev", "checks_dev", "letter", "retire_dns", "nope")
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def world(
    lab: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, Population]]:
    data = tmp_path_factory.mktemp("fuzz")
    st = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                  secret_key="fuzz-" + secrets.token_hex(16))
    services = build_container(st)
    pop = populate(services)
    yield serve_app(services, run_worker=False, run_scheduler=False), pop
    services.store.dispose()
    slow = sorted(TIMES.items(), key=lambda kv: -kv[1])[:10]
    print("slowest:", [(k, round(v, 1)) for k, v in slow])


def fresh_tokens(pop: Population) -> None:
    """Every user enabled again with a new token: an admin's run may have disabled an account
    or replaced a token, which must not turn the next role's run into 401s."""
    assert pop.services.people is not None
    users, admin = pop.services.people.users, pop.actor("admin")
    for who in ROLES:
        users.set_disabled(admin, pop.usernames[who], False)
        pop.tokens[who] = users.new_token(admin, pop.usernames[who])


def existing(pop: Population, who: str) -> dict[str, list[Any]]:
    """Path values that name what the population holds, per path parameter — random ids
    would nearly always be 404s and never reach a row."""
    with pop.services.store.read() as s:
        sites = [r.fqdn for r in requests_repo.list_requests(s) if r.hosting]
    return {
        "request_id": sorted(pop.requests.values()),
        "job_id": sorted(pop.jobs.values()),
        "letter_id": pop.letters,
        "fqdn": sorted(set(sites)),
        "name": list(STEP_NAMES),
        # Never the caller itself: an admin replacing its own token would end its run.
        "username": [u for w, u in pop.usernames.items() if w != who],
    }


def aim(case: schemathesis.Case, known: dict[str, list[Any]], pick: int) -> None:
    """Three calls in four name a resource that exists (the fourth keeps the generated value)."""
    if pick % 4 == 0:
        return
    for key in list(case.path_parameters or {}):
        values = known.get(key)
        if values:
            case.path_parameters[key] = values[pick % len(values)]  # type: ignore[index]


def _fuzzed(ctx: Any) -> bool:
    operation = ctx.operation
    return (operation.method.upper(), operation.path) not in NOT_FUZZED


@pytest.mark.parametrize("who", FUZZED_ROLES)
def test_no_operation_answers_with_a_server_error(
    world: tuple[FastAPI, Population], who: str
) -> None:
    app, pop = world
    fresh_tokens(pop)
    headers = pop.headers(who)
    known = existing(pop, who)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(_fuzzed)
    failures: list[str] = []
    tested = 0
    began = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        @given(case=operation.as_strategy(), pick=st.integers(0, 2**16))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case, pick: int) -> None:
            aim(case, known, pick)
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        started = time.monotonic()
        try:
            call()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
        TIMES[f"{who} {operation.method.upper()} {operation.path}"] = time.monotonic() - started
    TIMES[f"{who} (all operations)"] = time.monotonic() - began
    assert tested >= 40, f"only {tested} operations fuzzed"
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("who", FUZZED_ROLES)
def test_walking_the_links_never_answers_with_a_server_error(
    world: tuple[FastAPI, Population], who: str
) -> None:
    app, pop = world
    fresh_tokens(pop)
    headers = pop.headers(who)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(_fuzzed)
    # The links the schema declares (api/links.py), not ones guessed from names: a walk
    # then goes where a client would.
    schema.config.phases.stateful.inference.algorithms = []
    links = sum(
        len(response.get("links", {}))
        for path in schema.raw_schema["paths"].values()
        for op in path.values() if isinstance(op, dict)
        for response in op.get("responses", {}).values()
    )  # fmt: skip
    assert links >= 30, f"only {links} links in the schema"

    class Walk(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(  # type: ignore[override]
            self, response: Any, case: schemathesis.Case, *_: Any, **__: Any
        ) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    began = time.monotonic()
    Walk.run(settings=STATEFUL)
    TIMES[f"{who} (stateful)"] = time.monotonic() - began
