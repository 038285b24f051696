"""Every CSV the engine hands out neutralises cells a spreadsheet would run as formulas."""

from __future__ import annotations

import ast
import csv
import io
import zipfile
from pathlib import Path

from tests.course.factories import sign_in
from tests.course.test_admin_dataset import NAMES, build_dataset

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("course", "lessons", "certificates")


def test_the_certificates_export_zip_index_neutralises_names(app, minimal_package_dir) -> None:
    with app.app_context():
        data = build_dataset(minimal_package_dir)
    client = sign_in(app.test_client(), data.admin)
    response = client.get("/admin/certificates/export.zip", query_string={"course": "minimal"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
    names = {row["participant_name"] for row in rows}
    assert "'" + NAMES["a"] in names  # =HYPERLINK(...) shows as text
    assert not any(name[:1] in "=+-@" for name in names)


def test_no_module_writes_csv_except_the_one_neutralising_writer() -> None:
    writers = []
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [alias.name for alias in node.names] if isinstance(node, ast.Import)
                    else [node.module] if isinstance(node, ast.ImportFrom) else []
                )
                if "csv" in names:
                    writers.append(path.relative_to(ROOT).as_posix())
    assert writers == ["course/csvout.py"]
