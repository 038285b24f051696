"""Administrators' learner pages: the admin home, search, one learner's record, accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import account_actions, bp, reset_links
from course.admin import learner_services as services
from course.admin import report_services as reports
from course.admin.correction_forms import (
    BulkEnrolForm,
    DetailsForm,
    EnrolForm,
    ResetAttemptForm,
    course_choices,
)
from course.admin.forms import (
    AccountStatusForm,
    ClearSecondFactorForm,
    LearnerSearchForm,
    ResetLinkForm,
    RoleForm,
)
from course.admin.viewing import audit_view
from course.auth import twofactor
from course.auth.viewkit import external
from course.authz import role_required
from course.corrections import requests as correction_requests
from course.corrections import services as corrections
from course.extensions import db
from course.formpages import form_page
from course.learn.evaluation import LIKERT_LABELS
from course.lti import linking
from course.models import Role, User
from course.outbox import status as outbox_status
from course.templating import with_article


@bp.context_processor
def admin_helpers() -> dict[str, object]:
    """Give admin templates the helpers that spell out a learner's questions and answers."""
    return {"answer_text": services.answer_text, "keyed_text": services.keyed_text,
            "question_text": services.question_text}


def _role_or_none(value: str | None) -> Role | None:
    try:
        return Role(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@role_required(Role.ADMIN)
def home():
    """The admin home: every course with its figures, deliveries to other systems, and the
    way to each admin page."""
    return render_template("admin/home.html", courses=reports.course_overview(),
                           deliveries=outbox_status.channel_states(),
                           xapi=outbox_status.xapi_setup())


@bp.get("/learners")
@role_required(Role.ADMIN)
def learners():
    """List accounts, searched by name, email or licence number, a page at a time."""
    form = LearnerSearchForm(request.args)
    query = form.q.data if form.validate() else None
    page = services.search_learners(
        query, _role_or_none(form.role.data), request.args.get("page", 1, type=int)
    )
    bulk = BulkEnrolForm(formdata=None)
    bulk.course.choices = course_choices(corrections.published_courses())
    return render_template("admin/learners.html", form=form, page=page, bulk=bulk)


def learner_page(user: User, status: int = 200, **forms):
    """Render one learner's record with its forms (those given show their errors)."""
    forms.setdefault("role_form", RoleForm(formdata=None, role=user.role.value))
    forms.setdefault("status_form", AccountStatusForm(formdata=None))
    forms.setdefault("reset_link_form", ResetLinkForm(formdata=None))
    forms.setdefault("second_factor_form", ClearSecondFactorForm(formdata=None))
    forms.setdefault("details_form", DetailsForm(formdata=None, obj=user))
    forms.setdefault("reset_form", ResetAttemptForm(formdata=None))
    enrol_form = forms.setdefault("enrol_form", EnrolForm(formdata=None))
    enrol_form.course.choices = course_choices(corrections.not_enrolled_in(user))
    return render_template(
        "admin/learner.html", user=user, records=services.learner_record(user),
        valid_certificates=corrections.valid_certificates(user),
        requests=correction_requests.requests_of(user),
        is_self=user.id == current_user.id, linked_systems=linking.linked_systems(user),
        likert_labels=LIKERT_LABELS, second_factor=twofactor.factor_of(user), **forms,
    ), status  # fmt: skip


@bp.get("/learners/<int:user_id>")
@role_required(Role.ADMIN)
def learner(user_id: int):
    """One learner: enrollments, lesson times, answers, attempts, evaluation, certificates."""
    user = db.get_or_404(User, user_id)
    audit_view(user, "learner record")
    return learner_page(user)


@bp.get("/learners/<int:user_id>/enrolments/<int:enrolment_id>/checks")  # before US spelling
@bp.get("/learners/<int:user_id>/enrollments/<int:enrolment_id>/checks")
@role_required(Role.ADMIN)
def learner_checks(user_id: int, enrolment_id: int):
    """Every knowledge-check try of one enrolment, or of one check, newest first, paged."""
    user = db.get_or_404(User, user_id)
    history = services.check_history(user, enrolment_id, request.args.get("check"),
                                     request.args.get("page", 1, type=int))  # fmt: skip
    if history is None:
        abort(404)
    audit_view(user, "knowledge-check answers", enrolment=enrolment_id)
    return render_template("admin/learner_checks.html", user=user, history=history)


def _apply(action, user: User, form, *args, done: str):
    """Run an account action with its reason, commit it with its audit event, go back."""
    if not form.validate_on_submit():
        field = {RoleForm: "role_form", ResetLinkForm: "reset_link_form",
                 ClearSecondFactorForm: "second_factor_form"}.get(type(form), "status_form")
        return learner_page(user, 422, **{field: form})
    try:
        action(current_user, user, *args, ip_address=request.remote_addr, reason=form.reason.data)
    except account_actions.ActionRefused as exc:
        flash({"text": str(exc)}, "error")
    else:
        db.session.commit()
        flash({"text": done}, "success")
    return redirect(url_for("admin.learner", user_id=user.id, at="account", _anchor="account"),
                    303)


@bp.post("/learners/<int:user_id>/role")
@form_page("admin.learner", anchor="account")
@role_required(Role.ADMIN)
def change_role(user_id: int):
    """Give an account another role (never one's own admin role away)."""
    user, form = db.get_or_404(User, user_id), RoleForm()
    if form.role.data not in {r.value for r in Role}:
        abort(400)
    role = Role(form.role.data)
    return _apply(account_actions.change_role, user, form, role,
                  done=f"{user.full_name} is now {with_article(role.value)}.")  # fmt: skip


@bp.post("/learners/<int:user_id>/deactivate")
@form_page("admin.learner", anchor="account")
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    """Deactivate an account and sign it out everywhere; its records stay."""
    user = db.get_or_404(User, user_id)
    return _apply(account_actions.deactivate, user, AccountStatusForm(),
                  done=f"{user.full_name} is deactivated.")  # fmt: skip


@bp.post("/learners/<int:user_id>/reactivate")
@form_page("admin.learner", anchor="account")
@role_required(Role.ADMIN)
def reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    user = db.get_or_404(User, user_id)
    return _apply(account_actions.reactivate, user, AccountStatusForm(),
                  done=f"{user.full_name} can sign in again.")  # fmt: skip


@bp.post("/learners/<int:user_id>/reset-link")
@form_page("admin.learner", anchor="account")
@role_required(Role.ADMIN)
def send_reset_link(user_id: int):
    """Email the account a password-reset link, past the limit on its own requests."""
    user = db.get_or_404(User, user_id)
    return _apply(reset_links.send_reset_link, user, ResetLinkForm(),
                  external("auth.reset_password"),
                  done=f"A password-reset link is on its way to {user.email}.")  # fmt: skip


@bp.post("/learners/<int:user_id>/second-factor/clear")
@form_page("admin.learner", anchor="account")
@role_required(Role.ADMIN)
def clear_second_factor(user_id: int):
    """Turn off an account's two-step verification (a lost phone), with a reason."""
    user = db.get_or_404(User, user_id)
    return _apply(reset_links.clear_second_factor, user, ClearSecondFactorForm(),
                  done=f"Two-step verification is off for {user.full_name}; they have been "
                       "emailed.")  # fmt: skip
