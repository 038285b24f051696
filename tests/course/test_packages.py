"""Course packages: check, import (all or nothing, versioned, progress-safe) and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

import lessons
from course import packages
from course.db import utcnow
from course.extensions import db
from course.learn import services as learn
from course.learn.content import content_of
from course.models import (
    AuditEvent,
    CheckResponse,
    Course,
    CourseDraft,
    CourseVersion,
    DraftRevision,
    Enrolment,
    Lesson,
    LessonProgress,
    Question,
    Role,
)
from tests.course.factories import import_course, make_user, sign_in

#: `course import`, with the reason a package that makes a new version needs.
IMPORT = ("course", "import", "--reason", "a test import")


def _break_first_check(package_dir: Path) -> tuple[str, int]:
    """Corrupt the YAML of the first check block; return the file and the broken line."""
    lesson = package_dir / "01-push-pull.md"
    lines = lesson.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("type: single"))
    lines[index] = "type: single: nope"
    lesson.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lesson.name, index + 1


def _snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, to compare the database before and after."""
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            return {
                name: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in tables
                if name != "alembic_version"
            }


def test_check_reports_file_and_line_of_a_broken_check_block(runner, package_copy):
    name, line = _break_first_check(package_copy)
    result = runner.invoke(args=["course", "check", str(package_copy)])
    assert result.exit_code == 1
    assert f"minimal/{name}:{line}: error:" in result.output
    # Not read whole, it was not held to the CE rules: the check says so.
    assert "run only on a package the checker reads whole" in " ".join(result.output.split())


def test_check_does_not_say_the_ce_rules_wait_when_they_found_the_errors(runner, package_copy):
    course = package_copy / "course.yaml"
    course.write_text(course.read_text(encoding="utf-8").replace(
        "passing_score: 80", "passing_score: 70", 1), encoding="utf-8")
    result = runner.invoke(args=["course", "check", str(package_copy)])
    assert result.exit_code == 1
    assert "error: CE rule: passing_score must be at least 80" in result.output
    # Read whole, it was held to the CE rules: their estimate is given, no "fix and retry".
    assert "reads whole" not in result.output and "seat-time estimate" in result.output


def test_check_passes_a_valid_package_and_prints_the_estimate(runner, minimal_package_dir):
    result = runner.invoke(args=["course", "check", str(minimal_package_dir)])
    assert result.exit_code == 0, result.output
    assert "seat-time estimate" in result.output and "reads whole" not in result.output
    strict = runner.invoke(args=["course", "check", "--strict", str(minimal_package_dir)])
    assert strict.exit_code == 1  # the tiny package's seat time is a warning


def test_check_of_a_folder_of_packages_checks_each(runner, package_copy):
    # `course import content` imports every package in the folder; `course check content`
    # held the folder itself to the format, with four errors about files it does not hold.
    name, line = _break_first_check(package_copy)
    result = runner.invoke(args=["course", "check", str(package_copy.parent)])
    assert result.exit_code == 1
    assert f"minimal/{name}:{line}: error:" in result.output
    assert "missing: every package needs this file" not in result.output


def test_import_creates_course_lessons_questions(app, runner, minimal_package_dir):
    result = runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    assert result.exit_code == 0, result.output
    assert "minimal: version 1 (new)" in result.output
    # The checker's warnings are shown, not only its errors (the test course has two).
    assert result.output.count("minimal/") == 2
    assert "minimal/course.yaml:45: warning: min_active_minutes: 20 is more" in result.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        assert [lesson.slug for lesson in course.live_lessons] == ["push-pull", "returning"]
        assert course.current_version.number == 1
        first = course.live_lessons[0]
        assert len(first.html_parts) == len(first.live_checks) + 1
        assert "<script" not in "".join(first.html_parts)


def test_reimport_unchanged_makes_no_new_version(app, runner, minimal_package_dir):
    runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    result = runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    assert "version 1 (unchanged)" in result.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(CourseVersion)) == 1


def test_importing_a_broken_package_leaves_the_database_exactly_as_it_was(
    app, runner, minimal_package_dir, package_copy
):
    runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    before = _snapshot(app)
    returning = package_copy / "02-returning.md"
    returning.write_text(returning.read_text() + "\nA changed ending.\n", encoding="utf-8")
    _break_first_check(package_copy)
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output
    assert _snapshot(app) == before


def test_a_crash_during_import_rolls_everything_back(
    app, runner, minimal_package_dir, package_copy, monkeypatch
):
    runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    before = _snapshot(app)
    lesson = package_copy / "01-push-pull.md"
    lesson.write_text(lesson.read_text() + "\nOne more paragraph.\n", encoding="utf-8")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(packages, "_sync_evaluation", explode)
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code != 0
    assert _snapshot(app) == before


def test_reimport_of_a_changed_package_keeps_learner_progress(app, package_copy):
    with app.app_context():
        course = import_course(package_copy)
        learner = make_user()
        enrolment = learn.enrol(learner, course)
        content = content_of(course)
        first = content.lessons[0]
        progress = learn.touch_progress(enrolment, first)
        progress.active_seconds = 321
        progress.completed_at = utcnow()
        check = first.checks[0]
        answer = learn.answer_check(enrolment, content, first, check, ["a"], "key-1")
        assert answer.stored
        db.session.commit()
        ids = (enrolment.id, first.id, check.id)

    lesson_file = package_copy / "01-push-pull.md"
    lesson_file.write_text(
        lesson_file.read_text().replace("Youth leave placement", "Young people leave placement"),
        encoding="utf-8",
    )
    (package_copy / "02-returning.md").rename(package_copy / "03-returning.md")

    with app.app_context():
        result = packages.import_package(lessons.load_package(package_copy))
        db.session.commit()
        assert result.new_version and result.version.number == 2
        enrolment = db.session.get(Enrolment, ids[0])
        first = db.session.get(Lesson, ids[1])
        assert "Young people leave placement" in "".join(first.html_parts)
        row = db.session.scalar(
            select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)
        )
        assert (row.lesson_id, row.active_seconds, row.completed_at is not None) == (
            first.id,
            321,
            True,
        )
        response = db.session.scalar(select(CheckResponse))
        assert (response.question_id, response.selected) == (ids[2], ["a"])
        assert db.session.get(Question, ids[2]).archived_at is None


def test_learners_see_a_reimported_course_at_once_though_lessons_are_kept_in_memory(
    app, package_copy
):
    with app.app_context():
        course = import_course(package_copy)
        learner = make_user()
        learn.enrol(learner, course)
        db.session.commit()
        slug = course.slug
    client = sign_in(app.test_client(), learner)
    page = f"/courses/{slug}/lessons/push-pull"
    assert "Youth leave placement" in client.get(page).get_data(as_text=True)

    lesson_file = package_copy / "01-push-pull.md"
    lesson_file.write_text(
        lesson_file.read_text().replace("Youth leave placement", "Young people leave placement"),
        encoding="utf-8",
    )
    (package_copy / "02-returning.md").unlink()
    with app.app_context():
        import_course(package_copy)
    text = client.get(page).get_data(as_text=True)
    assert "Young people leave placement" in text
    assert "Youth leave placement" not in text
    assert client.get(f"/courses/{slug}/lessons/returning").status_code == 404

    with app.app_context():
        db.session.scalar(select(Course).where(Course.slug == slug)).archived_at = utcnow()
        db.session.commit()
    assert client.get(page).status_code == 404


def test_lessons_removed_from_the_package_are_archived_not_deleted(app, runner, package_copy):
    extra = package_copy / "03-looking-ahead.md"
    extra.write_text("---\ntitle: Looking ahead\nobjectives: [LO3]\n---\n\nPlan the next week.\n")
    first = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert first.exit_code == 0, first.output
    extra.unlink()
    # the removed lesson leaves; the others still teach every objective
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code == 0, result.output
    assert "archived: looking-ahead" in result.output
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert [lesson.slug for lesson in course.live_lessons] == ["push-pull", "returning"]
        archived = db.session.scalar(select(Lesson).where(Lesson.slug == "looking-ahead"))
        assert archived is not None and archived.archived_at is not None


def test_export_then_import_gives_the_same_package(app, runner, minimal_package_dir, tmp_path):
    runner.invoke(args=[*IMPORT, str(minimal_package_dir)])
    out = tmp_path / "exported" / "minimal"
    result = runner.invoke(args=["course", "export", "minimal", str(out)])
    assert result.exit_code == 0, result.output
    original = lessons.load_package(minimal_package_dir)
    exported = lessons.load_package(out)
    assert exported == original
    assert exported.content_hash == original.content_hash
    again = runner.invoke(args=[*IMPORT, str(out)])
    assert "version 1 (unchanged)" in again.output


def test_export_of_an_unknown_course_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["course", "export", "nope", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "no course with slug 'nope'" in result.output


def test_import_accepts_a_folder_of_packages(app, runner, minimal_package_dir):
    result = runner.invoke(args=[*IMPORT, str(minimal_package_dir.parent)])
    assert result.exit_code == 0, result.output
    assert "minimal: version 1" in result.output


@pytest.mark.parametrize("path", ["does-not-exist"])
def test_import_of_a_missing_path_is_refused(runner, path):
    result = runner.invoke(args=[*IMPORT, path])
    assert result.exit_code != 0


def _draft_files(app) -> tuple[dict[str, str], DraftRevision]:
    with app.app_context():
        draft = db.session.scalar(select(CourseDraft))
        latest = db.session.scalar(select(DraftRevision).order_by(DraftRevision.number.desc()))
        db.session.expunge(latest)
        return dict(draft.files), latest


def test_a_draft_without_changes_of_its_own_follows_an_import(app, runner, package_copy):
    """A draft left at the version before would show the import reversed as its editor's
    work, and publishing it would take the import back out."""
    from course.author.services import find_workspace
    from tests.course.author_kit import store_draft

    assert runner.invoke(args=[*IMPORT, str(package_copy)]).exit_code == 0
    with app.app_context():
        make_user(Role.AUTHOR)
    files = {p.name: p.read_text(encoding="utf-8") for p in package_copy.iterdir()}
    notes = {"README.md": "Notes for the team.\n"}  # kept in the draft, never published
    store_draft(app, {**files, **notes, "01-push-pull.md": "An edit, undone below.\n"})
    store_draft(app, {**files, **notes})  # back as version 1 has it, the notes aside
    with app.app_context():
        assert not find_workspace("minimal").unpublished  # the notes are not a change
    lesson = package_copy / "01-push-pull.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nA sentence added.\n")
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code == 0, result.output
    assert "minimal: version 2 (new)" in result.output
    assert ("minimal: the draft in the author area had no changes of its own and now holds"
            " version 2 too.") in result.output
    held, latest = _draft_files(app)
    assert held["01-push-pull.md"].endswith("A sentence added.\n")
    assert held["README.md"] == "Notes for the team.\n"  # the team's notes stay
    assert (latest.action, latest.author_id) == ("import", None)
    assert latest.summary == "Version 2 imported on the command line"
    with app.app_context():
        assert not find_workspace("minimal").unpublished  # nothing to publish, or take back
        admin = make_user(Role.ADMIN, email="admin@example.org")
    client = sign_in(app.test_client(), admin)
    for page in ("/", "/history", "/publish"):
        shown = client.get(f"/author/courses/minimal{page}")
        assert shown.status_code == 200, page
    history = client.get("/author/courses/minimal/history").get_data(as_text=True)
    assert "Version 2 imported on the command line" in history
    # Edited after it followed the import, the draft takes nothing of it back.
    store_draft(app, {**held, "01-push-pull.md": held["01-push-pull.md"] + "More.\n"})
    review = client.get("/author/courses/minimal/publish").get_data(as_text=True)
    assert "01-push-pull.md" in review and "import-taken-back" not in review


def test_an_import_warns_when_the_draft_holds_changes_of_its_own(app, runner, package_copy):
    from tests.course.author_kit import store_draft

    assert runner.invoke(args=[*IMPORT, str(package_copy)]).exit_code == 0
    with app.app_context():
        make_user(Role.AUTHOR)
    files = {p.name: p.read_text(encoding="utf-8") for p in package_copy.iterdir()}
    lesson = package_copy / "01-push-pull.md"
    own = {**files, "01-push-pull.md": files["01-push-pull.md"] + "\nAn author's edit.\n"}
    store_draft(app, own)  # unpublished work of its own
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nA sentence added.\n")
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code == 0, result.output
    assert ("warning: minimal has a draft in the author area with unpublished changes of its"
            " own, made before version 2: published as it stands, it would take this"
            " import's changes back out.") in " ".join(result.output.split())
    held, latest = _draft_files(app)
    assert held == own and latest.action == "save"  # never overwritten
    # The author area says so too, where the draft would be published.
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.com")
    page = sign_in(app.test_client(), admin).get("/author/courses/minimal/publish")
    said = " ".join(page.get_data(as_text=True).split())
    assert ("Version 2 was imported on the command line on" in said
            and "Publishing the draft would take back that version’s changes to"
            " <code>01-push-pull.md</code>: the draft does not hold it as the import left it."
            in said), said[said.find("What publishing changes"):][:1500]
    dashboard = " ".join(sign_in(app.test_client(), admin).get("/author/courses/minimal/")
                         .get_data(as_text=True).split())
    assert ("Publishing it would take back changes imported on the command line in version 2"
            in dashboard)


def test_an_import_warns_of_a_draft_started_from_a_zip_under_the_same_slug(
    app, runner, package_copy
):
    """A new course's draft has no course yet: publishing it would replace the import."""
    from course.author.services import Editor, find_workspace
    from course.author.uploads import create_course

    files = {p.name: p.read_text(encoding="utf-8") for p in package_copy.iterdir()}
    own = {**files, "01-push-pull.md": files["01-push-pull.md"] + "\nAn author's edit.\n"}
    with app.app_context():
        create_course(Editor(make_user(Role.AUTHOR)), own)  # in the author area, unpublished
        db.session.commit()
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code == 0, result.output
    assert ("warning: minimal has a draft in the author area with unpublished changes of its"
            " own, made before version 1") in " ".join(result.output.split())
    held, latest = _draft_files(app)
    assert held == own and latest.action == "upload"  # never overwritten
    with app.app_context():
        assert find_workspace("minimal").unpublished  # publishing it would replace version 1


def test_check_warns_of_an_image_this_site_does_not_have(runner, package_copy):
    lesson = package_copy / "02-returning.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text + "\n![The agency's return checklist](/static/img/checklist.png)\n"
                      "![A check mark](/static/favicon.svg)\n", encoding="utf-8")
    line = text.count("\n") + 2
    result = runner.invoke(args=["course", "check", str(package_copy)])
    # Learners would see a broken image and its alt text; the file that is there passes.
    assert (f"minimal/02-returning.md:{line}: warning: the image /static/img/checklist.png is "
            "not among this site's files") in result.output
    assert "/static/favicon.svg" not in result.output


def test_check_tells_nothing_of_files_outside_the_static_folder(runner, package_copy):
    outside = (package_copy / "course.yaml").resolve().as_posix()  # a file the server holds
    lesson = package_copy / "02-returning.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text + f"\n![Doubled slash](/static/{outside})\n"
                      f"![Escaped slash](/static/{outside.replace('/', '%2F')})\n",
                      encoding="utf-8")
    result = runner.invoke(args=["course", "check", str(package_copy)])
    # The site serves neither address: both are warned of, as a missing file would be,
    # so the checker never says which files exist outside the static folder.
    assert " ".join(result.output.split()).count("is not among this site's files") == 2


def test_an_import_warns_when_it_takes_back_a_version_published_in_the_author_area(
    app, runner, package_copy
):
    """`make run` imports content/ at every start: a version published in the browser was
    followed by one without its changes, and nothing said so."""
    from tests.course.author_kit import post_publish, store_draft

    assert runner.invoke(args=[*IMPORT, str(package_copy)]).exit_code == 0
    with app.app_context():
        make_user(Role.AUTHOR)
        admin = make_user(Role.ADMIN, full_name="Rita Reviewer")
    files = {p.name: p.read_text(encoding="utf-8") for p in package_copy.iterdir()}
    store_draft(app, {**files, "01-push-pull.md": files["01-push-pull.md"] + "\nAdded.\n"})
    client = sign_in(app.test_client(), admin)
    published = post_publish(client, "/author/courses/minimal/publish", {"note": "An edit"})
    assert published.status_code == 302, published.get_data(as_text=True)[-1500:]
    result = runner.invoke(args=[*IMPORT, str(package_copy)])  # the folder, unchanged
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "minimal: version 3 (new)" in said
    assert ("warning: minimal version 2 was published in the author area by Rita Reviewer on"
            in said)
    assert ("this import does not hold its changes to 01-push-pull.md: learners now see"
            " version 3 without them. To keep them, write version 2 into the package folder"
            f" with `flask course export minimal {package_copy} --version 2`") in said
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "course.imported").order_by(AuditEvent.id)).all()
        assert "took_back" not in events[0].detail
        assert events[-1].detail["took_back"] == {"version": 2, "files": ["01-push-pull.md"]}
    # Done as it says, the next import brings the author area's changes back.
    exported = runner.invoke(args=["course", "export", "minimal", str(package_copy),
                                   "--version", "2"])
    assert exported.exit_code == 0, exported.output
    back = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert "version 4 (new)" in back.output and "author area by" not in back.output
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        two = db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2))
        assert course.current_version.content_hash == two.content_hash
