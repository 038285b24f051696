"""Post-test item discrimination: does a question separate stronger from weaker learners?

The index is the corrected point-biserial correlation: for every submitted answer to a
question, whether it was right (1 or 0) against the share of the *other* questions of
the same attempt answered right. Leaving the item out of the total keeps it from
correlating with itself, which matters when an attempt has only ten questions. Attempts
draw different questions from the bank, so each answer is compared with its own
attempt's rest score. The database returns five sums per question; the correlation is
computed from them, so the work grows with the bank, not with the learners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Float, case, cast, func, select

from course.extensions import db
from course.models import AttemptAnswer, Enrolment, PostTestAttempt, Question, QuestionKind

#: Fewer answers than this and the index swings too much to read; the page says so.
MIN_ANSWERS = 10


@dataclass(frozen=True)
class Discrimination:
    """A question's discrimination index (None when it cannot be computed yet)."""

    answers: int
    index: float | None

    @property
    def reading(self) -> str:
        """The index in words, using the usual classroom-testing bands."""
        if self.index is None:
            return "too few answers" if self.answers < MIN_ANSWERS else "no spread to measure"
        if self.index < 0:
            return "negative: check the answer key and wording"
        if self.index < 0.2:
            return "weak: review the question"
        if self.index < 0.3:
            return "fair"
        return "good"


def point_biserial(n: int, sx: float, sy: float, syy: float, sxy: float) -> float | None:
    """Pearson's r for a 0/1 variable x and a score y, from n and the sums of x, y, y², xy.

    None when either side has no spread (everyone right, everyone wrong, equal scores).
    """
    spread_x = n * sx - sx * sx  # x² = x for a 0/1 variable
    spread_y = n * syy - sy * sy
    if n < 2 or spread_x <= 0 or spread_y <= 1e-12:
        return None
    return (n * sxy - sx * sy) / math.sqrt(spread_x * spread_y)


def discrimination(course_id: int) -> dict[int, Discrimination]:
    """Each post-test question's discrimination index over every submitted attempt."""
    right = cast(case((AttemptAnswer.is_correct.is_(True), 1), else_=0), Float)
    rest = (cast(PostTestAttempt.correct_count, Float) - right) / cast(
        PostTestAttempt.question_count - 1, Float
    )
    rows = db.session.execute(
        select(
            AttemptAnswer.question_id,
            func.count(),
            func.sum(right),
            func.sum(rest),
            func.sum(rest * rest),
            func.sum(right * rest),
        )
        .join(PostTestAttempt, PostTestAttempt.id == AttemptAnswer.attempt_id)
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .join(Question, Question.id == AttemptAnswer.question_id)
        .where(
            Enrolment.course_id == course_id,
            Question.kind == QuestionKind.POST_TEST,
            PostTestAttempt.submitted_at.is_not(None),
            PostTestAttempt.question_count > 1,
        )
        .group_by(AttemptAnswer.question_id)
    ).all()
    found = {}
    for question_id, n, sx, sy, syy, sxy in rows:
        index = point_biserial(n, float(sx), float(sy), float(syy), float(sxy))
        shown = None if index is None or n < MIN_ANSWERS else round(index, 2)
        found[question_id] = Discrimination(n, shown)
    return found
