"""Render the reply / recommendation letter: Jinja2 → HTML → PDF (WeasyPrint).

The letter must render the same on a machine without network access, so the template
carries its CSS inline and the PDF renderer refuses to fetch any URL; fonts are the
system's DejaVu (Debian: fonts-dejavu-core).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NoReturn

import jinja2
import segno
from markupsafe import Markup

from provisioner.domain.errors import StepFailed
from provisioner.domain.letters import LetterContent, format_nip, indonesian_date, short_sha
from provisioner.domain.sop_letters import SopLetterContent

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LETTER_TEMPLATE = "letter.html.j2"
SOP_LETTER_TEMPLATE = "sop_letter.html.j2"

_STEP = "letter"
_SERVER = "pdf"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # autoescape=True rather than select_autoescape(): the template ends in ".j2", which
    # select_autoescape would not recognise as HTML. Request data must never become markup.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tanggal"] = indonesian_date
    env.filters["short_sha"] = short_sha
    env.filters["nip"] = format_nip
    env.filters["qr_svg"] = qr_svg
    return env


def qr_svg(url: str) -> Markup:
    """The URL as a QR code in inline SVG (segno, pure Python): no image file, no network.

    22 mm wide whatever the version, so phones scan it from a printed page; error level M
    survives a stamp or a fold across it.
    """
    if not url:
        return Markup("")
    qr = segno.make(url, error="m", micro=False)
    size_mm = 22
    scale = size_mm / qr.symbol_size(border=2)[0]
    svg = qr.svg_inline(scale=scale, unit="mm", border=2, title="QR verifikasi / verification")
    return Markup(svg)  # noqa: S704 - segno's own output, the URL is escaped by segno


def _fail(reason: str, exc: BaseException) -> NoReturn:
    raise StepFailed(step=_STEP, server=_SERVER, reason=reason) from exc


def render_letter_html(content: LetterContent) -> str:
    """Render the letter as one self-contained HTML document (CSS inline, no URLs)."""
    try:
        return _environment().get_template(LETTER_TEMPLATE).render(c=content)
    except jinja2.TemplateError as exc:
        _fail(f"templat surat gagal dirender / letter template failed: {exc}", exc)


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    """URL fetcher for WeasyPrint that fetches nothing: the letter is self-contained."""
    raise ValueError(f"external resource refused: {url}")


_WARM_UP_HTML = (
    '<html><body style="font-family: DejaVu Sans, sans-serif">'
    "<p>Surat <b>uji</b> / test</p></body></html>"
)


def warm_up() -> None:
    """Import WeasyPrint and set up its fonts by rendering a one-line page, so the first
    letter of a worker does not pay for it (~1 s); a worker calls this when it starts.
    A failure here is left for the letter step to report."""
    try:
        import weasyprint

        weasyprint.HTML(string=_WARM_UP_HTML, url_fetcher=_refuse_fetch).write_pdf()
    except Exception:  # noqa: BLE001, S110 - the letter step reports a broken WeasyPrint
        pass


def render_letter_pdf(content: LetterContent) -> bytes:
    """Render the letter to an A4 PDF (one page when the content fits) and return its bytes.

    Raises StepFailed(step="letter", server="pdf") when WeasyPrint or its system libraries
    (Pango, HarfBuzz) fail.
    """
    html = render_letter_html(content)
    try:
        # Imported here: the import alone costs ~0.5 s, which the API and CLI should not
        # pay at start-up when they never render a letter.
        import weasyprint
    except (ImportError, OSError) as exc:
        _fail(
            "WeasyPrint tidak dapat dimuat; pasang libpango-1.0-0 libpangoft2-1.0-0 "
            f"libharfbuzz-subset0 fonts-dejavu-core / WeasyPrint cannot load: {exc}",
            exc,
        )
    try:
        document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
        pdf = document.write_pdf()
    # WeasyPrint has no common error base (it raises from Pango, pydyf, fontTools, ...);
    # whatever it raises, no letter was made, and the job must record why.
    except Exception as exc:  # noqa: BLE001
        _fail(f"PDF surat gagal dibuat / letter PDF failed: {type(exc).__name__}: {exc}", exc)
    if not pdf:
        raise StepFailed(step=_STEP, server=_SERVER, reason="PDF kosong / empty PDF")
    return bytes(pdf)


def render_sop_letter_html(content: SopLetterContent) -> str:
    """Render an SOP letter (refusal, invitation, berita acara, ...) as one self-contained
    HTML document, in the form of the reply letter."""
    try:
        return _environment().get_template(SOP_LETTER_TEMPLATE).render(c=content)
    except jinja2.TemplateError as exc:
        _fail(f"templat surat gagal dirender / letter template failed: {exc}", exc)


def render_sop_letter_pdf(content: SopLetterContent) -> bytes:
    """Render an SOP letter to an A4 PDF; failures as `render_letter_pdf`'s."""
    html = render_sop_letter_html(content)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        _fail(
            "WeasyPrint tidak dapat dimuat; pasang libpango-1.0-0 libpangoft2-1.0-0 "
            f"libharfbuzz-subset0 fonts-dejavu-core / WeasyPrint cannot load: {exc}",
            exc,
        )
    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    except Exception as exc:  # noqa: BLE001 - as in render_letter_pdf
        _fail(f"PDF surat gagal dibuat / letter PDF failed: {type(exc).__name__}: {exc}", exc)
    if not pdf:
        raise StepFailed(step=_STEP, server=_SERVER, reason="PDF kosong / empty PDF")
    return bytes(pdf)
