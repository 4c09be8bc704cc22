"""The redesigned pages from each role's side, in a real browser (Debian's Chromium) against
a real uvicorn server whose store already holds what a working Diskominfo has
(tests/populated_store.py: requests in every state, a failed job with a server path, SQL
and a tool's raw output in it, letters, users of every role).

For every role — at 1280 px and at 390 px, each in Indonesian and in English — each
page the role's menu links to answers 200 and renders (a screenshot of each goes to
test-artifacts/browser/ as role-lang-width-page.png), speaks one language only (no string
of the other catalogue's header and menu, no "Indonesia / English" pair) and, at 390 px,
does not scroll sideways. Then what the role is for: the OPD's request pages name no
server path, internal address, step code or tool output (the failed request is the one
that has them); the network team's review page shows what was submitted; the admin's
pages list the population; an OPD sent to an admin page is told in words what it may not
do; the technical team is offered Promote only for a site in production, and undo asks
first like every consequential action (the shared confirmation: a dialog with
JavaScript). Last, without JavaScript: the new-request form gives several wrong fields back
at once, each error next to its field, with what was typed kept, and does not claim the
name is checked as one types; undo asks on a confirmation page of its own, then goes ahead.

The worker stays off: the populated jobs are records, nothing runs on the lab.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright import sync_api

from api.web.i18n import LANG_COOKIE
from api.web.i18n_en import EN
from api.web.i18n_id import ID
from provisioner.config import Settings
from provisioner.domain.actors import ACTION_NAMES, Action
from provisioner.store.repositories import requests as requests_repo
from tests.e2e.browser_support import (
    DESKTOP,
    PHONE,
    SHOTS,
    Server,
    running_server,
    shot,
    sign_in,
)
from tests.populated_store import LEAKS, PASSWORD, Population, populate

pytestmark = pytest.mark.lab

ROLES = ("opd", "network", "technical", "approver", "admin")
# What each role's menu links to, in order (the README's "People" table, as a person sees it).
MENUS: dict[str, tuple[str, ...]] = {
    "opd": ("/requests", "/requests/new", "/sop"),
    "network": ("/requests", "/sop", "/queue", "/drift", "/dashboard"),
    "technical": ("/requests", "/sop", "/sites", "/dashboard"),
    "approver": ("/requests", "/sop", "/dashboard", "/admin/audit"),
    "admin": ("/requests", "/requests/new", "/sop", "/sites", "/dashboard", "/admin/users",
              "/admin/calendar", "/admin/sop", "/admin/audit"),
}  # fmt: skip
LANGS = ("id", "en")
WIDTHS = (DESKTOP["width"], PHONE["width"])
# Every role in both languages, on a desktop and on a phone: one journey, parametrized.
CASES = [(role, lang, width) for role in ROLES for lang in LANGS for width in WIDTHS]
# The header, menu and footer strings: on a page of one language, none of the other's.
CHROME_KEYS = (
    "skip", "site.name", "nav.my_requests", "nav.new_request", "nav.queue", "nav.sites",
    "nav.drift", "nav.dashboard", "nav.users", "nav.calendar", "nav.audit", "nav.verify",
    "nav.sop", "nav.sop_admin",
    "nav.logout", "nav.signed_in_as", "lang.switch", "footer.api", "footer.note",
)  # fmt: skip
CATALOGUES = {"id": ID, "en": EN}
# Longer sentences of either catalogue (four words or more, no fields to fill): a page in
# one language shows none of the other's.
SENTENCES = {
    lang: sorted(
        {v for v in cat.values() if len(v.split()) >= 4 and "{" not in v}
        - set(CATALOGUES["en" if lang == "id" else "id"].values())
    )
    for lang, cat in CATALOGUES.items()
}
# Two languages side by side, as the workflow writes its messages ("Wajib diisi / Required").
PAIR = re.compile(r"\S / \S")
# What an OPD must never read: paths and addresses of Diskominfo's servers, the step codes
# and the tools' own output (also what the populated failure holds: LEAKS).
OPD_LEAKS = (
    "/var/www", "/var/lib", "/etc/", "/srv/", "/root/", "127.0.2.", "site_dev", "checks_dev",
    "site_prod", "checks_prod", "cert_prod", "tls_prod", "ansible", "TASK [", "PLAY ",
    "PLAY [", "fatal:", *LEAKS,
)  # fmt: skip
NO_OVERFLOW = "() => document.documentElement.scrollWidth"
# A code where words belong ("manage_users", "site_dev").
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@dataclass
class World:
    server: Server
    pop: Population


@pytest.fixture(scope="module")
def world(lab: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    filled: list[Population] = []
    with running_server(
        lab, tmp_path_factory.mktemp("role-pages"), {},
        seed=lambda services: filled.append(populate(services)), worker=False,
    ) as srv:  # fmt: skip
        yield World(srv, filled[0])


def _new_page(browser, world: World, lang: str, width: int, *, js: bool = True):  # type: ignore[no-untyped-def]
    viewport = DESKTOP if width == DESKTOP["width"] else PHONE
    assert viewport["width"] == width
    ctx = browser.new_context(viewport=viewport, locale="id-ID", java_script_enabled=js)
    ctx.add_cookies([{"name": LANG_COOKIE, "value": lang, "url": world.server.url}])
    return ctx, ctx.new_page()


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


class Visit:
    """One person's visit: each page opened is checked the same way and photographed."""

    def __init__(self, page, world: World, role: str, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
        self.page, self.url = page, world.server.url
        self.role, self.lang, self.width = role, lang, width
        self.shots: set[str] = set()  # the screenshots this visit took, kept as artifacts

    def open(self, path: str, name: str | None = None, *, status: int = 200) -> str:
        """Open `path`, check it as every page is checked; the visible text of <main>."""
        answer = self.page.goto(self.url + path)
        assert answer is not None and answer.status == status, (path, answer and answer.status)
        return self.check(name or _slug(path), status=status)

    def check(self, name: str, *, status: int = 200) -> str:
        """The page now shown: rendered, in one language, not too wide; photographed."""
        page = self.page
        where = f"{self.role}/{self.lang}/{self.width} {page.url}"
        sync_api.expect(page.locator("main h1").first).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == self.lang, where
        if status == 200:
            assert page.locator("#error-message").count() == 0, (where, page.inner_text("main"))
        self.shots.add(f"{self.role}-{self.lang}-{self.width}-{name}")
        shot(page, f"{self.role}-{self.lang}-{self.width}-{name}")
        body = page.inner_text("body")
        other = "en" if self.lang == "id" else "id"
        foreign = [CATALOGUES[other][k] for k in CHROME_KEYS
                   if CATALOGUES[other][k] != CATALOGUES[self.lang][k]
                   and CATALOGUES[other][k] in body]  # fmt: skip
        assert not foreign, (where, "the other language's menu/header", foreign)
        foreign = [s for s in SENTENCES[other] if s in body]
        assert not foreign, (where, "the other language's sentences", foreign)
        main = page.inner_text("main")
        pairs = [main[max(0, m.start() - 40) : m.end() + 40] for m in PAIR.finditer(main)]
        assert not pairs, (where, "both languages side by side", pairs)
        if self.width <= PHONE["width"]:
            wide = page.evaluate(NO_OVERFLOW)
            assert wide <= self.width + 1, (where, "scrolls sideways", wide)
        return main


def _menu(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("nav.menu a").evaluate_all("els => els.map(e => e.getAttribute('href'))")


def _fqdn(world: World, request_id: int) -> str:
    with world.pop.services.store.read() as s:
        return requests_repo.get_request(s, request_id).fqdn


def _target_address(world: World, request_id: int) -> str | None:
    with world.pop.services.store.read() as s:
        req = requests_repo.get_request(s, request_id)
        return None if req.hosting else req.target_address


def _opd_reads_no_internals(visit: Visit, world: World) -> None:
    """The OPD's own requests in the states that carry technical detail, and the failed
    job: no server path, address, step code or tool output, neither shown nor in the HTML."""
    pop, page = world.pop, visit.page
    for what in ("failed", "provisioning", "letter_issued", "returned", "rejected"):
        rid = pop.requests[what]
        visit.open(f"/requests/{rid}", f"request-{what}")
        # Without hosting, the address of its own server is what the OPD typed: not ours.
        own = _target_address(world, rid)
        for text in (page.inner_text("body"), page.content()):
            text = text.replace(own, "<its own server>") if own else text
            leaked = [word for word in OPD_LEAKS if word in text]
            assert not leaked, (what, leaked)
    visit.open(f"/jobs/{pop.jobs['failed']}", "job-failed")
    for text in (page.inner_text("body"), page.content()):
        leaked = [word for word in OPD_LEAKS if word in text]
        assert not leaked, ("failed job", leaked)
    # The failed request says what happened in plain words, in the page's language.
    visit.open(f"/requests/{pop.requests['failed']}", "request-failed")
    failure = page.locator("#failure").inner_text()
    assert failure.strip(), "the OPD is not told that the installation stopped"


def _opd_is_refused_admin_pages_in_words(visit: Visit) -> None:
    for path, action in (("/admin/users", Action.MANAGE_USERS),
                         ("/admin/calendar", Action.MANAGE_USERS),
                         ("/admin/audit", Action.AUDIT)):  # fmt: skip
        visit.open(path, "forbidden-" + _slug(path), status=403)
        said = visit.page.locator("#error-message").inner_text()
        assert ACTION_NAMES[action].in_(visit.lang) in said, (path, said)
        assert not CODE.search(said), (path, "a code, not words", said)
        assert visit.page.locator("#page-title").inner_text() == CATALOGUES[visit.lang][
            "error.title_403"
        ]


def _network_reviews_what_was_submitted(visit: Visit, world: World) -> None:
    rid = world.pop.requests["submitted"]
    main = visit.open(f"/requests/{rid}/review", "review")
    with world.pop.services.store.read() as s:
        req = requests_repo.get_request(s, rid)
        asked = {"contact": req.contact_name, "nip": req.contact_nip,
                 "email": req.contact_email, "letter-number": req.letter_number}  # fmt: skip
    for key, value in asked.items():  # what the OPD typed, shown back as typed
        assert value, key
        shown = visit.page.locator(f"#submitted-{key}").inner_text()
        assert shown.strip() == value, (key, shown, value)
    assert req.fqdn in main
    assert visit.page.locator("#diff-dns").inner_text().strip(), main
    # The failed request: the network team does read what failed where.
    visit.open(f"/requests/{world.pop.requests['failed']}", "request-failed")
    assert "SQL syntax" in visit.page.inner_text("main")
    _network_reviews_an_adoption(visit)
    # The hand-made vhosts the lab seeds on web-prod, found over SSH (nothing registered).
    main = visit.open("/existing-sites", "existing-sites")
    vhosts = visit.page.locator("#vhosts-web-prod").inner_text()
    assert "arsip.demokab.go.id" in vhosts and "simpeg.demokab.go.id" in vhosts, main


def _network_reviews_an_adoption(visit: Visit) -> None:
    """The lab zone's hand-made records on /dns/adopt (this store owns none of them): the
    dangling CNAME marked, one record ticked and assigned, and the plan to approve shown."""
    page = visit.page
    visit.open("/dns/adopt", "dns-adopt")
    row = page.locator('tr[data-record="pariwisata.demokab.go.id CNAME"]')
    sync_api.expect(row.locator(".badge.failed")).to_be_visible()
    pick = page.locator('tr[data-record="disdukcapil.demokab.go.id A"]')
    pick.locator('input[type="checkbox"]').check()
    pick.locator('input[name^="agency_"]').fill("Dinas Kependudukan dan Pencatatan Sipil")
    page.locator("#adopt-review").click()
    main = visit.check("dns-adopt-review")
    assert "disdukcapil.demokab.go.id" in main and "Dinas Kependudukan" in main, main
    assert "pariwisata" not in main, main  # only what was ticked is in the plan


def _form_says_how_the_name_is_checked(visit: Visit, *, js: bool) -> None:
    """The copy "checked as you type" only where the script checks; without it, "on submit"."""
    page, cat = visit.page, CATALOGUES[visit.lang]
    live, on_submit = page.locator("#name-check-live"), page.locator("#name-check-submit")
    if js:
        sync_api.expect(live).to_be_visible()
        assert live.inner_text() == cat["req.name_live"]
        assert on_submit.count() == 0  # <noscript>: not even in the page
    else:
        assert not live.is_visible() and cat["req.name_live"] not in page.inner_text("body")
        assert on_submit.is_visible() and on_submit.inner_text() == cat["req.name_on_submit"]


def _technical_is_offered_what_applies(visit: Visit, world: World) -> None:
    """No Promote (nor Rollback) for a site that never reached production; the failed job
    retried, or undone behind the shared confirmation (a dialog: dismissed, nothing sent)."""
    page, pop = visit.page, world.pop
    visit.open("/sites", "sites")
    for what in ("provisioning", "testing_dev", "failed"):
        card = page.locator(f"section.site[data-site='{_fqdn(world, pop.requests[what])}']")
        assert card.count() == 1, (what, "not on /sites")
        assert card.locator("[id^='promote-'], [id^='rollback-']").count() == 0, what
    job = pop.jobs["failed"]
    visit.open(f"/jobs/{job}", "job-failed")
    assert page.locator("#retry-button").is_visible()
    form, question = page.locator(f"#undo-{job}"), CATALOGUES[visit.lang]["confirm.q.undo"]
    assert form.get_attribute("data-confirm") == question.format(job=job)
    assert form.locator("input[type=checkbox]").count() == 0, "a tick box of its own"
    asked: list[str] = []

    def say_no(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.locator(f"#undo-button-{job}").click()
    assert asked == [question.format(job=job)]
    assert page.url == f"{visit.url}/jobs/{job}"
    assert form.locator("input[name='confirmed']").input_value() == ""


def _admin_sees_the_population(visit: Visit, world: World) -> None:
    page, pop = visit.page, world.pop
    visit.open("/admin/users", "admin-users")
    users = page.inner_text("main")
    for who in ("opd", "network", "technical", "approver", "admin"):
        assert pop.usernames[who] in users, who
    visit.open("/admin/audit", "admin-audit")
    assert page.locator("main table tbody tr").count() > 0


@pytest.mark.parametrize(("role", "lang", "width"), CASES,
                         ids=[f"{r}-{lang}-{w}" for r, lang, w in CASES])  # fmt: skip
def test_each_role_reads_its_pages_in_one_language(
    world: World, browser, role: str, lang: str, width: int
) -> None:  # type: ignore[no-untyped-def]
    ctx, page = _new_page(browser, world, lang, width)
    try:
        sign_in(page, world.server.url, world.pop.usernames[role], PASSWORD)
        assert _menu(page) == list(MENUS[role])
        visit = Visit(page, world, role, lang, width)
        for path in MENUS[role]:
            visit.open(path)
            if path == "/requests/new":
                _form_says_how_the_name_is_checked(visit, js=True)
        if role == "opd":
            _opd_reads_no_internals(visit, world)
            _opd_is_refused_admin_pages_in_words(visit)
        elif role == "network":
            _network_reviews_what_was_submitted(visit, world)
        elif role == "technical":
            _technical_is_offered_what_applies(visit, world)
        elif role == "approver":
            visit.open(f"/requests/{world.pop.requests['letter_issued']}", "request-letter")
            assert page.locator("#letter-top").is_visible()
        else:
            _admin_sees_the_population(visit, world)
        kept = [name for name in sorted(visit.shots) if not (SHOTS / f"{name}.png").is_file()]
        assert not kept, ("screenshots not kept", kept)
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_new_request_form_without_javascript_gives_every_error_at_once(
    world: World, browser, lang: str
) -> None:  # type: ignore[no-untyped-def]
    ctx, page = _new_page(browser, world, lang, PHONE["width"], js=False)
    try:
        sign_in(page, world.server.url, world.pop.usernames["opd"], PASSWORD)
        visit = Visit(page, world, "opd", lang, PHONE["width"])
        visit.open("/requests/new", "form-nojs")
        _form_says_how_the_name_is_checked(visit, js=False)
        typed = {
            "label": "Dinkes_Baru",  # capitals and an underscore
            "contact_name": "Siti Rahma",
            "contact_nip": "12345",  # not 18 digits
            "contact_email": "siti-at-dinkes",  # no @
            "letter_number": "400.7/9/DINKES/2026",
            "letter_date": (date.today() + timedelta(days=30)).isoformat(),  # in the future
            "repo": "sample-app",
        }
        for name, value in typed.items():
            page.locator(f"#{name}").fill(value)
        page.locator("#purpose").fill("")  # required, left empty
        with page.expect_navigation() as sent:
            page.locator("#submit").click()
        assert sent.value is not None and sent.value.status == 422
        main = visit.check("form-nojs-errors", status=422)
        _form_says_how_the_name_is_checked(visit, js=False)
        wrong = ("label", "contact_nip", "contact_email", "letter_date", "purpose")
        summary = page.locator("#form-errors")
        assert summary.is_visible(), main
        for name in wrong:
            error = page.locator(f"#{name}-error")
            assert error.is_visible(), (name, main)
            assert error.inner_text().strip(), name
            # Next to its field: in the field's own box, the field marked and described by it.
            box = page.locator(f"#{name}-field")
            assert box.locator(f"#{name}-error").count() == 1, name
            field = page.locator(f"#{name}")
            assert field.get_attribute("aria-invalid") == "true", name
            assert f"{name}-error" in (field.get_attribute("aria-describedby") or ""), name
            assert summary.locator(f"a[href='#{name}']").count() == 1, name
        assert page.locator(".field-error").count() == len(wrong), main
        # The workflow's bilingual "Wajib diisi / Required", in the page's language only.
        assert page.locator("#purpose-error").inner_text() == (
            "Wajib diisi" if lang == "id" else "Required"
        )
        for name, value in typed.items():  # what was typed is kept
            assert page.locator(f"#{name}").input_value() == value, name
    finally:
        ctx.close()


def test_undo_without_javascript_asks_on_a_page_then_goes_ahead(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    """Last in this module: it queues the undo of the populated failed job (the worker is
    off, nothing runs on the lab). The tick box is gone: without JavaScript the undo asks
    on the shared confirmation page, listing what stands; "Cancel" leaves all as it was."""
    lang, job = "en", world.pop.jobs["failed"]
    ctx, page = _new_page(browser, world, lang, PHONE["width"], js=False)
    try:
        sign_in(page, world.server.url, world.pop.usernames["technical"], PASSWORD)
        visit = Visit(page, world, "technical", lang, PHONE["width"])
        visit.open(f"/jobs/{job}", "job-failed-nojs")
        standing = page.locator("[data-standing-step]").count()
        assert standing > 0, "the populated failure leaves nothing standing"
        for answer in ("confirm-no", "confirm-yes"):
            with page.expect_navigation() as asked:
                page.locator(f"#undo-button-{job}").click()
            assert asked.value is not None and asked.value.status == 200
            assert page.url == f"{visit.url}/jobs/{job}/undo"
            visit.check("undo-confirm-nojs")
            question = page.locator("#confirm-question")
            assert CATALOGUES[lang]["confirm.q.undo"].format(job=job) in question.inner_text()
            assert question.locator("dt").count() == standing, "what stands, listed"
            assert page.locator("#confirm-yes").inner_text() == CATALOGUES[lang]["confirm.do.undo"]
            with page.expect_navigation():
                page.locator(f"#{answer}").click()
            assert page.url.split("?")[0] == f"{visit.url}/jobs/{job}"
            if answer == "confirm-no":  # nothing happened
                visit.check("job-failed-nojs")
                assert page.locator(f"#undo-{job}").count() == 1
                assert page.locator("#flash").count() == 0
        visit.check("job-undoing-nojs")
        said = CATALOGUES[lang]["flash.undo"].format(job=job)
        assert said in page.locator("#flash").inner_text()
        assert page.locator(f"#undo-{job}").count() == 0, "offered again while it runs"
    finally:
        ctx.close()
