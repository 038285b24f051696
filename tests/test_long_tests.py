"""The long tests handed out first in the browser pass are still there under their names."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import LONG

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_named_as_long_exists() -> None:
    # Renamed, a long test would quietly go back to its file's turn and might start last,
    # holding the pass up while the other process sits idle.
    for nodeid in LONG:
        path, name = nodeid.split("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert name in names, f"{nodeid} is listed in LONG (tests/conftest.py) but not defined"
