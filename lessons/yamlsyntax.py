"""YAML syntax errors in an author's words: the line to look at and what probably went wrong."""

from __future__ import annotations

import re

import yaml

KEY_HINT = "a key without its colon: write the key, a colon and a space, then the value"
BRACES_HINT = "a value that starts with { is read as a mapping: put the whole value in quotes"
BRACKETS_HINT = "a value that starts with [ is read as a list: put the whole value in quotes"
DASH_HINT = ("a list item without its dash: start each item of the list with a dash and a"
             " space, like the one above")

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
    # `summary: > A course about...`: the text of a block goes on the lines below.
    ("block scalar", "text on the same line as its | or >: start the text on the next"
     " line, indented under its key (or leave the | or > out)"),
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


#: Quotes a word processor types; YAML quotes with ' and " only.
_CURLY = "\u201c\u201d\u2018\u2019"
_CURLY_QUOTES = ("curly quotes (\u201c \u201d or \u2018 \u2019, from a word processor), which"
                 " YAML does not treat as quotes: put the whole value in straight quotes instead")
_CURLY_CLOSES = ("a quote closed with a curly quote (\u201d or \u2019, from a word processor),"
                 " which YAML does not treat as a quote: type a straight quote instead")


#: A non-breaking space where YAML looks for a space: in a line's indentation, after a
#: colon or a dash. Web pages and word processors paste them; they look like spaces.
_NBSP = re.compile(r"^[ \t\u00a0]*\u00a0|[:-]\u00a0")
_NBSP_HINT = ("a non-breaking space (pasted from a web page or a word processor), which YAML"
              " does not read as a space: delete the spaces on this line and type them again")
#: A key whose value is a block of text below it: `summary: >`, `advisory: |-`.
_BLOCK_START = re.compile(r":[ \t]+[|>][-+0-9]*[ \t]*(#.*)?$")
#: A line that starts with a key of a package and its colon.
_KEY_LINE = re.compile(r"[ \t]*[a-z_][a-z0-9_]*:([ \t]|$)")
#: How a line without its key's colon starts: keys of a package are lowercase words.
_KEY_WORD = re.compile(r"[ \t]*(?:-[ \t]+)?[a-z_][a-z0-9_]*(?:[ \t]|$)")


class TokenMemory:
    """Loader mixin: a syntax error carries the last tokens read, to look back from it."""

    _taken: tuple[yaml.Token, ...] = ()
    tokens: list[yaml.Token]

    def get_token(self) -> yaml.Token:
        token = super().get_token()
        self._taken = (*self._taken[-1:], token)
        return token

    def get_single_node(self) -> yaml.Node | None:
        try:
            return super().get_single_node()
        except yaml.MarkedYAMLError as exc:
            # Those the parser took, and those the scanner read ahead and queued.
            exc.recent_tokens = (*self._taken, *self.tokens)
            raise


def looks_like_key(text: str) -> bool:
    """True when a text starts as a key of a package does ("title Youth", "- name Sam")."""
    return _KEY_WORD.match(text) is not None


def _nbsp_row(first: yaml.Mark | None, last: yaml.Mark | None) -> int | None:
    """0-based row from ``first``'s line to ``last``'s with a non-breaking space as a space."""
    buffer = getattr(last, "buffer", None)
    if first is None or last is None or not isinstance(buffer, str):
        return None
    rows = buffer.split("\n")
    return next((row for row in range(min(first.line, last.line), last.line + 1)
                 if row < len(rows) and _NBSP.search(rows[row])), None)  # fmt: skip


def _line_text(mark: yaml.Mark | None) -> str:
    """The whole line ``mark`` is on ("" when the text is not at hand)."""
    buffer = getattr(mark, "buffer", None)
    if mark is None or not isinstance(buffer, str):
        return ""
    start = mark.pointer - mark.column
    end = buffer.find("\n", start)
    return buffer[start : end if end >= 0 else len(buffer)]


def _closed_before(mark: yaml.Mark | None) -> str:
    """The last character before ``mark`` on its line, other than spaces ("" if none)."""
    return _line_text(mark)[: mark.column].rstrip()[-1:] if mark is not None else ""


def _written_rows_above(mark: yaml.Mark) -> list[str]:
    """The lines above ``mark``'s line that hold YAML: not blank, not a comment."""
    above = mark.buffer[: mark.pointer - mark.column].split("\n")[:-1]
    return [row for row in above if row.strip() and not row.lstrip().startswith("#")]


Found = tuple[yaml.Token, yaml.ScalarToken] | None


def _scalar_before(mark: yaml.Mark | None, recent: tuple[yaml.Token, ...]) -> Found:
    """The value PyYAML read last before ``mark``, and the token before that value."""
    if mark is None:
        return None
    last = [token for token in recent if token.start_mark.index < mark.index][-2:]
    if len(last) < 2 or not isinstance(last[1], yaml.ScalarToken):
        return None
    return last[0], last[1]


def _missing_dash(mark: yaml.Mark | None) -> bool:
    """True when ``mark``'s line lines up with a list item's dash above but has no dash.

    A key lined up with the dash is taken for an item's first key only when the item above
    starts with the same key: `note:` below `- name:` is more likely meant for that item.
    """
    line = _line_text(mark)
    if mark is None or not line.strip() or line.lstrip().startswith("- "):
        return False  # no text at hand, or a dash there
    key = line.strip().lstrip("-").split(":")[0].strip() if ":" in line else None
    column = len(line) - len(line.lstrip(" "))
    for row in reversed(_written_rows_above(mark)):
        indent = len(row) - len(row.lstrip(" "))
        if indent > column:
            continue  # the item above may go on over lines indented more than its dash
        item = row.lstrip()
        if indent != column or not item.startswith("-"):
            return False
        return key is None or item[1:].split(":")[0].strip() == key
    return False


def _unindented_block(mark: yaml.Mark | None) -> bool:
    """True when ``mark``'s line follows a ``key: >`` or ``key: |`` and is no deeper."""
    line = _line_text(mark)
    if mark is None or not line.strip():
        return False
    rows = _written_rows_above(mark)
    if not rows or not _BLOCK_START.search(rows[-1]):
        return False
    above = rows[-1]
    return len(line) - len(line.lstrip()) <= len(above) - len(above.lstrip(" -"))


def _quote_run_on(mark: yaml.Mark | None, found: Found) -> yaml.Mark | None:
    """Where a quote opens that runs on past its line to a quote further down, if one does."""
    if mark is None or found is None or found[1].style not in ('"', "'"):
        return None
    quoted = found[1]
    # Keys swallowed into the value tell a quote left open from a value over two lines.
    ran_on = ": " in quoted.value or any(c in _line_text(quoted.start_mark) for c in _CURLY)
    return quoted.start_mark if ran_on and quoted.start_mark.line < mark.line else None


def _key_run_on(mark: yaml.Mark | None, found: Found) -> yaml.Mark | None:
    """Where a key without its colon begins, when PyYAML read it on into the next key's colon.

    At the start of a file, block or list item, ``title Youth`` runs on into the line
    below as one value, and PyYAML stops at that line's colon (or, after a blank line,
    at the next key, as if a second document began there): the line above is to fix.
    """
    if mark is None or found is None:
        return None
    before, scalar = found
    key_place = (yaml.StreamStartToken, yaml.DocumentStartToken, yaml.BlockEntryToken)
    if isinstance(before, yaml.ValueToken):
        # After "key:" on its own line, a nested mapping's first key (`provider:`, then
        # `  name Example`), if PyYAML stopped at a key below; on the same line, a value
        # running on to a colon is a misindented key, not this mistake.
        if scalar.start_mark.line == before.start_mark.line:
            return None
        if not _KEY_LINE.match(_line_text(mark)):  # "push factors: ..." in running text
            return None
    elif not isinstance(before, key_place):
        return None
    if scalar.style is not None:
        return None
    if not looks_like_key(scalar.value):  # a reference over two lines, with a colon in it
        return None
    return scalar.start_mark if scalar.start_mark.line < mark.line else None


def lines_before(line: int, first: int) -> str:
    """Where line ``first`` stands seen from ``line``: "on this line", "3 lines above"."""
    # Not by number: the editor numbers a lesson's text apart from its file (where a check
    # is written out in full), so one message with two counts sent authors astray.
    gap = line - first
    return "on this line" if gap <= 0 else "on the line above" if gap == 1 else f"{gap} lines above"


def _hint_on_the_line(mark: yaml.Mark | None, said: str) -> str | None:
    """A hint the named line itself calls for, over the one PyYAML's words call for."""
    text = _line_text(mark)
    if any(c in text for c in _CURLY):
        if "quoted scalar" in said:
            return _CURLY_CLOSES
        if "mapping values are not allowed" in said:
            return _CURLY_QUOTES
    if "mapping values are not allowed" in said and mark is not None:
        before, after = text[: mark.column], text[mark.column + 1 :]
        if ": " in before and not after.strip():  # `title: Youth who run:`
            return ("a colon at the end of a value: put the whole value in quotes, or leave the"
                    " colon out")  # fmt: skip
    no_key = "could not find expected ':'" in said
    if no_key and _unindented_block(mark):
        return ("the text below a | or > is not indented: indent each of its lines more than"
                " its key, with spaces")  # fmt: skip
    if no_key and looks_like_key(text):
        return None  # `authors` below a list whose dashes line up with it lost its colon
    if (no_key or "found '?'" in said) and _missing_dash(mark):
        # "-id: LO2" is read as a key "-id", with no dash to start an item.
        if text.lstrip().startswith("-"):
            return "a dash without a space after it: put a space after the dash"
        return DASH_HINT
    return None


def _recast(exc: yaml.MarkedYAMLError, found: Found) -> tuple[yaml.MarkedYAMLError, str | None]:
    """The error told at the line to fix, when PyYAML noticed it lines further down."""
    problem = exc.problem_mark
    if str(exc.problem).startswith(("mapping values are not allowed", "expected '<document")):
        start = _key_run_on(problem, found)
        if start is not None:  # said as PyYAML says it for a key without its colon elsewhere
            return yaml.scanner.ScannerError("while scanning a simple key", start,
                                             "could not find expected ':'", problem), None
    if problem is not None and str(exc.problem).startswith("expected"):
        quote = _quote_run_on(problem, found)
        if quote is not None:  # a parser error right after a quoted value begun lines above
            below = problem.line - quote.line
            where = "on the line below" if below == 1 else f"{below} lines below"
            return yaml.scanner.ScannerError("while scanning a quoted scalar", quote,
                                             exc.problem, quote), (
                f"a quote is opened and not closed on this line (it runs on to a quote {where})"
            )  # fmt: skip
    return exc, None


def syntax_error(exc: yaml.MarkedYAMLError, offset: int, end: int) -> tuple[int, str]:
    """(line, message) for a YAML syntax error: where to look, and what to do about it."""
    found = _scalar_before(exc.problem_mark, getattr(exc, "recent_tokens", ()))
    nbsp = _nbsp_row(found[1].start_mark if found else exc.problem_mark, exc.problem_mark)
    exc, hint = _recast(exc, found)
    problem, context = exc.problem_mark, exc.context_mark
    said = f"{exc.problem} {exc.context}"
    if hint is None:
        hint = next((hint for words, hint in _SYNTAX_HINTS if words in said), None)
    if "expected <block end>" in said and "quoted scalar" not in said:
        hint = _AFTER_CLOSED.get(_closed_before(problem), hint)
    # PyYAML finds a key's colon missing on a later line; the key's own line is to fix.
    if "could not find expected ':'" in said and context is not None:
        problem = context
    # A problem found at the end of the text (an unclosed quote or bracket) is best shown
    # where the construct left open begins.
    if problem is not None and problem.index >= end and context is not None:
        problem = context
    mark = problem or context
    hint = _hint_on_the_line(mark, said) or hint
    line = mark.line + 1 + offset if mark else offset + 1
    if nbsp is not None:  # it looks like a space: no other hint would make sense
        line, hint = nbsp + 1 + offset, _NBSP_HINT
    message = f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}"
    if context is not None and exc.context:
        message += f" ({exc.context} {lines_before(line, context.line + 1 + offset)})"
    if hint:
        message += f". Probably {hint}"
    return line, message
