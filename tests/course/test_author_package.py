"""Course packages as ZIP files in the author area: download, upload, new courses, refusals."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from course.author.packagezip import ZipRefused, read_package_zip, write_package_zip
from course.extensions import db
from course.models import AuditEvent, Course, CourseDraft, Role
from tests.course.author_kit import (
    BASE,
    flashes,
    post_publish,
    sign_in_reviewer,
    store_draft,
    submit,
)
from tests.course.factories import import_course, join_team, make_user, sign_in
from tests.course.journey import plain

NOTE = {"note": "Reviewed and approved."}


@pytest.fixture
def author_client(app, client, minimal_package_dir):
    """A signed-in author, with the minimal course published."""
    with app.app_context():
        import_course(minimal_package_dir)
        user = join_team("minimal", make_user(Role.AUTHOR))
    return sign_in(client, user)


def _files(package_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(package_dir.iterdir())}


def _zip(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _upload(client, url: str, data: bytes, name: str = "package.zip"):
    return client.post(url, data={"package": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")  # fmt: skip


def test_a_package_zip_reads_back_the_files_it_was_written_from(minimal_package_dir):
    files = _files(minimal_package_dir)
    data = write_package_zip("minimal", files)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == sorted(f"minimal/{name}" for name in files)
    assert read_package_zip(data) == files
    assert write_package_zip("minimal", files) == data  # the same files, the same bytes
    at_root = _zip(files)
    assert read_package_zip(at_root) == files


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../course.yaml": "slug: x"}, "unsafe file name"),
        ({"pkg/../../etc/passwd": "x", "course.yaml": "x"}, "unsafe file name"),
        ({"/course.yaml": "slug: x"}, "unsafe file name"),
        ({"C:/course.yaml": "slug: x"}, "unsafe file name"),
        ({"pkg\\course.yaml": "slug: x"}, "unsafe file name"),
        ({"a/b/course.yaml": "slug: x"}, "sub-folder"),
        ({"content/c/course.yaml": "slug: c"}, "ZIP the course's own folder"),
        ({"a/course.yaml": "x", "b/post-test.yaml": "x"}, "one folder"),
        ({"a/course.yaml": "x", "post-test.yaml": "x"}, "one folder"),
        ({"course.yaml": b"slug: caf\xe9\n"}, "not valid UTF-8 text"),
        ({"course.yaml": b"slug: x\n\ntitle: Caf\xe9\n"}, r"line 3: not valid UTF-8 .* encoding"),
        ({"post-test.yaml": "questions: []"}, "no course.yaml"),
    ],
)
def test_unsafe_or_malformed_zips_are_refused(entries, message):
    with pytest.raises(ZipRefused, match=message):
        read_package_zip(_zip(entries))


def test_links_too_many_files_and_too_many_bytes_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("course.yaml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ZipRefused, match="link"):
        read_package_zip(buffer.getvalue())
    many = _zip({f"{n:02d}-x.md": "x" for n in range(5)} | {"course.yaml": "x"})
    with pytest.raises(ZipRefused, match="at most 4"):
        read_package_zip(many, max_files=4)
    big = _zip({"course.yaml": "x" * 5000})
    with pytest.raises(ZipRefused, match="larger than"):
        read_package_zip(big, max_bytes=4000)
    with pytest.raises(ZipRefused, match="not a ZIP"):
        read_package_zip(b"PK\x03\x04 but not really")


def test_dot_files_and_mac_folders_are_skipped(minimal_package_dir):
    files = _files(minimal_package_dir)
    entries = {f"minimal/{k}": v for k, v in files.items()}
    entries |= {"__MACOSX/minimal/._course.yaml": b"\x00\x05", "minimal/.DS_Store": b"\xff"}
    assert read_package_zip(_zip(entries)) == files


def test_authors_download_the_draft_and_the_published_version(author_client):
    draft = author_client.get(f"{BASE}/package.zip")
    assert draft.status_code == 200 and draft.mimetype == "application/zip"
    assert "minimal-draft.zip" in draft.headers["Content-Disposition"]
    published = author_client.get(f"{BASE}/package.zip?source=published")
    assert "minimal-v1.zip" in published.headers["Content-Disposition"]
    assert read_package_zip(draft.data) == read_package_zip(published.data)


def test_an_uploaded_zip_becomes_the_draft_as_a_revision(app, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["02-returning.md"] = files["02-returning.md"].replace("title: ", "title: Updated ", 1)
    page = flashes(author_client, _upload(author_client, f"{BASE}/upload",
                                          write_package_zip("minimal", files)))  # fmt: skip
    assert "Saved as revision 2." in page
    with app.app_context():
        draft = db.session.scalar(select(CourseDraft))
        assert draft.files == files
        assert draft.revisions[-1].action == "upload"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "draft.uploaded"))
        assert event.actor.role == Role.AUTHOR


def test_uploads_for_another_course_or_that_are_unsafe_say_why(app, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["course.yaml"] = files["course.yaml"].replace("slug: minimal", "slug: other", 1)
    response = _upload(author_client, f"{BASE}/upload", write_package_zip("other", files))
    assert response.status_code == 422
    assert "This package is for the course “other”, not “minimal”." in response.get_data(
        as_text=True
    )
    response = _upload(author_client, f"{BASE}/upload", _zip({"../course.yaml": "slug: x"}))
    assert response.status_code == 422
    assert "unsafe file name" in response.get_data(as_text=True)
    # The form to try again says what it does, as on the course's page.
    assert ">Upload as the draft</button>" in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = _upload(author_client, f"{BASE}/upload", b"x" * 4096)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: uploads are limited to 2 KB." in page
    assert 'action="/author/courses/minimal/upload"' in page
    with app.app_context():
        assert db.session.scalar(select(CourseDraft)) is None


def test_a_new_course_from_a_zip_with_errors_says_it_has_them(author_client):
    """A ZIP with checker errors still makes the draft, and the message says it has them."""
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["course.yaml"] = files["course.yaml"].replace("slug: minimal", "slug: with-errors", 1)
    files["post-test.yaml"] = files["post-test.yaml"].replace("    type:", "\ttype:", 1)
    response = _upload(author_client, "/author/new", write_package_zip("with-errors", files))
    page = plain(flashes(author_client, response))
    assert ("The course is created as a draft, with 1 error to fix before it can be"
            " published: see the checker's findings.") in page
    assert "Check it, then publish it." not in page


def test_a_new_course_from_a_zip_stays_hidden_until_published(app, client, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["course.yaml"] = (
        files["course.yaml"]
        .replace("slug: minimal", "slug: second-course", 1)
        .replace("title: Youth Who Run", "title: Second Course on Youth Who Run", 1)
    )
    response = _upload(author_client, "/author/new", write_package_zip("second-course", files))
    assert response.location.endswith("/author/courses/second-course/")
    assert "Second Course" in author_client.get("/author/").get_data(as_text=True)
    assert client.get("/courses/second-course").status_code == 404
    assert "Second Course" not in client.get("/").get_data(as_text=True)
    again = _upload(author_client, "/author/new", write_package_zip("second-course", files))
    assert again.status_code == 422
    assert "already exists" in again.get_data(as_text=True)

    # Its creator is its author: publishing needs a reviewer, whom an admin adds.
    alone = post_publish(author_client, "/author/courses/second-course/publish", NOTE)
    assert alone.status_code == 403
    assert "Only a reviewer of “Second Course on Youth Who Run" in alone.get_data(as_text=True)
    reviewer = sign_in_reviewer(app, author_client, "second-course")
    page = flashes(reviewer, post_publish(reviewer, "/author/courses/second-course/publish", NOTE))
    assert "Published as version 1." in page
    assert client.get("/courses/second-course").status_code == 200
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "second-course"))
        draft = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == "second-course"))
        assert draft.course_id == course.id


def test_a_broken_package_opens_in_every_editor_without_a_server_error(app, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["post-test.yaml"] = "questions: [\n"
    files["evaluation.yaml"] = "items: 5\n"
    files["01-push-pull.md"] = "No front matter.\n\n```check\nid: [broken\n```\n"
    files["02-returning.md"] = files["02-returning.md"].replace("title:", "title: [", 1)
    files["notes.txt"] = "not part of a package"
    store_draft(app, files)
    urls = [f"{BASE}/", f"{BASE}/settings", f"{BASE}/lessons/push-pull",
            f"{BASE}/lessons/returning", f"{BASE}/lessons/push-pull/new-check",
            f"{BASE}/post-test", f"{BASE}/post-test/new-question", f"{BASE}/evaluation",
            f"{BASE}/history", f"{BASE}/history/compare", f"{BASE}/publish"]  # fmt: skip
    for url in urls:
        assert author_client.get(url).status_code == 200, url
    publish = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "post-test.yaml" in publish and "Publish revision" not in publish
    question = {"id": "pt-x", "type": "single", "prompt": "P?", "choices-0-text": "A",
                "action": "save"}  # fmt: skip
    refused = author_client.post(f"{BASE}/post-test/new-question", data=question)
    assert refused.status_code == 422
    assert "post-test.yaml cannot be read as a list of questions" in refused.get_data(as_text=True)
    lesson = author_client.get(f"{BASE}/lessons/push-pull").get_data(as_text=True)
    assert "```check\nid: [broken" in lesson  # an unreadable check stays in the text box


def test_saving_from_the_forms_keeps_the_comments_of_an_uploaded_package(app, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    notes = {
        "course.yaml": "# Settings: reviewed by the CE committee\n",
        "post-test.yaml": "# Bank notes: keep two questions per objective\n",
        "evaluation.yaml": "# Evaluation: the board's required items first\n",
    }
    for name, note in notes.items():
        files[name] = note + files[name]
    files["post-test.yaml"] = files["post-test.yaml"].replace(
        "  - id: pt-lo1-2", "  # Pull factors from here on\n  - id: pt-lo1-2"
    )
    flashes(author_client, _upload(author_client, f"{BASE}/upload",
                                   write_package_zip("minimal", files)))  # fmt: skip

    edit = f"{BASE}/post-test/questions/pt-lo1-1"
    flashes(author_client, submit(author_client, edit, "save", prompt="Which one pushes?"))
    flashes(author_client, submit(author_client, f"{BASE}/settings", "save", level="advanced"))
    new_prompt = {"items-0-prompt": "It helped me name push factors."}
    flashes(author_client, submit(author_client, f"{BASE}/evaluation", "save", **new_prompt))

    saved = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    for name, note in notes.items():
        assert saved[name].startswith(note), name
    assert "  # Pull factors from here on\n  - id: pt-lo1-2" in saved["post-test.yaml"]
    assert "prompt: Which one pushes?" in saved["post-test.yaml"]
    assert "level: advanced" in saved["course.yaml"]
    assert "prompt: It helped me name push factors." in saved["evaluation.yaml"]
    # Only the edited lines differ from the upload.
    for name in notes:
        old, new = files[name].splitlines(), saved[name].splitlines()
        assert len(set(old) ^ set(new)) == 2, name


def test_a_lesson_whose_front_matter_cannot_be_read_opens_with_what_it_still_says(
    app, author_client
):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    broken = files["02-returning.md"].replace("title: When a youth returns",
                                              'title: "When a youth returns', 1)  # fmt: skip
    assert broken != files["02-returning.md"]
    files["02-returning.md"] = broken
    store_draft(app, files)
    page = author_client.get(f"{BASE}/lessons/returning").get_data(as_text=True)
    # The boxes hold what the lines still say, and the lines are shown as written.
    assert 'value="When a youth returns"' in page
    assert 'value="LO2" checked' in page and 'value="LO3" checked' in page
    assert "could not be read" in page
    assert "title: &#34;When a youth returns" in page
    saved = flashes(author_client, submit(author_client, f"{BASE}/lessons/returning", "save"))
    assert "Saved as revision 3." in saved and "could not be read" not in saved
    with app.app_context():
        text = db.session.scalar(select(CourseDraft)).files["02-returning.md"]
        assert text.startswith("---\ntitle: When a youth returns\nobjectives: [LO2, LO3]\n---")


def test_an_upload_that_breaks_the_draft_is_refused_naming_each_error(app, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    broken = dict(files)
    broken["post-test.yaml"] = broken["post-test.yaml"].replace("questions:", "questions: [", 1)
    broken["08-extra.md"] = "---\ntitle: Extra\n---\n\nText.\n"
    response = _upload(author_client, f"{BASE}/upload", write_package_zip("minimal", broken))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "did not replace the draft. Fix them in the package" in page
    assert "<code>post-test.yaml</code> line" in page and "YAML" in page
    with app.app_context():  # nothing stored: no draft, no revision, no audit event
        assert db.session.scalar(select(CourseDraft)) is None
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "draft.uploaded")) is None


def test_a_refused_upload_shows_the_names_it_quotes_as_code(app, author_client):
    """A refused upload's findings show `names` as code, as every other findings list does."""
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    files["course.yaml"] = files["course.yaml"].replace("passing_score: 80\n", "", 1)
    response = _upload(author_client, f"{BASE}/upload", write_package_zip("minimal", files))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "missing key <code>passing_score</code>" in page
    assert "`passing_score`" not in page


def test_an_upload_keeping_errors_the_draft_already_has_is_taken(app, author_client):
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    unfinished = files["course.yaml"].replace("passing_score: 80", "passing_score: 50", 1)
    assert unfinished != files["course.yaml"]
    files["course.yaml"] = unfinished
    first = _upload(author_client, f"{BASE}/upload", write_package_zip("minimal", files))
    assert first.status_code == 422  # the error is new to the draft: refused
    store_draft(app, files)  # the draft gets that error from the editor instead
    files["02-returning.md"] = files["02-returning.md"].replace("title: ", "title: New ", 1)
    page = flashes(author_client, _upload(author_client, f"{BASE}/upload",
                                          write_package_zip("minimal", files)))  # fmt: skip
    assert "Saved as revision 3" in page


def test_the_review_page_gives_the_seat_time_estimate_in_a_sentence(author_client):
    page = plain(author_client.get(f"{BASE}/publish").get_data(as_text=True))
    found = re.search(r"The checker estimates the course takes about (\d+) minutes: "
                      r"[\d.]+ to read its [\d,]+ words, \d+ for the post-test and [\d.]+ for "
                      r"the evaluation\.", page)
    assert found, page[:2000]


def test_while_an_error_stops_the_checker_the_pages_say_the_ce_rules_wait(app, author_client):
    """A schema error hides the CE rules' findings: the pages say so, not "no problems"."""
    files = read_package_zip(author_client.get(f"{BASE}/package.zip").data)
    course = files["course.yaml"]
    files["course.yaml"] = course.replace("contact_hours: 0.25", "contact_hours: 4", 1)
    store_draft(app, files)  # reading time far below 4 hours: a CE-rule error
    rule = "has not yet checked the CE rules"
    for url in (f"{BASE}/", f"{BASE}/publish", f"{BASE}/settings"):
        page = plain(author_client.get(url).get_data(as_text=True))
        assert "seat-time estimate" in page and rule not in page, url
    files["01-push-pull.md"] = files["01-push-pull.md"].replace("    correct: true\n", "", 1)
    store_draft(app, files)  # a check with no correct choice: the checker stops there
    for url in (f"{BASE}/", f"{BASE}/publish", f"{BASE}/settings"):
        page = plain(author_client.get(url).get_data(as_text=True))
        assert "seat-time estimate" not in page and rule in page, url
