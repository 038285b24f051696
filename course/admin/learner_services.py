"""Learners for administrators: search and one learner's full record.

Services flush and never commit; every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from course.admin.paging import Page, paginate
from course.extensions import db
from course.learn.activetime import EnrolmentTime, enrolment_time
from course.learn.assessment import Progress, course_progress
from course.learn.posttest import answered_question
from course.learn.retakes import AttemptRecord, attempt_history
from course.models import (
    AttemptAnswer,
    Certificate,
    CheckResponse,
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationResponse,
    Lesson,
    LessonProgress,
    PostTestAttempt,
    Question,
    QuestionKind,
    Role,
    User,
)
from course.names import normalise_name, search_key


@dataclass(frozen=True)
class LearnerRow:
    """A person in the learners list, with counts of what they have taken."""

    user: User
    enrolments: int
    completed: int
    certificates: int


@dataclass(frozen=True)
class LessonTime:
    """A lesson as one learner did it: when, and how much active time."""

    lesson: Lesson
    progress: LessonProgress | None


@dataclass(frozen=True)
class CheckSummary:
    """A knowledge check as one learner answered it: the newest try and how many tries."""

    newest: CheckResponse
    tries: int


@dataclass(frozen=True)
class CheckHistory:
    """A page of one enrolment's knowledge-check tries, newest first, maybe of one check."""

    enrolment: Enrolment
    #: Every check answered, for the choice of check to show.
    checks: list[CheckSummary]
    #: The check shown, or None for all of them.
    question: Question | None
    page: Page


@dataclass(frozen=True)
class EnrolmentRecord:
    """Everything a learner did in one course, as evidence for the credit."""

    enrolment: Enrolment
    course: Course
    progress: Progress
    #: Active time beside the estimate of the version taken.
    time: EnrolmentTime
    lessons: list[LessonTime]
    #: The newest try of each check answered, in course order; the rest are paged apart.
    checks: list[CheckSummary]
    attempts: list[PostTestAttempt]
    #: The same attempts with the version taken and the blueprint each draw followed.
    history: list[AttemptRecord]
    evaluation: EvaluationResponse | None
    certificates: list[Certificate]


def like_pattern(text: str) -> str:
    """Return a LIKE pattern matching ``text`` anywhere, with its wildcards taken literally.

    The text is normalised as names are stored (NFC, single spaces), so "Zoë" typed as
    "Zoe" plus a combining diaeresis still finds her.
    """
    return _anywhere(normalise_name(text))


def name_pattern(text: str) -> str:
    """Return a LIKE pattern for ``User.name_key``: ``text`` anywhere in a name, accents
    and case ignored ("nunez" finds "Núñez")."""
    return _anywhere(search_key(text))


def _anywhere(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_learners(query: str | None, role: Role | None, page: int) -> Page:
    """Return a page of accounts matching name, email or licence number, by name."""
    statement = select(User.id).order_by(User.full_name, User.id)
    if query and query.strip():
        like = like_pattern(query)
        statement = statement.where(
            or_(
                User.name_key.like(name_pattern(query), escape="\\"),
                User.email.ilike(like, escape="\\"),
                User.licence_number.ilike(like, escape="\\"),
            )
        )
    if role is not None:
        statement = statement.where(User.role == role)
    # The page's ids first, then its accounts and their counts: joined to every enrolment
    # and certificate, the count and the page each grouped the whole provider, and sorting
    # whole rows to reach a deep page carried every account's columns through the sort.
    result = paginate(statement, page)
    ids = result.items
    users = {user.id: user for user in _accounts(ids)}
    counts = _taken(ids)
    rows = [LearnerRow(users[user_id], *counts.get(user_id, (0, 0, 0))) for user_id in ids]
    return Page(rows, result.number, result.per_page, result.total)


def _accounts(ids: list[int]) -> list[User]:
    """Return the accounts with these ids, in no particular order."""
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


def _taken(ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Return each account's enrolments, completions and certificates, by account id."""
    if not ids:
        return {}
    enrolled = db.session.execute(
        select(Enrolment.user_id, func.count(), func.count(Enrolment.completed_at))
        .where(Enrolment.user_id.in_(ids))
        .group_by(Enrolment.user_id)
    )
    counts = {user_id: (enrolments, completed, 0) for user_id, enrolments, completed in enrolled}
    certified = db.session.execute(
        select(Certificate.user_id, func.count())
        .where(Certificate.user_id.in_(ids))
        .group_by(Certificate.user_id)
    )
    for user_id, certificates in certified:
        enrolments, completed, _ = counts.get(user_id, (0, 0, 0))
        counts[user_id] = (enrolments, completed, certificates)
    return counts


def learner_record(user: User) -> list[EnrolmentRecord]:
    """Return the learner's enrolments with progress, answers, attempts and certificates."""
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.enrolled_at.desc())
        .options(selectinload(Enrolment.course))
    )
    return [_enrolment_record(enrolment) for enrolment in enrolments]


def _enrolment_record(enrolment: Enrolment) -> EnrolmentRecord:
    course = enrolment.course
    done = {
        row.lesson_id: row
        for row in db.session.scalars(
            select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)
        )
    }
    # Live lessons in order, then any archived lesson the learner spent time on.
    lessons = [LessonTime(lesson, done.get(lesson.id)) for lesson in course.live_lessons]
    lessons += [
        LessonTime(lesson, done[lesson.id])
        for lesson in course.lessons
        if lesson.archived_at is not None and lesson.id in done
    ]
    attempts = db.session.scalars(
        select(PostTestAttempt)
        .where(PostTestAttempt.enrolment_id == enrolment.id)
        .order_by(PostTestAttempt.number)
        .options(
            selectinload(PostTestAttempt.answers)
            .selectinload(AttemptAnswer.question)
            .selectinload(Question.choices),
            selectinload(PostTestAttempt.reset_by),
        )
    )
    evaluation = db.session.scalar(
        select(EvaluationResponse)
        .where(EvaluationResponse.enrolment_id == enrolment.id)
        .options(selectinload(EvaluationResponse.answers).selectinload(EvaluationAnswer.item))
    )
    issued = db.session.scalars(
        select(Certificate)
        .where(Certificate.enrolment_id == enrolment.id)
        .order_by(Certificate.issued_at, Certificate.id)
    )
    return EnrolmentRecord(
        enrolment=enrolment,
        course=course,
        progress=course_progress(course, enrolment),
        time=enrolment_time(enrolment),
        lessons=lessons,
        checks=check_summaries(enrolment),
        attempts=list(attempts),
        history=attempt_history(enrolment),
        evaluation=evaluation,
        certificates=list(issued),
    )


def check_summaries(enrolment: Enrolment) -> list[CheckSummary]:
    """Return each knowledge check the enrolment answered: its newest try and the count."""
    mine = (CheckResponse.enrolment_id == enrolment.id, CheckResponse.question_id == Question.id)
    # Every try is kept; per check of the course, the newest is one seek from the end of
    # the (enrolment, question, id) index and the count one range of it, as on the lesson
    # page, so a learner's thousandth try costs the record what the first did.
    answered = (
        select(
            select(CheckResponse.id)
            .where(*mine)
            .order_by(CheckResponse.id.desc())
            .limit(1)
            .correlate(Question)
            .scalar_subquery()
            .label("newest_id"),
            select(func.count()).where(*mine).correlate(Question).scalar_subquery().label("tries"),
            Lesson.position.label("lesson_position"),
            Question.position,
        )
        .outerjoin(Lesson, Lesson.id == Question.lesson_id)
        .where(Question.course_id == enrolment.course_id, Question.kind == QuestionKind.CHECK)
        .subquery()
    )
    rows = db.session.execute(
        select(CheckResponse, answered.c.tries)
        .join(answered, answered.c.newest_id == CheckResponse.id)
        .order_by(answered.c.lesson_position, answered.c.position, CheckResponse.id)
        .options(selectinload(CheckResponse.question).selectinload(Question.choices))
    )
    return [CheckSummary(newest, tries) for newest, tries in rows]


def check_history(user: User, enrolment_id: int, key: str | None, page: int) -> CheckHistory | None:
    """Return a page of one of the user's enrolments' check tries, newest first.

    :return: None when the enrolment is not the user's, or ``key`` names no check it
        answered; without a key, the tries of every check.
    """
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.id == enrolment_id, Enrolment.user_id == user.id)
        .options(selectinload(Enrolment.course))
    )
    if enrolment is None:
        return None
    checks = check_summaries(enrolment)
    question = None
    if key:
        question = next((c.newest.question for c in checks if c.newest.question.key == key), None)
        if question is None:
            return None
    statement = (
        select(CheckResponse.id)
        .where(CheckResponse.enrolment_id == enrolment.id)
        .order_by(CheckResponse.id.desc())
    )
    if question is not None:
        statement = statement.where(CheckResponse.question_id == question.id)
    # Ids first, from the index alone: across every check they are sorted, and sorting
    # whole rows to reach a deep page would carry every try's columns through the sort.
    ids = paginate(statement, page)
    tries = {
        response.id: response
        for response in db.session.scalars(
            select(CheckResponse)
            .where(CheckResponse.id.in_(ids.items))
            .options(selectinload(CheckResponse.question).selectinload(Question.choices))
        )
    }
    shown = Page([tries[i] for i in ids.items], ids.number, ids.per_page, ids.total)
    return CheckHistory(enrolment, checks, question, shown)


def answer_text(answer: AttemptAnswer | CheckResponse) -> str:
    """Return the chosen answers as plain text, e.g. "b. Feeling unheard".

    A post-test answer shows the choices as graded; a knowledge check's, as they are now.
    """
    if isinstance(answer, AttemptAnswer):
        choices = answered_question(answer).choices
    else:
        choices = tuple(answer.question.choices)
    by_key = {choice.key: choice for choice in choices}
    parts = []
    for key in answer.selected:
        choice = by_key.get(key)
        text = Markup(choice.text_html).striptags() if choice else "(choice no longer offered)"
        parts.append(f"{key}. {text}")
    return "; ".join(parts) or "(no answer)"


def keyed_text(answer: AttemptAnswer) -> str:
    """Return a post-test answer's keyed choices as plain text, as graded."""
    keyed = [c for c in answered_question(answer).choices if c.is_correct]
    return "; ".join(f"{c.key}. {Markup(c.text_html).striptags()}" for c in keyed)


def question_text(answer: AttemptAnswer) -> str:
    """Return a post-test answer's question prompt as plain text, as graded."""
    return Markup(answered_question(answer).prompt_html).striptags()
