"""A course's draft in the author area when a new version comes from a command-line import."""

from __future__ import annotations

from enum import Enum

from sqlalchemy import select

from course.author.services import package_files
from course.db import utcnow
from course.extensions import db
from course.models import CourseDraft, CourseVersion, DraftRevision


class DraftAfterImport(Enum):
    """What became of the course's draft when an import made a new version."""

    NONE = "no draft, or it holds the new version already"
    FOLLOWED = "the draft had no changes of its own: it now holds the new version"
    OWN_CHANGES = "the draft holds unpublished changes of its own and was left as it was"


def follow_import(version: CourseVersion) -> DraftAfterImport:
    """Bring the course's draft to an imported version when it had no changes of its own.

    A draft left as the version before would show the import's changes, reversed, as its
    editor's unpublished work, and publishing it would quietly take them back out. A
    draft with work of its own is never overwritten: the caller warns instead.
    """
    # By slug, as the author area finds it: a course started from a ZIP and not yet
    # published has a draft with no course, which publishing would make the next version.
    draft = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == version.course.slug))
    if draft is None:
        return DraftAfterImport.NONE
    held = package_files(draft.files)  # as the author area compares a draft and a version
    if held == version.files:
        return DraftAfterImport.NONE
    before = db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == version.course_id, CourseVersion.number == version.number - 1))
    if before is None or held != before.files:
        return DraftAfterImport.OWN_CHANGES
    # Files no version keeps (an editor's stray dotfile, say) stay with the draft.
    kept = {name: text for name, text in draft.files.items() if name not in held}
    files = {**kept, **version.files}
    now = utcnow()
    draft.revision_number += 1
    draft.files, draft.updated_at = files, now
    db.session.add(DraftRevision(
        draft=draft, number=draft.revision_number, created_at=now, author_id=None,
        action="import", file=None, files=files,
        summary=f"Version {version.number} imported on the command line",
    ))  # fmt: skip
    db.session.flush()
    return DraftAfterImport.FOLLOWED
