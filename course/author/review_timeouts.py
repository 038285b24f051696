"""Review forms sent after an idle sign-out, or from a page open overnight, are kept.

A review comment may take as long to write as a lesson: like the editor's text (see
``course.author.timeouts``) it is kept for its owner before the sign-out, here by adding
it as the Add comment button would, but only on the revision the author was reading. A
comment about a revision that changed while they were away could be about text that is
gone, so it is not added, and the sign-in page says so plainly; its text waits in the
comment box for them to read the changes and add it again.

Publish is never carried out after a time-out: it changes what learners see, and needs a
person present to read what it changes. Its note is held for the same account through
the sign-in (``course.auth.held``) and fills the Publish box when they come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request, url_for

from course.auth.held import hold_for
from course.auth.sessions import come_back_to, keep_through_timeout
from course.author import services as drafts
from course.author.forms import MAX_PUBLISH_NOTE, CommentForm, ReviewRequestForm
from course.author.review_views import HELD_COMMENT, HELD_NOTE, asked_message
from course.author.timeouts import first_error
from course.author.viewkit import allow_self_publish, base_revision, editor
from course.db import write_transaction
from course.models import RevisionComment, Role, User
from course.teams import requests
from course.teams import services as teams

Done = TypeVar("Done")

#: Said instead of "your progress is saved" when a comment could not be kept.
NOT_ADDED = "Your comment was NOT added:"
#: Said when a review request sent after the sign-out could not be made.
NOT_ASKED = "Review was NOT asked for:"
#: Said whenever Publish was pressed after the sign-out.
NOT_PUBLISHED = ("The draft was NOT published: publishing changes what learners see, so it "
                 "waits for you to press Publish again once you are signed in.")  # fmt: skip


def _review_space(user: User) -> drafts.Workspace | None:
    """The course the form was sent for, when its sender may still work on its draft."""
    slug = (request.view_args or {}).get("slug", "")
    if not user.has_role(Role.AUTHOR) or not teams.can_work_on(user, slug):
        return None
    space = drafts.find_workspace(slug)
    return space if space is not None and space.draft is not None else None


def _on_the_revision_seen(space: drafts.Workspace, seen: int, refused: str, then: str,
                          act: Callable[[drafts.Workspace], Done]) -> Done | str | bool:
    """Run ``act`` on the draft if it is the revision the page showed; else say why not."""
    # False when the draft is gone (published or discarded meanwhile): nothing to say.
    with write_transaction():
        # Read again under the write lock: a save in between would change the revision.
        latest = drafts.find_workspace(space.slug)
        if latest is None or latest.draft is None:
            return False
        if latest.revision != seen:
            return (f"{refused} the draft changed while you were away (you were reading "
                    f"revision {seen}; revision {latest.revision} is the latest now). Read "
                    f"the changes, then {then}.")  # fmt: skip
        return act(latest)


@keep_through_timeout("author.comment")
def _keep_comment(user: User) -> str | bool:
    """Add the sent comment as Add comment would, if the draft is as the author saw it."""
    space = _review_space(user)
    if space is None:
        return False
    form = CommentForm(meta={"csrf": False})  # the token was checked before the keeper
    form.set_files(sorted(drafts.package_files(space.files)))
    if not form.validate():
        refused = f"{NOT_ADDED} it had a problem to fix first ({first_error(form)})."
        return _hold_comment(user, space, form.body.data or "", refused)
    by = editor()
    done = _on_the_revision_seen(
        space, base_revision(form.revision.data), NOT_ADDED, "comment again",
        lambda latest: requests.add_comment(
            latest, by.user, form.body.data, form.file.data or None, by.ip_address),
    )  # fmt: skip
    if isinstance(done, str):
        return _hold_comment(user, space, form.body.data, done)
    if not isinstance(done, RevisionComment):
        return done
    come_back_to(url_for("author.publish_page", slug=space.slug, _anchor="comments"))
    return f"Your comment was added on revision {done.revision_number}."


def _hold_comment(user: User, space: drafts.Workspace, body: str, refused: str) -> str:
    """Give a comment that was not added back in its box after the sign-in, and say so."""
    # Written perhaps over an hour: typing it again is the loss the keeper exists to spare.
    if not body.strip():
        return refused
    held = hold_for(user, HELD_COMMENT.format(slug=space.slug), body)
    come_back_to(url_for("author.publish_page", slug=space.slug, _anchor="comment-form"))
    return f"{refused} Your comment is back in the comment box{_cut(held, body)}."


def _cut(held: str, text: str) -> str:
    """Words saying a held text was cut, and where (nothing when it was held whole)."""
    return f", cut to its first {len(held):,} characters" if len(held) < len(text) else ""


@keep_through_timeout("author.ask_for_review")
def _keep_review_request(user: User) -> str | bool:
    """Ask for review as Ask for review would, if the draft is as the author saw it."""
    space = _review_space(user)
    if space is None:
        return False
    form = ReviewRequestForm(meta={"csrf": False})
    if not form.validate():
        return f"{NOT_ASKED} it had a problem to fix first ({first_error(form)})."
    by, note, allow_self = editor(), form.request_note.data or "", allow_self_publish()
    try:
        done = _on_the_revision_seen(
            space, base_revision(form.revision.data), NOT_ASKED, "ask again",
            lambda latest: requests.ask_for_review(
                latest, by.user, note, by.ip_address, allow_self=allow_self),
        )  # fmt: skip
    except requests.RequestRefused as exc:  # the view's 403: said here, in the same words
        reason = str(exc)
        return f"{NOT_ASKED} {reason[:1].lower()}{reason[1:]}"
    if not isinstance(done, requests.Asked):
        return done
    come_back_to(url_for("author.publish_page", slug=space.slug, _anchor="review-request"))
    return asked_message(done)


@keep_through_timeout("author.publish")
def _keep_publish_note(user: User) -> str | bool:
    """Never publish after a time-out; hold the typed note for the Publish box instead."""
    space = _review_space(user)
    if space is None:
        return False
    said = [NOT_PUBLISHED]
    note = " ".join((request.form.get("note") or "").split())  # as PublishForm reads it
    if note:
        # At most what Publish takes, and what the session cookie has room for.
        held = hold_for(user, HELD_NOTE.format(slug=space.slug), note[:MAX_PUBLISH_NOTE])
        said.append(f"Your note is in the Publish box{_cut(held, note)}.")
    if base_revision(request.form.get("revision")) != space.revision:
        said.append("The draft changed while you were away: read what changed first.")
    come_back_to(url_for("author.publish_page", slug=space.slug, _anchor="publish-heading"))
    return " ".join(said)
