"""Small helpers the author views share: who is editing, running an editor form, links."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from course.auth.sessions import signed_in_account
from course.author import checkcache
from course.author.forms import list_action
from course.author.services import (
    AuthorError,
    EditConflict,
    Editor,
    Saved,
    Workspace,
    described,
    find_workspace,
)
from course.extensions import db
from course.forms import Form
from course.learn.content import content_of
from course.models import DraftRevision
from course.teams import services as teams
from lessons.editing import lesson_slug

F = TypeVar("F", bound=Form)

#: What an author should know after taking something out of the draft.
LEARNERS_KEEP = "Learners keep seeing it until you publish."


def learners_keep(space: Workspace, *, question: str = "", lesson: str = "") -> str:
    """LEARNERS_KEEP when learners see the question or lesson now, else nothing to say.

    Something added since the last publish and taken out again never reached learners.
    """
    if space.course is None or space.published is None:
        return ""
    content = content_of(space.course)  # what learners see, as the lesson pages read it
    if lesson:
        seen = content.lesson(lesson) is not None
    else:
        seen = any(part.check(question) for part in content.lessons) or any(
            asked.key == question for asked in content.post_test.values()
        )
    return LEARNERS_KEEP if seen else ""


def allow_self_publish() -> bool:
    """True when the site lets a reviewer publish changes they made (a one-reviewer provider)."""
    return bool(current_app.config.get("ALLOW_SELF_PUBLISH"))


def guard_course(slug: str) -> None:
    """Refuse a course that does not exist (404) or whose team the user is not on (403)."""
    space = find_workspace(slug)
    if space is None:
        abort(404)
    if not teams.can_work_on(current_user, slug):
        abort(
            403,
            description=(
                f"You are not on the team of the course “{space.title}”, so you cannot open "
                "or change it. An administrator adds people to a course's team on its Team "
                "page: ask one if you should work on this course."
            ),
        )


def editor() -> Editor:
    """The signed-in author and their address, for revisions and the audit log."""
    return Editor(signed_in_account(), request.remote_addr)


def base_revision(value: str | None) -> int:
    """The revision an editor form was opened at (0 when missing or malformed)."""
    return int(value) if value and value.isdigit() else 0


def flash_saved(saved: Saved) -> None:
    """Tell the author what a save did, and whether what was saved has errors to fix."""
    revision = saved.revision
    if revision is None:
        flash({"text": "Nothing changed, so nothing was saved."}, "info")
    elif errors := _errors_saved(revision):
        # Kept, as every save is, but not a plain success: it cannot be published so.
        plural = "" if errors == 1 else "s"
        # As mappings, the answer to what the author just did takes focus and is read out.
        flash({"text": f"Saved as revision {revision.number}, with {errors} error{plural} to "
               "fix before it can be published: see the checker's findings."}, "warning")
    else:
        flash({"text": f"Saved as revision {revision.number}."}, "success")
    if revision is not None and saved.notes:
        # Such a note says what the save took out (a check whose line was deleted): it gets
        # the Undo button a Remove has, so a slip is put right at once.
        text = " ".join(saved.notes) + " Undo takes back this whole save."
        _flash_with_undo(revision.draft.slug, revision, text, "info")
        return
    for note in saved.notes:
        flash(note, "info")


def _errors_saved(revision: DraftRevision) -> int:
    # The checker caches by the files' state, so the page the save leads to reuses this.
    _, findings = checkcache.check(revision.files, revision.draft.slug)
    return sum(f.level == "error" and revision.file in (None, f.file) for f in findings)


def flash_undoable(slug: str, saved: Saved, consequence: str) -> None:
    """Say exactly what an Archive or Remove did, with an Undo button in the message."""
    if saved.revision is None:
        flash_saved(saved)
        return
    revision = saved.revision
    text = f"{described(revision)} (revision {revision.number}). {consequence}".rstrip()
    _flash_with_undo(slug, revision, text, "success")
    for note in saved.notes:
        flash(note, "info")


def _flash_with_undo(slug: str, revision: DraftRevision, text: str, category: str) -> None:
    """A message about a revision, with an Undo button for it."""
    number = revision.number
    undo = url_for("author.undo", slug=slug, number=number)
    # The Undo button reads "Undo revision 5: Archived lesson 2, ..." to a screen reader.
    label = f"revision {number}: {described(revision)}"
    flash({"text": text, "undo": undo, "label": label}, category)


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


def handle_form(
    form: F, save: Callable[[F, int], Saved], target: Callable[[F], str]
) -> tuple[F, ResponseReturnValue | None]:
    """Run an editor form's POST: a list button re-renders it, Save stores a revision.

    ``save`` gets the valid form and the revision it was opened at. Returns the form to
    render and, after a successful save, the redirect to send. A refused save (a
    conflict, a duplicate id) becomes an error message on the form.
    """
    if request.method != "POST":
        return form, None
    action = request.form.get("action")
    relisted = list_action(form, action)
    if relisted is not None:
        return relisted, None
    if action != "save" or not form.validate_on_submit():
        return form, None
    try:
        saved = save(form, base_revision(form.base_revision.data))
    except AuthorError as exc:
        form.refuse(getattr(form, exc.field, None) if exc.field else None, str(exc))
        if isinstance(exc, EditConflict):
            # The author has now been told; a second Save is a decision to replace theirs.
            form.base_revision.data = str(exc.latest)
            if exc.base is not None:  # read it first: the summary links to what changed
                form.conflict_url = url_for("author.compare", slug=request.view_args["slug"],
                                            old=exc.base, new=exc.latest)
        return form, None
    db.session.commit()
    flash_saved(saved)
    return form, redirect(target(form))


def status(form: FlaskForm) -> int:
    """422 when the form is shown again with errors, else 200."""
    return 422 if form.errors else 200
