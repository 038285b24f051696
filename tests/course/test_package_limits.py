"""The same package limits on the command line and in the browser; links never followed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.author.packagezip import read_package_zip, write_package_zip
from course.models import Role
from lessons.limits import MAX_FILE_BYTES
from tests.course.author_kit import BASE, store_draft
from tests.course.factories import import_course, join_team, make_user, sign_in, snapshot_row_counts
from tests.course.test_author_package import _upload

#: `course import`, with the reason a package that makes a new version needs.
IMPORT = ("course", "import", "--reason", "a test import")


@pytest.fixture
def author_client(app, client, minimal_package_dir):
    """A signed-in author of the published minimal course."""
    with app.app_context():
        import_course(minimal_package_dir)
        user = join_team("minimal", make_user(Role.AUTHOR))
    return sign_in(client, user)


def test_a_link_in_a_cli_package_is_refused_and_nothing_is_imported(
    app, runner, minimal_package_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "outside" / "passwords.md"
    secret.parent.mkdir()
    secret.write_text("---\ntitle: Someone else's file\n---\nPrivate.\n", encoding="utf-8")
    package = tmp_path / "import" / "minimal"
    shutil.copytree(minimal_package_dir, package)
    (package / "03-secret.md").symlink_to(secret)
    unchanged = snapshot_row_counts(app)
    result = runner.invoke(args=[*IMPORT, str(package)])
    assert result.exit_code != 0
    assert "minimal/03-secret.md:0: error: is a link; links are refused" in result.output
    assert "nothing was imported" in result.output
    unchanged()
    # A linked package folder is refused the same way.
    linked = tmp_path / "linked" / "minimal"
    linked.parent.mkdir()
    linked.symlink_to(minimal_package_dir)
    result = runner.invoke(args=[*IMPORT, str(linked)])
    assert result.exit_code != 0 and "links are refused" in result.output
    unchanged()


def test_cli_import_skips_a_huge_stray_file_and_refuses_a_huge_lesson(
    app, runner, minimal_package_dir: Path, tmp_path: Path
) -> None:
    package = tmp_path / "minimal"
    shutil.copytree(minimal_package_dir, package)
    with open(package / "export.csv", "wb") as stray:  # 200 MB, sparse: never read
        stray.truncate(200 * 1024 * 1024)
    result = runner.invoke(args=[*IMPORT, str(package)])
    assert result.exit_code == 0, result.output
    assert "minimal: version 1 (new)" in result.output
    with open(package / "03-long.md", "wb") as lesson:
        lesson.write(b"---\ntitle: Long\n---\n" + b"More words.\n" * (MAX_FILE_BYTES // 10))
    result = runner.invoke(args=[*IMPORT, str(package)])
    assert result.exit_code != 0
    assert "minimal/03-long.md:" in result.output and "at most 512 KB" in result.output


def test_an_upload_with_a_lesson_over_the_limit_is_refused_naming_it(app, author_client):
    files = {"course.yaml": "slug: minimal\n",
             "01-long.md": "---\ntitle: Long\n---\n" + "Words.\n" * (MAX_FILE_BYTES // 6)}
    unchanged = snapshot_row_counts(app)
    # Compressed, as a test upload over 500 KB leaves the client's spooled file open.
    response = _upload(author_client, f"{BASE}/upload", write_package_zip("minimal", files))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "&#39;01-long.md&#39; is" in page and "at most 512 KB" in page
    unchanged()


def test_a_draft_nested_200000_deep_shows_the_finding_not_a_server_error(
    app, author_client
) -> None:
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["evaluation.yaml"] = "items: " + "[" * 200_000 + "]" * 200_000 + "\n"
    response = _upload(author_client, f"{BASE}/upload", write_package_zip("minimal", files))
    assert response.status_code == 422  # an upload may not break the draft
    assert "nested more than 20 levels" in response.get_data(as_text=True)
    store_draft(app, files)  # but a draft saved from the editors may hold it
    for url in (f"{BASE}/", f"{BASE}/evaluation", f"{BASE}/publish"):
        page = author_client.get(url)
        assert page.status_code == 200, url
    assert "nested more than 20 levels" in author_client.get(f"{BASE}/publish").get_data(
        as_text=True
    )
