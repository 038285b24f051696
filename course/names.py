"""People's names as certificates print them: normalised, and never able to lie.

A name is shown on the verify page, printed in the PDF, searched by admins and exported
to CSV. Text-direction controls make one string read differently in each of those
(``Jane \\u202eHTIMS\\u202c Doe`` shows as "Jane SMITH Doe" in a browser), invisible
characters make a blank name look filled in, and control characters print as missing
glyphs. So names are stored in Unicode NFC with runs of whitespace made one space, and
a name holding any of those characters, or no visible letter at all, is refused with a
message saying why. So is a name the certificate cannot print as typed (a script its
font lacks, or one written right to left): the name is asked for "exactly as it should
appear on your certificates", so it is refused when typed, not after the hour of study.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from wtforms.validators import ValidationError

from certificates.fonts import unprintable

#: Joiners some scripts need inside words (Persian, Indic, emoji sequences).
JOINERS = frozenset("\u200c\u200d")
#: Letters by category that render as nothing (Hangul fillers).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")

INVISIBLE = (
    "A name cannot contain invisible or control characters, such as text-direction "
    "marks or zero-width spaces. Please type it again, or paste it as plain text."
)
NO_LETTER = "A name needs at least one letter."
UNPRINTABLE = (
    "Certificates cannot print {chars} in a name. Please type your name as it appears on "
    "your license, in letters such as A to Z (accents are fine)."
)


class NameRefused(ValueError):
    """A name that cannot be stored; the message says why, in words a learner follows."""


def normalise_name(value: str) -> str:
    """Return the name in NFC with surrounding and repeated whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def search_key(value: str) -> str:
    """Return a name as a search compares it: without accents, case folded ("Núñez" and
    "NUNEZ" both read "nunez"), whitespace as ``normalise_name`` leaves it."""
    # A name is often typed without its accents (by a colleague, from a phone call), and
    # SQLite's LIKE folds the case of A to Z only: "ÁLVAREZ" never found "Álvarez".
    decomposed = unicodedata.normalize("NFKD", normalise_name(value))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def hidden_character(char: str) -> bool:
    """True for a control, format, unassigned or private character (a joiner is not)."""
    if char in JOINERS:
        return False
    category = unicodedata.category(char)
    # Cc control; Cf format, which holds every bidirectional embedding, override,
    # isolate and mark, the zero-width space and the BOM; Cs/Co/Cn surrogate, private
    # use and unassigned code points.
    return category in {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_name(value: str) -> str:
    """Return the name as stored; raise NameRefused for one that could mislead.

    :raise NameRefused: for a control, format or text-direction character, a name
        without any visible letter, or one holding characters a certificate cannot print.
    """
    name = normalise_name(value)
    if any(hidden_character(char) for char in name):
        raise NameRefused(INVISIBLE)
    if not any(unicodedata.category(c).startswith("L") and c not in BLANK_LETTERS for c in name):
        raise NameRefused(NO_LETTER)
    if missing := unprintable(name):
        shown = ", ".join(f"“{char}”" for char in missing[:5]) + (", …" if missing[5:] else "")
        raise NameRefused(UNPRINTABLE.format(chars=shown))
    return name


#: The name of an account opened from an LMS that shared no usable name: no certificate
#: is issued to it (the evaluation asks the learner to add their own first).
LMS_STAND_IN_NAME = "Learner from your agency's LMS"


def is_stand_in(name: str | None) -> bool:
    """True for the stand-in name of an LMS learner whose platform shared none."""
    return name == LMS_STAND_IN_NAME


def name_or(value: str, fallback: str) -> str:
    """Return the cleaned name, or ``fallback`` when it is refused (names from elsewhere)."""
    stripped = "".join(c for c in normalise_name(value) if not hidden_character(c))
    try:
        return clean_name(stripped)
    except NameRefused:
        return fallback


def name_filter(value: Any) -> Any:
    """WTForms filter: normalise a typed name before it is checked."""
    return normalise_name(value) if isinstance(value, str) else value


def clean_licence_detail(value: str, what: str) -> str:
    """Return a license number or state as given; raise NameRefused if it could mislead."""
    # Refused: control, format and text-direction characters (joiners too: no license
    # needs one) and characters a certificate cannot print. The PDF prints the first as
    # nothing while a browser obeys them, so the verification page would show "ending
    # in 3465" for a certificate printing 123456.
    if any(hidden_character(char) or char in JOINERS for char in value):
        raise NameRefused(
            f"A {what} cannot contain invisible or control characters, such as text-direction"
            " marks or zero-width spaces. Please type it again, or paste it as plain text."
        )
    if missing := unprintable(value):
        shown = ", ".join(f"“{char}”" for char in missing[:5]) + (", …" if missing[5:] else "")
        raise NameRefused(
            f"Certificates cannot print {shown} in a {what}. Please type it as it appears on"
            " your license, in letters and digits such as A to Z and 0 to 9."
        )
    return value


class LicenceDetail:
    """WTForms validator: the field holds what :func:`clean_licence_detail` accepts."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return  # optional: nothing to print
        try:
            clean_licence_detail(field.data, self.what)
        except NameRefused as exc:
            raise ValidationError(str(exc)) from exc


class PersonName:
    """WTForms validator: the field holds a name that :func:`clean_name` accepts."""

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return  # DataRequired speaks for an empty field
        try:
            clean_name(field.data)
        except NameRefused as exc:
            raise ValidationError(str(exc)) from exc
