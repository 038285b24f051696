"""Undo right after a change: the draft as it stood before the author's latest revision.

Archive and Remove take effect at once; the message after them offers Undo. Undo
stores the revision before as a new revision, but only while the change is still the
draft's latest and the person undoing made it. Otherwise History (compare, restore)
is the way back, and the refusal says so. Services flush; the view commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort

from course.author.services import (
    AuthorError,
    Editor,
    Workspace,
    commit_files,
    described,
    get_revision,
    lock_draft,
)
from course.models import DraftRevision
from course.packages import export_files


class UndoRefused(AuthorError):
    """The change cannot be undone automatically; the message says why."""

    #: How the message is shown: an error, or "info" when the change is already undone.
    category = "error"


class AlreadyUndone(UndoRefused):
    """The change was undone already (Undo pressed twice, or the page sent again)."""

    category = "info"


@dataclass(frozen=True)
class Undone:
    """An undo: the change taken back and the new revision that holds the draft as before."""

    undid: DraftRevision
    revision: DraftRevision


def change_to_undo(space: Workspace, number: int) -> DraftRevision:
    """The revision an Undo button names.

    :raise 404: when the draft has no such revision, or it is the first (nothing before it).
    """
    revision = get_revision(space.draft, number) if space.draft and number > 1 else None
    if revision is None:
        abort(404)
    return revision


def undo(space: Workspace, editor: Editor, undid: DraftRevision) -> Undone:
    """Store the draft as it was before ``undid``, as a new revision, audited as an undo.

    :raise UndoRefused: when someone else made the change, or the draft changed after it.
    """
    draft = lock_draft(space, editor)
    what, number = described(undid), undid.number
    if undid.author_id != editor.user.id:
        name = undid.author.full_name if undid.author else "someone else"
        raise UndoRefused(
            f"Revision {number} ({what}) was saved by {name}, so it cannot be undone "
            f"automatically. To take it back, restore revision {number - 1} from the History."
        )
    if draft.revision_number != number:
        latest = get_revision(draft, draft.revision_number)
        if latest.action == "undo" and latest.number == number + 1:
            raise AlreadyUndone(f"{what}: already undone, as revision {latest.number}.")
        by = latest.author.full_name if latest.author else "someone"
        raise UndoRefused(
            f"{what}: this cannot be undone automatically, because the draft changed "
            f"after it (revision {latest.number}, {described(latest)}, by {by}). Compare the "
            "revisions in the History and restore the one you need."
        )
    before = get_revision(draft, number - 1)
    revision = commit_files(
        draft,
        editor,
        before.files,
        file=undid.file,
        summary=f"Undid revision {number}: {what}",
        action="undo",
        detail={"undid": number, "restored": number - 1,
                "reason": f"Undo of revision {number} ({what}), from the message after it"},
    )  # fmt: skip
    if revision is None:  # revision `number` changed nothing: there is nothing to take back
        raise AlreadyUndone(f"{what}: the draft is already as it was before it.")
    return Undone(undid, revision)


def restore_version(space: Workspace, editor: Editor, number: int) -> DraftRevision | None:
    """Make a published version's files the draft again, as a new revision (None: it matched).

    The way back after a publish: the draft goes back, a reviewer publishes it again.

    :raise 404: when the course has no such version.
    """
    try:
        files = export_files(space.course, number) if space.course else None
    except LookupError:
        files = None
    if files is None:
        abort(404)
    draft = lock_draft(space, editor)
    return commit_files(
        draft,
        editor,
        files,
        file=None,
        summary=f"Restored published version {number}",
        action="restore",
        detail={"version": number},
    )
