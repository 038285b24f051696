"""Package files as an editor shows them: YAML as plain data, lessons as fields and text.

A lesson's knowledge checks are edited as form fields, so the lesson text shows each
one as a marker line, ``[check: push-pull-1]``, standing where the check is asked.
``split_lesson`` collapses the fenced blocks to markers (keeping a map from file lines
to editor lines, so findings can point at what the author sees) and ``join_lesson``
puts the blocks back. A block whose YAML cannot be read stays in the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .dump import dump_lesson, front_matter_yaml
from .fences import Fence, find_fences
from .lessonfile import LESSON_NAME, find_markers, parse_lesson, split_front_matter
from .model import Finding, Lesson, sort_findings
from .questions import ID_PATTERN
from .yamlkeep import keep_layout
from .yamlread import Source, parse_nodes, plain_data

MAX_LESSONS = 99  # lesson files are numbered with two digits


def marker(check_id: str) -> str:
    """The line that stands for a knowledge check in the lesson text."""
    return f"[check: {check_id}]"


def read_yaml(text: str) -> Any:
    """A YAML text as plain data (dicts, lists, scalars as written, None for null).

    None also means the text is empty or cannot be read (syntax error or alias); the
    checker explains which. Duplicate keys keep their first value, as findings say.
    """
    return plain_data(parse_nodes(text))


def as_text(value: object) -> str:
    """A scalar as text ("" for None; lists and mappings are not text)."""
    return "" if value is None or isinstance(value, dict | list) else str(value)


# -- lessons -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckBlock:
    """A knowledge-check block of a lesson: its text as written and its YAML as data."""

    id: str
    text: str
    data: dict[str, Any]
    first_line: int
    last_line: int


@dataclass(frozen=True)
class Location:
    """Where a file line is in the editor: the file as a whole, front matter, text or a check."""

    kind: Literal["file", "front", "text", "check"]
    line: int
    check_id: str | None = None


@dataclass(frozen=True)
class LessonSource:
    """A lesson file split for editing: title and objectives, text with check markers."""

    title: str
    objectives: tuple[str, ...]
    body: str
    checks: tuple[CheckBlock, ...]
    front_lines: int
    #: File line -> (editor line, check id or None) for every body line.
    line_map: Mapping[int, tuple[int, str | None]] = field(repr=False)
    #: The front matter's YAML as written, so saving keeps its comments and layout.
    front: str = field(default="", repr=False)
    #: The front matter is there but cannot be read as YAML: the title and objectives are
    #: only what its lines still say, and saving writes it afresh.
    front_unread: bool = False

    def check(self, check_id: str) -> CheckBlock | None:
        """The check with this id, if the lesson has it as a block the editor can read."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def blocks(self) -> dict[str, str]:
        """Check id -> block text, as ``join_lesson`` takes them."""
        return {c.id: c.text for c in self.checks}

    def locate(self, file_line: int) -> Location:
        """Where a finding's file line is in the editor."""
        if file_line <= 0:
            return Location("file", 0)
        if file_line <= self.front_lines and file_line not in self.line_map:
            return Location("front", file_line)
        if file_line in self.line_map:
            line, check_id = self.line_map[file_line]
            return Location("check" if check_id else "text", line, check_id)
        last = max((line for line, _ in self.line_map.values()), default=1)
        return Location("text", last)


def split_lesson(text: str) -> LessonSource:
    """Split a lesson file into front-matter fields and text with one marker per check."""
    lines = text.replace("\r\n", "\n").splitlines(keepends=True)
    split = split_front_matter(text.replace("\r\n", "\n"))
    title, objectives, start, front_text, unread = "", (), 0, "", False
    if split is not None:
        front_lines, closing = split
        front_text = "".join(front_lines)
        front = read_yaml(front_text)
        if isinstance(front, dict):
            title = as_text(front.get("title"))
            raw = front.get("objectives")
            items = raw if isinstance(raw, list) else [raw] if raw else []
            objectives = tuple(as_text(o) for o in items if as_text(o))
        elif front_text.strip():
            unread = True
            title, objectives = _salvage(front_text)
        start = closing + 1
    while start < len(lines) and not lines[start].strip():
        start += 1  # the blank line after the front matter is the file's, not the text's
    body_lines = lines[start:]
    out: list[str] = []
    checks: list[CheckBlock] = []
    line_map: dict[int, tuple[int, str | None]] = {}
    blocks = {f.start: f for f in find_fences(body_lines) if f.is_check and f.end is not None}
    index = 0
    while index < len(body_lines):
        fence = blocks.get(index)
        block = _check_block(body_lines, fence, start, checks) if fence else None
        if fence is None or fence.end is None or block is None:
            out.append(body_lines[index])
            line_map[start + index + 1] = (len(out), None)
            index += 1
            continue
        checks.append(block)
        out.append(marker(block.id) + "\n")
        for offset in range(fence.start, fence.end + 1):
            line_map[start + offset + 1] = (len(out), block.id)
        index = fence.end + 1
    body = "".join(out)
    return LessonSource(
        title, objectives, body, tuple(checks), start, line_map, front_text, unread
    )


_FRONT_FIELD = re.compile(r"^(title|objectives)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _salvage(front: str) -> tuple[str, tuple[str, ...]]:
    """What unreadable front matter's one-line title and objectives still say.

    An author who left a quote open should not retype the title and tick the objectives
    again from memory; the editor shows these in its boxes beside the lines as written.
    """
    found: dict[str, str] = {}
    for match in _FRONT_FIELD.finditer(front):
        found.setdefault(match.group(1), match.group(2))
    title = found.get("title", "").strip().strip("\"'").strip()
    words = _WORD.findall(found.get("objectives", ""))
    return title, tuple(w for w in words if ID_PATTERN.fullmatch(w))


def _check_block(
    lines: list[str], fence: Fence, start: int, seen: Sequence[CheckBlock]
) -> CheckBlock | None:
    data = read_yaml("".join(lines[fence.start + 1 : fence.end]))
    check_id = as_text(data.get("id")).strip() if isinstance(data, dict) else ""
    if not ID_PATTERN.fullmatch(check_id) or any(c.id == check_id for c in seen):
        return None  # left in the text as written; the checker reports what is wrong
    text = "".join(lines[fence.start : fence.end + 1])
    return CheckBlock(check_id, text, data, start + fence.start + 1, start + fence.end + 1)


def newlines(text: str) -> str:
    """Text with every line ending as ``\\n`` (browsers send ``\\r\\n`` from a text box)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def referenced_checks(body: str) -> list[str]:
    """Ids of the check markers in a lesson text, in order (markers in code blocks ignored)."""
    lines = newlines(body).splitlines(keepends=True)
    return [m.group("id") for index, m in find_markers(lines)]


def unknown_markers(body: str, known: Collection[str]) -> list[tuple[int, str]]:
    """Markers in a lesson text for checks not in ``known``, as (1-based line, id)."""
    lines = newlines(body).splitlines(keepends=True)
    return [(i + 1, m.group("id")) for i, m in find_markers(lines) if m.group("id") not in known]


def join_lesson(
    title: str,
    objectives: Collection[str],
    body: str,
    blocks: Mapping[str, str],
    front: str = "",
) -> str:
    """Build the lesson file, putting each check's block back where its marker stands.

    A marker for a check that ``blocks`` does not have stays in the text as written.
    ``front`` is the old front matter, whose comments and layout are kept.
    """
    lines = newlines(body).splitlines(keepends=True)
    for index, match in reversed(find_markers(lines)):
        block = blocks.get(match.group("id"))
        if block is not None:
            lines[index] = block if block.endswith("\n") else block + "\n"
    front_yaml = keep_layout(front, front_matter_yaml(title, objectives)) if front else None
    return dump_lesson(title, objectives, "".join(lines), front_yaml)


def replace_check(source: LessonSource, old_id: str | None, block: str) -> str:
    """The lesson file with one check's block replaced, or a new check added at the end."""
    blocks = source.blocks
    body = source.body
    new_id = block_id(block)
    if old_id is not None and old_id in blocks:
        block = keep_block_layout(blocks.pop(old_id), block)
        if new_id != old_id:
            body = _rename_marker(body, old_id, new_id)
    else:
        body = body.rstrip("\n") + "\n\n" + marker(new_id) + "\n"
    blocks[new_id] = block
    return join_lesson(source.title, source.objectives, body, blocks, source.front)


def keep_block_layout(old: str, new: str) -> str:
    """A rewritten check block that keeps the old block's lines wherever its data agrees.

    Without this, saving one changed word re-dumps the whole block, and the diff of the
    revision shows every line of it as changed.
    """
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if len(old_lines) < 2 or len(new_lines) < 2:
        return new
    inner = keep_layout("".join(old_lines[1:-1]), "".join(new_lines[1:-1]))
    return new_lines[0] + inner + new_lines[-1]


def remove_check(source: LessonSource, check_id: str) -> str:
    """The lesson file without one check (its marker line goes too)."""
    lines = source.body.splitlines(keepends=True)
    for index, match in reversed(find_markers(lines)):
        if match.group("id") == check_id:
            del lines[index]
    blocks = {k: v for k, v in source.blocks.items() if k != check_id}
    return join_lesson(source.title, source.objectives, "".join(lines), blocks, source.front)


def _rename_marker(body: str, old_id: str, new_id: str) -> str:
    lines = body.splitlines(keepends=True)
    for index, match in find_markers(lines):
        if match.group("id") == old_id:
            lines[index] = marker(new_id) + "\n"
    return "".join(lines)


def block_id(block: str) -> str:
    """The id written in a check block (its YAML between the fences)."""
    inner = "".join(block.splitlines(keepends=True)[1:-1])
    data = read_yaml(inner)
    return as_text(data.get("id")).strip() if isinstance(data, dict) else ""


def preview_lesson(
    name: str, text: str, objective_ids: Collection[str] | None = None
) -> tuple[Lesson | None, list[Finding]]:
    """Render one lesson file on its own (when the package as a whole cannot be loaded)."""
    findings: list[Finding] = []
    lesson = parse_lesson(name, text, 1, Source(name, findings), objective_ids)
    return lesson, sort_findings(findings)


# -- lesson files --------------------------------------------------------------------


def lesson_file_name(position: int, slug: str) -> str:
    """The file name of the lesson at a 1-based position."""
    return f"{position:02d}-{slug}.md"


def lesson_slug(name: str) -> str | None:
    """The slug of a lesson file name, or None for another file."""
    return name[3:-3] if LESSON_NAME.match(name) else None


def lesson_names(files: Mapping[str, str]) -> list[str]:
    """The lesson files of a package, in course order."""
    return sorted(name for name in files if LESSON_NAME.match(name))


def renumber(files: Mapping[str, str], slugs: Sequence[str]) -> dict[str, str]:
    """The files with the lessons renamed 01-, 02-... in the order of ``slugs``."""
    by_slug = {lesson_slug(name): name for name in lesson_names(files)}
    if sorted(by_slug) != sorted(slugs):
        raise ValueError("the new order must list every lesson exactly once")
    if len(slugs) > MAX_LESSONS:
        raise ValueError(f"a course has at most {MAX_LESSONS} lessons")
    result = {name: text for name, text in files.items() if name not in by_slug.values()}
    for position, slug in enumerate(slugs, start=1):
        result[lesson_file_name(position, slug)] = files[by_slug[slug]]
    return result
