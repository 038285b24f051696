"""Review and publish: findings, changes, review requests and comments, Publish; the report."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from course.admin import report_services as reports
from course.admin.report_views import report_charts
from course.auth.held import take_held
from course.author import bp, reading
from course.author import services as drafts
from course.author.forms import ActionForm, CommentForm, PublishForm, ReviewRequestForm
from course.author.viewkit import allow_self_publish, editor, file_url
from course.extensions import db
from course.formpages import form_page
from course.teams import requests, review

#: What a Publish sent after a time-out held for its note (``review_timeouts``), by course.
HELD_NOTE = "publish-note/{slug}"
#: What a comment sent after a time-out, and not added, held for its text, by course.
HELD_COMMENT = "review-comment/{slug}"


@bp.context_processor
def review_helpers() -> dict[str, object]:
    """Let every author page show where a draft stands in review (queried only when shown)."""
    return {"review_state": requests.state, "review_history": requests.history}


def _review_page(
    space: drafts.Workspace,
    status: int = 200,
    form: CommentForm | None = None,
    publish_form: PublishForm | None = None,
    ask_form: ReviewRequestForm | None = None,
    read_before: int | None = None,
    give_back: bool = False,
):
    if form is None:
        # A comment not added after a time-out is given back once, in its own box.
        held = (take_held(HELD_COMMENT.format(slug=space.slug))
                if give_back and space.draft is not None else None)  # fmt: skip
        form = CommentForm(formdata=None, body=held)
    ask_form = ask_form or ReviewRequestForm(formdata=None)
    for shown in (form, ask_form):  # a time-out keeps what they send only on this revision
        shown.revision.data = str(space.revision)
    form.set_files(sorted(drafts.package_files(space.files)))
    view = reading.review_view(space, current_user, allow_self=allow_self_publish())
    # A note typed before a time-out is given back once, in the box it was typed in: it
    # stays held while the page shows no Publish box (an error to fix first, say).
    if give_back and view.offers_publish and (note := take_held(HELD_NOTE.format(slug=space.slug))):
        publish_form = PublishForm(formdata=None, revision=space.revision, note=note)
    return render_template(
        "author/publish.html", space=space, view=view, file_url=file_url,
        comment_form=form, action=ActionForm(),
        publish_form=publish_form or PublishForm(formdata=None, revision=space.revision),
        ask_form=ask_form,
        may_ask=requests.refusal(space, current_user) is None, read_before=read_before,
    ), status  # fmt: skip


@bp.get("/courses/<slug>/publish")
def publish_page(slug: str):
    """Show the checker's findings, what publishing would change, comments, and Publish."""
    return _review_page(drafts.get_workspace_or_404(slug), give_back=True)


@bp.post("/courses/<slug>/publish")
def publish(slug: str):
    """Publish the draft as a new version: a reviewer who made none of its changes.

    :raise 403: with the reason, for an author or a reviewer publishing their own changes.
    """
    space = drafts.get_workspace_or_404(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        if form.note.errors:  # missing or too long: show it again with the note as typed
            return _review_page(space, 422, publish_form=form)
        abort(400)
    try:
        note, reviewed = form.note.data or "", form.revision.data or ""
        result = drafts.publish(
            space, editor(), reviewed=int(reviewed) if reviewed.isdigit() else None,
            allow_self=allow_self_publish(), note=note,
        )  # fmt: skip
    except review.ReviewRefused as exc:
        db.session.rollback()
        abort(403, description=str(exc))
    except drafts.PublishRefused:
        db.session.rollback()
        flash({"text": "Not published: the checker found errors. Fix them, then publish."}, "error")
        return _review_page(space, 422, publish_form=form)
    except drafts.DraftChanged as exc:
        db.session.rollback()
        flash({"text": str(exc)}, "error")
        form.revision.data = str(exc.latest)  # the note is kept as typed
        return _review_page(
            drafts.get_workspace_or_404(slug), 409, publish_form=form, read_before=exc.reviewed
        )
    except drafts.AuthorError as exc:
        flash({"text": str(exc)}, "info")
        return redirect(url_for("author.course", slug=slug))
    db.session.commit()
    number = result.version.number
    back = (f" To take it back, restore published version {number - 1} from the History "
            "and publish again." if number > 1 else "")  # fmt: skip
    flash({"text": f"Published as version {number}. Learners see it now; everyone's progress "
                   f"is kept.{back}"}, "success")  # fmt: skip
    return redirect(url_for("author.course", slug=slug))


@bp.post("/courses/<slug>/comments")
@form_page("author.publish_page", anchor="comments")
def comment(slug: str):
    """Add a review comment on the draft's latest revision."""
    space = drafts.get_workspace_or_404(slug)
    if space.draft is None:
        abort(404)  # nothing has been changed, so there is nothing to review
    form = CommentForm()
    form.set_files(sorted(drafts.package_files(space.files)))
    if not form.validate_on_submit():
        return _review_page(space, 422, form)
    requests.add_comment(
        space, current_user, form.body.data, form.file.data or None, editor().ip_address
    )
    db.session.commit()
    flash({"text": f"Comment added on revision {space.revision}."}, "success")
    # at=: the message shows in the section the page opens at, not screens above it.
    return redirect(
        url_for("author.publish_page", slug=slug, at="comments", _anchor="comments"), 303
    )


@bp.post("/courses/<slug>/review-request")
@form_page("author.publish_page", anchor="review-request")
def ask_for_review(slug: str):
    """Ask for review of the draft's latest revision: whoever may publish it is emailed.

    :raise 403: with the reason, for someone who made none of the changes.
    """
    space = drafts.get_workspace_or_404(slug)
    form = ReviewRequestForm()
    if not form.validate_on_submit():
        return _review_page(space, 422, ask_form=form)
    try:
        note, by = form.request_note.data or "", editor()
        asked = requests.ask_for_review(
            space, by.user, note, by.ip_address, allow_self=allow_self_publish()
        )
    except requests.RequestRefused as exc:
        abort(403, description=str(exc))
    db.session.commit()
    flash({"text": asked_message(asked)}, "success" if asked.created else "info")
    return redirect(
        url_for("author.publish_page", slug=slug, at="review-request", _anchor="review-request"),
        303,
    )


def asked_message(asked: requests.Asked) -> str:
    """What Ask for review did: asked (and who was emailed), or asked already."""
    number = asked.request.revision_number
    if not asked.created:
        return (f"Review of revision {number} was already asked for by "
                f"{asked.request.asked_by.full_name}; nobody was emailed again.")  # fmt: skip
    if not asked.told:
        return (f"Review of revision {number} is asked for, but nobody else may publish "
                "it yet: ask an administrator to name a reviewer on the course's Team "
                "page.")  # fmt: skip
    names = ", ".join(p.full_name for p in asked.told)
    return f"Review of revision {number} is asked for. Emailed: {names}."


@bp.post("/courses/<slug>/comments/<int:comment_id>/resolve")
@form_page("author.publish_page", anchor="comments")
def resolve_comment(slug: str, comment_id: int):
    """Mark a review comment resolved (any member of the course's team may)."""
    space = drafts.get_workspace_or_404(slug)
    found = review.get_comment(space.draft, comment_id)
    if found is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if review.resolve_comment(found, current_user, editor().ip_address):
        db.session.commit()
        flash({"text": "The comment is marked resolved."}, "success")
    return redirect(
        url_for("author.publish_page", slug=slug, at="comments", _anchor="comments"), 303
    )


@bp.get("/courses/<slug>/report")
def report(slug: str):
    """The course's report for its team: funnel, scores, items, evaluation, seat time."""
    space = drafts.get_workspace_or_404(slug)
    if space.published is None:
        abort(404)  # nobody has taken a course that was never published
    found = reports.course_report(space.course)
    return render_template(
        "author/report.html", space=space, report=found, charts=report_charts(found)
    )
