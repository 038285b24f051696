"""The page where a learner opened from an LMS links that account to their own one here."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, fresh_login_required

from course.auth import devices, signin
from course.auth.sessions import signed_in_account, start_session, this_device
from course.auth.viewkit import limit, show_error
from course.db import reads_first, write_transaction
from course.extensions import limiter
from course.lti import bp, linking
from course.lti.forms import LinkAccountForm


@bp.route("/link", methods=["GET", "POST"])
@fresh_login_required
@limiter.limit(limit("LOGIN_RATE_LIMIT", "20 per minute; 200 per hour"), methods=["POST"])
@reads_first
def link_account():
    """Link the LMS account signed in to the learner's own account on this site."""
    if current_user.signs_in_with_password:  # a second press, after the first linked
        return redirect(url_for("auth.profile"))
    source, form = signed_in_account(), LinkAccountForm()
    offer = linking.link_offer(source)
    refusal = offer.refusal
    if refusal is None and form.validate_on_submit():
        check = signin.check_sign_in(form.email.data, form.password.data, devices.client())
        device = this_device()
        try:
            with write_transaction(commit_on=signin.AuthError):
                linked = linking.link_accounts(source, check, ip_address=request.remote_addr)
                start_session(linked.user, remember=False, device=device)
        except signin.AuthError as exc:
            show_error(form, exc)
        except linking.LinkRefused as exc:
            refusal = str(exc)
        else:
            flash(linking.linked_message(linked), "success")
            return redirect(url_for("learn.transcript"))
    page = render_template("lti/link.html", form=form, offer=offer, refusal=refusal)
    return page, 409 if refusal and request.method == "POST" else 200
