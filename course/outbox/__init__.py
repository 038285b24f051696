"""The outbox: what other systems should hear about, queued in the same transaction.

Learner-facing code calls one function here per event (one line each). The functions
only add rows to ``outbox_message``; the worker (``flask --app wsgi outbox send``) sends
them later, so no learner ever waits for an LMS or a learning record store.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from course.db import utcnow
from course.extensions import db
from course.models import Enrolment, LtiGradeTarget, OutboxMessage, PostTestAttempt
from course.outbox.scores import score

LTI = "lti"


def _grade_targets(user_id: int, course_id: int) -> list[LtiGradeTarget]:
    return list(db.session.scalars(
        select(LtiGradeTarget).where(LtiGradeTarget.user_id == user_id,
                                     LtiGradeTarget.course_id == course_id)
    ))


def _queue_scores(enrolment: Enrolment, percent: int | None, *, completed: bool,
                  passed: bool | None, comment: str | None) -> None:
    now = utcnow()
    for target in _grade_targets(enrolment.user_id, enrolment.course_id):
        body = score(target.subject, percent, completed=completed, passed=passed,
                         when=now, comment=comment)
        db.session.add(OutboxMessage(channel=LTI, message_id=str(uuid.uuid4()), payload=body,
                                     grade_target_id=target.id, created_at=now,
                                     next_attempt_at=now))


def post_test_submitted(attempt: PostTestAttempt) -> None:
    """Queue the attempt's score for the LMS that launched the course, if one did."""
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    verdict = "passed" if attempt.passed else "not passed yet"
    _queue_scores(enrolment, attempt.score_percent, completed=False, passed=attempt.passed,
                  comment=f"Post-test attempt {attempt.number}: {verdict}.")


def course_completed(enrolment: Enrolment) -> None:
    """Queue the completion (with the best post-test score) for the launching LMS."""
    scores = [a.score_percent for a in enrolment.attempts if a.passed and a.score_percent]
    _queue_scores(enrolment, max(scores) if scores else None, completed=True, passed=True,
                  comment="Course completed: post-test passed and evaluation submitted.")
