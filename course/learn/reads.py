"""What every lesson request reads, as prebuilt Core statements returning plain rows.

A lesson page, an answer, a completion and a heartbeat all read the course, the learner's
enrolment and progress. Through the ORM each of those queries cost about twice what the
same SELECT costs in Core (identity map, loading, events), so they are Core statements,
built once, run on the session's connection (its transaction, its lock). Active time
is written the same way (``activetime``, which locks the enrolment row on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.engine import Row

from course.extensions import db
from course.models import (
    CheckResponse,
    Course,
    CourseApproval,
    CourseVersion,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
    Question,
)

_course, _version = Course.__table__, CourseVersion.__table__
_enrolment, _progress = Enrolment.__table__, LessonProgress.__table__
_response, _attempt = CheckResponse.__table__, PostTestAttempt.__table__
_evaluation, _question = EvaluationResponse.__table__, Question.__table__
_approval = CourseApproval.__table__


@dataclass(frozen=True, slots=True)
class PublishedCourse:
    """An open course as a learner request needs it: enough to find its content snapshot."""

    id: int
    slug: str
    title: str
    current_version_id: int


@dataclass(frozen=True, slots=True)
class LearnerEnrolment:
    """A learner's enrolment as lesson requests read it, with the progress bar's figures.

    The figures are as of the request's first query; a request that then credits time
    reads them again (see ``assessment.course_progress``).
    """

    id: int
    user_id: int
    course_id: int
    completed_at: datetime | None
    credited_until: datetime | None
    last_lesson_id: int | None
    choice_seed: str
    active_seconds: int
    passed_attempt_id: int | None
    evaluated: bool


_ENROLMENT_ID = _enrolment.c.id
_ENROLLED_COURSE = (
    select(
        _course.c.id,
        _course.c.slug,
        _course.c.title,
        _course.c.current_version_id,
        _version.c.content_hash,
        _enrolment.c.id.label("enrolment_id"),
        _enrolment.c.completed_at,
        _enrolment.c.credited_until,
        _enrolment.c.last_lesson_id,
        _enrolment.c.choice_seed,
        select(func.coalesce(func.sum(_progress.c.active_seconds), 0))
        .where(_progress.c.enrolment_id == _ENROLMENT_ID)
        .scalar_subquery()
        .label("active_seconds"),
        select(_attempt.c.id)
        .where(_attempt.c.enrolment_id == _ENROLMENT_ID, _attempt.c.passed.is_(True))
        .order_by(_attempt.c.number)
        .limit(1)
        .scalar_subquery()
        .label("passed_attempt_id"),
        exists().where(_evaluation.c.enrolment_id == _ENROLMENT_ID).label("evaluated"),
    )
    .select_from(
        _course.join(_version, _version.c.id == _course.c.current_version_id).outerjoin(
            _enrolment,
            and_(
                _enrolment.c.course_id == _course.c.id,
                _enrolment.c.user_id == bindparam("user_id"),
            ),
        )
    )
    .where(_course.c.slug == bindparam("slug"), _course.c.archived_at.is_(None))
)
# The course page, the most frequent request, also shows the approval an admin recorded
# (at most one row a course): joined here, it costs no round trip of its own.
_APPROVAL_COLUMNS = ("body", "number", "statement", "period_start", "period_end")
_COURSE_PAGE = _ENROLLED_COURSE.add_columns(
    *(_approval.c[name].label(f"approval_{name}") for name in _APPROVAL_COLUMNS)
).outerjoin(_approval, _approval.c.course_id == _course.c.id)
_PROGRESS_ROWS = select(_progress).where(_progress.c.enrolment_id == bindparam("enrolment_id"))
# Every try is kept, so fetch only the newest per question, not the whole history: one
# index seek per question of the lesson (the newest id under (enrolment, question)), so a
# learner's thousandth try costs what the first did. The lesson's questions are picked by
# a join, not a list of ids: a list is an "expanding" parameter, and SQLAlchemy renders
# the statement's SQL anew for each run of one.
_NEWEST_TRY = (
    select(_response.c.id)
    .where(
        _response.c.enrolment_id == bindparam("enrolment_id"),
        _response.c.question_id == _question.c.id,
    )
    .order_by(_response.c.id.desc())
    .limit(1)
    .correlate(_question)
    .scalar_subquery()
)
_LATEST_RESPONSES = select(_response).where(
    _response.c.id.in_(select(_NEWEST_TRY).where(_question.c.lesson_id == bindparam("lesson_id")))
)
# The course page's post-test step, once the lessons are done: the attempts' numbers and
# whether each counts (as ``PostTestAttempt.counts``), for the retake rules and the review.
_SUBMITTED_ATTEMPTS = (
    select(
        _attempt.c.number,
        _attempt.c.submitted_at,
        _attempt.c.reset_at.is_(None).label("counts"),
    )
    .where(
        _attempt.c.enrolment_id == bindparam("enrolment_id"),
        _attempt.c.submitted_at.is_not(None),
    )
    .order_by(_attempt.c.number)
)


# Answers kept for a form not yet sent, for the course page's next step.
_OPEN_ATTEMPT_DRAFT = (
    select(_attempt.c.question_count, _attempt.c.draft, _attempt.c.draft_saved_at)
    .where(
        _attempt.c.enrolment_id == bindparam("enrolment_id"),
        _attempt.c.submitted_at.is_(None),
        _attempt.c.reset_at.is_(None),
        _attempt.c.draft_saved_at.is_not(None),
    )
    .order_by(_attempt.c.number.desc())
    .limit(1)
)
_EVALUATION_DRAFT = select(
    _enrolment.c.evaluation_draft, _enrolment.c.evaluation_draft_saved_at
).where(_ENROLMENT_ID == bindparam("enrolment_id"))


def _run(statement: Any, params: dict[str, Any]) -> Any:
    return db.session.connection().execute(statement, params)


def enrolled_course(
    user_id: int, slug: str
) -> tuple[PublishedCourse, str, LearnerEnrolment | None] | None:
    """Return an open course, its version's content hash and the learner's enrolment in
    it (None when not enrolled), in one query; None when there is no such open course."""
    row = _run(_ENROLLED_COURSE, {"user_id": user_id, "slug": slug}).first()
    return None if row is None else _course_and_enrolment(row, user_id)


def course_page(
    user_id: int | None, slug: str
) -> tuple[PublishedCourse, str, LearnerEnrolment | None, tuple[Any, ...] | None] | None:
    """As ``enrolled_course``, with the approval an admin recorded for the course as
    (body, number, statement, period_start, period_end), or None when none is."""
    row = _run(_COURSE_PAGE, {"user_id": user_id, "slug": slug}).first()
    if row is None:
        return None
    recorded = tuple(row._mapping[f"approval_{name}"] for name in _APPROVAL_COLUMNS)
    return *_course_and_enrolment(row, user_id), (None if recorded[0] is None else recorded)


def _course_and_enrolment(
    row: Row[Any], user_id: int | None
) -> tuple[PublishedCourse, str, LearnerEnrolment | None]:
    course = PublishedCourse(row.id, row.slug, row.title, row.current_version_id)
    if row.enrolment_id is None or user_id is None:
        return course, row.content_hash, None
    enrolment = LearnerEnrolment(
        id=row.enrolment_id,
        user_id=user_id,
        course_id=row.id,
        completed_at=row.completed_at,
        credited_until=row.credited_until,
        last_lesson_id=row.last_lesson_id,
        choice_seed=row.choice_seed,
        active_seconds=int(row.active_seconds or 0),
        passed_attempt_id=row.passed_attempt_id,
        evaluated=bool(row.evaluated),
    )
    return course, row.content_hash, enrolment


def progress_rows(enrolment_id: int) -> list[Row[Any]]:
    """Return the learner's lesson progress rows (read-only rows of ``lesson_progress``)."""
    return list(_run(_PROGRESS_ROWS, {"enrolment_id": enrolment_id}))


def latest_responses(enrolment_id: int, lesson_id: int) -> list[Row[Any]]:
    """Return the learner's newest answer to each question of the lesson (read-only rows)."""
    return list(_run(_LATEST_RESPONSES, {"enrolment_id": enrolment_id, "lesson_id": lesson_id}))


def open_attempt_draft(enrolment_id: int) -> Row[Any] | None:
    """Return the open attempt's kept answers (question_count, draft, draft_saved_at)."""
    return _run(_OPEN_ATTEMPT_DRAFT, {"enrolment_id": enrolment_id}).first()


def evaluation_draft(enrolment_id: int) -> Row[Any] | None:
    """Return the evaluation's kept answers (evaluation_draft, evaluation_draft_saved_at)."""
    return _run(_EVALUATION_DRAFT, {"enrolment_id": enrolment_id}).first()


def submitted_attempts(enrolment_id: int) -> list[Row[Any]]:
    """Return the learner's submitted attempts in order: number, submitted_at, counts."""
    return list(_run(_SUBMITTED_ATTEMPTS, {"enrolment_id": enrolment_id}))
