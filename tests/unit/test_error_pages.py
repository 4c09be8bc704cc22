"""One error, two answers (api.errors): a browser asking for a page gets the site's error
page with the status the API would give; a script calling the API keeps its JSON."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput, NotFound

HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
RAISED = {
    "missing": NotFound("Tidak ada / Not here"),
    "forbidden": Forbidden("Dilarang / Not yours"),
    "busy": Conflict("Sedang sibuk / Busy"),
    "bad": InvalidInput("label", "Label salah / Bad label"),
}


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/page/{what}")
    def page(what: str) -> None:
        raise RAISED[what]

    @app.get("/api/v1/thing/{what}")
    def api(what: str) -> None:
        raise RAISED[what]

    return TestClient(app)


def test_page_error_is_the_sites_error_page_with_the_apis_status() -> None:
    client = _client()
    for what, status in (("missing", 404), ("forbidden", 403), ("busy", 409), ("bad", 422)):
        answer = client.get(f"/page/{what}", headers=HTML)
        assert answer.status_code == status, what
        assert answer.headers["content-type"].startswith("text/html")
        assert 'id="error-message"' in answer.text and f"({status})" in answer.text


def test_page_error_in_english_for_an_english_reader() -> None:
    client = _client()
    client.cookies.set("lang", "en")
    answer = client.get("/page/missing", headers=HTML)
    assert answer.status_code == 404 and "Not here" in answer.text


def test_api_error_stays_json_even_for_a_browser() -> None:
    answer = _client().get("/api/v1/thing/missing", headers=HTML)
    assert answer.status_code == 404 and answer.json() == {"detail": "Tidak ada / Not here"}
    bad = _client().get("/api/v1/thing/bad", headers=HTML)
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {"loc": ["body", "label"], "msg": "Label salah / Bad label", "type": "value_error"}
    ]


def test_script_without_html_accept_gets_json_from_a_page_route() -> None:
    answer = _client().get("/page/forbidden")
    assert answer.status_code == 403 and answer.json() == {"detail": "Dilarang / Not yours"}
