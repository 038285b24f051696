"""Account pages: sign-up, sign-in, sign-out, profile, password change and reset."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, fresh_login_required, login_fresh
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from course.auth import (  # noqa: F401  (session_views registers its routes)
    bp,
    devices,
    emailchange,
    registration,
    resets,
    services,
    session_views,
    signin,
)
from course.auth.browsers import (
    end_browser_session,
    end_other_browser_sessions,
    signed_in_browsers,
)
from course.auth.forms import (
    DeleteAccountForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignOutOthersForm,
)
from course.auth.sessions import (
    end_session,
    enforce_session_timeouts,
    renew_session,
    safe_next,
    signed_in_account,
    start_session,
    this_device,
)
from course.db import reads_first, write_transaction
from course.errors import error_page
from course.extensions import db, limiter
from course.formpages import form_page
from course.privacy import deletion, export

bp.before_app_request(enforce_session_timeouts)


def _limit(key: str, default: str) -> Callable[[], str]:
    """Return a rate limit read from the configuration when the request comes in."""
    return lambda: current_app.config.get(key, default)


def _home() -> str:
    return url_for("learn.catalogue")


def _show_error(form: FlaskForm, exc: signin.AuthError) -> None:
    """Attach a service's refusal to its field, or to the form as a whole."""
    if exc.field and exc.field in form:
        field = form[exc.field]
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _private(body: str, status: int = 200) -> Response:
    """Return a page whose address holds a secret: never cached, never sent as a referrer."""
    response = make_response(body, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _reset_link(token: str) -> str:
    return _external("auth.reset_password")(token)


def _external(endpoint: str) -> Callable[[str | None], str]:
    """Return a maker of full links to ``endpoint`` (with its token, if it takes one)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda token: base + (
        url_for(endpoint, token=token) if token is not None else url_for(endpoint)
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("REGISTER_RATE_LIMIT", "30 per hour"), methods=["POST"])
@reads_first
def register():
    """Ask for an account: the link that creates it goes to the email address."""
    if current_user.is_authenticated:
        return redirect(_home())
    form = RegisterForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            password_hash = services.check_registration(form.account_details(), form.password.data)
        except signin.AuthError as exc:
            _show_error(form, exc)
        else:
            pending = registration.PendingAccount(
                form.account_details(), password_hash, safe_next(form.next.data)
            )
            with write_transaction():
                registration.request_registration(
                    pending,
                    link_for=_external("auth.confirm_registration"),
                    sign_in_url=_external("auth.login")(None),
                    reset_url=_external("auth.reset_request")(None),
                )
            return redirect(url_for("auth.registration_sent"))
    elif form.is_submitted() and not form.password.errors:
        # Another field was refused: say what is wrong with the password now, not next time.
        problem = services.registration_password_problem(form.account_details(), form.password.data)
        if problem:
            _show_error(form, signin.AuthError(problem, "password"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/sent")
def registration_sent():
    """Say that the link is on its way, the same whether or not the address has an account."""
    hours = current_app.config["REGISTRATION_LINK_HOURS"]
    return render_template("auth/register_sent.html", hours=hours)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@reads_first
def confirm_registration(token: str):
    """Create the account from an emailed link (a button, so mail scanners create nothing)."""
    form = FlaskForm()
    try:
        pending = registration.read_link_token(token)
        if form.validate_on_submit():
            device = this_device()
            with write_transaction():
                user = registration.complete_registration(pending)
                start_session(user, remember=False, device=device)
            flash(f"Welcome, {user.full_name}. Your account is ready.", "success")
            return redirect(pending.next or _home())
    except registration.RegistrationLinkError as exc:
        if _created_here(exc):  # a double-click: the first press already made the account
            return redirect(exc.pending.next or _home())
        page = render_template("auth/register_link_problem.html", problem=exc.problem.value)
        # A spent link means the account exists: what was asked is done, so that page is
        # an ordinary answer (a press sent again after a dropped connection lands here).
        done = exc.problem is registration.LinkProblem.DONE
        return _private(page, 200 if done else 400)
    page = render_template("auth/register_confirm.html", form=form, pending=pending, token=token)
    return _private(page)


@bp.errorhandler(CSRFError)
def form_from_before_sign_in(exc: CSRFError):
    """Send a double-click on "Sign in" or "Create my account" where the first click went.

    Signing in gives the browser a new session and so a new form token; the second click
    still carries the old one. Anyone else gets the usual page about an expired form.
    """
    if current_user.is_authenticated and request.endpoint == "auth.confirm_registration":
        return redirect(request.path, code=303)
    if current_user.is_authenticated and request.endpoint == "auth.login":
        return redirect(url_for("auth.login", next=request.form.get("next")), code=303)
    return error_page(exc, 400, csrf=True)


def _created_here(exc: registration.RegistrationLinkError) -> bool:
    """Whether a spent sign-up link is being opened by the browser it signed in."""
    pending = exc.pending
    return (
        pending is not None
        and current_user.is_authenticated
        and current_user.email == registration.normalise_email(pending.details.email)
    )


def _trusted_browser() -> bool:
    """Exempt a browser that signed in to this account before from the per-address limit."""
    email = request.form.get("email")
    return bool(email) and signin.is_trusted_browser(email, devices.client())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _limit("LOGIN_RATE_LIMIT", "20 per minute; 200 per hour"),
    methods=["POST"],
    exempt_when=_trusted_browser,
)
@reads_first
def login():
    """Sign in with email address and password (also to confirm it is still you)."""
    if current_user.is_authenticated and login_fresh():
        return redirect(safe_next(request.args.get("next")) or _home())
    if current_user.is_authenticated and not current_user.signs_in_with_password:
        return render_template("auth/relaunch.html")  # no password to ask for
    email = current_user.email if current_user.is_authenticated else None
    form = LoginForm(next=request.args.get("next"), email=email)
    if form.validate_on_submit():
        check = signin.check_sign_in(form.email.data, form.password.data, devices.client())
        device = this_device()
        with write_transaction():
            result = signin.record_sign_in(check, ip_address=request.remote_addr)
            if result.user is not None:
                start_session(result.user, remember=form.remember.data, device=device)
        if result.user is not None:
            flash("You are signed in.", "success")
            return redirect(safe_next(form.next.data) or _home())
        form.form_errors.append(result.message)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@form_page("learn.catalogue")
def logout():
    """Sign out in this browser; other browsers stay signed in."""
    if current_user.is_authenticated:
        end_browser_session(current_user._get_current_object())
        db.session.commit()
    end_session()
    flash("You have signed out.", "success")
    return redirect(_home())


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
    _limit("EMAIL_CHANGE_RATE_LIMIT", "5 per hour"),
    methods=["POST"],
    key_func=_user_key,
    exempt_when=_keeps_email,
)
@reads_first
def profile():
    """Show and edit your details: name, email address, licence and profession."""
    user = signed_in_account()
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
                        user, new_email, link_for=_external("auth.confirm_email_change")
                    )
        except signin.AuthError as exc:
            _show_error(form, exc)
        else:
            flash(_saved_message(new_email), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html",
        form=form,
        launched=not user.signs_in_with_password,
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
        return _private(page, 400)
    page = render_template("auth/email_confirm.html", form=form, change=change, token=token)
    return _private(page)


@bp.post("/profile/sign-out-others")
@form_page("auth.profile", anchor="sign-ins")
@fresh_login_required
def sign_out_others():
    """Sign out every other browser signed in to your account; this one stays."""
    ended = end_other_browser_sessions(current_user._get_current_object())
    db.session.commit()
    browsers = "browser" if ended == 1 else "browsers"
    flash(f"You are signed out on {ended} other {browsers}. This one stays signed in.", "success")
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
            _show_error(form, exc)
        else:
            renew_session(user)
            flash("Your password is changed. Any other devices have been signed out.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_RATE_LIMIT", "5 per minute; 30 per hour"), methods=["POST"])
def reset_request():
    """Ask for a password-reset link by email."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        with write_transaction():
            resets.send_password_reset(form.email.data, link_for=_reset_link)
        return redirect(url_for("auth.reset_sent"))
    return render_template("auth/reset_request.html", form=form)


@bp.get("/reset/sent")
def reset_sent():
    """Say that a link is on its way if the account exists, without saying whether it does."""
    return render_template(
        "auth/reset_sent.html", minutes=current_app.config["PASSWORD_RESET_MINUTES"]
    )


@bp.route("/reset/<token>", methods=["GET", "POST"])
@reads_first
def reset_password(token: str):
    """Choose a new password from an emailed link; the link works once."""
    form = ResetPasswordForm()
    try:
        user = resets.user_for_reset_token(token)
        if form.validate_on_submit():
            new_hash = services.check_new_password(user, form.new_password.data)
            with write_transaction():
                user = resets.reset_password(token, new_hash, ip_address=request.remote_addr)
            end_session()
            devices.trust_this_browser(user)  # the email proved it: sign in here unhindered
            flash("Your password is changed. Please sign in with your new password.", "success")
            return redirect(url_for("auth.login"))
    except resets.ResetLinkError as exc:
        page = render_template("auth/reset_link_problem.html", problem=exc.problem.value)
        return _private(page, 400)
    except signin.AuthError as exc:
        _show_error(form, exc)
    return _private(render_template("auth/reset_password.html", form=form, user=user))


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
            _show_error(form, exc)
        else:
            end_session()
            flash("Your account is deleted and you are signed out everywhere.", "success")
            return redirect(_home())
    return render_template(
        "auth/delete_account.html",
        form=form,
        launched=not user.signs_in_with_password,
        preview=deletion.deletion_preview(user),
        years=current_app.config["CREDIT_RETENTION_YEARS"],
        purge_days=current_app.config["DELETED_ACCOUNT_PURGE_DAYS"],
    )
