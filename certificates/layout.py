"""Certificate page geometry: where each line of text goes, computed apart from drawing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reportlab.lib.pagesizes import landscape, letter

from .fonts import BOLD, REGULAR, fit_text, text_width
from .record import SAMPLE_NOTICE, CertificateRecord, hours_text

__all__ = ["MARGIN", "PAGE_HEIGHT", "PAGE_WIDTH", "Layout", "TextItem", "layout_certificate"]

PAGE_WIDTH, PAGE_HEIGHT = landscape(letter)  # 792 x 612 pt
MARGIN = 54.0  # 0.75 in: inside the border and clear of any printer's unprintable edge
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FLOW_TOP = PAGE_HEIGHT - 60
# The footer (signature, code, QR code) sits below this line, which also leaves the QR
# code its quiet zone of 4 modules (16.4 pt at the coarsest, 21-module symbol).
FLOW_BOTTOM = 170.0
ASCENT, DESCENT, LEADING = 0.93, 0.24, 1.22  # DejaVu Sans metrics, in em
MIN_SCALE = 0.6  # smaller would be unreadable; by then long blocks have wrapped instead

INK = "#1f2933"
ACCENT = "#1d3b5e"
MUTED = "#52606d"
SAMPLE_RED = "#9b1c1c"  # 7:1 on white: the sample notice must be read, not just seen

QR_SIZE = 86.0  # 1.2 in: about 0.9 mm per module for a typical URL, easy for phones
QR_X = PAGE_WIDTH - MARGIN - QR_SIZE
QR_Y = 66.0
SIGNATURE_WIDTH = 170.0
SIGNATURE_Y = 116.0
CENTRE_WIDTH = 320.0
CENTRE_LEFT = (PAGE_WIDTH - CENTRE_WIDTH) / 2
FOOTER_TOP = 144.0


@dataclass(frozen=True)
class TextItem:
    """One line of text placed on the page; x is the left edge, y the baseline."""

    role: str
    text: str
    font: str
    size: float
    x: float
    y: float
    width: float
    colour: str = INK
    link: str | None = None

    @property
    def top(self) -> float:
        """Top of the line's glyph box."""
        return self.y + ASCENT * self.size

    @property
    def bottom(self) -> float:
        """Bottom of the line's glyph box (descenders included)."""
        return self.y - DESCENT * self.size


@dataclass(frozen=True)
class Layout:
    """Everything the PDF draws, in points from the bottom-left corner."""

    items: tuple[TextItem, ...]
    rules: tuple[tuple[float, float, float], ...]  # (x1, x2, y) thin horizontal lines
    qr: tuple[float, float, float]  # (x, y, size) of the QR code's square
    scale: float  # below 1.0 when the flow was shrunk to fit above the footer


@dataclass(frozen=True)
class _Style:
    """How one kind of line is set: font, preferred and smallest size, space above."""

    font: str
    size: float
    min_size: float
    gap: float  # space above, in points at scale 1
    colour: str = INK
    max_lines: int = 1
    single_line_min: float | None = None  # keep to one line down to this size


# The centred flow, top to bottom; only roles with text are printed.
FLOW_STYLES = {
    "sample": _Style(BOLD, 13, 8, 0, SAMPLE_RED, 2, 10),
    "provider": _Style(BOLD, 13, 8, 6, ACCENT, 2, 10),
    "provider_contact": _Style(REGULAR, 9.5, 6.5, 2, MUTED, 2, 8),
    "title": _Style(BOLD, 34, 20, 12, ACCENT),
    "intro": _Style(REGULAR, 12, 8, 31, MUTED),
    "name": _Style(BOLD, 28, 8, 8, INK, 2, 16),
    "licence": _Style(REGULAR, 11, 7, 4, MUTED, 2),
    "completed": _Style(REGULAR, 12, 8, 14, MUTED),
    "course": _Style(BOLD, 19, 8, 6, INK, 3, 14),
    "version": _Style(REGULAR, 11, 7, 5, INK),
    "hours": _Style(BOLD, 12, 7, 14, INK, 2),
    "format": _Style(REGULAR, 10.5, 7, 4, INK, 2),
    "authors": _Style(REGULAR, 10, 6.5, 4, INK, 3, 9),
    "approval": _Style(BOLD, 9.5, 6.5, 14, INK, 2),
    "approval_statement": _Style(REGULAR, 9, 6, 3, MUTED, 4, 8.5),
}
RULE_AFTER = "title"  # a short rule sets the title apart from the rest
RULE_WIDTH = 150.0

FOOTER_STYLES = {
    "signatory_name": _Style(BOLD, 10.5, 5.5, 4, INK, 2, 8.5),
    "signatory_title": _Style(REGULAR, 9, 5.5, 1, MUTED, 2, 7.5),
    "signature_label": _Style(REGULAR, 9, 5.5, 4, MUTED),
    "signature_provider": _Style(REGULAR, 8, 5.5, 1, MUTED, 3, 7),
    "code_label": _Style(REGULAR, 8, 5.5, 0, MUTED),
    "code": _Style(BOLD, 15, 5.5, 3, ACCENT),
    "verify_label": _Style(REGULAR, 8, 5.5, 6, MUTED),
    "verify_url": _Style(REGULAR, 9, 5.5, 2, INK, 2, 7),
    "issued": _Style(REGULAR, 8, 5.5, 6, MUTED),
    "qr_caption": _Style(REGULAR, 7.5, 5.5, 17, MUTED),  # below the quiet zone
}


def _clean(text: str) -> str:
    """NFC-normalise and collapse whitespace, so decomposed accents print as one glyph."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _licence_line(record: CertificateRecord) -> str:
    """Return the licence line, or "" when neither number nor jurisdiction is given."""
    number = _clean(record.licence_number or "")
    where = _clean(record.licence_jurisdiction or "")
    if number and where:
        return f"License no. {number} ({where})"
    if number:
        return f"License no. {number}"
    return f"Licensed in {where}" if where else ""


def _flow_texts(record: CertificateRecord) -> dict[str, str]:
    """Return the text of each flow role; an empty string leaves the line out."""
    authors = "; ".join(author.display() for author in record.authors)
    label = "Course author" if len(record.authors) == 1 else "Course authors"
    approved = record.has_approval
    contact = f"Contact: {record.provider_contact}" if record.provider_contact else ""
    return {
        "sample": SAMPLE_NOTICE if record.sample else "",
        "provider": record.provider_name,
        # Under the provider's name, as on a letterhead: whom a board asks about it.
        "provider_contact": contact,
        "title": "Certificate of Completion",
        "intro": "This certifies that",
        "name": record.participant_name,
        "licence": _licence_line(record),
        "completed": "has completed the continuing-education course",
        "course": record.course_title,
        "version": (
            f"Version {record.course_version} · Completed on {record.completed_text}"
        ),
        "hours": f"{hours_text(record.contact_hours)} · Credit type: {record.credit_type}",
        "format": f"Format: {record.format}",
        "authors": f"{label}: {authors}" if authors else "",
        # Approval is printed whole or not at all: a partial block would be a false claim.
        "approval": (
            f"Approved by {record.approval_body}, approval no. {record.approval_number}."
            if approved
            else ""
        ),
        "approval_statement": (record.approval_statement or "") if approved else "",
    }


def _set_lines(
    role: str,
    text: str,
    style: _Style,
    top: float,
    *,
    left: float,
    width: float,
    centred: bool = True,
    scale: float = 1.0,
    link: str | None = None,
) -> tuple[list[TextItem], float]:
    """Fit text into a column below top; returns its lines and the y of its bottom edge."""
    single = None if style.single_line_min is None else style.single_line_min * scale
    fitted = fit_text(
        _clean(text),
        style.font,
        width,
        size=style.size * scale,
        min_size=min(style.min_size, style.size * scale),
        max_lines=style.max_lines,
        single_line_min=single,
    )
    size = fitted.size
    baseline = top - style.gap * scale - ASCENT * size
    items: list[TextItem] = []
    for index, line in enumerate(fitted.lines):
        if index:
            baseline -= LEADING * size
        line_width = text_width(line, style.font, size)
        x = left + (width - line_width) / 2 if centred else left
        items.append(
            TextItem(role, line, style.font, size, x, baseline, line_width, style.colour, link)
        )
    return items, baseline - DESCENT * size


def _place_flow(texts: dict[str, str], scale: float) -> tuple[list[TextItem], list[float]]:
    """Lay the flow out downwards from y=0 at the given scale; returns items and rule ys."""
    items: list[TextItem] = []
    rules: list[float] = []
    cursor = 0.0
    for role, style in FLOW_STYLES.items():
        if not texts[role].strip():
            continue
        lines, cursor = _set_lines(
            role, texts[role], style, cursor, left=MARGIN, width=CONTENT_WIDTH, scale=scale
        )
        items.extend(lines)
        if role == RULE_AFTER:
            rules.append(cursor - 10 * scale)
    return items, rules


def _footer(record: CertificateRecord) -> list[TextItem]:
    """Place the signature block, the code and verification address, and the QR caption."""
    items: list[TextItem] = []

    def column(
        role: str,
        text: str,
        top: float,
        left: float,
        width: float,
        centred: bool = True,
        link: str | None = None,
    ) -> float:
        lines, bottom = _set_lines(
            role, text, FOOTER_STYLES[role], top, left=left, width=width, centred=centred, link=link
        )
        items.extend(lines)
        return bottom

    # Signature: a line to sign on, with the signatory (when known) printed beneath it.
    named = bool((record.signatory_name or "").strip() or (record.signatory_title or "").strip())
    top = SIGNATURE_Y
    for role, text in (
        ("signatory_name", record.signatory_name or ""),
        ("signatory_title", record.signatory_title or ""),
        ("signature_label", "" if named else "Authorized signature"),
        ("signature_provider", record.provider_name),
    ):
        if text.strip():
            top = column(role, text, top, MARGIN, SIGNATURE_WIDTH, centred=False)

    # Centre: the code to type in, and where to type it.
    top = FOOTER_TOP
    for role, text, link in (
        ("code_label", "Certificate code", None),
        ("code", record.code, None),
        ("verify_label", "Verify this certificate at", None),
        ("verify_url", record.verify_url, record.verify_url),
        ("issued", f"Issued {record.issued_text}", None),  # its zone named, as the completion's
    ):
        top = column(role, text, top, CENTRE_LEFT, CENTRE_WIDTH, link=link)

    column("qr_caption", "Scan to verify", QR_Y, QR_X, QR_SIZE)
    return items


def layout_certificate(record: CertificateRecord) -> Layout:
    """Compute the page layout for a record, shrinking the flow until it clears the footer."""
    texts = _flow_texts(record)
    scale = 1.0
    while True:
        flow, rule_ys = _place_flow(texts, scale)
        height = -min(item.bottom for item in flow)
        if height <= FLOW_TOP - FLOW_BOTTOM or scale <= MIN_SCALE:
            break
        scale = round(scale - 0.05, 2)
    # Centre the flow vertically in its band so short certificates do not look top-heavy,
    # but never push it above the top of the band.
    offset = FLOW_TOP - max(0.0, (FLOW_TOP - FLOW_BOTTOM - height) / 2)
    placed = tuple(
        TextItem(i.role, i.text, i.font, i.size, i.x, i.y + offset, i.width, i.colour, i.link)
        for i in flow
    )
    left = (PAGE_WIDTH - RULE_WIDTH) / 2
    rules = tuple((left, left + RULE_WIDTH, y + offset) for y in rule_ys)
    return Layout(
        items=placed + tuple(_footer(record)),
        rules=(*rules, (MARGIN, MARGIN + SIGNATURE_WIDTH, SIGNATURE_Y)),
        qr=(QR_X, QR_Y, QR_SIZE),
        scale=scale,
    )
