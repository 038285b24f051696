"""A small course history with known figures, shared by the admin tests.

Four learners take the minimal course through the real services (no random draw: each
attempt asks the bank's first ten questions in order), so every report figure is known:

    learner  checks (first tries)      lessons  attempts      evaluation  certificate
    A        all right                 2 of 2   100           yes         valid
    B        push-pull-1 wrong once    2 of 2   70, then 90   yes         not yet viewed
    C        three wrong first tries   2 of 2   60            no          -
    D        push-pull-2 wrong once    1 of 2   -             no          -

Names and the comments carry spreadsheet formulas and script payloads on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from course import issuing
from course.db import utcnow
from course.extensions import db
from course.learn import assessment, evaluation, posttest
from course.learn import services as learn
from course.learn.content import content_of
from course.models import Course, Enrolment, PostTestAttempt, Question, QuestionKind, Role, User
from tests.course.factories import import_course, make_user
from tests.course.journey import correct_keys, wrong_keys

NAMES = {
    "a": '=HYPERLINK("http://x")',
    "b": "@SUM(1)",
    "c": '"><img src=x onerror=alert(1)>',
    "d": '<script>alert("d")</script>',
}
COMMENTS = {
    "a": '<script>alert("comment")</script>',
    "b": '<svg onload=alert(2)> and a "quote" & an ampersand',
}
#: Check answers per learner: check key -> tries, True for a right answer.
CHECKS = {
    "a": {"push-pull-1": [1], "push-pull-2": [1], "returning-1": [1], "returning-2": [1]},
    "b": {"push-pull-1": [0, 1], "push-pull-2": [1], "returning-1": [1], "returning-2": [1]},
    "c": {"push-pull-1": [0, 0, 1], "push-pull-2": [0, 1], "returning-1": [1],
          "returning-2": [0, 1]},
    "d": {"push-pull-1": [1], "push-pull-2": [0, 1]},
}
#: Active seconds per lesson position.
SECONDS = {"a": [600, 900], "b": [900, 1200], "c": [500, 700], "d": [300]}
#: Post-test attempts: how many of the ten questions each one gets right.
ATTEMPTS = {"a": [10], "b": [7, 9], "c": [6], "d": []}
EVALUATIONS = {
    "a": {"eval-lo1": "5", "eval-lo2": "5", "eval-lo3": "4", "minutes": "40",
          "device": "Computer", "comments": COMMENTS["a"]},
    "b": {"eval-lo1": "4", "eval-lo2": "3", "eval-lo3": "4", "minutes": "60",
          "device": "Phone", "comments": COMMENTS["b"]},
}


@dataclass(frozen=True)
class Dataset:
    """Ids of what was built: the admin, the learners by letter, the course and a certificate."""

    admin: User
    learners: dict[str, User]
    course_id: int
    certificate_code: str


def _answer_checks(enrolment: Enrolment, course: Course, tries: dict[str, list[int]]) -> None:
    content = content_of(course)
    for lesson in content.lessons:
        for check in lesson.checks:
            for right in tries.get(check.key, []):
                keys = correct_keys(check) if right else wrong_keys(check)
                learn.answer_check(enrolment, content, lesson, check, keys, None)


def _take_attempt(course: Course, enrolment: Enrolment, number: int, right: int) -> None:
    bank = db.session.scalars(
        select(Question)
        .where(Question.course_id == course.id, Question.kind == QuestionKind.POST_TEST)
        .order_by(Question.position)
    ).all()[:10]
    attempt = PostTestAttempt(
        enrolment_id=enrolment.id,
        number=number,
        version_id=course.current_version_id,
        draw=[{"question_id": q.id, "key": q.key, "choices": [c.key for c in q.choices]}
              for q in bank],
        question_count=len(bank),
        started_at=utcnow(),
    )
    db.session.add(attempt)
    db.session.flush()
    answers = {q.key: correct_keys(q) if i < right else wrong_keys(q) for i, q in enumerate(bank)}
    posttest.record_attempt(attempt, posttest.grade_attempt(content_of(course), attempt, answers))


def _take_course(course: Course, user: User, letter: str) -> Enrolment:
    enrolment = learn.enrol(user, course)
    _answer_checks(enrolment, course, CHECKS[letter])
    lessons = content_of(course).lessons
    for lesson, seconds in zip(lessons, SECONDS[letter], strict=False):
        assert learn.complete_lesson(enrolment, lesson) == []
        learn.touch_progress(enrolment, lesson).active_seconds = seconds
    for number, right in enumerate(ATTEMPTS[letter], start=1):
        _take_attempt(course, enrolment, number, right)
    db.session.refresh(enrolment)
    if letter in EVALUATIONS:
        evaluation.submit_evaluation(course, enrolment, EVALUATIONS[letter])
    db.session.flush()
    return enrolment


def build_dataset(package_dir: Path) -> Dataset:
    """Build the four learners' history in the current app context and commit it."""
    course = import_course(package_dir)
    admin = make_user(Role.ADMIN, full_name="Ada Admin", email="admin@example.org")
    learners = {
        letter: make_user(full_name=name, email=f"{letter}@example.org",
                          licence_number=f"LSW-{letter.upper()}")
        for letter, name in NAMES.items()
    }
    enrolments = {}
    for letter, user in learners.items():
        attached = db.session.get(User, user.id)
        enrolments[letter] = _take_course(course, attached, letter)
    certificate = issuing.issue_certificate(enrolments["a"])
    db.session.commit()
    return Dataset(admin, learners, course.id, certificate.code)


def test_the_dataset_is_what_its_table_says(app, minimal_package_dir):
    with app.app_context():
        data = build_dataset(minimal_package_dir)
        course = db.session.get(Course, data.course_id)
        progress = {
            letter: assessment.course_progress(
                course, learn.find_enrolment(db.session.get(User, user.id), course)
            )
            for letter, user in data.learners.items()
        }
        assert [p.lessons_done for p in progress.values()] == [2, 2, 2, 1]
        assert [bool(p.passed_attempt) for p in progress.values()] == [True, True, False, False]
        assert [p.completed for p in progress.values()] == [True, True, False, False]
        assert [p.active_seconds for p in progress.values()] == [1500, 2100, 1200, 300]
