"""Long text shrinks and wraps to stay inside the page, and nothing overlaps."""

from __future__ import annotations

import dataclasses
import io

import pytest
import segno
from certificates_testkit import BARE, FULL, pdf_text
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from certificates import AuthorLine, CertificateRecord, render_pdf
from certificates.layout import MARGIN, PAGE_HEIGHT, PAGE_WIDTH, layout_certificate

LONG_NAME = (
    "Maria de los Ángeles Guadalupe Fernández-Nguyễn Montgomery-Oyelaran "
    "Wolfeschlegelsteinhausen Bergerdorffer Van der Merwe"
)
LONG_TITLE = (
    "Youth Who Run from Foster Care: Understanding Push and Pull Factors, Recognizing the "
    "Indicators of Child Sex Trafficking, and Practising Trauma-Informed Engagement in "
    "Child Welfare and Community Teams"
)
LONG = dataclasses.replace(FULL, participant_name=LONG_NAME, course_title=LONG_TITLE)
# Everything long at once: the worst case a real deployment could produce.
EXTREME = dataclasses.replace(
    LONG,
    provider_name="The Northwestern Regional Consortium for Child Welfare Workforce "
    "Development and Continuing Professional Education, Inc.",
    authors=tuple(
        AuthorLine(f"Author Number {i} Lastname-Longername", "PhD, LCSW, MSW, CADC")
        for i in range(8)
    ),
    approval_statement=" ".join([FULL.approval_statement or ""] * 4),
    format="Self-paced online course (asynchronous, self-study), reading-based, with "
    "knowledge checks, a post-test and an evaluation",
    verify_url="https://continuing-education.child-welfare-training.example.org/"
    "programs/foster-care/verify/7K3M-Q9XD-2HTP-W4RB-5",
    signatory_name="Dr. Alexandra Konstantinopoulou-Whitfield, PhD, LCSW",
    signatory_title="Associate Director of Continuing Education and Professional Development",
)


def test_long_name_and_title_are_as_long_as_the_brief_says() -> None:
    assert len(LONG_NAME) == 120 and len(LONG_TITLE) == 200


@pytest.mark.parametrize("role", ["name", "course"])
def test_long_text_shrinks_inside_the_margins(role: str) -> None:
    layout = layout_certificate(LONG)
    lines = [item for item in layout.items if item.role == role]
    normal = [item for item in layout_certificate(BARE).items if item.role == role]
    assert lines and normal
    for item in lines:
        width = stringWidth(item.text, item.font, item.size)
        assert item.x >= MARGIN - 1e-6, item
        assert item.x + width <= PAGE_WIDTH - MARGIN + 1e-6, item
        # It did have to shrink: at the normal size the text would not fit the line.
        assert item.size < normal[0].size
    text = " ".join(item.text for item in lines)
    assert text == (LONG_NAME if role == "name" else LONG_TITLE)


def test_long_text_is_drawn_at_the_fitted_size_and_extractable() -> None:
    pdf = render_pdf(LONG)
    text = pdf_text(pdf)
    assert LONG_NAME in text and LONG_TITLE in text
    expected = {
        item.text: item.size for item in layout_certificate(LONG).items if item.role == "name"
    }
    drawn: dict[str, float] = {}

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        if text.strip() in expected:
            drawn[text.strip()] = size * tm[0]

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert drawn == pytest.approx(expected)


@pytest.mark.parametrize(
    "record", [FULL, BARE, LONG, EXTREME], ids=["full", "bare", "long", "extreme"]
)
def test_everything_inside_the_margins_and_nothing_overlaps(record: CertificateRecord) -> None:
    layout = layout_certificate(record)
    items = layout.items
    for item in items:
        right = item.x + stringWidth(item.text, item.font, item.size)
        assert MARGIN - 1e-6 <= item.x and right <= PAGE_WIDTH - MARGIN + 1e-6, item
        assert item.bottom >= 40 and item.top <= PAGE_HEIGHT - MARGIN, item
        assert item.size >= 5.5, item  # still legible in print
    boxes = [(i.x, i.bottom, i.x + i.width, i.top, i) for i in items]
    qr_x, qr_y, qr_size = layout.qr
    # Scanners need a quiet zone of 4 light modules around the symbol.
    quiet = 4 * qr_size / len(segno.make(record.verify_url, error="m", micro=False).matrix)
    boxes.append(
        (qr_x - quiet, qr_y - quiet, qr_x + qr_size + quiet, qr_y + qr_size + quiet, "QR code")
    )
    for index, (x1, y1, x2, y2, first) in enumerate(boxes):
        for a1, b1, a2, b2, second in boxes[index + 1 :]:
            overlap = min(x2, a2) - max(x1, a1) > 0.5 and min(y2, b2) - max(y1, b1) > 0.5
            assert not overlap, (first, second)


def test_extreme_record_keeps_all_its_text() -> None:
    text = pdf_text(render_pdf(EXTREME))
    for value in (
        EXTREME.provider_name,
        EXTREME.participant_name,
        EXTREME.course_title,
        EXTREME.approval_statement,
        EXTREME.signatory_title,
        "Author Number 7 Lastname-Longername, PhD, LCSW, MSW, CADC",
    ):
        assert value in text, value
    # The URL may break across two lines; every character is still there.
    assert EXTREME.verify_url in text.replace(" ", "")
