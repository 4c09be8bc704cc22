"""The home page's verdict from the chain of responses it took to answer
(provisioner.domain.acceptance.home_verdict): a redirect that stays on the site and ends in a
success passes, naming the chain; one that leaves the site or ends in an error fails, with
the chain in the reason."""

from __future__ import annotations

import pytest

from provisioner.domain.acceptance import MAX_REDIRECTS, home_verdict

SITE = "http://portal.demokab.go.id"


def test_a_page_that_answers_at_once_passes_without_a_chain() -> None:
    assert home_verdict([(f"{SITE}/", 200)], left_to=None, marker_found=True) == (
        True,
        "HTTP 200",
    )


def test_a_redirect_to_the_installer_on_the_site_passes_and_names_the_chain() -> None:
    chain = [(f"{SITE}/", 302), (f"{SITE}/wp-admin/install.php", 200)]
    passed, reason = home_verdict(chain, left_to=None, marker_found=True)
    assert passed
    assert reason == (
        f"redirected, ends in HTTP 200: 302 {SITE}/ → 200 {SITE}/wp-admin/install.php"
    )


def test_a_redirect_off_the_site_fails_naming_where_it_went() -> None:
    passed, reason = home_verdict(
        [(f"{SITE}/", 301)], left_to="https://login.example.com/sso", marker_found=True
    )
    assert not passed
    assert reason == f"redirect leaves the site: 301 {SITE}/ → https://login.example.com/sso"


@pytest.mark.parametrize("status", [404, 500, 503])
def test_a_redirect_that_ends_in_an_error_fails_with_the_chain(status: int) -> None:
    chain = [(f"{SITE}/", 302), (f"{SITE}/login", 302), (f"{SITE}/login/", status)]
    passed, reason = home_verdict(chain, left_to=None, marker_found=True)
    assert not passed
    assert reason == (
        f"ends in HTTP {status}: 302 {SITE}/ → 302 {SITE}/login → {status} {SITE}/login/"
    )


def test_an_error_without_a_redirect_fails_naming_the_status() -> None:
    assert home_verdict([(f"{SITE}/", 500)], left_to=None, marker_found=True) == (
        False,
        "ends in HTTP 500",
    )


def test_a_redirect_ending_in_a_page_without_the_marker_fails() -> None:
    chain = [(f"{SITE}/", 302), (f"{SITE}/masuk", 200)]
    passed, reason = home_verdict(chain, left_to=None, marker_found=False)
    assert not passed
    assert reason == f"marker missing: 302 {SITE}/ → 200 {SITE}/masuk"


def test_redirects_that_never_end_fail_after_the_limit() -> None:
    chain = [(f"{SITE}/{n}", 302) for n in range(MAX_REDIRECTS + 1)]
    passed, reason = home_verdict(chain, left_to=None, marker_found=True)
    assert not passed
    assert reason.startswith(f"more than {MAX_REDIRECTS} redirects: 302 {SITE}/0 → ")


def test_no_response_fails() -> None:
    assert home_verdict([], left_to=None, marker_found=True) == (False, "no response")
