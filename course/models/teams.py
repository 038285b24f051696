"""Course teams and review: who may edit or publish a course, comments, review requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.authoring import CourseDraft
from course.models.users import User


class TeamRole(enum.StrEnum):
    """A person's part in one course: authors edit it; reviewers edit, review and publish."""

    AUTHOR = "author"
    REVIEWER = "reviewer"


class CourseMember(db.Model):
    """One person on one course's team (admins need no row: they work on every course)."""

    __tablename__ = "course_member"
    __table_args__ = (
        # One role per person and course; the slug names a course before it is published.
        UniqueConstraint("course_slug", "user_id"),
        CheckConstraint("role IN ('author', 'reviewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The package slug: a course created by upload has no Course row until published.
    course_slug: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[TeamRole] = mapped_column(
        Enum(
            TeamRole, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])

    def __repr__(self) -> str:
        return f"<CourseMember {self.course_slug} {self.user_id} {self.role.value}>"


class RevisionComment(db.Model):
    """A review comment on one revision of a draft, open until someone resolves it."""

    __tablename__ = "revision_comment"
    __table_args__ = (
        Index("ix_revision_comment_draft_id_revision_number", "draft_id", "revision_number"),
        CheckConstraint("revision_number > 0", name="revision_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_draft.id"))
    revision_number: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The package file the comment is about, if one (e.g. "01-push-pull.md").
    file: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    draft: Mapped[CourseDraft] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    def __repr__(self) -> str:
        return f"<RevisionComment {self.draft_id} r{self.revision_number}>"


class ReviewRequest(db.Model):
    """An author's request that a draft's revision be reviewed, open until it is published."""

    __tablename__ = "review_request"
    __table_args__ = (
        # One request per revision: asking again for the same changes tells nobody twice.
        UniqueConstraint("draft_id", "revision_number"),
        CheckConstraint("revision_number > 0", name="revision_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_draft.id"))
    #: The draft's revision when the author asked: later saves are changes since the request.
    revision_number: Mapped[int]
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when the draft is published, with who published it and as which version.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version_number: Mapped[int | None]

    draft: Mapped[CourseDraft] = relationship()
    asked_by: Mapped[User] = relationship(foreign_keys=[asked_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    def __repr__(self) -> str:
        return f"<ReviewRequest {self.draft_id} r{self.revision_number}>"
