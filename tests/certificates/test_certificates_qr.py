"""The QR code matrix: the same symbol segno would make, with its mask chosen the same way."""

from __future__ import annotations

import random
import string

import pytest
import segno
from segno import consts

from certificates import new_code, verify_url_for
from certificates.qr import _alignment_centres, dark_runs, qr_matrix

URL_CHARACTERS = string.ascii_letters + string.digits + "/-._~%"


def segno_matrix(url: str) -> tuple[bytes, ...]:
    """The matrix segno makes when it scores all eight masks itself."""
    return tuple(bytes(row) for row in segno.make(url, error="m", micro=False).matrix)


def test_verification_urls_get_segnos_symbol_module_for_module() -> None:
    masks = set()
    for base in ("https://ce.example.org", "https://training.example.edu/continuing-ed"):
        for _ in range(60):
            url = verify_url_for(base, new_code())
            assert qr_matrix(url) == segno_matrix(url), url
            masks.add(segno.make(url, error="m", micro=False).mask)
    # Every mask won somewhere, so the comparison covers the scoring, not just mask 0.
    assert masks == set(range(8))


@pytest.mark.parametrize("length", [1, 10, 30, 60, 100, 140, 200, 300, 450, 700, 1000, 2300])
def test_every_size_of_symbol_matches_segno(length: int) -> None:
    # Versions 1 to 40: alignment patterns, version information and boosted error levels.
    rng = random.Random(length)
    for _ in range(3):
        url = "https://e.org/" + "".join(rng.choice(URL_CHARACTERS) for _ in range(length))
        assert qr_matrix(url) == segno_matrix(url), (length, url)


def test_symbols_with_finder_like_runs_match_segno() -> None:
    # Digits pack densely, so repetitive ones lay many 1:1:3:1:1 and long same-colour runs.
    # "12345" fits version 1, where segno raises the error level to H.
    for digits in ("12345", "0" * 40, "1" * 90, "10111010000" * 12, "9" * 300):
        assert qr_matrix(digits) == segno_matrix(digits), digits


def test_dark_runs_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix(verify_url_for("https://ce.example.org", new_code()))
    drawn = [bytearray(len(matrix)) for _ in matrix]
    for row, start, length in dark_runs(matrix):
        assert length > 0 and drawn[row][start : start + length] == bytes(length)
        drawn[row][start : start + length] = b"\x01" * length
    assert tuple(bytes(row) for row in drawn) == matrix


def test_alignment_patterns_sit_where_iso_18004_annex_e_puts_them() -> None:
    # Checked against segno's copy of the Annex E table for every version, including the
    # ones no test URL reaches.
    assert _alignment_centres(1, 21) == []
    for version in range(2, 41):
        expected = list(consts.ALIGNMENT_POS[version - 2])
        assert _alignment_centres(version, 17 + 4 * version) == expected, version
