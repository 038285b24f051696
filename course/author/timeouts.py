"""Editor forms sent after an idle sign-out, or from a page open overnight, are saved.

An author may write for an hour without sending anything; losing that text to the
session's time-out would be the worst thing the editor could do. Like a learner's
answers (see ``keep_through_timeout``), the text is kept for its owner before the
sign-out: here as a draft revision, which nobody sees until it is published and which
the history can undo. A save that would overwrite someone else's change is not made, and
the sign-in page then says plainly that the text was not saved (never "progress is saved").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, url_for
from flask_wtf import FlaskForm

from course.auth.sessions import come_back_to, keep_through_timeout, signed_in_account
from course.author import editing as edits
from course.author import reading
from course.author.forms import LessonForm
from course.author.question_forms import EvaluationForm, QuestionForm
from course.author.services import (
    AuthorError,
    EditConflict,
    Editor,
    Saved,
    Workspace,
    find_workspace,
)
from course.author.settings_forms import SettingsForm
from course.author.viewkit import base_revision
from course.db import write_transaction
from course.models import Role, User
from course.teams import services as teams

Save = Callable[[Workspace, Editor, Any, int, dict[str, Any]], Saved]

#: Said instead of "your progress is saved" when the editor's text could not be kept.
NOT_SAVED = "Your changes were NOT saved:"
#: Where a new knowledge check or post-test question kept through a sign-out is found.
KEPT_CHECK = "knowledge check {id}: the lesson's page lists it"
KEPT_QUESTION = "post-test question {id}: the Post-test tab lists it"


def first_error(form: FlaskForm) -> str:
    """The first message of a refused form, for the sign-in page."""
    for field_name, messages in form.errors.items():
        first = messages[0] if isinstance(messages, list) and messages else messages
        return f"{getattr(form, field_name).label.text}: {first}" if field_name else str(first)
    return "the form was refused"


def _keep(user: User, form: FlaskForm, save: Save, new: str = "") -> str | bool:
    """Save the sent form as the editor's Save button would; a message, or False.

    ``new`` says what a page for a new item adds, with ``{id}`` for its id: after the
    sign-in that page opens empty again, so the message says where the text went.
    """
    args = dict(request.view_args or {})
    if not user.has_role(Role.AUTHOR) or not teams.can_work_on(user, args.get("slug", "")):
        return False
    space = find_workspace(args["slug"])
    if space is None:
        return False
    if isinstance(form, LessonForm):
        form.set_objectives(reading.objectives(space.files))
    if not form.validate():
        return f"{NOT_SAVED} it had a problem to fix first ({first_error(form)})."
    editor = Editor(signed_in_account(), request.remote_addr)
    try:
        with write_transaction():
            saved = save(space, editor, form, base_revision(form.base_revision.data), args)
    except EditConflict:
        return (
            f"{NOT_SAVED} someone else saved the same part of the course while you were "
            "away, so yours was not saved over theirs. Open the page again to see their "
            "version, and make your change there."
        )
    except AuthorError as exc:
        return f"{NOT_SAVED} {str(exc).split('. ')[0].rstrip('.')}."
    if saved.revision is None:
        return "Your changes were already saved."
    where = ", as the new " + new.format(id=form.id.data.strip()) if new else ""
    if new:  # its "new" page would open empty: come back to the item itself
        item = "check_id" if request.endpoint == "author.check" else "qid"
        come_back_to(url_for(request.endpoint, **args, **{item: form.id.data.strip()}))
    # What Save would have said beside it (a check removed with its line): nobody saw this
    # save happen, so the sign-in page is the one place left to say it.
    notes = "".join(f" {note}" for note in saved.notes)
    return (f"Your changes were saved as revision {saved.revision.number} of the draft{where}."
            f"{notes}")


def _unchecked(form_class: type[FlaskForm]) -> FlaskForm:
    # The CSRF token was checked before the keeper runs (only its age may be forgiven).
    return form_class(meta={"csrf": False})


@keep_through_timeout("author.lesson")
def _keep_lesson(user: User) -> str | bool:
    """Keep a lesson's title, objectives and text."""

    def save(space, editor, f, base, args):
        fields = (f.title.data or "", f.objectives.data or [], f.body.data or "")
        # Nobody is there to fix a mistyped [check: id] line and press Save again: refusing
        # it would lose the whole text, so it is saved with the line, which the checker
        # names as an error when the author is back.
        return edits.save_lesson(
            space, editor, args["lesson"], *fields, base=base, keep_unknown_markers=True
        )

    return _keep(user, _unchecked(LessonForm), save)


@keep_through_timeout("author.check")
def _keep_check(user: User) -> str | bool:
    """Keep a knowledge check."""

    def save(space, editor, f, base, args):
        data = f.to_data(post_test=False)
        return edits.save_check(space, editor, args["lesson"], args.get("check_id"), data, base)

    new = "" if request.view_args and request.view_args.get("check_id") else KEPT_CHECK
    return _keep(user, _unchecked(QuestionForm), save, new)


@keep_through_timeout("author.question")
def _keep_question(user: User) -> str | bool:
    """Keep a post-test question."""

    def save(space, editor, f, base, args):
        return edits.save_question(space, editor, args.get("qid"), f.to_data(post_test=True), base)

    new = "" if request.view_args and request.view_args.get("qid") else KEPT_QUESTION
    return _keep(user, _unchecked(QuestionForm), save, new)


@keep_through_timeout("author.settings")
def _keep_settings(user: User) -> str | bool:
    """Keep the course settings."""

    def save(space, editor, f, base, args):
        return edits.save_settings(space, editor, f.to_manifest(), base)

    return _keep(user, _unchecked(SettingsForm), save)


@keep_through_timeout("author.evaluation")
def _keep_evaluation(user: User) -> str | bool:
    """Keep the evaluation's items."""

    def save(space, editor, f, base, args):
        return edits.save_evaluation(space, editor, f.to_items(), base)

    return _keep(user, _unchecked(EvaluationForm), save)
