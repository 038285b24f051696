"""Pages where a learner links an LMS account to their own account here, and undoes it."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, fresh_login_required, login_required

from course.auth import devices, signin
from course.auth.sessions import signed_in_account, start_session, this_device
from course.auth.viewkit import password_checks, show_error
from course.db import reads_first, write_transaction
from course.lti import bp, linking
from course.lti.forms import LinkAccountForm, UnlinkForm
from course.models import User
from course.provider import current_provider


@bp.route("/link", methods=["GET", "POST"])
@fresh_login_required
@password_checks
@reads_first
def link_account():
    """Link the LMS account signed in to the learner's own account on this site."""
    if current_user.signs_in_with_password:  # a second press, after the first linked
        return redirect(url_for("auth.profile", _anchor="learning-systems"))
    source, form = signed_in_account(), LinkAccountForm()
    launched_at = linking.launch_time(session.get(linking.LAUNCHED_AT))
    offer = linking.link_offer(source, launched_at)
    refusal = offer.refusal if request.method == "POST" else None
    if offer.refusal is None and form.validate_on_submit():
        linked, refusal = _link(source, form, launched_at)
        if linked is not None:
            flash(linking.linked_message(linked), "success")
            return redirect(url_for("learn.transcript"))
        if refusal == linking.ALREADY_LINKED:  # the other press of a double click won
            return redirect(url_for("learn.transcript"))
    page = render_template("lti/link.html", form=form, offer=offer, refusal=refusal,
                           contact=current_provider().contact)
    return page, 409 if refusal else 200


def _link(source: User, form: LinkAccountForm,
          launched_at: datetime | None) -> tuple[linking.Linked | None, str | None]:
    """Check the password, then link; return what was linked, or why it was refused."""
    check = signin.check_sign_in(form.email.data, form.password.data, devices.client())
    device, address = this_device(), request.remote_addr
    try:
        with write_transaction(commit_on=signin.AuthError):
            linked = linking.link_accounts(source, check, launched_at, ip_address=address,
                                           device=device)
            start_session(linked.user, remember=False, device=device)
    except signin.AuthError as exc:
        show_error(form, exc)
        return None, None
    except linking.LinkRefused as exc:
        with write_transaction():  # the refusal is kept though the link was rolled back
            linking.record_refusal(source, exc, ip_address=address)
        return None, str(exc)
    return linked, None


@bp.route("/unlink/<int:platform_id>", methods=["GET", "POST"])
@login_required  # not fresh: the form asks for the password itself
@reads_first
def unlink_account(platform_id: int):
    """Stop a learning system's users opening your account, once you confirm your password."""
    user = signed_in_account()
    system = next((s for s in linking.linked_systems(user) if s.platform_id == platform_id),
                  None)
    if system is None or not user.signs_in_with_password:
        abort(404)
    form = UnlinkForm()
    if form.validate_on_submit():
        check = signin.check_password(user, form.password.data, devices.client())
        try:
            with write_transaction(commit_on=signin.AuthError):
                name = linking.unlink(user, platform_id, check, ip_address=request.remote_addr)
        except signin.AuthError as exc:
            show_error(form, exc)
        else:
            flash(f"{name} no longer opens your account, and any other browser signed in "
                  "to it is signed out.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("lti/unlink.html", form=form, system=system)
