"""The reply / recommendation letter: numbering, dates, verification code and content.

Pure: no I/O. The workflow builds a `LetterContent`; the PDF adapter only renders it.

Letter numbers follow a configurable pattern because every government numbers differently
(Permendagri 83/2022 gives the archive classification; serial, unit, month and year vary).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import string
from dataclasses import asdict, dataclass
from datetime import date

from provisioner.domain.errors import InvalidInput

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

INDONESIAN_MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

# Fields a letter-number pattern may use, with a sample value of the right type so that a
# pattern can be tried out (format specs such as {nomor:03d} only fail at format time).
PATTERN_FIELDS: dict[str, object] = {
    "klasifikasi": "000.8.3.3",
    "nomor": 1,
    "unit": "DISKOMINFO",
    "bulan_romawi": "I",
    "bulan": 1,
    "tahun": 2024,
}

# Release directories and the letter both show this many characters of a commit.
SHORT_SHA_LENGTH = 12

VERIFICATION_CODE_LENGTH = 16


def roman_month(month: int) -> str:
    """Return the month in Roman numerals as letter numbers use it: 1 → "I" … 12 → "XII"."""
    if not 1 <= month <= 12:
        raise InvalidInput("month", f"bulan harus 1–12, bukan {month} / month must be 1–12")
    return ROMAN_MONTHS[month - 1]


def indonesian_date(d: date) -> str:
    """Return a date as Indonesian letters write it: "23 November 2026"."""
    return f"{d.day} {INDONESIAN_MONTHS[d.month - 1]} {d.year}"


def short_sha(commit: str) -> str:
    """Return the short form of a commit id shown on letters and release directories."""
    return commit[:SHORT_SHA_LENGTH]


def format_nip(nip: str) -> str:
    """Group an 18-digit NIP as printed under signatures: "19700101 199503 1 001".

    The groups are birth date, appointment month, sex and serial; anything that is not
    18 digits is returned unchanged rather than guessed at.
    """
    digits = nip.replace(" ", "")
    if len(digits) != 18 or not digits.isdigit():
        return nip
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def _invalid_pattern(reason_id: str, reason_en: str) -> InvalidInput:
    return InvalidInput("letter_number_pattern", f"{reason_id} / {reason_en}")


def validate_pattern(pattern: str) -> None:
    """Refuse a letter-number pattern that cannot number letters safely.

    Refused: unbalanced braces, positional or unknown fields, attribute or index access
    (``{tahun.real}``), format specs that do not fit the field, and a pattern without
    ``{nomor}`` — without the serial every letter of a month would get the same number.
    """
    allowed = ", ".join("{" + name + "}" for name in PATTERN_FIELDS)
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise _invalid_pattern(
            f"pola nomor surat tidak sah ({exc})", f"malformed letter number pattern ({exc})"
        ) from exc
    names = [field for _, field, _, _ in parsed if field is not None]
    for name in names:
        if name not in PATTERN_FIELDS:
            raise _invalid_pattern(
                f"kolom {{{name}}} tidak dikenal; yang boleh: {allowed}",
                f"unknown field {{{name}}}; allowed: {allowed}",
            )
    if "nomor" not in names:
        raise _invalid_pattern(
            "pola harus memuat {nomor}, kalau tidak nomor surat akan kembar",
            "the pattern must contain {nomor}, otherwise letter numbers collide",
        )
    try:
        pattern.format(**PATTERN_FIELDS)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        # e.g. {unit:03d} or a nested spec {nomor:{width}}.
        raise _invalid_pattern(
            f"format kolom tidak cocok ({exc})", f"a field's format does not fit ({exc})"
        ) from exc


def format_letter_number(
    pattern: str, *, serial: int, when: date, classification: str, unit: str
) -> str:
    """Build a letter number from the pattern, e.g. "000.8.3.3/011/DISKOMINFO/I/2024".

    Fields: {klasifikasi} {nomor} {unit} {bulan_romawi} {bulan} {tahun}; {nomor} and
    {bulan} are integers, so ``{nomor:03d}`` pads the serial.
    """
    validate_pattern(pattern)
    if serial < 1:
        raise InvalidInput("serial", f"nomor urut harus ≥ 1, bukan {serial} / serial must be ≥ 1")
    return pattern.format(
        klasifikasi=classification,
        nomor=serial,
        unit=unit,
        bulan_romawi=roman_month(when.month),
        bulan=when.month,
        tahun=when.year,
    )


def verification_code(number: str, content_sha256: str, secret: str) -> str:
    """Return a short code that ties a letter's number to its content: "1A2B-3C4D-5E6F-7081".

    HMAC-SHA256 keyed with the service secret, so only the issuer can produce a code, and a
    verify page that has the stored content can recompute and compare it. The code is a
    check of origin, not an electronic signature.
    """
    mac = hmac.new(
        secret.encode(), f"{number}\n{content_sha256}".encode(), hashlib.sha256
    ).hexdigest()
    head = mac[:VERIFICATION_CODE_LENGTH].upper()
    return "-".join(head[i : i + 4] for i in range(0, VERIFICATION_CODE_LENGTH, 4))


@dataclass(frozen=True)
class LetterContent:
    """Everything the letter shows; built by the workflow, rendered by the PDF adapter."""

    number: str
    issued_on: date
    place: str
    nature: str  # sifat, e.g. "Biasa"
    attachments: str  # lampiran, e.g. "-"
    subject: str  # hal
    addressee: str  # e.g. "Kepala Dinas Kesehatan Kabupaten Demo"
    addressee_place: str
    request_letter_number: str
    request_letter_date: date
    fqdn: str
    dev_fqdn: str | None
    server: str  # production server name + address
    database: str | None
    commit: str
    checks: tuple[tuple[str, bool, str], ...]  # (check name, passed, detail)
    agency_name: str
    agency_short: str
    agency_address: str
    signer_name: str
    signer_position: str
    signer_rank: str
    signer_nip: str
    carbon_copies: tuple[str, ...]
    verification_code: str
    verification_url: str
    government_name: str = "Pemerintah Kabupaten Demo"  # first line of the letterhead
    # A correction names the letter it replaces (letters are immutable once issued).
    replaces: str | None = None

    @property
    def installed_application(self) -> bool:
        """Whether the letter may say an application was installed: only with the commit
        that was (a DNS-only request has none, and its letter says nothing of one)."""
        return bool(self.commit) and self.commit != "-"

    @property
    def letterhead_agency(self) -> str:
        """The agency line of the letterhead without the region the line above already names.

        "Dinas Komunikasi dan Informatika Kabupaten Demo" under "Pemerintah Kabupaten Demo"
        is printed as "DINAS KOMUNIKASI DAN INFORMATIKA".
        """
        region = self.government_name.removeprefix("Pemerintah ").strip()
        name = self.agency_name.strip()
        if region and name.lower().endswith(" " + region.lower()):
            name = name[: -len(region) - 1].rstrip()
        return name.upper()


def letter_digest(content: LetterContent) -> str:
    """SHA-256 of the letter's content, without the verification fields it is used to make.

    Canonical JSON (sorted keys, ISO dates), so the same content always gives the same
    digest; feed it to `verification_code`.
    """
    data = asdict(content)
    data.pop("verification_code")
    data.pop("verification_url")
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


SIGNATURE_CONTEXT = "provisioner-letter-v1"


def sign_letter(number: str, pdf_sha256: str, secret: str) -> str:
    """Return provisioner's signature over an issued PDF: HMAC-SHA256 of its number and hash.

    Stored with the letter; the verification page recomputes it with the same secret, so a
    letter row whose number or hash was changed afterwards no longer verifies, and a PDF
    whose bytes differ from the signed hash is reported as altered. Not a TTE.
    """
    message = f"{SIGNATURE_CONTEXT}\n{number}\n{pdf_sha256.lower()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(number: str, pdf_sha256: str, signature: str, secret: str) -> bool:
    """True when `signature` is provisioner's signature over this number and PDF hash."""
    return hmac.compare_digest(sign_letter(number, pdf_sha256, secret), signature or "")


def content_to_data(content: LetterContent) -> dict[str, object]:
    """The letter's content as JSON-ready data (kept with the letter, so that the verify page
    can recompute the code and a correction can start from what was issued)."""
    data = asdict(content)
    for key in ("issued_on", "request_letter_date"):
        data[key] = data[key].isoformat()
    data["checks"] = [list(row) for row in content.checks]
    data["carbon_copies"] = list(content.carbon_copies)
    return data


def content_from_data(data: dict[str, object]) -> LetterContent:
    """Inverse of `content_to_data`."""
    values = dict(data)
    values["issued_on"] = date.fromisoformat(str(values["issued_on"]))
    values["request_letter_date"] = date.fromisoformat(str(values["request_letter_date"]))
    checks = values.get("checks") or []
    values["checks"] = tuple(
        (str(name), bool(passed), str(detail))
        for name, passed, detail in checks  # type: ignore[attr-defined]
    )
    values["carbon_copies"] = tuple(values.get("carbon_copies") or ())  # type: ignore[arg-type]
    return LetterContent(**values)  # type: ignore[arg-type]
