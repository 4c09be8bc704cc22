"""The home-page check follows a site's redirects as a visitor's browser would, but only while
they stay on the site (provisioner.adapters.checks.http_checks): against a real HTTP server on
loopback that answers like the apps we host do — a CMS sending its first visitor to the
installer, an app sending visitors to its login page, one sending them to another site, one
whose login page is broken. The chain is recorded with the result, and a failure names it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from provisioner.adapters.checks import CheckResult, http_checks

# Host -> path -> (status, Location or body).
SITES: dict[str, dict[str, tuple[int, str]]] = {
    "cms.test": {
        "/": (302, "http://cms.test/wp-admin/install.php"),
        "/wp-admin/install.php": (200, "WordPress installer"),
    },
    "app.test": {"/": (302, "/login"), "/login": (301, "/login/"), "/login/": (200, "Masuk")},
    "away.test": {"/": (302, "http://sso.example.org/login?next=/")},
    "port.test": {"/": (302, "http://port.test:8443/")},
    "gone.test": {"/": (302, "/beranda"), "/beranda": (404, "not found")},
    "broken.test": {"/": (302, "/login"), "/login": (500, "error")},
    "loop.test": {"/": (302, "/")},
}


class Handler(BaseHTTPRequestHandler):
    asked: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        host = self.headers.get("Host", "")
        Handler.asked.append((host, self.path))
        status, text = SITES.get(host, {}).get(self.path, (404, "no such page"))
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", text)
            text = ""
        body = text.encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def home(address: str, fqdn: str, marker: str | None = None) -> CheckResult:
    results = http_checks(address, fqdn, marker=marker, health_url=None, timeout=5.0)
    return next(r for r in results if r.name == "http_home")


def test_a_cms_redirecting_to_its_installer_passes_with_the_chain(address: str) -> None:
    result = home(address, "cms.test", marker="WordPress")
    assert result.passed, result
    assert result.chain == ("302 http://cms.test/", "200 http://cms.test/wp-admin/install.php")
    assert result.detail.startswith(
        "redirected, ends in HTTP 200: 302 http://cms.test/ → "
        "200 http://cms.test/wp-admin/install.php"
    )
    assert "marker found" in result.detail


def test_relative_redirects_to_a_login_page_are_followed_on_the_site(address: str) -> None:
    result = home(address, "app.test", marker="Masuk")
    assert result.passed, result
    assert result.chain == (
        "302 http://app.test/", "301 http://app.test/login", "200 http://app.test/login/",
    )  # fmt: skip


def test_a_redirect_off_the_site_fails_and_is_not_followed(address: str) -> None:
    Handler.asked.clear()
    result = home(address, "away.test")
    assert not result.passed
    assert result.detail.startswith(
        "redirect leaves the site: 302 http://away.test/ → http://sso.example.org/login?next=/"
    )
    assert result.chain == ("302 http://away.test/", "→ http://sso.example.org/login?next=/")
    assert [host for host, _ in Handler.asked] == ["away.test"]  # the other site never asked


def test_a_redirect_to_another_port_of_the_same_name_leaves_the_site(address: str) -> None:
    result = home(address, "port.test")
    assert not result.passed
    assert "redirect leaves the site: 302 http://port.test/ → http://port.test:8443/" in (
        result.detail
    )


@pytest.mark.parametrize(
    ("fqdn", "reason"),
    [
        ("gone.test", "ends in HTTP 404: 302 http://gone.test/ → 404 http://gone.test/beranda"),
        ("broken.test", "ends in HTTP 500: 302 http://broken.test/ → 500 http://broken.test/login"),
    ],
)
def test_a_redirect_that_ends_in_an_error_fails_with_the_chain(
    address: str, fqdn: str, reason: str
) -> None:
    result = home(address, fqdn)
    assert not result.passed
    assert result.detail.startswith(reason)
    assert len(result.chain) == 2


def test_a_redirect_loop_fails_after_the_limit(address: str) -> None:
    result = home(address, "loop.test")
    assert not result.passed
    assert result.detail.startswith("more than 5 redirects: 302 http://loop.test/ → ")
    assert len(result.chain) == 6
