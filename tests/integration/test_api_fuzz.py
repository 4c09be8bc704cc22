"""Schemathesis against /openapi.json: generated valid and invalid calls, a bounded number
of examples per operation, and not one server error (5xx). Runs as an admin so most calls
get past authentication. Unsafe calls are limited to the request, review, auth, admin and
audit routes (the worker is off, so an approval only queues a job); other areas' unsafe
routes act on the lab's servers and are fuzzed by their owners."""

from __future__ import annotations

import re
import secrets
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.main import create_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.wiring import build_services
from provisioner.workflow.users import add_user

pytestmark = pytest.mark.lab
FUZZED_WRITES = r"^/api/v1/(requests|auth|admin|audit|sla)(/|$)"
HEADERS: dict[str, str] = {}
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def app(lab: Settings, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("fuzz")
    st = Settings(data_dir=data, lab_path=lab.lab_dir, environment="lab",
                  secret_key="fuzz-" + "s" * 28)
    services = build_services(st)
    token = add_user(services.store, f"fuzz-admin-{secrets.token_hex(3)}", Role.ADMIN, None)
    HEADERS["Authorization"] = f"Bearer {token}"
    yield create_app(st, services, run_worker=False, run_scheduler=False)
    services.store.dispose()


# A documented 503: not ready while no worker runs (this test runs without one).
NOT_FUZZED = {"/readyz"}


def fuzzed(operation: schemathesis.APIOperation) -> bool:
    if operation.path in NOT_FUZZED:
        return False
    return operation.method.upper() == "GET" or re.match(FUZZED_WRITES, operation.path) is not None


def test_no_operation_answers_with_a_server_error(app) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not fuzzed(operation):
            continue
        tested += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=HEADERS, checks=[not_a_server_error])

        began = time.monotonic()
        try:
            call()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
        TIMES[f"{operation.method.upper()} {operation.path}"] = time.monotonic() - began
    slow = sorted(TIMES.items(), key=lambda kv: -kv[1])[:8]
    print("slowest:", [(k, round(v, 1)) for k, v in slow])
    assert tested >= 20, f"only {tested} operations fuzzed"
    assert not failures, "\n\n".join(failures)
