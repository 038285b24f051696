"""Every CSV the engine hands out neutralises cells a spreadsheet would run as formulas,
and starts with a byte-order mark so that Excel reads it as UTF-8."""

from __future__ import annotations

import ast
import csv
import io
import re
import zipfile
from pathlib import Path

from course.csvout import BOM, csv_chunks
from course.extensions import db
from course.models import User
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
        rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
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


UTF8_BOM = b"\xef\xbb\xbf"
DOWNLOADS = (
    "/admin/records/certificates.csv", "/admin/audit.csv", "/admin/courses/minimal/roster.csv",
    "/admin/courses/minimal/enrollments.csv",
)  # fmt: skip
ZIPS = ("/admin/courses/minimal/audit-pack.zip", "/admin/certificates/export.zip?course=minimal")


def _every_download(app, package_dir) -> dict[str, bytes]:
    """Every CSV an admin can download, alone or in a ZIP, and the ZIPs' READMEs, by name."""
    with app.app_context():
        data = build_dataset(package_dir)
    client = sign_in(app.test_client(), data.admin)
    files = {url: client.get(url).data for url in DOWNLOADS}
    for url in ZIPS:
        with zipfile.ZipFile(io.BytesIO(client.get(url).data)) as archive:
            files |= {f"{url}:{name}": archive.read(name) for name in archive.namelist()
                      if name.endswith((".csv", ".txt")) and "/" not in name}  # fmt: skip
    return files


def _csv_files(files: dict[str, bytes]) -> dict[str, list[list[str]]]:
    return {name: list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            for name, body in files.items() if not name.endswith(".txt")}  # fmt: skip


def test_every_csv_starts_with_one_byte_order_mark(app, minimal_package_dir) -> None:
    files = {name: body for name, body in _every_download(app, minimal_package_dir).items()
             if not name.endswith(".txt")}  # fmt: skip
    assert len(files) == len(DOWNLOADS) + 13  # twelve in the audit pack, the certificates' index
    for name, body in files.items():
        assert body.startswith(UTF8_BOM) and body.count(UTF8_BOM) == 1, name


def test_a_streamed_csv_has_the_mark_once_however_many_chunks() -> None:
    chunks = list(csv_chunks(["name"], [["José"], ["Zoë"], ["Ngô"]], batch=1))
    assert len(chunks) == 4 and chunks[0].startswith(BOM)
    assert "".join(chunks).count(BOM) == 1


def test_an_accented_name_reads_back_through_csv_with_utf_8_sig(app, minimal_package_dir) -> None:
    with app.app_context():
        data = build_dataset(minimal_package_dir)
        # B completed without a certificate: the roster gives the account's name.
        db.session.get(User, data.learners["b"].id).full_name = "José Núñez Çelik"
        db.session.commit()
    client = sign_in(app.test_client(), data.admin)
    body = client.get("/admin/courses/minimal/roster.csv").data
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[0] == "participant_name"  # the mark is not part of the heading
    assert "José Núñez Çelik" in [row["participant_name"] for row in rows]


def test_every_csv_heading_and_readme_spells_license_the_us_way(app, minimal_package_dir) -> None:
    files = _every_download(app, minimal_package_dir)
    headings = {name: rows[0] for name, rows in _csv_files(files).items()}
    for name, heading in headings.items():
        assert not [cell for cell in heading if "licence" in cell], name
    assert {"license_number", "license_jurisdiction"} <= set(
        headings["/admin/courses/minimal/roster.csv"])
    assert {"account_license_number", "snapshot_license_number",
            "snapshot_license_jurisdiction"} <= set(headings["/admin/records/certificates.csv"])
    readme = files["/admin/courses/minimal/audit-pack.zip:README.txt"].decode()
    assert "license_number, license_jurisdiction" in readme and "licence" not in readme


#: An instant with a fraction of a second, as a spreadsheet misreads it.
FRACTION = re.compile(r"\d\d:\d\d:\d\d\.\d")
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def test_every_instant_in_every_csv_is_to_the_second_with_its_offset(
    app, minimal_package_dir
) -> None:
    files = _csv_files(_every_download(app, minimal_package_dir))
    instants = 0
    for name, rows in files.items():
        for row in rows[1:]:
            for heading, cell in zip(rows[0], row, strict=True):
                assert not FRACTION.search(cell), (name, heading, cell)
                if heading.endswith("_at") or heading.startswith("time"):
                    assert cell == "" or INSTANT.fullmatch(cell), (name, heading, cell)
                    instants += bool(cell)
    assert instants > 20
    audit = files["/admin/audit.csv"]
    assert all(INSTANT.fullmatch(row[1]) for row in audit[1:]) and len(audit) > 1
