"""YAML syntax errors in an author's words: the line to look at and what probably went wrong."""

from __future__ import annotations

import yaml

KEY_HINT = "a key without its colon: write the key, a colon and a space, then the value"
BRACES_HINT = "a value that starts with { is read as a mapping: put the whole value in quotes"
BRACKETS_HINT = "a value that starts with [ is read as a list: put the whole value in quotes"

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
    # A key written without its colon runs on into the next line, which PyYAML then
    # cannot read as a key.
    ("could not find expected ':'", KEY_HINT),
    # PyYAML names parser states ("<block end>"); an author needs the indentation to fix.
    ("expected <block end>", "this line is indented unlike its neighbors: line it up, with spaces"),
    ("'\\t'", "a tab: YAML indents with spaces only, so replace the tab with spaces"),
    # After the tab: PyYAML says a tab "cannot start any token" too.
    ("cannot start any token", "a value that starts with @ or `, which YAML keeps for itself:"
     " put the whole value in quotes"),
)


#: Words after a closed { }, [ ] or quote on the value's line: the value ended there, and
#: the words after it make no sense to PyYAML ("title: {Youth} at home"). PyYAML says
#: "expected <block end>" as it does for a misindented line, whose hint would mislead.
_AFTER_CLOSED = {
    "}": BRACES_HINT,
    "]": BRACKETS_HINT,
    '"': "words after the closing quote: put the whole value in quotes, or none of it",
    "'": "words after the closing quote: put the whole value in quotes, or none of it",
}


def _closed_before(mark: yaml.Mark | None) -> str:
    """The last character before ``mark`` on its line, other than spaces ("" if none)."""
    buffer = getattr(mark, "buffer", None)
    if mark is None or not isinstance(buffer, str):
        return ""
    return buffer[mark.pointer - mark.column : mark.pointer].rstrip()[-1:]


def _key_run_on(mark: yaml.Mark | None) -> yaml.Mark | None:
    """Where a key without its colon begins, when PyYAML read it on into the next key's colon.

    At the start of a file, block or list item, ``title Youth`` runs on into the line
    below as one value, and PyYAML stops at that line's colon (or, after a blank line,
    at the next key, as if a second document began there): the line above is to fix.
    """
    buffer = getattr(mark, "buffer", None)
    if mark is None or not isinstance(buffer, str):
        return None
    last: list[yaml.Token] = []
    try:
        for token in yaml.scan(buffer.rstrip("\0"), Loader=yaml.SafeLoader):
            if token.start_mark.index >= mark.index:
                break
            last = [*last[-1:], token]
    except yaml.YAMLError:
        pass
    if len(last) < 2 or not isinstance(last[1], yaml.ScalarToken):
        return None
    before, scalar = last
    # After "key:" a value running on to a colon is a misindented key, not this mistake.
    key_place = (yaml.StreamStartToken, yaml.DocumentStartToken, yaml.BlockEntryToken)
    if not isinstance(before, key_place) or scalar.style is not None:
        return None
    return scalar.start_mark if scalar.start_mark.line < mark.line else None


def lines_before(line: int, first: int) -> str:
    """Where line ``first`` stands seen from ``line``: "on this line", "3 lines above"."""
    # Not by number: the editor numbers a lesson's text apart from its file (where a check
    # is written out in full), so one message with two counts sent authors astray.
    gap = line - first
    return "on this line" if gap <= 0 else "on the line above" if gap == 1 else f"{gap} lines above"


def syntax_error(exc: yaml.MarkedYAMLError, offset: int, end: int) -> tuple[int, str]:
    """(line, message) for a YAML syntax error: where to look, and what to do about it."""
    problem, context = exc.problem_mark, exc.context_mark
    run_on = ("mapping values are not allowed", "expected '<document start>'")
    start = _key_run_on(problem) if str(exc.problem).startswith(run_on) else None
    if start is not None:  # said as PyYAML says it for a key without its colon further down
        exc = yaml.scanner.ScannerError(
            "while scanning a simple key", start, "could not find expected ':'", problem
        )
        problem, context = exc.problem_mark, exc.context_mark
    said = f"{exc.problem} {exc.context}"
    hint = next((hint for words, hint in _SYNTAX_HINTS if words in said), None)
    if "expected <block end>" in said:
        hint = _AFTER_CLOSED.get(_closed_before(problem), hint)
    # PyYAML finds a key's colon missing on a later line; the key's own line is to fix.
    if "could not find expected ':'" in said and context is not None:
        problem = context
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
