"""Give post-test answers recorded before ``attempt_answer.shown`` existed their question
as the attempt showed it, from the stored package of the version it was drawn from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import lessons
from course.extensions import db
from course.models import AttemptAnswer, CourseVersion, PostTestAttempt


def _bank(version: CourseVersion) -> dict[str, lessons.Question]:
    try:
        package = lessons.load_files(version.files, expected_slug=version.course.slug)
    except lessons.PackageError:  # a schema this release no longer reads: answers stay
        return {}
    return {question.id: question for question in package.post_test}


def _shown(spec: lessons.Question, order: list[str]) -> dict[str, Any]:
    by_key = {choice.key: choice for choice in spec.choices}
    return {
        "prompt_html": spec.prompt_html,
        "explanation_html": spec.explanation_html,
        "choices": [{"key": key, "text_html": by_key[key].text_html,
                     "is_correct": by_key[key].correct} for key in order if key in by_key],
    }


def keep_graded_questions() -> tuple[int, int]:
    """Fill in the question of every answer that lacks it; return (filled, left).

    An answer is left as it is when its version's package does not have the question
    (or can no longer be read).
    Flushes; the caller commits.
    """
    attempts = db.session.scalars(
        select(PostTestAttempt)
        .where(PostTestAttempt.answers.any(AttemptAnswer.shown.is_(None)))
        .options(selectinload(PostTestAttempt.answers).selectinload(AttemptAnswer.question),
                 selectinload(PostTestAttempt.version).selectinload(CourseVersion.course))
    ).all()
    banks: dict[int, dict[str, lessons.Question]] = {}
    filled = left = 0
    for attempt in attempts:
        if attempt.version_id not in banks:
            banks[attempt.version_id] = _bank(attempt.version)
        orders = {item["question_id"]: item["choices"] for item in attempt.draw}
        for answer in attempt.answers:
            if answer.shown is not None:
                continue
            spec = banks[attempt.version_id].get(answer.question.key)
            if spec is None:
                left += 1
                continue
            order = orders.get(answer.question_id) or [c.key for c in spec.choices]
            answer.shown = _shown(spec, order)
            filled += 1
    db.session.flush()
    return filled, left
