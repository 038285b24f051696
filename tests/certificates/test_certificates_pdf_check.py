"""Reading an uploaded certificate PDF: its fingerprint, the code it names, what is refused."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from certificates_testkit import FULL

from certificates import VoidNotice, render_pdf
from certificates.pdf_check import MAX_PDF_BYTES, PdfFileError, fingerprint, named_code, read_pdf


def test_the_code_is_read_from_the_verification_link_of_a_pdf_as_rendered() -> None:
    pdf = render_pdf(FULL)
    assert named_code(pdf) == FULL.code
    assert fingerprint(pdf) == hashlib.sha256(pdf).hexdigest()
    # A holder's copy marked REVOKED still names its certificate.
    marked = render_pdf(FULL, None, VoidNotice("REVOKED", "Revoked on December 2, 2026."))
    assert named_code(marked) == FULL.code and fingerprint(marked) != fingerprint(pdf)


def test_a_link_to_another_page_or_a_mistyped_code_names_nothing() -> None:
    assert named_code(b"%PDF-1.4 /URI (https://example.org/about)") is None
    mistyped = FULL.code[:-1] + ("Q" if FULL.code[-1] != "Q" else "R")
    assert named_code(f"%PDF-1.4 /URI (https://ce.example.org/verify/{mistyped})".encode()) is None
    other = dataclasses.replace(FULL, verify_url="https://other.example/verify/" + FULL.code)
    assert named_code(render_pdf(other)) == FULL.code  # the page checks it against the record


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "That file is empty."),
        (b"PK\x03\x04 a zip file", "That file is not a PDF."),
        (b"%PDF-1.4" + b" " * MAX_PDF_BYTES, "larger than any certificate issued here"),
    ],
)
def test_what_is_no_certificate_pdf_is_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(PdfFileError, match=words):
        read_pdf(data)
