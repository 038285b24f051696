"""Sample certificates say so in words; authors carry a role; a signature scan is drawn."""

from __future__ import annotations

import dataclasses
import io

import pytest
from certificates_testkit import BARE, FULL, pdf_text, pixels_of
from PIL import Image
from pypdf import PdfReader

from certificates import (
    AuthorLine,
    CertificateRecord,
    Issuer,
    generate_signing_key,
    issue_credential,
    render_pdf,
)
from certificates.layout import MARGIN, PAGE_WIDTH, layout_certificate
from certificates.pdf import WATERMARK

SAMPLE = "Sample, not valid for continuing-education credit"
SAMPLE_RECORD = dataclasses.replace(FULL, sample=True, provider_contact="ce@example.org")


def test_a_sample_certificate_says_so_in_words_above_the_provider() -> None:
    text = pdf_text(render_pdf(SAMPLE_RECORD))
    assert SAMPLE in text
    assert text.index(SAMPLE) < text.index(FULL.provider_name)
    roles = [item.role for item in layout_certificate(SAMPLE_RECORD).items]
    assert roles.index("sample") < roles.index("provider")


def test_a_sample_pdf_names_itself_a_sample_in_its_metadata() -> None:
    info = PdfReader(io.BytesIO(render_pdf(SAMPLE_RECORD))).metadata
    assert info.title.startswith(SAMPLE) and SAMPLE in info.subject


@pytest.mark.parametrize("record", [FULL, BARE], ids=["full", "bare"])
def test_a_real_certificate_has_no_sample_notice_or_watermark(record: CertificateRecord) -> None:
    pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterizes the PDF")
    pdf = render_pdf(record)
    text = pdf_text(pdf)
    assert "Sample" not in text and "SAMPLE" not in text
    # The watermark is drawn as shapes, not text: look for its color on the page.
    assert pixels_of(pdf, WATERMARK) == 0 < pixels_of(render_pdf(SAMPLE_RECORD), WATERMARK)


def test_the_sample_notice_fits_inside_the_margins() -> None:
    for item in layout_certificate(SAMPLE_RECORD).items:
        assert MARGIN - 1e-6 <= item.x and item.x + item.width <= PAGE_WIDTH - MARGIN + 1e-6


def test_a_sample_credential_says_so_in_its_name_and_description() -> None:
    key = generate_signing_key()
    issuer = Issuer(id="did:web:ce.example.org", name="X", url="https://ce.example.org")
    document = issue_credential(SAMPLE_RECORD, issuer=issuer, private_pem=key)
    assert document["name"].startswith(SAMPLE) and document["description"].startswith(SAMPLE)
    assert document["credentialSubject"]["achievement"]["description"].startswith(SAMPLE)
    # Said in words only: a property outside the Open Badges terms would go unsigned.
    assert "sample" not in document
    real = issue_credential(FULL, issuer=issuer, private_pem=key)
    assert SAMPLE not in real["name"] and SAMPLE not in real["description"]
    # A wallet showing only the figure would read a sample's hours as credit earned.
    assert "creditsEarned" not in document["credentialSubject"]
    assert real["credentialSubject"]["creditsEarned"] == float(FULL.contact_hours)


def test_sample_status_contact_and_author_roles_round_trip_through_the_snapshot() -> None:
    record = dataclasses.replace(
        SAMPLE_RECORD,
        authors=(AuthorLine("Maria Alvarez", "PhD, LCSW", "Lead author"), AuthorLine("Sam", "")),
    )
    data = record.to_dict()
    assert data["sample"] is True and data["provider_contact"] == "ce@example.org"
    assert data["authors"] == [
        {"name": "Maria Alvarez", "credentials": "PhD, LCSW", "role": "Lead author"},
        {"name": "Sam", "credentials": ""},
    ]
    assert CertificateRecord.from_dict(data) == record


def test_a_snapshot_from_before_samples_existed_reads_as_it_was_issued() -> None:
    data = FULL.to_dict()
    del data["sample"], data["provider_contact"]
    again = CertificateRecord.from_dict(data)
    assert again.sample is False and again.provider_contact is None


def test_sample_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="sample"):
        dataclasses.replace(FULL, sample="yes")


def test_an_author_role_is_printed_after_the_credentials() -> None:
    author = AuthorLine("Maria Alvarez", "PhD, LCSW", "Content reviewer")
    assert author.display() == "Maria Alvarez, PhD, LCSW (Content reviewer)"
    record = dataclasses.replace(FULL, authors=(author,))
    assert "Maria Alvarez, PhD, LCSW (Content reviewer)" in pdf_text(render_pdf(record))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_signature_scan_is_drawn_once_and_rendering_stays_reproducible(fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 120), "white").save(buffer, format=fmt)
    pdf = render_pdf(FULL, buffer.getvalue())
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1
    assert render_pdf(FULL, buffer.getvalue()) == pdf
    assert len(PdfReader(io.BytesIO(render_pdf(FULL))).pages[0].images) == 0
