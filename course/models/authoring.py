"""Authoring: the working copy of a course package and every saved revision of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.content import Course, CourseVersion
from course.models.users import User


class CourseDraft(db.Model):
    """A course package being edited; learners only ever see published versions."""

    __tablename__ = "course_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The package slug; a course created by upload has no Course row until published.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), unique=True)
    #: Every file of the package as it now stands, name -> text.
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    #: The number of the latest revision, bumped under a row lock on every save.
    revision_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course | None] = relationship()
    revisions: Mapped[list[DraftRevision]] = relationship(
        back_populates="draft", order_by="DraftRevision.number"
    )

    def __repr__(self) -> str:
        return f"<CourseDraft {self.slug} r{self.revision_number}>"


class DraftRevision(db.Model):
    """One saved state of a draft: who saved which file, when, and every file as it stood."""

    __tablename__ = "draft_revision"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_draft.id"))
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: start, save, restore, upload or undo.
    action: Mapped[str] = mapped_column(String(20))
    #: The file saved (None when several changed, e.g. a reorder, restore or upload).
    file: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300))
    #: The whole package after this save, name -> text (packages are small).
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    #: Set when this revision was published, to the course version it became.
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("course_version.id"))

    draft: Mapped[CourseDraft] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()
    published_version: Mapped[CourseVersion | None] = relationship()

    def __repr__(self) -> str:
        return f"<DraftRevision {self.draft_id} r{self.number}>"
