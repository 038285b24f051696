"""docs/security-asvs.md stays true: every ASVS 5.0 level 1 requirement listed, every test it
names exists."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "security-asvs.md").read_text(encoding="utf-8")

#: Every level 1 requirement of ASVS 5.0.0 (10.4.1-10.4.5 are listed as 10.4.x).
LEVEL_1 = """
1.2.1 1.2.2 1.2.3 1.2.4 1.2.5 1.3.1 1.3.2 1.5.1 2.1.1 2.2.1 2.2.2 2.3.1 3.2.1 3.2.2 3.3.1
3.4.1 3.4.2 3.5.1 3.5.2 3.5.3 4.1.1 4.4.1 5.2.1 5.2.2 5.3.1 5.3.2 6.1.1 6.2.1 6.2.2 6.2.3
6.2.4 6.2.5 6.2.6 6.2.7 6.2.8 6.3.1 6.3.2 6.4.1 6.4.2 7.2.1 7.2.2 7.2.3 7.2.4 7.4.1 7.4.2
8.1.1 8.2.1 8.2.2 8.3.1 9.1.1 9.1.2 9.1.3 9.2.1 10.4.x 11.3.1 11.3.2 11.4.1 12.1.1 12.2.1
12.2.2 13.4.1 14.2.1 14.3.1 15.1.1 15.2.1 15.3.1
""".split()


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end != -1 else None]


def _listed(table: str) -> set[str]:
    ids: set[str] = set()
    for row in re.findall(r"^\| ([0-9][^|]*?) \|", table, re.M):
        for part in row.replace(" (L3)", "").split(", "):
            if "–" in part:  # a range such as 9.1.1–9.1.3
                first, last = part.split("–")
                stem = first.rsplit(".", 1)[0]
                ids |= {f"{stem}.{n}" for n in range(int(first.rsplit(".")[-1]),
                                                      int(last.rsplit(".")[-1]) + 1)}  # fmt: skip
            else:
                ids.add(part)
    return ids


def test_every_level_1_requirement_has_a_row() -> None:
    missing = [r for r in LEVEL_1 if r not in _listed(_section("Level 1 requirements"))]
    assert not missing, missing


@cache
def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_page_names_exists() -> None:
    current: Path | None = None
    missing = []
    pattern = r"`([a-z_/]+\.py)(?:::(\w+)[^`]*)?`|`::(\w+)[^`]*`"
    for path, name, short in re.findall(pattern, DOC):
        if path:
            current = ROOT / "tests" / path
            if not current.exists():
                current = ROOT / path
                assert current.exists(), path
        name = name or short
        if name and current is not None and current.name.startswith("test_"):
            if name not in _functions(current):
                missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert not missing, missing
