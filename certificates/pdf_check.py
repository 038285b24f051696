"""A certificate PDF a board was handed: is it the file issued, and which code it names."""

from __future__ import annotations

import hashlib
import re

from .codes import normalize_code

#: Issued PDFs are tens of kilobytes; a file this large is no certificate of ours.
MAX_PDF_BYTES = 2 * 1024 * 1024
# The verification link's action, as the PDF writes it: "/URI (https://host/verify/CODE)".
# A program that saves the file again may pack it into a compressed stream, out of sight.
_LINK = re.compile(rb"/URI\s*\(([^()\\]{1,300})\)")


class PdfFileError(ValueError):
    """The upload is not a PDF file this check can read."""


def read_pdf(data: bytes) -> bytes:
    """Return the bytes of an uploaded PDF, or raise PdfFileError saying what is wrong."""
    if not data:
        raise PdfFileError("That file is empty. Choose the certificate's PDF file.")
    if len(data) > MAX_PDF_BYTES:
        raise PdfFileError("That file is larger than any certificate issued here (2 MB at "
                           "most). Choose the certificate's PDF file.")
    if b"%PDF-" not in data[:1024]:  # the header may follow a little junk, as readers allow
        raise PdfFileError("That file is not a PDF. Choose the certificate's PDF file.")
    return data


def fingerprint(data: bytes) -> str:
    """The file's SHA-256, as stored for every certificate issued."""
    return hashlib.sha256(data).hexdigest()


def named_code(data: bytes) -> str | None:
    """The certificate code the file's verification link names, when it can be read."""
    for match in _LINK.finditer(data):
        address = match[1].decode("latin-1")
        _, found, tail = address.rpartition("/verify/")
        if found and (code := normalize_code(tail)):
            return code
    return None
