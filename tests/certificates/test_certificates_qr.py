"""The QR code matrix: module for module the symbol segno.make draws, mask choice included."""

from __future__ import annotations

import random
import string
from types import SimpleNamespace

import pytest
import segno
from segno import consts

from certificates import codes, new_code, verify_url_for
from certificates import qr as qr_module
from certificates.qr import dark_runs, qr_matrix
from certificates.qrlayout import alignment_centres, raw_codewords, symbol_layout

URL_CHARACTERS = string.ascii_letters + string.digits + "/-._~%"
SEGNO_LEVELS = {"M": consts.ERROR_LEVEL_M, "Q": consts.ERROR_LEVEL_Q, "H": consts.ERROR_LEVEL_H}


def segno_matrix(content: str) -> tuple[bytes, ...]:
    """The matrix segno makes when it encodes and scores all eight masks itself."""
    return tuple(bytes(row) for row in segno.make(content, error="m", micro=False).matrix)


def test_verification_urls_get_segnos_symbol_module_for_module(monkeypatch) -> None:
    # Seeded codes, so that the set of masks that win below is the same every run.
    monkeypatch.setattr(codes, "secrets", SimpleNamespace(randbits=random.Random(5).getrandbits))
    masks = set()
    for _ in range(40):
        for base in ("https://ce.example.org", "https://training.example.edu/continuing-ed"):
            url = verify_url_for(base, new_code())
            assert qr_matrix(url) == segno_matrix(url), url
            masks.add(segno.make(url, error="m", micro=False).mask)
    # Every mask won somewhere, so the comparison covers the scoring, not just one mask.
    assert masks == set(range(8))


def test_verification_urls_are_encoded_here_not_by_segno(monkeypatch) -> None:
    def no_segno(url: str) -> None:
        raise AssertionError(f"segno used for {url}")

    monkeypatch.setattr(qr_module, "_segno", no_segno)
    qr_matrix(verify_url_for("https://ce.example.org", new_code()))


@pytest.mark.parametrize(
    "length", [1, 3, 10, 19, 30, 60, 100, 140, 200, 300, 450, 700, 1000, 1500, 2300]
)
def test_every_size_of_symbol_matches_segno(length: int) -> None:
    # Versions 1 to 40: alignment patterns, version information, boosted error levels.
    rng = random.Random(length)
    for _ in range(3 if length < 500 else 1):  # segno takes a while over a large symbol
        text = "".join(rng.choice(URL_CHARACTERS) for _ in range(length))
        for url in (text, f"https://e.org/{text}"):
            assert qr_matrix(url) == segno_matrix(url), (length, url)


@pytest.mark.parametrize(
    "content",
    [
        "HTTPS://CE.EXAMPLE.ORG/VERIFY/7K3M-Q9XD-2HTP-W4RB-5",  # alphanumeric mode
        "https://zoë.example.org/verify/7K3M-Q9XD-2HTP-W4RB-5",  # ISO 8859-1 bytes
        "https://nguyễn.example.org/verify/7K3M-Q9XD-2HTP-W4RB-5",  # UTF-8 bytes
        "12345",  # numeric mode, version 1, where segno raises the error level to H
        "0" * 40,
        "1" * 90,
        "10111010000" * 12,  # many 1:1:3:1:1 finder-like runs
        "9" * 300,
    ],
)
def test_content_segno_encodes_matches_segno(content: str) -> None:
    assert qr_matrix(content) == segno_matrix(content)


def test_too_long_a_url_fails_as_segno_does() -> None:
    with pytest.raises(segno.DataOverflowError):
        qr_matrix("https://e.org/" + "x" * 3000)


def test_error_correction_blocks_follow_iso_18004_table_9() -> None:
    # Checked against segno's copy of the table for every version, including the ones
    # no test URL reaches.
    for level, segno_level in SEGNO_LEVELS.items():
        for version in range(1, 41):
            groups = consts.ECC[version][segno_level]
            blocks = sum(group.num_blocks for group in groups)
            per_block = {group.num_total - group.num_data for group in groups}
            assert qr_module._BLOCKS[level][version - 1] == blocks, (level, version)
            assert {qr_module._EC_PER_BLOCK[level][version - 1]} == per_block, (level, version)
            total = sum(group.num_blocks * group.num_total for group in groups)
            assert raw_codewords(version) == total, version


def test_symbol_layouts_hold_every_codeword_and_iso_18004_alignment_patterns() -> None:
    assert alignment_centres(1, 21) == []
    for version in range(1, 41):
        layout = symbol_layout(version)
        assert layout.data_modules // 8 == raw_codewords(version), version
        assert layout.data_modules % 8 in (0, 3, 4, 7)  # remainder bits
        if version > 1:
            expected = list(consts.ALIGNMENT_POS[version - 2])
            assert alignment_centres(version, layout.size) == expected, version


def test_dark_runs_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix(verify_url_for("https://ce.example.org", new_code()))
    drawn = [bytearray(len(matrix)) for _ in matrix]
    for row, start, length in dark_runs(matrix):
        assert length > 0 and drawn[row][start : start + length] == bytes(length)
        drawn[row][start : start + length] = b"\x01" * length
    assert tuple(bytes(row) for row in drawn) == matrix
