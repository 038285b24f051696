"""A learner asks for a correction to their certificate (name, license, other)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from course.corrections import requests as corrections
from course.extensions import db
from course.formpages import form_page
from course.learn import bp
from course.learn.certificate_views import certificate_page, own_certificate_or_404
from course.learn.forms import CorrectionRequestForm
from course.learn.limits import learner_writes


@bp.post("/me/certificates/<code>/correction")
@form_page("learn.certificate", anchor="correction")
@login_required
@learner_writes
def request_correction(code: str):
    """Record the learner's correction request; admins see it in their list."""
    certificate, form = own_certificate_or_404(code), CorrectionRequestForm()
    if not form.validate_on_submit():
        return certificate_page(certificate, form, 422)
    try:
        corrections.request_correction(
            current_user, certificate, form.kind.data, form.requested_value.data,
            form.message.data or "", request.remote_addr,
        )  # fmt: skip
    except corrections.RequestRefused as exc:
        form.refuse(None, str(exc))
        return certificate_page(certificate, form, 422)
    db.session.commit()
    # Said where the page opens, and focused (a mapping), not at the top out of sight.
    flash({"text": "Your request is sent. An administrator will answer it here and by email."},
          "success")
    return redirect(url_for("learn.certificate", code=code, at="correction", _anchor="correction"),
                    303)
