"""Every string the web pages show, one catalogue per language (Bahasa Indonesia first:
api/web/i18n_id.py, api/web/i18n_en.py), and the one language a page speaks.

Templates call `t("key")`; a key missing from a catalogue falls back to Indonesian, and a
key missing from both is shown as the key itself so that a gap is visible, not silent.
Messages that come from the workflow ("Indonesia / English" in one string) are shown in
the page's language only (`pick`). The language is kept in the `lang` cookie (set by
/lang/{code}); Indonesian by default.
"""

from __future__ import annotations

from fastapi import Request

from api.web.i18n_en import EN
from api.web.i18n_id import ID
from provisioner.domain.bilingual import in_language

__all__ = ["EN", "ID", "LANGUAGES", "LANG_COOKIE", "language", "pick", "translate"]

LANG_COOKIE = "lang"
DEFAULT_LANG = "id"
LANGUAGES = ("id", "en")
CATALOGUES: dict[str, dict[str, str]] = {"id": ID, "en": EN}


def language(request: Request) -> str:
    """The page language: the `lang` cookie when it names a known language, else Indonesian."""
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANG)
    return lang if lang in CATALOGUES else DEFAULT_LANG


def other_language(lang: str) -> str:
    """The language the switch in the header offers."""
    return "en" if lang == "id" else "id"


def translate(key: str, lang: str, **values: object) -> str:
    """The string for `key` in `lang`, falling back to Indonesian, then to the key;
    `{name}` fields are filled from `values`."""
    text = CATALOGUES.get(lang, ID).get(key) or ID.get(key) or key
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def pick(message: str, lang: str) -> str:
    """A bilingual workflow message ("Indonesia / English") in the reader's language only."""
    return in_language(message, lang)
