"""The embedded certificate fonts, and text fitting: wrap and shrink text to a box."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "BOLD", "REGULAR", "FittedText", "fit_text", "register_fonts", "text_width", "unprintable",
]

FONT_DIR = Path(__file__).with_name("fonts")
# Names are prefixed so they cannot clash with fonts other code registers with ReportLab.
REGULAR = "CertDejaVuSans"
BOLD = "CertDejaVuSans-Bold"
FONT_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the shipped DejaVu fonts with ReportLab once per process."""
    global _registered
    # Parsing a TTF takes tens of milliseconds, so it happens once; the lock stops two
    # first requests from registering two different font objects under one name.
    if _registered:
        return
    with _lock:
        if not _registered:
            for name, filename in FONT_FILES.items():
                # Embed only the glyphs a certificate prints. ReportLab's default adds all
                # of ASCII so that content streams read as text: a fifth more to build and
                # to store, for no reader's benefit (the ToUnicode maps keep text copyable).
                font = TTFont(name, str(FONT_DIR / filename), asciiReadable=False)
                pdfmetrics.registerFont(font)
            _registered = True


def unprintable(text: str) -> str:
    """Return the characters of ``text`` a certificate cannot print as typed, each once."""
    # Unprintable: a font lacks it (it would print as an empty box), or it is written
    # right to left, while every line is drawn left to right without shaping, so Hebrew
    # would print reversed and Arabic unjoined.
    register_fonts()
    maps = [pdfmetrics.getFont(name).face.charToGlyph for name in (REGULAR, BOLD)]
    found: dict[str, None] = {}
    for char in text:
        if char.isspace() or char in found:
            continue
        if unicodedata.bidirectional(char) in {"R", "AL", "AN"} or any(
            ord(char) not in glyphs for glyphs in maps
        ):
            found[char] = None
    return "".join(found)


def text_width(text: str, font: str, size: float) -> float:
    """Return the advance width of text in points."""
    register_fonts()
    return float(pdfmetrics.stringWidth(text, font, size))


@dataclass(frozen=True)
class FittedText:
    """Text wrapped into lines at the font size that fits its box."""

    lines: tuple[str, ...]
    size: float


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Split a word wider than the box into pieces that fit, after a '/' or '-' if possible."""
    pieces: list[str] = []
    rest = word
    while rest:
        end = 0
        while end < len(rest) and text_width(rest[: end + 1], font, size) <= width - 0.01:
            end += 1
        if end == len(rest):
            pieces.append(rest)
            break
        end = max(end, 1)  # a box narrower than one character still takes one
        # Break a URL or code where a reader expects it: after a slash or a hyphen.
        soft = max(rest.rfind("/", 0, end), rest.rfind("-", 0, end))
        cut = soft + 1 if soft > 0 else end
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the box is broken between characters."""
    # Advance widths scale linearly with size, so each word is measured once at 1 pt.
    words = text.split()
    unit = [text_width(word, font, 1.0) for word in words]
    space = text_width(" ", font, 1.0)
    # A hundredth of a point of slack absorbs float rounding against a direct measurement.
    limit = (width - 0.01) / size
    lines: list[str] = []
    current: list[str] = []
    current_width = 0.0
    for word, word_width in zip(words, unit, strict=True):
        added = word_width + (space if current else 0.0)
        if current and current_width + added <= limit:
            current.append(word)
            current_width += added
            continue
        if current:
            lines.append(" ".join(current))
        if word_width <= limit:
            current, current_width = [word], word_width
        else:
            *full, last = _break_word(word, font, size, width)
            lines.extend(full)
            current, current_width = [last], text_width(last, font, 1.0)
    if current:
        lines.append(" ".join(current))
    return lines


def fit_text(
    text: str,
    font: str,
    width: float,
    *,
    size: float,
    min_size: float,
    max_lines: int = 1,
    single_line_min: float | None = None,
) -> FittedText:
    """Choose the largest size at which text fits the width in at most max_lines lines."""
    # One line is preferred down to single_line_min (default: min_size); below that the
    # text may wrap. At min_size the text always fits the width, wrapping onto as many
    # lines as it needs, so nothing is ever cut off or drawn past the margins.
    text = " ".join(text.split())
    one_line_floor = min_size if single_line_min is None else max(single_line_min, min_size)
    step = 0.5
    current = size
    unit_width = text_width(text, font, 1.0)
    while current >= one_line_floor:
        if unit_width * current <= width - 0.01:
            return FittedText((text,), current)
        current -= step
    current = min(size, one_line_floor)
    while current >= min_size:
        lines = wrap(text, font, current, width)
        if len(lines) <= max_lines:
            return FittedText(tuple(lines), current)
        current -= step
    return FittedText(tuple(wrap(text, font, min_size, width)), min_size)
