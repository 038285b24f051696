"""YAML syntax errors in an author's words: the line to look at and what probably went wrong."""

from __future__ import annotations

import yaml

#: What an author usually did when the YAML parser says this, in words they use.
_SYNTAX_HINTS = (
    ("mapping values are not allowed", "a colon and a space inside a value: put the whole "
     "value in quotes (or this line is indented more than the key above it)"),
    ("flow sequence", "a value that starts with [ is read as a list: put it in quotes, or "
     "close the ]"),
    ("flow mapping", "a value that starts with { is read as a mapping: put it in quotes"),
    # Before the quote's: a Windows path in double quotes ("C:\\Users") is closed, its
    # backslash is the problem.
    ("escape", "a backslash inside double quotes starts an escape: use single quotes, or"
     " write \\\\ for each backslash"),
    ("quoted scalar", "a quote is opened and not closed"),
    # PyYAML names parser states ("<block end>"); an author needs the indentation to fix.
    ("expected <block end>", "this line is indented unlike its neighbors: line it up, with spaces"),
    ("'\\t'", "a tab: YAML indents with spaces only, so replace the tab with spaces"),
    # After the tab: PyYAML says a tab "cannot start any token" too.
    ("cannot start any token", "a value that starts with @ or `, which YAML keeps for itself:"
     " put the whole value in quotes"),
)


def lines_before(line: int, first: int) -> str:
    """Where line ``first`` stands seen from ``line``: "on this line", "3 lines above"."""
    # Not by number: the editor numbers a lesson's text apart from its file (where a check
    # is written out in full), so one message with two counts sent authors astray.
    gap = line - first
    return "on this line" if gap <= 0 else "on the line above" if gap == 1 else f"{gap} lines above"


def syntax_error(exc: yaml.MarkedYAMLError, offset: int, end: int) -> tuple[int, str]:
    """(line, message) for a YAML syntax error: where to look, and what to do about it."""
    problem, context = exc.problem_mark, exc.context_mark
    said = f"{exc.problem} {exc.context}"
    hint = next((hint for words, hint in _SYNTAX_HINTS if words in said), None)
    # A problem found at the end of the text (an unclosed quote or bracket) is best shown
    # where the construct left open begins.
    if problem is not None and problem.index >= end and context is not None:
        problem = context
    mark = problem or context
    line = mark.line + 1 + offset if mark else offset + 1
    message = f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}"
    if context is not None and exc.context:
        message += f" ({exc.context} {lines_before(line, context.line + 1 + offset)})"
    if hint:
        message += f". Probably {hint}"
    return line, message
