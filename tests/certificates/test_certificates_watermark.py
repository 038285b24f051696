"""The word across a sample or void certificate is a shape: seen, but never read as text."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from certificates_testkit import FULL, pdf_text, pixels_of
from PIL import Image, ImageChops, ImageFilter
from reportlab.pdfgen.canvas import Canvas

from certificates import VoidNotice, render_pdf
from certificates.fonts import BOLD, register_fonts
from certificates.layout import SAMPLE_RED
from certificates.outlines import draw_centred_outline
from certificates.pdf import VOID_ALPHA, WATERMARK

NAME = "María José Fernández"
NOTICE = VoidNotice("REVOKED", "This certificate was revoked on March 3, 2026 and no longer"
                    " certifies completion. Check its status at https://ce.example.org/v.")
SAMPLE_PDF = render_pdf(dataclasses.replace(FULL, sample=True, participant_name=NAME))
VOID_PDF = render_pdf(dataclasses.replace(FULL, participant_name=NAME), None, NOTICE)
MARKED = pytest.mark.parametrize(
    ("pdf", "word"), [(SAMPLE_PDF, "SAMPLE"), (VOID_PDF, "REVOKED")], ids=["sample", "void"]
)


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    """The text poppler reads from the page, in its reading order (as copy-paste gives it)."""
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is not installed (apt-get install poppler-utils)",
)
@MARKED
def test_the_text_reads_in_order_with_no_letters_of_the_watermark(
    pdf: bytes, word: str, tmp_path: Path
) -> None:
    # A screen reader or a copy-paste follows the text layer; letters of a diagonal word
    # scattered through it break the sentence a reader hears (WCAG 1.3.2).
    lines = [line.strip() for line in pdftotext(pdf, tmp_path).splitlines() if line.strip()]
    lone = [line for line in lines if len(line) == 1]
    assert not lone, f"stray letters in the text layer: {lone}"
    heading = lines.index("Certificate of Completion")
    assert lines[heading + 1 : heading + 3] == ["This certifies that", NAME]


@MARKED
def test_the_watermark_word_is_not_text(pdf: bytes, word: str) -> None:
    text = pdf_text(pdf)
    # A void certificate names its state once, in words, in the box above the record.
    assert text.count(word) == (1 if word == "REVOKED" else 0)
    assert "Certificate of Completion This certifies that " + NAME in text


@MARKED
def test_the_watermark_is_still_drawn_across_the_page(pdf: bytes, word: str) -> None:
    pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterizes the PDF")
    color, alpha = (WATERMARK, 1.0) if word == "SAMPLE" else (SAMPLE_RED, VOID_ALPHA)
    # Letters 120 to 150 points high fill some 20,000 pixels at 72 dpi, as the text did.
    assert pixels_of(pdf, color, alpha=alpha) > 15_000
    assert pixels_of(render_pdf(FULL), color, alpha=alpha) == 0


@pytest.mark.parametrize("word", ["SAMPLE", "REPLACED", "Zoë Nguyễn-O'Brien"])
def test_the_outlines_look_as_the_text_did(word: str) -> None:
    # The same word drawn both ways in one rotated frame covers the same pixels: accented
    # letters are composite glyphs, and the font's curves are quadratic, PDF's cubic.
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterizes the PDF")

    def page(draw: Callable[[Canvas], None]) -> Image.Image:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=(792, 612), invariant=1)
        canvas.translate(396, 306)
        canvas.rotate(24)
        draw(canvas)
        canvas.showPage()
        canvas.save()
        document = pdfium.PdfDocument(buffer.getvalue())
        try:
            return document[0].render(scale=2).to_pil().convert("L")
        finally:
            document.close()

    def as_text(canvas: Canvas) -> None:
        canvas.setFont(BOLD, 120)
        canvas.drawCentredString(0, -40, word)

    def ink(image: Image.Image, spread: int = 1) -> Image.Image:
        """The dark pixels, grown by spread-1 pixels each way."""
        dark = image.point(lambda value: 255 if value < 128 else 0)
        return dark.filter(ImageFilter.MaxFilter(spread)) if spread > 1 else dark

    register_fonts()
    text = page(as_text)
    shapes = page(lambda canvas: draw_centred_outline(canvas, 0, -40, word, BOLD, 120))
    inked = ink(text).histogram()[255]
    assert inked > 20_000  # the word was drawn, large
    # pdfium snaps a text glyph to the pixel grid, where a path lies where it falls: allow
    # one pixel (half a point) each way, and a few pixels more where the two roundings add.
    stray = ImageChops.subtract(ink(text), ink(shapes, 3)).histogram()[255]
    missing = ImageChops.subtract(ink(shapes), ink(text, 3)).histogram()[255]
    assert stray + missing < inked / 1000, "the outlines stray from where the text was"
