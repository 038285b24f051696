"""Certificate codes: format, randomness, typo detection and loose input."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest
from certificates_testkit import CODE

from certificates import codes, new_code, normalize_code, verify_qr_svg, verify_url_for
from certificates.codes import EXAMPLE_CODE, shown_as_typed

DATA = "[0-9A-HJKMNP-TV-Z]"
CODE_RE = re.compile(rf"^{DATA}{{4}}-{DATA}{{4}}-{DATA}{{4}}-{DATA}{{4}}-[0-9A-HJKMNP-TV-Z*~$=U]$")
ALIASES = {"O": "0", "I": "1", "L": "1"}  # Crockford reads these as digits: not typos


def test_new_code_has_the_grouped_crockford_format() -> None:
    for _ in range(500):
        code = new_code()
        assert CODE_RE.match(code), code
        assert normalize_code(code) == code


def test_new_code_draws_80_random_bits_and_uses_all_of_them(monkeypatch) -> None:
    requested: list[int] = []

    def fake_randbits(k: int) -> int:
        requested.append(k)
        return (1 << k) - 1  # every bit set

    monkeypatch.setattr(codes.secrets, "randbits", fake_randbits)
    assert new_code().startswith("ZZZZ-ZZZZ-ZZZZ-ZZZZ-")
    assert requested == [80]
    monkeypatch.setattr(codes.secrets, "randbits", lambda k: 0)
    assert new_code() == "0000-0000-0000-0000-0"


def test_every_one_of_the_80_bits_changes_the_code() -> None:
    # All bits set and none set say nothing of a bit the code drops or reads twice: a
    # code that kept 65 of its bits would still vary in every position.
    single_bits = {codes._code_from_bits(1 << bit) for bit in range(codes.CODE_BITS)}
    assert len(single_bits) == codes.CODE_BITS
    assert codes._code_from_bits(0) not in single_bits
    assert all(normalize_code(code) == code for code in single_bits)


def test_new_codes_are_unique_and_every_position_varies() -> None:
    sample = [new_code() for _ in range(4000)]
    assert len(set(sample)) == len(sample)
    data = [code.replace("-", "")[:16] for code in sample]
    for position in range(16):
        # 4000 uniform draws miss one of 32 symbols with odds around 1e-53.
        assert len({d[position] for d in data}) == 32, position
    # Every check symbol turns up but the three an address must percent-encode.
    assert {code[-1] for code in sample} == set(codes.CHECK_ALPHABET) - set("*$=")


def test_a_new_code_is_redrawn_rather_than_end_in_a_symbol_its_address_escapes(
    monkeypatch,
) -> None:
    # 2**80 - 2 ends in "*" (check value 32); the next draw, every bit set, in "~".
    draws = iter([(1 << 80) - 2, (1 << 80) - 1])
    monkeypatch.setattr(codes.secrets, "randbits", lambda k: next(draws))
    assert codes._code_from_bits((1 << 80) - 2).endswith("*")
    code = new_code()
    assert code == "ZZZZ-ZZZZ-ZZZZ-ZZZZ-~"
    assert verify_url_for("https://ce.example.org", code).endswith("/verify/" + code)



def _compact(code: str) -> str:
    return code.replace("-", "")


def test_every_single_substitution_is_caught() -> None:
    checked = 0
    for code in [CODE] + [new_code() for _ in range(200)]:
        compact = _compact(code)
        for position, original in enumerate(compact):
            alphabet = codes.CHECK_ALPHABET if position == 16 else codes.ALPHABET
            for replacement in alphabet:
                if replacement == original:
                    continue
                typo = compact[:position] + replacement + compact[position + 1 :]
                assert normalize_code(typo) is None, (code, typo)
                checked += 1
    assert checked > 200 * 16 * 31


def test_every_adjacent_transposition_is_caught() -> None:
    checked = 0
    for code in [CODE] + [new_code() for _ in range(1000)]:
        compact = _compact(code)
        for i in range(len(compact) - 1):
            if compact[i] == compact[i + 1]:
                continue  # swapping equal characters changes nothing
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            # The swap may also involve the check symbol itself (position 16).
            assert normalize_code(swapped) is None, (code, swapped)
            checked += 1
    assert checked > 1000 * 15


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        CODE.lower(),
        _compact(CODE),
        _compact(CODE).lower(),
        " 7k3m q9xd 2htp w4rb 5 ",
        "7K3M--Q9XD---2HTP-W4RB-5",
        "7K-3M-Q9-XD-2H-TP-W4-RB-5",
        "7K3M\u2013Q9XD\u20132HTP\u2013W4RB\u20135",  # en dashes, as pasted from documents
        "7K3M-Q9XD-2HTP-W4RB-5\n",
        # As copied from a word processor, an email or a web page:
        "7K3M\u00a0Q9XD\u00a02HTP\u00a0W4RB\u00a05",  # no-break spaces
        "7K3M\u202fQ9XD\u202f2HTP\u202fW4RB\u202f5",  # narrow no-break spaces
        "7K3M\u00adQ9XD\u00ad2HTP\u00adW4RB\u00ad5",  # soft hyphens
        "7K3M\u200bQ9XD\u200b2HTP\u200bW4RB\u200b5",  # zero-width spaces
        "\ufeff7K3M-Q9XD-2HTP-W4RB-5",  # a byte-order mark at the start
        "\uff17\uff2b\uff13\uff2d-Q9XD-2HTP-W4RB-5",  # full-width letters and digits
    ],
)
def test_normalize_accepts_loose_input(typed: str) -> None:
    assert normalize_code(typed) == CODE


def test_normalize_reads_crockford_aliases_as_digits() -> None:
    code = (
        "0000-1111-0000-1111-"
        + codes.CHECK_ALPHABET[codes._check_value([0, 0, 0, 0, 1, 1, 1, 1] * 2)]
    )
    typed = "oOoO-iIlL-OoOo-LlIi-" + code[-1]
    assert normalize_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "7K3M-Q9XD-2HTP-W4RB",  # check symbol missing
        "7K3M-Q9XD-2HTP-W4RB-55",  # one too many
        "7K3M-Q9XD-2HTP-W4R-5",  # one too few
        "7K3M-Q9XD-2HTP-W4R!-5",  # not in the alphabet
        "UK3M-Q9XD-2HTP-W4RB-5",  # U is only a check symbol
        "*K3M-Q9XD-2HTP-W4RB-5",  # so is *
        "7K3M-Q9XD-2HTP-W4RB-5" * 4,  # far too long
        "7K3M/Q9XD/2HTP/W4RB/5",  # slashes are not separators
    ],
)
def test_normalize_rejects_malformed_input(typed: str) -> None:
    assert normalize_code(typed) is None


@pytest.mark.parametrize("symbol", "*~$=U")
def test_a_check_only_symbol_among_the_data_is_refused_even_when_the_check_matches(
    symbol: str,
) -> None:
    # Worked out with the symbol's own value, the check symbol would agree: only the
    # alphabet stops such input, which no certificate can bear.
    digits = [codes.CHECK_ALPHABET.index(c) for c in _compact(CODE)[:15] + symbol]
    typed = _compact(CODE)[:15] + symbol + codes.CHECK_ALPHABET[codes._check_value(digits)]
    assert normalize_code(typed) is None


def test_a_generously_spaced_code_is_read_up_to_the_input_limit() -> None:
    # Spaces around a pasted code are no typo; only past the limit is input refused.
    padded = CODE.center(codes._MAX_INPUT)
    assert normalize_code(padded) == CODE
    assert normalize_code(padded + " ") is None


@pytest.mark.parametrize(
    "pasted",
    [
        f"https://ce.example.org/verify/{CODE}",
        f"https://ce.example.org/verify/{CODE}/",
        f"https://ce.example.org/verify/{CODE}#top",
        f"  https://example.org/ce/verify/{CODE}?utm_source=email#top ",
        f"https://ce.example.org/verify/{CODE.lower()}",
    ],
)
def test_a_pasted_verification_address_is_read_as_its_code(pasted: str) -> None:
    # Boards copy the address printed under the code as often as the code itself.
    assert normalize_code(pasted) == CODE


def test_a_pasted_address_with_an_encoded_check_symbol_is_read() -> None:
    code = next(c for c in map(codes._code_from_bits, range(100)) if c[-1] == "*")
    assert normalize_code(verify_url_for("https://ce.example.org", code)) == code


def test_a_pasted_address_is_read_up_to_its_limit() -> None:
    # A long tracking query after the code is still the code; past the limit, no input is.
    address = f"https://ce.example.org/verify/{CODE}?utm_source="
    longest = address + "x" * (codes.MAX_PASTED - len(address))
    assert normalize_code(longest) == CODE
    assert normalize_code(longest + "x") is None


@pytest.mark.parametrize(
    "typed",
    [
        "7K3M-Q9XD-2HTP-W4RB-6",  # the check symbol wrong
        "7k3m q9xd 2htp w4rb 6",
        _compact(CODE)[:14],  # three characters short
        _compact(CODE) + "AB",  # two too many
        CODE.center(64),
    ],
)
def test_a_mistyped_code_is_given_back_as_typed(typed: str) -> None:
    # The retype box is filled in with it: the mistake is usually one character.
    assert shown_as_typed(typed) == typed


@pytest.mark.parametrize(
    "typed",
    [
        "This certificate is VALID",  # a forger's verdict in the address is never printed
        "VALID",
        _compact(CODE)[:13],
        _compact(CODE) + "ABC",
        "7K3M-Q9XD-2HTP-W4R!-5",  # a character no code has
        CODE.center(65),
        None,
    ],
)
def test_text_that_could_not_be_a_code_is_not_given_back(typed: str | None) -> None:
    assert shown_as_typed(typed) is None  # type: ignore[arg-type]


def test_normalize_rejects_non_strings() -> None:
    assert normalize_code(None) is None  # type: ignore[arg-type]
    assert normalize_code(12345) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://ce.example.org", f"https://ce.example.org/verify/{CODE}"),
        ("https://ce.example.org/", f"https://ce.example.org/verify/{CODE}"),
        ("https://ce.example.org/verify", f"https://ce.example.org/verify/{CODE}"),
        ("https://ce.example.org/verify/", f"https://ce.example.org/verify/{CODE}"),
        ("https://example.org/ce", f"https://example.org/ce/verify/{CODE}"),
        ("http://localhost:5000", f"http://localhost:5000/verify/{CODE}"),
    ],
)
def test_verify_url_for(base: str, expected: str) -> None:
    assert verify_url_for(base, CODE) == expected


def test_verify_url_for_canonicalises_the_code() -> None:
    assert verify_url_for("https://ce.example.org", CODE.lower().replace("-", " ")).endswith(
        f"/verify/{CODE}"
    )


def test_verify_url_keeps_check_symbols_safe_in_links() -> None:
    # Codes issued before new codes stopped ending in a symbol that link detectors tend
    # to drop still get a safe address.
    for symbol in "*$=":
        code = next(c for c in map(codes._code_from_bits, range(100)) if c[-1] == symbol)
        url = verify_url_for("https://ce.example.org", code)
        last_segment = urlsplit(url).path.rsplit("/", 1)[1]
        assert symbol not in last_segment and "%" in last_segment
        assert normalize_code(unquote(last_segment)) == code
        assert normalize_code(code.lower()) == code


@pytest.mark.parametrize(
    ("base", "code"),
    [
        ("https://ce.example.org", "7K3M-Q9XD-2HTP-W4RB-6"),  # check symbol wrong
        ("ce.example.org", CODE),  # not absolute
        ("ftp://ce.example.org", CODE),
        ("https:///verify", CODE),  # no host: a board could not follow the address
    ],
)
def test_verify_url_for_refuses_bad_input(base: str, code: str) -> None:
    with pytest.raises(ValueError):
        verify_url_for(base, code)


def test_each_verification_url_gets_its_own_qr_code() -> None:
    first = verify_qr_svg(verify_url_for("https://ce.example.org", EXAMPLE_CODE))
    second = verify_qr_svg(verify_url_for("https://ce.example.org", new_code()))
    assert first.startswith("<svg") and "<title>QR code: verify</title>" in first
    assert second.startswith("<svg") and first != second
    # Asked again, the same URL gives the same code (it is remembered, not redrawn).
    assert verify_qr_svg(verify_url_for("https://ce.example.org", EXAMPLE_CODE)) == first


@pytest.mark.parametrize(("code", "said"), [
    ("45ZQ-HJ4J-WSXQ-WEAP-~", "45ZQ-HJ4J-WSXQ-WEAP, check symbol tilde"),
    ("45ZQ-HJ4J-WSXQ-WEAP-$", "45ZQ-HJ4J-WSXQ-WEAP, check symbol dollar sign"),
    # Codes issued before new codes stopped ending in * or = still do; each is named too.
    ("0000-0000-0000-0000-*", "0000-0000-0000-0000, check symbol asterisk"),
    ("0000-0000-0000-0000-=", "0000-0000-0000-0000, check symbol equals sign"),
    ("45ZQ-HJ4J-WSXQ-WEAP-5", None),  # a digit or a letter is read as it is
    ("45ZQ-HJ4J-WSXQ-WEAP-U", None),
])
def test_a_check_symbol_a_screen_reader_may_skip_is_named(code: str, said: str | None) -> None:
    assert codes.spoken_code(code) == said


def test_every_punctuation_check_symbol_has_a_name() -> None:
    symbols = {c for c in codes.CHECK_ALPHABET if not c.isalnum()}
    assert symbols == set(codes.SYMBOL_NAMES)


def test_the_codes_shown_as_examples_are_well_formed_and_the_shape_is_said_in_words() -> None:
    # The hint for a mistyped code shows EXAMPLE_CODE, and specimen certificates print
    # SPECIMEN_CODE: a board that types or scans either must meet a code, not "malformed".
    assert normalize_code(EXAMPLE_CODE) == EXAMPLE_CODE
    assert normalize_code(codes.SPECIMEN_CODE) == codes.SPECIMEN_CODE
    assert codes.FORMAT_TEXT == (
        "4 groups of 4 letters and digits, then one last check character,"
        " like 7K3M-Q9XD-2HTP-W4RB-5"
    )
