"""Messages in two languages (pure).

The project's messages are written "Bahasa Indonesia / English" in one string, so that the
JSON API, the job records and the audit log read the same for everybody. A page speaks one
language: `Text` is the structured pair, and `split` recovers the pair from a stored string
— also from the compound forms the code builds ("step @ server: Gagal / Failed",
"RUSAK / BROKEN: 2 masalah / problems", "127.0.2.50 tidak dipantau / not monitored").
"""

from __future__ import annotations

import re
from typing import NamedTuple

SEP = " / "
# Where a compound message joins its parts; each part may be a pair of its own.
_JOINS = re.compile(r"(: |; |\n| — )")
# A leading token that is a name or a number, not a word: "127.0.2.50", "/var/www/x",
# "dinkes.demokab.go.id", "3". An English half that starts in lower case lacks it.
_SUBJECT = re.compile(r"^(\S*[\d./_@:-]\S*)\s")


class Text(NamedTuple):
    """One message in both languages."""

    id: str
    en: str

    def in_(self, lang: str) -> str:
        """The message in `lang` ("en", else Indonesian)."""
        return self.en if lang == "en" else self.id

    def joined(self) -> str:
        """The project's one-string form, "Indonesia / English" (one half if both agree)."""
        return self.id if self.id == self.en else f"{self.id}{SEP}{self.en}"


def _pair(part: str) -> Text | None:
    """A part with at most one separator as a pair; None when it has more than one."""
    count = part.count(SEP)
    if count == 0:
        return Text(part, part)
    if count > 1:
        return None
    id_half, en_half = part.split(SEP)
    subject = _SUBJECT.match(id_half)
    if subject and en_half[:1].islower() and not en_half.startswith(subject.group(1)):
        en_half = f"{subject.group(1)} {en_half}"  # "{address} tidak dipantau / not monitored"
    return Text(id_half, en_half)


def _segmented(message: str) -> list[Text] | None:
    """The message cut at its joins, each part a pair; None if a part has two separators."""
    pieces = _JOINS.split(message)  # text, join, text, join, …
    pairs = [_pair(piece) if i % 2 == 0 else Text(piece, piece) for i, piece in enumerate(pieces)]
    return None if any(p is None for p in pairs) else [p for p in pairs if p is not None]


def split(message: str) -> Text:
    """The pair a bilingual message holds. A message without a separator is the same in
    both languages. A compound message is split part by part ("Basis data / Database:
    selesai / done"); a shared prefix stays in both ("site_dev @ web-dev: Gagal / Failed").
    One whose parts cannot all be split keeps its first separator's halves."""
    count = message.count(SEP)
    if count == 0:
        return Text(message, message)
    parts = _segmented(message)
    if parts is not None and (count > 1 or SEP in parts[-1].joined()):
        # One separator: only a shared prefix may stand outside the pair (not "…; a / b; c").
        return Text("".join(p.id for p in parts), "".join(p.en for p in parts))
    whole = _pair(message) if count == 1 else None
    if whole is not None:
        return whole
    id_half, en_half = message.split(SEP, 1)
    return Text(id_half, en_half)


def in_language(message: str | Text, lang: str) -> str:
    """`message` as a reader of `lang` reads it: one language, never both."""
    text = message if isinstance(message, Text) else split(message)
    return text.in_(lang)


def plural(count: int, one: str, many: str) -> str:
    """"1 character", "5 characters" (Indonesian does not inflect: pass the same word)."""
    return f"{count} {one if count == 1 else many}"
