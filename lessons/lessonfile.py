"""Lesson files: front matter, knowledge-check blocks and the body rendered around them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection

from .dropped import dead_link_warnings, image_warnings, raw_html_warnings
from .fences import find_fences, prose_lines
from .limits import markdown_problem
from .model import Lesson, Question
from .questions import parse_question
from .render import (
    count_words,
    html_text,
    markdown_to_unsafe_html,
    sanitize,
)
from .yamlread import MapReader, Source, compose, string_items

LESSON_NAME = re.compile(r"^\d{2}-[a-z0-9-]+\.md$")
FRONT_MATTER_KEYS = ("title", "objectives")

def split_front_matter(text: str) -> tuple[list[str], int] | None:
    """Return (front-matter lines, index of the closing line), or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return lines[1:index], index
    return None


def lesson_yaml_parts(text: str) -> list[tuple[str, int]]:
    """A lesson's YAML: its front matter and each closed check block, with the number of
    file lines before each (none without front matter)."""
    split = split_front_matter(text)
    if split is None:
        return []
    front_lines, closing = split
    offset = closing + 1  # the body's first line, as parse_lesson counts it
    body = text.splitlines(keepends=True)[offset:]
    parts = [("".join(front_lines), 1)]
    for fence in find_fences(body):
        if fence.is_check and fence.end is not None:
            parts.append(("".join(body[fence.start + 1 : fence.end]), fence.start + offset + 1))
    return parts


#: A line of dashes that is not `---`: two or four hyphens, or the dash a word processor
#: makes of them as they are typed.
_DASHES = re.compile(r"^[ \t]*(?!---[ \t]*$)[-\u2012\u2013\u2014\u2015]+[ \t]*$")


def _no_front_matter(text: str) -> tuple[int, str]:
    """(line, message) for a lesson whose front matter cannot be found."""
    lines = text.splitlines()
    first = lines[0].lstrip("\ufeff") if lines else ""
    if _DASHES.match(first):
        return 1, (f"the first line is `{first.strip()}`: front matter opens with a line of"
                   " exactly three hyphens, `---` (retype it if a word processor made a dash)")
    if first.rstrip() != "---":
        return 1, "a lesson starts with YAML front matter between two `---` lines"
    # Opened, never closed: the line meant to close it, if one is there, is the one to fix.
    for number, line in enumerate(lines[1:], start=2):
        if _DASHES.match(line):
            return number, (f"this line is `{line.strip()}`: front matter closes with a line"
                            " of exactly three hyphens, `---` (retype it if a word processor"
                            " made a dash)")
        if not line.strip():
            break  # front matter is a few lines of keys; the lesson text starts here
    return 1, _NEVER_CLOSED


_NEVER_CLOSED = ("the front matter opened here is never closed: put a line of three hyphens,"
                 " `---`, after its `objectives`")
_YAML_LINE = re.compile(r"^([ \t#-]|[A-Za-z_][\w-]*[ \t]*:)")


def _prose_in_front(front_lines: list[str]) -> bool:
    """True when the front matter runs on, past a blank line, into the lesson's text."""
    # Unclosed, it ends at the `---` of a rule further down: its YAML is then the text.
    after_blank = False
    for line in front_lines:
        if not line.strip():
            after_blank = True
        elif after_blank:
            return not _YAML_LINE.match(line)
    return False


#: A line that stands for a knowledge check in the editor's text (never in a package file).
MARKER = re.compile(r"^\[check: (?P<id>[A-Za-z0-9][A-Za-z0-9_-]*)\][ \t]*$")


def find_markers(lines: list[str]) -> list[tuple[int, re.Match[str]]]:
    """Check marker lines outside fenced code, as (0-based index, match)."""
    found = []
    for index, line in prose_lines(lines):
        if match := MARKER.match(line.rstrip("\r\n")):
            found.append((index, match))
    return found


def missing_check_message(check_id: str) -> str:
    """What is wrong with a marker line whose check the lesson does not have."""
    return (
        f"[check: {check_id}] refers to a knowledge check this lesson does not have; "
        "add the check or delete the line (learners would see the bracketed text)"
    )


_TOP_HEADING = re.compile(r"^#(?!#)[ \t]")


def _warn_top_headings(source: Source, lines: list[str], offset: int) -> None:
    # The sanitizer drops <h1> (the lesson title is the page's h1), leaving plain text.
    for index, line in prose_lines(lines):
        if _TOP_HEADING.match(line):
            source.warning(
                index + offset + 1, "start headings at ## (the lesson title is the page's h1)"
            )


_FRONT_KEY = re.compile(r"^(title|objectives)[ \t]*:")


def _warn_second_front_matter(source: Source, lines: list[str], offset: int) -> None:
    # A whole lesson file pasted into the editor's text (or front matter written twice)
    # reaches learners as a rule and a heading reading "title: ... objectives: [...]".
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    split = split_front_matter("".join(lines[start:]))
    if split is not None and any(_FRONT_KEY.match(line) for line in split[0]):
        source.warning(
            start + offset + 1,
            "a second front matter block (`---`, title, objectives, `---`) is shown to "
            "learners as text: a lesson's title and objectives are set once, at the top of "
            "the file (in the editor, the Title and Objectives boxes); delete these lines",
        )


def _warn_dropped(source: Source, lines: list[str], offset: int) -> None:
    # The sanitizer drops these without a word: say so where they were typed.
    for check in (image_warnings, raw_html_warnings, dead_link_warnings):
        for index, line in prose_lines(lines):
            for message in check(line):
                source.warning(index + offset + 1, message)


def body_offset(text: str, body: str) -> int:
    """How many file lines come before the lesson body."""
    return text[: len(text) - len(body)].count("\n")


def parse_lesson(
    file: str, text: str, position: int, source: Source, objective_ids: Collection[str] | None
) -> Lesson | None:
    """Read one lesson file, reporting problems to `source`; None when it has no front matter."""
    split = split_front_matter(text)
    if split is None:
        source.error(*_no_front_matter(text))
        return None
    front_lines, closing = split
    if _prose_in_front(front_lines):
        source.error(1, _NEVER_CLOSED)
        return None
    front = source.at(1)  # the YAML starts on the file's second line
    reader = MapReader(
        front, compose("".join(front_lines), front), "front matter", FRONT_MATTER_KEYS
    )
    title = reader.string("title") or ""
    objectives = []
    for objective, line in string_items(
        front, reader.sequence("objectives") or [], "a lesson objective"
    ):
        if objective_ids is not None and objective not in objective_ids:
            source.error(line, f"front matter: unknown objective `{objective}`")
        objectives.append(objective)

    lines = text.splitlines(keepends=True)
    body = "".join(lines[closing + 1 :])
    offset = closing + 1
    problem = markdown_problem(body)
    if problem is not None:
        source.error(problem[0] + offset + 1, problem[1])
        return None
    body_lines = body.splitlines(keepends=True)
    _warn_second_front_matter(source, body_lines, offset)
    _warn_top_headings(source, body_lines, offset)
    _warn_dropped(source, body_lines, offset)
    for index, match in find_markers(body_lines):
        source.error(index + offset + 1, missing_check_message(match.group("id")))
    token = "LESSONSCHECK" + hashlib.sha256(body.encode()).hexdigest()[:16] + "N"
    checks: list[Question] = []
    pieces: list[str] = []
    check_lines: list[int] = []
    cursor = 0
    for fence in find_fences(body_lines):
        if not fence.is_check:
            continue
        fence_line = fence.start + offset + 1
        if fence.end is None:
            source.error(fence_line, "check block is not closed (no matching closing fence)")
            continue
        yaml_text = "".join(body_lines[fence.start + 1 : fence.end])
        snippet = source.at(fence_line)
        node = compose(yaml_text, snippet)
        question = parse_question(snippet, node, False, objective_ids) if node is not None else None
        pieces.append("".join(body_lines[cursor : fence.start]))
        if question is not None:
            # A bare paragraph of letters and digits survives Markdown and the sanitizer as-is.
            pieces.append(f"\n{token}{len(checks)}\n\n")
            checks.append(question)
            check_lines.append(fence_line)
        cursor = fence.end + 1
    pieces.append("".join(body_lines[cursor:]))

    # Rendering the body once keeps heading ids unique across the parts. Each part is then
    # sanitized on its own, so it is a balanced fragment even when raw HTML in the text
    # wraps a placeholder (an unclosed <div> must not swallow the next check).
    unsafe = markdown_to_unsafe_html("".join(pieces))
    chunks = re.split(rf"(?:<p>)?{token}(\d+)(?:</p>)?", unsafe)
    parts = [sanitize(chunk) for chunk in chunks[::2]]
    if [int(index) for index in chunks[1::2]] != list(range(len(checks))):
        # Should not happen (placeholders survive raw HTML); refuse rather than misplace.
        for line in check_lines:
            source.error(line, "could not place this check in the rendered lesson")
        parts = [sanitize(unsafe.replace(token, ""))] + [""] * len(checks)
    html_parts = tuple(part.strip() for part in parts)
    return Lesson(
        slug=file[3:-3],
        position=position,
        file=file,
        title=title,
        objectives=tuple(objectives),
        markdown=body,
        html_parts=html_parts,
        checks=tuple(checks),
        word_count=sum(count_words(html_text(part)) for part in html_parts),
    )
