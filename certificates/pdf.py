"""Render a certificate record as a one-page, byte-reproducible PDF."""

from __future__ import annotations

import io
import re
import threading

import segno
from reportlab.lib.colors import HexColor
from reportlab.pdfgen.canvas import Canvas

from .fonts import REGULAR, register_fonts
from .layout import ACCENT, INK, PAGE_HEIGHT, PAGE_WIDTH, Layout, layout_certificate
from .record import CertificateRecord

__all__ = ["render_pdf"]

_render_lock = threading.Lock()
BORDER_OUTER = 22.0
BORDER_INNER = 27.0
_DARK_RUN = re.compile(rb"\x01+")


def qr_runs(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """Return the QR symbol's size in modules and its dark runs as (row, start, length)."""
    # Level M survives a smudge or a fold; segno raises it further when the URL leaves room.
    matrix = segno.make(url, error="m", micro=False).matrix
    runs = [
        (row, run.start(), run.end() - run.start())
        for row, line in enumerate(matrix)
        for run in _DARK_RUN.finditer(bytes(line))
    ]
    return len(matrix), runs


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector rectangles, one per horizontal run of dark modules."""
    modules, runs = qr_runs(url)
    canvas.saveState()
    # Work in module units with rows counted downwards from the top-left corner, so every
    # rectangle has small integer coordinates: a compact content stream, quick to write.
    canvas.transform(size / modules, 0, 0, -size / modules, x, y + size)
    canvas.setFillColor(HexColor("#000000"))
    ops = "".join(f"{start} {row} {length} 1 re\n" for row, start, length in runs)
    canvas.addLiteral(ops + "f")
    canvas.restoreState()
    canvas.linkURL(url, (x, y, x + size, y + size), relative=0)


def _draw(canvas: Canvas, layout: Layout, record: CertificateRecord) -> None:
    """Draw the border, rules, text and QR code of one certificate page."""
    canvas.setStrokeColor(HexColor(ACCENT))
    canvas.setLineWidth(1.4)
    canvas.rect(
        BORDER_OUTER, BORDER_OUTER, PAGE_WIDTH - 2 * BORDER_OUTER, PAGE_HEIGHT - 2 * BORDER_OUTER
    )
    canvas.setLineWidth(0.5)
    canvas.rect(
        BORDER_INNER, BORDER_INNER, PAGE_WIDTH - 2 * BORDER_INNER, PAGE_HEIGHT - 2 * BORDER_INNER
    )
    canvas.setStrokeColor(HexColor(INK))
    canvas.setLineWidth(0.6)
    for x1, x2, y in layout.rules:
        canvas.line(x1, y, x2, y)
    for item in layout.items:
        canvas.setFillColor(HexColor(item.colour))
        canvas.setFont(item.font, item.size)
        canvas.drawString(item.x, item.y, item.text)
        if item.link:
            canvas.linkURL(
                item.link, (item.x, item.bottom, item.x + item.width, item.top), relative=0
            )
    x, y, size = layout.qr
    _draw_qr(canvas, record.verify_url, x, y, size)


def render_pdf(record: CertificateRecord) -> bytes:
    """Render the certificate as PDF bytes: one landscape Letter page, fonts embedded."""
    register_fonts()
    layout = layout_certificate(record)
    # ReportLab's TrueType subsetting keeps a read cursor on the shared font object, so two
    # threads building documents at once corrupt each other's fonts. Rendering holds the
    # GIL nearly throughout, so serialising costs a threaded server almost nothing.
    with _render_lock:
        return _build(record, layout)


def _build(record: CertificateRecord, layout: Layout) -> bytes:
    """Draw one certificate into a new PDF document and return its bytes."""
    buffer = io.BytesIO()
    # invariant=1 fixes the creation date and document id, so the same record always
    # yields the same bytes (a re-download can be compared with the original).
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        lang="en",
        # Start in an embedded font, so the file names no font a printer might lack.
        initialFontName=REGULAR,
        initialFontSize=10,
    )
    canvas.setTitle(f"Certificate of Completion: {record.course_title}")
    canvas.setAuthor(record.provider_name)
    canvas.setSubject(f"Certificate {record.code} for {record.participant_name}")
    canvas.setCreator("CE course engine certificates")
    canvas.setKeywords(["certificate", "continuing education", record.code])
    _draw(canvas, layout, record)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
