"""What the SOP page journeys share (tests/e2e/test_sop_pages*.py): one real uvicorn server
per test module with the people who act (`world`, a module fixture imported by name), one
signed-in browser per person, and the page helpers — the check that a page speaks one
language and fits its screen, the intake form, one step acted on through its form and
outcome buttons, a document uploaded, a letter approved from the Kadis's dashboard inbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from api.web.i18n import LANG_COOKIE
from api.web.i18n_en import EN
from api.web.i18n_id import ID
from provisioner.adapters.sop_files import load_presets
from provisioner.config import Settings
from provisioner.domain.actors import Role
from provisioner.domain.sop import RequestType
from provisioner.domain.sop_run import SOP_ROLE_NAMES
from tests.e2e.browser_support import DESKTOP, PHONE, Server, running_server, shot, sign_in
from tests.pdf_samples import one_page_pdf

AGENCY = "Dinas Kesehatan"
USERS: dict[str, tuple[Role, str | None]] = {
    "opd-kes": (Role.OPD, AGENCY),
    "umum": (Role.ADMIN, None),  # the secretariat (Bagian Umum) and the SOP admin
    "kadis": (Role.APPROVER, None),
    "kabid-apl": (Role.KABID, None),
    "teknis": (Role.TECHNICAL, None),
    "jaringan": (Role.NETWORK, None),  # the network team (subdomain steps)
}
PRESETS = load_presets()
CATALOGUES = {"id": ID, "en": EN}
# Longer sentences of one catalogue only: a page in the other language shows none of them.
SENTENCES = {
    lang: sorted({v for v in cat.values() if len(v.split()) >= 4 and "{" not in v}
                 - set(CATALOGUES["en" if lang == "id" else "id"].values()))
    for lang, cat in CATALOGUES.items()
}  # fmt: skip
PAIR = re.compile(r"\S / \S")  # "Wajib diisi / Required": two languages glued together
# The presets' own names may hold a slash ("perlu / tidak perlu", "Sekretariat / Bagian
# Umum"); they are not a pair.
OWN_NAMES = sorted(
    {*(n for t in SOP_ROLE_NAMES.values() for n in t)} | {n for d in PRESETS.values()
     for n in [d.name.id, d.name.en, *(s.name.id for s in d.steps), *(s.name.en for s in d.steps),
               *(f.name.id for f in d.fields.values()), *(f.name.en for f in d.fields.values()),
               *(x.name.id for x in d.documents.values()),
               *(x.name.en for x in d.documents.values())]},
    key=len, reverse=True,
)  # fmt: skip
WIDTH = "() => document.documentElement.scrollWidth"


@dataclass
class World:
    server: Server
    pdf: Path
    browser: Any
    pages: dict[str, Any] = field(default_factory=dict)

    def page(self, who: str, lang: str = "id", width: int = DESKTOP["width"]) -> Any:
        """`who` signed in (once for the module: signing in is slow by design), reading in
        `lang` on a screen `width` wide."""
        if who not in self.pages:
            ctx = self.browser.new_context(viewport=DESKTOP, locale="id-ID")
            page = ctx.new_page()
            page.on("dialog", lambda d: d.accept())  # "approve?" — yes
            sign_in(page, self.server.url, who)
            self.pages[who] = page
        page = self.pages[who]
        page.context.add_cookies([{"name": LANG_COOKIE, "value": lang, "url": self.server.url}])
        page.set_viewport_size(PHONE if width == PHONE["width"] else DESKTOP)
        return page


@pytest.fixture(scope="module")
def world(lab: Settings, tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """One server for the importing test module (no worker: no job runs)."""
    data = tmp_path_factory.mktemp("sop-pages")
    pdf = data / "berkas.pdf"
    pdf.write_bytes(one_page_pdf())
    with running_server(lab, data / "srv", USERS, worker=False) as srv:
        w = World(srv, pdf, browser)
        yield w
        for page in w.pages.values():
            page.context.close()


def check(page: Any, name: str, lang: str, width: int) -> str:
    """The page now shown: in one language, not wider than the screen; photographed."""
    sync_api.expect(page.locator("main h1").first).to_be_visible()
    where = f"{name} {lang}/{width} {page.url}"
    assert page.evaluate("document.documentElement.lang") == lang, where
    shot(page, f"sop-{name}-{lang}-{width}")
    body = page.inner_text("body")
    other = "en" if lang == "id" else "id"
    foreign = [s for s in SENTENCES[other] if s in body]
    assert not foreign, (where, "the other language's sentences", foreign)
    main = page.inner_text("main")
    for own in OWN_NAMES:
        main = main.replace(own, "")
    pairs = [main[max(0, m.start() - 40) : m.end() + 40] for m in PAIR.finditer(main)]
    assert not pairs, (where, "both languages side by side", pairs)
    if width <= PHONE["width"]:
        assert page.evaluate(WIDTH) <= width + 1, (where, "scrolls sideways")
    return main


def go(world: World, page: Any, path: str, status: int = 200) -> None:
    answer = page.goto(world.server.url + path)
    assert answer is not None and answer.status == status, (path, answer and answer.status)


def flash(page: Any) -> str:
    sync_api.expect(page.locator("#flash")).to_be_visible()
    return str(page.locator("#flash").inner_text())


def now_step(page: Any) -> str:
    return str(page.locator("#now").get_attribute("data-step"))


def upload(world: World, page: Any, kind: str) -> None:
    """Attach a document from the request page's list of documents."""
    page.set_input_files(f"#doc-{kind}", str(world.pdf))
    page.locator(f"#upload-{kind}-submit").click()
    page.wait_for_load_state()
    assert "sop_document" in page.url, page.inner_text("main")


def act(world: World, who: str, pid: int, outcome: str, *, files: tuple[str, ...] = (),
        fill: dict[str, str] | None = None, select: dict[str, str] | None = None,
        note: str = "", lang: str = "id") -> Any:  # fmt: skip
    """`who` opens the request, answers the step's questions, gives the step's documents
    (`files`, by kind) with them and presses the outcome's button; the page after it."""
    page = world.page(who, lang)
    go(world, page, f"/sop/{pid}")
    for kind in files:
        page.set_input_files(f"#stepdoc-{kind}", str(world.pdf))
    for key, value in (fill or {}).items():
        page.locator(f"#f-{key}").fill(value)
    for key, value in (select or {}).items():
        page.locator(f"#f-{key}").select_option(value)
    if note:
        page.locator("#note").fill(note)
    page.locator(f"#outcome-{outcome}").click()
    page.wait_for_load_state()
    return page


def open_request(world: World, request_type: RequestType, fields: dict[str, str],
                 documents: tuple[str, ...], title: str, *, lang: str = "id") -> int:  # fmt: skip
    """The OPD fills the intake form of the SOP chosen for `request_type`; the new id."""
    page = world.page("opd-kes", lang)
    go(world, page, f"/sop/new?type={request_type.value}")
    page.locator("#title").fill(title)
    page.locator("#request_letter_number").fill("400.7/321/DINKES/2026")
    page.locator("#request_letter_date").fill("2026-11-02")
    for key, value in fields.items():
        page.locator(f"#f-{key}").fill(value)
    for kind in documents:
        page.set_input_files(f"#doc-{kind}", str(world.pdf))
    page.locator("#submit-sop").click()
    page.wait_for_load_state()
    assert "sop_opened" in page.url, page.inner_text("main")
    return int(re.search(r"/sop/(\d+)", page.url).group(1))  # type: ignore[union-attr]


def approve_from_inbox(world: World, pid: int, kind: str, *, lang: str = "id") -> str:
    """The Kadis approves the request's waiting `kind` letter from the dashboard's inbox."""
    page = world.page("kadis", lang)
    go(world, page, "/dashboard")
    row = page.locator(f"#sop-letters-waiting tr[data-procedure='{pid}'][data-kind='{kind}']")
    sync_api.expect(row).to_have_count(1)
    check(page, "dashboard-inbox", lang, DESKTOP["width"])
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "/dashboard" in page.url and "letter_approved" in page.url, page.url
    assert page.locator(f"#sop-letters-waiting tr[data-procedure='{pid}']").count() == 0
    return flash(page)
