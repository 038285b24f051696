"""Course teams for administrators: who authors, reviews and publishes each course."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import bp
from course.admin.forms import TeamAddForm, TeamRemoveForm, TeamRoleForm
from course.author.services import Workspace, find_workspace
from course.extensions import db
from course.formpages import form_page
from course.models import CourseMember
from course.teams import services as teams
from course.templating import with_article


def _course_or_404(slug: str) -> Workspace:
    space = find_workspace(slug)
    if space is None:
        abort(404)
    return space


def _team_page(space: Workspace, form: TeamAddForm, status: int = 200):
    return render_template(
        "admin/team.html", space=space, members=teams.members(space.slug), form=form,
    ), status  # fmt: skip


def _member_or_404(slug: str, member_id: int) -> tuple[Workspace, CourseMember]:
    space, member = _course_or_404(slug), teams.get_member(slug, member_id)
    if member is None:
        abort(404)
    return space, member


def _member_page(space: Workspace, member: CourseMember, status: int = 200, **forms):
    """One member's page; a form given shows its errors."""
    forms.setdefault("role_form", TeamRoleForm(formdata=None, role=member.role.value))
    forms.setdefault("remove_form", TeamRemoveForm(formdata=None))
    return render_template("admin/team_member.html", space=space, member=member,
                           **forms), status  # fmt: skip


@bp.get("/courses/<slug>/team")
def team(slug: str):
    """A course's team, with the form to add someone."""
    return _team_page(_course_or_404(slug), TeamAddForm(formdata=None))


@bp.post("/courses/<slug>/team")
def add_team_member(slug: str):
    """Put an author on the course's team as author or reviewer, saying why."""
    space, form = _course_or_404(slug), TeamAddForm()
    if not form.validate_on_submit():
        return _team_page(space, form, 422)
    try:
        member = teams.add_member_by_email(slug, form.email.data, form.role.data,
                                           by=current_user, ip_address=request.remote_addr,
                                           reason=form.reason.data)  # fmt: skip
    except teams.TeamError as exc:
        form.refuse(form.email, str(exc))
        return _team_page(space, form, 422)
    db.session.commit()
    flash({"text": f"{member.user.full_name} is on the team as {member.role.value}."}, "success")
    return redirect(url_for("admin.team", slug=slug), 303)


@bp.get("/courses/<slug>/team/<int:member_id>")
def team_member(slug: str, member_id: int):
    """One member of a course's team: change their role or take them off, saying why."""
    return _member_page(*_member_or_404(slug, member_id))


@bp.post("/courses/<slug>/team/<int:member_id>/role")
@form_page("admin.team_member", anchor="role")
def change_team_role(slug: str, member_id: int):
    """Make a team member an author or a reviewer of the course."""
    (space, member), form = _member_or_404(slug, member_id), TeamRoleForm()
    if not form.validate_on_submit():
        return _member_page(space, member, 422, role_form=form)
    teams.change_role(member, form.role.data, by=current_user, ip_address=request.remote_addr,
                      reason=form.reason.data)  # fmt: skip
    db.session.commit()
    said = f"{member.user.full_name} is now {with_article(member.role.value)} of this course."
    flash({"text": said}, "success")
    return redirect(url_for("admin.team", slug=slug), 303)


@bp.post("/courses/<slug>/team/<int:member_id>/remove")
@form_page("admin.team_member", anchor="remove")
def remove_team_member(slug: str, member_id: int):
    """Take someone off the course's team; their revisions and comments stay."""
    (space, member), form = _member_or_404(slug, member_id), TeamRemoveForm()
    if not form.validate_on_submit():
        return _member_page(space, member, 422, remove_form=form)
    name = member.user.full_name
    teams.remove_member(member, by=current_user, ip_address=request.remote_addr,
                        reason=form.reason.data)  # fmt: skip
    db.session.commit()
    flash({"text": f"{name} is no longer on the team."}, "success")
    return redirect(url_for("admin.team", slug=slug), 303)
