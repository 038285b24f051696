"""US English in what people read: templates, and the messages, labels and CLI output
in the code (docstrings, comments and identifiers such as ``licence_number`` aside)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UK = re.compile(
    r"\b(licen[c]e|enrol(?!l)\w*|counsell\w*|forgotten your|authoris\w*|organis\w*|colour\w*"
    r"|behaviour\w*|recognis\w*|favour\w*|catalogue\w*|programme\w*|cancelled|practis\w*"
    r"|analys(e|ed|ing)|minimis\w*|prioritis\w*|summaris\w*|customis\w*|utilis\w*|whilst"
    r"|unticked|tick the)\b",
    re.IGNORECASE,
)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _visible_template_text(path: Path) -> str:
    text = JINJA.sub(" ", path.read_text(encoding="utf-8"))
    return re.sub(r"<[^>]*>", " ", text)


def _strings(path: Path) -> list[tuple[int, str]]:
    """String constants with a space in them (words people read), minus docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and " " in node.value and id(node) not in docstrings
    ]


def test_templates_speak_us_english_and_count_properly() -> None:
    found = []
    for path in sorted((ROOT / "course" / "templates").rglob("*.html")):
        text = _visible_template_text(path)
        found += [f"{path.name}: {m.group(0)}" for m in UK.finditer(text)]
        found += [f"{path.name}: (s)" for _ in re.finditer(r"\w\(s\)", text)]
    assert not found


def test_messages_in_the_code_speak_us_english_and_count_properly() -> None:
    found = []
    for folder in ("course", "certificates", "lessons"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = path.relative_to(ROOT)
            for line, value in _strings(path):
                found += [f"{where}:{line}: {m.group(0)}" for m in UK.finditer(value)]
                # "1 learner(s)" in an audit pack or a CLI summary reads as unfinished.
                found += [
                    f"{where}:{line}: {m.group(0)}"
                    for m in re.finditer(r"\w+\(s\)", value)
                    if m.group(0) != "http(s)"
                ]
    assert not found
