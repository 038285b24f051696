"""The one CSV writer for every CSV the engine hands out, with formula cells neutralised.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and a few
look-alikes) as a formula, so a learner's name or an admin's reason could otherwise run
on the accreditor's machine (OWASP "CSV injection"). Every CSV goes through
``csv_chunks`` or ``csv_text``; a test fails if a module writes CSV another way.

Every CSV starts with a UTF-8 byte-order mark (``BOM``): Excel on Windows reads a CSV
without one in the machine's code page, so "José" shows as "JosÃ©". Programs read the
files with the ``utf-8-sig`` codec, which drops the mark.

Every instant is written as ISO 8601 to the second with its UTC offset
("2026-12-04T15:15:03-06:00"), whichever export it is in.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["BATCH_ROWS", "BOM", "FORMULA_STARTS", "csv_chunks", "csv_text", "neutralise"]

#: First characters that make a spreadsheet read a cell as a formula: the ASCII ones
#: OWASP lists, the line breaks some programs strip first, and full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
BATCH_ROWS = 1000
#: Values the program computed as numbers: written as they are, a minus sign included.
_NUMBERS = (int, float, decimal.Decimal)
#: The UTF-8 byte-order mark: how Excel tells a UTF-8 CSV from one in the Windows code page.
BOM = "\ufeff"


def neutralise(value: Any) -> str:
    """Return a CSV cell's text, with a leading apostrophe when it could run as a formula."""
    # Called for every cell of every row: the common case (a string) comes first.
    if value.__class__ is str:
        return "'" + value if value[:1] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # To the second, as ``course.dates.local_iso`` writes every other instant:
        # a spreadsheet misreads "20:15:03.123456+00:00" and nobody audits microseconds.
        return value.replace(microsecond=0).isoformat()
    text = str(value)
    if isinstance(value, _NUMBERS) and not isinstance(value, bool):
        # A number carries no formula; an apostrophe before a minus sign (a negative
        # discrimination index) turned it into text no spreadsheet or program can sum.
        return text
    return "'" + text if text[:1] in _FORMULA_FIRST else text


class _Line:
    """A write-only file for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def csv_chunks(
    header: Iterable[str], rows: Iterable[Iterable[Any]], batch: int = BATCH_ROWS
) -> Iterator[str]:
    """Yield CSV text in chunks of ``batch`` rows, every cell neutralised, after a ``BOM``."""
    buffer = _Line()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([neutralise(name) for name in header])
    pending: list[list[str]] = []
    first = _FORMULA_FIRST
    for row in rows:
        # neutralise() inlined for the common cases: a safe string, or None (csv writes "").
        pending.append([
            v if (v.__class__ is str and v[:1] not in first) or v is None else neutralise(v)
            for v in row
        ])
        if len(pending) == batch:
            writer.writerows(pending)
            pending.clear()
            yield buffer.take()
    writer.writerows(pending)
    yield buffer.take()


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """Return a whole CSV file as one string, every cell neutralised."""
    return "".join(csv_chunks(header, rows))


def yes_no(value: bool | None) -> str:
    """A yes-or-no cell as every records file writes it (blank when unknown)."""
    return "" if value is None else ("yes" if value else "no")
