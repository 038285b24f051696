"""Revisions (compare, restore, undo) and the package as a ZIP download."""

from __future__ import annotations

import io
import re

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from course.author import bp
from course.author import services as drafts
from course.author import undo as undoing
from course.author.diffing import diff_files
from course.author.forms import ActionForm, UploadForm
from course.author.packagezip import write_package_zip
from course.author.viewkit import editor, file_url
from course.extensions import db
from course.formpages import form_page
from course.packages import export_files, published_versions


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge):
    """Explain a request over the size limit (a ZIP, or a huge paste) instead of a bare error."""
    slug = (request.view_args or {}).get("slug")
    space = drafts.find_workspace(slug) if slug else None
    limit = request.max_content_length or 0
    size = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:g} KB"
    if request.endpoint not in ("author.upload", "author.create_course"):
        # An editor form (a huge paste), not a ZIP: say so, and how to get the text back.
        page = render_template("author/too_large.html", space=space, size=size, back=request.path)
        return page, 413
    message = f"The file is too large: uploads are limited to {size}."
    form = UploadForm(formdata=None)
    return render_template("author/upload.html", form=form, space=space, error=message), 413


@bp.get("/courses/<slug>/history")
def history(slug: str):
    """List the draft's revisions: who saved which file, when; compare or restore one."""
    space = drafts.get_workspace_or_404(slug)
    versions = published_versions(space.course) if space.course else []
    return render_template(
        "author/history.html", space=space, revisions=drafts.revisions(space), action=ActionForm(),
        versions=versions,
    )  # fmt: skip


@bp.get("/courses/<slug>/history/compare")
def compare(slug: str):
    """Show what changed between two states, file by file: revisions or published versions.

    ``old`` and ``new`` are a revision number (0: the version learners see now) or ``v``
    and a published version's number (``v2``).

    :raise 400: with the reason, for a value that is neither.
    :raise 404: for a revision or version the course does not have.
    """
    space = drafts.get_workspace_or_404(slug)
    (old, before), (new, after) = (
        _side(space, name, default) for name, default in (("old", "0"), ("new", None))
    )
    return render_template(
        "author/compare.html", space=space, old=old, new=new, diffs=diff_files(before, after)
    )


_SIDE = re.compile(r"(\d{1,9})|v(\d{1,9})")


def _side(space: drafts.Workspace, name: str, default: str | None) -> tuple[str, dict[str, str]]:
    """What one side of a comparison names, and its files."""
    value = request.args.get(name, default if default is not None else str(space.revision))
    found = _SIDE.fullmatch(value.strip())
    if found is None:
        abort(400, description=(
            f"“{value[:40]}” cannot be compared: give “{name}” a revision number (0 for the "
            "version learners see now) or a published version as v and its number, "
            f"such as {name}=v1."))  # fmt: skip
    if found[1] is not None:
        number = int(found[1])
        if number > space.revision:
            abort(404)
        if number == 0:
            current = space.published.number if space.published else None
            return (f"published version {current}" if current else "nothing published",
                    drafts.snapshot(space.draft, space, 0))  # fmt: skip
        return f"revision {number}", drafts.snapshot(space.draft, space, number)
    if space.course is None:
        abort(404)
    try:
        return f"published version {found[2]}", export_files(space.course, int(found[2]))
    except LookupError:
        abort(404)


@bp.post("/courses/<slug>/history/<int:number>/restore")
@form_page("author.history")
def restore(slug: str, number: int):
    """Make an earlier revision the draft again (as a new revision)."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    revision = drafts.restore(space, editor(), number)
    db.session.commit()
    if revision is None:
        flash({"text": f"The draft already matches revision {number}."}, "info")
    else:
        later = revision.number - 1 - number  # the revisions saved after the one restored
        taken = (
            f" The change saved after revision {number} is out of the draft now; it stays in "
            "the list below."
            if later == 1
            else f" The {later} changes saved after revision {number} are out of the draft now; "
            "they stay in the list below."
            if later > 1
            else ""
        )
        said = f"Restored revision {number} as revision {revision.number}.{taken}"
        flash({"text": said}, "success")
    return redirect(url_for("author.history", slug=slug))


@bp.post("/courses/<slug>/history/versions/<int:number>/restore")
@form_page("author.history", anchor="published-versions")
def restore_version(slug: str, number: int):
    """Make a published version the draft again: the way back after a publish."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    revision = undoing.restore_version(space, editor(), number)
    db.session.commit()
    if revision is None:
        flash({"text": f"The draft already matches published version {number}."}, "info")
    else:
        flash({"text": f"Restored published version {number} as revision {revision.number} "
                       "of the draft. Learners see no change until a reviewer publishes it."},
              "success")  # fmt: skip
    return redirect(url_for("author.history", slug=slug))


@bp.post("/courses/<slug>/history/<int:number>/undo")
@form_page("author.history")
def undo(slug: str, number: int):
    """Take back one's own latest change, from the Undo button in the message after it."""
    space = drafts.get_workspace_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    change = undoing.change_to_undo(space, number)
    try:
        done = undoing.undo(space, editor(), change)
    except undoing.UndoRefused as exc:
        history = url_for("author.history", slug=slug)
        flash({"text": str(exc), "link": history, "link_text": "Open the History"}, exc.category)
    else:
        text = (f"{drafts.described(change)}: undone. The draft is as it was at revision "
                f"{number - 1} again (saved as revision {done.revision.number}).")  # fmt: skip
        flash({"text": text}, "success")
    db.session.commit()
    back = file_url(slug, change.file) if change.file else None  # a lesson, the post-test
    return redirect(back or url_for("author.course", slug=slug, at="lessons", _anchor="lessons"))


@bp.get("/courses/<slug>/package.zip")
def download(slug: str):
    """Download the draft, or a published version as a ZIP: ``?version=N`` (or
    ``?source=published`` for the current one).

    :raise 404: for a version the course does not have (never another version instead).
    """
    space = drafts.get_workspace_or_404(slug)
    wanted = request.args.get("version")
    if wanted is None and request.args.get("source") != "published":
        return _zip(slug, space.files, f"{slug}-draft.zip")
    if space.course is None or (wanted is not None and not wanted.isdigit()):
        abort(404)
    number = int(wanted) if wanted is not None else space.published.number
    try:
        files = export_files(space.course, number)
    except LookupError:
        abort(404)
    return _zip(slug, files, f"{slug}-v{number}.zip")


def _zip(slug: str, files: dict[str, str], name: str):
    response = send_file(
        io.BytesIO(write_package_zip(slug, files)),
        as_attachment=True,
        mimetype="application/zip",
        download_name=name,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
