"""Administrators connect an agency's LMS: register platforms, see the tool's URLs and keys."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course.admin import bp
from course.authz import role_required
from course.extensions import db
from course.lti import admin_services as services
from course.lti import refusals
from course.lti.forms import PlatformForm
from course.models import LtiPlatform, Role
from course.outbox import status as outbox_status


def _details():
    return services.tool_details(current_app.config["BASE_URL"])


@bp.get("/lti")
@role_required(Role.ADMIN)
def lti_platforms():
    """Registered platforms, and what to enter on the platform's side."""
    platforms = services.platforms()
    scores = outbox_status.scores_by_platform([platform.id for platform in platforms])
    return render_template("admin/lti.html", platforms=platforms, scores=scores,
                           launches=services.last_launches(), tool=_details(),
                           refusal_seconds=int(refusals.INTERVAL.total_seconds()))


@bp.route("/lti/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def lti_new_platform():
    """Register a platform."""
    return _edit(None, PlatformForm())


@bp.route("/lti/<int:platform_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def lti_platform(platform_id: int):
    """Change a platform's registration, or stop its launches."""
    platform = db.session.get(LtiPlatform, platform_id) or abort(404)
    form = PlatformForm(obj=platform)
    if request.method == "GET":
        form.deployment_ids.data = "\n".join(platform.deployment_ids or [])
        form.reason.data = ""
    return _edit(platform, form)


def _edit(platform: LtiPlatform | None, form: PlatformForm):
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.FIELDS}
        values.update(deployment_ids=form.deployments(), name=form.name.data.strip(),
                      issuer=form.issuer.data.strip(), client_id=form.client_id.data.strip(),
                      token_audience=(form.token_audience.data or "").strip() or None)
        try:
            services.save_platform(platform, values, current_user, form.reason.data.strip(),
                                   request.remote_addr)
        except services.DuplicatePlatform as exc:
            form.refuse(form.client_id, str(exc))
        else:
            db.session.commit()
            flash({"text": f"Platform \u201c{values['name']}\u201d saved."}, "success")
            return redirect(url_for("admin.lti_platforms"))
    status = 422 if form.errors else 200
    return render_template("admin/lti_platform.html", form=form, platform=platform,
                           tool=_details()), status
