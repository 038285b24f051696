"""Learner services: catalogue, enrolment, lesson progress, knowledge checks, seat time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app
from sqlalchemy import func, select

import lessons
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.learn.grading import grade_row
from course.models import CheckResponse, Course, Enrolment, Lesson, LessonProgress, Question, User

TOUCH_INTERVAL_SECONDS = 60


class NotEnrolled(Exception):
    """The learner must enrol before doing this."""


class LessonLocked(Exception):
    """The course unlocks lessons in order and an earlier one is unfinished."""

    def __init__(self, first_unfinished: Lesson) -> None:
        super().__init__(first_unfinished.slug)
        self.first_unfinished = first_unfinished


@dataclass(frozen=True)
class LessonState:
    """One lesson as a learner sees it in the course outline."""

    lesson: Lesson
    started: bool
    completed: bool
    locked: bool
    active_seconds: int
    progress: LessonProgress | None = None


@dataclass(frozen=True)
class CheckAnswer:
    """The outcome of answering a knowledge check."""

    question: Question
    result: lessons.GradeResult
    stored: bool


def list_courses() -> list[Course]:
    """Return the courses open to learners, by title."""
    query = (
        select(Course)
        .where(Course.archived_at.is_(None), Course.current_version_id.is_not(None))
        .order_by(Course.title)
    )
    return list(db.session.scalars(query))


def get_course_or_404(slug: str) -> Course:
    """Return the published course with this slug.

    :raise 404: when there is no such course or it is archived.
    """
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or course.archived_at is not None or course.current_version is None:
        abort(404)
    return course


def get_lesson_or_404(course: Course, slug: str) -> Lesson:
    """Return a live lesson of the course.

    :raise 404: when the course has no such live lesson.
    """
    for lesson in course.live_lessons:
        if lesson.slug == slug:
            return lesson
    abort(404)


def find_enrolment(user: User, course: Course) -> Enrolment | None:
    """Return the learner's enrolment in the course, if any."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )


def require_enrolment(user: User, course: Course) -> Enrolment:
    """Return the learner's enrolment or raise NotEnrolled."""
    enrolment = find_enrolment(user, course)
    if enrolment is None:
        raise NotEnrolled(course.slug)
    return enrolment


def enrol(user: User, course: Course) -> Enrolment:
    """Enrol the learner once; enrolling again returns the existing enrolment."""
    insert_ignoring_duplicates(
        Enrolment, {"user_id": user.id, "course_id": course.id, "enrolled_at": utcnow()}
    )
    return require_enrolment(user, course)


def progress_by_lesson(enrolment: Enrolment) -> dict[int, LessonProgress]:
    """Return the learner's progress rows keyed by lesson id."""
    rows = db.session.scalars(
        select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)
    )
    return {row.lesson_id: row for row in rows}


def outline(course: Course, enrolment: Enrolment | None) -> list[LessonState]:
    """Return the course's live lessons with the learner's state for each."""
    progress = progress_by_lesson(enrolment) if enrolment else {}
    sequential = bool(course.manifest.get("sequential"))
    states, blocked = [], False
    for lesson in course.live_lessons:
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


def resume_target(course: Course, enrolment: Enrolment) -> Lesson | None:
    """Return the first unfinished lesson, or None when every lesson is complete."""
    for state in outline(course, enrolment):
        if not state.completed:
            return state.lesson
    return None


def ensure_unlocked(states: list[LessonState], lesson: Lesson) -> LessonState:
    """Return the lesson's state for this learner.

    :raise LessonLocked: when the course is sequential and an earlier lesson is unfinished.
    """
    state = next(state for state in states if state.lesson.id == lesson.id)
    if state.locked:
        first = next(s.lesson for s in states if not s.completed)
        raise LessonLocked(first)
    return state


def needs_touch(progress: LessonProgress | None, now: datetime | None = None) -> bool:
    """Return True when a page request should be recorded for seat time.

    Requests less than a minute apart are not written: the next recorded one credits
    the whole gap, so nothing is lost, and most page views stay read-only.
    """
    if progress is None:
        return True
    now = now or utcnow()
    return (now - progress.last_seen_at).total_seconds() >= TOUCH_INTERVAL_SECONDS


def touch_progress(
    enrolment: Enrolment, lesson: Lesson, now: datetime | None = None
) -> LessonProgress:
    """Get or create the progress row and credit the time since the last page request."""
    now = now or utcnow()
    inserted = insert_ignoring_duplicates(
        LessonProgress,
        {
            "enrolment_id": enrolment.id,
            "lesson_id": lesson.id,
            "started_at": now,
            "last_seen_at": now,
            "active_seconds": 0,
        },
    )
    row = db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == lesson.id
        )
    )
    if not inserted:
        _credit(row, lesson, _page_credit(row, now))
        row.last_seen_at = now
    return row


def record_heartbeat(enrolment: Enrolment, lesson: Lesson) -> LessonProgress:
    """Credit active time reported by the page's heartbeat (visible and recently used)."""
    now = utcnow()
    row = _progress_row(enrolment, lesson)
    if row is None:
        return touch_progress(enrolment, lesson, now)
    interval = int(current_app.config["HEARTBEAT_SECONDS"])
    last = max(row.last_seen_at, row.last_heartbeat_at or row.last_seen_at)
    gap = (now - last).total_seconds()
    # A gap much longer than the interval means the page was hidden or idle: count
    # one interval, never the whole gap.
    _credit(row, lesson, int(gap) if gap <= interval * 3 else interval)
    row.last_heartbeat_at = now
    return row


def _progress_row(enrolment: Enrolment, lesson: Lesson) -> LessonProgress | None:
    return db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == lesson.id
        )
    )


def _page_credit(row: LessonProgress, now: datetime) -> int:
    """Seconds to credit for the gap since the learner's last request on this lesson."""
    if row.last_heartbeat_at and row.last_heartbeat_at >= row.last_seen_at:
        # The page has a working heartbeat: it covers the time up to its last beat.
        gap = (now - row.last_heartbeat_at).total_seconds()
        interval = int(current_app.config["HEARTBEAT_SECONDS"])
        return int(gap) if gap <= interval * 3 else 0
    # Without JavaScript only page timestamps exist; a long gap means the learner left.
    gap = (now - row.last_seen_at).total_seconds()
    idle = int(current_app.config["IDLE_AFTER_SECONDS"]) * 5
    return int(min(gap, idle)) if gap <= idle * 2 else 0


def _credit(row: LessonProgress, lesson: Lesson, seconds: int) -> None:
    # Cap per lesson at three times its reading time (at least ten minutes), so a
    # page left open does not inflate the record.
    reading_minutes = lesson.word_count / 167
    cap = int(max(10.0, 3 * reading_minutes) * 60)
    row.active_seconds = min(cap, row.active_seconds + max(0, seconds))


def latest_responses(enrolment: Enrolment, lesson: Lesson) -> dict[int, CheckResponse]:
    """Return the learner's most recent answer to each check of the lesson."""
    check_ids = [q.id for q in lesson.live_checks]
    if not check_ids:
        return {}
    # Every try is kept, so fetch only the newest per question, not the whole history.
    newest = (
        select(func.max(CheckResponse.id))
        .where(CheckResponse.enrolment_id == enrolment.id, CheckResponse.question_id.in_(check_ids))
        .group_by(CheckResponse.question_id)
    )
    rows = db.session.scalars(select(CheckResponse).where(CheckResponse.id.in_(newest)))
    return {row.question_id: row for row in rows}


def feedback_for(responses: dict[int, CheckResponse]) -> dict[int, lessons.GradeResult]:
    """Return the feedback for each stored answer, keyed by question id."""
    feedback = {}
    for question_id, response in responses.items():
        try:
            feedback[question_id] = grade_row(response.question, response.selected)
        except ValueError:
            continue  # the answer predates a change to the question's choices
    return feedback


def get_check_or_404(lesson: Lesson, key: str) -> Question:
    """Return a live knowledge check of this lesson.

    :raise 404: when the lesson has no such check (a tampered or stale id).
    """
    for question in lesson.live_checks:
        if question.key == key:
            return question
    abort(404)


def answer_check(
    enrolment: Enrolment,
    lesson: Lesson,
    question: Question,
    selected: list[str],
    submission_key: str | None,
) -> CheckAnswer:
    """Grade and store an answer to a knowledge check; a resubmitted form is stored once.

    :raise ValueError: when a selected key is not a choice of the question.
    """
    result = grade_row(question, selected)
    stored = insert_ignoring_duplicates(
        CheckResponse,
        {
            "enrolment_id": enrolment.id,
            "question_id": question.id,
            "version_id": lesson.course.current_version_id,
            "selected": sorted(set(selected)),
            "is_correct": result.correct,
            "created_at": utcnow(),
            "submission_key": submission_key or None,
        },
    )
    if needs_touch(_progress_row(enrolment, lesson)):
        touch_progress(enrolment, lesson)
    return CheckAnswer(question=question, result=result, stored=stored)


def unanswered_checks(enrolment: Enrolment, lesson: Lesson) -> list[Question]:
    """Return the lesson's checks the learner has not answered yet."""
    answered = latest_responses(enrolment, lesson)
    return [q for q in lesson.live_checks if q.id not in answered]


def complete_lesson(enrolment: Enrolment, lesson: Lesson) -> list[Question]:
    """Mark the end of the lesson reached; complete it when every check is answered.

    Returns the checks still unanswered (empty when the lesson is now complete).
    """
    row = touch_progress(enrolment, lesson)
    now = utcnow()
    row.reached_end_at = row.reached_end_at or now
    missing = unanswered_checks(enrolment, lesson)
    if not missing and row.completed_at is None:
        row.completed_at = now
    return missing


def active_seconds(enrolment: Enrolment) -> int:
    """Return the learner's total measured active time in the course."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LessonProgress.active_seconds), 0)).where(
            LessonProgress.enrolment_id == enrolment.id
        )
    )
    return int(total or 0)
