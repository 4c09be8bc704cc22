"""The naming policy for agency subdomains: which labels may become `<label>.<zone>`.

Pure logic, no I/O. The rules are RFC 1123 host names narrowed to .id practice
(PermenKominfo 5/2015 and PANDI): a–z, 0–9 and the hyphen; 3–63 characters; not digits
only; no hyphen at either end; reserved, restricted and offensive words refused.

Every refusal reason says what is wrong *and* what is allowed, in Bahasa Indonesia first
and English after " / ", because it is shown as-is to agency staff.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ALLOWED = "hanya huruf a–z, angka 0–9 dan tanda hubung (-) yang diperbolehkan"
ALLOWED_EN = "only letters a–z, digits 0–9 and hyphens (-) are allowed"

# Labels that name infrastructure or well-known services: handing one to an agency would
# let its site shadow mail, name servers or autodiscovery for everybody in the zone.
DEFAULT_RESERVED: frozenset[str] = frozenset(
    {
        "www", "mail", "email", "webmail", "smtp", "pop", "pop3", "imap", "mx", "ns", "ns1",
        "ns2", "ns3", "ns4", "dns", "ftp", "sftp", "admin", "administrator", "root",
        "hostmaster", "postmaster", "webmaster", "abuse", "noc", "api", "dev", "staging",
        "stage", "prod", "test", "demo", "localhost", "cpanel", "whm", "autodiscover",
        "autoconfig", "vpn", "proxy", "gateway", "sso", "cdn", "static", "status",
    }
)  # fmt: skip

# Short default list of offensive or misleading words (gambling and pornography spam is
# the usual defacement of .go.id sites); an agency extends it in its configuration.
DEFAULT_FORBIDDEN_WORDS: frozenset[str] = frozenset(
    {
        "judi", "slot", "togel", "casino", "kasino", "gacor", "maxwin", "poker", "taruhan",
        "porn", "bokep", "xxx", "narkoba", "phishing",
    }
)  # fmt: skip

_LDH = re.compile(r"[a-z0-9-]+")
_HYPHEN_RUN = re.compile(r"-{2,}")


@dataclass(frozen=True)
class NamingPolicy:
    """What an agency's label must satisfy. Immutable so it can be shared and cached."""

    min_length: int = 3
    max_length: int = 63
    allow_punycode: bool = False
    reserved: frozenset[str] = DEFAULT_RESERVED
    # label -> the only agency (its code) that may be given that label
    restricted: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    forbidden_words: frozenset[str] = DEFAULT_FORBIDDEN_WORDS

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length <= 63:
            raise ValueError("need 1 <= min_length <= max_length <= 63 (RFC 1035 label limit)")


@dataclass(frozen=True)
class LabelVerdict:
    """The outcome of `check_label`: the normalised label, whether it is acceptable, and
    every reason it is not (all of them, so the user can fix everything at once)."""

    label: str
    ok: bool
    reasons: tuple[str, ...] = ()
    # machine-readable twins of `reasons` (same order), for the API and tests
    codes: tuple[str, ...] = ()


def normalise_label(raw: str) -> str:
    """Trim surrounding spaces/tabs and lower-case ASCII letters; nothing else.

    Only ASCII is lower-cased on purpose: `str.lower()` would turn the Kelvin sign (U+212A)
    into a plain "k" and so quietly accept a look-alike; here it stays and is refused.
    Idempotent: normalise_label(normalise_label(x)) == normalise_label(x).
    """
    return raw.strip(" \t").translate(ASCII_LOWER)


ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def check_label(
    raw: str, policy: NamingPolicy, *, zone: str, agency: str | None = None
) -> LabelVerdict:
    """Check one requested label against the policy for `<label>.<zone>`.

    `agency` is the requesting agency's code; it matters only for restricted labels.
    Returns every problem found, not just the first.
    """
    label = normalise_label(raw)
    problems = list(_problems(label, policy, zone=zone.strip(".").lower(), agency=agency))
    return LabelVerdict(
        label=label,
        ok=not problems,
        reasons=tuple(message for _, message in problems),
        codes=tuple(code for code, _ in problems),
    )


def _problems(
    label: str, policy: NamingPolicy, *, zone: str, agency: str | None
) -> Iterator[tuple[str, str]]:
    if not label:
        yield reason(
            "empty",
            f"Label kosong; isi nama subdomain, {ALLOWED} / "
            f"The label is empty; enter a subdomain name, {ALLOWED_EN}",
        )
        return
    yield from _character_problems(label)
    yield from _shape_problems(label, policy, zone=zone)
    yield from _word_problems(label, policy, agency=agency)


def _character_problems(label: str) -> Iterator[tuple[str, str]]:
    if any(unicodedata.category(c) == "Cc" for c in label):
        yield reason(
            "control",
            f"Label mengandung karakter kontrol (mis. baris baru atau tab); {ALLOWED} / "
            f"The label contains a control character (e.g. a newline or tab); {ALLOWED_EN}",
        )
    if any(c.isspace() and unicodedata.category(c) != "Cc" for c in label):
        yield reason(
            "space",
            f"Label mengandung spasi; gunakan tanda hubung (-) sebagai pemisah, {ALLOWED} / "
            f"The label contains a space; use a hyphen (-) as separator, {ALLOWED_EN}",
        )
    if "." in label:
        yield reason(
            "dot",
            "Label mengandung titik (.); masukkan satu label saja tanpa nama domain, "
            f"{ALLOWED} / The label contains a dot (.); enter a single label without the "
            f"domain name, {ALLOWED_EN}",
        )
    if "_" in label:
        yield reason(
            "underscore",
            f"Label mengandung garis bawah (_); {ALLOWED} / "
            f"The label contains an underscore (_); {ALLOWED_EN}",
        )
    if "*" in label:
        yield reason(
            "wildcard",
            f"Label mengandung tanda bintang (*); wildcard tidak diperbolehkan, {ALLOWED} / "
            f"The label contains an asterisk (*); wildcards are not allowed, {ALLOWED_EN}",
        )
    if any(ord(c) > 127 for c in label):
        yield reason(
            "unicode",
            "Label mengandung huruf di luar a–z (huruf beraksen atau non-Latin); "
            f"{ALLOWED} / The label contains characters outside a–z (accented or non-Latin "
            f"letters); {ALLOWED_EN}",
        )
    others = sorted(
        {c for c in label if c.isascii() and c.isprintable() and not c.isspace()}
        - set("abcdefghijklmnopqrstuvwxyz0123456789-._*")
    )
    if others:
        listed = " ".join(others)
        yield reason(
            "character",
            f"Label mengandung karakter yang tidak diperbolehkan: {listed}; {ALLOWED} / "
            f"The label contains characters that are not allowed: {listed}; {ALLOWED_EN}",
        )


def _shape_problems(label: str, policy: NamingPolicy, *, zone: str) -> Iterator[tuple[str, str]]:
    if label.startswith("-") or label.endswith("-"):
        yield reason(
            "hyphen-edge",
            "Label diawali atau diakhiri tanda hubung (-); awali dan akhiri dengan huruf atau "
            "angka / The label starts or ends with a hyphen (-); start and end with a letter "
            "or digit",
        )
    if len(label) < policy.min_length or len(label) > policy.max_length:
        yield reason(
            "length",
            f"Panjang label {len(label)} karakter; yang diperbolehkan "
            f"{policy.min_length}–{policy.max_length} karakter / The label is {len(label)} "
            f"characters long; {policy.min_length}–{policy.max_length} characters are allowed",
        )
    if label.isdigit() and label.isascii():
        yield reason(
            "digits-only",
            "Label hanya berisi angka; sertakan paling sedikit satu huruf a–z / "
            "The label is digits only; include at least one letter a–z",
        )
    if label[2:4] == "--":
        yield from _punycode_problems(label, policy)
    fqdn = f"{label}.{zone}"
    if len(fqdn) > 253:
        yield reason(
            "fqdn-length",
            f"Nama lengkap {len(fqdn)} karakter; paling panjang 253 karakter / "
            f"The full name is {len(fqdn)} characters long; at most 253 are allowed",
        )


def _punycode_problems(label: str, policy: NamingPolicy) -> Iterator[tuple[str, str]]:
    # Positions 3–4 "--" are reserved for IDNA (RFC 5891 §4.2.3.1); only "xn--" is defined.
    if not label.startswith("xn--"):
        yield reason(
            "hyphen-34",
            "Label memiliki dua tanda hubung (--) pada posisi 3–4, yang dicadangkan untuk "
            "nama internasional; gunakan satu tanda hubung / The label has two hyphens (--) "
            "in positions 3–4, reserved for internationalised names; use a single hyphen",
        )
    elif not policy.allow_punycode:
        yield reason(
            "punycode",
            "Label punycode (xn--) tidak diperbolehkan; gunakan huruf a–z, angka 0–9 dan "
            "tanda hubung / Punycode labels (xn--) are not allowed; use letters a–z, digits "
            "0–9 and hyphens",
        )
    elif _LDH.fullmatch(label) and not _valid_punycode(label):
        yield reason(
            "punycode-invalid",
            "Label xn-- bukan punycode yang sah; periksa kembali penulisannya / "
            "The xn-- label is not valid punycode; check its spelling",
        )


def _valid_punycode(label: str) -> bool:
    encoded = label[4:]
    try:
        decoded = encoded.encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return False
    # A real IDN label decodes to printable text with at least one non-ASCII letter and
    # encodes back to the same ASCII form.
    return (
        decoded.isprintable()
        and not decoded.isascii()
        and not any(c.isspace() for c in decoded)
        and decoded.encode("punycode") == encoded.encode("ascii")
    )


def _word_problems(
    label: str, policy: NamingPolicy, *, agency: str | None
) -> Iterator[tuple[str, str]]:
    if label in policy.reserved:
        yield reason(
            "reserved",
            f"Label '{shown(label)}' dicadangkan untuk layanan infrastruktur; pilih nama "
            "lain, misalnya nama aplikasi atau singkatan perangkat daerah / The label "
            f"'{shown(label)}' is reserved for infrastructure services; choose another "
            "name, e.g. the application's name or the agency's abbreviation",
        )
    owner = policy.restricted.get(label)
    if owner is not None and owner != agency:
        yield reason(
            "restricted",
            f"Label '{shown(label)}' hanya dapat diberikan kepada {owner}; pilih nama lain "
            f"/ The label '{shown(label)}' may only be given to {owner}; choose another name",
        )
    # Hyphens removed too, so "ju-di" or "s-l-o-t" does not slip through.
    squeezed = label.replace("-", "")
    found = sorted(w for w in policy.forbidden_words if w in label or w in squeezed)
    if found:
        words = ", ".join(found)
        yield reason(
            "forbidden-word",
            f"Label mengandung kata yang tidak pantas atau menyesatkan ({words}); pilih nama "
            f"yang mencerminkan layanan resmi / The label contains an offensive or misleading "
            f"word ({words}); choose a name that reflects an official service",
        )


def reason(code: str, message: str) -> tuple[str, str]:
    """A refusal: its machine code and its message (Indonesian " / " English)."""
    return code, message


def shown(label: str) -> str:
    # Echo only printable ASCII back to the user; anything else is already refused above.
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in label)


def suggest_labels(
    label: str,
    taken: Callable[[str], bool],
    policy: NamingPolicy,
    *,
    zone: str,
    agency_hint: str | None = None,
    limit: int = 5,
) -> list[str]:
    """Propose up to `limit` acceptable labels close to `label` for which `taken(label)`
    is False. Pure: the caller's predicate decides "taken" (registry, DNS, both).

    The input itself is never suggested; a repaired form of it is (e.g. "dinas_kesehatan"
    → "dinas-kesehatan"). `agency_hint` (an agency's code such as "dinkes") is combined
    with the base and is also the agency used for restricted labels.
    """
    original = normalise_label(label)
    base = _repair(original, policy)
    hint = _repair(normalise_label(agency_hint or ""), policy)
    suggestions: list[str] = []
    for candidate in _candidates(base, hint, policy):
        if len(suggestions) >= limit:
            break
        if candidate == original or candidate in suggestions:
            continue
        if not check_label(candidate, policy, zone=zone, agency=agency_hint).ok:
            continue
        if taken(candidate):
            continue
        suggestions.append(candidate)
    return suggestions


def _repair(label: str, policy: NamingPolicy) -> str:
    """Turn a refused spelling into the nearest LDH form: separators become hyphens,
    everything else outside a–z 0–9 is dropped."""
    text = re.sub(r"[\s._*]+", "-", label)
    text = "".join(c for c in text if c in "abcdefghijklmnopqrstuvwxyz0123456789-")
    text = _HYPHEN_RUN.sub("-", text).strip("-")
    return text[: policy.max_length].rstrip("-")


def _candidates(base: str, hint: str, policy: NamingPolicy) -> Iterator[str]:
    if not base:
        return
    yield base
    if hint and hint != base:
        yield _fit(base, "-" + hint, policy)
        yield _fit(hint + "-", base, policy, keep_prefix=True)
    for word in ("online", "app", "portal", "info", "layanan"):
        yield _fit(base, "-" + word, policy)
    for n in range(2, 100):
        yield _fit(base, str(n), policy)


def _fit(head: str, tail: str, policy: NamingPolicy, *, keep_prefix: bool = False) -> str:
    """Join head+tail, cutting the base part so the result fits max_length."""
    room = policy.max_length - len(head) - len(tail)
    if room >= 0:
        return head + tail
    if keep_prefix:  # head is the hint, tail is the base: shorten the base
        return (head + tail[: max(0, len(tail) + room)]).rstrip("-")
    return head[: max(0, len(head) + room)].rstrip("-") + tail
