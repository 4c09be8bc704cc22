"""Validation of a submitted request and the identifiers derived from it (pure logic)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email as _email_syntax

from provisioner.domain.errors import InvalidInput
from provisioner.domain.site_names import database_name, database_user
from provisioner.domain.text import check_visible

_T = TypeVar("_T")

_REPO_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
# No request letter is older than this: a date before it is a typing mistake.
EARLIEST_LETTER_DATE = date(2000, 1, 1)


@dataclass(frozen=True)
class RequestDraft:
    """What an OPD submits. `repo` is a repository name on Diskominfo's git server or a
    URL under it; nothing else may be cloned onto our servers."""

    label: str
    agency: str
    purpose: str
    contact_name: str
    contact_email: str
    letter_number: str
    letter_date: date
    hosting: bool
    contact_phone: str = ""
    repo: str | None = None
    branch: str | None = None
    target_address: str | None = None
    # Request types and the fields the SOPs and agencies' portals ask for.
    request_type: str = "new"
    contact_nip: str | None = None
    contact_position: str | None = None
    contact_rank: str | None = None
    site_kind: str | None = None
    stack: str | None = None
    db_wanted: bool | None = None


REQUEST_TYPES: dict[str, str] = {
    "new": "Subdomain baru / New subdomain",
    "change_target": "Perubahan alamat/DNS / Change of target or DNS",
    "change_contact": "Perubahan penanggung jawab / Change of the person responsible",
    "deactivate": "Penonaktifan / Deactivation",
}
SITE_KINDS: dict[str, str] = {
    "official": "Situs resmi / Official site",
    "public_service": "Aplikasi layanan publik / Public-service app",
    "administration": "Aplikasi administrasi / Administration app",
}
STACKS: dict[str, str] = {"php": "PHP", "static": "Statis / Static"}
_NIP = re.compile(r"^[0-9]{18}$")


def validate_email(field: str, value: str) -> str:
    """A deliverable address by its syntax (email-validator, RFC 5321/5322 with the DNS
    label rules: no empty label, no `..`); ASCII local part, as the mail adapter sends
    without SMTPUTF8. Nothing is looked up."""
    value = value.strip()
    try:
        _email_syntax(
            value,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as exc:
        raise InvalidInput(
            field, f"Alamat e-mail tidak sah / Not a valid e-mail address ({exc})"
        ) from None
    return value


def earliest_letter_date(today: date, max_age_years: int) -> date:
    """The oldest plausible date of a request letter: `max_age_years` before `today`, and
    never before EARLIEST_LETTER_DATE."""
    year = today.year - max_age_years
    try:
        back = today.replace(year=year)
    except ValueError:  # 29 February
        back = today.replace(year=year, day=28)
    return max(back, EARLIEST_LETTER_DATE)


def validate_nip(value: str) -> str:
    """An 18-digit NIP: birth date (YYYYMMDD), appointment (YYYYMM), sex (1/2), serial."""
    nip = value.replace(" ", "").strip()
    if not _NIP.match(nip):
        raise InvalidInput(
            "contact_nip", "NIP harus 18 angka / The NIP must be exactly 18 digits"
        )
    year, month, day = int(nip[0:4]), int(nip[4:6]), int(nip[6:8])
    try:
        date(year, month, day)
        valid_birth = 1900 <= year <= 2100
    except ValueError:
        valid_birth = False
    appointed_month = int(nip[12:14])
    if not valid_birth or not 1 <= appointed_month <= 12 or nip[14] not in "12":
        raise InvalidInput(
            "contact_nip",
            "NIP tidak sah (tanggal lahir, TMT atau kode jenis kelamin keliru) / "
            "Invalid NIP (birth date, appointment month or sex digit is wrong)",
        )
    return nip


def _choice(field: str, value: str | None, options: dict[str, str]) -> str | None:
    if value is None or value == "":
        return None
    if value not in options:
        allowed = ", ".join(options)
        raise InvalidInput(field, f"Pilih salah satu: {allowed} / Choose one of: {allowed}")
    return value


def _text(field: str, value: str, *, max_len: int, multiline: bool = False) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(field, "Wajib diisi / Required")
    if len(value) > max_len:
        raise InvalidInput(
            field, f"Paling banyak {max_len} karakter / At most {max_len} characters"
        )
    return check_visible(field, value, multiline=multiline)


def repo_url_for(repo: str, git_base_url: str) -> str:
    """Expand a repository name to its URL; refuse anything outside Diskominfo's server."""
    repo = repo.strip()
    base = git_base_url.rstrip("/") + "/"
    if repo.startswith(base):
        name = repo[len(base) :]
    elif "/" not in repo and ":" not in repo:
        name = repo
    else:
        raise InvalidInput(
            "repo",
            f"Repositori harus berada di server kode Diskominfo ({base}) / "
            f"The repository must be on Diskominfo's code server ({base})",
        )
    name = name.removesuffix(".git")
    if not _REPO_NAME.match(name):
        raise InvalidInput(
            "repo",
            "Nama repositori hanya boleh huruf kecil, angka, titik, garis bawah dan tanda "
            "hubung / A repository name may only hold lower-case letters, digits, dots, "
            "underscores and hyphens",
        )
    return f"{base}{name}.git"


def validate_branch(branch: str) -> str:
    branch = branch.strip()
    if not _BRANCH.match(branch) or ".." in branch or branch.endswith((".lock", "/", ".")):
        raise InvalidInput(
            "branch",
            "Nama cabang (branch) tidak sah; gunakan huruf, angka, '.', '_', '-' atau '/' / "
            "Invalid branch name; use letters, digits, '.', '_', '-' or '/'",
        )
    return branch


def validate_target(address: str, allowed_networks: list[str]) -> str:
    try:
        ip = ipaddress.IPv4Address(address.strip())
    except ValueError:
        raise InvalidInput(
            "target_address", "Bukan alamat IPv4 yang sah / Not a valid IPv4 address"
        ) from None
    if not any(ip in ipaddress.IPv4Network(net) for net in allowed_networks):
        nets = ", ".join(allowed_networks)
        raise InvalidInput(
            "target_address",
            f"Alamat harus di jaringan yang diizinkan ({nets}) / "
            f"The address must be in an allowed network ({nets})",
        )
    return str(ip)


class _Problems:
    """Every field's problem, collected so that all are reported at once."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def attempt(self, check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except InvalidInput as exc:
            self.items.extend(exc.problems)
            return None

    def refuse(self, field: str, message: str) -> None:
        self.items.append((field, message))


def _choices_and_person(p: _Problems, draft: RequestDraft) -> dict[str, str | None]:
    if draft.request_type not in REQUEST_TYPES:
        allowed = ", ".join(REQUEST_TYPES)
        p.refuse("request_type", f"Pilih salah satu: {allowed} / Choose one of: {allowed}")
    values: dict[str, str | None] = {
        "site_kind": p.attempt(lambda: _choice("site_kind", draft.site_kind, SITE_KINDS)),
        "stack": p.attempt(lambda: _choice("stack", draft.stack, STACKS)),
        "contact_nip": p.attempt(partial(validate_nip, draft.contact_nip))
        if draft.contact_nip else None,
    }
    for field in ("contact_position", "contact_rank"):
        given = getattr(draft, field)
        values[field] = (
            p.attempt(partial(_text, field, given, max_len=200))
            if given and given.strip() else None
        )
    return values


def _letter_date(p: _Problems, letter_date: date, today: date, max_age_years: int) -> None:
    if letter_date > today:
        p.refuse(
            "letter_date",
            "Tanggal surat tidak boleh di masa depan / The letter date cannot be in the future",
        )
    elif letter_date < (earliest := earliest_letter_date(today, max_age_years)):
        p.refuse(
            "letter_date",
            f"Tanggal surat tidak masuk akal: paling awal {earliest.isoformat()} / "
            f"Implausible letter date: {earliest.isoformat()} at the earliest",
        )


def _phone(p: _Problems, raw: str) -> str:
    phone = raw.strip()
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{6,20}", phone):
        p.refuse("contact_phone", "Nomor telepon tidak sah / Not a valid phone number")
    return phone


def _hosting_source(p: _Problems, draft: RequestDraft, git_base_url: str) -> dict[str, str | None]:
    if draft.target_address:
        p.refuse(
            "target_address",
            "Kosongkan bila meminta hosting: situs berjalan di server Diskominfo / "
            "Leave empty with hosting: the site runs on Diskominfo's servers",
        )
    repo = None
    if not draft.repo:
        p.refuse("repo", "Wajib diisi bila meminta hosting / Required when hosting is wanted")
    else:
        repo = p.attempt(partial(repo_url_for, draft.repo, git_base_url))
    branch = p.attempt(lambda: validate_branch(draft.branch or "main"))
    return {"repo": repo, "branch": branch, "target_address": None}


def _where_it_points(
    p: _Problems, draft: RequestDraft, git_base_url: str, allowed_networks: list[str]
) -> dict[str, str | None]:
    """The hardware target: a repository and branch with hosting, an address without."""
    none: dict[str, str | None] = {"repo": None, "branch": None, "target_address": None}
    if draft.request_type in ("change_contact", "deactivate"):
        return none  # no hardware target in the request itself: it names an existing site
    if draft.hosting and draft.request_type != "change_target":
        return _hosting_source(p, draft, git_base_url)
    if not draft.target_address:
        p.refuse(
            "target_address",
            "Wajib diisi: alamat IP baru / Required: the new IP address"
            if draft.request_type == "change_target" else
            "Wajib diisi bila tanpa hosting: alamat IP server situs / "
            "Required without hosting: the site server's IP address",
        )
        return none
    target = p.attempt(partial(validate_target, draft.target_address, allowed_networks))
    return {**none, "target_address": target}


def _texts(p: _Problems, draft: RequestDraft) -> dict[str, str | None]:
    return {
        "agency": p.attempt(lambda: _text("agency", draft.agency, max_len=200)),
        "purpose": p.attempt(
            lambda: _text("purpose", draft.purpose, max_len=2000, multiline=True)
        ),
        "contact_name": p.attempt(lambda: _text("contact_name", draft.contact_name, max_len=200)),
        "letter_number": p.attempt(
            lambda: _text("letter_number", draft.letter_number, max_len=100)
        ),
    }


def normalise_draft(
    draft: RequestDraft,
    *,
    git_base_url: str,
    allowed_networks: list[str],
    today: date,
    letter_max_age_years: int = 5,
) -> RequestDraft:
    """Check every field except the label (the naming policy owns that) and return the
    draft with trimmed text and a full repository URL. Every field's problem is reported
    at once (one InvalidInput with all of them), not just the first. `today` is the day in
    the agency's time zone; a letter dated after it or more than `letter_max_age_years`
    before it is refused."""
    p = _Problems()
    p.attempt(lambda: validate_email("contact_email", draft.contact_email))
    person = _choices_and_person(p, draft)
    _letter_date(p, draft.letter_date, today, letter_max_age_years)
    phone = _phone(p, draft.contact_phone)
    target = _where_it_points(p, draft, git_base_url, allowed_networks)
    texts = _texts(p, draft)
    if p.items:
        raise InvalidInput.of(p.items)
    return replace(
        draft,
        contact_email=draft.contact_email.strip(),
        contact_phone=phone,
        **person,  # type: ignore[arg-type]
        **target,  # type: ignore[arg-type]
        **texts,  # type: ignore[arg-type]
    )


REASON_REQUIRED = (
    "Alasan penolakan wajib diisi (min. 5 karakter) / "
    "A rejection needs a reason (at least 5 characters)"
)
NOTE_REQUIRED = (
    "Catatan perbaikan wajib diisi (min. 5 karakter) / "
    "Say what to revise (at least 5 characters)"
)


def required_note(field: str, text: str, message: str) -> str:
    """A reason or note a decision must carry: trimmed, at least 5 characters, nothing
    that does not show (line breaks may separate its points)."""
    text = text.strip()
    if len(text) < 5:
        raise InvalidInput(field, message)
    check_visible(field, text, multiline=True)
    return text


def format_ticket(day: date, serial: int) -> str:
    return f"SUB-{day:%Y%m%d}-{serial:04d}"


def db_identifiers(label: str) -> tuple[str, str]:
    """Database and user names for a site (provisioner.domain.site_names derives them,
    within MariaDB's limits and distinct per label)."""
    return database_name(label), database_user(label)
