"""The CE rules gate publishing: the web Publish button and `course import` refuse a course
that is too short for its hours, teaches no lesson for an objective, or claims an approval
nobody backs; each refusal names the file and line."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from course.extensions import db
from course.models import AuditEvent, Course, CourseVersion
from tests.course.author_kit import BASE, post_publish, sign_in_reviewer, submit
from tests.course.factories import sign_in

#: `course import`, with the reason a package that makes a new version needs.
IMPORT = ("course", "import", "--reason", "a test import")

NOTE = {"note": "Reviewed and approved."}

TOO_SHORT = "CE rule: seat-time estimate 15.9 min"


def _line(path: Path, needle: str) -> int:
    lines = path.read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def _one_hour(package_dir: Path) -> Path:
    manifest = package_dir / "course.yaml"
    manifest.write_text(manifest.read_text().replace("contact_hours: 0.25", "contact_hours: 1.0"))
    return package_dir


def test_import_refuses_a_course_too_short_for_its_hours_and_imports_nothing(
    app, runner, package_copy, unchanged
):
    _one_hour(package_copy)
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code != 0
    line = _line(package_copy / "course.yaml", "contact_hours:")
    assert f"minimal/course.yaml:{line}: error: {TOO_SHORT}" in result.output
    assert "is below the 60 min of contact_hours 1.0" in result.output
    assert "nothing was imported" in result.output
    unchanged()


def test_import_refuses_an_objective_no_lesson_teaches(app, runner, package_copy, unchanged):
    lesson = package_copy / "02-returning.md"
    lesson.write_text(lesson.read_text().replace("objectives: [LO2, LO3]", "objectives: [LO2]"))
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code != 0
    line = _line(package_copy / "course.yaml", "- id: LO3")
    assert f"minimal/course.yaml:{line}: error: CE rule: objective LO3 is taught by no lesson" in (
        result.output
    )
    unchanged()


def _approval_without_package_provider(package_dir: Path) -> Path:
    manifest = package_dir / "course.yaml"
    manifest.write_text(manifest.read_text().replace("  name: Example CE Provider\n", ""))
    return package_dir


def test_import_refuses_an_approval_without_a_provider(app, runner, package_copy, unchanged):
    _approval_without_package_provider(package_copy)
    result = runner.invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code != 0
    line = _line(package_copy / "course.yaml", "  approval:")
    assert (
        f"minimal/course.yaml:{line}: error: CE rule: the course claims an approval but no"
        " provider is named" in result.output
    )
    unchanged()


def test_the_sites_provider_backs_an_approval_on_import(make_app, package_copy):
    app = make_app(PROVIDER_NAME="Riverside Center for Child Welfare Training")
    _approval_without_package_provider(package_copy)
    result = app.test_cli_runner().invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1


def test_a_real_provider_refuses_placeholder_credentials_a_demo_warns(make_app, package_copy):
    manifest = package_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("credentials: LCSW",
                                                     "credentials: To be supplied"))
    line = _line(manifest, "To be supplied")
    real = make_app(PROVIDER_NAME="Riverside Center for Child Welfare Training")
    result = real.test_cli_runner().invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code != 0 and "nothing was imported" in result.output
    assert f"course.yaml:{line}: error: the author's credentials, `To be supplied`" in result.output
    with real.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    demo = make_app(PROVIDER_NAME="Lakeshore Demo Institute (fictional)", PROVIDER_DEMO=True)
    result = demo.test_cli_runner().invoke(args=[*IMPORT, str(package_copy)])
    assert result.exit_code == 0, result.output  # its certificates say they are samples
    warned = f"course.yaml:{line}: warning: the author's credentials, `To be supplied`"
    assert warned in result.output


def test_check_prints_the_estimate_with_its_method(runner, minimal_package_dir):
    result = runner.invoke(args=["course", "check", str(minimal_package_dir)])
    assert result.exit_code == 0, result.output
    assert (
        "minimal: 0 errors, 2 warnings; seat-time estimate 15.9 min (136 lesson + 103"
        " knowledge-check words at 167/min = 1.4 + post-test 10.0 + evaluation 4.5) for 0.25"
        " contact hours" in result.output
    )
    assert "method: lesson text and knowledge checks" in result.output


def test_web_publish_refuses_a_course_too_short_for_its_hours(app, author_client):
    submit(author_client, f"{BASE}/settings", "save", contact_hours="1.0")
    with app.app_context():
        versions = db.session.scalar(select(func.count()).select_from(CourseVersion))
    page = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert TOO_SHORT in page and "course.yaml" in page
    response = post_publish(sign_in_reviewer(app, author_client), f"{BASE}/publish", NOTE)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Not published" in text and "is below the 60 min of contact_hours 1.0" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == versions
        published = select(AuditEvent).where(AuditEvent.action == "course.published")
        assert db.session.scalar(published) is None


def test_web_publish_goes_through_once_the_hours_fit(app, client, author, reviewer):
    sign_in(client, author)
    submit(client, f"{BASE}/settings", "save", contact_hours="1.0")
    assert post_publish(sign_in(client, reviewer), f"{BASE}/publish", NOTE).status_code == 422
    sign_in(client, author)
    submit(client, f"{BASE}/settings", "save", contact_hours="0.25")
    submit(client, f"{BASE}/settings", "save", level="intermediate")
    response = post_publish(sign_in(client, reviewer), f"{BASE}/publish", NOTE)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.max(CourseVersion.number))) == 2
