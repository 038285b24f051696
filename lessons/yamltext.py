"""The lines a YAML value was written on, for values that YAML folds into fewer lines.

A folded block (``key: >``), a plain value or a quoted one running over several lines
is read as one line of text: a finding about its third line would name its first.
"""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING

from yaml.nodes import Node, ScalarNode

from .limits import markdown_problem

if TYPE_CHECKING:
    from .yamlread import Source


def written_lines(text: str, node: ScalarNode) -> list[str]:
    """A value's lines as written in ``text`` (a block's below its ``>``, dedented)."""
    rows = text.splitlines()
    first, last = node.start_mark.line, node.end_mark.line
    if node.style in ("|", ">"):
        # A block ends at the start of the line after it, or inside its last line at the
        # end of a text without a final line break.
        block = rows[first + 1 : last + (1 if node.end_mark.column else 0)]
        return textwrap.dedent("\n".join(block)).split("\n")
    written = rows[first : last + 1]
    if written:
        written[0] = written[0][node.start_mark.column :]
    return [row.strip() for row in written]


def folded_problem_row(text: str, node: ScalarNode) -> int | None:
    """0-based row of ``text`` where a folded value breaks the Markdown limits, else None."""
    if node.style == "|" or node.end_mark.line == node.start_mark.line:
        return None  # a literal block keeps its lines; one line has nothing to fold
    problem = markdown_problem("\n".join(written_lines(text, node)))
    if problem is None:
        return None
    return node.start_mark.line + (1 if node.style == ">" else 0) + problem[0]


def indented_key_row(text: str, node: Node, key: str) -> int | None:
    """0-based row of a line ``key: ...`` read as part of a block's text, else None.

    A key indented by mistake below a ``key: |`` or ``key: >`` block joins its text.
    """
    if not isinstance(node, ScalarNode) or node.style not in ("|", ">"):
        return None
    written = re.compile(rf"\s*{re.escape(key)}\s*:(\s|$)")
    rows = text.splitlines()
    for row in range(node.start_mark.line + 1, min(node.end_mark.line + 1, len(rows))):
        if written.match(rows[row]):
            return row
    return None


def indented_key(
    source: Source, entries: dict[str, tuple[Node, Node]], key: str
) -> tuple[int, str] | None:
    """(file line, what to say) for ``key`` found indented into a value's block text."""
    for name, (_, value) in entries.items():
        row = indented_key_row(source.text, value, key)
        if row is not None:
            return row + 1 + source.offset, (f": this line is indented into the text of"
                                             f" `{name}` above; line it up with `{name}`")
    return None


def warn_if_indented(
    source: Source, entries: dict[str, tuple[Node, Node]], key: str, what: str
) -> None:
    """Warn of an optional ``key`` written inside a block value's text."""
    # No error to YAML: the line becomes words of the block above, which learners read.
    found = indented_key(source, entries, key)
    if found:
        source.warning(found[0], f"{what}: `{key}` is read as text, not as a key, and"
                                 f" learners would see it{found[1]}")


def after_dash(text: str, node: Node) -> bool:
    """True when a node is an item of a block list: written after its dash."""
    rows = text.splitlines()
    row, column = node.start_mark.line, node.start_mark.column
    return row < len(rows) and rows[row][:column].rstrip().endswith("-")


def text_line(source: Source, node: Node, index: int) -> int:
    """1-based file line of line ``index`` (0-based) of a scalar's stripped text."""
    line = source.line(node)
    row = folded_problem_row(source.text, node) if isinstance(node, ScalarNode) else None
    if row is not None:  # folded into fewer lines: found again in the lines as written
        return row + 1 + source.offset
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        # A block's text starts below its `|` or `>` (where the node starts), after any
        # blank lines that stripping the text dropped.
        value = str(node.value)
        line += 1 + value[: len(value) - len(value.lstrip())].count("\n")
    return line + index
