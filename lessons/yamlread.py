"""Safe YAML reading that keeps line numbers, so every schema finding points at a line."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import yamlsyntax as hints
from .limits import MAX_YAML_DEPTH, markdown_problem, too_deep
from .model import Finding
from .yamlsyntax import lines_before, syntax_error
from .yamltext import after_dash, indented_key, text_line, warn_if_indented

_TAG = "tag:yaml.org,2002:"
NULL, BOOL, INT, FLOAT, STR = (_TAG + t for t in ("null", "bool", "int", "float", "str"))


class Source:
    """Collects findings for one file; `offset` shifts YAML lines to lines of that file."""

    def __init__(self, file: str, findings: list[Finding], offset: int = 0) -> None:
        self.file = file
        self.findings = findings
        self.offset = offset
        #: The YAML text composed for this source, to find the lines a folded value had.
        self.text = ""

    def at(self, offset: int) -> Source:
        """A source for a YAML snippet that starts after `offset` lines of the same file."""
        return Source(self.file, self.findings, offset)

    def line(self, node: Node) -> int:
        """1-based line of a node in the file."""
        return node.start_mark.line + 1 + self.offset

    def error(self, line: int, message: str) -> None:
        """Record an error."""
        self.findings.append(Finding("error", self.file, line, message))

    def warning(self, line: int, message: str) -> None:
        """Record a warning."""
        self.findings.append(Finding("warning", self.file, line, message))


class _AliasFound(Exception):
    """Raised by the strict loader at the first alias."""

    def __init__(self, event: yaml.AliasEvent) -> None:
        super().__init__(event.anchor)
        self.event = event


class _StrictLoader(hints.TokenMemory, yaml.SafeLoader):
    """Pure-Python safe loader that stops at aliases (a few lines could expand hugely)."""

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event())
        return super().compose_node(parent, index)


# libyaml is much faster; the pure loader only runs to explain a failure the same way always.
_FAST_LOADER: type | None = getattr(yaml, "CSafeLoader", None)


def _fast_compose(text: str) -> Node | None | bool:
    """Compose with libyaml; False when the text has an error or an alias."""
    if _FAST_LOADER is None:
        return False
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return False
    return False if node is not None and _has_shared_nodes(node) else node


def _has_shared_nodes(root: Node) -> bool:
    # An alias makes the composer reuse a node object: that is how aliases show up here.
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return False


def parse_nodes(text: str) -> Node | None:
    """Compose a YAML text already known to be valid (None for an empty or broken one)."""
    if too_deep(text) is not None:
        return None
    node = _fast_compose(text)
    if node is False:
        try:
            return yaml.compose(text, Loader=_StrictLoader)
        except (yaml.YAMLError, _AliasFound):
            return None
    return node if isinstance(node, Node) else None


def compose(text: str, source: Source) -> Node | None:
    """Parse one YAML document into nodes; report syntax errors and return None on failure.

    An empty document comes back as a null scalar, so None always means "already reported".
    The text is kept on ``source``, for findings about lines of a value YAML folded.
    """
    source.text = text
    deep = too_deep(text)
    if deep is not None:
        source.error(
            deep + 1 + source.offset,
            f"YAML nested more than {MAX_YAML_DEPTH} levels deep; a package needs only a few",
        )
        return None
    node = _fast_compose(text)
    if node is False:
        try:
            node = yaml.compose(text, Loader=_StrictLoader)
        except _AliasFound as alias:
            source.error(
                alias.event.start_mark.line + 1 + source.offset,
                f"YAML aliases (*{alias.event.anchor}) are not supported; write the value out",
            )
            return None
        except yaml.MarkedYAMLError as exc:
            source.error(*syntax_error(exc, source.offset, len(text.rstrip())))
            return None
        except yaml.reader.ReaderError as exc:  # e.g. the line break Word pastes (U+000B)
            line = text.count("\n", 0, exc.position) + 1 + source.offset  # its own, not line 1
            source.error(line, f"YAML error: {str(exc).splitlines()[0]}. Probably an invisible"
                         " character pasted from another program: retype this line")
            return None
        except yaml.YAMLError as exc:
            source.error(source.offset + 1, f"YAML error: {exc}")
            return None
    if not isinstance(node, Node):
        # An empty document: hand back an explicit null so readers report "is empty".
        mark = yaml.Mark("", 0, 0, 0, None, None)
        return ScalarNode(NULL, "", mark, mark)
    return node


def plain_data(node: Node | None) -> Any:
    """Nodes as plain data: dicts, lists, scalars as written, None for null.

    Duplicate keys keep their first value, as the findings say.
    """
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                result.setdefault(str(key.value), plain_data(value))
        return result
    if isinstance(node, SequenceNode):
        return [plain_data(item) for item in node.value]
    if isinstance(node, ScalarNode) and node.tag != NULL:
        return str(node.value)
    return None


def describe(node: Node) -> str:
    """Name a node's type for messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    names = {NULL: "empty", BOOL: "true/false", INT: "an integer", FLOAT: "a number", STR: "text"}
    name = names.get(node.tag, "a date" if node.tag.endswith("timestamp") else "a value")
    value = str(node.value)
    return f"{name} ({value[:40]!r})" if value and node.tag != NULL else name


def not_text(node: Node) -> str:
    """Why a node is no text, as "must be text, not ..." with what the author likely meant."""
    said = f"must be text, not {describe(node)}"
    # `title: {Youth}` is a mapping to YAML; its author meant the braces as text.
    if isinstance(node, MappingNode | SequenceNode) and node.flow_style:
        braces = isinstance(node, MappingNode)
        said += f". Probably {hints.BRACES_HINT if braces else hints.BRACKETS_HINT}"
    return said


def is_null(node: Node) -> bool:
    """True for an empty value or an explicit null."""
    return isinstance(node, ScalarNode) and node.tag == NULL


def scalar_text(node: Node) -> str | None:
    """Any non-null scalar as the text the author wrote, else None."""
    # Reading `text: True` or `title: 2024` as text avoids YAML's surprise conversions.
    if isinstance(node, ScalarNode) and node.tag != NULL:
        return str(node.value).strip()
    return None


def construct(node: ScalarNode) -> object:
    """The Python value of a scalar, using the safe constructor only."""
    # A fresh constructor each time: it caches every node it has seen.
    return SafeConstructor().construct_object(node, deep=True)


class MapReader:
    """Typed, line-aware access to a YAML mapping; reports unknown, missing and ill-typed keys."""

    def __init__(
        self, source: Source, node: Node | None, what: str, allowed: Iterable[str]
    ) -> None:
        self.source = source
        self.what = what
        self.entries: dict[str, tuple[Node, Node]] = {}
        self._warned: set[str] = set()
        self.line = source.line(node) if node is not None else source.offset + 1
        self.ok = isinstance(node, MappingNode)
        if node is None:  # unparsable YAML, already reported
            return
        if is_null(node):
            source.error(self.line, f"{what} is empty; expected a mapping of keys")
            return
        if not isinstance(node, MappingNode):
            message = f"{what} must be a mapping of keys, not {describe(node)}"
            if isinstance(node, ScalarNode) and not node.style and hints.looks_like_key(node.value):
                # A file or block of one line, `title Youth`, is read as that text.
                message += f". Probably {hints.KEY_HINT}"
            source.error(self.line, message)
            return
        allowed_keys = set(allowed)
        for key_node, value_node in node.value:
            key = scalar_text(key_node)
            line = source.line(key_node)
            if key is None or not isinstance(key_node, ScalarNode):
                source.error(line, f"{what}: keys must be plain names")
                continue
            if key in self.entries:
                first = source.line(self.entries[key][0])
                where = lines_before(line, first)
                # The first key again, in an item of a list: the next item lost its dash.
                dash = key == scalar_text(node.value[0][0]) and after_dash(source.text, node)
                hint = f". Probably {hints.DASH_HINT}" if dash else ""
                source.error(line, f"{what}: duplicate key `{key}` (first {where}){hint}")
                continue
            if key not in allowed_keys:
                close = difflib.get_close_matches(key, allowed_keys, n=1)
                allowed = ", ".join(sorted(allowed_keys))
                hint = f"did you mean `{close[0]}`?" if close else f"allowed: {allowed}"
                source.error(line, f"{what}: unknown key `{key}` ({hint})")
                continue
            self.entries[key] = (key_node, value_node)

    def has(self, key: str) -> bool:
        """True when the key is present with a non-null value."""
        entry = self.entries.get(key)
        return entry is not None and not is_null(entry[1])

    def line_of(self, key: str) -> int:
        """Line of the key, or of the mapping when the key is absent."""
        entry = self.entries.get(key)
        return self.source.line(entry[0]) if entry else self.line

    def _value(self, key: str, required: bool) -> Node | None:
        entry = self.entries.get(key)
        if entry is None or is_null(entry[1]):
            if required and self.ok:
                if entry is None:
                    self.source.error(*self._missing(key))
                else:
                    self.source.error(self.line_of(key), f"{self.what}: `{key}` is empty")
            elif entry is None and self.ok and key not in self._warned:
                self._warned.add(key)  # a key may be read more than once
                warn_if_indented(self.source, self.entries, key, self.what)
            return None
        return entry[1]

    def _missing(self, key: str) -> tuple[int, str]:
        """Where and how to say a key is missing: at the mapping, or where it was indented."""
        line, said = indented_key(self.source, self.entries, key) or (self.line, "")
        return line, f"{self.what}: missing key `{key}`{said}"

    def _wrong(self, key: str, expected: str, node: Node) -> None:
        self.source.error(
            self.line_of(key), f"{self.what}: `{key}` must be {expected}, not {describe(node)}"
        )

    def string(self, key: str, required: bool = True) -> str | None:
        """A text value (stripped); None when absent, empty or of the wrong type."""
        node = self._value(key, required)
        if node is None:
            return None
        text = scalar_text(node)
        if text is None:
            self.source.error(self.line_of(key), f"{self.what}: `{key}` {not_text(node)}")
            return None
        if not text and required:
            self.source.error(self.line_of(key), f"{self.what}: `{key}` is empty")
            return None
        problem = markdown_problem(text)
        if problem is not None:  # most text is rendered as Markdown
            line = text_line(self.source, node, problem[0])
            self.source.error(line, f"{self.what}: `{key}`: {problem[1]}")
            return None
        return text

    def integer(self, key: str, required: bool = True) -> int | None:
        """An integer value (true/false is not accepted)."""
        node = self._value(key, required)
        if node is None:
            return None
        if not (isinstance(node, ScalarNode) and node.tag == INT):
            self._wrong(key, "an integer", node)
            return None
        value = construct(node)
        assert isinstance(value, int)
        return value

    def number(self, key: str, required: bool = True) -> float | None:
        """An integer or decimal value, as float."""
        node = self._value(key, required)
        if node is None:
            return None
        if not (isinstance(node, ScalarNode) and node.tag in (INT, FLOAT)):
            self._wrong(key, "a number", node)
            return None
        value = construct(node)
        assert isinstance(value, int | float)
        return float(value)

    def date(self, key: str, required: bool = True) -> datetime.date | None:
        """A calendar date written as YYYY-MM-DD (quoted or not)."""
        node = self._value(key, required)
        if node is None:
            return None
        try:
            value = construct(node) if isinstance(node, ScalarNode) else None
        except (ValueError, yaml.YAMLError):  # e.g. 2026-13-01 looks like a date but is none
            value = None
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if type(value) is not datetime.date:  # a datetime (with a time) is not a date either
            text = scalar_text(node)
            got = f"`{text}`" if text is not None else describe(node)
            self.source.error(
                self.line_of(key),
                f"{self.what}: `{key}` must be a real date written as YYYY-MM-DD, not {got}",
            )
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """A true/false value, or the default when absent."""
        node = self._value(key, False)
        if node is None:
            return default
        if not (isinstance(node, ScalarNode) and node.tag == BOOL):
            self._wrong(key, "true or false", node)
            return default
        return bool(construct(node))

    def sequence(self, key: str, required: bool = True) -> list[Node] | None:
        """The items of a list value."""
        node = self._value(key, required)
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self._wrong(key, "a list", node)
            return None
        return list(node.value)

    def node(self, key: str, required: bool = True) -> Node | None:
        """The raw node of a key (for nested mappings)."""
        return self._value(key, required)


def string_items(source: Source, nodes: list[Node], what: str) -> list[tuple[str, int]]:
    """Read a list of text items with their lines; report items that are not text."""
    items: list[tuple[str, int]] = []
    for node in nodes:
        text = scalar_text(node)
        if not text:  # "" is text, so it is said to be empty, not "must be text, not text"
            said = "is empty" if text is not None else not_text(node)
            source.error(source.line(node), f"{what} {said}")
            continue
        problem = markdown_problem(text)
        if problem is not None:
            source.error(text_line(source, node, problem[0]), f"{what}: {problem[1]}")
            continue
        items.append((text, source.line(node)))
    return items
