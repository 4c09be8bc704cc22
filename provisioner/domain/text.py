"""Free text a person typed (names, purposes, reasons, notes): no characters that do not
show. Control characters, bidirectional overrides (U+202A–202E, U+2066–2069), zero-width
characters (U+200B–200D, U+FEFF) and line or paragraph separators make a name read
differently on a letter, in the audit log or on a screen than it is stored (pure)."""

from __future__ import annotations

import unicodedata

from provisioner.domain.errors import InvalidInput

# Unicode categories refused everywhere: Cc control, Cf format (bidi controls, zero-width,
# soft hyphen …), Cs lone surrogates, Zl / Zp line and paragraph separators.
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_LINE_BREAKS = frozenset("\n\r\t")


def hidden_characters(value: str, *, multiline: bool = False) -> list[str]:
    """Each refused character of `value` once, as `U+XXXX`, in order of appearance."""
    seen: list[str] = []
    for ch in value:
        if multiline and ch in _LINE_BREAKS:
            continue
        if unicodedata.category(ch) in _REFUSED:
            code = f"U+{ord(ch):04X}"
            if code not in seen:
                seen.append(code)
    return seen


def check_visible(field: str, value: str, *, multiline: bool = False) -> str:
    """Return `value` unchanged, or raise InvalidInput on `field` naming the characters
    that do not show (a multi-line text may hold line breaks and tabs)."""
    hidden = hidden_characters(value, multiline=multiline)
    if hidden:
        shown = ", ".join(hidden[:5])
        raise InvalidInput(
            field,
            f"Mengandung karakter kendali atau tak terlihat ({shown}) / "
            f"Contains control or invisible characters ({shown})",
        )
    return value
