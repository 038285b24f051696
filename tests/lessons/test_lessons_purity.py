"""lessons/ stays pure Python: no web framework, no database, no other room of the app."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from lessons_testkit import MINIMAL

import lessons

PACKAGE = Path(lessons.__file__).resolve().parent
FORBIDDEN = ("flask", "flask_", "sqlalchemy", "werkzeug", "jinja2", "course", "certificates")


def forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("flask_")


def test_importing_and_using_lessons_loads_no_app_modules() -> None:
    script = (
        "import json, sys, lessons\n"
        f"package = lessons.load_package({str(MINIMAL)!r})\n"
        "lessons.lint(package)\n"
        "lessons.grade(package.post_test[0], ['a'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        cwd=PACKAGE.parent,
    )  # fmt: skip
    modules = json.loads(result.stdout)
    assert "lessons" in modules and "markdown" in modules
    assert [m for m in modules if forbidden(m)] == []


def test_no_module_imports_app_code() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            assert not [n for n in names if forbidden(n)], f"{path.name}:{node.lineno}"


def test_modules_are_documented_and_small() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(text)), path.name
        assert len(text.splitlines()) <= 400, path.name
