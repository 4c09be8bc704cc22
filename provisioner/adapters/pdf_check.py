"""Is an uploaded file really a PDF? Parsed with pypdf, not sniffed: a file that only starts
with `%PDF-` (an HTML page behind a PDF header, a truncated scan) is refused, and so is one
that is encrypted with a password we do not have or has no page.

The one check for every upload (the request letter's scan, the TTE-signed letter of record,
a letter to compare on the verification page).
"""

from __future__ import annotations

import io

from pypdf import PasswordType, PdfReader

from provisioner.domain.errors import InvalidInput

NOT_A_PDF = "Berkas bukan PDF yang dapat dibaca / The file is not a readable PDF"


def check_pdf(data: bytes, *, max_bytes: int, field: str = "file") -> int:
    """Refuse (InvalidInput on `field`) anything larger than `max_bytes` or that does not
    parse as a PDF of at least one page; return the number of pages."""
    if len(data) > max_bytes:
        limit = _size(max_bytes)
        raise InvalidInput(
            field, f"Berkas terlalu besar (maks. {limit}) / File too large (max {limit})"
        )
    # The header must open the file: readers (and browsers) that find it further in would
    # take whatever comes before it for something else.
    if not data.startswith(b"%PDF-"):
        raise InvalidInput(field, NOT_A_PDF)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise InvalidInput(
                field,
                "PDF terkunci kata sandi; unggah tanpa kata sandi / "
                "The PDF is password-protected; upload it without a password",
            )
        if reader.trailer.get("/Root") is None:
            raise InvalidInput(field, NOT_A_PDF)
        pages = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # noqa: B018 - a page without a readable size is broken
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001 - a hostile file can break the parser anywhere
        raise InvalidInput(field, NOT_A_PDF) from None
    if pages < 1:
        raise InvalidInput(field, "PDF tidak berisi halaman / The PDF has no page")
    return pages


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MB" if n >= mib and n % mib == 0 else f"{n // 1024} KiB"
