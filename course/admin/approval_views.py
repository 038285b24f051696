"""A course's CE approval as an admin records it: set, change or remove, with a reason."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from course import approval as approvals
from course import certificate_changes
from course.admin import bp
from course.admin.forms import ApprovalForm, ClearApprovalForm, ReissueWithApprovalForm
from course.admin.report_views import course_or_404
from course.authz import role_required
from course.extensions import db
from course.formpages import form_page
from course.issuing import record_of
from course.models import Role, User
from course.templating import counted


def _page(course, form: ApprovalForm, clear: ClearApprovalForm, status: int = 200,
          reissue: ReissueWithApprovalForm | None = None):
    recorded = approvals.recorded_approval(course)
    return render_template(
        "admin/approval.html", course=course, form=form, clear=clear,
        reissue=reissue or ReissueWithApprovalForm(formdata=None),
        lacking=[record_of(c) for c in certificate_changes.lacking_approval(course)],
        claim=approvals.approval_for(course),
        package=approvals.package_approval(course.manifest), recorded=recorded,
        recorded_by=db.session.get(User, recorded.set_by_id) if recorded and recorded.set_by_id
        else None,
    ), status  # fmt: skip


@bp.get("/courses/<slug>/approval")
@role_required(Role.ADMIN)
def approval(slug: str):
    """Show the approval the course claims and where it comes from; a form to change it."""
    course = course_or_404(slug)
    claim = approvals.approval_for(course)
    fields = ("body", "number", "statement", "period_start", "period_end")
    form = ApprovalForm(formdata=None, data={f: getattr(claim, f) for f in fields} if claim else {})
    return _page(course, form, ClearApprovalForm(formdata=None))


@bp.post("/courses/<slug>/approval")
@role_required(Role.ADMIN)
def set_approval(slug: str):
    """Record the course's approval; it replaces the package's on certificates from now on."""
    course, form = course_or_404(slug), ApprovalForm()
    if not form.validate_on_submit():
        return _page(course, form, ClearApprovalForm(formdata=None), 422)
    change = approvals.ApprovalChange(
        form.body.data, form.number.data, form.statement.data,
        form.period_start.data, form.period_end.data, form.reason.data,
    )  # fmt: skip
    approvals.set_approval(course, current_user, change, request.remote_addr)
    db.session.commit()
    flash({"text": "Approval recorded. Certificates issued from now on print it."}, "success")
    if earlier := len(certificate_changes.lacking_approval(course)):
        one = earlier == 1
        # Focus goes to the first message; this one, right under it, is read next.
        flash({"text": f"{counted(earlier, 'valid certificate')} for completions the approval "
                       f"covers {'was' if one else 'were'} issued before it and "
                       f"{'states' if one else 'state'} no approval. A certificate keeps what "
                       "it stated when issued: reissue them under “Certificates issued "
                       "before this approval” below."}, "warning")
    return redirect(url_for("admin.approval", slug=slug))


@bp.post("/courses/<slug>/approval/reissue")
@form_page("admin.approval", anchor="reissue-with-approval")
@role_required(Role.ADMIN)
def reissue_with_approval(slug: str):
    """Reissue the certificates that state no approval though it covers their completion."""
    course, reissue = course_or_404(slug), ReissueWithApprovalForm()
    if not reissue.validate_on_submit():
        forms = ApprovalForm(formdata=None), ClearApprovalForm(formdata=None)
        return _page(course, *forms, 422, reissue=reissue)
    done = certificate_changes.reissue_with_approval(
        course, current_user, reissue.reason.data, request.remote_addr
    )
    db.session.commit()
    said = (f"{counted(len(done), 'certificate')} reissued stating the approval; each holder "
            "was emailed the new code." if done else "No certificate needed reissuing.")
    flash({"text": said}, "success" if done else "info")
    place = "reissue-with-approval"  # the message shows there, where the page opens
    return redirect(url_for("admin.approval", slug=slug, at=place, _anchor=place))


@bp.post("/courses/<slug>/approval/clear")
@form_page("admin.approval", anchor="remove-approval")
@role_required(Role.ADMIN)
def clear_approval(slug: str):
    """Remove the admin's record; the package's approval (if any) applies again."""
    course, clear = course_or_404(slug), ClearApprovalForm()
    if not clear.validate_on_submit():
        return _page(course, ApprovalForm(formdata=None), clear, 422)
    removed = approvals.clear_approval(course, current_user, clear.reason.data, request.remote_addr)
    db.session.commit()
    said = "Approval record removed." if removed else "There was no approval record."
    flash({"text": said}, "info")
    return redirect(url_for("admin.approval", slug=slug))
