"""Review before publishing: who may publish a draft, and comments on its revisions.

A draft is published by a reviewer of the course (or an admin) who made none of the
changes being published. A provider too small for a second person can allow
self-publishing (``ALLOW_SELF_PUBLISH``); such a publish is recorded as one in the audit
log and in the version's note. Services flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from course.audit import record_event
from course.db import utcnow
from course.extensions import db
from course.models import (
    CourseDraft,
    CourseVersion,
    DraftRevision,
    RevisionComment,
    TeamRole,
    User,
)
from course.teams.services import can_publish, team_role

#: Revisions that change the draft (a "start" only copies the published files).
EDITS = ("save", "restore", "upload", "undo")
MAX_COMMENT = 5000


class ReviewRefused(Exception):
    """The user may not publish this draft; the message says why and what to do."""


@dataclass(frozen=True)
class PublishCheck:
    """Whether a user may publish a draft now, and what the audit record will say."""

    allowed: bool
    reason: str
    #: The publisher made some of the changes, and the setting lets them publish anyway.
    self_publish: bool
    #: Who made the changes since the last publish, by name, in order of their first edit.
    editors: tuple[User, ...]


def unpublished_edits(draft: CourseDraft | None) -> list[DraftRevision]:
    """The revisions that changed the draft since it was last published, oldest first."""
    if draft is None:
        return []
    last_published = db.session.scalar(
        select(func.max(DraftRevision.number)).where(
            DraftRevision.draft_id == draft.id, DraftRevision.published_version_id.is_not(None)
        )
    )
    query = (
        select(DraftRevision)
        .where(
            DraftRevision.draft_id == draft.id,
            DraftRevision.number > (last_published or 0),
            DraftRevision.action.in_(EDITS),
        )
        .options(defer(DraftRevision.files), selectinload(DraftRevision.author))
        .order_by(DraftRevision.number)
    )
    return list(db.session.scalars(query))


def publish_check(
    user: User,
    slug: str,
    title: str,
    draft: CourseDraft | None,
    *,
    allow_self: bool,
    edits: list[DraftRevision] | None = None,
) -> PublishCheck:
    """May ``user`` publish the draft of course ``slug`` now? With the reason if not.

    ``edits`` are the draft's ``unpublished_edits``, when the caller has read them already.
    """
    if edits is None:
        edits = unpublished_edits(draft)
    editors: dict[int, User] = {}
    for revision in edits:
        if revision.author is not None:
            editors.setdefault(revision.author.id, revision.author)
    people = tuple(editors.values())
    if not can_publish(user, slug):
        role = team_role(user, slug)
        reason = (
            f"Only a reviewer of “{title}” or an administrator can publish it. You are on its "
            "team as an author: a reviewer of the course reviews your changes and publishes them."
            if role == TeamRole.AUTHOR
            else f"Only a reviewer of “{title}” or an administrator can publish it."
        )
        return PublishCheck(False, reason, False, people)
    mine = [r.number for r in edits if r.author_id == user.id]
    if mine and not allow_self:
        numbers = ", ".join(str(n) for n in mine)
        which = "revisions" if len(mine) > 1 else "revision"
        reason = (
            f"You made changes in this draft ({which} {numbers}), so a reviewer who did not "
            "make them must publish it: ask another reviewer of the course or an administrator. "
            "(For a provider with a single reviewer, the site's administrator can allow "
            "self-publishing with the ALLOW_SELF_PUBLISH setting: see the authoring guide.)"
        )
        return PublishCheck(False, reason, False, people)
    return PublishCheck(True, "", bool(mine), people)


def require_publisher(
    user: User, slug: str, title: str, draft: CourseDraft | None, *, allow_self: bool
) -> PublishCheck:
    """The publish check, raising when the user may not publish.

    :raise ReviewRefused: with the reason, for a 403 page.
    """
    check = publish_check(user, slug, title, draft, allow_self=allow_self)
    if not check.allowed:
        raise ReviewRefused(check.reason)
    return check


# -- comments --------------------------------------------------------------------------


@dataclass(frozen=True)
class Comments:
    """A draft's review comments: on the changes not yet published, and on earlier versions."""

    #: On revisions learners do not see yet: open ones first, each group oldest first.
    current: list[RevisionComment]
    #: On revisions already published, oldest first, each with the version it went out in.
    earlier: list[tuple[RevisionComment, int]]


def published_revisions(draft: CourseDraft) -> list[tuple[int, int, datetime]]:
    """(revision, version, when) for each of the draft's revisions published, oldest first."""
    query = (
        select(DraftRevision.number, CourseVersion.number, CourseVersion.created_at)
        .join(CourseVersion, CourseVersion.id == DraftRevision.published_version_id)
        .where(DraftRevision.draft_id == draft.id)
        .order_by(DraftRevision.number)
    )
    return [(revision, version, at) for revision, version, at in db.session.execute(query)]


def _version_of(comment: RevisionComment, published: list[tuple[int, int, datetime]]) -> int | None:
    # What a comment is about went out in the first version published, after it was
    # written, from its revision or a later one; a comment written after a publish is
    # about what comes next, even on the revision that was published.
    return next((version for revision, version, at in published
                 if revision >= comment.revision_number and at >= comment.created_at), None)


def comments(draft: CourseDraft | None) -> Comments:
    """A draft's review comments, those on revisions already published set apart."""
    if draft is None:
        return Comments([], [])
    query = (
        select(RevisionComment)
        .where(RevisionComment.draft_id == draft.id)
        .options(selectinload(RevisionComment.author), selectinload(RevisionComment.resolved_by))
        .order_by(RevisionComment.id)
    )
    published = published_revisions(draft)
    current: list[RevisionComment] = []
    earlier: list[tuple[RevisionComment, int]] = []
    for comment in db.session.scalars(query):
        # A comment is about the revision it was made on, which went out in the first
        # version published from that revision or a later one.
        version = _version_of(comment, published)
        if version is None:
            current.append(comment)
        else:
            earlier.append((comment, version))
    current.sort(key=lambda c: c.resolved_at is not None)  # stable: open first, then resolved
    return Comments(current, earlier)


def open_comments(draft: CourseDraft | None) -> int:
    """How many comments on the changes not yet published are not resolved yet."""
    if draft is None:
        return 0
    query = select(RevisionComment).where(
        RevisionComment.draft_id == draft.id, RevisionComment.resolved_at.is_(None))
    found = list(db.session.scalars(query))
    if not found:
        return 0
    published = published_revisions(draft)
    return sum(_version_of(comment, published) is None for comment in found)


def settle_on_publish(
    draft: CourseDraft, publisher: User, version_number: int, ip_address: str | None
) -> list[RevisionComment]:
    """Close the draft's open comments as published in the new version, each audited.

    The publisher saw them beside the Publish button; left open, they would ask for work
    on changes learners already have.
    """
    query = select(RevisionComment).where(
        RevisionComment.draft_id == draft.id,
        RevisionComment.resolved_at.is_(None),
        RevisionComment.revision_number <= draft.revision_number,
    )
    settled = list(db.session.scalars(query.order_by(RevisionComment.id)))
    published = published_revisions(draft)
    now = utcnow()
    for comment in settled:
        comment.resolved_at, comment.resolved_by_id = now, publisher.id
        # One left open by an earlier publish names the version its revision went out in.
        version = _version_of(comment, published) or version_number
        record_event(
            publisher, "review.resolved", "course_draft", draft.slug,
            {"comment": comment.id, "revision": comment.revision_number,
             "published_in_version": version}, ip_address,
        )  # fmt: skip
    db.session.flush()
    return settled


def add_comment(
    draft: CourseDraft, user: User, body: str, file: str | None, ip_address: str | None
) -> RevisionComment:
    """Comment on the draft's latest revision (optionally on one of its files)."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ValueError("a comment needs text")
    if file is not None and file not in draft.files:
        file = None
    comment = RevisionComment(
        draft_id=draft.id,
        revision_number=draft.revision_number,
        author_id=user.id,
        file=file,
        body=body[:MAX_COMMENT],
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    record_event(
        user, "review.commented", "course_draft", draft.slug,
        {"revision": draft.revision_number, "comment": comment.id, "file": file}, ip_address,
    )  # fmt: skip
    return comment


def get_comment(draft: CourseDraft | None, comment_id: int) -> RevisionComment | None:
    """One of the draft's comments by id (None for another draft's)."""
    comment = db.session.get(RevisionComment, comment_id)
    return comment if draft is not None and comment and comment.draft_id == draft.id else None


def resolve_comment(comment: RevisionComment, user: User, ip_address: str | None) -> bool:
    """Mark a comment resolved; False when it already was."""
    if comment.resolved_at is not None:
        return False
    comment.resolved_at = utcnow()
    comment.resolved_by_id = user.id
    record_event(
        user, "review.resolved", "course_draft", comment.draft.slug,
        {"comment": comment.id, "revision": comment.revision_number}, ip_address,
    )  # fmt: skip
    db.session.flush()
    return True
