"""certificates/ stays pure: no web framework, no database, no other project package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "certificates"
FORBIDDEN = {"flask", "flask_login", "flask_sqlalchemy", "flask_migrate", "flask_wtf",
             "flask_limiter", "werkzeug", "sqlalchemy", "alembic", "wtforms", "course",
             "lessons"}  # fmt: skip
MAX_LINES = 400


def test_importing_certificates_loads_no_forbidden_module() -> None:
    # A fresh interpreter: this test process may already have Flask loaded by other tests.
    script = (
        "import sys, certificates, certificates.layout, certificates.fonts;"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    loaded = set(ast.literal_eval(out))
    assert "certificates" in loaded and "reportlab" in loaded
    assert not loaded & FORBIDDEN, loaded & FORBIDDEN


def test_no_source_file_imports_a_forbidden_module() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 5
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_modules_stay_small_and_documented() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) <= MAX_LINES, path.name
        tree = ast.parse(source)
        documented = [(path.name, tree)] + [
            (f"{path.name}: {node.name}", node)
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
        ]
        for where, node in documented:
            docstring = ast.get_docstring(node)
            assert docstring, f"{where} has no docstring"
            assert "\n" not in docstring, f"{where}: docstring is more than one line"


def test_public_api_is_re_exported() -> None:
    import certificates

    expected = {
        "AuthorLine", "CertificateRecord", "CredentialCheck", "render_pdf", "new_code",
        "normalize_code", "verify_url_for", "generate_signing_key", "public_key_pem",
        "issue_credential", "verify_credential",
    }  # fmt: skip
    assert expected <= set(certificates.__all__)
    for name in expected:
        assert getattr(certificates, name) is not None
