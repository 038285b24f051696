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
