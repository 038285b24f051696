"""Your account's pages: profile, email change, password change, signed-in browsers,
your data and deleting the account."""

from __future__ import annotations

import json

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, fresh_login_required
from flask_wtf import FlaskForm

from course.auth import bp, devices, emailchange, services, signin
from course.auth.browsers import end_other_browser_sessions, signed_in_browsers
from course.auth.forms import DeleteAccountForm, PasswordChangeForm, ProfileForm, SignOutOthersForm
from course.auth.sessions import end_session, renew_session, signed_in_account
from course.auth.viewkit import back_link, external, home, limit, private, show_error
from course.db import reads_first, write_transaction
from course.extensions import db, limiter
from course.formpages import form_page
from course.lti import linking
from course.privacy import deletion, export


def _user_key() -> str:
    # The account, not the sign-in (get_id() holds the browser's token): signing in again
    # must not start a fresh count.
    return f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"


def _keeps_email() -> bool:
    """Exempt profile saves that leave the email address alone from its change limit."""
    email = (request.form.get("email") or "").strip().lower()
    return not current_user.is_authenticated or email in ("", current_user.email)


@bp.route("/profile", methods=["GET", "POST"])
@fresh_login_required
@limiter.limit(
    limit("EMAIL_CHANGE_RATE_LIMIT", "5 per hour"),
    methods=["POST"],
    key_func=_user_key,
    exempt_when=_keeps_email,
)
@reads_first
def profile():
    """Show and edit your details: name, email address, licence and profession."""
    user, back = signed_in_account(), back_link(request.args.get("next"))
    form = ProfileForm(obj=user)
    if not user.signs_in_with_password:
        del form.current_password  # opened from an LMS: its launch confirmed it is them
    if form.validate_on_submit():
        details = form.account_details()
        try:
            password = form.current_password and form.current_password.data
            check = services.check_profile_change(user, details, password, devices.client())
            with write_transaction(commit_on=signin.AuthError):
                new_email = services.update_profile(
                    user, details, check, ip_address=request.remote_addr
                )
                if new_email:
                    emailchange.request_email_change(
                        user, new_email, link_for=external("auth.confirm_email_change")
                    )
        except signin.AuthError as exc:
            show_error(form, exc)
        else:
            # A mapping takes focus (_flashes.html): the same page reopened, its title
            # alone tells a screen reader nothing happened.
            flash({"text": _saved_message(new_email)}, "success")
            return redirect(url_for("auth.profile", next=back and back.path))
    return render_template(
        "auth/profile.html",
        form=form,
        back=back,
        launched=not user.signs_in_with_password,
        linked_systems=linking.linked_systems(user) if user.signs_in_with_password else [],
        browsers=signed_in_browsers(user),
        sign_out_others=SignOutOthersForm(),
    )


def _saved_message(new_email: str | None) -> str:
    if not new_email:
        return "Your details are saved."
    return (
        f"Your details are saved. To use {new_email} for your account, open the link we "
        "sent to it; until then your account keeps its current address."
    )


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@reads_first
def confirm_email_change(token: str):
    """Move the account to a new address from the link sent there (a button, not the GET)."""
    form = FlaskForm()
    try:
        change = emailchange.read_email_change(token)
        if form.validate_on_submit():
            with write_transaction():
                emailchange.apply_email_change(change, ip_address=request.remote_addr)
            flash(f"Your account now uses {change.new_email}.", "success")
            return redirect(url_for("auth.profile" if current_user.is_authenticated
                                    else "auth.login"))
    except emailchange.EmailLinkError as exc:
        page = render_template("auth/email_link_problem.html", problem=exc.problem.value)
        return private(page, 400)
    page = render_template("auth/email_confirm.html", form=form, change=change, token=token)
    return private(page)


@bp.post("/profile/sign-out-others")
@form_page("auth.profile", anchor="sign-ins")
@fresh_login_required
def sign_out_others():
    """Sign out every other browser signed in to your account; this one stays."""
    ended = end_other_browser_sessions(current_user._get_current_object())
    db.session.commit()
    browsers = "browser" if ended == 1 else "browsers"
    flash({"text": f"You are signed out on {ended} other {browsers}. This one stays signed in."},
          "success")
    # No #anchor: the message above the form is what the learner must see first.
    return redirect(url_for("auth.profile"))


@bp.route("/password", methods=["GET", "POST"])
@fresh_login_required
@reads_first
def change_password():
    """Change your password; other devices are signed out."""
    user = signed_in_account()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        change = services.check_password_change(
            user, form.current_password.data, form.new_password.data, devices.client()
        )
        try:
            with write_transaction(commit_on=signin.AuthError):
                services.change_password(user, change, ip_address=request.remote_addr)
        except signin.AuthError as exc:
            show_error(form, exc)
        else:
            renew_session(user)
            flash({"text": "Your password is changed. Any other devices have been signed out."},
                  "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


@bp.get("/profile/my-data.json")
@fresh_login_required
def download_data():
    """Download everything held about you as one JSON file."""
    data = export.export_user_data(signed_in_account())
    response = make_response(json.dumps(data, indent=2, ensure_ascii=False))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="{export.export_filename()}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@fresh_login_required
@reads_first
def delete_account():
    """Delete your account after confirming your password; credit records stay, pseudonymised."""
    user = signed_in_account()
    form = DeleteAccountForm()
    if not user.signs_in_with_password:
        del form.password  # opened from an LMS: its launch confirmed it is them
    if form.validate_on_submit():
        check = form.password and signin.check_password(user, form.password.data, devices.client())
        try:
            with write_transaction(commit_on=signin.AuthError):
                deletion.delete_account(user, check, ip_address=request.remote_addr)
        except signin.AuthError as exc:
            show_error(form, exc)
        else:
            end_session()
            flash("Your account is deleted and you are signed out everywhere.", "success")
            return redirect(home())
    return render_template(
        "auth/delete_account.html",
        form=form,
        launched=not user.signs_in_with_password,
        preview=deletion.deletion_preview(user),
        years=current_app.config["CREDIT_RETENTION_YEARS"],
        purge_days=current_app.config["DELETED_ACCOUNT_PURGE_DAYS"],
    )
