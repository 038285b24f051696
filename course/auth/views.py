"""Getting in: sign-up, sign-in, sign-out and password reset (your account's own pages are
in ``account_views``)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_fresh
from flask_wtf.csrf import CSRFError

from course.auth import (  # noqa: F401  (account_views and session_views register routes)
    account_views,
    bp,
    devices,
    registration,
    resets,
    secondstep,
    services,
    session_views,
    signin,
    twofactor,
    twofactor_views,
)
from course.auth.browsers import end_browser_session
from course.auth.forms import (
    ConfirmRegistrationForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from course.auth.sessions import (
    KEPT_ANSWERS_SHOWN,
    answers_kept_for,
    end_session,
    enforce_session_timeouts,
    safe_next,
    start_session,
    tell_session_clock,
    this_device,
)
from course.auth.viewkit import external, home, limit, password_checks, private, show_error
from course.db import reads_first, write_transaction
from course.errors import error_page, log_form_refusal
from course.extensions import db, limiter
from course.formpages import form_page
from course.learn import activetime

#: The sign-in's second step, by code or by recovery code.
SECOND_STEPS = frozenset({"auth.second_step", "auth.second_step_recovery"})

bp.before_app_request(enforce_session_timeouts)
bp.before_app_request(secondstep.send_to_setup)
bp.after_app_request(tell_session_clock)


def _reset_link(token: str) -> str:
    return external("auth.reset_password")(token)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(limit("REGISTER_RATE_LIMIT", "30 per hour"), methods=["POST"])
@reads_first
def register():
    """Ask for an account: the link that creates it goes to the email address."""
    if current_user.is_authenticated:
        return redirect(home())
    form = RegisterForm(next=request.args.get("next"))
    if form.validate_on_submit():
        try:
            password_hash = services.check_registration(form.account_details(), form.password.data)
        except signin.AuthError as exc:
            show_error(form, exc)
        else:
            pending = registration.PendingAccount(
                form.account_details(), password_hash, safe_next(form.next.data)
            )
            with write_transaction():
                registration.request_registration(
                    pending,
                    link_for=external("auth.confirm_registration"),
                    sign_in_url=external("auth.login")(None),
                    reset_url=external("auth.reset_request")(None),
                )
            return redirect(url_for("auth.registration_sent"))
    elif form.is_submitted() and not form.password.errors:
        # Another field was refused: say what is wrong with the password now, not next time.
        problem = services.registration_password_problem(form.account_details(), form.password.data)
        if problem:
            show_error(form, signin.AuthError(problem, "password"))
    return render_template("auth/register.html", form=form)


@bp.get("/register/sent")
def registration_sent():
    """Say that the link is on its way, the same whether or not the address has an account."""
    hours = current_app.config["REGISTRATION_LINK_HOURS"]
    return render_template("auth/register_sent.html", hours=hours)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(limit("LOGIN_RATE_LIMIT", "20 per minute; 200 per hour"), methods=["POST"])
@reads_first
def confirm_registration(token: str):
    """Create the account from an emailed link and the password chosen at sign-up (a form,
    so mail scanners create nothing)."""
    try:
        pending = registration.read_link_token(token)
        form = ConfirmRegistrationForm(pending.password_hash)
        if current_user.is_authenticated:
            # Someone else's link would sign this browser out of its account and into
            # theirs, and the work done next would earn the other person's credit.
            flash(f"You are signed in as {current_user.full_name}. To create another "
                  "account from an emailed link, sign out first.", "error")
            return redirect(home())
        if form.validate_on_submit():
            device = this_device()
            with write_transaction():
                user = registration.complete_registration(pending)
                start_session(user, remember=False, device=device)
            # A mapping takes focus: a screen reader starts at the news on a new page.
            flash({"text": f"Welcome, {user.full_name}. Your account is ready."}, "success")
            return redirect(pending.next or home())
    except registration.RegistrationLinkError as exc:
        if _created_here(exc):  # a double-click: the first press already made the account
            return redirect(exc.pending.next or home())
        page = render_template("auth/register_link_problem.html", problem=exc.problem.value)
        # A spent link means the account exists: what was asked is done, so that page is
        # an ordinary answer (a press sent again after a dropped connection lands here).
        done = exc.problem is registration.LinkProblem.DONE
        return private(page, 200 if done else 400)
    page = render_template("auth/register_confirm.html", form=form, pending=pending, token=token)
    return private(page, 422 if form.errors else 200)


@bp.errorhandler(CSRFError)
def form_from_before_sign_in(exc: CSRFError):
    """Send a double-click on "Sign in" (either step) or "Create my account" where the
    first click went.

    Signing in gives the browser a new session and so a new form token; the second click
    still carries the old one. Anyone else gets the usual page about an expired form.
    """
    log_form_refusal(exc)
    if current_user.is_authenticated and request.endpoint == "auth.confirm_registration":
        return redirect(request.path, code=303)
    if current_user.is_authenticated and request.endpoint == "auth.login":
        return redirect(url_for("auth.login", next=request.form.get("next")), code=303)
    if current_user.is_authenticated and request.endpoint in SECOND_STEPS:
        return redirect(url_for("auth.login"), code=303)  # signed in: on to the home page
    return error_page(exc, 400, csrf=True)


def _created_here(exc: registration.RegistrationLinkError) -> bool:
    """Whether a spent sign-up link is being opened by the browser it signed in."""
    pending = exc.pending
    return (
        pending is not None
        and current_user.is_authenticated
        and current_user.email == registration.normalise_email(pending.details.email)
    )


@bp.route("/login", methods=["GET", "POST"])
@password_checks
@reads_first
def login():
    """Sign in with email address and password (also to confirm it is still you)."""
    if current_user.is_authenticated and login_fresh():
        return redirect(safe_next(request.args.get("next")) or home())
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
                kept, second = answers_kept_for(result.user), twofactor.factor_of(result.user)
                if second is None:
                    start_session(result.user, remember=form.remember.data, device=device)
        if result.user is not None:
            return _password_accepted(result.user, form, kept, second is not None)
        form.refuse(None, result.message)
    return render_template("auth/login.html", form=form)


def _password_accepted(user, form: LoginForm, kept: bool, second_step: bool):
    """Go on from a right password: to the second step, or signed in to the next page."""
    if second_step:
        secondstep.begin(user, remember=form.remember.data, next_path=safe_next(form.next.data),
                         answers_kept=kept)
        return redirect(url_for("auth.second_step"))
    # A mapping takes focus on the page it opens: that page shows the answers kept.
    flash({"text": f"You are signed in. {KEPT_ANSWERS_SHOWN}"} if kept
          else "You are signed in.", "success")  # fmt: skip
    return redirect(safe_next(form.next.data) or home())


@bp.post("/logout")
@form_page("learn.catalogue")
def logout():
    """Sign out in this browser; other browsers stay signed in."""
    if current_user.is_authenticated:
        end_browser_session(current_user._get_current_object())
        activetime.end_reading(current_user.id)
        db.session.commit()
    end_session()
    flash("You have signed out.", "success")
    response = redirect(home())
    # What lesson pages kept in this browser (lesson-keep.js) goes even when the page's
    # script did not run. "storage" only: "cookies" would also drop the flash above and
    # the device cookie that keeps this browser clear of strangers' failed sign-ins.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(limit("RESET_RATE_LIMIT", "5 per minute; 30 per hour"), methods=["POST"])
def reset_request():
    """Ask for a password-reset link by email."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        with write_transaction():
            resets.send_password_reset(form.email.data, link_for=_reset_link,
                                       client=devices.client())
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
        return private(page, 400)
    except signin.AuthError as exc:
        show_error(form, exc)
    return private(render_template("auth/reset_password.html", form=form, user=user))


