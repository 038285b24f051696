"""Per-course reports, computed with SQL aggregates: funnel, scores, items, evaluation, time.

Each function returns frozen dataclasses built from GROUP BY results, so the work the
database does grows with the learners and the Python side only with the course's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, distinct, func, select

from course.admin.aggregates import Count, count_of, count_true, median_of, percent
from course.admin.evaluation_report import EvaluationStat, evaluation_results
from course.admin.item_analysis import MIN_ANSWERS, Discrimination, discrimination
from course.db import utcnow
from course.dbutil import among
from course.extensions import db
from course.learn.activetime import minutes_of
from course.models import (
    AttemptAnswer,
    Certificate,
    CertificateStatus,
    CheckResponse,
    Course,
    Enrolment,
    EvaluationResponse,
    Lesson,
    LessonProgress,
    PostTestAttempt,
    Question,
    QuestionKind,
)
from lessons.timing import lesson_minutes_of, reading_minutes_of

SCORE_BINS = tuple((low, low + 9) for low in range(0, 90, 10)) + ((90, 100),)


@dataclass(frozen=True)
class Scores:
    """Submitted post-test attempts: how many, how many passed, and their spread."""

    attempts: int
    passed: int
    mean: float | None
    bins: list[Count]
    #: Attempts by the passing score that graded them ({80: 12, 90: 3}); attempts from
    #: before the passing score was kept with each are left out.
    pass_marks: dict[int, int]


@dataclass(frozen=True)
class ItemStat:
    """How a question fared: answers, correct ones, share correct (first tries for checks)."""

    question: Question
    answers: int
    graded: int
    correct: int
    percent: float | None
    #: Post-test questions only: how well the question separates stronger learners.
    discrimination: Discrimination | None = None


@dataclass(frozen=True)
class LessonTime:
    """A lesson's reading-time estimate against the measured median of those who finished it."""

    lesson: Lesson
    estimated_minutes: float
    median_minutes: float | None
    measured: int


@dataclass(frozen=True)
class SeatTime:
    """The course's estimate against the median active time of learners who did every lesson."""

    estimated_minutes: float
    reading_minutes: float
    median_minutes: float | None
    measured: int
    lessons: list[LessonTime]


@dataclass(frozen=True)
class CourseReport:
    """Everything on a course's report page."""

    course: Course
    enrolments: int
    funnel: list[Count]
    scores: Scores
    post_test: list[ItemStat]
    checks: list[ItemStat]
    evaluation: list[EvaluationStat]
    seat_time: SeatTime
    #: When the figures were computed (UTC): a printout is a snapshot of a moving course.
    generated_at: dt.datetime
    #: Answers a question needs before its discrimination index is shown.
    min_answers: int = MIN_ANSWERS


def lessons_done(course: Course) -> Select:
    """Return a query of the ids of enrolments that completed every live lesson."""
    live = count_of(
        select(func.count(Lesson.id)).where(
            Lesson.course_id == course.id, Lesson.archived_at.is_(None)
        )
    )
    return (
        select(LessonProgress.enrolment_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(
            Lesson.course_id == course.id,
            Lesson.archived_at.is_(None),
            LessonProgress.completed_at.is_not(None),
        )
        .group_by(LessonProgress.enrolment_id)
        .having(func.count() == live)
    )


def enrolmentcount_of(course: Course) -> int:
    """Return how many learners enrolled in the course."""
    return count_of(select(func.count()).where(Enrolment.course_id == course.id))


def funnel(course: Course) -> list[Count]:
    """Return enrolled, lessons done, post-test passed, evaluated and certified counts."""
    enrolled = enrolmentcount_of(course)
    done = count_of(select(func.count()).select_from(lessons_done(course).subquery()))
    passed = count_of(
        select(func.count(distinct(PostTestAttempt.enrolment_id)))
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .where(Enrolment.course_id == course.id, PostTestAttempt.passed.is_(True))
    )
    evaluated = count_of(
        select(func.count())
        .select_from(EvaluationResponse)
        .join(Enrolment, Enrolment.id == EvaluationResponse.enrolment_id)
        .where(Enrolment.course_id == course.id)
    )
    certified = count_of(
        select(func.count(distinct(Certificate.enrolment_id))).where(
            Certificate.course_id == course.id, Certificate.status == CertificateStatus.VALID
        )
    )
    steps = [("Enrolled", enrolled), ("Lessons done", done), ("Post-test passed", passed),
             ("Evaluated", evaluated), ("Certified", certified)]
    return [Count(label, n, percent(n, enrolled)) for label, n in steps]


def scores(course: Course) -> Scores:
    """Return the submitted attempts' count, passes, mean score and 10-point bins."""
    rows = db.session.execute(
        select(
            PostTestAttempt.score_percent,
            func.count(),
            count_true(PostTestAttempt.passed),
        )
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .where(Enrolment.course_id == course.id, PostTestAttempt.submitted_at.is_not(None))
        .group_by(PostTestAttempt.score_percent)
    ).all()
    attempts = sum(n for _, n, _ in rows)
    passed = sum(int(p) for _, _, p in rows)
    total = sum(score * n for score, n, _ in rows)
    bins = []
    for low, high in SCORE_BINS:
        n = sum(count for score, count, _ in rows if low <= score <= high)
        bins.append(Count(f"{low}–{high}", n, percent(n, attempts)))
    mean = round(total / attempts, 1) if attempts else None
    marks = db.session.execute(
        select(PostTestAttempt.passing_score, func.count())
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .where(Enrolment.course_id == course.id, PostTestAttempt.passing_score.is_not(None))
        .group_by(PostTestAttempt.passing_score).order_by(PostTestAttempt.passing_score)
    ).all()  # fmt: skip
    return Scores(attempts=attempts, passed=passed, mean=mean, bins=bins,
                  pass_marks={mark: n for mark, n in marks})  # fmt: skip


def _questions(course: Course, kind: QuestionKind) -> list[Question]:
    # Live questions in order; archived ones after them (their answers still count).
    return list(
        db.session.scalars(
            select(Question)
            .outerjoin(Lesson, Lesson.id == Question.lesson_id)
            .where(Question.course_id == course.id, Question.kind == kind)
            .order_by(Question.archived_at.is_not(None), Lesson.position, Question.position)
        )
    )


def post_test_items(course: Course) -> list[ItemStat]:
    """Return each post-test question's answers, share answered correctly and discrimination."""
    rows = db.session.execute(
        select(AttemptAnswer.question_id, func.count(), count_true(AttemptAnswer.is_correct))
        .join(Question, Question.id == AttemptAnswer.question_id)
        .where(Question.course_id == course.id, Question.kind == QuestionKind.POST_TEST)
        .group_by(AttemptAnswer.question_id)
    ).all()
    stats = {question_id: (n, int(right)) for question_id, n, right in rows}
    indexes = discrimination(course.id)
    items = []
    for question in _questions(course, QuestionKind.POST_TEST):
        n, right = stats.get(question.id, (0, 0))
        index = indexes.get(question.id, Discrimination(0, None))
        items.append(ItemStat(question, n, n, right, percent(right, n), index))
    return items


def check_items(course: Course) -> list[ItemStat]:
    """Return each knowledge check's answers (every try) and share right at the first try."""
    in_course = (Question.id == CheckResponse.question_id) & (Question.course_id == course.id)
    totals = dict(
        db.session.execute(
            select(CheckResponse.question_id, func.count())
            .join(Question, in_course)
            .group_by(CheckResponse.question_id)
        ).all()
    )
    # Ids grow with insertion, so each learner's lowest id per check is their first try.
    first = (
        select(func.min(CheckResponse.id).label("id"))
        .join(Question, in_course)
        .group_by(CheckResponse.enrolment_id, CheckResponse.question_id)
        .subquery()
    )
    rows = db.session.execute(
        select(CheckResponse.question_id, func.count(), count_true(CheckResponse.is_correct))
        .join(first, first.c.id == CheckResponse.id)
        .group_by(CheckResponse.question_id)
    ).all()
    firsts = {question_id: (n, int(right)) for question_id, n, right in rows}
    items = []
    for question in _questions(course, QuestionKind.CHECK):
        n, right = firsts.get(question.id, (0, 0))
        items.append(ItemStat(question, totals.get(question.id, 0), n, right, percent(right, n)))
    return items


def seat_time(course: Course, enrolment_ids: list[int] | None = None) -> SeatTime:
    """Return the estimate against median measured active time, for the course and per lesson.

    ``enrolment_ids`` narrows the measurement to those enrolments (an audit's completions).
    """
    narrowed = enrolment_ids is not None
    among_them = (among(LessonProgress.enrolment_id, enrolment_ids),) if narrowed else ()
    per_learner = (
        select(func.sum(LessonProgress.active_seconds))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.course_id == course.id)
        .where(LessonProgress.enrolment_id.in_(lessons_done(course)), *among_them)
        .group_by(LessonProgress.enrolment_id)
    )
    measured = count_of(select(func.count()).select_from(per_learner.subquery()))
    median = median_of(per_learner)
    lessons = []
    manifest = course.manifest
    for lesson in course.live_lessons:
        finished = select(LessonProgress.active_seconds).where(
            LessonProgress.lesson_id == lesson.id,
            LessonProgress.completed_at.is_not(None),
            *among_them,
        )
        seconds = median_of(finished)
        lessons.append(
            LessonTime(
                lesson=lesson,
                estimated_minutes=round(lesson_minutes_of(manifest, lesson), 1),
                median_minutes=None if seconds is None else minutes_of(seconds),
                measured=count_of(select(func.count()).select_from(finished.subquery())),
            )
        )
    return SeatTime(
        estimated_minutes=float(manifest.get("estimated_minutes") or 0),
        # The checker's reading estimate: lesson text and knowledge checks.
        reading_minutes=reading_minutes_of(manifest),
        median_minutes=None if median is None else minutes_of(median),
        measured=measured,
        lessons=lessons,
    )


#: Comments a report page lists per item, newest first; the audit pack has them all.
REPORT_COMMENTS = 20


def course_report(course: Course) -> CourseReport:
    """Return every figure of the course's report, and when they were computed."""
    return CourseReport(
        generated_at=utcnow(),
        course=course,
        enrolments=enrolmentcount_of(course),
        funnel=funnel(course),
        scores=scores(course),
        post_test=post_test_items(course),
        checks=check_items(course),
        evaluation=evaluation_results(course, newest_comments=REPORT_COMMENTS),
        seat_time=seat_time(course),
    )


@dataclass(frozen=True)
class CourseRow:
    """A course on the admin home with its headline figures."""

    course: Course
    enrolments: int
    completed: int
    certificates: int


def find_course(slug: str) -> Course | None:
    """Return the imported course with this slug (archived ones too)."""
    return db.session.scalar(
        select(Course).where(Course.slug == slug, Course.current_version_id.is_not(None))
    )


def course_overview() -> list[CourseRow]:
    """Return every imported course with enrolment, completion and valid-certificate counts."""
    enrolled = (
        select(
            Enrolment.course_id,
            func.count().label("n"),
            func.count(Enrolment.completed_at).label("done"),
        )
        .group_by(Enrolment.course_id)
        .subquery()
    )
    certified = (
        select(Certificate.course_id, func.count().label("n"))
        .where(Certificate.status == CertificateStatus.VALID)
        .group_by(Certificate.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Course,
            func.coalesce(enrolled.c.n, 0),
            func.coalesce(enrolled.c.done, 0),
            func.coalesce(certified.c.n, 0),
        )
        .outerjoin(enrolled, enrolled.c.course_id == Course.id)
        .outerjoin(certified, certified.c.course_id == Course.id)
        .where(Course.current_version_id.is_not(None))
        .order_by(Course.title)
    ).all()
    return [CourseRow(course, *counts) for course, *counts in rows]
