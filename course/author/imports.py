"""A course's draft in the author area when a new version comes from a command-line import."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select

from course.author.services import Workspace, package_files
from course.db import utcnow
from course.extensions import db
from course.models import CourseDraft, CourseVersion, DraftRevision, User
from course.wording import and_list


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
    before = _version_before(version)
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


@dataclass(frozen=True)
class TakenBack:
    """A command-line import's changes that publishing a draft would take back out."""

    version: CourseVersion
    #: The files the import changed (or added, or removed) that the draft does not hold
    #: as the import left them.
    files: tuple[str, ...]

    @property
    def listed(self) -> str:
        """The files as a sentence names them, each `backticked`: "`a`, `b` and `c`"."""
        return and_list([f"`{name}`" for name in self.files])


def import_taken_back(space: Workspace) -> TakenBack | None:
    """The changes the latest version, imported on the command line, would lose to this draft.

    A draft with work of its own is left as it was by an import (``follow_import``), so it
    still holds the files the import changed as they were before, or as its editors left
    them: publishing it would quietly undo the import there. An author may mean to, but
    must be told.
    """
    latest, draft = space.published, space.draft
    if draft is None or latest is None or latest.created_by_id is not None:
        return None  # a version published from this draft holds what the draft held
    if draft.created_at >= latest.created_at or _followed(draft, latest):
        return None  # the draft was started from this version, or moved to it
    before = _version_before(latest)
    if before is None:
        return None
    held, old, new = package_files(draft.files), before.files, latest.files
    files = tuple(sorted(
        name for name in set(old) | set(new)
        if old.get(name) != new.get(name) and held.get(name) != new.get(name)
    ))
    return TakenBack(latest, files) if files else None


@dataclass(frozen=True)
class EditorChangesReplaced:
    """A version published in the author area whose changes an import does not hold."""

    published: CourseVersion
    publisher: User | None
    #: The files that version changed which the import does not hold as it left them.
    files: tuple[str, ...]


def editor_changes_replaced(version: CourseVersion) -> EditorChangesReplaced | None:
    """The changes of the version an import replaced, when it came from the author area.

    Each ``make run`` imports ``content/`` again: a version published in the browser was
    then quietly followed by one without its changes, and learners lost them.
    """
    before = _version_before(version)
    if before is None or before.created_by_id is None:
        return None  # imported on the command line too: the package folder is the source
    older = _version_before(before)
    old, edited, new = older.files if older else {}, before.files, version.files
    files = tuple(sorted(
        name for name in set(old) | set(edited)
        if old.get(name) != edited.get(name) and new.get(name) != edited.get(name)
    ))
    publisher = db.session.get(User, before.created_by_id)
    return EditorChangesReplaced(before, publisher, files) if files else None


def _version_before(version: CourseVersion) -> CourseVersion | None:
    return db.session.scalar(select(CourseVersion).where(
        CourseVersion.course_id == version.course_id, CourseVersion.number == version.number - 1))


def _followed(draft: CourseDraft, version: CourseVersion) -> bool:
    return db.session.scalar(select(DraftRevision.id).where(
        DraftRevision.draft_id == draft.id, DraftRevision.action == "import",
        DraftRevision.created_at >= version.created_at).limit(1)) is not None
