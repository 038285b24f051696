"""Lesson locks and the post-test gate hold for every request, not only for page views."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from course.extensions import db
from course.models import CheckResponse, Course, LessonProgress, PostTestAttempt
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    check_positions,
    correct_keys,
    finish_lessons,
    open_attempt,
)

LOCKED = "/courses/minimal/lessons/returning"


@pytest.fixture
def learner(app, client, minimal_package_dir):
    """A learner enrolled in the sequential minimal course, on its first lesson."""
    with app.app_context():
        import_course(minimal_package_dir)
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    return client


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _locked_check():
    course = db.session.scalar(select(Course))
    return course.live_lessons[1].live_checks[0]


def test_a_locked_lesson_refuses_answers_with_or_without_javascript(app, learner):
    with app.app_context():
        check = _locked_check()
        data = {"choice": ["1"], "submission_key": "forged-1"}
    plain = learner.post(f"{LOCKED}/checks/{check.key}", data=data)
    assert plain.status_code == 403
    assert "open in order" in plain.get_data(as_text=True)
    assert "Push and pull factors" in plain.get_data(as_text=True)  # the lesson to finish
    scripted = learner.post(
        f"{LOCKED}/checks/{check.key}",
        data={**data, "submission_key": "forged-2"},
        headers={"Accept": "application/json"},
    )
    assert scripted.status_code == 403 and "open in order" in scripted.get_json()["error"]
    with app.app_context():
        assert _count(CheckResponse) == 0


def test_a_locked_lesson_refuses_completion_and_heartbeats(app, learner):
    assert learner.post(f"{LOCKED}/complete").status_code == 403
    beat = learner.post(f"{LOCKED}/heartbeat", headers={"Accept": "application/json"})
    assert beat.status_code == 403
    with app.app_context():
        assert _count(LessonProgress) == 0  # not even started: nothing was credited


def test_a_lesson_opens_for_every_request_once_the_one_before_is_complete(app, learner):
    with app.app_context():
        course = db.session.scalar(select(Course))
        first = course.live_lessons[0]
        for check in first.live_checks:
            learner.post(
                f"/courses/minimal/lessons/{first.slug}/checks/{check.key}",
                data={"choice": check_positions(learner, "minimal", check, correct_keys(check))},
            )
        learner.post(f"/courses/minimal/lessons/{first.slug}/complete")
        check = _locked_check()
    answer = learner.post(f"{LOCKED}/checks/{check.key}", data={"choice": ["1"]})
    assert answer.status_code == 303
    assert learner.post(f"{LOCKED}/heartbeat").status_code == 200


def test_a_course_that_is_not_sequential_keeps_every_lesson_open(app, client, package_copy):
    manifest = package_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("sequential: true", "sequential: false"))
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        check = _locked_check()
    answer = client.post(f"{LOCKED}/checks/{check.key}", data={"choice": ["1"]})
    assert answer.status_code == 303


def test_the_post_test_gate_is_checked_again_at_submit(app, ready, package_copy):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        data = answers_for(attempt, right=10)
        # A new version asks for 20 minutes of reading, which this learner has not done.
        manifest = package_copy / "course.yaml"
        manifest.write_text(
            manifest.read_text().replace("min_active_minutes: 0", "min_active_minutes: 20")
        )
        import_course(package_copy)
    response = ready.post("/courses/minimal/post-test", data=data)
    assert response.status_code == 403
    assert "at least 20 minutes" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PostTestAttempt, attempt.id).submitted_at is None


def test_finishing_the_lessons_in_order_still_opens_the_post_test(app, client, package_copy):
    manifest = package_copy / "course.yaml"
    manifest.write_text(
        manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    )
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
    assert client.get("/courses/minimal/post-test").status_code == 200
