"""Small PDFs made for the upload tests: a real one (pypdf writes it), and the look-alikes
an upload check must refuse."""

from __future__ import annotations

import io

from pypdf import PdfWriter


def one_page_pdf(*, password: str | None = None) -> bytes:
    """A real, parseable A4 PDF of one blank page (encrypted when `password` is given)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pageless_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


# A web page with a PDF header and end marker: what sniffing `%PDF-` … `%%EOF` let through.
HTML_POLYGLOT = (
    b"%PDF-1.7\n<!DOCTYPE html><html><body><script>fetch('/api/v1/admin/users')</script>"
    b"</body></html>\n%%EOF\n"
)
# The old tests' stand-in: a header, an empty object and a trailer without a catalogue.
HEADER_ONLY = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def incremental_update(pdf: bytes, note: str = "TTE BSrE") -> bytes:
    """`pdf` with an incremental update appended, as a signing tool (BSrE's TTE) appends
    its signature: the original bytes stay as they were, a new revision follows them."""
    from pypdf import PdfReader

    writer = PdfWriter(PdfReader(io.BytesIO(pdf)), incremental=True)
    writer.add_metadata({"/Keywords": note})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
