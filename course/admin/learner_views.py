"""Administrators' learner pages: the admin home, search, one learner's record, accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import bp
from course.admin import learner_services as services
from course.admin import report_services as reports
from course.admin.forms import AccountStatusForm, LearnerSearchForm, RoleForm
from course.authz import role_required
from course.extensions import db
from course.models import Role, User


@bp.context_processor
def admin_helpers() -> dict[str, object]:
    """Give admin templates the helper that spells out a learner's chosen answers."""
    return {"answer_text": services.answer_text}


def _role_or_none(value: str | None) -> Role | None:
    try:
        return Role(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@role_required(Role.ADMIN)
def home():
    """The admin home: every course with its figures, and the way to each admin page."""
    return render_template("admin/home.html", courses=reports.course_overview())


@bp.get("/learners")
@role_required(Role.ADMIN)
def learners():
    """List accounts, searched by name, e-mail or licence number, a page at a time."""
    form = LearnerSearchForm(request.args)
    query = form.q.data if form.validate() else None
    page = services.search_learners(
        query, _role_or_none(form.role.data), request.args.get("page", 1, type=int)
    )
    return render_template("admin/learners.html", form=form, page=page)


@bp.get("/learners/<int:user_id>")
@role_required(Role.ADMIN)
def learner(user_id: int):
    """One learner: enrolments, lesson times, every answer, attempts, evaluation, certificates."""
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/learner.html", user=user, records=services.learner_record(user),
        role_form=RoleForm(role=user.role.value), status_form=AccountStatusForm(),
        is_self=user.id == current_user.id,
    )


def _apply(action, user: User, *args, done: str):
    """Run an account action, commit it with its audit event, and return to the learner."""
    try:
        action(current_user, user, *args, ip_address=request.remote_addr)
    except services.ActionRefused as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("admin.learner", user_id=user.id), 303)


@bp.post("/learners/<int:user_id>/role")
@role_required(Role.ADMIN)
def change_role(user_id: int):
    """Give an account another role (never one's own admin role away)."""
    user, form = db.get_or_404(User, user_id), RoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = Role(form.role.data)
    return _apply(services.change_role, user, role, done=f"{user.full_name} is now {role.value}.")


@bp.post("/learners/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    """Deactivate an account and sign it out everywhere; its records stay."""
    user = db.get_or_404(User, user_id)
    if not AccountStatusForm().validate_on_submit():
        abort(400)
    return _apply(services.deactivate, user, done=f"{user.full_name} is deactivated.")


@bp.post("/learners/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    user = db.get_or_404(User, user_id)
    if not AccountStatusForm().validate_on_submit():
        abort(400)
    return _apply(services.reactivate, user, done=f"{user.full_name} can sign in again.")
