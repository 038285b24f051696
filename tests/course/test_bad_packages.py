"""Malformed course packages, on import and upload: a clear answer naming the file and
line, and nothing changed.

Each case asserts the status, the message the person sees, and that the database holds
exactly the rows it held before (counted table by table).
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

from flask import Flask

from course.models import Role
from tests.course.factories import (
    import_course,
    join_team,
    make_user,
    sign_in,
    snapshot_row_counts,
)

#: `course import`, with the reason a package that makes a new version needs.
IMPORT = ("course", "import", "--reason", "a test import")


def text(response) -> str:
    return response.get_data(as_text=True)


def _break(package: Path, how: str) -> None:
    lesson = package / "01-push-pull.md"
    if how == "binary lesson":
        lesson.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    elif how == "latin-1 lesson":
        lesson.write_bytes(lesson.read_text().replace("Youth", "Jóvenes").encode("latin-1"))
    elif how == "broken manifest":
        (package / "course.yaml").write_text("slug: minimal\ntitle: [unclosed\n")
    elif how == "manifest is a list":
        (package / "course.yaml").write_text("- just\n- a list\n")
    elif how == "no manifest":
        (package / "course.yaml").unlink()
    elif how == "no post-test":
        (package / "post-test.yaml").unlink()
    elif how == "nul in post-test":
        path = package / "post-test.yaml"
        path.write_text(path.read_text().replace("Which", "Wh\x00ich", 1))
    elif how == "yaml bomb":
        (package / "evaluation.yaml").write_text(
            'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
            "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "items: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        )
    elif how == "python tag":
        (package / "evaluation.yaml").write_text(
            "items: !!python/object/apply:os.system ['echo pwned']\n"
        )
    elif how == "empty":
        for path in package.iterdir():
            path.unlink()


BROKEN = [
    "binary lesson",
    "latin-1 lesson",
    "broken manifest",
    "manifest is a list",
    "no manifest",
    "no post-test",
    "nul in post-test",
    "yaml bomb",
    "python tag",
    "empty",
]


def test_a_malformed_package_is_refused_clearly_and_imports_nothing(
    app: Flask, runner, minimal_package_dir: Path, tmp_path: Path
) -> None:
    runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    unchanged = snapshot_row_counts(app)
    for number, how in enumerate(BROKEN):
        package = tmp_path / f"broken-{number}" / "minimal"
        shutil.copytree(minimal_package_dir, package)
        _break(package, how)
        result = runner.invoke(args=[*IMPORT, str(package)])
        assert result.exit_code != 0, (how, result.output)
        assert "Traceback" not in result.output, how
        assert re.search(r"error|nothing was imported|no course package", result.output, re.I), (
            how,
            result.output,
        )
        checked = runner.invoke(args=["course", "check", str(package)])
        assert checked.exit_code != 0 and "error" in checked.output.lower(), (how, checked.output)
    unchanged()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_refused_package_upload_says_why_and_changes_nothing(
    app: Flask, minimal_package_dir: Path
) -> None:
    with app.app_context():
        import_course(minimal_package_dir)
        author = join_team("minimal", make_user(role=Role.AUTHOR))
    client = app.test_client()
    sign_in(client, author)
    manifest = (minimal_package_dir / "course.yaml").read_bytes()
    uploads = [
        (b"%PDF-1.7 not a zip at all", "not a ZIP archive"),
        (_zip({"../../course.yaml": manifest}), "unsafe file name"),
        (_zip({"course.yaml": manifest, "01-a.md": b"\xff\xfe\x00binary"}), "not UTF-8"),
        (_zip({"notes.txt": b"hello"}), "no course.yaml"),
    ]
    unchanged = snapshot_row_counts(app)
    for data, message in uploads:
        response = client.post(
            "/author/courses/minimal/upload",
            data={"package": (io.BytesIO(data), "package.zip")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, message
        assert message in text(response), message
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = client.post(
        "/author/courses/minimal/upload",
        data={"package": (io.BytesIO(bytes(200 * 1024)), "package.zip")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413 and "too large" in text(big)
    unchanged()
