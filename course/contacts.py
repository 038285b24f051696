"""Numbers and addresses in contact text become links: tap to call (tel:), text (sms:) or
write (mailto:)."""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

# A US toll-free or local number written 1-800-786-2929, (800) 786-2929 or 800-786-2929,
# a short code after "text" (233733), or a three-digit service number (988, 711).
_NUMBER = re.compile(
    r"(?<![\w-])(?:1[-. ])?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-])"
    r"|(?<![\w-])\d{3}(?![\w-])"
    r"|(?<=text )\d{4,6}(?![\w-])",
    re.IGNORECASE,
)
_VERB = re.compile(r"\b(call|text|tty|chat)\b", re.IGNORECASE)
# An email address (a records office, a CE coordinator): linked to write to it.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?<!\.)")
_LINKABLE = re.compile(f"(?P<email>{_EMAIL.pattern})|{_NUMBER.pattern}", re.IGNORECASE)


def dial_string(number: str) -> str:
    """Return the digits to dial: +1 and ten digits for a full number, else the digits."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    return digits


@lru_cache(maxsize=256)
def contact_links(text: str) -> Markup:
    """Return the text, escaped, with each phone number and email address linked.

    A number after "text" opens a text message; any other opens a call. A number
    offered for both ("Call or text 988") gets its call link and a "text" link after it.
    Remembered: the same few support lines are shown on every course page.
    """
    parts: list[str] = []
    last = 0
    for match in _LINKABLE.finditer(text):
        before = text[last : match.start()]
        parts.append(str(escape(before)))
        last = match.end()
        if address := match.group("email"):
            parts.append(f'<a href="mailto:{escape(address)}">{escape(address)}</a>')
            continue
        verbs = [v.lower() for v in _VERB.findall(before)]
        number = match.group(0)
        dial = dial_string(number)
        texting = "text" in verbs and "call" not in verbs
        scheme = "sms" if texting else "tel"
        label = "Text" if texting else "Call"
        parts.append(f'<a href="{scheme}:{dial}" aria-label="{label} {escape(number)}">'
                     f"{escape(number)}</a>")
        if not texting and "text" in verbs:
            parts.append(f' (<a href="sms:{dial}" aria-label="Text {escape(number)}">text</a>)')
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))
