"""CE records for administrators: the certificate CSV, the audit log and audit packs."""

from __future__ import annotations

import io

from flask import Response, g, render_template, request, send_file, stream_with_context
from flask_login import current_user

from course.admin import bp
from course.admin import records_services as records
from course.admin.audit_pack import audit_pack as build_audit_pack
from course.admin.forms import AuditFilterForm, action_choices
from course.admin.report_views import course_or_404
from course.authz import role_required
from course.db import writes
from course.extensions import db
from course.models import Role


@bp.get("/records/certificates.csv")
@role_required(Role.ADMIN)
@writes
def certificates_csv():
    """Stream every certificate (or one course's) as CSV with every audit field."""
    slug = request.args.get("course") or None
    course_id = course_or_404(slug).id if slug else None
    records.record_export(current_user, "records.certificates_exported", slug or "*",
                          request.remote_addr)
    db.session.commit()
    # The export only reads: its long transaction must not hold SQLite's write lock.
    g.writes = False
    response = Response(stream_with_context(records.certificates_csv(course_id)),
                        mimetype="text/csv")
    name = f"certificates-{slug}.csv" if slug else "certificates.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _filters(form: AuditFilterForm) -> records.AuditFilter:
    """Return the filters from the fields that validated."""
    def value(field):
        return field.data if field.data and not field.errors else None

    return records.AuditFilter(actor=value(form.actor), action=value(form.action),
                               start=value(form.start), end=value(form.end))


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """The audit log of author, admin and system actions, filtered and a page at a time."""
    form = AuditFilterForm(request.args)
    form.action.choices = action_choices(records.audit_actions())
    form.validate()
    page = records.audit_events(_filters(form), request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", form=form, page=page)


@bp.get("/courses/<slug>/audit-pack.zip")
@role_required(Role.ADMIN)
@writes
def audit_pack(slug: str):
    """Download a course's audit pack: outline, seat time, blueprint, evaluation, roster."""
    course = course_or_404(slug)
    data = build_audit_pack(course)
    records.record_export(current_user, "records.audit_pack_downloaded", slug,
                          request.remote_addr)
    db.session.commit()
    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=f"audit-pack-{slug}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response
