"""Rewriting a package's YAML file from the editor without losing what the author wrote.

The editor writes a whole file from plain data (``dump``), which would drop the author's
comments, blank lines and layout every time one question is saved. ``keep_layout`` takes
that new text and the old one and keeps the old text of every part whose data did not
change: top-level keys, list items (matched by their ``id``, or by position in a list
without ids) and the keys of a changed item, each with the comment and blank lines above
it. Only what changed comes from the new text. A changed item is checked to read back as
its new data, and so is the whole file; where one does not, the new text is used for it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .dump import clean_text
from .yamlread import parse_nodes, plain_data


@dataclass(frozen=True)
class _Part:
    """A key or list item of one text: its lines and the comment lines just above it."""

    name: str
    gap: tuple[str, ...]
    lines: tuple[str, ...]
    first: int
    value: Node
    data: Any


@dataclass(frozen=True)
class _Cut:
    """A run of parts, with the lines above the first and those below the last."""

    parts: list[_Part]
    above: list[str]
    below: list[str]


_Span = tuple[str, int, int, Node]
#: Where a folded block had one line to go by: the dumper's own width.
FOLD_WIDTH = 88
_MergeOne = Callable[[_Part, _Part], Sequence[str]]


def keep_layout(old: str, new: str) -> str:
    """Return ``new`` with the old file's text, comments and layout kept where data agrees."""
    old_root, new_root = parse_nodes(old), parse_nodes(new)
    if not isinstance(old_root, MappingNode) or not isinstance(new_root, MappingNode):
        return new
    texts = _Texts(old.splitlines(), new.splitlines())
    before = _cut(texts.old, _key_spans(old_root, texts.old), 0, len(texts.old))
    after = _cut(texts.new, _key_spans(new_root, texts.new), 0, len(texts.new))
    if before is None or after is None:
        return new
    body = _merge(before.parts, _in_old_order(after.parts, before.parts), texts.merge_key)
    merged = "\n".join([*before.above, *body, *before.below]) + "\n"
    return merged if _same(plain_data(parse_nodes(merged)), plain_data(new_root)) else new


@dataclass(frozen=True)
class _Texts:
    """The old and the new file's lines, and the merge steps that read them."""

    old: list[str]
    new: list[str]

    def merge_key(self, old: _Part, new: _Part, shift: int = 0) -> Sequence[str]:
        """A key: its old lines, its list merged item by item, or its new lines.

        ``shift`` is how far right the new key must move to stand at the old indent.
        """
        if _same(old.data, new.data):
            return old.lines
        items = self._items(old, new)
        if items is None:
            folded = _folded_as_before(old, new)
            if folded is not None:
                return folded
            moved = _shifted(new.lines, shift)
            return new.lines if moved is None else moved
        above, old_items, new_items, inner = items
        merged = _merge(old_items, new_items, lambda o, n: self.merge_item(o, n, inner))
        return [*above, *merged]

    def merge_item(self, old: _Part, new: _Part, shift: int) -> Sequence[str]:
        """A list item: its old lines, its keys merged one by one, or its new lines.

        ``new`` is already moved to the old file's indent; ``shift`` is how far.
        """
        if _same(old.data, new.data):
            return old.lines
        spans = [_key_spans(old.value, self.old), _key_spans(new.value, self.new)]
        if not all(spans) or spans[0][0][0] != spans[1][0][0]:
            return new.lines
        old_keys = _cut(self.old, spans[0], old.first, old.first + len(old.lines))
        new_keys = _cut(self.new, spans[1], new.first, new.first + len(new.lines))
        if old_keys is None or new_keys is None:
            return new.lines

        in_order = _in_old_order(new_keys.parts, old_keys.parts)
        merged = [
            *old_keys.above,
            *_merge(old_keys.parts, in_order, lambda o, n: self.merge_key(o, n, shift)),
        ]
        return merged if _reads_as(merged, new.data) else new.lines

    def _items(
        self, old: _Part, new: _Part
    ) -> tuple[list[str], list[_Part], list[_Part], int] | None:
        """Both keys' lists cut into items (the new ones moved to the old indent), the old
        lines above them, and how far the new ones moved."""
        old_spans, new_spans = _item_spans(old.value, self.old), _item_spans(new.value, self.new)
        if not old_spans or not new_spans:
            return None
        old_end, new_end = old.first + len(old.lines), new.first + len(new.lines)
        old_items = _cut(self.old, old_spans, old.first + 1, old_end, own_above=True)
        new_items = _cut(self.new, new_spans, new.first + 1, new_end, own_above=True)
        if old_items is None or new_items is None:
            return None
        shift = _indent(self.old[old_spans[0][1]]) - _indent(self.new[new_spans[0][1]])
        moved = []
        for part in new_items.parts:
            lines = _shifted(part.lines, shift)
            if lines is None:
                return None
            moved.append(
                _Part(part.name, part.gap, tuple(lines), part.first, part.value, part.data)
            )
        above = [self.old[old.first], *old_items.above]
        return above, old_items.parts, moved, shift


def _folded_as_before(old: _Part, new: _Part) -> list[str] | None:
    """New text too long for one line, folded (``>-``) and wrapped as the author had it.

    The dumper wraps long text as a plain scalar over several lines; where the author
    wrote that key as a folded block, an edit keeps the block, its indent and width.
    None where that does not apply or would not read back as the new text.
    """
    text = new.data
    if not (isinstance(old.value, ScalarNode) and old.value.style == ">"):
        return None
    if not isinstance(text, str) or len(new.lines) < 2 or text != " ".join(text.split()):
        return None
    body = [line for line in old.lines[1:] if line.strip()]
    if not body or old.value.start_mark.line != old.first:
        return None
    indent = " " * _indent(body[0])
    width = max(len(line) for line in body) if len(body) > 1 else FOLD_WIDTH
    lines = [old.lines[0], *textwrap.wrap(
        text, max(width, len(indent) + 40), initial_indent=indent, subsequent_indent=indent,
        break_long_words=False, break_on_hyphens=False,
    )]  # fmt: skip
    # Read back on their own: the first line may carry a list item's dash.
    head = lines[0].replace("-", " ", 1) if lines[0].lstrip().startswith("-") else lines[0]
    own = _shifted([head, *lines[1:]], -_indent(head))
    if own is None or not _same(plain_data(parse_nodes("\n".join(own) + "\n")), {old.name: text}):
        return None
    return lines


def _merge(old_parts: list[_Part], new_parts: list[_Part], merge_one: _MergeOne) -> list[str]:
    """Lay out ``new_parts`` in their order, each merged with the old part of its name."""
    kept = {part.name for part in new_parts}
    by_name = {part.name: part for part in old_parts}
    gaps: dict[str, tuple[str, ...]] = {}
    carried: tuple[str, ...] = ()
    for part in old_parts:
        # A removed part leaves the comments above it (a section heading) to the next one.
        if part.name in kept:
            gaps[part.name], carried = carried + part.gap, ()
        else:
            carried += part.gap
    lines: list[str] = []
    for part in new_parts:
        if part.name in by_name:
            lines += [*gaps[part.name], *merge_one(by_name[part.name], part)]
        else:
            lines += [*part.gap, *part.lines]
    return lines + list(carried)


def _in_old_order(parts: list[_Part], old: list[_Part]) -> list[_Part]:
    """A mapping's keys in the author's order; keys the file did not have go last."""
    position = {part.name: index for index, part in enumerate(old)}
    return sorted(parts, key=lambda part: position.get(part.name, len(position)))


def _key_spans(node: Node, lines: list[str]) -> list[_Span]:
    """Each key of a block mapping with the lines its key and value take."""
    if not isinstance(node, MappingNode) or node.flow_style:
        return []
    spans = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            return []
        spans.append((str(key.value), key.start_mark.line, _last_line(value, lines), value))
    return spans


def _item_spans(node: Node, lines: list[str]) -> list[_Span]:
    """Each item of a block list of mappings, with the lines it takes.

    Items are named by their ``id``; in a list where no item has one (a question's
    choices) they are named by position, so one changed choice rewrites that choice only.
    """
    if not isinstance(node, SequenceNode) or node.flow_style or not node.value:
        return []
    items = [plain_data(item) if isinstance(item, MappingNode) else None for item in node.value]
    if not all(isinstance(item, dict) for item in items):
        return []
    by_position = not any("id" in item for item in items)
    spans = []
    for index, (item, data) in enumerate(zip(node.value, items, strict=True)):
        ident = f"#{index}" if by_position else data.get("id")
        first = _dash_line(item, lines)
        if not isinstance(ident, str) or not ident or first is None:
            return []
        spans.append((ident, first, _last_line(item, lines), item))
    return spans if len({_indent(lines[span[1]]) for span in spans}) == 1 else []


def _cut(
    lines: list[str], spans: list[_Span], start: int, end: int, *, own_above: bool = False
) -> _Cut | None:
    """Cut ``lines[start:end]`` into parts; with ``own_above`` the first part owns the
    comments above it, as later parts do.

    None when two parts share a name, or anything but comments lies between parts.
    """
    names = [span[0] for span in spans]
    if not spans or len(set(names)) != len(names):
        return None
    parts, position = [], start
    for name, first, last, value in spans:
        gap = lines[position:first]
        if not _comments_only(gap):
            return None
        gap = [] if position == start and not own_above else gap
        part_lines = tuple(lines[first : last + 1])
        parts.append(_Part(name, tuple(gap), part_lines, first, value, plain_data(value)))
        position = last + 1
    below = lines[position:end]
    if not _comments_only(below):
        return None
    return _Cut(parts, [] if own_above else lines[start : spans[0][1]], below)


def _dash_line(item: Node, lines: list[str]) -> int | None:
    """The line of the ``-`` that starts a list item (it may stand alone on its line)."""
    for number in range(item.start_mark.line, -1, -1):
        text = lines[number].lstrip()
        if text.startswith("-"):
            return number
        if number != item.start_mark.line and text and not text.startswith("#"):
            return None
    return None


def _last_line(node: Node, lines: list[str]) -> int:
    """The last line holding any of the node's text (a block scalar's end mark is past it)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return max(_last_line(n, lines) for pair in node.value for n in pair)
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return max(_last_line(n, lines) for n in node.value)
    mark, last = node.end_mark, node.end_mark.line
    if last > node.start_mark.line and (
        last >= len(lines) or not lines[last][: mark.column].strip()
    ):
        last -= 1
    while last > node.start_mark.line and not lines[last].strip():
        last -= 1
    return last


def _shifted(lines: Sequence[str], shift: int) -> list[str] | None:
    """The lines moved right by ``shift`` columns (left when negative); None if they cannot."""
    moved = []
    for line in lines:
        if not line.strip() or shift == 0:
            moved.append(line)
        elif shift > 0:
            moved.append(" " * shift + line)
        elif line.startswith(" " * -shift):
            moved.append(line[-shift:])
        else:
            return None
    return moved


def _reads_as(lines: Sequence[str], data: Any) -> bool:
    """True when a list item's lines, on their own, read back as ``data``."""
    indent = _indent(lines[0])
    own = _shifted(lines, -indent)
    return own is not None and _same(plain_data(parse_nodes("\n".join(own) + "\n")), [data])


def _same(old: Any, new: Any) -> bool:
    """True when the data agree as the editor sees text (``clean_text``: no trailing
    spaces or blank ends), so a folded block the author wrote is not rewritten for the
    line break it ends with."""
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, str) and isinstance(new, str):
        return clean_text(old) == clean_text(new)
    return old == new


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _comments_only(lines: Sequence[str]) -> bool:
    """True when every line is blank, a comment or a document marker."""
    return all(
        not line.strip() or line.strip().startswith("#") or line.strip() in {"---", "..."}
        for line in lines
    )
