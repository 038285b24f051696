"""QR codes for verification URLs: the symbol segno.make gives, built several times faster."""

from __future__ import annotations

import functools
import re

import segno

from .qrlayout import SymbolLayout, best_mask, format_bits, raw_codewords, symbol_layout

__all__ = ["dark_runs", "qr_matrix"]

# segno builds a symbol module by module in pure Python and scores all 8 data masks that
# way: about 6 ms, most of a certificate's render. A verification URL is ASCII with
# lowercase letters, which segno encodes in byte mode; that case is encoded here with
# whole-integer operations (anything else still goes to segno). Both paths pick the mask
# with segno's own score and tie-break, so the symbol is the one segno.make would draw.

# ISO/IEC 18004 Table 9, versions 1-40: error correction codewords per block, and blocks.
_EC_PER_BLOCK = {
    "M": (10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
          26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28),
    "Q": (13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
          28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "H": (17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
          30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
}  # fmt: skip
_BLOCKS = {
    "M": (1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
          17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    "Q": (1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
          23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    "H": (1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
          25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
}  # fmt: skip
# Level M survives a smudge or a fold; like segno, raise it while the version has room.
_LEVELS = ("M", "Q", "H")
# Characters that make segno choose byte mode: outside the alphanumeric mode's set.
_BYTE_MODE = re.compile(r"[^0-9A-Z $%*+\-./:]")
_BITS = bytes.maketrans(b"01", b"\x00\x01")
_DARK_RUN = re.compile(rb"\x01+")


def _gf_tables() -> tuple[list[int], list[int]]:
    """Return exp and log tables of GF(256) with the QR polynomial x^8+x^4+x^3+x^2+1."""
    exp, log = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exp[power] = exp[power + 255] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    return exp, log


_EXP, _LOG = _gf_tables()


@functools.cache
def _ec_products(count: int) -> tuple[int, ...]:
    """For each byte value, its product with the generator polynomial, as one integer."""
    generator = [1]  # coefficients, highest power first: prod (x - a^i), i < count
    for i in range(count):
        generator = [
            high ^ (_EXP[_LOG[low] + i] if low else 0)
            for high, low in zip([*generator, 0], [0, *generator], strict=True)
        ]
    tail = generator[1:]
    return tuple(
        int.from_bytes(bytes(_EXP[_LOG[f] + _LOG[g]] if f and g else 0 for g in tail), "big")
        for f in range(256)
    )


def _ec_codewords(block: bytes, count: int) -> bytes:
    """Return the Reed-Solomon error correction codewords of a data block."""
    products = _ec_products(count)
    top, keep = 8 * (count - 1), (1 << 8 * count) - 1
    remainder = 0  # the division's remainder register, as one integer
    for byte in block:
        remainder = ((remainder << 8) & keep) ^ products[byte ^ (remainder >> top)]
    return remainder.to_bytes(count, "big")


def _data_capacity(version: int, level: str) -> int:
    """Return how many data codewords a symbol of version and level holds."""
    index = version - 1
    return raw_codewords(version) - _BLOCKS[level][index] * _EC_PER_BLOCK[level][index]


def _byte_mode(data: bytes) -> tuple[SymbolLayout, str, int] | None:
    """Encode data in byte mode; returns layout, level and unmasked matrix, or None."""
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        length = 4 + count_bits + 8 * len(data)
        if length <= 8 * _data_capacity(version, "M"):
            break
    else:
        return None  # too long for any QR code: segno raises the error
    level = "M"
    for better in _LEVELS[1:]:
        if length > 8 * _data_capacity(version, better):
            break
        level = better
    capacity = _data_capacity(version, level)
    stream = (0b0100 << count_bits | len(data)) << 8 * len(data) | int.from_bytes(data, "big")
    # Terminator (up to 4 zero bits), then zeros to the next codeword boundary; segno
    # adds a whole zero codeword when already on one (harmless: readers stop at the
    # terminator), kept so that the symbol stays the same as segno's.
    terminator = min(4, 8 * capacity - length)
    padding = 8 - (length + terminator) % 8
    stream <<= terminator + padding
    stream_bytes = stream.to_bytes((length + terminator + padding) // 8, "big")
    message = (stream_bytes + b"\xec\x11" * capacity)[:capacity]
    layout = symbol_layout(version)
    return layout, level, _symbol(message, layout, level)


def _symbol(message: bytes, layout: SymbolLayout, level: str) -> int:
    """Split into blocks, add error correction, interleave and place (ISO 18004 7.5-7.7)."""
    version = layout.version
    blocks = _BLOCKS[level][version - 1]
    ec_count = _EC_PER_BLOCK[level][version - 1]
    short = len(message) // blocks
    long_blocks = len(message) % blocks  # the last ones hold one codeword more
    starts = [i * short + max(0, i - (blocks - long_blocks)) for i in range(blocks + 1)]
    data = [message[a:b] for a, b in zip(starts, starts[1:], strict=False)]
    ec = [_ec_codewords(block, ec_count) for block in data]
    interleaved = b"".join(bytes(column) for column in zip(*data, strict=False))
    interleaved += bytes(block[short] for block in data if len(block) > short)
    interleaved += b"".join(bytes(column) for column in zip(*ec, strict=True))
    bits = format(int.from_bytes(interleaved, "big"), f"0{8 * len(interleaved)}b")
    modules = bits.encode("ascii").translate(_BITS).ljust(layout.data_modules + 1, b"\x00")
    return layout.fixed | int.from_bytes(bytes(layout.place(modules)), "big")


def _segno(url: str) -> tuple[SymbolLayout, str, int]:
    """Encode with segno (any mode); returns layout, level and unmasked matrix."""
    code = segno.make(url, error="m", micro=False, mask=0)
    version, level = code.version, code.error
    assert isinstance(version, int) and isinstance(level, str)  # QR code, not Micro QR
    layout = symbol_layout(version)
    with_mask_0 = int.from_bytes(b"".join(code.matrix), "big")
    unmasked = (with_mask_0 & (layout.ones ^ layout.format_area)) ^ layout.flips[0]
    return layout, level, unmasked


def qr_matrix(url: str) -> tuple[bytes, ...]:
    """Return the QR code matrix for url, module for module the one segno.make gives."""
    encoded = None
    if url.isascii() and _BYTE_MODE.search(url):
        encoded = _byte_mode(url.encode("ascii"))
    layout, level, unmasked = encoded or _segno(url)
    mask = best_mask(unmasked, layout)
    symbol = (unmasked ^ layout.flips[mask]) | format_bits(layout.version, level, mask)
    cells = symbol.to_bytes(layout.size**2, "big")
    return tuple(cells[i : i + layout.size] for i in range(0, len(cells), layout.size))


def dark_runs(matrix: tuple[bytes, ...]) -> list[tuple[int, int, int]]:
    """Return the matrix's horizontal runs of dark modules as (row, start, length)."""
    return [
        (row, run.start(), run.end() - run.start())
        for row, line in enumerate(matrix)
        for run in _DARK_RUN.finditer(line)
    ]
