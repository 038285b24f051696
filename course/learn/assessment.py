"""Where a learner stands, and when the post-test opens (the draw and grading: ``posttest``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select

from course.extensions import db
from course.learn.activetime import minimum_minutes_of, minutes_to_go
from course.learn.content import CourseContent, LessonView, content_of
from course.learn.reads import LearnerEnrolment
from course.learn.services import LessonState, outline
from course.models import (
    AttemptAnswer,
    Course,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
)
from course.wording import and_list

# One round trip for the three figures every page's progress bar needs; built once
# because building it costs more than running it.
PASSED_ATTEMPT_ID = (
    select(PostTestAttempt.id)
    .where(
        PostTestAttempt.enrolment_id == bindparam("enrolment_id"),
        PostTestAttempt.passed.is_(True),
    )
    .order_by(PostTestAttempt.number)
    .limit(1)
)
_PROGRESS_FIGURES = select(
    select(func.coalesce(func.sum(LessonProgress.active_seconds), 0))
    .where(LessonProgress.enrolment_id == bindparam("enrolment_id"))
    .scalar_subquery(),
    PASSED_ATTEMPT_ID.scalar_subquery(),
    exists().where(EvaluationResponse.enrolment_id == bindparam("enrolment_id")),
)


class NotYetOpen(Exception):
    """The step is not open yet; ``reason`` tells the learner why in plain words."""

    def __init__(self, reason: str, heading: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.heading = heading


class Unanswered(NotYetOpen):
    """A post-test was submitted with questions left unanswered (their numbers, from 1)."""

    def __init__(self, numbers: list[int]) -> None:
        listed = ", ".join(str(n) for n in numbers)
        noun = "question" if len(numbers) == 1 else "questions"
        super().__init__(f"Please answer every question before submitting ({noun} {listed}).")
        self.numbers = numbers


@dataclass(frozen=True)
class Closed:
    """Why the post-test is not open for a learner now, for the pages that say so."""

    #: "lessons", "reading", "wait" (after a failed attempt) or "used_up" (no attempts left).
    why: str
    #: The not-open page's plain words.
    reason: str
    #: The course outline's short tag.
    tag: str
    #: Minutes of reading still needed ("reading") or of the wait left ("wait").
    minutes: int = 0
    #: When the wait after a failed attempt ends ("wait"): a clock time to plan around.
    opens_at: datetime | None = None
    #: The not-open page's heading, where "Post-test is not open yet" would mislead a
    #: learner who has already taken it.
    heading: str | None = None


class InvalidSubmission(Exception):
    """A submitted form does not fit what was asked (tampered or stale)."""


@dataclass(frozen=True)
class ShortLesson:
    """A lesson that shows less reading than its floor (``lessons.timing``) so far."""

    lesson: LessonView
    minutes_to_go: int


@dataclass(frozen=True)
class Progress:
    """Where a learner stands in a course."""

    lessons_done: int
    lessons_total: int
    active_seconds: int
    passed_attempt: PostTestAttempt | None
    evaluated: bool
    completed: bool
    #: The course's minimum active time before the post-test, in minutes.
    minimum_minutes: int = 0
    #: Lessons still short of their own floor, in course order.
    short_lessons: tuple[ShortLesson, ...] = ()

    @property
    def lessons_complete(self) -> bool:
        return self.lessons_done == self.lessons_total

    def minutes_short_in(self, lesson_id: int) -> int:
        """Minutes of reading the lesson still needs to reach its floor (0 once it has)."""
        return next((s.minutes_to_go for s in self.short_lessons if s.lesson.id == lesson_id), 0)

    @property
    def reading_done(self) -> bool:
        """The minimum met in all, and each lesson at its floor: the reading the post-test needs."""
        return not self.minutes_to_go and not self.short_lessons

    @property
    def minutes_to_go(self) -> int:
        """Whole minutes of reading still needed before the post-test opens (0 once met)."""
        return minutes_to_go(self.active_seconds, self.minimum_minutes)

    @property
    def steps_total(self) -> int:
        """The course's steps: each lesson, the post-test and the evaluation."""
        return self.lessons_total + 2

    @property
    def steps_done(self) -> int:
        return self.lessons_done + bool(self.passed_attempt) + self.evaluated

    @property
    def percent(self) -> int:
        """Share of the course's steps done (``steps_done`` of ``steps_total``)."""
        return round(100 * self.steps_done / self.steps_total)


def course_progress(
    course: Course | CourseContent,
    enrolment: Enrolment | LearnerEnrolment,
    states: list[LessonState] | None = None,
    *,
    read_again: bool = False,
) -> Progress:
    """Return the learner's progress through lessons, post-test and evaluation.

    A read-only enrolment (``reads``) carries the figures as its request first read them;
    ``read_again`` reads them anew, for a request that has written since.
    """
    # The snapshot's manifest: the ORM course's would load and decode its version again.
    content = content_of(course) if isinstance(course, Course) else course
    if states is None:
        states = outline(content, enrolment)
    if isinstance(enrolment, LearnerEnrolment) and not read_again:
        seconds = enrolment.active_seconds
        passed_id, evaluated = enrolment.passed_attempt_id, enrolment.evaluated
    else:
        seconds, passed_id, evaluated = db.session.execute(
            _PROGRESS_FIGURES, {"enrolment_id": enrolment.id}
        ).one()
    return Progress(
        lessons_done=sum(s.completed for s in states),
        lessons_total=len(states),
        active_seconds=int(seconds or 0),
        passed_attempt=db.session.get(PostTestAttempt, passed_id) if passed_id else None,
        evaluated=bool(evaluated),
        completed=enrolment.completed_at is not None,
        minimum_minutes=minimum_minutes_of(content.manifest),
        short_lessons=short_lessons(content, states),
    )


def short_lessons(content: CourseContent, states: list[LessonState]) -> tuple[ShortLesson, ...]:
    """The lessons whose active time is still under their floor, with the minutes to go."""
    floors = content.lesson_floors
    return tuple(
        ShortLesson(s.lesson, math.ceil((floors[s.lesson.id] - s.active_seconds) / 60))
        for s in states
        if s.active_seconds < floors.get(s.lesson.id, 0)
    )


def ensure_post_test_open(course: Course | CourseContent, enrolment: Enrolment) -> Progress:
    """Return the progress when the post-test is open.

    :raise NotYetOpen: until every lesson is complete and any minimum active time is met.
    """
    progress = course_progress(course, enrolment)
    closed = closed_by_progress(progress)
    if closed:
        raise NotYetOpen(closed.reason)
    return progress


def closed_by_progress(progress: Progress) -> Closed | None:
    """Return why the lessons keep the post-test closed; None once they open it."""
    if not progress.lessons_complete:
        left = progress.lessons_total - progress.lessons_done
        noun = "lesson" if left == 1 else "lessons"
        reason = f"The post-test opens when every lesson is complete: {left} {noun} to go."
        if progress.minutes_to_go:
            # Said now, so that finishing the lessons quickly holds no second surprise.
            reason += (f" It also needs at least {progress.minimum_minutes} minutes of reading"
                       f" in the lessons; you have about {progress.minutes_to_go} to go.")
        return Closed("lessons", reason, "Opens after the lessons")
    if progress.minutes_to_go:
        left = progress.minutes_to_go
        minutes = "minute" if left == 1 else "minutes"
        return Closed(
            "reading",
            f"The post-test opens after at least {progress.minimum_minutes} minutes of"
            f" reading in the lessons. You have about {left} more {minutes} of reading to"
            " go. Reading a lesson again counts, so you can go back to any of them."
            + _short_words(progress.short_lessons, of_those=left,
                           every=len(progress.short_lessons) == progress.lessons_total),
            f"Opens after {left} more {minutes} of reading",
            left,
        )
    if progress.short_lessons:
        left = sum(short.minutes_to_go for short in progress.short_lessons)
        return Closed(
            "reading",
            "The post-test opens when every lesson shows some reading time, not only"
            f" {progress.minimum_minutes} minutes in all." + _short_words(progress.short_lessons)
            + " Reading a lesson again counts.",
            "Opens after more reading in lesson"
            + ("s " if len(progress.short_lessons) > 1 else " ")
            + and_list([str(s.lesson.position) for s in progress.short_lessons]),
            left,
        )
    return None


def _short_words(short: tuple[ShortLesson, ...], *, of_those: int = 0, every: bool = False) -> str:
    """The sentence naming the lessons short of their own floor, and by how much
    (``of_those``: the minutes in all just said, which the lessons' share is part of;
    ``every``: every lesson of the course is short)."""
    if not short:
        return ""
    total = sum(s.minutes_to_go for s in short)
    # Reading already past one lesson's floor counts toward the whole but not toward
    # another's, so the lessons can need more than the whole has left: "at least 5 of
    # those 2 minutes" would then be nonsense, and each figure is said on its own.
    if of_those and total <= of_those:
        # Two figures side by side ("22 more minutes", "13 more minutes in all") read as
        # a contradiction or a sum: the lessons' share is part of the whole.
        if every and len(short) > 1:
            # "must be in lessons 1, 2, 3, 4, 5, 6 and 7" named the whole course: all the
            # reading is in the lessons, so it read as a riddle. The point is the spread.
            return (f" At least {total} of those minutes must be spread over every lesson;"
                    " the course page lists how much each lesson needs.")
        where = (f"lesson {short[0].lesson.position}, {short[0].lesson.title}"
                 if len(short) == 1 else
                 "lessons " + and_list([str(s.lesson.position) for s in short]))
        return (f" At least {total} of those minutes must be in {where}; the course page"
                " lists how much each lesson needs.")

    def more(s: ShortLesson) -> str:
        return f"about {s.minutes_to_go} more minute{'s' if s.minutes_to_go != 1 else ''}"

    if len(short) == 1:
        (s,) = short
        return f" Lesson {s.lesson.position}, {s.lesson.title}, needs {more(s)} of reading."
    # Titles and each lesson's minutes are in the course outline: a sentence of seven
    # titles ran to a screen on a phone.
    numbers = and_list([str(s.lesson.position) for s in short])
    return (f" Lessons {numbers} need a little more reading, about {total} more minutes in"
            " all; the course page lists how much each needs.")


def post_test_state(
    course: Course | CourseContent, enrolment: Enrolment
) -> tuple[Progress, PostTestAttempt | None]:
    """Return the progress and the open attempt (None once passed or before a draw).

    Reads only, so a reload of the post-test never waits for the write lock.

    :raise NotYetOpen: see ``ensure_post_test_open``.
    """
    progress = ensure_post_test_open(course, enrolment)
    if progress.passed_attempt:
        return progress, None
    # From the enrolment's attempts, which the page reads anyway (attempts left, and the
    # questions seen before a draw): one query instead of two.
    return progress, next((a for a in enrolment.attempts if a.is_open), None)


def open_attempt(enrolment: Enrolment) -> PostTestAttempt | None:
    """Return the learner's drawn, not yet submitted attempt, if there is one."""
    return db.session.scalar(
        select(PostTestAttempt).where(
            PostTestAttempt.enrolment_id == enrolment.id,
            PostTestAttempt.submitted_at.is_(None),
            PostTestAttempt.reset_at.is_(None),  # an admin reset it: a fresh draw replaces it
        )
    )


def get_attempt_or_404(enrolment: Enrolment, number: int) -> PostTestAttempt:
    """Return one of the learner's own attempts.

    :raise LookupError: when the learner has no attempt with that number.
    """
    for attempt in enrolment.attempts:
        if attempt.number == number:
            return attempt
    raise LookupError(number)


def answers_by_question(attempt: PostTestAttempt) -> dict[int, AttemptAnswer]:
    """Return a submitted attempt's answers keyed by question id."""
    return {answer.question_id: answer for answer in attempt.answers}
