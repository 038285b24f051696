"""Give post-test records from before the engine kept them what graded them: answers their
question (``attempt_answer.shown``), attempts their version and passing score."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import lessons
from course.extensions import db
from course.learn.posttest import graded_record
from course.models import AttemptAnswer, CourseVersion, PostTestAttempt

Bank = dict[str, lessons.Question]


class _Versions:
    """Each course's versions in publishing order, read once per course."""

    def __init__(self) -> None:
        self._by_course: dict[int, list[CourseVersion]] = {}

    def of(self, course_id: int) -> list[CourseVersion]:
        """The course's versions, oldest first."""
        if course_id not in self._by_course:
            self._by_course[course_id] = list(db.session.scalars(
                select(CourseVersion).where(CourseVersion.course_id == course_id)
                .order_by(CourseVersion.created_at, CourseVersion.id)))  # fmt: skip
        return self._by_course[course_id]


def _bank(version: CourseVersion) -> Bank:
    try:
        package = lessons.load_files(version.files, expected_slug=version.course.slug)
    except lessons.PackageError:  # a schema this release no longer reads: answers stay
        return {}
    return {question.id: question for question in package.post_test}


def _shown(spec: lessons.Question, order: list[str]) -> dict[str, Any]:
    by_key = {choice.key: choice for choice in spec.choices}
    return graded_record(spec.prompt_html, spec.explanation_html,
                         ((key, by_key[key].text_html, by_key[key].correct)
                          for key in order if key in by_key))


def _grades_the_same(spec: lessons.Question, answer: AttemptAnswer) -> bool:
    keys = {choice.key for choice in spec.choices}
    if not set(answer.selected) <= keys:
        return False
    return lessons.grade(spec, answer.selected).correct == answer.is_correct


def _graded_under(attempt: PostTestAttempt, versions: list[CourseVersion]) -> list[CourseVersion]:
    """The versions that may have graded an attempt: the one published when it was
    submitted (grading reads the current version), then the one it was drawn from."""
    submitted = attempt.submitted_at
    published = [v for v in versions if submitted and v.created_at <= submitted]
    first = [published[-1]] if published else []
    return first + [v for v in versions if v.id == attempt.version_id and v not in first]


def keep_graded_questions() -> tuple[int, int]:
    """Fill in the question of every answer that lacks it; return (filled, left).

    An answer is filled from the first version that grades its stored choices exactly as
    they were graded; one that no stored package can account for (the question or a
    chosen key is missing, the result differs, the package no longer reads) is left.
    Flushes; the caller commits.
    """
    attempts = db.session.scalars(
        select(PostTestAttempt)
        .where(PostTestAttempt.answers.any(AttemptAnswer.shown.is_(None)))
        .options(selectinload(PostTestAttempt.answers).selectinload(AttemptAnswer.question),
                 selectinload(PostTestAttempt.enrolment))
    ).all()
    versions = _Versions()
    banks: dict[int, Bank] = {}
    filled = left = 0
    for attempt in attempts:
        candidates = _graded_under(attempt, versions.of(attempt.enrolment.course_id))
        orders = {item["question_id"]: item["choices"] for item in attempt.draw}
        for answer in attempt.answers:
            if answer.shown is not None:
                continue
            for version in candidates:
                if version.id not in banks:
                    banks[version.id] = _bank(version)
                spec = banks[version.id].get(answer.question.key)
                if spec is not None and _grades_the_same(spec, answer):
                    order = orders.get(answer.question_id) or [c.key for c in spec.choices]
                    answer.shown = _shown(spec, order)
                    filled += 1
                    break
            else:
                left += 1
    db.session.flush()
    return filled, left


def keep_pass_marks() -> tuple[int, int]:
    """Give each submitted attempt without one the version that graded it and its passing
    score; return (filled, left).

    That version is the one published when the attempt was submitted (grading reads the
    current version). An attempt is filled only when its stored result agrees with that
    passing score; one submitted before any stored version, or that disagrees, is left.
    Flushes; the caller commits.
    """
    attempts = db.session.scalars(
        select(PostTestAttempt)
        .where(PostTestAttempt.submitted_at.is_not(None), PostTestAttempt.passing_score.is_(None))
        .options(selectinload(PostTestAttempt.enrolment))
    ).all()
    versions = _Versions()
    filled = left = 0
    for attempt in attempts:
        published = [v for v in versions.of(attempt.enrolment.course_id)
                     if v.created_at <= attempt.submitted_at]  # fmt: skip
        mark = (published[-1].manifest or {}).get("passing_score") if published else None
        agrees = mark is not None and attempt.correct_count is not None and bool(
            attempt.passed) == (attempt.correct_count * 100 >= int(mark) * attempt.question_count)
        if not agrees:
            left += 1
            continue
        attempt.graded_version_id, attempt.passing_score = published[-1].id, int(mark)
        filled += 1
    db.session.flush()
    return filled, left
