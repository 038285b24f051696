"""Lessons the draft archived that learners still see, and bringing one back by itself.

Undo only takes back the latest change, and restoring a revision takes back every later
change too; an author who archived a lesson and went on editing needs the lesson alone.
Services flush; the view commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from course.author.editing import Change, apply_change, lesson_name
from course.author.services import AuthorError, Editor, Saved, Workspace
from course.extensions import db
from course.models import DraftRevision
from lessons import editing as ed


@dataclass(frozen=True)
class ArchivedLesson:
    """A published lesson the draft no longer has: its slug, title and published place."""

    slug: str
    title: str
    number: int


def archived_in_draft(space: Workspace) -> list[ArchivedLesson]:
    """Published lessons the draft has archived (publishing would archive them), in order."""
    if space.draft is None or space.published is None:
        return []
    published = dict(space.published.files)
    names = ed.lesson_names(published)
    return [
        ArchivedLesson(slug, ed.split_lesson(published[name]).title or slug, number)
        for number, name in enumerate(names, start=1)
        if (slug := ed.lesson_slug(name) or "") and lesson_name(space.files, slug) is None
    ]


def _last_text(space: Workspace, slug: str) -> str | None:
    """The lesson's file as the draft last had it (edits before the archive kept)."""
    query = (
        select(DraftRevision)
        .where(DraftRevision.draft_id == space.draft.id)
        .order_by(DraftRevision.number.desc())
    )
    for revision in db.session.scalars(query):
        name = lesson_name(revision.files, slug)
        if name is not None:
            return revision.files[name]
    return None


def bring_back(space: Workspace, editor: Editor, slug: str) -> Saved:
    """Put an archived lesson back in the draft at its published place, nothing else changed.

    :raise AuthorError: when the published version has no such lesson.
    """
    found = next((a for a in archived_in_draft(space) if a.slug == slug), None)
    if found is None:
        raise AuthorError(
            f"“{slug}” is not a lesson the draft archived. To get back anything else, "
            "compare and restore revisions in the History."
        )
    text = _last_text(space, slug)
    if text is None:
        text = space.published.files[lesson_name(space.published.files, slug)]

    def change(files: dict[str, str]) -> Change:
        if lesson_name(files, slug) is not None:
            return Change(files, None, f"Lesson {slug} is already in the draft")
        order = [ed.lesson_slug(n) or "" for n in ed.lesson_names(files)]
        if len(order) >= ed.MAX_LESSONS:
            raise AuthorError(f"A course has at most {ed.MAX_LESSONS} lessons.")
        position = min(found.number - 1, len(order))
        order.insert(position, slug)
        # Any lesson file name will do before renumbering: its number is rewritten.
        files = ed.renumber({**files, ed.lesson_file_name(99, slug): text}, order)
        name = ed.lesson_file_name(position + 1, slug)
        return Change(files, name, f"Brought back lesson {position + 1}, “{found.title}”")

    return apply_change(space, editor, change)
