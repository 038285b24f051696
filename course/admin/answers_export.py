"""post-test-answers.csv: each answer of the audited attempts as graded, keyed choices named.

An auditor sampling certificates asks what a learner answered and how it was graded.
The attempts file gives totals; this one gives each question of each submitted attempt,
in the order it was drawn, with the learner's choice and the keyed one, as the version
that graded it worded them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from course.admin.learner_services import answer_text, keyed_text, question_text
from course.admin.roster import AuditScope, RosterRow, completions
from course.csvout import csv_text, yes_no
from course.extensions import db
from course.models import AttemptAnswer, Enrolment, PostTestAttempt, User

ANSWER_COLUMNS = (
    "participant_name", "email", "attempt", "counted", "graded_by_version", "drawn_position",
    "question_id", "question", "answer", "keyed", "correct", "wording",
)  # fmt: skip


def answers_csv(course_id: int, scope: AuditScope, rows: list[RosterRow]) -> str:
    """Return every answer in the roster's learners' submitted attempts as CSV."""
    # Named as the roster names them (as certified), as post-test-attempts.csv does.
    named = {row.enrolment_id: row.cells[0] for row in rows}
    if not named:
        return csv_text(ANSWER_COLUMNS, [])
    found = db.session.execute(
        select(AttemptAnswer, User.email)
        .join(AttemptAnswer.attempt)
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .where(PostTestAttempt.enrolment_id.in_(completions(course_id, scope)),
               PostTestAttempt.submitted_at.is_not(None))
        .options(
            contains_eager(AttemptAnswer.attempt).joinedload(PostTestAttempt.version),
            contains_eager(AttemptAnswer.attempt).joinedload(PostTestAttempt.graded_version),
            joinedload(AttemptAnswer.question),
        )
        .order_by(Enrolment.completed_at, Enrolment.id, PostTestAttempt.number)
    ).all()  # fmt: skip
    # The query keeps attempts in roster order; within one, questions go in drawn order.
    attempt_order: dict[int, int] = {}
    keyed_rows = []
    for answer, email in found:
        attempt = answer.attempt
        if attempt.enrolment_id not in named:  # another version's completion
            continue
        drawn = [item["question_id"] for item in attempt.draw or []]
        position = drawn.index(answer.question_id) + 1 if answer.question_id in drawn else None
        graded_by = attempt.graded_version or attempt.version
        order = (attempt_order.setdefault(attempt.id, len(attempt_order)), position or 0)
        keyed_rows.append((order, [
            named[attempt.enrolment_id], email, attempt.number,
            yes_no(attempt.reset_at is None), graded_by.number, position,
            answer.question.key, question_text(answer), answer_text(answer), keyed_text(answer),
            yes_no(answer.is_correct), "as graded" if answer.shown else "as now",
        ]))  # fmt: skip
    return csv_text(ANSWER_COLUMNS, [row for _, row in sorted(keyed_rows, key=lambda r: r[0])])
