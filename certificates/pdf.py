"""Render a certificate record as a one-page, byte-reproducible PDF."""

from __future__ import annotations

import datetime
import io
import re
import threading
from dataclasses import dataclass

import segno
from reportlab.lib.colors import HexColor
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from .fonts import BOLD, REGULAR, register_fonts
from .layout import (
    ACCENT,
    FLOW_BOTTOM,
    INK,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SAMPLE_RED,
    SIGNATURE_WIDTH,
    SIGNATURE_Y,
    Layout,
    layout_certificate,
)
from .outlines import draw_centred_outline
from .record import SAMPLE_NOTICE, CertificateRecord
from .tagging import Tagger

__all__ = ["VoidNotice", "render_pdf"]

_render_lock = threading.Lock()
BORDER_OUTER = 22.0
BORDER_INNER = 27.0
WATERMARK = "#eef0f3"  # faint: the words in the flow say it; this only shows it at a glance
VOID_ALPHA = 0.18  # the void word's opacity: the words under it stay legible as evidence
_DARK_RUN = re.compile(rb"\x01+")


@dataclass(frozen=True)
class VoidNotice:
    """What a void certificate says across its face: a word in capitals, then a sentence."""

    word: str
    text: str


def pdf_date(moment: datetime.datetime) -> str:
    """Return a moment as a PDF date string in UTC, e.g. ``D:20261202143000+00'00'``."""
    return moment.astimezone(datetime.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


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


def _draw_watermark(canvas: Canvas) -> None:
    """Draw SAMPLE across the page, behind everything else."""
    canvas.saveState()
    canvas.setFillColor(HexColor(WATERMARK))
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(24)
    # Shapes, not text: as text its letters were strewn through the page's reading order,
    # between the lines a screen reader or a copy-paste gives. The notice says it in words.
    draw_centred_outline(canvas, 0, -50, "SAMPLE", BOLD, 150)
    canvas.restoreState()


def _draw_signature(canvas: Canvas, image: bytes) -> None:
    """Draw the signature scan on the signature line, scaled to fit above it."""
    height = FLOW_BOTTOM - SIGNATURE_Y - 8
    canvas.drawImage(
        ImageReader(io.BytesIO(image)),
        MARGIN,
        SIGNATURE_Y + 2,
        width=SIGNATURE_WIDTH,
        height=height,
        preserveAspectRatio=True,
        anchor="sw",
        mask="auto",
    )


def void_box(lines: int, top: float) -> tuple[float, float, float, float]:
    """The void notice's box (x, y, width, height), above the highest text (``top``)."""
    # Centred in the band between that text and the outer border: it hides nothing.
    width, height = PAGE_WIDTH - 2 * MARGIN, 24 + 10 * lines
    ceiling = PAGE_HEIGHT - BORDER_OUTER - 3  # over the inner rule if the band is tight
    return (PAGE_WIDTH - width) / 2, top + (ceiling - top - height) / 2, width, height


def _draw_void(canvas: Canvas, tags: Tagger, notice: VoidNotice, top: float) -> None:
    """Strike the page: the word across it and, in a box above the text, the sentence.

    The box stands in the band between the border and ``top`` (the highest text), so it
    hides nothing: a void certificate's record stays legible as evidence. A screen reader
    hears the box first, before the record it voids.
    """
    with tags.artifact():
        canvas.saveState()
        canvas.setFillColor(HexColor(SAMPLE_RED))
        canvas.setFillAlpha(VOID_ALPHA)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(24)
        # Outlines, as the sample watermark has: the box above says the word in text.
        draw_centred_outline(canvas, 0, -40, notice.word, BOLD, 120)
        canvas.restoreState()
    lines = simpleSplit(notice.text, REGULAR, 8.5, PAGE_WIDTH - 2 * MARGIN - 24)
    x, y, width, height = void_box(len(lines), top)
    canvas.saveState()
    with tags.artifact():
        canvas.setFillColor(HexColor("#ffffff"))
        canvas.setStrokeColor(HexColor(SAMPLE_RED))
        canvas.setLineWidth(1.5)
        canvas.rect(x, y, width, height, fill=1, stroke=1)
    canvas.setFillColor(HexColor(SAMPLE_RED))
    canvas.setFont(BOLD, 11)
    with tags.content(tags.element("P", at=0)):
        canvas.drawCentredString(PAGE_WIDTH / 2, y + height - 13, notice.word)
    canvas.setFont(REGULAR, 8.5)
    sentence = tags.element("P", at=1)
    for n, line in enumerate(lines):
        with tags.content(sentence):
            canvas.drawCentredString(PAGE_WIDTH / 2, y + height - 24 - 10 * n, line)
    canvas.restoreState()


#: The structure a role's lines make: the title is the page's heading; the rest read as
#: paragraphs, each role's lines one paragraph.
HEADING_ROLES = {"title": "H1"}
#: The lines of the signature block below the line signed on.
SIGNATURE_ROLES = ("signatory_name", "signatory_title", "signature_label")


def _draw_frame(canvas: Canvas, layout: Layout) -> None:
    """Draw the double border and the rules: decoration, read by no one."""
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


def _draw(
    canvas: Canvas,
    tags: Tagger,
    layout: Layout,
    record: CertificateRecord,
    signature: bytes | None,
) -> None:
    """Draw the border, rules, text, signature and QR code of one certificate page."""
    with tags.artifact():
        if record.sample:
            _draw_watermark(canvas)
        _draw_frame(canvas, layout)
    # The scan is read just before the first line of the signature block.
    signature_at = next(i for i, item in enumerate(layout.items) if item.role in SIGNATURE_ROLES)
    role, owner = None, None
    for n, item in enumerate(layout.items):
        if n == signature_at and signature:
            with tags.content(tags.element("Figure", alt=_signature_alt(record))):
                _draw_signature(canvas, signature)
        if item.role != role:
            role = item.role
            owner = tags.element(HEADING_ROLES.get(role, "P"))
            if item.link:
                owner = tags.element("Link", parent=owner)
        canvas.setFillColor(HexColor(item.colour))
        canvas.setFont(item.font, item.size)
        with tags.content(owner):
            canvas.drawString(item.x, item.y, item.text)
        if item.link:
            tags.link(owner, item.link, (item.x, item.bottom, item.x + item.width, item.top),
                      f"Verify this certificate at {item.link}")  # fmt: skip
    x, y, size = layout.qr
    link = tags.element("Link")
    figure = tags.element("Figure", parent=link, alt=(
        f"QR code: scan it to open this certificate's verification page, {record.verify_url}"))
    with tags.content(figure):
        _draw_qr(canvas, record.verify_url, x, y, size)
    tags.link(link, record.verify_url, (x, y, x + size, y + size),
              f"Verify this certificate at {record.verify_url}")


def _signature_alt(record: CertificateRecord) -> str:
    """The signature scan's alternate text: whose signature it is."""
    name = (record.signatory_name or "").strip()
    return f"Signature of {name}" if name else "Authorized signature"


def render_pdf(
    record: CertificateRecord,
    signature_image: bytes | None = None,
    void: VoidNotice | None = None,
) -> bytes:
    """Render the certificate as PDF bytes (a signature scan drawn if given), fonts embedded."""
    # void: the page is struck through with its word and sentence, and the title and
    # subject begin with the word, so the file of a revoked certificate says so itself.
    # signature_image: PNG or JPEG bytes, drawn above the signature line.
    register_fonts()
    layout = layout_certificate(record)
    # ReportLab's TrueType subsetting keeps a read cursor on the shared font object, so two
    # threads building documents at once corrupt each other's fonts. Rendering holds the
    # GIL nearly throughout, so serialising costs a threaded server almost nothing.
    with _render_lock:
        return _build(record, layout, signature_image, void)


def _build(
    record: CertificateRecord, layout: Layout, signature: bytes | None, void: VoidNotice | None
) -> bytes:
    """Draw one certificate into a new PDF document and return its bytes."""
    buffer = io.BytesIO()
    # invariant=1 fixes the document id and keeps the clock out, so the same record always
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
    sample = f"{SAMPLE_NOTICE}: " if record.sample else ""
    if void is not None:
        sample = f"{void.word}: {sample}"
    canvas.setTitle(f"{sample}Certificate of Completion: {record.course_title}")
    canvas.setAuthor(record.provider_name)
    canvas.setSubject(f"{sample}Certificate {record.code} for {record.participant_name}")
    canvas.setCreator("CE course engine certificates")
    canvas.setKeywords(["certificate", "continuing education", record.code])
    # Invariant mode would date the file 2000-01-01, which a board reads in the document
    # properties; the issue time is just as fixed per record and true. ReportLab passes its
    # own timestamp's fields, which this ignores.
    issued = pdf_date(record.issued_at)
    canvas.setDateFormatter(lambda *_timestamp: issued)
    # The document's title in a viewer's title bar, not its file name (a screen reader
    # announces it on opening).
    canvas.setViewerPreference("DisplayDocTitle", "true")
    tags = Tagger(canvas)
    _draw(canvas, tags, layout, record, signature)
    if void is not None:
        _draw_void(canvas, tags, void, max(item.top for item in layout.items))
    canvas.showPage()
    tags.finish()
    canvas.save()
    return buffer.getvalue()
