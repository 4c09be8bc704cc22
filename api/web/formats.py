"""How the pages write times and durations: in the agency's zone with its name, durations
in minutes, hours or days as fits, months by name (no I/O here)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
_UNITS: dict[str, dict[str, str | tuple[str, str]]] = {
    "id": {"lt": "kurang dari 1 menit", "min": "menit", "h": "jam", "d": "hari"},
    "en": {"lt": "under 1 minute", "min": ("minute", "minutes"), "h": ("hour", "hours"),
           "d": ("day", "days")},
}  # fmt: skip
_UTC_FORMATS = ("%Y-%m-%d %H:%M UTC", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z")


def zone_name(tz: str) -> str:
    """The zone as Indonesians name it (WIB, WITA, WIT), else its own abbreviation."""
    return ZONE_NAMES.get(tz) or datetime.now(ZoneInfo(tz)).tzname() or tz


def parse_utc(when: datetime | str | None) -> datetime | None:
    """A stored time, also one kept as text ("2026-12-01 08:00 UTC", ISO 8601)."""
    if when is None or isinstance(when, datetime):
        return when
    text = when.strip()
    for fmt in _UTC_FORMATS:
        try:
            parsed = datetime.strptime(text.replace("Z", "+0000"), fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def local_time(when: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (UTC; naive means UTC) as the agency reads it: "2026-11-30 08:15 WITA"."""
    if when is None:
        return "–"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(ZoneInfo(tz))
    return f"{local.strftime(fmt)} {ZONE_NAMES.get(tz, local.tzname() or tz)}"


def minutes_since(when: datetime | None, now: datetime | None = None) -> float | None:
    """How long ago `when` was, in minutes (naive means UTC)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - when).total_seconds() / 60


def _unit(lang: str, unit: str, count: int) -> str:
    word = _UNITS.get(lang, _UNITS["id"])[unit]
    if isinstance(word, tuple):
        word = word[0] if count == 1 else word[1]
    return f"{count} {word}"


def duration(minutes: float | None, lang: str) -> str:
    """A duration as people say it: "kurang dari 1 menit", "36 menit", "2 jam 5 menit",
    "3 hari 4 jam" (English: "1 hour 5 minutes")."""
    if minutes is None:
        return "–"
    whole = round(minutes)
    if whole < 1:
        return str(_UNITS.get(lang, _UNITS["id"])["lt"])
    if whole < 60:
        return _unit(lang, "min", whole)
    if whole < 24 * 60:
        hours, rest = divmod(whole, 60)
        return _unit(lang, "h", hours) + (f" {_unit(lang, 'min', rest)}" if rest else "")
    days, rest = divmod(whole, 24 * 60)
    hours = round(rest / 60)
    return _unit(lang, "d", days) + (f" {_unit(lang, 'h', hours)}" if hours else "")


def month_name(year_month: str, lang: str) -> str:
    """ "2026-11" as "November 2026"."""
    try:
        year, month = (int(part) for part in year_month.split("-", 1))
        return f"{MONTHS.get(lang, MONTHS['id'])[month - 1]} {year}"
    except (ValueError, IndexError):
        return year_month
