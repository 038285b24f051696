"""The certificate names whom to ask about it, and a pasted verification address reads
as its code."""

from __future__ import annotations

import dataclasses

import pytest
import segno
from certificates_testkit import BARE, BASE_URL, CODE, FULL, pdf_text
from reportlab.pdfbase.pdfmetrics import stringWidth
from test_certificates_layout import EXTREME

from certificates import codes, normalize_code, render_pdf, verify_url_for
from certificates.layout import MARGIN, PAGE_HEIGHT, PAGE_WIDTH, layout_certificate

CONTACT = "ce-records@riverside.example.org"
LONG_CONTACT = (
    "Continuing Education Records Office, +1 (555) 010-0199, "
    "https://continuing-education.child-welfare-training.example.org/contact/certificates"
)


def test_the_certificate_prints_the_providers_contact() -> None:
    text = pdf_text(render_pdf(dataclasses.replace(FULL, provider_contact=CONTACT)))
    assert f"Contact: {CONTACT}" in text


def test_no_contact_line_without_a_contact() -> None:
    assert "Contact:" not in pdf_text(render_pdf(BARE))


@pytest.mark.parametrize("record", [FULL, BARE, EXTREME], ids=["full", "bare", "extreme"])
def test_a_long_contact_fits_inside_the_margins_without_overlap(record) -> None:
    layout = layout_certificate(dataclasses.replace(record, provider_contact=LONG_CONTACT))
    printed = " ".join(i.text for i in layout.items if i.role == "provider_contact")
    assert printed == f"Contact: {LONG_CONTACT}"
    for item in layout.items:
        right = item.x + stringWidth(item.text, item.font, item.size)
        assert MARGIN - 1e-6 <= item.x and right <= PAGE_WIDTH - MARGIN + 1e-6, item
        assert item.bottom >= 40 and item.top <= PAGE_HEIGHT - MARGIN, item
        assert item.size >= 5.5, item
    qr_x, qr_y, size = layout.qr
    quiet = 4 * size / len(segno.make(record.verify_url, error="m", micro=False).matrix)
    boxes = [(i.x, i.bottom, i.x + i.width, i.top, i) for i in layout.items]
    boxes.append((qr_x - quiet, qr_y - quiet, qr_x + size + quiet, qr_y + size + quiet, "QR"))
    for n, (x1, y1, x2, y2, first) in enumerate(boxes):
        for a1, b1, a2, b2, second in boxes[n + 1 :]:
            overlap = min(x2, a2) - max(x1, a1) > 0.5 and min(y2, b2) - max(y1, b1) > 0.5
            assert not overlap, (first, second)


STAR = codes._code_from_bits((1 << 80) - 2)  # an older code whose check symbol is "*"


@pytest.mark.parametrize(
    "pasted, expected",
    [
        (verify_url_for(BASE_URL, CODE), CODE),
        (f"  {verify_url_for(BASE_URL, CODE)}/  ", CODE),
        (f"{verify_url_for(BASE_URL, CODE)}?utm_source=mail#top", CODE),
        (verify_url_for(BASE_URL, STAR), STAR),  # the "*" arrives as "%2A"
        (f"{BASE_URL}/verify/{CODE.lower()}", CODE),
    ],
)
def test_a_pasted_verification_address_reads_as_its_code(pasted: str, expected: str) -> None:
    assert normalize_code(pasted) == expected


def test_a_pasted_address_still_needs_a_well_formed_code() -> None:
    assert normalize_code(f"{BASE_URL}/verify/{CODE[:-1]}Z") is None  # the check fails
    assert normalize_code(f"{BASE_URL}/verify/") is None
    assert normalize_code(f"{BASE_URL}/{'x' * 600}/verify/{CODE}") is None  # too long
