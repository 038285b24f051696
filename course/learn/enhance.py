"""Lesson HTML made ready for a phone, once per course version: tables that stack into
cards on a narrow screen, and hotline numbers that open a call."""

from __future__ import annotations

import html
import re

_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_HEAD_CELL = re.compile(r"<th>(.*?)</th>", re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<(td|th)>")
_TAG = re.compile(r"<[^>]+>")
# A full US number: 1-800-843-5678 or 800-843-5678 (three-digit service numbers such as
# 988 are left alone in lesson text, where a bare number is usually a year or a count).
_PHONE = re.compile(r"(?<![\w-])(?:1-)?\d{3}-\d{3}-\d{4}(?![\w-])")
_LINK = re.compile(r"(<a\b.*?</a>)", re.S)


def _label_cells(table: re.Match[str]) -> str:
    body = table.group(1)
    head, sep, rows = body.partition("</thead>")
    if not sep:
        return table.group(0)
    labels = [html.escape(html.unescape(_TAG.sub("", h)).strip()) for h in _HEAD_CELL.findall(head)]

    def label_row(row: re.Match[str]) -> str:
        cells = iter(labels)
        inner = _CELL.sub(lambda c: f'<{c.group(1)} data-label="{next(cells, "")}">', row.group(1))
        return f"<tr>{inner}</tr>"

    rows = _ROW.sub(label_row, rows)
    return f'<table class="usa-table usa-table--stacked">{head}{sep}{rows}</table>'


def _link_phones(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        dial = "+" + digits if len(digits) == 11 else "+1" + digits
        return f'<a href="tel:{dial}">{match.group(0)}</a>'

    # Only text outside tags and outside existing links.
    parts = _LINK.split(text)
    for i in range(0, len(parts), 2):
        pieces = re.split(r"(<[^>]+>)", parts[i])
        parts[i] = "".join(p if p.startswith("<") else _PHONE.sub(link, p) for p in pieces)
    return "".join(parts)


def for_display(part: str) -> str:
    """Return a lesson part with stacking tables and tap-to-call phone numbers."""
    return _link_phones(_TABLE.sub(_label_cells, part))
