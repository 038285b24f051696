"""Records and helpers shared by the certificates tests."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import re

from pypdf import PdfReader

from certificates import AuthorLine, CertificateRecord, verify_url_for

CODE = "7K3M-Q9XD-2HTP-W4RB-5"  # a valid code: its check symbol matches
BASE_URL = "https://ce.example.org"

FULL = CertificateRecord(
    code=CODE,
    participant_name="Zoë Nguyễn-O'Brien",
    licence_number="LCSW 123456",
    licence_jurisdiction="California",
    course_title="Youth Who Run from Foster Care: Push and Pull Factors and Engagement",
    course_version=3,
    completed_on=datetime.date(2026, 11, 21),
    issued_at=datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC),
    contact_hours=decimal.Decimal("1.0"),
    credit_type="General",
    format="Self-paced online course (asynchronous, self-study)",
    authors=(
        AuthorLine(name="Maria Alvarez", credentials="PhD, LCSW"),
        AuthorLine(name="Sam Okafor", credentials="MSW"),
    ),
    provider_name="Riverside Center for Child Welfare Training",
    approval_body="National Association of Social Workers (NASW)",
    approval_number="886123456-7890",
    approval_statement=(
        "This program is approved by the National Association of Social Workers "
        "(Approval # 886123456-7890) for 1 continuing education contact hour."
    ),
    verify_url=verify_url_for(BASE_URL, CODE),
    signatory_name="Dana Whitfield, LCSW",
    signatory_title="Director of Continuing Education",
)

# The least a record can hold: no licence, authors, approval or signatory.
BARE = dataclasses.replace(
    FULL,
    licence_number=None,
    licence_jurisdiction=None,
    authors=(),
    approval_body=None,
    approval_number=None,
    approval_statement=None,
    signatory_name=None,
    signatory_title=None,
)


def pdf_text(pdf: bytes) -> str:
    """Return the page text of a PDF with all runs of whitespace collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def words(text: str) -> str:
    """Collapse whitespace, for comparing text that may wrap onto several lines."""
    return re.sub(r"\s+", " ", text).strip()


def pixels_of(pdf: bytes, color: str, *, alpha: float = 1.0) -> int:
    """Count the pixels of page 1 at 72 dpi inside areas filled with a color at alpha on white."""
    import pypdfium2 as pdfium  # a test extra; the callers skip without it
    from PIL import ImageChops, ImageFilter

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    masks = []
    for band, at in zip(image.split(), (1, 3, 5), strict=True):
        # A fill at alpha over white; two steps either side allow for the renderer's rounding.
        want = 255 - alpha * (255 - int(color[at : at + 2], 16))
        masks.append(band.point(lambda value, want=want: 255 if abs(value - want) <= 2 else 0))
    both = ImageChops.logical_and(masks[0].convert("1"), masks[1].convert("1"))
    match = ImageChops.logical_and(both, masks[2].convert("1")).convert("L")
    # Only pixels whose neighbours match too: the anti-aliased rim of a dark letter can take
    # a pale color for a pixel, but never a block of them.
    return match.filter(ImageFilter.MinFilter(3)).histogram()[255]
