"""An adversarial corpus of labels sent everywhere a name goes in: availability (path and
query form), a submission by an OPD (real store, names checked against the lab's BIND),
the status API and the status page. No bad name is accepted, nothing answers 5xx, and
every refusal carries its reason (Indonesian / English)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from provisioner.bootstrap.container import build_container
from provisioner.bootstrap.serve import serve_app
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.store.repositories import requests as requests_repo
from provisioner.workflow.people.users import add_user

pytestmark = pytest.mark.lab
ZONE = "demokab.go.id"

CORPUS: dict[str, str] = {
    # injection: shell, command substitution, templates, markup, SQL
    "shell": "dinkes;rm -rf /",
    "subshell": "$(id)",
    "backticks": "`id`",
    "jinja": "{{7*7}}",
    "shell-template": "${7*7}",
    "script": "<script>alert(1)</script>",
    "sql": "dinkes' OR '1'='1",
    "pipe": "dinkes|cat",
    "ampersand": "dinkes&&id",
    # paths and encodings
    "dot-dot": "../etc",
    "encoded-dot-dot": "%2e%2e",
    "slash": "dinkes/admin",
    "backslash": "dinkes\\admin",
    # control characters
    "nul": "din\x00kes",
    "crlf": "din\r\nkes",
    "tab-inside": "din\tkes",
    # unicode and punycode
    "accent": "dinkés",
    "punycode": "xn--dinks-bva",
    "cyrillic-i": "d\u0456nkes",
    "fullwidth": "\uff44\uff49\uff4e\uff4b\uff45\uff53",
    "kelvin": "\u212aesehatan",
    "zero-width": "dinkes\u200b",
    "rtl-override": "\u202esekinid",
    # wildcard, dots, reserved words, the zone itself and its apex
    "wildcard": "*",
    "wildcard-label": "*.dinkes",
    "dot": "dinkes.demokab",
    "www": "www",
    "ns1": "ns1",
    "admin": "admin",
    "mail": "mail",
    "zone-itself": ZONE,
    "apex-at": "@",
    "empty": "",
    "spaces-only": "   ",
    # length edges and shapes
    "length-1": "a",
    "length-2": "ab",
    "length-64": "a" * 64,
    "digits-only": "12345",
    "leading-hyphen": "-dinkes",
    "trailing-hyphen": "dinkes-",
    "hyphens-3-4": "di--nkes",
    "underscore": "din_kes",
    "space": "din kes",
    "forbidden-word": "judi-online",
}


@pytest.fixture(scope="module")
def env(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("adversarial"), lab_path=lab.lab_dir,
                        environment="lab", secret_key="adversarial-" + "a" * 24)
    services = build_container(settings)
    token = add_user(services.store, "opd", Role.OPD, "Dinas Kesehatan")
    app = serve_app(services, run_worker=False, run_scheduler=False)
    with TestClient(app) as client:
        yield client, services, {"Authorization": f"Bearer {token}"}
    services.store.dispose()


def encoded(text: str) -> str:
    """Every character percent-encoded, dots too, so no client resolves "." segments."""
    return quote(text, safe="").replace(".", "%2E")


def body(label: str) -> dict[str, Any]:
    return {
        "label": label, "agency": "Dinas Kesehatan", "purpose": "Situs resmi Dinas Kesehatan",
        "contact_name": "Siti Rahma", "contact_email": "siti@dinkes.demokab.go.id",
        "letter_number": "400.7/1234/DINKES/2026", "letter_date": date.today().isoformat(),
        "hosting": False, "target_address": "127.0.2.12",
        "contact_nip": "198503152010012003", "contact_position": "Kepala Seksi",
    }  # fmt: skip


def reasons_of(r: Any) -> list[str]:
    detail = r.json()["detail"]
    return [d["msg"] for d in detail] if isinstance(detail, list) else [detail]


def assert_refused_with_reason(r: Any, allowed: tuple[int, ...], where: str) -> None:
    assert r.status_code in allowed, (where, r.status_code, r.text[:300])
    if r.headers["content-type"].startswith("application/json"):
        found = reasons_of(r)
        assert found and all(" / " in m for m in found), (where, found)
    else:  # an HTML page: the reason in an alert
        assert 'role="alert"' in r.text, (where, r.text[:300])


def test_corpus_has_at_least_30_labels() -> None:
    assert len(CORPUS) >= 30 and len(set(CORPUS.values())) == len(CORPUS)


@pytest.mark.parametrize("label", list(CORPUS.values()), ids=list(CORPUS))
def test_adversarial_label_is_refused_everywhere_with_a_reason_and_no_5xx(
    env: Any, label: str
) -> None:
    client, services, opd = env
    by_path = client.get(f"/api/v1/names/{encoded(label)}/availability")
    by_query = client.get("/api/v1/names/availability", params={"label": label})
    for where, r in (("availability path", by_path), ("availability query", by_query)):
        assert_refused_with_reason(r, (422,), where)
        assert r.json()["detail"][0]["loc"][-1] == "label"

    submitted = client.post("/api/v1/requests", json=body(label), headers=opd)
    assert_refused_with_reason(submitted, (422,), "submit")
    assert "label" in [d["loc"][-1] for d in submitted.json()["detail"]], submitted.text

    fqdn = f"{label}.{ZONE}"
    status = client.get(f"/api/v1/status/{encoded(fqdn)}")
    assert_refused_with_reason(status, (404, 422), "status")
    history = client.get(f"/api/v1/status/{encoded(fqdn)}/history")
    assert_refused_with_reason(history, (404, 422), "history")
    page = client.get(f"/site/{encoded(fqdn)}")
    assert page.headers["content-type"].startswith("text/html")
    assert_refused_with_reason(page, (404, 422), "site page")

    with services.store.read() as s:
        stored = [r.label for r in requests_repo.list_requests(s, limit=10_000)]
    assert stored == [], stored  # nothing of the corpus reached the registry


@pytest.mark.parametrize("length", [3, 63])
def test_length_edges_that_are_allowed_are_free_yet_not_public_until_requested(
    env: Any, length: int
) -> None:
    """The control group: 3 and 63 characters are good labels (available, 200); their
    status is a 404 until someone requests them — never a 5xx."""
    client, _, _ = env
    label = ("q" + secrets.token_hex(32))[:length]
    r = client.get(f"/api/v1/names/{label}/availability")
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
    assert client.get(f"/api/v1/status/{label}.{ZONE}").status_code == 404
