"""Requests under an SOP through the pages, in a real browser (Debian's Chromium) against a
real uvicorn server — one server for the module, one signed-in browser per person.

The journeys, human steps only (hardware steps are tested with the jobs):
  * Kalimantan Utara's recommendation from the OPD's intake form to the recommendation
    letter: receipt by the secretariat, the Kadis's and the Kabid's dispositions, the
    invitation approved from the Kadis's dashboard inbox, the presentation (its clock
    paused), the assessment and the recommendation approved on the request's page;
  * an admin edits a preset in /admin/sop (a schema error first, shown with its field
    path): a new request follows the new version, one already under way keeps its own;
  * Tarakan's consultation to the reject branch and its refusal letter;
  * every SOP page in English and at 390 px: one language, no sideways scrolling.
Screenshots of every page go to test-artifacts/browser/sop-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from provisioner.domain.actors import Actor, Role
from provisioner.domain.sop import Outcome, RequestType
from provisioner.workflow.procedures.service import ProcedureDraft
from tests.e2e import sop_page_support
from tests.e2e.browser_support import DESKTOP, PHONE
from tests.e2e.sop_page_support import (
    AGENCY,
    CATALOGUES,
    PRESETS,
    World,
    act,
    approve_from_inbox,
    check,
    flash,
    go,
    now_step,
    open_request,
    upload,
)
from tests.pdf_samples import one_page_pdf

pytestmark = pytest.mark.lab

world = sop_page_support.world  # the module's server (a fixture, by its name)
KALTARA, TARAKAN = PRESETS["kaltara-rekomendasi"], PRESETS["tarakan-konsultasi"]


PROPOSAL = {k: f"Uraian {k.replace('_', ' ')} untuk aplikasi puskesmas"
            for k in KALTARA.intake.fields}  # fmt: skip


def test_kaltara_recommendation_from_the_intake_form_to_the_letter(world: World) -> None:
    steps = {s.key: s for s in KALTARA.steps}
    # The intake: a refusal comes back next to its field, what was typed is kept.
    opd = world.page("opd-kes")
    go(world, opd, "/sop/new?type=application_recommendation")
    check(opd, "new", "id", DESKTOP["width"])
    assert opd.locator("#sop-fields textarea").count() == len(KALTARA.intake.fields)
    opd.locator("#f-legal_basis").fill(PROPOSAL["legal_basis"])
    opd.set_input_files("#doc-proposal", str(world.pdf))
    with opd.expect_navigation() as sent:
        opd.locator("#submit-sop").click()
    assert sent.value is not None and sent.value.status == 422
    check(opd, "new-errors", "id", DESKTOP["width"])
    for name in ("title", "request_letter_number", "f-benefit", "f-schedule"):
        assert opd.locator(f"#{name}-field #{name}-error").is_visible(), name
        assert opd.locator(f"#{name}").get_attribute("aria-invalid") == "true", name
    assert opd.locator("#f-legal_basis").input_value() == PROPOSAL["legal_basis"]
    assert opd.locator("#doc-proposal-again").is_visible()  # a file is chosen again
    pid = open_request(world, RequestType.APPLICATION_RECOMMENDATION, PROPOSAL,
                       ("request_letter",), "Sistem Informasi Puskesmas")  # fmt: skip
    assert opd.locator("#need-proposal").get_attribute("data-uploaded") == "no"
    upload(world, opd, "proposal")  # the intake's other document, handed in afterwards
    main = check(opd, "detail-opd", "id", DESKTOP["width"])
    assert opd.locator("#sop-key").inner_text() == "kaltara-rekomendasi"
    assert opd.locator("#sop-version").get_attribute("data-version") == "1"
    assert now_step(opd) == "receipt" and opd.locator("#waiting-on").is_visible()
    assert opd.locator("#step-form").count() == 0  # the OPD does not act on the receipt
    assert opd.locator("#document-list li").count() == 2, main
    assert [r.get_attribute("data-step") for r in opd.locator("#steps tbody tr").all()] == [
        s.key for s in KALTARA.steps]  # fmt: skip

    page = act(world, "umum", pid, "done")
    assert "sop_step" in page.url and now_step(page) == "kadis_disposition"
    # The Kadis presses "done" without the disposition: each missing answer by its field.
    page = act(world, "kadis", pid, "done")
    check(page, "disposition-errors", "id", DESKTOP["width"])
    for name in ("f-instruction", "f-assignee", "stepdoc-disposition_sheet"):
        assert page.locator(f"#{name}-error").is_visible(), name
    page = act(world, "kadis", pid, "done", files=("disposition_sheet",),
               fill={"instruction": "Kaji bersama tim teknis"},
               select={"assignee": "kabid-apl"})  # fmt: skip
    assert now_step(page) == "kabid_disposition", page.inner_text("main")
    page = act(world, "kabid-apl", pid, "done", fill={"instruction": "Periksa berkas"},
               select={"assignee": "teknis"})  # fmt: skip
    assert now_step(page) == "completeness_invitation"
    invitation = {"presentation_at": "2026-12-10T09:00", "presentation_place": "Ruang Rapat"}
    page = act(world, "teknis", pid, "done", fill=invitation)
    assert "sop_draft" in page.url and page.locator("#draft-waiting").is_visible()
    check(page, "draft-waiting", "id", DESKTOP["width"])
    approve_from_inbox(world, pid, "invitation")

    opd = world.page("opd-kes")
    go(world, opd, f"/sop/{pid}")
    assert now_step(opd) == "presentation"
    assert opd.locator("#now-clock").get_attribute("data-clock") == "paused"  # waits on the OPD
    invitation = opd.locator("#letters [data-kind='invitation']")
    assert invitation.get_attribute("data-issued") == "yes"
    assert "-UND/" in invitation.locator(".letter-number").inner_text()
    page = act(world, "opd-kes", pid, "done", files=("presentation_result",))
    assert now_step(page) == "assessment"
    page = act(world, "teknis", pid, "needed", files=("assessment_result",))
    assert now_step(page) == "recommendation"
    page = act(world, "kadis", pid, "approve")
    assert page.locator("#draft-waiting").is_visible()
    page.locator("#approve-now").click()  # on the request's page, asked first
    page.wait_for_load_state()
    assert "sop_letter_approved" in page.url and "-REK/" in flash(page)
    main = check(page, "completed", "id", DESKTOP["width"])
    assert page.locator("#ended [data-ended='completed']").is_visible(), main
    rec = page.locator("#letters [data-kind='recommendation']")
    href = rec.locator("a[id^='letter-pdf-']").get_attribute("href")
    pdf = page.request.get(f"{world.server.url}{href}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    verify = str(rec.locator("a[id^='letter-verify-']").get_attribute("href"))
    # The OPD brings the TTE-signed PDF back: kept once as the letter of record.
    opd = world.page("opd-kes", "id")
    go(world, opd, f"/sop/{pid}")
    form = opd.locator("#letters [data-kind='recommendation'] form[id^='record-form-']")
    form.locator("input[type=file]").set_input_files(str(world.pdf))
    form.locator("button[type=submit]").click()
    opd.wait_for_load_state()
    assert "record_uploaded" in opd.url, opd.inner_text("main")
    record = opd.locator("#letters [data-kind='recommendation'] a[id^='letter-record-']")
    got = opd.request.get(f"{world.server.url}{record.get_attribute('href')}")
    assert got.status == 200 and got.body() == world.pdf.read_bytes()
    assert form.count() == 0  # once
    history = [(r.get_attribute("data-step"), r.get_attribute("data-actor"))
               for r in page.locator("#history tbody tr").all()]  # fmt: skip
    assert history == [
        ("receipt", "umum"), ("kadis_disposition", "kadis"),
        ("kabid_disposition", "kabid-apl"), ("completeness_invitation", "kadis"),
        ("presentation", "opd-kes"), ("assessment", "teknis"), ("recommendation", "kadis"),
    ]  # fmt: skip
    assert "Kaji bersama tim teknis" in page.locator("#history").inner_text()
    statuses = {r.get_attribute("data-step"): r.get_attribute("data-status")
                for r in page.locator("#steps tbody tr").all()}  # fmt: skip
    assert set(statuses.values()) == {"done"}, statuses
    assert steps["recommendation"].limit == "1d"
    assert page.locator("#steps tr[data-step='recommendation'] .step-limit").inner_text() == (
        "1 hari kerja"
    )
    go(world, page, verify)  # the letter's verification page knows it
    assert "-REK/" in page.inner_text("main"), page.inner_text("main")
    # The lists: the OPD's own, and the staff's with who acts.
    go(world, world.page("opd-kes"), "/sop")
    check(world.page("opd-kes"), "list-opd", "id", DESKTOP["width"])
    assert world.page("opd-kes").locator(f"#procedures tr[data-procedure='{pid}']").count() == 1


def _edited(text: str) -> str:
    """The admin's edit: the registration's limit from 3 to 10 minutes, and one more step."""
    text = text.replace("limit: 3m", "limit: 10m", 1)
    assert "limit: 10m" in text
    return (
        text.rstrip("\n")
        + """
- key: archive
  name: {id: Pengarsipan berkas, en: Filing the documents}
  role: secretariat
  limit: 5m
  output: {record: archive}
"""
    )


def test_an_edited_sop_applies_to_new_requests_only(world: World) -> None:
    before = open_request(world, RequestType.CONSULTATION, {}, ("request_letter",),
                          "Konsultasi aplikasi antrean")  # fmt: skip
    admin = world.page("umum")
    go(world, admin, "/admin/sop")
    check(admin, "admin", "id", DESKTOP["width"])
    row = admin.locator("#sop-table tr[data-key='tarakan-konsultasi']")
    first = int(str(row.get_attribute("data-version")))
    admin.locator("#edit-tarakan-konsultasi").click()
    admin.wait_for_load_state()
    text = admin.locator("#definition").input_value()
    assert "key: tarakan-konsultasi" in text
    # A limit the schema does not know: refused with the field's path, the text kept.
    admin.locator("#definition").fill(text.replace("limit: 3m", "limit: 3x", 1))
    with admin.expect_navigation() as sent:
        admin.locator("#save-sop").click()
    assert sent.value is not None and sent.value.status == 422
    check(admin, "admin-edit-error", "id", DESKTOP["width"])
    assert admin.locator("#schema-problems li[data-path='steps.1.limit']").count() == 1
    assert "limit: 3x" in admin.locator("#definition").input_value()
    admin.locator("#definition").fill(_edited(text))
    admin.locator("#save-sop").click()
    admin.wait_for_load_state()
    assert "sop_saved" in admin.url and f"{first + 1}" in flash(admin)
    assert admin.locator("#definition-steps tr[data-step='archive']").count() == 1
    check(admin, "admin-edit", "id", DESKTOP["width"])
    after = open_request(world, RequestType.CONSULTATION, {}, ("request_letter",),
                         "Konsultasi aplikasi arsip")  # fmt: skip
    opd = world.page("opd-kes")
    for pid, version, steps, limit in ((before, first, 11, "3 menit"),
                                       (after, first + 1, 12, "10 menit")):  # fmt: skip
        go(world, opd, f"/sop/{pid}")
        assert opd.locator("#sop-version").get_attribute("data-version") == str(version), pid
        assert opd.locator("#steps tbody tr").count() == steps, pid
        assert opd.locator("#steps tr[data-step='registration'] .step-limit").inner_text() == limit
    check(opd, "new-version", "id", DESKTOP["width"])


def test_tarakan_consultation_rejected_ends_with_a_refusal_letter(world: World) -> None:
    pid = open_request(world, RequestType.CONSULTATION, {}, ("request_letter",),
                       "Aplikasi pelaporan gizi")  # fmt: skip
    page = act(world, "opd-kes", pid, "done")  # the OPD's letter step (its documents given)
    assert now_step(page) == "registration"
    page = act(world, "umum", pid, "done", files=("disposition_sheet",),
               fill={"agenda_number": "AG-2026/117"})  # fmt: skip
    page = act(world, "kadis", pid, "done", fill={"instruction": "Kaji kebutuhan"},
               select={"assignee": "kabid-apl"})  # fmt: skip
    kabid = world.page("kabid-apl")  # a document no step asks for yet, attached early
    go(world, kabid, f"/sop/{pid}")
    kabid.locator("#other-document summary").click()
    kabid.locator("#other-kind").select_option("procurement_kak")
    kabid.set_input_files("#doc-other", str(world.pdf))
    kabid.locator("#upload-other button[type=submit]").click()
    kabid.wait_for_load_state()
    assert kabid.locator("#document-list li[data-kind='procurement_kak']").count() == 1
    review = {"prepared_website": "belum ada", "follow_up_data": "Data gizi balita"}
    page = act(world, "kabid-apl", pid, "done", fill=review)
    assert now_step(page) == "decision"
    # What the review gave is offered again where the decision needs it.
    kadis = world.page("kadis")
    go(world, kadis, f"/sop/{pid}")
    assert kadis.locator("#f-follow_up_data").input_value() == "Data gizi balita"
    page = act(world, "kadis", pid, "reject")  # a refusal needs its reason
    assert page.locator("#note-error").is_visible()
    check(page, "reject-needs-note", "id", DESKTOP["width"])
    page = act(world, "kadis", pid, "reject", note="Aplikasi serupa sudah disediakan Kementerian")
    assert page.locator("#ended [data-ended='rejected']").is_visible()
    assert page.locator("#letters [data-kind='refusal']").get_attribute("data-issued") == "no"
    approve_from_inbox(world, pid, "refusal")
    go(world, kadis, f"/sop/{pid}")
    refusal = kadis.locator("#letters [data-kind='refusal']")
    assert refusal.get_attribute("data-issued") == "yes"
    assert "-TLK/" in refusal.locator(".letter-number").inner_text()
    outcomes = [r.get_attribute("data-outcome") for r in kadis.locator("#history tbody tr").all()]
    assert outcomes[-1] == "reject"


def _under_way(world: World) -> int:
    """A recommendation at the Kadis's disposition, set up through the workflow."""
    services = world.server.services
    opd, umum = Actor("opd-kes", Role.OPD, AGENCY), Actor("umum", Role.ADMIN)
    view = services.procedures.open(ProcedureDraft(
        request_type=RequestType.APPLICATION_RECOMMENDATION, title="Aplikasi e-Posyandu",
        agency=AGENCY, request_letter_number="400/9/2026", request_letter_date=None,
        fields=PROPOSAL), opd)  # fmt: skip
    for kind in ("request_letter", "proposal"):
        services.procedure_documents.attach(view.id, kind, f"{kind}.pdf", one_page_pdf(), opd)
    services.procedures.record(view.id, "receipt", Outcome.DONE, umum)
    return view.id


PAGES: dict[str, Callable[[int], tuple[str, ...]]] = {
    "opd-kes": lambda pid: ("/sop", "/sop/new", "/sop/new?type=application_recommendation",
                            f"/sop/{pid}"),
    "kadis": lambda pid: ("/sop", f"/sop/{pid}", "/dashboard"),
    "umum": lambda pid: ("/admin/sop", "/admin/sop/kaltara-rekomendasi", f"/sop/{pid}"),
}  # fmt: skip


@pytest.mark.parametrize(("lang", "width"), [("en", DESKTOP["width"]), ("en", PHONE["width"]),
                                             ("id", PHONE["width"])])  # fmt: skip
def test_the_sop_pages_speak_one_language_and_fit_a_phone(
    world: World, lang: str, width: int
) -> None:
    pid = _under_way(world)
    for who, paths in PAGES.items():
        page = world.page(who, lang, width)
        for path in paths(pid):
            go(world, page, path)
            slug = re.sub(r"[/?=]+", "-", path.strip("/"))
            check(page, f"{who}-{slug}", lang, width)
    menu = world.page("umum", lang, width).locator("nav.menu").inner_text()
    assert CATALOGUES[lang]["nav.sop_admin"] in menu and CATALOGUES[lang]["nav.sop"] in menu
    # The Kadis's refusal on a phone, in the page's language only.
    kadis = world.page("kadis", lang, width)
    go(world, kadis, f"/sop/{pid}")
    with kadis.expect_navigation() as sent:
        kadis.locator("#outcome-done").click()
    assert sent.value is not None and sent.value.status == 422
    check(kadis, "disposition-errors", lang, width)
    said = kadis.locator("#f-instruction-error").inner_text()
    assert said == ("Disposition instruction is required" if lang == "en"
                    else "Instruksi disposisi wajib diisi")  # fmt: skip
