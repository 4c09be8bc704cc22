"""The letters an SOP issues at its outcomes, in the Tata Naskah Dinas form of the reply letter.

Pure: no I/O. The workflow gathers `SopLetterFacts`, numbers the letter and calls `compose`;
the PDF adapter only renders the `SopLetterContent`. The body is formal Indonesian and says
only what the facts say (no subdomain without an fqdn, no hosting unless recommended).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from provisioner.domain.bilingual import Text
from provisioner.domain.errors import InvalidInput
from provisioner.domain.letters import indonesian_date
from provisioner.domain.sop import LetterKind


@dataclass(frozen=True)
class Letterhead:
    government_name: str  # "Pemerintah Kabupaten Demo"
    agency_name: str  # "Dinas Komunikasi dan Informatika Kabupaten Demo"
    agency_short: str
    agency_address: str
    place: str  # where letters are issued: "Demo"
    signer_name: str
    signer_position: str
    signer_rank: str
    signer_nip: str

    @property
    def letterhead_agency(self) -> str:
        """The agency line without the region the government line already names."""
        region = self.government_name.removeprefix("Pemerintah ").strip()
        name = self.agency_name.strip()
        if region and name.lower().endswith(" " + region.lower()):
            name = name[: -len(region) - 1].rstrip()
        return name.upper()


@dataclass(frozen=True)
class SopLetterFacts:
    kind: LetterKind
    request_title: str  # the application or subdomain asked for
    agency: str  # the requesting OPD, e.g. "Dinas Kesehatan"
    request_letter_number: str
    request_letter_date: date | None
    sop_name: str  # the SOP's Indonesian name
    reason: str = ""  # refusal / not needed: the recorded note
    fqdn: str | None = None  # subdomain recommended, if any
    hosting: bool = False  # hosting recommended too
    event_at: datetime | None = None  # invitation: when the presentation takes place (aware)
    event_place: str = ""
    assignees: tuple[str, ...] = ()  # assignment: people assigned
    findings: tuple[tuple[str, str], ...] = ()  # (label, value)
    decision: str = ""  # evaluation / berita acara: the decision in words
    carbon_copies: tuple[str, ...] = ()


@dataclass(frozen=True)
class SopLetterContent:
    """Everything the SOP letter template shows."""

    kind: LetterKind
    number: str
    issued_on: date
    subject: str  # hal
    nature: str  # sifat
    attachments: str  # lampiran
    addressee: str
    addressee_place: str
    paragraphs: tuple[str, ...]
    findings: tuple[tuple[str, str], ...]
    letterhead: Letterhead
    verification_code: str
    verification_url: str
    carbon_copies: tuple[str, ...]
    acknowledged_by: str | None  # berita acara: who signs the second column

    @property
    def findings_after(self) -> int:
        """The paragraph the findings table follows: the first ending in ":", else the last
        before the closing."""
        for i, paragraph in enumerate(self.paragraphs):
            if paragraph.endswith(":"):
                return i
        return max(len(self.paragraphs) - 2, 0)


# Per kind: the code in its number, the subject before the title, what the findings are.
_KINDS: dict[LetterKind, tuple[str, str, str]] = {
    LetterKind.REPLY: ("BLS", "Balasan Permohonan", "hasil pemeriksaan"),
    LetterKind.REFUSAL: ("TLK", "Penolakan Permohonan", "hasil kajian"),
    LetterKind.INVITATION: ("UND", "Undangan Paparan Usulan", ""),
    LetterKind.RECOMMENDATION: ("REK", "Rekomendasi", "hasil kajian"),
    LetterKind.ASSIGNMENT: ("TGS", "Penunjukan Petugas", "ruang lingkup penugasan"),
    LetterKind.BERITA_ACARA: ("BA", "Berita Acara Serah Terima", "rincian serah terima"),
    LetterKind.EVALUATION: ("EVL", "Hasil Evaluasi", "hasil evaluasi"),
}
DEFAULT_PATTERNS: dict[LetterKind, str] = {
    kind: "{klasifikasi}/{nomor:03d}/{unit}-" + code + "/{bulan_romawi}/{tahun}"
    for kind, (code, _, _) in _KINDS.items()
}
_CLOSINGS = {
    LetterKind.INVITATION: "Demikian undangan ini kami sampaikan. Atas perhatian dan kehadiran "
    "Saudara, kami ucapkan terima kasih.",
    LetterKind.ASSIGNMENT: "Demikian surat penunjukan ini dibuat untuk dilaksanakan dengan "
    "penuh tanggung jawab.",
    LetterKind.BERITA_ACARA: "Demikian Berita Acara ini dibuat dengan sebenarnya untuk "
    "dipergunakan sebagaimana mestinya.",
}
_THANKS = "Demikian kami sampaikan. Atas perhatian dan kerja sama Saudara, kami ucapkan terima " \
    "kasih."
_DECISIONS = {  # an evaluation's outcome (key or Indonesian name) in words
    ("continue", "lanjutkan"): "pemanfaatan {app} dinyatakan dapat dilanjutkan.",
    ("improve", "perbaiki"): "{app} dinyatakan perlu diperbaiki; kami mohon Saudara "
    "menindaklanjuti hasil evaluasi tersebut.",
    ("retire", "hentikan"): "pemanfaatan {app} dinyatakan dihentikan.",
}
_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
          "Asia/Jayapura": "WIT"}
_ONES = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
         "sepuluh", "sebelas")
_SCALES = ((1000, "ribu", "seribu"), (100, "ratus", "seratus"), (10, "puluh", ""))


def counter_name(kind: LetterKind, year: int) -> str:
    """The serial counter of a kind of SOP letter: numbers run per kind per year."""
    return f"sop-letter:{kind.value}:{year}"


def terbilang(n: int) -> str:
    """A number in Indonesian words, as a berita acara writes its date: 23 → "dua puluh tiga"."""
    if n < 12:
        return _ONES[n]
    if n < 20:
        return f"{terbilang(n - 10)} belas"
    size, word, one = next(t for t in _SCALES if n >= t[0])
    head, rest = divmod(n, size)
    lead = one if head == 1 and one else f"{terbilang(head)} {word}"
    return f"{lead} {terbilang(rest)}".strip()


def zone_abbreviation(when: datetime) -> str:
    """WIB / WITA / WIT for Indonesia's zones, else the UTC offset ("UTC+5.30")."""
    name = getattr(when.tzinfo, "key", None) or ""
    if name in _ZONES:
        return _ZONES[name]
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f".{rest:02d}" if rest else "")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def _app(title: str, word: str = "aplikasi") -> str:
    return title if title.lower().startswith("aplikasi") else f"{word} {title}"


def _names(items: tuple[str, ...]) -> str:
    items = tuple(" ".join(i.split()) for i in items if i.strip())
    if len(items) <= 2:
        return " dan ".join(items)
    return "; ".join(items[:-1]) + "; dan " + items[-1]


def _reference(f: SopLetterFacts, whose: str) -> str:
    if not f.request_letter_number:
        return f"permohonan {whose} perihal {f.request_title}"
    ref = f"surat {whose} Nomor {f.request_letter_number}"
    if f.request_letter_date is not None:
        ref += f" tanggal {indonesian_date(f.request_letter_date)}"
    return f"{ref} perihal permohonan {f.request_title}"


def _schedule(f: SopLetterFacts) -> tuple[tuple[str, str], ...]:
    when = f.event_at
    if when is None or when.utcoffset() is None or not f.event_place.strip():
        raise InvalidInput("event_at", Text(
            "undangan perlu waktu paparan (dengan zona waktu) dan tempatnya",
            "an invitation needs the presentation's time (with its time zone) and place"))
    return (
        ("Hari/tanggal", f"{_DAYS[when.weekday()]}, {indonesian_date(when.date())}"),
        ("Pukul", f"{when:%H.%M} {zone_abbreviation(when)} s.d. selesai"),
        ("Tempat", f.event_place.strip()),
        ("Acara", f"Paparan usulan {f.request_title}"),
    )


def _body(f: SopLetterFacts, lh: Letterhead, issued_on: date) -> list[str]:
    """The paragraphs before the findings and the closing, per kind."""
    app, sop = _app(f.request_title), f"sesuai Standar Operasional Prosedur {f.sop_name}"
    if f.kind is LetterKind.REFUSAL:
        note = _sentence(f.reason)
        reason = f" dengan alasan sebagai berikut: {note}" if note else "."
        return [f"Sehubungan dengan {_reference(f, 'Saudara')}, setelah kami pelajari {sop}, "
                f"dengan ini kami sampaikan bahwa kami menolak permohonan tersebut{reason}"]
    if f.kind is LetterKind.INVITATION:
        return [f"Sehubungan dengan {_reference(f, 'Saudara')}, dengan ini kami mengundang "
                "Saudara untuk memaparkan usulan tersebut, yang akan dilaksanakan pada:"]
    extras = ((f"pembuatan subdomain {f.fqdn}",) if f.fqdn else ()) + (
        ("penyediaan layanan hosting",) if f.hosting else ())
    including = f", termasuk {_names(extras)}" if extras else ""
    if f.kind is LetterKind.RECOMMENDATION:
        return [f"Sehubungan dengan {_reference(f, 'Saudara')}, setelah dilakukan kajian "
                f"{sop}, dengan ini kami merekomendasikan {f.request_title} yang diajukan "
                f"oleh {f.agency}{including}."]
    if f.kind is LetterKind.ASSIGNMENT:
        return [f"Sehubungan dengan {_reference(f, 'Saudara')}, dengan ini kami menunjuk "
                f"{_names(f.assignees) or 'petugas'} sebagai petugas pelaksana {sop} "
                "atas permohonan tersebut."]
    if f.kind is LetterKind.BERITA_ACARA:
        day = (f"{_DAYS[issued_on.weekday()]} tanggal {terbilang(issued_on.day)} bulan "
               f"{indonesian_date(issued_on).split()[1]} tahun {terbilang(issued_on.year)}")
        return [f"Pada hari ini, {day} ({indonesian_date(issued_on)}), bertempat di {lh.place}, "
                f"{lh.agency_name} telah menyerahkan {app} kepada {f.agency} sebagai tindak "
                f"lanjut {_reference(f, f.agency)}, {sop}."]
    if f.kind is LetterKind.EVALUATION:
        return [f"Sebagai tindak lanjut {_reference(f, 'Saudara')}, telah kami laksanakan "
                f"evaluasi atas pemanfaatan {app} oleh {f.agency} {sop}."]
    return [f"Menindaklanjuti {_reference(f, 'Saudara')}, bersama ini kami sampaikan bahwa "
            f"permohonan tersebut telah kami tindak lanjuti {sop}{including}."]  # reply


def _decision(f: SopLetterFacts) -> str | None:
    text = " ".join(f.decision.split())
    if not text:
        return None
    mapped = next((v for k, v in _DECISIONS.items() if text.lower() in k), None)
    if f.kind is LetterKind.EVALUATION:
        said = mapped.format(app=_app(f.request_title)) if mapped else _sentence(text)
        why = f" Pertimbangannya: {_sentence(f.reason)}" if f.reason.strip() else ""
        return f"Berdasarkan hasil evaluasi tersebut, {said}{why}"
    return _sentence(text)


def compose(
    facts: SopLetterFacts, *, number: str, issued_on: date, verification_code: str,
    verification_url: str, letterhead: Letterhead,
) -> SopLetterContent:
    """The letter of `facts.kind` built from the facts: subject, body and findings."""
    f = facts
    findings = _schedule(f) if f.kind is LetterKind.INVITATION else ()
    paragraphs = _body(f, letterhead, issued_on)
    if f.findings and f.kind is not LetterKind.INVITATION:
        paragraphs.append(f"Adapun {_KINDS[f.kind][2]} adalah sebagai berikut:")
    findings += tuple((str(label), str(value)) for label, value in f.findings)
    decision = _decision(f)
    if decision:
        paragraphs.append(decision)
    paragraphs.append(_CLOSINGS.get(f.kind, _THANKS))
    berita_acara = f.kind is LetterKind.BERITA_ACARA
    title = _app(f.request_title, "Aplikasi") if berita_acara else f.request_title
    return SopLetterContent(
        kind=f.kind, number=number, issued_on=issued_on,
        subject=f"{_KINDS[f.kind][1]} {title}", nature="Biasa", attachments="-",
        addressee=f"Kepala {f.agency}", addressee_place=letterhead.place,
        paragraphs=tuple(paragraphs), findings=findings, letterhead=letterhead,
        verification_code=verification_code, verification_url=verification_url,
        carbon_copies=tuple(f.carbon_copies),
        acknowledged_by=f"Kepala {f.agency}" if berita_acara else None,
    )


def content_to_data(c: SopLetterContent) -> dict[str, object]:
    """The content as JSON-ready data (kept with the letter; `content_from_data` inverts)."""
    data: dict[str, object] = json.loads(json.dumps(asdict(c), default=date.isoformat))
    return data


def content_from_data(data: dict[str, object]) -> SopLetterContent:
    """Inverse of `content_to_data`."""
    values = {f.name: data[f.name] for f in fields(SopLetterContent) if f.name in data}
    head, rows = values["letterhead"], values.get("findings") or []
    assert isinstance(head, dict) and isinstance(rows, list)
    values["kind"] = LetterKind(str(values["kind"]))
    values["issued_on"] = date.fromisoformat(str(values["issued_on"]))
    values["letterhead"] = Letterhead(**{k: str(v) for k, v in head.items()})
    values["findings"] = tuple((str(label), str(value)) for label, value in rows)
    for key in ("paragraphs", "carbon_copies"):
        values[key] = tuple(str(x) for x in values.get(key) or ())  # type: ignore[attr-defined]
    return SopLetterContent(**values)  # type: ignore[arg-type]


def sop_letter_digest(c: SopLetterContent) -> str:
    """SHA-256 of the content without the verification fields, for `verification_code`."""
    data = content_to_data(c)
    data.pop("verification_code")
    data.pop("verification_url")
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
