"""The audit pack's files about each learner it covers: answers and time by lesson.

An auditor sampling certificates asks what a learner answered and how it was graded,
and whether every lesson was read. The roster and attempts files give totals; these
give each question of each submitted attempt (in drawn order, the learner's choice
beside the keyed one, as the grading version worded them) and each lesson's active time
beside its share of the estimate, where a skimmed lesson shows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from course.admin.learner_services import answer_text, keyed_text, question_text
from course.admin.roster import AuditScope, RosterRow, completions
from course.csvout import csv_text, yes_no
from course.dates import local_iso
from course.dbutil import among
from course.extensions import db
from course.learn.activetime import minutes_of
from course.models import (
    AttemptAnswer,
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    PostTestAttempt,
    User,
)
from course.packages import find_version
from lessons.timing import lesson_floor_of, lesson_minutes_of

LESSON_TIME_COLUMNS = (
    "participant_name", "email", "course_version", "lesson_position", "lesson", "started_at",
    "completed_at", "active_minutes", "estimated_minutes", "share_of_estimate_percent",
    "active_seconds", "floor_minutes",
)  # fmt: skip
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


def lesson_times_csv(course: Course, rows: list[RosterRow]) -> str:
    """Return each covered learner's active time in each lesson, beside its estimate."""
    by_enrolment = {row.enrolment_id: row for row in rows}
    order = {enrolment_id: place for place, enrolment_id in enumerate(by_enrolment)}
    if not by_enrolment:
        return csv_text(LESSON_TIME_COLUMNS, [])
    found = db.session.execute(
        select(LessonProgress, Lesson)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(among(LessonProgress.enrolment_id, by_enrolment))
    ).all()
    manifests: dict[int, dict] = {}
    cells = []
    for progress, lesson in found:
        row = by_enrolment[progress.enrolment_id]
        if row.version_number not in manifests:
            version = find_version(course, row.version_number)
            manifests[row.version_number] = version.manifest if version else {}
        manifest = manifests[row.version_number]
        estimate = round(lesson_minutes_of(manifest, lesson), 1)
        active = minutes_of(progress.active_seconds)
        share = round(100 * active / estimate) if estimate else None
        cells.append(((order[row.enrolment_id], lesson.position), [
            row.cells[0], row.cells[1], row.version_number, lesson.position, lesson.title,
            local_iso(progress.started_at), local_iso(progress.completed_at), active, estimate,
            share, progress.active_seconds, minutes_of(lesson_floor_of(manifest, lesson)),
        ]))  # fmt: skip
    return csv_text(LESSON_TIME_COLUMNS, [cell for _, cell in sorted(cells, key=lambda c: c[0])])
