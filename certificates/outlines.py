"""Words drawn as the outlines of their glyphs: shapes a reader sees but never reads as text."""

from __future__ import annotations

import functools
from typing import Any

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from .fonts import FONT_DIR, FONT_FILES, register_fonts

__all__ = ["draw_centred_outline"]


class _PathPen(BasePen):
    """Traces glyphs into a ReportLab path, in font units, moved right by ``dx``."""

    def __init__(self, glyph_set: Any, path: PDFPathObject) -> None:
        super().__init__(glyph_set)
        self.path = path
        self.dx = 0.0

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.path.moveTo(pt[0] + self.dx, pt[1])

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.path.lineTo(pt[0] + self.dx, pt[1])

    # BasePen turns TrueType's quadratic curves into these cubic ones (PDF has no others).
    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        dx = self.dx
        self.path.curveTo(pt1[0] + dx, pt1[1], pt2[0] + dx, pt2[1], pt3[0] + dx, pt3[1])

    def _closePath(self) -> None:
        self.path.close()


@functools.cache
def _font(name: str) -> TTFont:
    """The shipped font file behind a registered font name, read once per process."""
    return TTFont(FONT_DIR / FONT_FILES[name])


def draw_centred_outline(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float
) -> None:
    """Fill text's glyph outlines centred on (x, y), as drawCentredString places text."""
    register_fonts()
    face = _font(font)
    glyphs, cmap = face.getGlyphSet(), face.getBestCmap()
    units = face["head"].unitsPerEm
    path = canvas.beginPath()
    pen = _PathPen(glyphs, path)
    for char in text:
        name = cmap.get(ord(char), ".notdef")
        glyphs[name].draw(pen)
        # The widths a PDF viewer would use for the text, so letters sit as they did.
        pen.dx += pdfmetrics.stringWidth(char, font, units)
    canvas.saveState()
    canvas.translate(x - pdfmetrics.stringWidth(text, font, size) / 2, y)
    canvas.scale(size / units, size / units)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    canvas.restoreState()
