"""Learner services: catalogue, enrolment, lesson progress, knowledge checks, seat time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort
from sqlalchemy import bindparam, select

import lessons
from course import outbox
from course.approval import ApprovalClaim, claim_from
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.learn import activetime, reads
from course.learn.choices import AnyEnrolment
from course.learn.content import (
    CheckView,
    CourseContent,
    LessonView,
    content_of,
    published_course,
)
from course.learn.reads import LearnerEnrolment
from course.models import CheckResponse, Course, Enrolment, LessonProgress, User

# The statements every lesson request runs are built once, with bound parameters:
# building and keying a statement costs more than running it on SQLite.
_ENROLMENT = select(Enrolment).where(
    Enrolment.user_id == bindparam("user_id"), Enrolment.course_id == bindparam("course_id")
)

class NotEnrolled(Exception):
    """The learner must enrol before doing this."""


class EmptyAnswer(ValueError):
    """A knowledge check was sent with nothing chosen: refused, nothing is stored."""


class LessonLocked(Exception):
    """The course unlocks lessons in order and an earlier one is unfinished."""

    def __init__(self, first_unfinished: LessonView, content: CourseContent | None = None) -> None:
        super().__init__(first_unfinished.slug)
        self.first_unfinished = first_unfinished
        self.content = content


@dataclass(frozen=True)
class LessonState:
    """One lesson as a learner sees it in the course outline."""

    lesson: LessonView
    started: bool
    completed: bool
    locked: bool
    active_seconds: int
    #: The ``lesson_progress`` row, read-only (a Core row, or the ORM one just written).
    progress: Any = None


@dataclass(frozen=True)
class CheckAnswer:
    """The outcome of answering a knowledge check."""

    question: CheckView
    result: lessons.GradeResult
    stored: bool
    #: The choice keys answered, sorted.
    chosen: list[str]
    #: The same as the stored answer: graded again, not stored a second time.
    unchanged: bool = False
    #: Sent unchanged from a page drawn before another tab changed the stored answer:
    #: not stored; ``chosen`` and ``result`` are the stored answer's.
    stale: bool = False


def list_courses() -> list[Course]:
    """Return the courses open to learners, by title."""
    query = (
        select(Course)
        .where(Course.archived_at.is_(None), Course.current_version_id.is_not(None))
        .order_by(Course.title)
    )
    return list(db.session.scalars(query))


def get_published_or_404(slug: str) -> tuple[Course, CourseContent]:
    """Return an open course and the content learners see of it.

    :raise 404: when there is no such course or it is archived.
    """
    found = published_course(slug)
    if found is None:
        abort(404)
    return found


def get_course_page_or_404(
    user: User, slug: str
) -> tuple[reads.PublishedCourse, CourseContent, LearnerEnrolment | None, ApprovalClaim | None]:
    """Return an open course, its content, the learner's enrolment (read-only; None when
    signed out or not enrolled) and the approval it claims, in one query: the course
    page is most requests.

    :raise 404: when there is no such course or it is archived.
    """
    found = reads.course_page(user.id if user.is_authenticated else None, slug)
    if found is None:
        abort(404)
    course, content_hash, enrolment, recorded = found
    content = content_of(course, content_hash)
    return course, content, enrolment, claim_from(recorded, content.manifest)


def get_course_or_404(slug: str) -> Course:
    """Return the published course with this slug.

    :raise 404: when there is no such course or it is archived.
    """
    return get_published_or_404(slug)[0]


def get_enrolled_lesson_or_404(
    user: User, slug: str, lesson_slug: str
) -> tuple[CourseContent, LessonView, LearnerEnrolment]:
    """Return the course content, a live lesson of it and the learner's enrolment (read-only).

    :raise 404: when there is no such open course or live lesson.
    :raise NotEnrolled: when the learner has not enrolled in the course.
    """
    found = reads.enrolled_course(user.id, slug)
    if found is None:
        abort(404)
    course, content_hash, enrolment = found
    content = content_of(course, content_hash)
    lesson = get_lesson_or_404(content, lesson_slug)
    if enrolment is None:
        raise NotEnrolled(course.slug)
    return content, lesson, enrolment


def get_open_lesson_or_404(
    user: User, slug: str, lesson_slug: str
) -> tuple[CourseContent, LessonView, LearnerEnrolment]:
    """Return what ``get_enrolled_lesson_or_404`` does, for a lesson the learner may open.

    Every request on a lesson (answer, completion, heartbeat) goes through here, so a
    course that opens its lessons in order holds that rule for scripts too.

    :raise 404: when there is no such open course or live lesson.
    :raise NotEnrolled: when the learner has not enrolled in the course.
    :raise LessonLocked: when the course is sequential and an earlier lesson is unfinished.
    """
    content, lesson, enrolment = get_enrolled_lesson_or_404(user, slug, lesson_slug)
    # Only a sequential course can lock a lesson; the others skip reading the outline,
    # a sixth of an answer save's work.
    if content.manifest.get("sequential"):
        open_outline(content, lesson, enrolment)
    return content, lesson, enrolment


def open_outline(
    content: CourseContent, lesson: LessonView, enrolment: LearnerEnrolment
) -> list[LessonState]:
    """Return the course's outline for the learner, who may open ``lesson``.

    :raise LessonLocked: when the course is sequential and an earlier lesson is unfinished.
    """
    states = outline(content, enrolment)
    try:
        ensure_unlocked(states, lesson)
    except LessonLocked as exc:
        raise LessonLocked(exc.first_unfinished, content) from None
    return states


def get_lesson_or_404(content: CourseContent, slug: str) -> LessonView:
    """Return a live lesson of the course.

    :raise 404: when the course has no such live lesson.
    """
    lesson = content.lesson(slug)
    if lesson is None:
        abort(404)
    return lesson


def find_enrolment(user: User, course: Course | CourseContent) -> Enrolment | None:
    """Return the learner's enrolment in the course, if any."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(_ENROLMENT, {"user_id": user.id, "course_id": course.id})


def require_enrolment(user: User, course: Course | CourseContent) -> Enrolment:
    """Return the learner's enrolment or raise NotEnrolled."""
    enrolment = find_enrolment(user, course)
    if enrolment is None:
        raise NotEnrolled(course.slug)
    return enrolment


def enrol(user: User, course: Course | CourseContent) -> Enrolment:
    """Enrol the learner once; enrolling again returns the existing enrolment."""
    inserted = insert_ignoring_duplicates(
        Enrolment, {"user_id": user.id, "course_id": course.id, "enrolled_at": utcnow()}
    )
    enrolment = require_enrolment(user, course)
    if inserted:
        outbox.registered(enrolment)
    return enrolment


def progress_by_lesson(enrolment: AnyEnrolment) -> dict[int, Any]:
    """Return the learner's progress rows (read-only) keyed by lesson id."""
    return {row.lesson_id: row for row in reads.progress_rows(enrolment.id)}


def outline(
    content: CourseContent, enrolment: AnyEnrolment | None
) -> list[LessonState]:
    """Return the course's live lessons with the learner's state for each."""
    progress = progress_by_lesson(enrolment) if enrolment else {}
    sequential = bool(content.manifest.get("sequential"))
    states, blocked = [], False
    for lesson in content.lessons:
        row = progress.get(lesson.id)
        completed = bool(row and row.completed_at)
        states.append(
            LessonState(
                lesson=lesson,
                started=row is not None,
                completed=completed,
                locked=sequential and blocked,
                active_seconds=row.active_seconds if row else 0,
                progress=row,
            )
        )
        blocked = blocked or not completed
    return states


def resume_target(
    content: CourseContent, enrolment: AnyEnrolment, states: list[LessonState] | None = None
) -> LessonView | None:
    """Return the first unfinished lesson, or None when every lesson is complete."""
    for state in outline(content, enrolment) if states is None else states:
        if not state.completed:
            return state.lesson
    return None


def next_after(
    content: CourseContent, enrolment: AnyEnrolment, lesson: LessonView
) -> LessonView | None:
    """Return where "Complete and continue" leads: the next lesson in order, else the
    first unfinished one, else None (every lesson is done: the post-test is next)."""
    states = outline(content, enrolment)
    index = next(i for i, s in enumerate(states) if s.lesson.id == lesson.id)
    if index + 1 < len(states):
        return states[index + 1].lesson
    return resume_target(content, enrolment, states)


def ensure_unlocked(states: list[LessonState], lesson: LessonView) -> LessonState:
    """Return the lesson's state for this learner.

    :raise LessonLocked: when the course is sequential and an earlier lesson is unfinished.
    """
    state = next(state for state in states if state.lesson.id == lesson.id)
    if state.locked:
        first = next(s.lesson for s in states if not s.completed)
        raise LessonLocked(first)
    return state


def needs_touch(
    enrolment: AnyEnrolment, lesson: LessonView, progress: LessonProgress | None
) -> bool:
    """Return True when a lesson page view should be written (see ``activetime``)."""
    return activetime.needs_touch(enrolment, lesson.id, progress)


def record_visit(enrolment: AnyEnrolment, lesson: LessonView) -> None:
    """Record a page view of ``lesson`` and credit the reading time before it."""
    activetime.credit_page(enrolment, lesson)


def touch_progress(
    enrolment: AnyEnrolment, lesson: LessonView, now: datetime | None = None
) -> LessonProgress:
    """Get or create the progress row and credit the reading time before this request.

    Returns the ORM row, for a caller that goes on to change it (a completion).
    """
    activetime.credit_page(enrolment, lesson, now)
    return db.session.scalar(
        activetime.PROGRESS_ROW, {"enrolment_id": enrolment.id, "lesson_id": lesson.id}
    )


def record_heartbeat(enrolment: AnyEnrolment, lesson: LessonView) -> int | None:
    """Credit active time reported by the page's heartbeat (visible and recently used).

    Returns the lesson's active seconds, or None when the page was never opened.
    """
    return activetime.credit_heartbeat(enrolment, lesson)


def latest_responses(
    enrolment: AnyEnrolment, lesson: LessonView
) -> dict[int, Any]:
    """Return the learner's most recent answer (a read-only row) to each check of the lesson."""
    if not lesson.checks:
        return {}
    return {row.question_id: row for row in reads.latest_responses(enrolment.id, lesson.id)}


def get_check_or_404(lesson: LessonView, key: str) -> CheckView:
    """Return a live knowledge check of this lesson.

    :raise 404: when the lesson has no such check (a tampered or stale id).
    """
    check = lesson.check(key)
    if check is None:
        abort(404)
    return check


def answer_check(
    enrolment: AnyEnrolment,
    content: CourseContent,
    lesson: LessonView,
    question: CheckView,
    selected: list[str],
    submission_key: str | None,
) -> CheckAnswer:
    """Grade and store an answer to a knowledge check; a resubmitted form is stored once.

    :raise EmptyAnswer: when nothing is chosen (an empty answer is not a wrong one).
    :raise ValueError: when a selected key is not a choice of the question.
    """
    if not selected:
        raise EmptyAnswer("Choose an answer, then check it.")
    result = question.grade(selected)
    chosen = sorted(set(selected))
    stored = insert_ignoring_duplicates(
        CheckResponse,
        {
            "enrolment_id": enrolment.id,
            "question_id": question.id,
            "version_id": content.version_id,
            "selected": chosen,
            "is_correct": result.correct,
            "created_at": utcnow(),
            "submission_key": submission_key or None,
        },
    )
    record_visit(enrolment, lesson)  # an answer is a page request: it credits reading time
    if stored:
        outbox.check_answered(enrolment, question, selected, result.correct)
    return CheckAnswer(question=question, result=result, stored=stored, chosen=chosen)


def unanswered_checks(enrolment: AnyEnrolment, lesson: LessonView) -> list[CheckView]:
    """Return the lesson's checks the learner has not answered yet."""
    answered = latest_responses(enrolment, lesson)
    return [check for check in lesson.checks if check.id not in answered]


def complete_lesson(enrolment: AnyEnrolment, lesson: LessonView) -> list[CheckView]:
    """Mark the end of the lesson reached; complete it when every check is answered.

    Returns the checks still unanswered (empty when the lesson is now complete).
    """
    row = touch_progress(enrolment, lesson)
    now = utcnow()
    row.reached_end_at = row.reached_end_at or now
    missing = unanswered_checks(enrolment, lesson)
    if not missing and row.completed_at is None:
        row.completed_at = now
        outbox.lesson_completed(enrolment, lesson, row)
    return missing

