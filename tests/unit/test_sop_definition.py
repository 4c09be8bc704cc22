"""SOP definitions as data (provisioner.domain.sop): every rule a definition is checked
against, each refusal an InvalidInput naming where; the time limits in working minutes; the
committed JSON schema is the one the models generate."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from provisioner.domain.errors import InvalidInput
from provisioner.domain.sop import (
    WORKING_DAY_MINUTES,
    Ending,
    LetterKind,
    Outcome,
    SopDefinition,
    json_schema,
    limit_minutes,
    parse_definition,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "provisioner" / "schemas" / "sop.schema.json"
REGENERATE = (
    '.venv/bin/python -c "import json; from provisioner.domain.sop import json_schema; '
    "open('provisioner/schemas/sop.schema.json', 'w', encoding='utf-8')"
    ".write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + '\\n')\""
)

WITA_DAYS = {
    "mon": "08:00-16:00",
    "tue": "08:00-16:00",
    "wed": "08:00-16:00",
    "thu": "08:00-16:00",
    "fri": "08:00-16:30",
}


def name(word: str) -> dict[str, str]:
    return {"id": f"{word} (id)", "en": word}


def sop(**over: Any) -> dict[str, Any]:
    """A small valid definition: intake → disposition → assessment (branches) → letter."""
    data: dict[str, Any] = {
        "key": "demo-sop",
        "version": 1,
        "request_type": "application_recommendation",
        "name": name("Demo"),
        "source": "Diskominfo Demo — SOP 1/2026",
        "service_hours": {"tz": "Asia/Makassar", "days": dict(WITA_DAYS)},
        "fields": {"purpose": {"name": name("Purpose")}, "note": {"name": name("Note")}},
        "documents": {"request_letter": {"name": name("Request letter")}},
        "intake": {"fields": ["purpose"], "documents": ["request_letter"]},
        "steps": [
            {
                "key": "disposition",
                "name": name("Disposition"),
                "role": "kadis",
                "limit": "20m",
                "disposition": True,
                "output": {"record": "disposition"},
            },
            {
                "key": "assessment",
                "name": name("Assessment"),
                "role": "team",
                "limit": "2h",
                "requires": {"fields": ["note"], "documents": ["request_letter"]},
                "output": {"record": "assessment"},
                "outcomes": {
                    "needed": {},
                    "not_needed": {"letter": "refusal", "end": "not_needed"},
                    "return": {"next": "disposition"},
                },
            },
            {
                "key": "recommendation",
                "name": name("Recommendation"),
                "role": "kadis",
                "limit": "1d",
                "output": {"letter": "recommendation"},
            },
        ],
    }
    data.update(over)
    return data


def refused(data: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as exc:
        parse_definition(data)
    return exc.value.problems


def edited(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(sop())
    change(data)
    return data


def test_the_sample_definition_is_valid_and_reads_back():
    d = parse_definition(sop())
    assert isinstance(d, SopDefinition)
    assert [s.key for s in d.steps] == ["disposition", "assessment", "recommendation"]
    assert d.steps[0].outcomes == {Outcome.DONE: d.steps[0].outcomes[Outcome.DONE]}  # default
    assessment = d.step("assessment")
    assert assessment.outcomes[Outcome.NOT_NEEDED].end is Ending.NOT_NEEDED
    assert assessment.outcomes[Outcome.NOT_NEEDED].letter is LetterKind.REFUSAL
    assert d.after("disposition") == "assessment" and d.after("recommendation") is None
    with pytest.raises(InvalidInput) as exc:
        d.step("nowhere")
    assert exc.value.field == "step"


# --- rules across the definition (the message names where) ------------------------------


def test_step_keys_may_not_repeat():
    problems = refused(edited(lambda d: d["steps"].append(copy.deepcopy(d["steps"][1]))))
    assert len(problems) == 1
    field, message = problems[0]
    assert field == "sop" and "step keys repeat" in message and "assessment" in message


@pytest.mark.parametrize(
    ("change", "where", "what"),
    [
        (lambda d: d["intake"]["fields"].append("budget"), "intake", "field 'budget'"),
        (lambda d: d["intake"]["documents"].append("kak"), "intake", "document 'kak'"),
        (
            lambda d: d["steps"][1]["requires"]["fields"].append("budget"),
            "assessment",
            "field 'budget'",
        ),
        (
            lambda d: d["steps"][2].update(requires={"documents": ["minutes"]}),
            "recommendation",
            "document 'minutes'",
        ),
    ],
    ids=["intake-field", "intake-document", "step-field", "step-document"],
)
def test_fields_and_documents_must_be_declared(change: Any, where: str, what: str):
    [(field, message)] = refused(edited(change))
    assert field == "sop"
    assert message.startswith(f"{where}: ") and f"{what} is not declared" in message
    assert " / " in message  # both languages: the page picks its own


def test_next_must_name_a_step():
    change = lambda d: d["steps"][1]["outcomes"].update({"return": {"next": "nowhere"}})  # noqa: E731
    [(field, message)] = refused(edited(change))
    assert field == "sop" and "assessment.return" in message and "'nowhere'" in message


def test_next_may_name_any_step_backwards_or_forwards():
    change = lambda d: d["steps"][0].update(outcomes={"done": {"next": "recommendation"}})  # noqa: E731
    d = parse_definition(edited(change))
    assert d.steps[0].outcomes[Outcome.DONE].next == "recommendation"


def test_a_disposition_is_not_a_letter():
    change = lambda d: d["steps"][2].update(disposition=True)  # noqa: E731
    [(field, message)] = refused(edited(change))
    assert field == "sop" and message.startswith("recommendation:") and "disposition" in message


# --- rules of one part (the field names the path) ---------------------------------------


def test_a_branch_goes_on_or_ends_not_both():
    change = lambda d: d["steps"][1]["outcomes"].update(  # noqa: E731
        {"return": {"next": "disposition", "end": "rejected"}}
    )
    [(field, message)] = refused(edited(change))
    assert field == "steps.1.outcomes.return"
    assert "not both" in message


@pytest.mark.parametrize(
    "output",
    [{}, {"record": "x", "letter": "refusal"}, {"letter": "refusal", "job": "hosting"},
     {"record": "x", "letter": "reply", "job": "subdomain"}],
    ids=["none", "record+letter", "letter+job", "all-three"],
)  # fmt: skip
def test_an_output_names_exactly_one_kind(output: dict[str, str]):
    [(field, message)] = refused(edited(lambda d: d["steps"][0].update(output=output)))
    assert field == "steps.0.output" and "exactly one" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("letter", "memo"), ("job", "mainframe"), ("record", "Not A Key")],
)
def test_an_output_of_an_unknown_kind_is_refused(key: str, value: str):
    [(field, _)] = refused(edited(lambda d: d["steps"][0].update(output={key: value})))
    assert field == f"steps.0.output.{key}"


@pytest.mark.parametrize("limit", ["20 minutes", "2w", "h", "-5m", "1,5h", "", "20"])
def test_a_limit_is_a_number_and_a_unit(limit: str):
    [(field, _)] = refused(edited(lambda d: d["steps"][1].update(limit=limit)))
    assert field == "steps.1.limit"


@pytest.mark.parametrize("limit", ["0m", "0h", "0.0d"])
def test_a_limit_of_nothing_is_refused(limit: str):
    [(field, message)] = refused(edited(lambda d: d["steps"][1].update(limit=limit)))
    assert field == "steps.1.limit" and "more than zero" in message


@pytest.mark.parametrize("period", ["6 months", "182", "26w", "0d"])
def test_a_repeat_period_is_whole_days(period: str):
    [(field, _)] = refused(edited(lambda d: d["steps"][1].update(repeat_every=period)))
    assert field == "steps.1.repeat_every"


def test_a_step_has_at_least_one_outcome():
    [(field, _)] = refused(edited(lambda d: d["steps"][1].update(outcomes={})))
    assert field == "steps.1.outcomes"


@pytest.mark.parametrize(
    "span",
    ["8-16", "08:00", "16:00-08:00", "08:00-08:00", "08:00-24:00", "08:60-16:00", "0800-1600",
     " 08:00-16:00"],
)  # fmt: skip
def test_service_hours_are_hh_mm_with_the_start_first(span: str):
    change = lambda d: d["service_hours"]["days"].update(mon=span)  # noqa: E731
    [(field, message)] = refused(edited(change))
    assert field == "service_hours.days" and message.startswith("mon:")


def test_service_hours_name_days_of_the_week():
    change = lambda d: d["service_hours"]["days"].update(monday="08:00-16:00")  # noqa: E731
    [(field, _)] = refused(edited(change))
    assert field.startswith("service_hours.days.monday")


@pytest.mark.parametrize("tz", ["Mars/Olympus", "WITA", "", "../etc/passwd", "/etc/localtime"])
def test_service_hours_need_a_real_time_zone(tz: str):
    [(field, _)] = refused(edited(lambda d: d["service_hours"].update(tz=tz)))
    assert field == "service_hours.tz"


def test_weekend_hours_are_allowed_and_make_the_calendar():
    change = lambda d: d["service_hours"]["days"].update(sat="08:00-12:00")  # noqa: E731
    calendar = parse_definition(edited(change)).calendar
    assert set(calendar.hours) == {0, 1, 2, 3, 4, 5}
    assert calendar.tz == "Asia/Makassar"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["name"].update(ms="Demo"), "name.ms"),
        (lambda d: d["service_hours"].update(lunch="12:00-13:00"), "service_hours.lunch"),
        (lambda d: d["fields"]["purpose"].update(required=True), "fields.purpose.required"),
        (lambda d: d["intake"].update(letters=[]), "intake.letters"),
        (lambda d: d["steps"][2].update(assignee="kabid"), "steps.2.assignee"),
        (lambda d: d["steps"][1]["requires"].update(files=[]), "steps.1.requires.files"),
        (lambda d: d["steps"][1]["outcomes"]["needed"].update(goto="x"),
         "steps.1.outcomes.needed.goto"),
    ],
    ids=["top", "name", "service-hours", "field", "intake", "step", "requires", "branch"],
)  # fmt: skip
def test_unknown_keys_are_refused_naming_the_path(change: Any, path: str):
    [(field, message)] = refused(edited(change))
    assert field == path and "Extra inputs" in message


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(key="Demo_SOP"), "key"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.update(request_type="website"), "request_type"),
        (lambda d: d.update(source=""), "source"),
        (lambda d: d.update(steps=[]), "steps"),
        (lambda d: d["steps"][0].update(key="Disposition"), "steps.0.key"),
        (lambda d: d["steps"][0].update(role="bupati"), "steps.0.role"),
        (lambda d: d["steps"][1]["outcomes"].update(maybe={}), "steps.1.outcomes.maybe.[key]"),
        (lambda d: d["steps"][1]["outcomes"]["return"].update(end="paused", next=None),
         "steps.1.outcomes.return.end"),
        (lambda d: d["fields"]["purpose"].update(kind="number"), "fields.purpose.kind"),
        (lambda d: d["name"].update(en=""), "name.en"),
    ],
)  # fmt: skip
def test_bad_values_name_their_path(change: Any, path: str):
    assert refused(edited(change))[0][0] == path


def test_every_problem_is_named_at_once():
    def many(d: dict[str, Any]) -> None:
        d["version"] = 0
        d["steps"][0]["role"] = "bupati"
        d["steps"][1]["limit"] = "soon"
        d["colour"] = "blue"

    assert {f for f, _ in refused(edited(many))} == {
        "version", "steps.0.role", "steps.1.limit", "colour",
    }  # fmt: skip


@pytest.mark.parametrize("data", [None, [], "key: x", 3])
def test_not_a_mapping_is_refused(data: object):
    assert refused(data)[0][0] == "sop"


def test_a_parsed_definition_is_frozen():
    d = parse_definition(sop())
    with pytest.raises(ValueError):
        d.steps[0].limit = "1m"  # type: ignore[misc]


# --- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "minutes"),
    [("20m", 20), ("2h", 120), ("1d", WORKING_DAY_MINUTES), ("1d", 480), ("90d", 90 * 480),
     ("1.5h", 90), ("0.5d", 240), (" 30m ", 30), ("5 m", 5), ("120m", 120)],
)  # fmt: skip
def test_limit_minutes(limit: str, minutes: float):
    assert limit_minutes(limit) == minutes


@pytest.mark.parametrize("limit", ["", "20", "m", "2w", "twenty minutes", "-1h"])
def test_an_unknown_limit_is_invalid_input(limit: str):
    with pytest.raises(InvalidInput) as exc:
        limit_minutes(limit)
    assert exc.value.field == "limit"


def test_a_steps_limit_in_minutes_and_no_limit_no_clock():
    d = parse_definition(sop())
    assert [s.limit_minutes for s in d.steps] == [20, 120, 480]
    no_limit = edited(lambda x: x["steps"][2].pop("limit"))
    assert parse_definition(no_limit).steps[2].limit_minutes is None


# --- the committed schema ----------------------------------------------------------------


def test_the_committed_schema_is_the_generated_one():
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        f"{SCHEMA_FILE} differs from provisioner.domain.sop.json_schema(); regenerate it "
        f"from the repository root with:\n  {REGENERATE}"
    )


def test_the_schema_says_what_the_models_refuse():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    step = schema["$defs"]["Step"]
    assert step["additionalProperties"] is False
    assert set(step["required"]) == {"key", "name", "role", "output"}
    roles = schema["$defs"]["SopRole"]["enum"]
    assert set(roles) == {"opd", "secretariat", "kadis", "kabid", "team", "network",
                          "technical", "developer"}  # fmt: skip
