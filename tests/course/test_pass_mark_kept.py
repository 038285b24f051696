"""Each post-test attempt keeps the version and passing score that graded it, so an
accreditor can trace a result after a revision changed the passing score."""

from __future__ import annotations

import csv
import io
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from course.extensions import db
from course.learn import posttest
from course.models import Course, PostTestAttempt, Role
from tests.course.certkit import page_words
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, open_attempt


def test_an_attempt_keeps_the_passing_score_of_the_version_that_graded_it(
    app, ready, package_copy
):
    with app.app_context():
        first = open_attempt(ready, "minimal")  # drawn from version 1, passing score 80
        eight_of_ten = answers_for(first, right=8)
        manifest = package_copy / "course.yaml"
        manifest.write_text(manifest.read_text().replace("passing_score: 80", "passing_score: 90"))
        import_course(package_copy)  # version 2 is published while the attempt is open
    ready.post("/courses/minimal/post-test", data=eight_of_ten)
    with app.app_context():
        stored = db.session.get(PostTestAttempt, first.id)
        assert (stored.score_percent, stored.passed, stored.passing_score) == (80, False, 90)
        assert (stored.version.number, stored.graded_version.number) == (1, 2)
        second = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(second, right=10))
        course = db.session.scalar(select(Course))
        ready.post("/courses/minimal/evaluation", data=evaluation_form(course))
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))

    with app.app_context():
        learner_id = db.session.get(PostTestAttempt, first.id).enrolment.user_id
    record = page_words(admin.get(f"/admin/learners/{learner_id}").get_data(as_text=True))
    assert "80% (8 of 10), not passed (passing score 90%, graded under version 2)" in record
    archive = zipfile.ZipFile(io.BytesIO(admin.get("/admin/courses/minimal/audit-pack.zip").data))

    def rows_of(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))

    rows = rows_of("post-test-attempts.csv")
    assert [(r["course_version"], r["score"], r["passed"], r["graded_by_version"],
             r["passing_score"]) for r in rows] == [
        ("1", "80", "no", "2", "90"), ("2", "100", "yes", "2", "90")]  # fmt: skip
    [completion] = rows_of("completion-roster.csv")
    assert completion["passing_score"] == "90"
    # The package of the version the first attempt was drawn from is in the pack too,
    # whichever version the pack is narrowed to.
    narrowed = admin.get("/admin/courses/minimal/audit-pack.zip",
                         query_string={"version": completion["course_version"]})  # fmt: skip
    names = zipfile.ZipFile(io.BytesIO(narrowed.data)).namelist()
    assert {"package/v1/course.yaml", "package/v2/course.yaml"} <= set(names)


@pytest.mark.parametrize(("draw", "right", "passing", "shown", "passed"), [
    (10, 8, 80, "80%", True),  # exactly the passing score passes
    (3, 2, 66, "66%", True),  # 66.7% is at least 66%
    (3, 2, 67, "66%", False),  # 66.7% falls short of 67%: never rounded up to it
])
def test_the_score_is_a_whole_percent_rounded_down_and_passing_is_reached_exactly(
    app, ready, package_copy, draw, right, passing, shown, passed
):
    manifest = package_copy / "course.yaml"
    text = manifest.read_text().replace("passing_score: 80", f"passing_score: {passing}")
    manifest.write_text(text.replace("draw: 10", f"draw: {draw}"))
    with app.app_context():
        import_course(package_copy)
        attempt = open_attempt(ready, "minimal")
        response = ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=right))
    review = page_words(ready.get(response.location).get_data(as_text=True))
    assert f"You answered {right} of {draw} correctly ({shown})." in review
    assert ("You passed." in review) is passed
    assert (f"The passing score is {passing}%" in review) is not passed


def test_an_attempt_with_no_questions_never_passes() -> None:
    # Nought of nought meets any passing score; a draw that came up empty is no pass.
    content = SimpleNamespace(post_test={}, manifest={"passing_score": 80}, version_id=1)
    attempt = SimpleNamespace(draw=[], submitted_at=None)
    graded = posttest.grade_attempt(content, attempt, {})
    assert (graded.passed, graded.score_percent) == (False, 0)


def _fail_at_80_then_raise_the_passing_score(client, package_copy) -> PostTestAttempt:
    """Fail an attempt (70%) under version 1, then publish version 2 passing at 90."""
    failed = open_attempt(client, "minimal")
    client.post("/courses/minimal/post-test", data=answers_for(failed, right=7))
    manifest = package_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("passing_score: 80", "passing_score: 90"))
    import_course(package_copy)
    return failed


def test_the_report_says_when_attempts_were_graded_under_another_passing_score(
    app, ready, package_copy
):
    with app.app_context():
        _fail_at_80_then_raise_the_passing_score(ready, package_copy)
        admin = sign_in(app.test_client(), make_user(role=Role.ADMIN))
    page = page_words(admin.get("/admin/courses/minimal/report").get_data(as_text=True))
    assert "1 submitted attempt, 0 passed (passing score 90%)" in page
    assert "graded under the one in force when it was submitted: 1 attempt at 80%." in page
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
    page = page_words(admin.get("/admin/courses/minimal/report").get_data(as_text=True))
    assert "1 attempt at 80%, 1 attempt at 90%." in page


def test_keep_graded_gives_older_attempts_the_passing_score_that_graded_them(
    app, ready, package_copy, runner
):
    with app.app_context():
        failed = _fail_at_80_then_raise_the_passing_score(ready, package_copy)
        passed = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(passed, right=10))
        # As an older release left them: nothing kept of what graded them. One result does
        # not agree with any passing score of its time (a hand-edited row, say).
        for attempt in db.session.scalars(select(PostTestAttempt)):
            attempt.graded_version_id = attempt.passing_score = None
        db.session.get(PostTestAttempt, passed.id).correct_count = 5
        db.session.commit()
    output = runner.invoke(args=["db", "keep-graded"]).output
    assert "Kept the passing score that graded 1 attempt" in output
    assert "Left 1 attempt without one" in output
    with app.app_context():
        first = db.session.get(PostTestAttempt, failed.id)
        assert (first.graded_version.number, first.passing_score) == (1, 80)
        assert db.session.get(PostTestAttempt, passed.id).passing_score is None
    again = runner.invoke(args=["db", "keep-graded"]).output
    assert "graded 0 attempts" in again and "Left 1 attempt" in again
