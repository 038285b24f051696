"""QR code matrices: segno encodes, and the data mask is chosen by a quick, exact score."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import segno

__all__ = ["dark_runs", "qr_matrix"]

# segno scores all 8 data masks in pure Python, module by module: most of a render's
# time. Here the symbol is encoded once with mask 0, every other mask is one XOR on the
# whole matrix held as an integer (one byte per module), and the ISO/IEC 18004 penalty
# is scored with C-speed bytes and integer operations. The score and its tie-breaking
# are segno's own, so the chosen mask and every module are the same as segno.make's.

_MASKS: tuple[Callable[[int, int], bool], ...] = (  # ISO/IEC 18004 Table 10; i row, j column
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_ERROR_BITS = {"L": 1, "M": 0, "Q": 3, "H": 2}
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"  # N3: dark-light-dark x3-light-dark
_DARK_RUN = re.compile(rb"\x01+")
_DATA, _FIXED, _RESERVED = 0, 1, 2  # reserved: format, version and the dark module


@dataclass(frozen=True)
class _Tables:
    """Per-version bit masks over the matrix as an integer, one byte per module."""

    size: int
    ones: int  # every module set
    scored: int  # modules scored as they stand: all but the reserved ones, which score light
    format_area: int
    flips: tuple[int, ...]  # per mask: the data modules where it differs from mask 0
    has_left: int  # modules not in the first column
    has_above: int  # modules not in the first row
    corners: int  # modules that are the bottom-right of a 2x2 block
    corner_count: int


def _as_int(flags: bytes | bytearray) -> int:
    """Return one-byte-per-module flags as an integer, first module most significant."""
    return int.from_bytes(flags, "big")


def _alignment_centres(version: int, size: int) -> list[int]:
    """Return the row (and column) centres of the alignment patterns (ISO 18004 Annex E)."""
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    return [6, *reversed([size - 7 - i * step for i in range(count - 1)])]


def _format_cells(size: int) -> list[tuple[int, int, int]]:
    """Return (bit, row, column) for both copies of the 15 format bits (ISO/IEC 18004 7.9)."""
    cells: list[tuple[int, int, int]] = []
    for i in range(8):
        near = i if i < 6 else i + 1  # row and column 6 belong to the timing patterns
        cells += [(i, near, 8), (i, 8, size - 1 - i), (14 - i, 8, near)]
        if i < 7:  # above bit 8's second copy sits the dark module, not a format bit
            cells.append((14 - i, size - 1 - i, 8))
    return cells


@functools.cache
def _tables(version: int) -> _Tables:
    """Compute the function-pattern layout and mask tables of one QR version."""
    size = 17 + 4 * version
    kind = [bytearray(size) for _ in range(size)]

    def mark(rows: range, cols: range, value: int) -> None:
        for row in rows:
            for col in cols:
                kind[row][col] = value

    full, first, last = range(size), range(8), range(size - 8, size)
    for rows, cols in ((first, first), (first, last), (last, first)):
        mark(rows, cols, _FIXED)  # finder patterns with their separators
    mark(range(6, 7), full, _FIXED)  # timing patterns
    mark(full, range(6, 7), _FIXED)
    centres = _alignment_centres(version, size)
    under_finders = {(6, 6), (6, size - 7), (size - 7, 6)}  # these three are left out
    for row in centres:
        for col in centres:
            if (row, col) not in under_finders:
                mark(range(row - 2, row + 3), range(col - 2, col + 3), _FIXED)
    for _, row, col in [*_format_cells(size), (0, size - 8, 8)]:  # format, dark module
        kind[row][col] = _RESERVED
    if version >= 7:
        mark(range(6), range(size - 11, size - 8), _RESERVED)
        mark(range(size - 11, size - 8), range(6), _RESERVED)
    flat = b"".join(kind)
    ones = _as_int(b"\x01" * size * size)
    data = bytes(1 if k == _DATA else 0 for k in flat)
    reserved = bytes(1 if k == _RESERVED else 0 for k in flat)
    format_area = bytearray(size * size)
    for _, row, col in _format_cells(size):
        format_area[row * size + col] = 1
    cells = [(i, j) for i in range(size) for j in range(size)]
    patterns = [bytes(int(mask(i, j)) for i, j in cells) for mask in _MASKS]
    flips = tuple(_as_int(data) & (_as_int(p) ^ _as_int(patterns[0])) for p in patterns)
    has_left = _as_int(bytes(int(j > 0) for _, j in cells))
    has_above = _as_int(bytes(int(i > 0) for i, _ in cells))
    return _Tables(
        size=size,
        ones=ones,
        scored=ones ^ _as_int(reserved),
        format_area=_as_int(format_area),
        flips=flips,
        has_left=has_left,
        has_above=has_above,
        corners=has_left & has_above,
        corner_count=(size - 1) ** 2,
    )


def _runs(same: int, step: int) -> int:
    """Score N1 along one direction, given the modules equal to the one step before."""
    # A run of L >= 5 modules scores L - 2: the L - 4 modules ending five equal ones, plus
    # 2 for the first of those.
    five = same & same >> step & same >> 2 * step & same >> 3 * step
    return five.bit_count() + 2 * (five & ~(five >> step)).bit_count()


def _finder_like(lines: bytes, size: int) -> int:
    """Score N3 over rows and columns joined by a separator, counted exactly as segno does."""
    score = 0
    index = lines.find(_FINDER_LIKE)
    while index != -1:
        start = index - index % (size + 1)  # the first module of the row or column
        end = start + size
        after = index + 7
        if (
            index in (start, end - 7)
            or 1 not in lines[max(index - 4, start) : index]
            or 1 not in lines[after : min(after + 4, end)]
        ):
            score += 40
        else:
            after = index + 4  # an overlapping pattern may start at the next dark triple
        index = lines.find(_FINDER_LIKE, after)
    return score


def _penalty(matrix: int, tables: _Tables) -> int:
    """Return the ISO/IEC 18004 7.8.3 penalty of a masked matrix (N1 + N2 + N3 + N4)."""
    size = tables.size
    across = matrix ^ (matrix >> 8)  # modules unlike their left neighbour
    down = matrix ^ (matrix >> 8 * size)  # modules unlike their upper neighbour
    n1 = _runs(tables.has_left & ~across, 8) + _runs(tables.has_above & ~down, 8 * size)
    # N2: 3 points for each 2x2 block of one colour, found by its bottom-right module.
    mixed = across | (across >> 8 * size) | down
    n2 = 3 * (tables.corner_count - (mixed & tables.corners).bit_count())
    cells = matrix.to_bytes(size * size, "big")
    rows = [cells[i : i + size] for i in range(0, size * size, size)]
    n3 = _finder_like(b"\x02".join(rows + [cells[j::size] for j in range(size)]), size)
    percent = float(matrix.bit_count()) / size**2
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


@functools.cache
def _format_bits(version: int, error: str, mask: int) -> int:
    """Return the two copies of the format information (ISO/IEC 18004 7.9) as an integer."""
    size = 17 + 4 * version
    data = _ERROR_BITS[error] << 3 | mask
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    bits = (data << 10 | remainder) ^ 0x5412
    cells = bytearray(size * size)
    for bit, row, col in _format_cells(size):
        cells[row * size + col] = bits >> bit & 1
    return _as_int(cells)


def qr_matrix(url: str) -> tuple[bytes, ...]:
    """Return the QR code matrix for url, module for module the one segno.make gives."""
    # Level M survives a smudge or a fold; segno raises it further when the URL leaves room.
    code = segno.make(url, error="m", micro=False, mask=0)
    version, error = code.version, code.error
    assert isinstance(version, int) and error is not None  # a QR code, not a Micro QR code
    tables = _tables(version)
    with_mask_0 = _as_int(b"".join(code.matrix))
    scored = with_mask_0 & tables.scored
    best, best_score = 0, None
    for mask, flip in enumerate(tables.flips):
        score = _penalty(scored ^ flip, tables)
        if best_score is None or score < best_score:  # the first of equals, as segno picks
            best, best_score = mask, score
    symbol = (with_mask_0 & (tables.ones ^ tables.format_area)) ^ tables.flips[best]
    symbol |= _format_bits(version, error, best)
    cells = symbol.to_bytes(tables.size**2, "big")
    return tuple(cells[i : i + tables.size] for i in range(0, len(cells), tables.size))


def dark_runs(matrix: tuple[bytes, ...]) -> list[tuple[int, int, int]]:
    """Return the matrix's horizontal runs of dark modules as (row, start, length)."""
    return [
        (row, run.start(), run.end() - run.start())
        for row, line in enumerate(matrix)
        for run in _DARK_RUN.finditer(line)
    ]
