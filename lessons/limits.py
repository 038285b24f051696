"""Limits that keep a hostile or broken package from exhausting the checker.

A package is checked on every author page, on upload and on ``course import``. The
parsers it goes through (libyaml, Python-Markdown) take time and stack growing with
nesting: YAML 3,000 levels deep raises RecursionError, 1,000 nested ``[`` in one
paragraph keep Python-Markdown busy for half a second and 20,000 for minutes. So the
size of each file and of the package, the nesting of YAML and of Markdown, and the time
the whole check may take are capped, each refusal naming the file and line. Real
courses stay far inside: a contact hour is about 60 KB of text, and nothing in a
package needs more than a handful of levels.
"""

from __future__ import annotations

import bisect
import re
import time

import yaml

#: One file (a lesson of about 80,000 words, eight contact hours of reading).
MAX_FILE_BYTES = 512 * 1024
#: The whole package, and how many files it may hold.
MAX_PACKAGE_BYTES = 8 * 1024 * 1024
MAX_FILES = 200
#: YAML nesting (course.yaml, post-test, evaluation, front matter, check blocks).
MAX_YAML_DEPTH = 20
#: Markdown lists and block quotes inside each other.
MAX_MARKDOWN_DEPTH = 16
#: Brackets or parentheses open at once within one paragraph.
MAX_BRACKET_DEPTH = 32
#: A run of asterisks longer than this is no emphasis a reader sees.
MAX_STAR_RUN = 50
#: Fences opened and never closed (plain text to Markdown, which looks for each one's end).
MAX_OPEN_FENCES = 20
#: The whole check of a package, parsing and lint, in seconds.
CHECK_SECONDS = 20.0

_QUOTE_OR_INDENT = re.compile(r"^(?:[ \t]*>)*")
_LIST_MARKERS = re.compile(r"(?:[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+)*")
# Python-Markdown's fenced_code: a fence at column 0, closed by the identical fence.
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_BRACKET = re.compile(r"[\[\]()]")
_STAR_RUN = re.compile(r"\*{" + str(MAX_STAR_RUN + 1) + ",}")


class Closers:
    """Where each fence line of a text is, to find a fence's closing line at once.

    Looking ahead line by line from every opening that is never closed takes time
    growing with the square of the lines: 100,000 of them would take hours.
    """

    def __init__(self, lines: list[str]) -> None:
        self._at: dict[str, list[int]] = {}
        for index, line in enumerate(lines):
            stripped = line.rstrip(" \r\n")
            if stripped[:1] in ("`", "~") and _FENCE.fullmatch(stripped):
                self._at.setdefault(stripped, []).append(index)

    def after(self, fence: str, index: int) -> int | None:
        """The first line after ``index`` that closes ``fence``, or None."""
        positions = self._at.get(fence, [])
        found = bisect.bisect_right(positions, index)
        return positions[found] if found < len(positions) else None


def size_problem(data_length: int, text: str) -> tuple[int, str] | None:
    """(1-based line, message) when a file is over MAX_FILE_BYTES, else None."""
    if data_length <= MAX_FILE_BYTES:
        return None
    # The line where the limit is crossed, counting characters as a stand-in for bytes.
    line = text[:MAX_FILE_BYTES].count("\n") + 1
    return line, (
        f"the file is {data_length // 1024} KB; a package file may have at most "
        f"{MAX_FILE_BYTES // 1024} KB (split a long lesson into several)"
    )


def _depth(line: str) -> int:
    quotes = _QUOTE_OR_INDENT.match(line)
    assert quotes is not None
    rest = line[quotes.end() :]
    indent = len(rest) - len(rest.lstrip(" \t"))
    width = len(rest[:indent].expandtabs(4))
    markers = _LIST_MARKERS.match(rest)
    count = len(re.findall(r"[-+*]|\d{1,9}[.)]", markers.group(0))) if markers else 0
    return quotes.group(0).count(">") + width // 4 + count


def markdown_problem(text: str) -> tuple[int, str] | None:
    """(0-based line, message) for Markdown nested or bracketed beyond the limits, else None.

    Fenced blocks are skipped: their text is code (or a check's YAML, limited on its own).
    """
    lines = text.splitlines()
    closers = Closers(lines)
    skip_to = -1
    brackets = parens = unclosed = 0
    for index, line in enumerate(lines):
        if index <= skip_to:
            continue
        opening = _FENCE.match(line)
        end = closers.after(opening.group(1), index) if opening else None
        if end is not None:
            skip_to = end
            continue
        if opening:
            unclosed += 1
            if unclosed > MAX_OPEN_FENCES:
                return index, f"more than {MAX_OPEN_FENCES} code fences are never closed"
        if not line.strip():
            brackets = parens = 0  # a paragraph ends at a blank line
            continue
        # A line that starts with a letter opens no list or quote (most prose lines).
        if not line[:1].isalpha() and _depth(line) > MAX_MARKDOWN_DEPTH:
            return index, (
                f"lists or quotes are nested more than {MAX_MARKDOWN_DEPTH} levels deep"
            )
        if _STAR_RUN.search(line):
            return index, f"a run of more than {MAX_STAR_RUN} asterisks"
        for found in _BRACKET.finditer(line):
            char = found.group(0)
            if char == "[":
                brackets += 1
            elif char == "]":
                brackets = max(brackets - 1, 0)
            elif char == "(":
                parens += 1
            elif char == ")":
                parens = max(parens - 1, 0)
            if brackets > MAX_BRACKET_DEPTH or parens > MAX_BRACKET_DEPTH:
                return index, (
                    f"more than {MAX_BRACKET_DEPTH} brackets or parentheses are open at once"
                )
    return None


_OPENERS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSERS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def too_deep(text: str) -> int | None:
    """0-based line where the YAML nests deeper than MAX_YAML_DEPTH, else None.

    Read as a stream of events, which takes no stack however deep the text goes; the
    composers that build nodes recurse, and 1,000 levels make them raise RecursionError.
    Broken YAML is left for the composer to report.
    """
    # libyaml stops at 1,000 levels with an error; the pure parser then finds the line.
    for loader in dict.fromkeys((getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader)):
        depth = 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, _OPENERS):
                    depth += 1
                    if depth > MAX_YAML_DEPTH:
                        return int(event.start_mark.line)
                elif isinstance(event, _CLOSERS):
                    depth -= 1
            return None
        except yaml.YAMLError:
            continue
    return None


class Deadline:
    """The time a check may still take; ``passed()`` once it is spent."""

    def __init__(self, seconds: float = CHECK_SECONDS) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def passed(self) -> bool:
        """True once the time is up."""
        return time.monotonic() > self._end

    def message(self) -> str:
        """What the finding says when checking stopped."""
        return (
            f"checking stopped here: the package took more than {self.seconds:g} s to check "
            "(make long lessons shorter or split them)"
        )
