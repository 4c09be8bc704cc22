"""The API's documentation works on an agency network with no Internet: /docs (Swagger UI
from the swagger-ui-bundle-v2 package, api/web/docs.py) opened in Debian's Chromium
makes every request it makes — page, styles, scripts, icon, /openapi.json, a "Try it out"
call — to this service's own origin, and Swagger UI really draws the API: every operation
of /openapi.json is listed, one opens, runs and shows its answer. Anything bound for
another origin is recorded and refused (so a missed CDN fails here, it does not hang).
No script error and no refusal by the pages' Content-Security-Policy either. /redoc is
not offered (FastAPI's own ReDoc page loads from a CDN): it answers 404, locally too.
Screenshots go to test-artifacts/browser/docs-lang-width.png."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright import sync_api

from api.web.i18n import LANG_COOKIE
from provisioner.config import Settings
from tests.e2e.browser_support import DESKTOP, PHONE, Server, running_server, shot

pytestmark = pytest.mark.lab

CASES = [("id", DESKTOP), ("en", PHONE)]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@pytest.fixture(scope="module")
def server(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(lab, tmp_path_factory.mktemp("docs"), {}, worker=False) as srv:
        yield srv


class Traffic:
    """Every request a browser context makes, and whether it stayed on the service."""

    def __init__(self, ctx, origin: str) -> None:  # type: ignore[no-untyped-def]
        self.origin = origin
        self.urls: list[str] = []
        self.problems: list[str] = []  # script errors, CSP refusals
        ctx.on("request", lambda r: self.urls.append(r.url))
        ctx.route("**/*", self._only_here)

    def own(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def _only_here(self, route) -> None:  # type: ignore[no-untyped-def]
        if self.own(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def watch(self, page) -> None:  # type: ignore[no-untyped-def]
        def console(message) -> None:  # type: ignore[no-untyped-def]
            if message.type == "error":
                self.problems.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda e: self.problems.append(str(e)))

    def elsewhere(self) -> list[str]:
        # data: and blob: URLs are drawn in the page itself: nothing leaves the machine.
        local = ("data", "blob")
        return [u for u in self.urls if not self.own(u) and urlsplit(u).scheme not in local]


def _operations(url: str) -> int:
    spec = httpx.get(f"{url}/openapi.json", timeout=10).json()
    return sum(1 for item in spec["paths"].values() for method in item if method in METHODS)


@pytest.mark.parametrize(("lang", "viewport"), CASES,
                         ids=[f"{lang}-{v['width']}" for lang, v in CASES])  # fmt: skip
def test_api_docs_render_with_no_request_leaving_the_machine(
    server: Server, browser, lang: str, viewport: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport=viewport, locale="id-ID")
    ctx.add_cookies([{"name": LANG_COOKIE, "value": lang, "url": server.url}])
    traffic = Traffic(ctx, server.url)
    try:
        page = ctx.new_page()
        traffic.watch(page)
        answer = page.goto(f"{server.url}/docs")
        assert answer is not None and answer.status == 200
        assert page.evaluate("document.documentElement.lang") == lang
        # Swagger UI drew the API: its title, and every operation of the document.
        sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("provisioner")
        operations = page.locator(".swagger-ui .opblock")
        sync_api.expect(operations.first).to_be_visible()
        sync_api.expect(operations).to_have_count(_operations(server.url))
        # One operation opened and run from the page: its call goes to this service too.
        health = page.locator(".opblock-get", has=page.locator("[data-path='/healthz']"))
        health.locator(".opblock-summary").first.click()
        health.get_by_role("button", name="Try it out").click()
        health.get_by_role("button", name="Execute").click()
        sync_api.expect(health.locator(".live-responses-table tbody .response-col_status").first
                        ).to_contain_text("200")  # fmt: skip
        page.wait_for_load_state("networkidle")
        shot(page, f"docs-{lang}-{viewport['width']}")
        assert any(u.endswith("/openapi.json") for u in traffic.urls), traffic.urls
        assert any("/static/swagger/" in u for u in traffic.urls), traffic.urls
        assert any(u.endswith("/healthz") for u in traffic.urls), traffic.urls
        assert traffic.elsewhere() == [], "requests left the machine"
        assert traffic.problems == [], "script errors or CSP refusals"
        # ReDoc is not offered: FastAPI's page for it would load its script from a CDN.
        answer = page.goto(f"{server.url}/redoc")
        assert answer is not None and answer.status == 404
        assert traffic.elsewhere() == [], "requests left the machine"
    finally:
        ctx.close()
