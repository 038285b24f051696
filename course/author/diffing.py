"""Differences between two states of a package, as rows a template prints (escaped)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["equal", "replace", "delete", "insert", "gap"]
#: Pieces of a changed line: (text, True where the words changed).
Parts = tuple[tuple[str, bool], ...]
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
#: Below this share of words in common, marking words would mark nearly all of them.
_WORD_MARKS_MIN_RATIO = 0.4


@dataclass(frozen=True)
class DiffRow:
    """One side-by-side row: old line on the left, new line on the right (None when absent)."""

    kind: Kind
    old_number: int | None
    old: str | None
    new_number: int | None
    new: str | None
    #: For a changed line, its words split into changed and unchanged (None: not marked).
    old_parts: Parts | None = None
    new_parts: Parts | None = None


def word_parts(old: str, new: str) -> tuple[Parts, Parts] | None:
    """The two lines as pieces, the changed words marked; None when most words changed."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < _WORD_MARKS_MIN_RATIO:
        return None
    old_parts: list[tuple[str, bool]] = []
    new_parts: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        _join(old_parts, "".join(a[i1:i2]), tag != "equal")
        _join(new_parts, "".join(b[j1:j2]), tag != "equal")
    return tuple(old_parts), tuple(new_parts)


def _join(parts: list[tuple[str, bool]], text: str, changed: bool) -> None:
    if not text:
        return
    if parts and parts[-1][1] == changed:
        parts[-1] = (parts[-1][0] + text, changed)
    else:
        parts.append((text, changed))


@dataclass(frozen=True)
class FileDiff:
    """How one file differs: added, removed, renamed or changed, with its rows."""

    name: str
    status: Literal["added", "removed", "renamed", "changed"]
    rows: tuple[DiffRow, ...]
    added: int
    removed: int
    old_name: str | None = None


def _lines(text: str) -> list[str]:
    return text.splitlines()


def file_rows(old: str, new: str, context: int = 3) -> tuple[DiffRow, ...]:
    """Side-by-side rows of the changed parts of a file, with a few lines of context."""
    a, b = _lines(old), _lines(new)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if index:
            rows.append(DiffRow("gap", None, None, None, None))
        for tag, i1, i2, j1, j2 in group:
            for offset in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + offset, j1 + offset
                has_old, has_new = i < i2, j < j2
                kind: Kind = tag  # type: ignore[assignment]
                if tag == "replace" and not has_new:
                    kind = "delete"
                elif tag == "replace" and not has_old:
                    kind = "insert"
                parts = word_parts(a[i], b[j]) if kind == "replace" else None
                rows.append(
                    DiffRow(
                        kind,
                        i + 1 if has_old else None,
                        a[i] if has_old else None,
                        j + 1 if has_new else None,
                        b[j] if has_new else None,
                        *(parts or (None, None)),
                    )
                )
    return tuple(rows)


def _counts(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, _lines(old), _lines(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def diff_files(old: Mapping[str, str], new: Mapping[str, str]) -> list[FileDiff]:
    """Every file that differs between two states; a file moved unchanged shows as renamed."""
    gone = {name: old[name] for name in old if name not in new}
    came = {name: new[name] for name in new if name not in old}
    diffs: list[FileDiff] = []
    for name in sorted(came):
        source = next((o for o, text in gone.items() if text == came[name]), None)
        if source is not None:
            del gone[source]
            diffs.append(FileDiff(name, "renamed", (), 0, 0, old_name=source))
            continue
        rows = file_rows("", came[name])
        diffs.append(FileDiff(name, "added", rows, len(_lines(came[name])), 0))
    for name in sorted(gone):
        rows = file_rows(gone[name], "")
        diffs.append(FileDiff(name, "removed", rows, 0, len(_lines(gone[name]))))
    for name in sorted(set(old) & set(new)):
        if old[name] != new[name]:
            added, removed = _counts(old[name], new[name])
            diffs.append(FileDiff(name, "changed", file_rows(old[name], new[name]), added, removed))
    return sorted(diffs, key=lambda d: d.name)


def change_summary(old: Mapping[str, str], new: Mapping[str, str]) -> str:
    """A short account of a change, e.g. "01-intro.md +3 -1" or "4 files: 2 renamed"."""
    diffs = diff_files(old, new)
    if len(diffs) == 1:
        d = diffs[0]
        if d.status == "renamed":
            return f"{d.old_name} renamed to {d.name}"
        return f"{d.name} {d.status}, +{d.added} -{d.removed} lines"
    kinds: dict[str, int] = {}
    for d in diffs:
        kinds[d.status] = kinds.get(d.status, 0) + 1
    parts = ", ".join(f"{count} {status}" for status, count in sorted(kinds.items()))
    return f"{len(diffs)} files: {parts}" if diffs else "no change"
