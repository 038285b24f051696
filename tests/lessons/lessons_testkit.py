"""Helpers for the lessons tests: the minimal package as files, edits, line lookups."""

from __future__ import annotations

from pathlib import Path

import lessons
from lessons import Finding

MINIMAL = Path(__file__).resolve().parents[1] / "data" / "packages" / "minimal"


def minimal_files() -> dict[str, str]:
    """The minimal package as file name -> text (a fresh dict each call)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(MINIMAL.iterdir())}


def edited(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    """A copy of files with the first `old` in `name` replaced; fails if `old` is absent."""
    assert old in files[name], f"{old!r} not in {name}"
    copy = dict(files)
    copy[name] = files[name].replace(old, new, 1)
    return copy


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line containing needle."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0]


def line_after(text: str, anchor: str, needle: str) -> int:
    """1-based line of the first line containing needle at or after the line with anchor."""
    lines = text.splitlines()
    start = line_of(text, anchor) - 1 if anchor else 0
    for number in range(start, len(lines)):
        if needle in lines[number]:
            return number + 1
    raise AssertionError(f"{needle!r} not found after {anchor!r}")


def errors(findings: list[Finding]) -> list[Finding]:
    """Only the error-level findings."""
    return [f for f in findings if f.level == "error"]


def warnings(findings: list[Finding]) -> list[Finding]:
    """Only the warning-level findings."""
    return [f for f in findings if f.level == "warning"]


def refused_edit(name: str, old: str, new: str) -> tuple[str, list[tuple[str, int, str]]]:
    """The minimal package with one edit, refused: the edited file's text and the errors
    as (file, line, message)."""
    files = edited(minimal_files(), name, old, new)
    package, findings = lessons.check_files(files)
    assert package is None
    return files[name], [(f.file, f.line, f.message) for f in errors(findings)]
