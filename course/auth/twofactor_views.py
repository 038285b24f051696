"""Two-step verification pages: the sign-in's second step, and setting up, renewing the
recovery codes of, or turning off an authenticator app."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, fresh_login_required, login_required

from course.auth import bp, devices, secondstep, signin, twofactor
from course.auth.sessions import (
    KEPT_ANSWERS_SHOWN,
    safe_next,
    signed_in_account,
    start_session,
    this_device,
)
from course.auth.signin import AuthError
from course.auth.twofactor_forms import CodeForm, ConfirmItIsYouForm, RecoveryCodeForm, SetupForm
from course.auth.viewkit import home, password_checks, private, show_error
from course.db import reads_first, write_transaction
from course.formpages import form_page
from course.models import User


@bp.route("/sign-in/code", methods=["GET", "POST"])
@password_checks
@reads_first
def second_step():
    """Finish signing in with a code from the authenticator app."""
    return _second_step(CodeForm(), recovery=False)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@password_checks
@reads_first
def second_step_recovery():
    """Finish signing in with a recovery code, when the phone is not at hand."""
    return _second_step(RecoveryCodeForm(), recovery=True)


@bp.post("/sign-in/cancel")
@form_page("auth.second_step")
def cancel_second_step():
    """Stop half-way: forget the right password, so this browser is signed out again."""
    if secondstep.cancel():
        flash("Signing in was canceled. You are not signed in.", "info")
    return redirect(home())


def _second_step(form: CodeForm | RecoveryCodeForm, *, recovery: bool):
    held = secondstep.pending()
    if held is None:
        return secondstep.lapsed()
    if form.validate_on_submit():
        user, device = held.user, this_device()
        check = twofactor.check_recovery_code(user, form.code.data) if recovery else None
        try:
            with write_transaction(commit_on=AuthError):
                if check is not None:
                    twofactor.use_recovery_code(user, check, ip_address=request.remote_addr)
                else:
                    twofactor.verify_code(user, form.code.data, ip_address=request.remote_addr)
                start_session(user, remember=held.remember, device=device)
        except AuthError as exc:
            show_error(form, exc)
        else:
            flash({"text": f"You are signed in. {KEPT_ANSWERS_SHOWN}"} if held.answers_kept
                  else "You are signed in.", "success")  # fmt: skip
            return redirect(safe_next(held.next) or home())
    page = render_template("auth/second_step.html", form=form, recovery=recovery)
    return private(page, 422 if form.errors else 200)


@bp.get("/two-factor")
@login_required
def two_factor():
    """Your two-step verification: whether it is on, and the ways to change it."""
    user = signed_in_account()
    factor = twofactor.factor_of(user)
    if factor is None and not twofactor.offered_to(user):
        abort(404)
    return render_template("auth/two_factor.html", factor=factor,
                           codes_left=twofactor.recovery_codes_left(user))  # fmt: skip


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@fresh_login_required
@reads_first
def two_factor_setup():
    """Set up an authenticator app: scan or type its key, then confirm with a code."""
    user, form = signed_in_account(), SetupForm()
    if not twofactor.offered_to(user) or twofactor.factor_of(user) is not None:
        return redirect(url_for("auth.two_factor"))
    issuer = current_app.config["SITE_NAME"]
    try:
        enrollment = twofactor.start_enrollment(user, issuer)
        if form.is_submitted():
            enrollment = twofactor.read_enrollment(user, form.enrollment.data or "", issuer)
        if form.validate_on_submit():
            codes = twofactor.make_recovery_codes(user)
            with write_transaction():
                twofactor.enable(user, enrollment, form.code.data, codes,
                                 ip_address=request.remote_addr)  # fmt: skip
            return _show_codes(codes, first=True)
    except AuthError as exc:
        show_error(form, exc)
    form.enrollment.data = enrollment.token
    page = render_template("auth/two_factor_setup.html", form=form, enrollment=enrollment,
                           required=secondstep.must_set_up(current_user))  # fmt: skip
    return private(page, 422 if form.errors else 200)


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@fresh_login_required
@password_checks
@reads_first
def new_recovery_codes():
    """Replace your recovery codes with ten new ones (the old ones stop working)."""
    user, form = signed_in_account(), ConfirmItIsYouForm()
    if twofactor.factor_of(user) is None:
        return redirect(url_for("auth.two_factor"))
    if form.validate_on_submit():
        codes = twofactor.make_recovery_codes(user)
        if _confirmed(user, form, lambda proof: twofactor.replace_recovery_codes(
                user, codes, proof, ip_address=request.remote_addr)):
            return _show_codes(codes, first=False)
    page = render_template("auth/two_factor_confirm.html", form=form, action="codes")
    return private(page, 422 if form.errors else 200)


@bp.route("/two-factor/off", methods=["GET", "POST"])
@fresh_login_required
@password_checks
@reads_first
def two_factor_off():
    """Turn two-step verification off; you are emailed that it is off."""
    user, form = signed_in_account(), ConfirmItIsYouForm()
    if twofactor.factor_of(user) is None:
        return redirect(url_for("auth.two_factor"))
    if form.validate_on_submit() and _confirmed(user, form, lambda proof: twofactor.disable(
            user, actor=user, proof=proof, ip_address=request.remote_addr)):
        flash({"text": "Two-step verification is off: signing in needs only your password."},
              "success")
        return redirect(url_for("auth.two_factor"))
    page = render_template("auth/two_factor_confirm.html", form=form, action="off")
    return private(page, 422 if form.errors else 200)


def _confirmed(user: User, form: ConfirmItIsYouForm, change: Callable[[str], None]) -> bool:
    """Check the code or password the form carries, then make the change; False if refused."""
    code, password = form.code.data, form.password.data
    check = signin.check_password(user, password, devices.client()) if password and not code \
        else None
    try:
        with write_transaction(commit_on=AuthError):
            change(twofactor.confirm_it_is_you(user, code, check,
                                               ip_address=request.remote_addr))
    except AuthError as exc:
        show_error(form, exc)
        return False
    return True


def _show_codes(codes: twofactor.NewRecoveryCodes, *, first: bool):
    """The recovery codes, shown this once and never cached."""
    return private(render_template("auth/recovery_codes.html", codes=codes.codes, first=first))
