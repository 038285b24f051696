"""Post-test and evaluation: when they open, the stored draw, exactly-once submission."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from course import outbox
from course.db import utcnow
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.learn.activetime import minimum_minutes_of, minutes_to_go
from course.learn.content import CourseContent, content_of
from course.learn.grading import grade_row
from course.learn.services import LessonState, outline
from course.models import (
    AttemptAnswer,
    Choice,
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
    Question,
    QuestionKind,
)

_shuffler = random.SystemRandom()
# One round trip for the three figures every page's progress bar needs; built once
# because building it costs more than running it.
_PASSED_ATTEMPT_ID = (
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
    _PASSED_ATTEMPT_ID.scalar_subquery(),
    exists().where(EvaluationResponse.enrolment_id == bindparam("enrolment_id")),
)
# The whole bank as plain rows (ids and choice keys): a draw needs no more, and loading
# thirty questions with their choices as objects cost several milliseconds a visit.
_BANK_CHOICE_KEYS = (
    select(Question.id, Question.key, Question.type, Choice.key)
    .outerjoin(Choice, Choice.question_id == Question.id)
    .where(
        Question.course_id == bindparam("course_id"),
        Question.kind == QuestionKind.POST_TEST,
        Question.archived_at.is_(None),
    )
    .order_by(Question.id, Choice.position)
)
LIKERT_LABELS = {
    "1": "Strongly disagree",
    "2": "Disagree",
    "3": "Neither agree nor disagree",
    "4": "Agree",
    "5": "Strongly agree",
}


class NotYetOpen(Exception):
    """The step is not open yet; ``reason`` tells the learner why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unanswered(NotYetOpen):
    """A post-test was submitted with questions left unanswered (their numbers, from 1)."""

    def __init__(self, numbers: list[int]) -> None:
        listed = ", ".join(str(n) for n in numbers)
        noun = "question" if len(numbers) == 1 else "questions"
        super().__init__(f"Please answer every question before submitting ({noun} {listed}).")
        self.numbers = numbers


class InvalidSubmission(Exception):
    """A submitted form does not fit what was asked (tampered or stale)."""


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

    @property
    def lessons_complete(self) -> bool:
        return self.lessons_done == self.lessons_total

    @property
    def minutes_to_go(self) -> int:
        """Whole minutes of reading still needed before the post-test opens (0 once met)."""
        return minutes_to_go(self.active_seconds, self.minimum_minutes)

    @property
    def percent(self) -> int:
        """Share of the course's steps done: lessons, post-test, evaluation."""
        steps = self.lessons_total + 2
        done = self.lessons_done + bool(self.passed_attempt) + self.evaluated
        return round(100 * done / steps)


@dataclass(frozen=True)
class DrawnQuestion:
    """A question of an attempt, with its choices in the attempt's shuffled order."""

    question: Question
    choice_keys: tuple[str, ...]

    @property
    def choices(self):
        by_key = {c.key: c for c in self.question.choices}
        return [by_key[key] for key in self.choice_keys if key in by_key]


def course_progress(
    course: Course | CourseContent, enrolment: Enrolment, states: list[LessonState] | None = None
) -> Progress:
    """Return the learner's progress through lessons, post-test and evaluation."""
    if states is None:
        states = outline(content_of(course) if isinstance(course, Course) else course, enrolment)
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
        minimum_minutes=minimum_minutes_of(course.manifest),
    )


def ensure_post_test_open(course: Course, enrolment: Enrolment) -> Progress:
    """Return the progress when the post-test is open.

    :raise NotYetOpen: until every lesson is complete and any minimum active time is met.
    """
    progress = course_progress(course, enrolment)
    if not progress.lessons_complete:
        left = progress.lessons_total - progress.lessons_done
        noun = "lesson" if left == 1 else "lessons"
        raise NotYetOpen(f"The post-test opens when every lesson is complete: {left} {noun} to go.")
    if progress.minutes_to_go:
        left = progress.minutes_to_go
        raise NotYetOpen(
            f"The post-test opens after at least {progress.minimum_minutes} minutes of"
            f" reading in the lessons. You have about {left} more"
            f" {'minute' if left == 1 else 'minutes'} of reading to go: take your time with"
            " the lessons and come back."
        )
    return progress


def post_test_state(
    course: Course, enrolment: Enrolment
) -> tuple[Progress, PostTestAttempt | None]:
    """Return the progress and the open attempt (None once passed or before a draw).

    Reads only, so a reload of the post-test never waits for the write lock.

    :raise NotYetOpen: see ``ensure_post_test_open``.
    """
    progress = ensure_post_test_open(course, enrolment)
    return progress, None if progress.passed_attempt else _open_attempt(enrolment)


def prepare_draw(course: Course) -> list[dict]:
    """Draw the post-test's questions and shuffle their choices; reads only.

    Returns what an attempt stores, so a reload shows the same questions in the same order.
    """
    bank: dict[int, tuple[str, str, list[str]]] = {}
    for question_id, key, question_type, choice_key in db.session.execute(
        _BANK_CHOICE_KEYS, {"course_id": course.id}
    ):
        bank.setdefault(question_id, (key, question_type, []))[2].append(choice_key)
    count = min(int(course.manifest["post_test_draw"]), len(bank))
    draw = []
    for question_id in _shuffler.sample(sorted(bank), count):
        key, question_type, choice_keys = bank[question_id]
        keys = [k for k in choice_keys if k is not None]  # None: a question with no choices
        if question_type != "true_false":
            _shuffler.shuffle(keys)
        draw.append({"question_id": question_id, "key": key, "choices": keys})
    return draw


def store_draw(course: Course, enrolment: Enrolment, draw: list[dict]) -> PostTestAttempt | None:
    """Store a prepared draw as the open attempt; inside the write transaction.

    Checked again first, in SQL: if another tab drew meanwhile, its attempt is returned
    instead; if another tab passed meanwhile, None (there is nothing left to take).
    """
    if db.session.scalar(_PASSED_ATTEMPT_ID, {"enrolment_id": enrolment.id}) is not None:
        return None
    open_attempt = _open_attempt(enrolment)
    if open_attempt is not None:
        return open_attempt
    latest = db.session.scalar(
        select(func.max(PostTestAttempt.number)).where(
            PostTestAttempt.enrolment_id == enrolment.id
        )
    )
    attempt = PostTestAttempt(
        enrolment_id=enrolment.id,
        number=1 + (latest or 0),
        version_id=course.current_version_id,
        draw=draw,
        question_count=len(draw),
        started_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another connection drew at the same moment (possible on PostgreSQL).
        attempt = _open_attempt(enrolment)
    else:
        outbox.post_test_attempted(attempt)
    return attempt


def _open_attempt(enrolment: Enrolment) -> PostTestAttempt | None:
    return db.session.scalar(
        select(PostTestAttempt).where(
            PostTestAttempt.enrolment_id == enrolment.id, PostTestAttempt.submitted_at.is_(None)
        )
    )


def drawn_questions(attempt: PostTestAttempt) -> list[DrawnQuestion]:
    """Return the attempt's questions in their drawn order."""
    ids = [item["question_id"] for item in attempt.draw]
    rows = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    return [
        DrawnQuestion(rows[item["question_id"]], tuple(item["choices"]))
        for item in attempt.draw
        if item["question_id"] in rows
    ]


def get_attempt_or_404(enrolment: Enrolment, number: int) -> PostTestAttempt:
    """Return one of the learner's own attempts.

    :raise LookupError: when the learner has no attempt with that number.
    """
    for attempt in enrolment.attempts:
        if attempt.number == number:
            return attempt
    raise LookupError(number)


@dataclass(frozen=True)
class GradedAttempt:
    """An attempt's answers graded against the drawn questions, not yet recorded.

    Rows hold question ids, not questions: the write transaction that records them
    begins with a commit, and an expired question would be loaded again under the lock.
    """

    rows: tuple[tuple[int, list[str], bool], ...]
    correct: int
    passed: bool

    @property
    def score_percent(self) -> int:
        return (100 * self.correct) // len(self.rows) if self.rows else 0


def grade_attempt(
    course: Course, attempt: PostTestAttempt, answers: dict[str, list[str]]
) -> GradedAttempt:
    """Grade an attempt's answers; reads only, so it runs before the write transaction.

    ``answers`` maps question keys to selected choice keys.

    :raise InvalidSubmission: when an answer names a question that was not drawn, or a
        choice the question does not have.
    :raise NotYetOpen: when a drawn question is left unanswered.
    """
    drawn = drawn_questions(attempt)
    by_key = {d.question.key: d.question for d in drawn}
    unknown = set(answers) - set(by_key)
    if unknown:
        raise InvalidSubmission("answers for questions that are not in this attempt")
    missing = [i for i, d in enumerate(drawn, start=1) if not answers.get(d.question.key)]
    if missing and attempt.submitted_at is None:
        raise Unanswered(missing)
    rows = []
    for key, question in by_key.items():
        try:
            result = grade_row(question, answers.get(key, []))
        except ValueError as exc:
            raise InvalidSubmission(str(exc)) from exc
        rows.append((question.id, sorted(set(answers.get(key, []))), result.correct))
    correct = sum(ok for _, _, ok in rows)
    passing = int(course.manifest["passing_score"])
    passed = bool(rows) and correct * 100 >= passing * len(rows)
    return GradedAttempt(tuple(rows), correct, passed)


def record_attempt(attempt: PostTestAttempt, graded: GradedAttempt) -> tuple[PostTestAttempt, bool]:
    """Record a graded attempt exactly once; return it and whether this call recorded it."""
    # A conditional update is the lock: of two racing submits only one matches.
    claimed = db.session.execute(
        update(PostTestAttempt)
        .where(PostTestAttempt.id == attempt.id, PostTestAttempt.submitted_at.is_(None))
        .values(
            submitted_at=utcnow(),
            correct_count=graded.correct,
            score_percent=graded.score_percent,
            passed=graded.passed,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        # One statement for all the answers: the write lock is held while they go in.
        rows = [
            {"attempt_id": attempt.id, "question_id": qid, "selected": selected, "is_correct": ok}
            for qid, selected, ok in graded.rows
        ]
        db.session.execute(insert(AttemptAnswer), rows)
    db.session.refresh(attempt)
    if claimed:
        outbox.post_test_submitted(attempt)
    return attempt, bool(claimed)


def answers_by_question(attempt: PostTestAttempt) -> dict[int, AttemptAnswer]:
    """Return a submitted attempt's answers keyed by question id."""
    return {answer.question_id: answer for answer in attempt.answers}


def evaluation_items(course: Course) -> list[EvaluationItem]:
    """Return the course's live evaluation items in order."""
    return list(
        db.session.scalars(
            select(EvaluationItem)
            .where(EvaluationItem.course_id == course.id, EvaluationItem.archived_at.is_(None))
            .order_by(EvaluationItem.position)
            # Fresh values even for items this session already holds (objects outlive
            # commits), so a submit checks against the form as it is now.
            .execution_options(populate_existing=True)
        )
    )


def _evaluation_of(enrolment: Enrolment) -> EvaluationResponse | None:
    return db.session.scalar(
        select(EvaluationResponse).where(EvaluationResponse.enrolment_id == enrolment.id)
    )


def ensure_evaluation_open(course: Course, enrolment: Enrolment) -> Progress:
    """Return the progress when the evaluation may be filled in.

    :raise NotYetOpen: until the post-test is passed.
    """
    progress = course_progress(course, enrolment)
    if progress.passed_attempt is None:
        raise NotYetOpen("The evaluation opens once you have passed the post-test.")
    return progress


def validate_evaluation(items: list[EvaluationItem], values: dict[str, str]) -> dict[str, str]:
    """Return an error message per item key for missing or out-of-range answers."""
    errors: dict[str, str] = {}
    for item in items:
        value = (values.get(item.key) or "").strip()
        if not value:
            if item.required:
                errors[item.key] = "Please answer this question."
            continue
        if item.type == "likert" and value not in LIKERT_LABELS:
            errors[item.key] = "Choose one of the five options."
        elif item.type == "choice" and value not in item.choices:
            errors[item.key] = "Choose one of the options."
        elif item.type == "number":
            # ASCII digits only ("²".isdigit() is true, but int() refuses it), and few
            # enough that int() never parses thousands of them.
            if not (value.isascii() and value.isdigit()):
                errors[item.key] = "Enter a whole number."
            elif len(value.lstrip("0")) > 9:
                errors[item.key] = "Enter a smaller number."
            elif item.minimum is not None and int(value) < item.minimum:
                errors[item.key] = f"Enter a number of at least {item.minimum}."
            elif item.maximum is not None and int(value) > item.maximum:
                errors[item.key] = f"Enter a number no larger than {item.maximum}."
        elif item.type == "text" and len(value) > 5000:
            errors[item.key] = "Please keep comments under 5,000 characters."
    return errors


def submit_evaluation(
    course: Course, enrolment: Enrolment, values: dict[str, str]
) -> EvaluationResponse:
    """Store the evaluation once and complete the course.

    :raise NotYetOpen: before the post-test is passed.
    :raise InvalidSubmission: when answers are missing or out of range (see
        ``validate_evaluation`` for the messages).
    """
    ensure_evaluation_open(course, enrolment)
    items = evaluation_items(course)
    if validate_evaluation(items, values):
        raise InvalidSubmission("evaluation answers are missing or out of range")
    now = utcnow()
    inserted = insert_ignoring_duplicates(
        EvaluationResponse,
        {
            "enrolment_id": enrolment.id,
            "version_id": course.current_version_id,
            "submitted_at": now,
        },
    )
    response = _evaluation_of(enrolment)
    if inserted:
        for item in items:
            value = (values.get(item.key) or "").strip()
            if value:
                answer = EvaluationAnswer(response_id=response.id, item_id=item.id, value=value)
                db.session.add(answer)
        enrolment.completed_at = enrolment.completed_at or now
        db.session.flush()
        outbox.course_completed(enrolment)
    return response
