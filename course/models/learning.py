"""Learner records: enrolments, lesson progress, answers, attempts and evaluations.

Nothing here is ever deleted: these rows are the evidence behind CE credit.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.content import Course, CourseVersion, EvaluationItem, Lesson, Question
from course.models.users import User


class Enrolment(db.Model):
    """A learner taking a course; one per learner and course."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        # A course's completions, for its roster and audit pack, in the order they came.
        Index(None, "course_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set once lessons, post-test and evaluation are all done.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Active time is credited only after this mark, which every credit moves to its
    #: own time: parallel tabs and heartbeats never count the same minute twice.
    credited_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The lesson of the learner's latest page request: the time until the next one is
    #: reading time of this lesson.
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    #: The learner's own random seed for the order of knowledge-check choices: the same
    #: order on every visit, and not one a script could work out from ids.
    choice_seed: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    #: The evaluation answers saved so far ({item key: value}), until it is submitted:
    #: nothing typed is lost to a closed tab or a session that timed out.
    evaluation_draft: Mapped[dict[str, str] | None] = mapped_column(JSON)
    evaluation_draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    progress: Mapped[list[LessonProgress]] = relationship(back_populates="enrolment")
    attempts: Mapped[list[PostTestAttempt]] = relationship(
        back_populates="enrolment", order_by="PostTestAttempt.number"
    )


class LessonProgress(db.Model):
    """How far a learner is in one lesson, and the active time spent on it."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "lesson_id"),
        # The course report's median active time of those who finished each lesson. Not
        # active_seconds too: every heartbeat and answer changes it, and would rewrite
        # the index entry on the learners' most frequent write.
        Index(None, "lesson_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reached_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Seconds of measured activity (heartbeats, or page timestamps without JavaScript).
    active_seconds: Mapped[int] = mapped_column(default=0)
    #: The part of active_seconds credited from page timestamps alone; it never exceeds
    #: the lesson's reading estimate, however often the page is reloaded.
    page_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    enrolment: Mapped[Enrolment] = relationship(back_populates="progress")
    lesson: Mapped[Lesson] = relationship()


class CheckResponse(db.Model):
    """One answer to a knowledge check; every try is kept."""

    __tablename__ = "check_response"
    # Ends in id so the newest try per question is one seek from the index's end, on
    # PostgreSQL as on SQLite (where every index ends in the row id anyway).
    __table_args__ = (Index(None, "enrolment_id", "question_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    #: Choice keys the learner selected, e.g. ["b"].
    selected: Mapped[list[str]] = mapped_column(JSON)
    is_correct: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Random token from the form: a resubmitted form is stored once.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    question: Mapped[Question] = relationship()


class PostTestAttempt(db.Model):
    """One post-test attempt: the stored draw, then the answers and score."""

    __tablename__ = "post_test_attempt"
    __table_args__ = (
        # Also what stops a draw on PostgreSQL that another tab's attempt overtook after
        # its check of the cap and the wait (``posttest.store_draw``).
        UniqueConstraint("enrolment_id", "number"),
        # At most one open attempt per enrolment: not submitted, not reset by an admin.
        Index(
            "uq_post_test_attempt_open",
            "enrolment_id",
            unique=True,
            sqlite_where=text("submitted_at IS NULL AND reset_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL AND reset_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    number: Mapped[int]
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    #: The drawn questions in display order with their shuffled choice order:
    #: [{"question_id": 3, "key": "pt-1", "objective": "LO2", "choices": ["c", "a", "b"]}, ...]
    draw: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: How the draw was balanced: each objective's questions in it and in the bank,
    #: [{"objective": "LO1", "drawn": 2, "bank": 5}, ...]; None for attempts drawn before.
    blueprint: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correct_count: Mapped[int | None]
    question_count: Mapped[int]
    score_percent: Mapped[int | None]
    passed: Mapped[bool | None]
    #: The version whose rules graded it (the one published at submission, which can be
    #: newer than the draw's) and its passing score (percent); None before they were kept.
    graded_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_version.id"))
    passing_score: Mapped[int | None]
    #: Set when an admin reset the attempt (with who and why): it stays in the record but
    #: no longer counts, and an open one no longer blocks a fresh draw.
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reset_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reset_reason: Mapped[str | None] = mapped_column(Text)
    #: The answers chosen so far ({question key: [choice keys]}) while the attempt is
    #: open, saved as the learner chooses them; cleared once the answers are recorded.
    draft: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    enrolment: Mapped[Enrolment] = relationship(back_populates="attempts")
    version: Mapped[CourseVersion] = relationship(foreign_keys=[version_id])
    graded_version: Mapped[CourseVersion | None] = relationship(foreign_keys=[graded_version_id])
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt")
    reset_by: Mapped[User | None] = relationship(foreign_keys=[reset_by_id])

    @property
    def counts(self) -> bool:
        """False once an admin reset the attempt: attempt limits leave it out."""
        return self.reset_at is None

    @property
    def is_open(self) -> bool:
        """Drawn and not yet submitted, nor reset by an admin (a fresh draw replaces it)."""
        return self.submitted_at is None and self.reset_at is None


class AttemptAnswer(db.Model):
    """The answer given to one drawn question in a submitted attempt."""

    __tablename__ = "attempt_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("post_test_attempt.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    selected: Mapped[list[str]] = mapped_column(JSON)
    is_correct: Mapped[bool]
    #: The question as graded: {"prompt_html", "explanation_html", "choices": [{"key",
    #: "text_html", "is_correct"}, ...] in the order shown}. A later revision may reword
    #: or reorder the question's choices (their keys are positions), and reviews and
    #: records must still show what the learner answered. None for answers from before.
    shown: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    attempt: Mapped[PostTestAttempt] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class EvaluationResponse(db.Model):
    """A learner's submitted course evaluation; one per enrolment."""

    __tablename__ = "evaluation_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    answers: Mapped[list[EvaluationAnswer]] = relationship(back_populates="response")


class EvaluationAnswer(db.Model):
    """The answer to one evaluation item."""

    __tablename__ = "evaluation_answer"
    __table_args__ = (UniqueConstraint("response_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("evaluation_response.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("evaluation_item.id"))
    value: Mapped[str] = mapped_column(Text)

    response: Mapped[EvaluationResponse] = relationship(back_populates="answers")
    item: Mapped[EvaluationItem] = relationship()
