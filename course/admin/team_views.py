"""Course teams for administrators: who authors, reviews and publishes each course."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import bp
from course.admin.forms import ActionForm, TeamAddForm, TeamRoleForm
from course.author.services import Workspace, find_workspace
from course.extensions import db
from course.formpages import form_page
from course.teams import services as teams


def _course_or_404(slug: str) -> Workspace:
    space = find_workspace(slug)
    if space is None:
        abort(404)
    return space


def _team_page(space: Workspace, form: TeamAddForm, status: int = 200):
    return render_template(
        "admin/team.html", space=space, members=teams.members(space.slug), form=form,
        action=ActionForm(),
    ), status  # fmt: skip


@bp.get("/courses/<slug>/team")
def team(slug: str):
    """A course's team, with forms to add, change and remove members."""
    return _team_page(_course_or_404(slug), TeamAddForm(formdata=None))


@bp.post("/courses/<slug>/team")
def add_team_member(slug: str):
    """Put an author on the course's team as author or reviewer."""
    space, form = _course_or_404(slug), TeamAddForm()
    if not form.validate_on_submit():
        return _team_page(space, form, 422)
    try:
        member = teams.add_member_by_email(
            slug, form.email.data, form.role.data, by=current_user, ip_address=request.remote_addr
        )
    except teams.TeamError as exc:
        form.email.errors.append(str(exc))
        return _team_page(space, form, 422)
    db.session.commit()
    flash(f"{member.user.full_name} is on the team as {member.role.value}.", "success")
    return redirect(url_for("admin.team", slug=slug), 303)


@bp.post("/courses/<slug>/team/<int:member_id>/role")
@form_page("admin.team", anchor="role-{member_id}")
def change_team_role(slug: str, member_id: int):
    """Make a team member an author or a reviewer of the course."""
    member, form = teams.get_member(slug, member_id), TeamRoleForm()
    if member is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    teams.change_role(member, form.role.data, by=current_user, ip_address=request.remote_addr)
    db.session.commit()
    flash(f"{member.user.full_name} is now {member.role.value} of this course.", "success")
    return redirect(url_for("admin.team", slug=slug), 303)


@bp.post("/courses/<slug>/team/<int:member_id>/remove")
@form_page("admin.team", anchor="members")
def remove_team_member(slug: str, member_id: int):
    """Take someone off the course's team; their revisions and comments stay."""
    member = teams.get_member(slug, member_id)
    if member is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = member.user.full_name
    teams.remove_member(member, by=current_user, ip_address=request.remote_addr)
    db.session.commit()
    flash(f"{name} is no longer on the team.", "success")
    return redirect(url_for("admin.team", slug=slug), 303)
