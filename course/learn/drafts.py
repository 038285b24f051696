"""Answers kept before they are submitted: the open post-test attempt's and the evaluation's.

Saved as the learner chooses them (a small request from the page), on "Save and finish
later", and from a form that arrived after the session timed out; shown again on the
page, and cleared once the answers are recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update

from course.db import utcnow
from course.extensions import db
from course.learn.assessment import InvalidSubmission, open_attempt
from course.learn.content import CourseContent
from course.learn.evaluation import ensure_evaluation_open, evaluation_items
from course.learn.posttest import chosen_keys
from course.models import Course, Enrolment, PostTestAttempt

#: A draft keeps at most this much of one typed answer (the form allows 5,000).
MAX_DRAFT_CHARS = 10_000


def open_attempt_of(enrolment: Enrolment, attempt_id: str | None) -> PostTestAttempt | None:
    """Return the learner's open attempt when ``attempt_id`` names it, else None.

    The id comes from the form; only an attempt of this learner's own enrolment that is
    still open may be saved to.
    """
    attempt = open_attempt(enrolment)
    if attempt is None or not (attempt_id or "").isdigit() or int(attempt_id) != attempt.id:
        return None
    return attempt


def save_post_test_draft(
    content: CourseContent, attempt: PostTestAttempt, positions: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    """Keep the answers chosen so far in the open attempt; return them as choice keys.

    ``positions`` is what the page sent (question key -> choice positions); a question
    left blank is kept blank. Nothing is kept once the attempt was recorded or reset.

    :raise InvalidSubmission: for a question not drawn or a position not on the page.
    """
    answers = {key: keys for key, keys in chosen_keys(content, attempt, positions).items() if keys}
    # Conditional, like recording: a save racing the submit never touches a graded attempt.
    db.session.execute(
        update(PostTestAttempt)
        .where(
            PostTestAttempt.id == attempt.id,
            PostTestAttempt.submitted_at.is_(None),
            PostTestAttempt.reset_at.is_(None),
        )
        .values(draft=answers, draft_saved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return answers


def post_test_draft(attempt: PostTestAttempt) -> dict[str, list[str]]:
    """Return the answers kept for an open attempt (question key -> choice keys)."""
    drawn = {item["key"]: set(item["choices"]) for item in attempt.draw}
    kept = attempt.draft or {}
    # Only what still fits the draw: a draft is shown, never trusted for grading.
    return {
        key: [k for k in keys if k in drawn[key]]
        for key, keys in kept.items()
        if key in drawn and isinstance(keys, list)
    }


def save_evaluation_draft(
    course: Course, enrolment: Enrolment, values: Mapping[str, str]
) -> dict[str, str]:
    """Keep the evaluation answers given so far (item key -> value); return them.

    Unknown items are left out; answers are checked only when the evaluation is sent.

    :raise NotYetOpen: before the post-test is passed.
    :raise InvalidSubmission: once the evaluation was submitted.
    """
    progress = ensure_evaluation_open(course, enrolment)
    if progress.evaluated:
        raise InvalidSubmission("the evaluation was already submitted")
    keys = {item.key for item in evaluation_items(course)}
    kept = {
        key: value[:MAX_DRAFT_CHARS]
        for key, value in values.items()
        if key in keys and value and value.strip()
    }
    # Written only while the course is not complete: on PostgreSQL another tab's submit
    # may land between the check above and this write, and its lock on the row makes this
    # statement wait for it and then find the row complete. Answers kept after the
    # evaluation stored them would be shown, and downloaded, as never sent.
    written = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(evaluation_draft=kept, evaluation_draft_saved_at=utcnow())
    ).rowcount
    if not written:
        raise InvalidSubmission("the evaluation was already submitted")
    return kept


def evaluation_draft(enrolment: Enrolment) -> dict[str, str]:
    """Return the evaluation answers kept for the learner (item key -> value)."""
    kept = enrolment.evaluation_draft or {}
    return {key: value for key, value in kept.items() if isinstance(value, str)}
