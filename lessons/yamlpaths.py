"""Where things are in a valid YAML file: the line of each key, and every text value."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .yamlread import STR, parse_nodes

Path = tuple[str | int, ...]


def key_lines(text: str) -> dict[Path, int]:
    """Line of every key and list item of a valid YAML file, by path, e.g. ("post_test", "draw")."""
    lines: dict[Path, int] = {}
    root = parse_nodes(text)
    stack: list[tuple[Path, Node]] = [((), root)] if root is not None else []
    while stack:
        path, node = stack.pop()
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                child = (*path, str(key_node.value))
                lines.setdefault(child, key_node.start_mark.line + 1)
                stack.append((child, value_node))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault((*path, index), item.start_mark.line + 1)
                stack.append(((*path, index), item))
    return lines


def text_values(node: Node | None) -> list[tuple[str, int]]:
    """Every text value (not key) under a node with its 0-based line, in document order."""
    found: list[tuple[str, int]] = []
    stack: list[Node] = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            stack.extend(value for _, value in reversed(current.value))
        elif isinstance(current, SequenceNode):
            stack.extend(reversed(current.value))
        elif isinstance(current, ScalarNode) and current.tag == STR:
            found.append((str(current.value), current.start_mark.line))
    return found


def cut_by_comments(text: str) -> list[tuple[str, str, int]]:
    """Plain (unquoted) texts of several words that a ``#`` on their line cut short.

    YAML reads `` #`` and the rest of the line as a comment, so "(Approval # 886-1234)"
    unquoted ends at "(Approval". Returns (text kept, words dropped, 1-based line).
    """
    lines = text.splitlines()
    found: list[tuple[str, str, int]] = []
    stack: list[Node] = [root] if (root := parse_nodes(text)) is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, MappingNode):
            stack.extend(value for _, value in current.value)
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, ScalarNode) and current.tag == STR and not current.style:
            end = current.end_mark
            rest = lines[end.line][end.column:].strip() if end.line < len(lines) else ""
            # One word and a comment is a note on a setting ("draw: ten  # of 20"), as meant.
            if rest.startswith("#") and " " in str(current.value):
                found.append((str(current.value), rest[1:].strip(), end.line + 1))
    return sorted(found, key=lambda item: item[2])
