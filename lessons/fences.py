"""Fenced blocks in Markdown text (code, and a lesson's knowledge checks) and the lines
outside them, which are read as prose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .limits import Closers

# Same shape Python-Markdown's fenced_code accepts: a fence at column 0, closed by the
# identical fence, so both agree on what is code.
_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})[ ]*(?P<info>[^\n]*?)[ \t]*\r?\n?$")


@dataclass(frozen=True)
class Fence:
    """A fenced block in a lesson body, by 0-based line indexes (end is the closing line)."""

    start: int
    end: int | None
    info: str

    @property
    def is_check(self) -> bool:
        """True for a knowledge-check block."""
        return self.info == "check"


def find_fences(lines: list[str]) -> list[Fence]:
    """Locate fenced blocks; an unclosed fence has end None and is not a block at all."""
    fences: list[Fence] = []
    closers = Closers(lines)
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if not match:
            index += 1
            continue
        fence = match.group("fence")
        end = closers.after(fence, index)
        fences.append(Fence(index, end, match.group("info").strip()))
        # Like Markdown, an opening fence that is never closed is plain text.
        index = index + 1 if end is None else end + 1
    return fences


def prose_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """The lines outside closed fenced blocks (code and checks), as (0-based index, line)."""
    fences = [f for f in find_fences(lines) if f.end is not None]
    in_code = {i for f in fences for i in range(f.start, (f.end or 0) + 1)}
    return ((index, line) for index, line in enumerate(lines) if index not in in_code)
