"""Course content as imported from a package: courses, versions, lessons, questions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db


class Course(db.Model):
    """A course, identified by its package slug; its text lives in versions."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    #: Mirrors the current version's title for listing and sorting.
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_version.id", use_alter=True)
    )

    current_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.position"
    )

    @property
    def manifest(self) -> dict[str, Any]:
        """The current version's manifest (title, objectives, hours, provider...)."""
        return self.current_version.manifest if self.current_version else {}

    @property
    def live_lessons(self) -> list[Lesson]:
        """Lessons in the current version, in order."""
        return [lesson for lesson in self.lessons if lesson.archived_at is None]

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class CourseVersion(db.Model):
    """An immutable snapshot of a course package, created when its content changes."""

    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    number: Mapped[int]
    #: SHA-256 over the package's files; an unchanged re-import makes no version.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Normalised course.yaml fields plus derived figures (word count, estimate).
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Every source file of the package, name -> text, for export and audit.
    files: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    word_count: Mapped[int]
    estimated_minutes: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(String(500))

    course: Mapped[Course] = relationship(foreign_keys=[course_id])

    def __repr__(self) -> str:
        return f"<CourseVersion {self.course_id} v{self.number}>"


class CourseApproval(db.Model):
    """A CE approval an admin recorded for a course; it replaces the package's approval.

    One row per course, changed in place; the audit log keeps every earlier value and why.
    """

    __tablename__ = "course_approval"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), unique=True)
    body: Mapped[str] = mapped_column(String(300))
    number: Mapped[str] = mapped_column(String(100))
    statement: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)


class Lesson(db.Model):
    """A lesson, upserted by its slug; archived (never deleted) when it leaves the package."""

    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    markdown: Mapped[str] = mapped_column(Text, deferred=True)
    #: Sanitised HTML rendered at import; part i comes before knowledge check i.
    html_parts: Mapped[list[str]] = mapped_column(JSON)
    word_count: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship(back_populates="lessons")
    checks: Mapped[list[Question]] = relationship(
        back_populates="lesson", order_by="Question.position"
    )

    @property
    def live_checks(self) -> list[Question]:
        """Knowledge checks in the current version, in reading order."""
        return [q for q in self.checks if q.archived_at is None]

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"


class QuestionKind(enum.StrEnum):
    """Where a question is asked."""

    CHECK = "check"
    POST_TEST = "post_test"


class Question(db.Model):
    """A knowledge check or post-test question, upserted by its stable id (``key``)."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[QuestionKind] = mapped_column(
        Enum(
            QuestionKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"), index=True)
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(20))
    prompt_html: Mapped[str] = mapped_column(Text)
    objective: Mapped[str | None] = mapped_column(String(50))
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lesson: Mapped[Lesson | None] = relationship(back_populates="checks")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question",
        order_by="Choice.position",
        cascade="all, delete-orphan",
        lazy="selectin",  # a question is never shown without its choices
    )

    def __repr__(self) -> str:
        return f"<Question {self.key}>"


class Choice(db.Model):
    """One answer option of a question, keyed a, b, c... by position."""

    __tablename__ = "choice"
    __table_args__ = (UniqueConstraint("question_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    key: Mapped[str] = mapped_column(String(8))
    position: Mapped[int]
    text_html: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool]
    why_html: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[Question] = relationship(back_populates="choices")


class EvaluationItem(db.Model):
    """An item of the course evaluation form, upserted by its stable id."""

    __tablename__ = "evaluation_item"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(default=True)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    objective: Mapped[str | None] = mapped_column(String(50))
    minimum: Mapped[int | None]
    maximum: Mapped[int | None]
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
