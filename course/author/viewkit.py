"""Small helpers the author views share: who is editing, flashing a save, file links."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user

from course.author.services import Editor, Saved
from lessons.editing import lesson_slug


def editor() -> Editor:
    """The signed-in author and their address, for revisions and the audit log."""
    return Editor(current_user._get_current_object(), request.remote_addr)


def base_revision(value: str | None) -> int:
    """The revision an editor form was opened at (0 when missing or malformed)."""
    return int(value) if value and value.isdigit() else 0


def flash_saved(saved: Saved) -> None:
    """Tell the author what a save did."""
    if saved.revision is None:
        flash("Nothing changed, so nothing was saved.", "info")
    else:
        flash(f"Saved as revision {saved.revision.number}.", "success")
    for note in saved.notes:
        flash(note, "info")


def file_url(slug: str, name: str) -> str | None:
    """The editor page for a package file, if it has one."""
    lesson = lesson_slug(name)
    if lesson is not None:
        return url_for("author.lesson", slug=slug, lesson=lesson)
    pages = {
        "course.yaml": "author.settings",
        "post-test.yaml": "author.post_test",
        "evaluation.yaml": "author.evaluation",
    }
    return url_for(pages[name], slug=slug) if name in pages else None
