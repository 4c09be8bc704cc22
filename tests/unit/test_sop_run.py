"""Where a request stands in its SOP (provisioner.domain.sop_run): the replay of recorded
steps over branches and repeated evaluations, what finishing a step needs, who may act for
each SOP role, and every step's clock in working time (Kaltara's service hours, national
days off, the OPD's steps paused). Every shipped preset parses and its happy path ends."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from provisioner.adapters.sop_files import PRESETS_DIR, load_presets
from provisioner.domain.actors import Role
from provisioner.domain.errors import Conflict, Forbidden, InvalidInput
from provisioner.domain.sla import StepClock, WorkingCalendar, national_days_off
from provisioner.domain.sop import Ending, LetterKind, Outcome, SopDefinition, SopRole
from provisioner.domain.sop_run import (
    ACTS_AS,
    NEEDS_REASON,
    SOP_ROLE_NAMES,
    RunState,
    StepRecord,
    Visit,
    check_finish,
    ensure_may_act,
    missing_intake,
    replay,
    step_clocks,
)

WITA = ZoneInfo("Asia/Makassar")
PERIOD = timedelta(days=182)

DEMO = yaml.safe_load(
    """
key: run-demo
version: 1
request_type: application_development
name: {id: "Contoh", en: "Demo"}
source: "Diskominfo Contoh — SOP 1/2026"
service_hours:
  tz: Asia/Makassar
  days: {mon: "08:00-16:00", tue: "08:00-16:00", wed: "08:00-16:00", thu: "08:00-16:00",
         fri: "08:00-16:30"}
fields:
  purpose: {name: {id: "Tujuan", en: "Purpose"}}
  assessment_note: {name: {id: "Catatan kajian", en: "Assessment note"}}
documents:
  request_letter: {name: {id: "Surat permohonan", en: "Request letter"}}
  report: {name: {id: "Laporan", en: "Report"}}
intake: {fields: [purpose], documents: [request_letter]}
steps:
  - key: receipt
    name: {id: "Tanda terima", en: "Receipt"}
    role: secretariat
    limit: 20m
    output: {record: receipt}
  - key: disposition
    name: {id: "Disposisi", en: "Disposition"}
    role: kadis
    limit: 20m
    disposition: true
    output: {record: disposition}
  - key: presentation
    name: {id: "Pemaparan", en: "Presentation"}
    role: opd
    limit: 60m
    requires: {documents: [report]}
    output: {record: presentation}
  - key: assessment
    name: {id: "Kajian", en: "Assessment"}
    role: team
    limit: 2h
    requires: {fields: [assessment_note], documents: [report]}
    output: {record: assessment}
    outcomes:
      needed: {}
      not_needed: {letter: refusal, end: not_needed}
      return: {next: presentation}
  - key: recommendation
    name: {id: "Rekomendasi", en: "Recommendation"}
    role: kadis
    limit: 1d
    output: {letter: recommendation}
    outcomes:
      approve: {}
      reject: {letter: refusal, end: rejected}
  - key: evaluation
    name: {id: "Evaluasi", en: "Evaluation"}
    role: team
    limit: 60m
    repeat_every: 182d
    output: {record: evaluation}
    outcomes:
      continue: {}
      improve: {next: assessment}
      retire: {end: retired}
"""
)


def definition(*, evaluation: bool = True) -> SopDefinition:
    data = copy.deepcopy(DEMO)
    if not evaluation:
        data["steps"] = data["steps"][:-1]
    return SopDefinition.model_validate(data)


DEF = definition()
OPENED = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # Monday 08:00 WITA


def at(hours: float) -> datetime:
    return OPENED + timedelta(hours=hours)


def rec(step: str, outcome: Outcome = Outcome.DONE, when: datetime | None = None,
        **fields: str) -> StepRecord:  # fmt: skip
    return StepRecord(step, outcome, "someone", when or at(1), "", fields)


def through(*steps: tuple[str, Outcome]) -> list[StepRecord]:
    """Records one hour apart, in the order given."""
    return [rec(step, outcome, at(i + 1)) for i, (step, outcome) in enumerate(steps)]


TO_ASSESSMENT = [
    ("receipt", Outcome.DONE), ("disposition", Outcome.DONE), ("presentation", Outcome.DONE),
]  # fmt: skip
TO_EVALUATION = [*TO_ASSESSMENT, ("assessment", Outcome.NEEDED),
                 ("recommendation", Outcome.APPROVE)]  # fmt: skip


# --- replay ------------------------------------------------------------------------------


def test_nothing_recorded_waits_at_the_first_step_since_opening():
    state = replay(DEF, OPENED, [])
    assert state == RunState("receipt", None, (Visit("receipt", OPENED),), ())
    assert state.current_since == OPENED


def test_the_forward_path_ends_completed_after_the_last_step():
    state = replay(definition(evaluation=False), OPENED, through(*TO_EVALUATION))
    assert state.current is None and state.ended is Ending.COMPLETED
    assert state.current_since is None
    assert [v.step for v in state.visits] == [s for s, _ in TO_EVALUATION]
    assert all(v.finished_at is not None for v in state.visits)
    # Each visit starts when the previous one finished.
    for before, after in zip(state.visits, state.visits[1:], strict=False):
        assert after.started_at == before.finished_at
    assert state.letters == ()


def test_return_goes_back_to_an_earlier_step_and_on_again():
    records = through(*TO_ASSESSMENT, ("assessment", Outcome.RETURN))
    state = replay(DEF, OPENED, records)
    assert state.current == "presentation" and state.ended is None
    assert state.current_since == at(4)
    assert [v.step for v in state.visits] == [
        "receipt", "disposition", "presentation", "assessment", "presentation",
    ]  # fmt: skip
    again = replay(DEF, OPENED, [*records, rec("presentation", when=at(5))])
    assert again.current == "assessment"


def test_reject_ends_rejected_with_a_refusal_letter():
    records = through(*TO_ASSESSMENT, ("assessment", Outcome.NEEDED),
                      ("recommendation", Outcome.REJECT))  # fmt: skip
    state = replay(DEF, OPENED, records)
    assert state.current is None and state.ended is Ending.REJECTED
    assert state.letters == (("recommendation", LetterKind.REFUSAL),)
    assert state.visits[-1] == Visit("recommendation", at(4), at(5), Outcome.REJECT, "someone")


def test_not_needed_ends_not_needed_with_a_refusal_letter():
    state = replay(DEF, OPENED, through(*TO_ASSESSMENT, ("assessment", Outcome.NOT_NEEDED)))
    assert state.ended is Ending.NOT_NEEDED and state.current is None
    assert state.letters == (("assessment", LetterKind.REFUSAL),)


def test_an_evaluation_comes_back_after_its_period():
    records = through(*TO_EVALUATION)
    state = replay(DEF, OPENED, records)
    assert state.current == "evaluation" and state.current_since == at(5)  # due at once
    first = at(6)
    state = replay(DEF, OPENED, [*records, rec("evaluation", Outcome.CONTINUE, first)])
    assert state.current == "evaluation" and state.ended is None
    assert state.current_since == first + PERIOD  # not before the period has passed
    assert state.visits[-2] == Visit("evaluation", at(5), first, Outcome.CONTINUE, "someone")
    assert state.visits[-1] == Visit("evaluation", first + PERIOD)
    # The next visit is due a period after the one before it was finished.
    second = first + PERIOD + timedelta(days=3)
    records = [*records, rec("evaluation", Outcome.CONTINUE, first),
               rec("evaluation", Outcome.CONTINUE, second)]  # fmt: skip
    state = replay(DEF, OPENED, records)
    assert state.current_since == second + PERIOD
    assert [v.step for v in state.visits].count("evaluation") == 3


def test_an_evaluation_may_send_back_to_improve_or_retire():
    records = [*through(*TO_EVALUATION), rec("evaluation", Outcome.CONTINUE, at(6))]
    improve = replay(DEF, OPENED, [*records, rec("evaluation", Outcome.IMPROVE, at(7) + PERIOD)])
    assert improve.current == "assessment" and improve.current_since == at(7) + PERIOD
    retire = replay(DEF, OPENED, [*records, rec("evaluation", Outcome.RETIRE, at(7) + PERIOD)])
    assert retire.current is None and retire.ended is Ending.RETIRED


def test_a_record_out_of_order_is_a_conflict():
    with pytest.raises(Conflict):
        replay(DEF, OPENED, [rec("disposition")])
    with pytest.raises(Conflict):
        replay(DEF, OPENED, through(("receipt", Outcome.DONE), ("presentation", Outcome.DONE)))


def test_a_record_after_the_end_is_a_conflict():
    records = through(*TO_ASSESSMENT, ("assessment", Outcome.NOT_NEEDED))
    with pytest.raises(Conflict):
        replay(DEF, OPENED, [*records, rec("recommendation", Outcome.APPROVE, at(9))])


def test_naive_times_from_the_store_are_utc():
    naive = OPENED.replace(tzinfo=None)
    state = replay(
        DEF, naive, [StepRecord("receipt", Outcome.DONE, "x", at(1).replace(tzinfo=None))]
    )
    assert state.visits[0] == Visit("receipt", OPENED, at(1), Outcome.DONE, "x")
    assert state.current_since == at(1)


# --- check_finish ------------------------------------------------------------------------


def forward(d: SopDefinition, step: str) -> Outcome:
    """The step's first outcome that goes on (not a refusal or a return)."""
    return next(o for o in d.step(step).outcomes if o not in NEEDS_REASON)


def state_at(step: str) -> RunState:
    keys = [s.key for s in DEF.steps]
    state = replay(DEF, OPENED, through(*[(k, forward(DEF, k)) for k in keys[: keys.index(step)]]))
    assert state.current == step
    return state


def finish(
    step: str,
    outcome: Outcome = Outcome.DONE,
    *,
    note: str = "",
    fields: dict[str, str] | None = None,
    documents: frozenset[str] | set[str] = frozenset(),
    state: RunState | None = None,
) -> None:
    check_finish(DEF, state or state_at(step), step, outcome, note=note, fields=fields or {},
                 documents=frozenset(documents))  # fmt: skip


def test_only_the_current_step_may_be_finished():
    with pytest.raises(Conflict):
        finish("disposition", state=state_at("receipt"))
    ended = replay(DEF, OPENED, through(*TO_ASSESSMENT, ("assessment", Outcome.NOT_NEEDED)))
    with pytest.raises(Conflict):
        finish("recommendation", Outcome.APPROVE, state=ended)


def test_an_outcome_the_step_does_not_offer_is_refused():
    with pytest.raises(InvalidInput) as exc:
        finish("assessment", Outcome.APPROVE, fields={"assessment_note": "x"},
               documents={"report"})  # fmt: skip
    assert exc.value.field == "outcome"
    assert "needed, not_needed, return" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        finish("receipt", Outcome.REJECT, note="no")
    assert exc.value.field == "outcome"


@pytest.mark.parametrize(
    ("step", "outcome"),
    [("assessment", Outcome.NOT_NEEDED), ("assessment", Outcome.RETURN),
     ("recommendation", Outcome.REJECT), ("evaluation", Outcome.RETIRE)],
)  # fmt: skip
def test_a_refusing_outcome_needs_a_reason(step: str, outcome: Outcome):
    for note in ("", "   \n"):
        with pytest.raises(InvalidInput) as exc:
            finish(step, outcome, note=note)
        assert exc.value.field == "note" and len(exc.value.problems) == 1
    # With the reason it may go, without the step's fields and documents.
    finish(step, outcome, note="Sudah ada aplikasi serupa")


def test_going_forward_names_each_missing_field_and_document():
    with pytest.raises(InvalidInput) as exc:
        finish("assessment", Outcome.NEEDED)
    assert [f for f, _ in exc.value.problems] == ["assessment_note", "report"]
    messages = dict(exc.value.problems)
    assert "Catatan kajian wajib diisi" in messages["assessment_note"]
    assert "Attach the Report" in messages["report"]
    with pytest.raises(InvalidInput) as exc:
        finish("assessment", Outcome.NEEDED, fields={"assessment_note": "  "}, documents={"report"})
    assert [f for f, _ in exc.value.problems] == ["assessment_note"]
    finish("assessment", Outcome.NEEDED, fields={"assessment_note": "ok"}, documents={"report"})


def test_a_disposition_needs_an_instruction_and_an_assignee():
    with pytest.raises(InvalidInput) as exc:
        finish("disposition")
    assert [f for f, _ in exc.value.problems] == ["instruction", "assignee"]
    with pytest.raises(InvalidInput) as exc:
        finish("disposition", fields={"instruction": "Kaji", "assignee": " "})
    assert [f for f, _ in exc.value.problems] == ["assignee"]
    finish("disposition", fields={"instruction": "Kaji bersama tim", "assignee": "kabid"})


def test_a_step_without_needs_finishes_as_it_is():
    finish("receipt")
    finish("recommendation", Outcome.APPROVE)


def test_missing_intake_names_each_field_and_document():
    problems = missing_intake(DEF, {"purpose": " "}, frozenset())
    assert [f for f, _ in problems] == ["purpose", "request_letter"]
    assert missing_intake(DEF, {"purpose": "Layanan"}, frozenset({"request_letter"})) == []


# --- who acts ----------------------------------------------------------------------------

# The accounts that act for each SOP role (the developer is recorded by the team).
MAY_ACT: dict[SopRole, set[Role]] = {
    SopRole.OPD: {Role.OPD},
    SopRole.SECRETARIAT: {Role.ADMIN},
    SopRole.KADIS: {Role.APPROVER},
    SopRole.KABID: {Role.KABID},
    SopRole.TEAM: {Role.NETWORK, Role.TECHNICAL},
    SopRole.NETWORK: {Role.NETWORK},
    SopRole.TECHNICAL: {Role.TECHNICAL},
    SopRole.DEVELOPER: {Role.NETWORK, Role.TECHNICAL},
}


def test_every_sop_role_has_accounts_and_a_name():
    assert set(MAY_ACT) == set(SopRole) == set(ACTS_AS) == set(SOP_ROLE_NAMES)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("sop_role", list(SopRole))
def test_ensure_may_act(sop_role: SopRole, role: Role):
    step = DEF.steps[0].model_copy(update={"role": sop_role})
    if role in MAY_ACT[sop_role]:
        ensure_may_act(step, role)
    else:
        with pytest.raises(Forbidden) as exc:
            ensure_may_act(step, role)
        assert SOP_ROLE_NAMES[sop_role].en in exc.value.text.en


# --- clocks in working time (Kaltara: Mon–Thu 08:00–16:00, Fri 08:00–16:30 WITA) ---------

KALTARA = load_presets()["kaltara-rekomendasi"]
DAYS_OFF = national_days_off([2026, 2027])
CAL = KALTARA.service_hours.calendar(DAYS_OFF)


def wita(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WITA)


def first_clock(opened: datetime, now: datetime, calendar: WorkingCalendar = CAL) -> StepClock:
    state = replay(KALTARA, opened, [])
    [clock] = step_clocks(KALTARA, state, now, calendar)
    return clock


def test_kaltara_hours_are_the_calendar_of_the_preset():
    assert CAL.tz == "Asia/Makassar"
    assert CAL.window(wita(2026, 11, 26).date()) == (wita(2026, 11, 26, 8), wita(2026, 11, 26, 16))
    assert CAL.window(wita(2026, 11, 27).date()) == (wita(2026, 11, 27, 8),
                                                     wita(2026, 11, 27, 16, 30))  # fmt: skip
    assert CAL.window(wita(2026, 11, 28).date()) is None  # Saturday


def test_thursday_1550_with_20_minutes_is_due_friday_0810():
    clock = first_clock(wita(2026, 11, 26, 15, 50), wita(2026, 11, 26, 15, 55))
    assert clock.step == "receipt" and clock.limit_minutes == 20
    assert clock.due_at == wita(2026, 11, 27, 8, 10)
    assert clock.used_minutes == 5 and not clock.overdue and clock.running


def test_friday_1620_with_20_minutes_is_due_monday_0810():
    clock = first_clock(wita(2026, 11, 27, 16, 20), wita(2026, 11, 28, 12))
    assert clock.due_at == wita(2026, 11, 30, 8, 10)
    assert clock.used_minutes == 10  # the weekend does not count


def test_a_national_holiday_is_skipped():
    # Monday 17 August 2026 is Independence Day.
    clock = first_clock(wita(2026, 8, 14, 16, 20), wita(2026, 8, 17, 12))
    assert clock.due_at == wita(2026, 8, 18, 8, 10)
    assert clock.used_minutes == 10
    plain = first_clock(wita(2026, 8, 14, 16, 20), wita(2026, 8, 17, 12),
                        KALTARA.service_hours.calendar())  # fmt: skip
    assert plain.due_at == wita(2026, 8, 17, 8, 10)  # without the days off, Monday


def test_used_minutes_count_working_time_and_overdue_after_the_limit():
    opened = wita(2026, 11, 26, 15, 50)
    assert first_clock(opened, wita(2026, 11, 27, 8, 10)).used_minutes == 20
    assert not first_clock(opened, wita(2026, 11, 27, 8, 10)).overdue
    late = first_clock(opened, wita(2026, 11, 27, 8, 15))
    assert late.used_minutes == 25 and late.overdue


def test_finished_steps_keep_their_time_and_have_no_due():
    opened = wita(2026, 11, 26, 15, 50)
    records = [StepRecord("receipt", Outcome.DONE, "umum", wita(2026, 11, 27, 8, 30))]
    state = replay(KALTARA, opened, records)
    done, waiting = step_clocks(KALTARA, state, wita(2026, 11, 27, 9), CAL)
    assert done.ended_at == wita(2026, 11, 27, 8, 30) and done.due_at is None
    assert done.used_minutes == 40 and done.overdue and not done.running
    assert waiting.step == "kadis_disposition" and waiting.used_minutes == 30
    assert waiting.due_at == wita(2026, 11, 27, 8, 50) and waiting.overdue


def test_the_opds_steps_are_paused():
    opened = wita(2026, 11, 23, 8)
    keys = ["receipt", "kadis_disposition", "kabid_disposition", "completeness_invitation"]
    records = [StepRecord(k, Outcome.DONE, "x", opened + timedelta(minutes=10 * (i + 1)))
               for i, k in enumerate(keys)]  # fmt: skip
    state = replay(KALTARA, opened, records)
    assert state.current == "presentation"
    presentation = step_clocks(KALTARA, state, wita(2026, 12, 23, 8), CAL)[-1]
    assert presentation.step == "presentation" and presentation.limit_minutes == 60
    assert presentation.paused and presentation.due_at is None
    assert not presentation.overdue  # a month later, still not the Diskominfo's delay
    assert presentation.used_minutes > 60
    # Finished, the OPD's step is still not overdue.
    records.append(StepRecord("presentation", Outcome.DONE, "opd", wita(2026, 12, 23, 8)))
    state = replay(KALTARA, opened, records)
    clocks = step_clocks(KALTARA, state, wita(2026, 12, 23, 9), CAL)
    assert [c.paused for c in clocks] == [False] * 4 + [True, False]
    assert not clocks[4].overdue and clocks[4].ended_at is not None


def test_the_developers_steps_are_paused_too():
    developer = DEF.model_copy(update={"steps": [DEF.steps[0].model_copy(
        update={"role": SopRole.DEVELOPER})]})  # fmt: skip
    [clock] = step_clocks(developer, replay(developer, OPENED, []), OPENED + timedelta(days=9),
                          CAL)  # fmt: skip
    assert clock.paused and clock.due_at is None and not clock.overdue


def test_a_repeated_evaluation_not_started_yet_uses_no_time():
    finished = at(6)
    records = [*through(*TO_EVALUATION), rec("evaluation", Outcome.CONTINUE, finished)]
    state = replay(DEF, OPENED, records)
    now = finished + timedelta(days=30)
    clock = step_clocks(DEF, state, now, DEF.service_hours.calendar(DAYS_OFF))[-1]
    assert clock.step == "evaluation" and clock.started_at == finished + PERIOD
    assert clock.used_minutes == 0 and not clock.overdue and not clock.paused
    assert clock.due_at is not None and clock.due_at > now
    # Once the period has passed, the visit's clock runs.
    later = step_clocks(DEF, state, finished + PERIOD + timedelta(days=7),
                        DEF.service_hours.calendar(DAYS_OFF))[-1]  # fmt: skip
    assert later.used_minutes > 60 and later.overdue


def test_a_step_without_a_limit_has_no_clock():
    tapin = load_presets()["tapin-aplikasi"]
    [clock] = step_clocks(tapin, replay(tapin, OPENED, []), OPENED + timedelta(days=400), CAL)
    assert clock.limit_minutes == 0 and clock.due_at is None and not clock.overdue


# --- the presets -------------------------------------------------------------------------

PRESETS = load_presets()
# The happy path of these ends at a repeating evaluation: `continue` brings the evaluation
# back after its period, so only `retire` (or `improve`, back to work) leaves it.
EVALUATING = {"tapin-aplikasi", "kaltara-pengembangan"}


def test_every_preset_file_parses_under_its_key():
    files = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
    assert sorted(PRESETS) == files
    assert len(files) == 9
    for key, d in PRESETS.items():
        assert d.key == key and d.version == 1


def happy_path(d: SopDefinition, *, limit: int = 80) -> tuple[RunState, list[StepRecord]]:
    """Record the first forward outcome of each current step until the request ends (or
    `limit` records, for a request that keeps coming back)."""
    records: list[StepRecord] = []
    state = replay(d, OPENED, records)
    while state.current is not None and len(records) < limit:
        assert state.current_since is not None
        outcome = forward(d, state.current)
        records.append(
            StepRecord(state.current, outcome, "x", state.current_since + timedelta(hours=1))
        )
        state = replay(d, OPENED, records)
    return state, records


@pytest.mark.parametrize("key", sorted(set(PRESETS) - EVALUATING))
def test_the_happy_path_of_each_preset_ends_completed(key: str):
    d = PRESETS[key]
    state, records = happy_path(d)
    assert state.ended is Ending.COMPLETED and state.current is None
    assert len(records) <= len(d.steps)
    assert state.letters == ()  # no refusal on the way


@pytest.mark.parametrize("key", sorted(EVALUATING))
def test_the_happy_path_of_an_evaluated_preset_stays_in_evaluation_until_retired(key: str):
    d = PRESETS[key]
    state, records = happy_path(d)
    assert state.current == "evaluation" and state.ended is None
    evaluation = d.step("evaluation")
    assert evaluation.repeat_every == "182d"
    first = next(i for i, r in enumerate(records) if r.step == "evaluation")
    assert all(r.step == "evaluation" and r.outcome is Outcome.CONTINUE for r in records[first:])
    assert state.current_since == records[-1].at + PERIOD
    retire = StepRecord("evaluation", Outcome.RETIRE, "x", state.current_since, "Diganti")
    retired = replay(d, OPENED, [*records, retire])
    assert retired.ended is Ending.RETIRED


def reachable(d: SopDefinition) -> set[str]:
    """Steps some sequence of outcomes leads to from the first."""
    seen: set[str] = set()
    todo = [d.steps[0].key]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        step = d.step(key)
        for outcome, branch in step.outcomes.items():
            if branch.end is not None:
                continue
            if branch.next is not None:
                todo.append(branch.next)
            elif step.repeat_every is not None and outcome in (Outcome.CONTINUE, Outcome.IMPROVE):
                todo.append(key)
            elif (after := d.after(key)) is not None:
                todo.append(after)
    return seen


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_step_of_a_preset_can_be_reached(key: str):
    d = PRESETS[key]
    assert {s.key for s in d.steps} - reachable(d) == set()
