"""Small pieces of the sentences pages, emails and messages build."""

from __future__ import annotations

from typing import TypeVar

from markupsafe import Markup

Words = TypeVar("Words", str, Markup)


def and_list(items: list[Words]) -> Words:
    """ "1", "1 and 2", "1, 2 and 3": text or markup, as ``items`` are."""
    if len(items) < 2:
        return items[0]
    glue = type(items[0])  # Markup joins markup (escaping nothing twice), str joins text
    return glue(", ").join(items[:-1]) + glue(" and ") + items[-1]
