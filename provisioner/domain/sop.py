"""SOP definitions as data (pure): the steps an agency's SOP writes, in order, with who acts,
the time limit (mutu baku) in working time, what finishing a step needs, what it produces
and where it may branch. The YAML format is described in docs/sop-format.md; the JSON
schema in provisioner/schemas/sop.schema.json is generated from these models."""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from provisioner.domain.bilingual import Text
from provisioner.domain.errors import InvalidInput
from provisioner.domain.sla import WorkingCalendar

WORKING_DAY_MINUTES = 480  # "1 hari" in an SOP is one working day of eight hours
KEY = r"^[a-z][a-z0-9_]{0,62}$"
SOP_KEY = r"^[a-z][a-z0-9-]{0,62}$"
_LIMIT = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": WORKING_DAY_MINUTES}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class RequestType(StrEnum):
    SUBDOMAIN = "subdomain"
    APPLICATION_RECOMMENDATION = "application_recommendation"
    APPLICATION_DEVELOPMENT = "application_development"
    CONSULTATION = "consultation"


class SopRole(StrEnum):
    """Who acts on a step, as the SOPs name them."""

    OPD = "opd"
    SECRETARIAT = "secretariat"
    KADIS = "kadis"
    KABID = "kabid"
    TEAM = "team"
    NETWORK = "network"
    TECHNICAL = "technical"
    DEVELOPER = "developer"


class LetterKind(StrEnum):
    REPLY = "reply"
    REFUSAL = "refusal"
    INVITATION = "invitation"
    RECOMMENDATION = "recommendation"
    ASSIGNMENT = "assignment"
    BERITA_ACARA = "berita_acara"
    EVALUATION = "evaluation"


class JobKind(StrEnum):
    SUBDOMAIN = "subdomain"
    HOSTING = "hosting"
    DEV_INSTALL = "dev_install"
    PRODUCTION = "production"
    LOAD_TEST = "load_test"
    SECURITY_SCAN = "security_scan"


class Outcome(StrEnum):
    DONE = "done"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    NEEDED = "needed"
    NOT_NEEDED = "not_needed"
    CONTINUE = "continue"
    IMPROVE = "improve"
    RETIRE = "retire"


class Ending(StrEnum):
    COMPLETED = "completed"
    REJECTED = "rejected"
    NOT_NEEDED = "not_needed"
    RETIRED = "retired"


OUTCOME_NAMES: dict[Outcome, Text] = {
    Outcome.DONE: Text("Selesai", "Done"),
    Outcome.APPROVE: Text("Setujui", "Approve"),
    Outcome.REJECT: Text("Tolak", "Reject"),
    Outcome.RETURN: Text("Kembalikan", "Return"),
    Outcome.NEEDED: Text("Perlu", "Needed"),
    Outcome.NOT_NEEDED: Text("Tidak perlu", "Not needed"),
    Outcome.CONTINUE: Text("Lanjutkan", "Continue"),
    Outcome.IMPROVE: Text("Perbaiki", "Improve"),
    Outcome.RETIRE: Text("Hentikan", "Retire"),
}
ENDING_NAMES: dict[Ending, Text] = {
    Ending.COMPLETED: Text("Selesai", "Completed"),
    Ending.REJECTED: Text("Ditolak", "Rejected"),
    Ending.NOT_NEEDED: Text("Tidak perlu", "Not needed"),
    Ending.RETIRED: Text("Dihentikan", "Retired"),
}
LETTER_NAMES: dict[LetterKind, Text] = {
    LetterKind.REPLY: Text("Surat balasan", "Reply letter"),
    LetterKind.REFUSAL: Text("Surat penolakan", "Refusal letter"),
    LetterKind.INVITATION: Text("Surat undangan", "Invitation"),
    LetterKind.RECOMMENDATION: Text("Surat rekomendasi", "Recommendation letter"),
    LetterKind.ASSIGNMENT: Text("Surat penunjukan", "Letter of assignment"),
    LetterKind.BERITA_ACARA: Text("Berita Acara serah terima", "Hand-over minutes"),
    LetterKind.EVALUATION: Text("Surat hasil evaluasi", "Evaluation result"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Name(_Strict):
    id: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)

    @property
    def text(self) -> Text:
        return Text(self.id, self.en)


class FieldSpec(_Strict):
    name: Name
    kind: Literal["text", "user", "date"] = "text"


class DocumentSpec(_Strict):
    name: Name


class Needs(_Strict):
    fields: list[Annotated[str, Field(pattern=KEY)]] = []
    documents: list[Annotated[str, Field(pattern=KEY)]] = []


class Output(_Strict):
    """Exactly one of a record, a letter or a hardware job."""

    record: Annotated[str, Field(pattern=KEY)] | None = None
    letter: LetterKind | None = None
    job: JobKind | None = None

    @model_validator(mode="after")
    def _one(self) -> Output:
        if sum(x is not None for x in (self.record, self.letter, self.job)) != 1:
            raise ValueError(
                "output menyebut tepat satu dari record, letter, job / "
                "output names exactly one of record, letter, job"
            )
        return self


class Branch(_Strict):
    next: Annotated[str, Field(pattern=KEY)] | None = None
    end: Ending | None = None
    letter: LetterKind | None = None

    @model_validator(mode="after")
    def _not_both(self) -> Branch:
        if self.next is not None and self.end is not None:
            raise ValueError(
                "cabang menuju langkah (next) atau berakhir (end), bukan keduanya / "
                "a branch either goes to a step (next) or ends (end), not both"
            )
        return self


class Step(_Strict):
    key: Annotated[str, Field(pattern=KEY)]
    name: Name
    role: SopRole
    limit: Annotated[str, Field(pattern=_LIMIT.pattern)] | None = None
    requires: Needs = Needs()
    output: Output
    outcomes: dict[Outcome, Branch] = {Outcome.DONE: Branch()}
    disposition: bool = False
    repeat_every: Annotated[str, Field(pattern=r"^\d+d$")] | None = None

    @field_validator("outcomes")
    @classmethod
    def _some(cls, value: dict[Outcome, Branch]) -> dict[Outcome, Branch]:
        if not value:
            raise ValueError(
                "langkah punya paling sedikit satu hasil / a step has at least one outcome"
            )
        return value

    @field_validator("limit")
    @classmethod
    def _positive_limit(cls, value: str | None) -> str | None:
        if value is not None and limit_minutes(value) <= 0:
            raise ValueError(
                "batas waktu lebih dari nol (kosongkan bila tanpa jam) / "
                "a limit is more than zero (leave it out for no clock)"
            )
        return value

    @field_validator("repeat_every")
    @classmethod
    def _positive_period(cls, value: str | None) -> str | None:
        if value is not None and int(value[:-1]) <= 0:
            raise ValueError(
                "periode ulang paling sedikit satu hari / a repeat period is at least one day"
            )
        return value

    @property
    def limit_minutes(self) -> float | None:
        return None if self.limit is None else limit_minutes(self.limit)

    @property
    def waits_on_opd(self) -> bool:
        """The SLA of the Diskominfo stops while the OPD (or its developer) acts."""
        return self.role in (SopRole.OPD, SopRole.DEVELOPER)


class ServiceHours(_Strict):
    tz: str = "Asia/Makassar"
    days: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], str]

    @field_validator("days")
    @classmethod
    def _hours(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            m = _HOURS.match(span)
            if (
                not m
                or (m[1], m[2]) >= (m[3], m[4])
                or max(int(m[1]), int(m[3])) > 23
                or max(int(m[2]), int(m[4])) > 59
            ):
                raise ValueError(
                    f"{day}: jam ditulis HH:MM-HH:MM, mulai lebih dulu / "
                    f"hours are HH:MM-HH:MM with the start first"
                )
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(
                f"zona waktu {value!r} tidak dikenal (mis. Asia/Makassar) / "
                f"unknown time zone {value!r} (e.g. Asia/Makassar)"
            ) from None
        return value

    def calendar(self, days_off: frozenset[Any] = frozenset()) -> WorkingCalendar:
        hours = {}
        for day, span in self.days.items():
            m = _HOURS.match(span)
            assert m is not None  # checked by the validator
            hours[_DAYS.index(day)] = (time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])))
        return WorkingCalendar(tz=self.tz, hours=hours, days_off=days_off)


class SopDefinition(_Strict):
    key: Annotated[str, Field(pattern=SOP_KEY)]
    version: int = Field(ge=1)
    request_type: RequestType
    name: Name
    source: str = Field(min_length=1, max_length=500)
    service_hours: ServiceHours
    fields: dict[Annotated[str, Field(pattern=KEY)], FieldSpec] = {}
    documents: dict[Annotated[str, Field(pattern=KEY)], DocumentSpec] = {}
    intake: Needs = Needs()
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SopDefinition:
        keys = [s.key for s in self.steps]
        if len(set(keys)) != len(keys):
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            raise ValueError(f"kunci langkah berulang: {repeated} / step keys repeat: {repeated}")
        for where, needs in [("intake", self.intake), *((s.key, s.requires) for s in self.steps)]:
            self._declared(where, needs)
        for step in self.steps:
            for outcome, branch in step.outcomes.items():
                if branch.next is not None and branch.next not in keys:
                    raise ValueError(
                        f"{step.key}.{outcome}: next {branch.next!r} bukan langkah / "
                        f"next {branch.next!r} is no step"
                    )
            if step.disposition and step.output.letter is not None:
                raise ValueError(
                    f"{step.key}: disposisi mencatat, bukan surat / "
                    f"a disposition records, it is not a letter"
                )
        return self

    def _declared(self, where: str, needs: Needs) -> None:
        for f in needs.fields:
            if f not in self.fields:
                raise ValueError(
                    f"{where}: isian {f!r} tidak dideklarasikan di fields / "
                    f"field {f!r} is not declared under fields"
                )
        for d in needs.documents:
            if d not in self.documents:
                raise ValueError(
                    f"{where}: dokumen {d!r} tidak dideklarasikan di documents / "
                    f"document {d!r} is not declared under documents"
                )

    def step(self, key: str) -> Step:
        for s in self.steps:
            if s.key == key:
                return s
        raise InvalidInput("step", Text(f"Langkah {key} tidak ada", f"No step {key}"))

    def after(self, key: str) -> str | None:
        """The step that follows `key` in order, or None after the last."""
        keys = [s.key for s in self.steps]
        i = keys.index(key)
        return keys[i + 1] if i + 1 < len(keys) else None

    @property
    def calendar(self) -> WorkingCalendar:
        return self.service_hours.calendar()


def limit_minutes(limit: str) -> float:
    """ "20m" → 20, "2h" → 120, "1d" → 480 working minutes."""
    m = _LIMIT.match(limit.strip())
    if m is None:
        raise InvalidInput(
            "limit", Text(f"Batas waktu {limit!r} tidak dikenal", f"Unknown time limit {limit!r}")
        )
    return float(m[1]) * _UNIT_MINUTES[m[2]]


def parse_definition(data: object) -> SopDefinition:
    """A definition from its loaded YAML/JSON, or InvalidInput naming every problem."""
    try:
        return SopDefinition.model_validate(data)
    except ValidationError as exc:
        problems = [
            (".".join(str(p) for p in err["loc"]) or "sop", _message(err["msg"]))
            for err in exc.errors()
        ]
        raise InvalidInput.of(problems) from None


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def json_schema() -> dict[str, Any]:
    """The JSON schema of a definition (written to provisioner/schemas/sop.schema.json)."""
    schema = SopDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "provisioner SOP definition"
    return schema
