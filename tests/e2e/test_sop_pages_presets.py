"""One journey per SOP preset not walked by test_sop_pages.py, through the pages only, in a
real browser against a real uvicorn server (one for the module: sop_page_support.world).

Each journey: the admin picks the preset for its request type in /admin/sop; the OPD opens
the request with the intake form and its documents; every step is recorded by the role
that acts, on the request's page, with the step's questions, its documents and an outcome
button; letters are approved by the Kepala Dinas from the dashboard's inbox or the
request's page. Human steps only: a hardware (job) step is where a journey stops — its page
shows the step waiting for its linked subdomain request, the OPD's link form and no
outcome buttons — unless the preset offers a branch around it (default: return, reject).
Each journey checks the step names in the page's language, who recorded each step in
order, and each letter's number on the page and its PDF. Batam's runs in English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright import sync_api

from provisioner.domain.sop import LETTER_NAMES, LetterKind, RequestType, SopDefinition
from tests.e2e import sop_page_support
from tests.e2e.browser_support import DESKTOP
from tests.e2e.sop_page_support import (
    CATALOGUES,
    PRESETS,
    World,
    approve_from_inbox,
    check,
    flash,
    go,
    now_step,
    open_request,
)

pytestmark = pytest.mark.lab

world = sop_page_support.world  # the module's server (a fixture, by its name)
# The code each kind of letter has in its number (provisioner.domain.sop_letters).
CODES = {"reply": "BLS", "refusal": "TLK", "invitation": "UND", "recommendation": "REK",
         "assignment": "TGS", "berita_acara": "BA", "evaluation": "EVL"}  # fmt: skip
ENDED = None  # `to=ENDED`: the request has no current step any more


@dataclass
class Journey:
    """One request under `sop`, read in `lang` by everyone who acts on it."""

    world: World
    sop: SopDefinition
    lang: str = "id"
    pid: int = 0
    issued: list[str] = field(default_factory=list)  # numbers the approvals' messages gave

    def name(self, key: str) -> str:
        """A step's name in the page's language."""
        return str(getattr(self.sop.step(key).name, self.lang))

    def page(self, who: str) -> Any:
        page = self.world.page(who, self.lang)
        page.set_default_timeout(10_000)  # a missing element fails fast, not in 30 s
        return page

    def open(self, who: str) -> Any:
        page = self.page(who)
        go(self.world, page, f"/sop/{self.pid}")
        return page

    def start(self, title: str, fields: dict[str, str], documents: tuple[str, ...]) -> None:
        """The admin picks the preset for its request type; the OPD fills its intake."""
        kind = self.sop.request_type.value
        admin = self.page("umum")
        go(self.world, admin, "/admin/sop")
        admin.locator(f"#choice-{kind}").select_option(self.sop.key)
        admin.locator(f"#choose-{kind}-submit").click()
        admin.wait_for_load_state()
        assert "sop_chosen" in admin.url, admin.inner_text("main")
        assert admin.locator(f"#choice-{kind}").input_value() == self.sop.key
        self.pid = open_request(self.world, RequestType(kind), fields, documents, title,
                                lang=self.lang)  # fmt: skip
        opd = self.page("opd-kes")
        assert opd.locator("#sop-key").inner_text() == self.sop.key
        assert opd.locator("#sop-name").inner_text() == getattr(self.sop.name, self.lang)
        assert [r.get_attribute("data-step") for r in opd.locator("#steps tbody tr").all()] == [
            s.key for s in self.sop.steps]  # fmt: skip
        assert self.column(opd, "#steps") == [getattr(s.name, self.lang) for s in self.sop.steps]
        uploaded = {r.get_attribute("data-kind") for r in opd.locator("#document-list li").all()}
        assert uploaded == set(documents), uploaded

    def step(self, who: str, outcome: str = "done", *, to: str | None,
             docs: tuple[str, ...] = (), fill: dict[str, str] | None = None,
             select: dict[str, str] | None = None, note: str = "") -> Any:  # fmt: skip
        """`who` records the current step: the page asks for exactly `docs` with the step's
        answers; `fill`/`select` answer its questions; `outcome`'s button is pressed. The
        request is at step `to` after it (the same step: its letter waits for the Kadis)."""
        page = self.open(who)
        key = now_step(page)
        assert page.locator("#now-step").inner_text() == self.name(key)
        asked = sorted(str(i.get_attribute("id")).removeprefix("stepdoc-")
                       for i in page.locator("#step-form input[type=file]").all())  # fmt: skip
        assert asked == sorted(docs), (key, "the step asks for", asked)
        for kind in docs:
            page.set_input_files(f"#stepdoc-{kind}", str(self.world.pdf))
        for name, value in (fill or {}).items():
            page.locator(f"#f-{name}").fill(value)
        for name, value in (select or {}).items():
            page.locator(f"#f-{name}").select_option(value)
        if note:
            page.locator("#note").fill(note)
        page.locator(f"#outcome-{outcome}").click()
        page.wait_for_load_state()
        done = re.search(r"done=sop_(step|draft)\b", page.url)
        assert done, (key, outcome, page.inner_text("main"))
        assert self.current(page) == to, (key, outcome, self.current(page))
        if to == key and self.sop.step(key).output.letter is not None:
            sync_api.expect(page.locator("#draft-waiting")).to_be_visible()
        return page

    @staticmethod
    def current(page: Any) -> str | None:
        return now_step(page) if page.locator("#now").count() else ENDED

    @staticmethod
    def column(page: Any, table: str) -> list[str]:
        """The step names of a table of steps (#steps) or of the history (#history)."""
        return [str(r.locator("td").nth(1).inner_text())
                for r in page.locator(f"{table} tbody tr").all()]  # fmt: skip

    def approve_here(self, kind: str) -> str:
        """The Kadis approves the waiting `kind` letter on the request's page; its number,
        as the message after it says."""
        page = self.open("kadis")
        card = page.locator(f"#letters [data-kind='{kind}'][data-issued='no']")
        sync_api.expect(card).to_have_count(1)
        if page.locator("#approve-now").count():  # a letter step's draft, in the step's card
            assert page.locator("#draft-waiting").is_visible()
            page.locator("#approve-now").click()
        else:  # a letter an outcome asked for (the request may have ended)
            card.locator("button[id^='approve-letter-']").click()
        page.wait_for_load_state()
        assert "sop_letter_approved" in page.url, page.inner_text("main")
        said = flash(page)
        number = re.search(rf"\S+-{CODES[kind]}/[IVXLC]+/20\d\d", said)
        assert number, said
        self.issued.append(number[0])
        return number[0]

    def approve_in_inbox(self, kind: str) -> None:
        said = approve_from_inbox(self.world, self.pid, kind, lang=self.lang)
        # The inbox says the number the approval issued the letter with.
        number = re.search(rf"\S+-{CODES[kind]}/[IVXLC]+/20\d\d", said)
        assert number, said
        self.issued.append(number[0])

    def at_job_step(self, key: str, crew: str) -> list[str]:
        """The request waits on hardware step `key`: the page says the job does it once a
        subdomain request is linked, the OPD gets the link form, and nobody gets the
        forward outcome. The buttons `crew` (who acts on it) gets instead."""
        step = self.sop.step(key)
        assert step.output.job is not None, key
        said = CATALOGUES[self.lang]
        opd = self.open("opd-kes")
        now = opd.locator("#now")
        assert now_step(opd) == key and now.get_attribute("data-mode") == "job"
        assert opd.locator("#now-step").inner_text() == self.name(key)
        assert opd.locator("#job-step").inner_text() == said[f"sop.job.{step.output.job.value}"]
        assert opd.locator("#job-unlinked").inner_text() == said["sop.job_unlinked"]
        sync_api.expect(opd.locator("#link-form")).to_be_visible()
        assert opd.locator("#request_id option").count() == 1  # "—": the agency has none yet
        assert said["sop.link_none"] in opd.locator("#link-form").inner_text()
        assert opd.locator("#link-submit").inner_text() == said["sop.link"]
        assert now.locator("button[name=outcome]").count() == 0
        assert opd.locator("#steps tr[data-step='" + key + "']").get_attribute(
            "data-status") == "current"  # fmt: skip
        check(opd, f"{self.sop.key}-job-opd", self.lang, DESKTOP["width"])
        page = self.open(crew)
        assert page.locator("#job-step").is_visible() and page.locator("#link-form").count() == 0
        assert page.locator("#outcome-done, #outcome-approve").count() == 0
        assert page.locator("#step-form input[type=file], #step-form select").count() == 0
        return [str(b.get_attribute("value")) for b in page.locator("#outcomes button").all()]

    def finish(self, history: list[tuple[str, str]], letters: list[str], *,
               ended: str | None) -> Any:  # fmt: skip
        """The request's page as the OPD reads it at the end of the journey: how it ended,
        who recorded each step in order (the step names in the page's language), and each
        letter issued with its number and its PDF."""
        page = self.open("opd-kes")
        if ended is None:
            assert page.locator("#ended").count() == 0
        else:
            assert page.locator(f"#ended [data-ended='{ended}']").is_visible()
            assert page.locator("#now").count() == 0
        rows = page.locator("#history tbody tr").all()
        assert [(r.get_attribute("data-step"), r.get_attribute("data-actor")) for r in rows] == (
            history
        )
        assert self.column(page, "#history") == [self.name(s) for s, _ in history]
        assert self.column(page, "#steps") == [getattr(s.name, self.lang) for s in self.sop.steps]
        cards = page.locator("#letters [data-letter]").all()
        assert [c.get_attribute("data-kind") for c in cards] == letters
        if not letters:
            assert page.locator("#no-letters").is_visible()
        numbers = []
        for card in cards:
            kind = str(card.get_attribute("data-kind"))
            assert card.get_attribute("data-issued") == "yes", kind
            assert card.locator("strong").first.inner_text() == (
                LETTER_NAMES[LetterKind(kind)].in_(self.lang)
            )
            number = card.locator(".letter-number").inner_text()
            assert re.search(rf"/\d{{3}}/\S*-{CODES[kind]}/[IVXLC]+/20\d\d$", number), number
            href = card.locator("a[id^='letter-pdf-']").get_attribute("href")
            pdf = page.request.get(f"{self.world.server.url}{href}")
            assert pdf.status == 200, (kind, href, pdf.status)
            assert pdf.headers["content-type"].startswith("application/pdf"), pdf.headers
            assert pdf.body().startswith(b"%PDF"), kind
            numbers.append(number)
        assert len(set(numbers)) == len(numbers), numbers
        assert set(self.issued) <= set(numbers), (self.issued, numbers)
        check(page, f"{self.sop.key}-end", self.lang, DESKTOP["width"])
        return page


def _subdomain_intake(label: str) -> dict[str, str]:
    return {
        "label": label, "agency": "Dinas Kesehatan Kabupaten",
        "purpose": "Layanan antrean puskesmas daring", "site_kind": "Aplikasi layanan publik",
        "contact_name": "Siti Aminah", "contact_nip": "198001012005012001",
        "contact_position": "Kepala Seksi Data", "contact_rank": "Penata, III/c",
        "contact_email": "siti@dinkes.example.go.id", "letter_number": "400.7/321/DINKES/2026",
        "letter_date": "2026-11-02",
    }  # fmt: skip


def test_default_subdomain_returned_then_rejected_around_its_hosting_job(world: World) -> None:
    j = Journey(world, PRESETS["default"])
    j.start("Subdomain antrean puskesmas", _subdomain_intake("antrean"), ("request_letter",))
    j.step("kadis", fill={"instruction": "Periksa ketersediaan nama"},
           select={"assignee": "jaringan"}, to="name_check")  # fmt: skip
    page = j.open("jaringan")
    assert page.locator("#f-label").input_value() == "antrean"  # the intake's, offered again
    j.step("jaringan", to="create_subdomain")
    # The hosting job's step: the network team may only send it back or refuse it.
    assert j.at_job_step("create_subdomain", "jaringan") == ["reject", "return"]
    j.step("jaringan", "return", note="Lengkapi jabatan penanggung jawab", to="opd_revision")
    opd = j.open("opd-kes")
    assert opd.locator("#f-contact_nip").input_value() == "198001012005012001"
    j.step("opd-kes", fill={"contact_position": "Kepala Seksi Data dan Informasi"},
           to="create_subdomain")  # fmt: skip
    assert j.at_job_step("create_subdomain", "jaringan") == ["reject", "return"]
    page = j.step("jaringan", "reject", note="Nama sudah dipakai aplikasi lain", to=ENDED)
    refusal = page.locator("#letters [data-kind='refusal']")
    assert refusal.get_attribute("data-issued") == "no"
    assert "Nama sudah dipakai aplikasi lain" in refusal.inner_text()
    j.approve_in_inbox("refusal")
    page = j.finish([("disposition", "kadis"), ("name_check", "jaringan"),
                     ("create_subdomain", "jaringan"), ("opd_revision", "opd-kes"),
                     ("create_subdomain", "jaringan")], ["refusal"], ended="rejected")  # fmt: skip
    outcomes = [r.get_attribute("data-outcome") for r in page.locator("#history tbody tr").all()]
    assert outcomes == ["done", "done", "return", "done", "reject"]


def test_tapin_subdomain_waits_on_its_subdomain_job(world: World) -> None:
    j = Journey(world, PRESETS["tapin-subdomain"])
    j.start("Subdomain sistem informasi puskesmas", {"label": "simpus"}, ("request_letter",))
    j.step("kadis", fill={"instruction": "Pastikan nama tersedia"},
           select={"assignee": "jaringan"}, to="name_check")  # fmt: skip
    j.step("jaringan", to="create_subdomain")
    assert j.at_job_step("create_subdomain", "jaringan") == []  # no branch around the job
    page = j.finish([("request_disposition", "kadis"), ("name_check", "jaringan")], [],
                    ended=None)  # fmt: skip
    statuses = [r.get_attribute("data-status") for r in page.locator("#steps tbody tr").all()]
    assert statuses == ["done", "done", "current", "pending"]


def test_tapin_application_from_the_request_to_its_evaluation(world: World) -> None:
    j = Journey(world, PRESETS["tapin-aplikasi"])
    j.start("Aplikasi rekam medis puskesmas", {}, ("app_request_letter",))
    j.step("opd-kes", to="kadis_disposition")
    j.step("kadis", fill={"instruction": "Tindak lanjuti"}, select={"assignee": "kabid-apl"},
           to="kabid_disposition")  # fmt: skip
    j.step("kabid-apl", fill={"instruction": "Verifikasi kebutuhan"},
           select={"assignee": "teknis"}, to="appoint_team")  # fmt: skip
    j.step("teknis", docs=("disposition_sheet",), fill={"instruction": "Susun tim"},
           select={"assignee": "teknis"}, to="needs_analysis")  # fmt: skip
    j.step("teknis", docs=("app_inventory", "app_needs_list", "resource_availability_report",
                           "analysis_report"), to="availability_check")  # fmt: skip
    # Available: straight on to the development plan (the refusal letter is skipped).
    j.step("kabid-apl", "approve", docs=("infrastructure_availability_report",
                                         "planning_documents", "signed_request_file"),
           to="development_plan")  # fmt: skip
    j.step("teknis", docs=("ict_standard", "sdlc_document", "development_schedule",
                           "business_flow", "analysis_documentation"),
           fill={"repository_url": "https://git.example.go.id/dinkes/rekam-medis"},
           to="plan_presentation")  # fmt: skip
    j.step("teknis", to="plan_response")
    j.step("opd-kes", "approve", fill={"plan_response": "Setuju dengan rencana"},
           to="development")  # fmt: skip
    page = j.open("teknis")  # the repository given with the plan, offered again
    assert page.locator("#f-repository_url").input_value().endswith("/rekam-medis")
    j.step("teknis", docs=("development_documentation", "installation_guide", "user_manual",
                           "api_documentation"),
           fill={"project_management_app": "Redmine"}, to="result_presentation")  # fmt: skip
    j.step("teknis", docs=("usability_test_report", "system_requirements",
                           "install_test_report"), to="result_response")  # fmt: skip
    j.step("opd-kes", "approve", fill={"result_response": "Hasil sesuai kebutuhan"},
           to="report_to_section")  # fmt: skip
    j.step("teknis", to="kabid_receives_report")
    j.step("kabid-apl", to="berita_acara")
    j.step("teknis", to="berita_acara")  # the berita acara's draft waits for the Kadis
    j.approve_here("berita_acara")
    usage = {"usage": "120 pengguna, 3.000 transaksi sebulan", "problems": "Belum ada"}
    j.step("teknis", "continue", docs=("usage_analysis",), fill=usage, to="evaluation")
    j.approve_in_inbox("evaluation")  # the decision's letter; evaluated again in 182 days
    j.step("teknis", "retire", note="Digantikan aplikasi provinsi", to=ENDED)
    j.approve_here("evaluation")
    j.finish([("request", "opd-kes"), ("kadis_disposition", "kadis"),
              ("kabid_disposition", "kabid-apl"), ("appoint_team", "teknis"),
              ("needs_analysis", "teknis"), ("availability_check", "kabid-apl"),
              ("development_plan", "teknis"), ("plan_presentation", "teknis"),
              ("plan_response", "opd-kes"), ("development", "teknis"),
              ("result_presentation", "teknis"), ("result_response", "opd-kes"),
              ("report_to_section", "teknis"), ("kabid_receives_report", "kabid-apl"),
              ("berita_acara", "kadis"), ("evaluation", "teknis"), ("evaluation", "teknis")],
             ["berita_acara", "evaluation", "evaluation"], ended="retired")  # fmt: skip


def test_batam_application_in_english_to_the_dev_install_job(world: World) -> None:
    j = Journey(world, PRESETS["batam-aplikasi"], "en")
    j.start("Community health centre queue app", {}, ("request_letter",))
    j.step("opd-kes", to="appoint_staff")
    j.step("kadis", select={"appointed_staff": "teknis"}, to="appoint_staff")
    j.approve_here("assignment")
    j.step("opd-kes", docs=("opd_team_decree",), to="analysis_invitation")
    invitation = {"presentation_at": "2026-12-10T09:00", "presentation_place": "Meeting room 2"}
    j.step("teknis", fill=invitation, to="analysis_invitation")
    j.approve_in_inbox("invitation")
    j.step("teknis", docs=("app_inventory", "infrastructure_documentation", "analysis_report"),
           to="kak_draft")  # fmt: skip
    j.step("opd-kes", docs=("ict_standard", "kak_draft"), to="kak_review")
    j.step("teknis", docs=("kak_draft_approved",), to="kak_approval")
    j.step("opd-kes", docs=("kak",), to="plan_presentation")
    j.step("teknis", docs=("mockup", "business_flow", "work_schedule"),
           fill={"developer_name": "PT Sinar Data", "similar_applications": "SIMPUS"},
           to="plan_response")  # fmt: skip
    j.step("teknis", fill={"plan_response": "Agreed"}, to="repository")
    j.step("teknis", fill={"repository_url": "https://git.example.go.id/dinkes/antrean"},
           to="development")  # fmt: skip
    j.step("teknis", docs=("analysis_documentation", "development_documentation",
                           "test_documentation", "installation_guide", "user_guide"),
           to="result_presentation")  # fmt: skip
    j.step("teknis", docs=("uat_report", "penetration_test_report", "usability_test_report",
                           "system_requirements"), to="dev_install")  # fmt: skip
    assert j.at_job_step("dev_install", "teknis") == []
    j.finish([("request", "opd-kes"), ("appoint_staff", "kadis"), ("opd_team", "opd-kes"),
              ("analysis_invitation", "kadis"), ("analysis", "teknis"),
              ("kak_draft", "opd-kes"), ("kak_review", "teknis"), ("kak_approval", "opd-kes"),
              ("plan_presentation", "teknis"), ("plan_response", "teknis"),
              ("repository", "teknis"), ("development", "teknis"),
              ("result_presentation", "teknis")], ["assignment", "invitation"],
             ended=None)  # fmt: skip


def test_muaraenim_in_house_development_to_its_implementation(world: World) -> None:
    j = Journey(world, PRESETS["muaraenim-mandiri"])
    j.start("Aplikasi pendataan posyandu", {}, ())
    j.step("opd-kes", docs=("needs_identification",), to="requirements_specification")
    j.step("teknis", docs=("requirements_specification",), to="specification_review")
    j.step("kabid-apl", docs=("modification_request",), to="appoint_system_analyst")
    j.step("teknis", select={"system_analyst": "teknis"}, to="appoint_system_analyst")
    j.approve_in_inbox("assignment")
    j.step("teknis", docs=("implementation_plan", "implementation_schedule", "programmer_needs"),
           to="appoint_programmer")  # fmt: skip
    j.step("teknis", select={"programmer": "jaringan"}, to="appoint_programmer")
    j.approve_here("assignment")
    j.step("teknis", docs=("dfd_erd",), to="uat_initial")
    j.step("teknis", docs=("uat_initial",), to="prototype")
    j.step("teknis", fill={"prototype_system": "https://dev.example.go.id/posyandu"}, to="uat")
    j.step("teknis", docs=("uat_report",), to="internal_review")
    j.step("teknis", docs=("review_schedule",), to="owner_review")
    j.step("kabid-apl", docs=("review_report",), to="user_training")
    j.step("teknis", docs=("training_report",), fill={"training_equipment": "10 laptop"},
           to="implementation")  # fmt: skip
    j.step("teknis", fill={"final_system": "https://posyandu.example.go.id"}, to=ENDED)
    j.finish([("needs_identification", "opd-kes"), ("requirements_specification", "teknis"),
              ("specification_review", "kabid-apl"), ("appoint_system_analyst", "kadis"),
              ("implementation_plan", "teknis"), ("appoint_programmer", "kadis"),
              ("dfd_erd", "teknis"), ("uat_initial", "teknis"), ("prototype", "teknis"),
              ("uat", "teknis"), ("internal_review", "teknis"), ("owner_review", "kabid-apl"),
              ("user_training", "teknis"), ("implementation", "teknis")],
             ["assignment", "assignment"], ended="completed")  # fmt: skip


def test_muaraenim_development_by_a_developer_to_its_implementation(world: World) -> None:
    j = Journey(world, PRESETS["muaraenim-pengembang"])
    j.start("Aplikasi perizinan tenaga kesehatan", {}, ())
    j.step("opd-kes", docs=("needs_identification",), to="requirements_specification")
    j.step("teknis", docs=("requirements_specification",), to="specification_review")
    j.step("kabid-apl", docs=("modification_request",), to="appoint_developer")
    j.step("teknis", docs=("work_contract", "cooperation_agreement"),
           fill={"developer_name": "CV Kode Nusantara"}, to="monitoring")  # fmt: skip
    j.step("kabid-apl", docs=("implementation_plan", "implementation_schedule"),
           fill={"prototype_system": "https://dev.example.go.id/izin-nakes"},
           to="prototype_review")  # fmt: skip
    j.step("kabid-apl", docs=("review_report",), to="user_training")
    j.step("teknis", docs=("training_report",), fill={"training_equipment": "PC unit"},
           to="implementation")  # fmt: skip
    j.step("teknis", fill={"final_system": "https://izin-nakes.example.go.id"}, to=ENDED)
    j.finish([("needs_identification", "opd-kes"), ("requirements_specification", "teknis"),
              ("specification_review", "kabid-apl"), ("appoint_developer", "teknis"),
              ("monitoring", "kabid-apl"), ("prototype_review", "kabid-apl"),
              ("user_training", "teknis"), ("implementation", "teknis")], [],
             ended="completed")  # fmt: skip


def test_kaltara_development_to_the_dev_install_job(world: World) -> None:
    j = Journey(world, PRESETS["kaltara-pengembangan"])
    j.start("Sistem informasi gizi balita", {}, ("recommendation_letter",))
    j.step("teknis", docs=("design_model", "database_design", "access_design",
                           "interface_design", "internal_control_design",
                           "integration_design"), to="implementation")  # fmt: skip
    j.step("teknis", docs=("source_code", "installation_guide", "technology_description",
                           "module_description", "user_manual", "admin_manual"),
           to="dev_install")  # fmt: skip
    assert j.at_job_step("dev_install", "teknis") == []
    j.finish([("design", "teknis"), ("implementation", "teknis")], [], ended=None)
