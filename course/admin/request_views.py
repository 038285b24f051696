"""Learners' correction requests for administrators: the list, one request, resolve, decline."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import bp
from course.admin.correction_forms import DeclineRequestForm, ResolveRequestForm
from course.admin.viewing import audit_view
from course.corrections import requests as corrections
from course.corrections import services
from course.extensions import db
from course.formpages import form_page
from course.models import CorrectionRequest, CorrectionStatus

FILTERS = {"open": CorrectionStatus.OPEN, "done": CorrectionStatus.DONE,
           "declined": CorrectionStatus.DECLINED, "all": None}  # fmt: skip


@bp.get("/corrections")
def correction_requests():
    """Correction requests, open ones first; ?status= open, done, declined or all.

    :raise 400: for any other status.
    """
    status = request.args.get("status", "open")
    page = request.args.get("page", "1")
    if status not in FILTERS or not page.isdigit():
        abort(400, description="Show requests by status: open, done, declined or all.")
    found = corrections.list_requests(FILTERS[status], int(page) or 1)
    return render_template("admin/corrections.html", page=found, status=status)


def _request_page(found: CorrectionRequest, resolve=None, decline=None, status: int = 200):
    if resolve is None:
        details = corrections.proposed_details(found)
        resolve = ResolveRequestForm(formdata=None, obj=details)
    return render_template(
        "admin/correction.html", found=found, resolve=resolve,
        decline=decline or DeclineRequestForm(formdata=None, prefix="decline"),
    ), status  # fmt: skip


def _request_or_404(request_id: int) -> CorrectionRequest:
    return db.get_or_404(CorrectionRequest, request_id)


@bp.get("/corrections/<int:request_id>")
def correction_request(request_id: int):
    """One request: what the learner asked, their details now, resolve or decline."""
    found = _request_or_404(request_id)
    audit_view(found.user, "correction request", request=found.id)
    return _request_page(found)


@bp.post("/corrections/<int:request_id>/resolve")
@form_page("admin.correction_request", anchor="resolve-heading")
def resolve_correction(request_id: int):
    """Make the correction and reissue the learner's valid certificates."""
    found, form = _request_or_404(request_id), ResolveRequestForm()
    if not form.validate_on_submit():
        return _request_page(found, resolve=form, status=422)
    details = services.Details(form.full_name.data, form.licence_number.data,
                                  form.licence_jurisdiction.data)  # fmt: skip
    try:
        done = corrections.resolve_request(
            current_user, found, details, form.reason.data, request.remote_addr
        )
    except (corrections.RequestRefused, services.CorrectionRefused) as exc:
        db.session.rollback()
        form.refuse(None, str(exc))
        return _request_page(_request_or_404(request_id), resolve=form, status=422)
    db.session.commit()
    codes = ", ".join(c.code for c in done.reissued) or "no valid certificate to reissue"
    said = f"Request {request_id} is done; reissued: {codes}. The learner is told."
    flash({"text": said}, "success")
    return redirect(url_for("admin.correction_requests"), 303)


@bp.post("/corrections/<int:request_id>/decline")
@form_page("admin.correction_request", anchor="decline-heading")
def decline_correction(request_id: int):
    """Close a request without a change, telling the learner why."""
    found, form = _request_or_404(request_id), DeclineRequestForm(prefix="decline")
    if not form.validate_on_submit():
        return _request_page(found, decline=form, status=422)
    try:
        corrections.decline_request(current_user, found, form.note.data, request.remote_addr)
    except corrections.RequestRefused as exc:
        flash({"text": str(exc)}, "error")
        return redirect(url_for("admin.correction_request", request_id=request_id), 303)
    db.session.commit()
    flash({"text": f"Request {request_id} is declined. The learner is told."}, "success")
    return redirect(url_for("admin.correction_requests"), 303)
