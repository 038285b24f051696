"""Helpers that walk a signed-in learner through a course with the test client."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import Course, PostTestAttempt, Question


def correct_keys(question: Question) -> list[str]:
    """Return the keys of the question's correct choices."""
    return [c.key for c in question.choices if c.is_correct]


def wrong_keys(question: Question) -> list[str]:
    """Return one wrong answer for the question."""
    return [next(c.key for c in question.choices if not c.is_correct)]


def without_minimum_time(package_dir: Path) -> Path:
    """Drop the minimal package's minimum reading time, so its post-test opens at once."""
    manifest = package_dir / "course.yaml"
    text = manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    manifest.write_text(text)
    return package_dir


def finish_lessons(client: FlaskClient, slug: str) -> None:
    """Answer every check correctly and complete every lesson, in order."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    for lesson in course.live_lessons:
        page = client.get(f"/courses/{slug}/lessons/{lesson.slug}")
        assert page.status_code == 200, (page.status_code, page.location)
        for check in lesson.live_checks:
            client.post(
                f"/courses/{slug}/lessons/{lesson.slug}/checks/{check.key}",
                data={"choice": correct_keys(check)},
            )
        response = client.post(f"/courses/{slug}/lessons/{lesson.slug}/complete")
        assert response.status_code == 302


def open_attempt(client: FlaskClient, slug: str) -> PostTestAttempt:
    """Open the post-test page and return the stored attempt it shows."""
    page = client.get(f"/courses/{slug}/post-test")
    assert page.status_code == 200, page.get_data(as_text=True)
    attempt_id = int(re.search(r'name="attempt"[^>]*value="(\d+)"', page.get_data(as_text=True))[1])
    return db.session.get(PostTestAttempt, attempt_id)


def answers_for(attempt: PostTestAttempt, right: int) -> dict[str, list[str]]:
    """Form data answering the first ``right`` drawn questions correctly, the rest wrongly."""
    data: dict[str, list[str]] = {"attempt": [str(attempt.id)]}
    for index, item in enumerate(attempt.draw):
        question = db.session.get(Question, item["question_id"])
        keys = correct_keys(question) if index < right else wrong_keys(question)
        data[f"q-{question.key}"] = keys
    return data


def evaluation_form(course: Course) -> dict[str, str]:
    """A complete, valid evaluation for the minimal course."""
    from course.models import EvaluationItem

    items = db.session.scalars(select(EvaluationItem).where(EvaluationItem.course_id == course.id))
    values = {"likert": "4", "number": "55", "choice": None, "text": "Helpful, thank you."}
    data = {}
    for item in items:
        value = values[item.type] if item.type != "choice" else item.choices[0]
        data[f"item-{item.id}"] = value
    return data
