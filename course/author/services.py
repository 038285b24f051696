"""Drafts and revisions: every save is a revision; publishing goes through the checker.

A course's draft is created from its published files on the first save. Learners never
see it: they read the Lesson and Question rows that only ``publish`` (import_package)
changes. Services flush; the view commits once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

import lessons
from course.audit import record_event
from course.author import checkcache
from course.author.diffing import change_summary
from course.author.errors import (
    AuthorError,
    DraftChanged,
    EditConflict,
    PublishRefused,
)
from course.db import utcnow
from course.extensions import db
from course.models import Course, CourseDraft, CourseVersion, DraftRevision, User
from course.packages import ImportResult, import_package
from course.teams.requests import close_on_publish
from course.teams.review import require_publisher, settle_on_publish
from lessons.editing import as_text, read_yaml
from lessons.loader import NOTE_FILES

Files = Mapping[str, str]
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
PACKAGE_FILES = ("course.yaml", "post-test.yaml", "evaluation.yaml")


@dataclass(frozen=True)
class Editor:
    """Who is editing, for revisions and the audit log."""

    user: User
    ip_address: str | None = None


@dataclass(frozen=True)
class Workspace:
    """A course as the author area sees it: the published course, its draft, or both."""

    slug: str
    course: Course | None
    draft: CourseDraft | None

    @property
    def published(self) -> CourseVersion | None:
        """The version learners see, if any."""
        return self.course.current_version if self.course else None

    @property
    def files(self) -> dict[str, str]:
        """The files being edited: the draft, or the published version before the first save."""
        if self.draft is not None:
            return dict(self.draft.files)
        return dict(self.published.files) if self.published else {}

    @property
    def revision(self) -> int:
        """The latest revision number (0 before the first save)."""
        return self.draft.revision_number if self.draft else 0

    @property
    def title(self) -> str:
        """The course title as the draft has it, or the slug."""
        data = read_yaml(self.files.get("course.yaml", ""))
        title = as_text(data.get("title")) if isinstance(data, dict) else ""
        return title or (self.course.title if self.course else self.slug)

    @property
    def unpublished(self) -> bool:
        """True when the draft holds changes learners do not see yet."""
        if self.draft is None:
            return False
        published = dict(self.published.files) if self.published else {}
        return package_files(self.draft.files) != published


@dataclass(frozen=True)
class Saved:
    """The outcome of a save: the new revision (None when nothing changed) and notes."""

    revision: DraftRevision | None
    notes: tuple[str, ...] = field(default=())


def package_files(files: Files) -> dict[str, str]:
    """The files a published version keeps (the checker ignores any others)."""
    # The team's notes (README.md, REVIEW.md) travel with a draft and are never published:
    # counted here, a draft holding them never matched the version learners see.
    return {
        name: text
        for name, text in files.items()
        if not name.startswith(".") and name not in NOTE_FILES
        and (name in PACKAGE_FILES or name.endswith(".md"))
    }


def list_workspaces(slugs: set[str] | None = None) -> list[Workspace]:
    """Every course and unpublished new course (or those with ``slugs``), by title."""
    draft_query, course_query = select(CourseDraft), select(Course)
    if slugs is not None:
        draft_query = draft_query.where(CourseDraft.slug.in_(slugs))
        course_query = course_query.where(Course.slug.in_(slugs))
    drafts = {d.slug: d for d in db.session.scalars(draft_query)}
    spaces = [
        Workspace(c.slug, c, drafts.pop(c.slug, None))
        for c in db.session.scalars(course_query.where(Course.current_version_id.is_not(None)))
    ]
    spaces += [Workspace(slug, None, draft) for slug, draft in drafts.items()]
    return sorted(spaces, key=lambda w: w.title.lower())


def find_workspace(slug: str) -> Workspace | None:
    """The course or new-course draft with this slug, if there is one."""
    if not SLUG.fullmatch(slug):
        return None  # not a slug at all (and PostgreSQL refuses some characters outright)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    draft = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == slug))
    if draft is None and (course is None or course.current_version is None):
        return None
    return Workspace(slug, course, draft)


def get_workspace_or_404(slug: str) -> Workspace:
    """The course or new-course draft with this slug.

    :raise 404: when there is neither.
    """
    space = find_workspace(slug)
    if space is None:
        abort(404)
    return space


def check_draft(
    space: Workspace, files: Files | None = None
) -> tuple[lessons.CoursePackage | None, list[lessons.Finding]]:
    """The checker's findings for the draft (or for files about to be saved), cached."""
    return checkcache.check(space.files if files is None else files, space.slug)


def lock_draft(space: Workspace, editor: Editor) -> CourseDraft:
    """The draft, locked for this transaction; created from the published files if new."""
    if space.draft is not None:
        query = select(CourseDraft).where(CourseDraft.id == space.draft.id)
        return db.session.scalars(query.with_for_update()).one()
    if space.published is None:
        raise AuthorError("this course has no published version to start a draft from")
    # Two first saves at once: the course row lock makes the second one find the draft.
    db.session.scalars(select(Course).where(Course.id == space.course.id).with_for_update()).one()
    existing = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == space.slug))
    if existing is not None:
        return existing
    draft = CourseDraft(slug=space.slug, course_id=space.course.id, files=dict(space.files))
    db.session.add(draft)
    db.session.flush()
    number = space.published.number
    _add_revision(
        draft,
        editor,
        dict(space.files),
        "start",
        None,
        f"Started the draft from published version {number}",
    )
    return draft


def snapshot(draft: CourseDraft | None, space: Workspace, number: int) -> dict[str, str]:
    """The files as they stood at a revision (0: the version learners see now)."""
    if number == 0 or draft is None:
        return dict(space.published.files) if space.published else {}
    revision = get_revision(draft, number)
    return dict(revision.files) if revision else {}


def get_revision(draft: CourseDraft, number: int) -> DraftRevision | None:
    """One revision of a draft by its number."""
    query = select(DraftRevision).where(
        DraftRevision.draft_id == draft.id, DraftRevision.number == number
    )
    return db.session.scalar(query)


def guard_conflict(
    draft: CourseDraft, space: Workspace, base: int | None, part: Callable[[Files], Any],
    editor: Editor | None = None,
) -> None:
    """Refuse a save when the part being saved changed since revision ``base``.

    :raise EditConflict: with a message for the author.
    """
    if base is None or base == draft.revision_number:
        return
    if part(snapshot(draft, space, base)) != part(draft.files):
        later = db.session.scalars(
            select(DraftRevision)
            .where(DraftRevision.draft_id == draft.id, DraftRevision.number > base)
            .order_by(DraftRevision.number)
        )
        authors = list(dict.fromkeys(r.author for r in later if r.author is not None))
        names = " and ".join(a.full_name for a in authors) or "another editor"
        yours = editor is not None and authors == [editor.user]
        who = ("You saved this part of the course in another tab or window after this page "
               "was opened" if yours else
               f"{names} saved this part of the course after you opened it")
        raise EditConflict(
            f"{who}: the draft is now at revision {draft.revision_number}. Your text here is "
            "still in the form and nothing was saved. Read what changed, then press Save again "
            "to replace that version with this one (the History can restore it), or open the "
            "page again to start from it.",
            draft.revision_number, base,
        )


def commit_files(
    draft: CourseDraft,
    editor: Editor,
    files: Files,
    *,
    file: str | None,
    summary: str,
    action: str = "save",
    detail: Mapping[str, Any] | None = None,
) -> DraftRevision | None:
    """Store new files as the draft's next revision and audit it; None when nothing changed.

    ``detail`` adds to the audit event (e.g. which revision an undo took back).
    """
    files = dict(files)
    if files == draft.files:
        return None
    summary = f"{summary} ({change_summary(draft.files, files)})"
    revision = _add_revision(draft, editor, files, action, file, summary)
    record_event(
        editor.user,
        f"draft.{_PAST[action]}",
        "course_draft",
        draft.slug,
        {"revision": revision.number, "file": file, "summary": revision.summary, **(detail or {})},
        editor.ip_address,
    )
    return revision


def described(revision: DraftRevision) -> str:
    """What a revision did in the author's words: its summary without ``commit_files``' counts."""
    return revision.summary.rpartition(" (")[0] or revision.summary


_PAST = {"save": "saved", "restore": "restored", "upload": "uploaded", "undo": "undone"}


def _add_revision(
    draft: CourseDraft,
    editor: Editor,
    files: dict[str, str],
    action: str,
    file: str | None,
    summary: str,
) -> DraftRevision:
    now = utcnow()
    draft.revision_number += 1
    draft.files = files
    draft.updated_at = now
    revision = DraftRevision(
        draft=draft,
        number=draft.revision_number,
        created_at=now,
        author_id=editor.user.id,
        action=action,
        file=file,
        summary=summary[:300],
        files=files,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def restore(space: Workspace, editor: Editor, number: int) -> DraftRevision | None:
    """Make an earlier revision the draft again, as a new revision.

    :raise 404: when the draft has no such revision.
    """
    if space.draft is None or get_revision(space.draft, number) is None:
        abort(404)
    draft = lock_draft(space, editor)
    files = snapshot(draft, space, number)
    return commit_files(
        draft, editor, files, file=None, summary=f"Restored revision {number}", action="restore"
    )


def publish(
    space: Workspace,
    editor: Editor,
    *,
    reviewed: int | None,
    allow_self: bool = False,
    note: str = "",
) -> ImportResult:
    """Check the draft and import it as the course's next version; learners keep progress.

    The publisher must be a reviewer of the course (or an admin) who made none of the
    changes, unless ``allow_self`` lets them publish their own (recorded as such).
    ``reviewed`` is the draft revision the publisher was shown: only that one is
    published, so nothing saved while they read reaches learners unreviewed.
    ``note``, the publisher's account of what changed and why, goes with the version
    and into the audit log.

    :raise ReviewRefused: when the user may not publish this draft (nothing is changed).
    :raise PublishRefused: when the checker finds errors (nothing is changed).
    :raise DraftChanged: when the draft is no longer the revision reviewed.
    :raise AuthorError: when the draft matches the published version.
    """
    if space.draft is None:
        raise AuthorError("There is nothing to publish: the draft has not been changed.")
    draft = lock_draft(space, editor)
    review = require_publisher(editor.user, space.slug, space.title, draft, allow_self=allow_self)
    package, findings = checkcache.check(draft.files, space.slug)
    if package is None or any(f.level == "error" for f in findings):
        raise PublishRefused(findings)
    latest = get_revision(draft, draft.revision_number)
    if latest is not None and latest.published_version is not None:
        # A second press, or a second tab, after this very revision went live.
        raise AuthorError(
            f"Revision {latest.number} is already published, as version "
            f"{latest.published_version.number}: there is nothing more to publish."
        )
    if space.published is not None and package.content_hash == space.published.content_hash:
        raise AuthorError("There is nothing to publish: the draft matches the published version.")
    if reviewed != draft.revision_number:
        raise DraftChanged(latest, reviewed)
    result = import_package(package, actor=editor.user)
    result.version.note = f"Published from the editor, revision {draft.revision_number}" + (
        "; self-published by one of its editors, without a second reviewer"
        if review.self_publish
        else f"; reviewed and published by {editor.user.full_name}"
    )
    if note:
        result.version.note = f"{result.version.note}. Note: {note}"[:500]
    draft.course_id = result.course.id
    if latest is not None:
        latest.published_version_id = result.version.id
    # The review asked for is done: its askers hear who published it.
    close_on_publish(space, editor.user, result.version.number, editor.ip_address)
    settle_on_publish(draft, editor.user, result.version.number, editor.ip_address)
    record_event(
        editor.user,
        "course.published",
        "course",
        result.course.slug,
        {
            "version": result.version.number,
            "revision": draft.revision_number,
            "archived_lessons": list(result.archived_lessons),
            "warnings": sum(f.level == "warning" for f in findings),
            "editors": [user.id for user in review.editors],
            # Names too: an accreditor reading the exported log has no account list.
            "editor_names": [user.full_name for user in review.editors],
            "self_published": review.self_publish,
            **({"note": note} if note else {}),
        },
        editor.ip_address,
    )
    db.session.flush()
    return result


def revisions(space: Workspace, limit: int | None = None) -> list[DraftRevision]:
    """The draft's revisions, newest first, without their file snapshots loaded."""
    if space.draft is None:
        return []
    query = (
        select(DraftRevision)
        .where(DraftRevision.draft_id == space.draft.id)
        .options(
            defer(DraftRevision.files),
            selectinload(DraftRevision.author),
            selectinload(DraftRevision.published_version).defer(CourseVersion.files),
        )
        .order_by(DraftRevision.number.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
