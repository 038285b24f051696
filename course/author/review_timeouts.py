"""Review forms sent after an idle sign-out, or from a page open overnight, are kept.

A review comment may take as long to write as a lesson: like the editor's text (see
``course.author.timeouts``) it is kept for its owner before the sign-out, here by adding
it as the Add comment button would, but only on the revision the author was reading. A
comment about a revision that changed while they were away could be about text that is
gone, so it is not added, and the sign-in page says so plainly.
"""

from __future__ import annotations

from flask import request, url_for

from course.auth.sessions import come_back_to, keep_through_timeout
from course.author import services as drafts
from course.author.forms import CommentForm
from course.author.timeouts import first_error
from course.author.viewkit import base_revision, editor
from course.db import write_transaction
from course.models import Role, User
from course.teams import requests
from course.teams import services as teams

#: Said instead of "your progress is saved" when a comment could not be kept.
NOT_ADDED = "Your comment was NOT added:"


def _review_space(user: User) -> drafts.Workspace | None:
    """The course the form was sent for, when its sender may still work on its draft."""
    slug = (request.view_args or {}).get("slug", "")
    if not user.has_role(Role.AUTHOR) or not teams.can_work_on(user, slug):
        return None
    space = drafts.find_workspace(slug)
    return space if space is not None and space.draft is not None else None


def _changed_while_away(seen: int, latest: int) -> str:
    return (f"the draft changed while you were away (you were reading revision {seen}; "
            f"revision {latest} is the latest now). Read the changes, then comment "
            "again.")  # fmt: skip


@keep_through_timeout("author.comment")
def _keep_comment(user: User) -> str | bool:
    """Add the sent comment as Add comment would, if the draft is as the author saw it."""
    space = _review_space(user)
    if space is None:
        return False
    form = CommentForm(meta={"csrf": False})  # the token was checked before the keeper
    form.set_files(sorted(drafts.package_files(space.files)))
    if not form.validate():
        return f"{NOT_ADDED} it had a problem to fix first ({first_error(form)})."
    by, seen = editor(), base_revision(form.revision.data)
    with write_transaction():
        # Read again under the write lock: a save in between would change the revision.
        space = drafts.find_workspace(space.slug)
        if space is None or space.draft is None:
            return False
        if space.revision != seen:
            return f"{NOT_ADDED} {_changed_while_away(seen, space.revision)}"
        comment = requests.add_comment(
            space, by.user, form.body.data, form.file.data or None, by.ip_address
        )
    come_back_to(url_for("author.publish_page", slug=space.slug, _anchor="comments"))
    return f"Your comment was added on revision {comment.revision_number}."
