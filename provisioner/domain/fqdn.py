"""A full host name inside one of the managed zones (pure): checked by its shape before
any DNS query, because the DNS library raises on a malformed name instead of answering."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from provisioner.domain.errors import InvalidInput
from provisioner.domain.naming import (
    ALLOWED,
    ALLOWED_EN,
    ASCII_LOWER,
    normalise_label,
    reason,
    shown,
)


@dataclass(frozen=True)
class SiteName:
    """A syntactically valid host name inside one managed zone: `<relative>.<zone>`.

    `relative` is everything left of the zone: one label for an agency's site
    ("dinkes"), more for names below it ("dinkes.dev")."""

    fqdn: str
    relative: str
    zone: str

    @property
    def is_single_label(self) -> bool:
        return "." not in self.relative


MAX_NAME_LENGTH = 253  # RFC 1035 §2.3.4, in text form without the final dot
MAX_DNS_LABEL = 63


def parse_site_name(raw: str, zones: Iterable[str]) -> SiteName:
    """Check that `raw` is a host name inside one of `zones` and split it there.

    Refused (InvalidInput on the field `fqdn`, every reason at once): an empty name, an
    empty label (`.demokab.go.id`, `a..demokab.go.id`), a label over 63 characters, a
    name over 253, characters outside a–z 0–9 and the hyphen (which also refuses the
    wildcard and the underscore), a hyphen at either end of a label, a name that is the
    zone itself or is in none of the zones. Pure: callers use it before any DNS query,
    whose library would raise on such names instead of answering.
    """
    name = normalise_label(raw)
    if name.endswith(".") and not name.endswith(".."):
        name = name[:-1]  # the absolute form "dinkes.demokab.go.id." names the same host
    managed = sorted({z.strip().strip(".").translate(ASCII_LOWER) for z in zones}, key=len)
    problems = list(_name_problems(name))
    zone = next(
        (z for z in reversed(managed) if name.endswith("." + z)), None
    )  # the longest zone wins, so a delegated sub-zone is chosen over its parent
    if name and name in managed:
        problems.append(
            reason(
                "apex",
                f"{shown(name)} adalah nama zona itu sendiri, bukan subdomain / "
                f"{shown(name)} is the zone itself, not a subdomain",
            )
        )
    elif zone is None and name:
        listed = ", ".join(managed)
        problems.append(
            reason(
                "zone",
                f"Nama harus di bawah zona yang dikelola ({listed}) / "
                f"The name must be under a managed zone ({listed})",
            )
        )
    if problems:
        raise InvalidInput.of([("fqdn", message) for _, message in problems])
    assert zone is not None
    return SiteName(fqdn=name, relative=name[: -len(zone) - 1], zone=zone)


def _name_problems(name: str) -> Iterator[tuple[str, str]]:
    if not name:
        yield reason(
            "empty",
            "Nama kosong; isi nama lengkap subdomain, mis. dinkes.<zona> / "
            "The name is empty; enter the subdomain's full name, e.g. dinkes.<zone>",
        )
        return
    labels = name.split(".")
    if any(not label for label in labels):
        yield reason(
            "empty-label",
            "Nama mengandung label kosong (titik di awal, di akhir atau dua titik berurutan) / "
            "The name has an empty label (a dot at the start, at the end or two dots in a row)",
        )
    longest = max(len(label) for label in labels)
    if longest > MAX_DNS_LABEL:
        yield reason(
            "label-length",
            f"Satu label nama {longest} karakter; paling panjang {MAX_DNS_LABEL} / "
            f"One label of the name is {longest} characters long; at most {MAX_DNS_LABEL}",
        )
    if len(name) > MAX_NAME_LENGTH:
        yield reason(
            "fqdn-length",
            f"Nama lengkap {len(name)} karakter; paling panjang {MAX_NAME_LENGTH} karakter / "
            f"The full name is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed",
        )
    bad = sorted({c for c in name if c not in _HOST_CHARACTERS})
    if bad:
        listed = " ".join(
            f"'{c}'" if c.isascii() and c.isprintable() and not c.isspace() else f"U+{ord(c):04X}"
            for c in bad
        )
        yield reason(
            "character",
            f"Nama mengandung karakter yang tidak diperbolehkan: {listed}; tiap label {ALLOWED} / "
            f"The name contains characters that are not allowed: {listed}; in each label "
            f"{ALLOWED_EN}",
        )
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        yield reason(
            "hyphen-edge",
            "Label nama diawali atau diakhiri tanda hubung (-) / "
            "A label of the name starts or ends with a hyphen (-)",
        )


_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
