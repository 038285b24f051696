"""Words drawn as the outlines of their glyphs: shapes a reader sees but never reads as text."""

from __future__ import annotations

import functools
import struct

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from .fonts import register_fonts

__all__ = ["draw_centred_outline"]

Point = tuple[float, float, bool]  # x, y in font units; True when the point is on the curve
Contour = tuple[Point, ...]

# glyf flag bits (OpenType spec, "glyf" table).
_ON_CURVE, _X_SHORT, _Y_SHORT, _REPEAT, _X_SAME, _Y_SAME = 1, 2, 4, 8, 16, 32
_WORDS, _XY_VALUES, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 1, 2, 8, 32, 64, 128


def _f2dot14(data: bytes, at: int, count: int) -> list[float]:
    """Read count signed 2.14 fixed-point numbers."""
    return [value / 16384 for value in struct.unpack_from(f">{count}h", data, at)]


def _coordinates(
    data: bytes, at: int, flags: list[int], short: int, same: int
) -> tuple[list[int], int]:
    """Read one axis of a simple glyph's deltas as absolute coordinates; return the end."""
    values: list[int] = []
    current = 0
    for flag in flags:
        if flag & short:
            current += data[at] if flag & same else -data[at]
            at += 1
        elif not flag & same:
            current += struct.unpack_from(">h", data, at)[0]
            at += 2
        values.append(current)
    return values, at


def _simple(data: bytes, at: int, contours: int) -> list[Contour]:
    """Parse a simple glyph's contours from just after its header."""
    ends = struct.unpack_from(f">{contours}H", data, at)
    at += 2 * contours
    at += 2 + struct.unpack_from(">H", data, at)[0]  # hinting instructions: not needed
    count = ends[-1] + 1 if ends else 0
    flags: list[int] = []
    while len(flags) < count:
        flag = data[at]
        at += 1
        repeat = 0
        if flag & _REPEAT:
            repeat = data[at]
            at += 1
        flags.extend([flag] * (repeat + 1))
    xs, at = _coordinates(data, at, flags, _X_SHORT, _X_SAME)
    ys, _ = _coordinates(data, at, flags, _Y_SHORT, _Y_SAME)
    points = [(x, y, bool(f & _ON_CURVE)) for x, y, f in zip(xs, ys, flags, strict=True)]
    starts = [0, *(end + 1 for end in ends[:-1])]
    return [tuple(points[start : end + 1]) for start, end in zip(starts, ends, strict=True)]


def _composite(font: str, data: bytes, at: int) -> list[Contour]:
    """Parse a composite glyph: its components' contours, each moved and scaled."""
    result: list[Contour] = []
    flags = _MORE
    while flags & _MORE:
        flags, glyph = struct.unpack_from(">HH", data, at)
        at += 4
        if not flags & _XY_VALUES:
            # Components aligned by point numbers: no DejaVu Latin glyph uses them.
            raise ValueError(f"glyph {glyph} is placed by point matching, which is unsupported")
        dx, dy = struct.unpack_from(">hh" if flags & _WORDS else ">bb", data, at)
        at += 4 if flags & _WORDS else 2
        a, b, c, d = 1.0, 0.0, 0.0, 1.0
        if flags & _SCALE:
            a = d = _f2dot14(data, at, 1)[0]
            at += 2
        elif flags & _XY_SCALE:
            a, d = _f2dot14(data, at, 2)
            at += 4
        elif flags & _TWO_BY_TWO:
            a, b, c, d = _f2dot14(data, at, 4)
            at += 8
        for contour in _glyph(font, glyph):
            result.append(
                tuple((a * x + c * y + dx, b * x + d * y + dy, on) for x, y, on in contour)
            )
    return result


@functools.cache
def _glyf(font: str) -> bytes:
    """The font's glyf table, read once."""
    return pdfmetrics.getFont(font).face.get_table("glyf")


@functools.cache
def _glyph(font: str, glyph: int) -> tuple[Contour, ...]:
    """The contours of one glyph in font units."""
    # ReportLab has parsed loca already; its text-to-path needs freetype-py, not a dependency.
    positions = pdfmetrics.getFont(font).face.glyphPos
    start, end = positions[glyph], positions[glyph + 1]
    if start == end:
        return ()  # a space: no outline
    data = _glyf(font)
    contours = struct.unpack_from(">h", data, start)[0]
    at = start + 10  # past the bounding box
    if contours >= 0:
        return tuple(_simple(data, at, contours))
    return tuple(_composite(font, data, at))


def _trace(path: PDFPathObject, contour: Contour, dx: float) -> None:
    """Add one closed quadratic contour, moved right by dx, as lines and cubic curves."""
    points = [(x + dx, y, on) for x, y, on in contour]
    if not points:
        return
    first = next((i for i, point in enumerate(points) if point[2]), None)
    if first is None:  # all off the curve: the contour starts between the first two
        (x0, y0, _), (x1, y1, _) = points[0], points[1 % len(points)]
        points.insert(0, ((x0 + x1) / 2, (y0 + y1) / 2, True))
        first = 0
    points = points[first:] + points[:first]
    x, y, _ = points[0]
    path.moveTo(x, y)
    control: tuple[float, float] | None = None
    for px, py, on in [*points[1:], points[0]]:
        if control is None:
            if on:
                path.lineTo(px, py)
                x, y = px, py
            else:
                control = (px, py)
            continue
        cx, cy = control
        # Between two off-curve points TrueType implies an on-curve point midway.
        ex, ey = (px, py) if on else ((cx + px) / 2, (cy + py) / 2)
        # PDF has no quadratic curves; this cubic traces the same one exactly.
        path.curveTo(
            x + 2 * (cx - x) / 3, y + 2 * (cy - y) / 3,
            ex + 2 * (cx - ex) / 3, ey + 2 * (cy - ey) / 3, ex, ey,
        )  # fmt: skip
        x, y = ex, ey
        control = None if on else (px, py)
    path.close()


def draw_centred_outline(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float
) -> None:
    """Fill text's glyph outlines centred on (x, y), as drawCentredString places text."""
    register_fonts()
    face = pdfmetrics.getFont(font).face
    units = face.unitsPerEm
    path = canvas.beginPath()
    # Advances are the widths a PDF viewer would use for the text, so letters sit as before.
    advance = 0.0
    for char in text:
        for contour in _glyph(font, face.charToGlyph.get(ord(char), 0)):
            _trace(path, contour, advance)
        advance += pdfmetrics.stringWidth(char, font, units)
    canvas.saveState()
    canvas.translate(x - pdfmetrics.stringWidth(text, font, size) / 2, y)
    canvas.scale(size / units, size / units)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    canvas.restoreState()
