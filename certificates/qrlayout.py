"""QR code symbol geometry, data masks and their penalty score, per ISO/IEC 18004."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "SymbolLayout",
    "alignment_centres",
    "best_mask",
    "format_bits",
    "penalty",
    "raw_codewords",
    "symbol_layout",
]

# A matrix is held as one integer with one byte (0 or 1) per module, first module most
# significant, so that masking a whole symbol is one XOR and its penalty is scored with
# C-speed integer and bytes operations rather than module by module in Python.

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
_DATA, _FIXED, _RESERVED = 0, 1, 2  # reserved: format, version and the dark module


@dataclass(frozen=True)
class SymbolLayout:
    """Where everything sits in a symbol of one version, as integer bit masks."""

    version: int
    size: int
    data_modules: int  # codeword bits plus 0, 3, 4 or 7 remainder bits
    fixed: int  # finder, separator, timing and alignment patterns, dark module, version
    place: Callable[[bytes], tuple[int, ...]]  # data bits (then a 0) -> every module
    format_area: int
    flips: tuple[int, ...]  # the data modules each of the 8 masks turns over
    ones: int  # every module set
    scored: int  # modules scored as they stand: all but the reserved ones, scored light
    has_left: int  # modules not in the first column
    has_above: int  # modules not in the first row


def raw_codewords(version: int) -> int:
    """Return how many codewords (data and error correction) a symbol of version holds."""
    modules = (16 * version + 128) * version + 64  # all modules but the fixed patterns
    if version >= 2:
        count = version // 7 + 2
        modules -= (25 * count - 10) * count - 55  # alignment patterns
        if version >= 7:
            modules -= 36  # version information
    return modules // 8


def alignment_centres(version: int, size: int) -> list[int]:
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


def _bch(value: int, generator: int, bits: int) -> int:
    """Append the BCH check bits of value for the generator polynomial (ISO 18004 Annex C)."""
    remainder = value
    for _ in range(bits):
        remainder = (remainder << 1) ^ ((remainder >> (bits - 1)) * generator)
    return value << bits | remainder


def _as_int(flags: bytes | bytearray) -> int:
    """Return one-byte-per-module flags as an integer."""
    return int.from_bytes(flags, "big")


def _placement_order(kind: list[bytearray], size: int) -> list[int]:
    """Return the data modules in the order codeword bits fill them (ISO/IEC 18004 7.7.3)."""
    # Two-module columns from the right, alternately upwards and downwards, skipping the
    # vertical timing pattern; the same walk segno makes, so the same order.
    order: list[int] = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for step in range(size):
            for col in (right, right - 1):
                upwards = (right & 2 == 0) ^ (col < 6)
                row = size - 1 - step if upwards else step
                if kind[row][col] == _DATA:
                    order.append(row * size + col)
    return order


@functools.cache
def symbol_layout(version: int) -> SymbolLayout:
    """Compute the function patterns, module order and masks of one QR version."""
    size = 17 + 4 * version
    kind = [bytearray(size) for _ in range(size)]
    value = [bytearray(size) for _ in range(size)]

    def paint(top: int, left: int, pattern: list[str], what: int) -> None:
        for row, line in enumerate(pattern):
            for col, mark in enumerate(line):
                kind[top + row][left + col] = what
                value[top + row][left + col] = mark == "#"

    finder = ["#######", "#.....#", "#.###.#", "#.###.#", "#.###.#", "#.....#", "#######"]
    alignment = ["#####", "#...#", "#.#.#", "#...#", "#####"]
    timing = "".join("#." for _ in range(size))[:size]
    paint(6, 0, [timing], _FIXED)
    for row in range(size):
        paint(row, 6, [timing[row]], _FIXED)
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        paint(max(top - 1, 0), max(left - 1, 0), ["." * 8] * 8, _FIXED)  # separators
        paint(top, left, finder, _FIXED)
    centres = alignment_centres(version, size)
    under_finders = {(6, 6), (6, size - 7), (size - 7, 6)}  # these three are left out
    for row in centres:
        for col in centres:
            if (row, col) not in under_finders:
                paint(row - 2, col - 2, alignment, _FIXED)
    for _, row, col in _format_cells(size):
        kind[row][col] = _RESERVED
    paint(size - 8, 8, ["#"], _RESERVED)  # the dark module
    if version >= 7:  # version information, 18 bits, twice (ISO/IEC 18004 7.10)
        bits = _bch(version, 0x1F25, 12)
        for i in range(18):
            mark = "#" if bits >> i & 1 else "."
            paint(size - 11 + i % 3, i // 3, [mark], _RESERVED)
            paint(i // 3, size - 11 + i % 3, [mark], _RESERVED)

    order = _placement_order(kind, size)
    slot = {cell: index for index, cell in enumerate(order)}
    # Modules outside the data region read the 0 placed after the last data bit.
    place = operator.itemgetter(*(slot.get(cell, len(order)) for cell in range(size * size)))
    flat = b"".join(kind)
    cells = [(i, j) for i in range(size) for j in range(size)]
    data = bytes(k == _DATA for k in flat)
    format_area = bytearray(size * size)
    for _, row, col in _format_cells(size):
        format_area[row * size + col] = 1
    ones = _as_int(b"\x01" * size * size)
    has_left = _as_int(bytes(j > 0 for _, j in cells))
    has_above = _as_int(bytes(i > 0 for i, _ in cells))
    return SymbolLayout(
        version=version,
        size=size,
        data_modules=len(order),
        fixed=_as_int(b"".join(value)),
        place=place,
        format_area=_as_int(format_area),
        flips=tuple(_as_int(data) & _as_int(bytes(m(i, j) for i, j in cells)) for m in _MASKS),
        ones=ones,
        scored=ones ^ _as_int(bytes(k == _RESERVED for k in flat)),
        has_left=has_left,
        has_above=has_above,
    )


@functools.cache
def format_bits(version: int, error: str, mask: int) -> int:
    """Return both copies of the format information (ISO/IEC 18004 7.9) as a matrix."""
    size = 17 + 4 * version
    bits = _bch(_ERROR_BITS[error] << 3 | mask, 0x537, 10) ^ 0x5412
    cells = bytearray(size * size)
    for bit, row, col in _format_cells(size):
        cells[row * size + col] = bits >> bit & 1
    return _as_int(cells)


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


def penalty(matrix: int, layout: SymbolLayout) -> int:
    """Return the ISO/IEC 18004 7.8.3 penalty of a masked matrix (N1 + N2 + N3 + N4)."""
    size = layout.size
    across = matrix ^ (matrix >> 8)  # modules unlike their left neighbour
    down = matrix ^ (matrix >> 8 * size)  # modules unlike their upper neighbour
    n1 = _runs(layout.has_left & ~across, 8) + _runs(layout.has_above & ~down, 8 * size)
    # N2: 3 points for each 2x2 block of one colour, found by its bottom-right module.
    mixed = (across | (across >> 8 * size) | down) & layout.has_left & layout.has_above
    n2 = 3 * ((size - 1) ** 2 - mixed.bit_count())
    cells = matrix.to_bytes(size * size, "big")
    rows = [cells[i : i + size] for i in range(0, size * size, size)]
    n3 = _finder_like(b"\x02".join(rows + [cells[j::size] for j in range(size)]), size)
    percent = float(matrix.bit_count()) / size**2
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def best_mask(unmasked: int, layout: SymbolLayout) -> int:
    """Return the mask with the lowest penalty, the first of equals (as segno picks)."""
    # Like segno, score before the format, version and dark modules are drawn: as light.
    scored = unmasked & layout.scored
    scores = [penalty(scored ^ flip, layout) for flip in layout.flips]
    return scores.index(min(scores))
