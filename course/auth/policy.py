"""Password rules after NIST SP 800-63B: length and a blocklist, no composition rules."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

MIN_LENGTH = 8
#: Far above NIST's "at least 64"; long passphrases are welcome, nothing is ever truncated.
MAX_LENGTH = 256

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, lower-cased."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(
            line.strip().lower() for line in handle if line.strip() and not line.startswith("#")
        )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def password_problem(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """Return why the password cannot be used, or None when it is fine.

    Length counts characters (Unicode code points), not bytes.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = _fold(password)
    if folded in common_passwords():
        return (
            "That password is one of the most commonly used, so it is easy to guess. "
            "Please choose another: a few unrelated words work well."
        )
    personal = {_fold(email), _fold(email).split("@")[0], _fold(full_name)}
    if folded in personal - {""} or folded.replace(" ", "") == _fold(full_name).replace(" ", ""):
        return "Please choose a password that is not your email address or your name."
    return None
