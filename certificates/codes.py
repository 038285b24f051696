"""Certificate codes: 80 random bits in Crockford base32 with a mod-37 check symbol."""

from __future__ import annotations

import secrets
import unicodedata
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

import segno

__all__ = [
    "CODE_BITS",
    "EXAMPLE_CODE",
    "SPECIMEN_CODE",
    "FORMAT_TEXT",
    "new_code",
    "normalize_code",
    "shown_as_typed",
    "spoken_code",
    "verify_qr_svg",
    "verify_url_for",
]

# Crockford's alphabet leaves out I, L, O and U so a code read aloud or retyped is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# The check symbol takes a value 0..36; values 32..36 use Crockford's five extra symbols.
CHECK_ALPHABET = ALPHABET + "*~$=U"
#: The extra check symbols by name: a screen reader at its usual punctuation level may
#: skip one (a "~" most often), and a code read aloud must keep its last character.
SYMBOL_NAMES = {"*": "asterisk", "~": "tilde", "$": "dollar sign", "=": "equals sign"}
DATA_LENGTH = 16
CODE_BITS = 5 * DATA_LENGTH  # 80 bits: guessing a live code is hopeless even at scale
GROUP = 4
#: A well-formed code (its check symbol matches) that no certificate has, for hints.
EXAMPLE_CODE = "7K3M-Q9XD-2HTP-W4RB-5"
#: The code printed on specimen certificates (an audit pack's sample of the layout): well
#: formed, so a board that scans one is told what it is rather than "not found".
SPECIMEN_CODE = "5PEC-1MEN-0000-0000-1"
#: The shape of a code in words, for people who mistype one.
FORMAT_TEXT = (
    f"{DATA_LENGTH // GROUP} groups of {GROUP} letters and digits, then one last check"
    f" character, like {EXAMPLE_CODE}"
)

# Check symbols the verification address percent-encodes (see verify_url_for).
_ESCAPED_CHECKS = frozenset("*$=")
_DECODE = {char: value for value, char in enumerate(CHECK_ALPHABET)}
# Crockford decoding: letters people confuse with digits are read as those digits.
_DECODE.update({"O": 0, "I": 1, "L": 1})
# Separators people (or PDF viewers copying text) put between groups.
_SEPARATORS = str.maketrans("", "", " \t\r\n-_.\u2010\u2011\u2012\u2013\u2014\u2212")
# Longer input is not a mistyped code; refusing it early bounds the work a request causes.
_MAX_INPUT = 64
#: The longest pasted verification address read as its code (see normalize_code).
MAX_PASTED = 512


def _check_value(digits: list[int]) -> int:
    """Return the mod-37 check value of base-32 digits (most significant first)."""
    value = 0
    for digit in digits:
        value = value * 32 + digit
    # 37 is prime and coprime to 32 and 31, so any single substitution or adjacent swap
    # changes the remainder.
    return value % 37


def _format(data: str, check: str) -> str:
    """Group the data characters in fours and append the check symbol as the last group."""
    groups = [data[i : i + GROUP] for i in range(0, len(data), GROUP)]
    return "-".join([*groups, check])


def _code_from_bits(number: int) -> str:
    """Return the code for an 80-bit number, its check symbol whatever it comes to."""
    digits = [(number >> (5 * i)) & 31 for i in reversed(range(DATA_LENGTH))]
    data = "".join(ALPHABET[d] for d in digits)
    return _format(data, CHECK_ALPHABET[_check_value(digits)])


def new_code() -> str:
    """Return a new random certificate code, e.g. "7K3M-Q9XD-2HTP-W4RB-5"."""
    while True:
        code = _code_from_bits(secrets.randbits(CODE_BITS))
        # A verifier types the code from the certificate into its address, so a new code
        # never ends in a symbol the address must percent-encode. Redrawing costs 3 codes
        # in 37 (0.12 of the 80 bits); codes issued before this rule still verify.
        if code[-1] not in _ESCAPED_CHECKS:
            return code


def normalize_code(text: str) -> str | None:
    """Return the canonical code for loosely typed input, or None if malformed or mistyped."""
    if not isinstance(text, str) or len(text) > MAX_PASTED:
        return None
    text = _code_part(text)
    if len(text) > _MAX_INPUT:
        return None
    compact = _plain(text).upper().translate(_SEPARATORS)
    if len(compact) != DATA_LENGTH + 1:
        return None
    digits: list[int] = []
    for char in compact[:DATA_LENGTH]:
        value = _DECODE.get(char)
        if value is None or value >= 32:
            return None
        digits.append(value)
    check = _DECODE.get(compact[DATA_LENGTH])
    if check is None or check != _check_value(digits):
        return None
    data = "".join(ALPHABET[d] for d in digits)
    return _format(data, CHECK_ALPHABET[check])


def shown_as_typed(text: str) -> str | None:
    """Return typed text a page may repeat as a mistyped code, or None if it is no code."""
    # Only what could be a code with a slip (code characters and separators, about a
    # code's length) comes back: a verification page must not print a sentence from its
    # own address, which a forger could word as a verdict ("This certificate is VALID").
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    compact = text.upper().translate(_SEPARATORS)
    if not DATA_LENGTH - 2 <= len(compact) <= DATA_LENGTH + 3:
        return None
    return text if all(char in _DECODE for char in compact) else None


def _plain(text: str) -> str:
    """Text as a keyboard would have typed it: compatibility forms folded, invisibles gone."""
    # A code copied from a word processor, an email or a web page can carry no-break or
    # narrow spaces, full-width letters, soft hyphens or zero-width characters between its
    # groups; none of them is a typing mistake, and the check symbol still catches one.
    folded = unicodedata.normalize("NFKC", text)
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")


def _code_part(text: str) -> str:
    """The code in a pasted verification address ("https://host/verify/<code>"), else text."""
    # Boards copy the address printed under the code as often as the code itself.
    if "/verify/" not in text:
        return text
    path = text.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return unquote(path.rpartition("/verify/")[2])


def verify_url_for(base_url: str, code: str) -> str:
    """Return the public verification URL for a code: <base_url>/verify/<code>."""
    # base_url is the site root ("https://host" or "https://host/prefix"); a base that
    # already ends in "/verify" (e.g. from the app's URL builder) is used as it is.
    canonical = normalize_code(code)
    if canonical is None:
        raise ValueError(f"not a valid certificate code: {code!r}")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL: {base_url!r}")
    base = base_url.rstrip("/")
    if not base.endswith("/verify"):
        base += "/verify"
    # The check symbols * $ = are legal in a path but get cut off by many link detectors
    # in mail and chat, so they are percent-encoded; web frameworks decode them again.
    # Only codes issued before new_code() stopped drawing them can end in one.
    return f"{base}/{quote(canonical, safe='-')}"


@lru_cache(maxsize=512)
def verify_qr_svg(url: str) -> str:
    """Return a verification URL as an inline SVG QR code, error correction level M."""
    # Remembered per URL (a few KB each): a certificate's URL never changes, and choosing
    # the best of the code's eight masks cost half of each certificate page view.
    return segno.make(url, error="m").svg_inline(scale=3, title="QR code: verify")


def spoken_code(code: str) -> str | None:
    """The code with a punctuation check symbol named ("…-WEAP, check symbol tilde"), or None."""
    name = SYMBOL_NAMES.get(code[-1:])
    return f"{code[:-1].rstrip('-')}, check symbol {name}" if name else None
