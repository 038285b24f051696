"""CE records for administrators: the certificate CSV, the audit log, rosters and audit packs."""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    g,
    make_response,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_login import current_user

from course.admin import bp, roster
from course.admin import records_services as records
from course.admin.audit_pack import audit_pack as build_audit_pack
from course.admin.audit_subjects import subject_names
from course.admin.forms import AuditFilterForm, AuditScopeForm, action_choices
from course.admin.report_views import course_or_404, report_page
from course.admin.roster import AuditScope
from course.authz import role_required
from course.db import write_transaction, writes
from course.extensions import db
from course.forms import mark_refused
from course.models import Course, Role, User


@bp.get("/records/certificates.csv")
@role_required(Role.ADMIN)
@writes
def certificates_csv():
    """Stream every certificate (or one course's) as CSV with every audit field."""
    slug = request.args.get("course") or None
    course_id = course_or_404(slug).id if slug else None
    name = f"certificates-{slug}.csv" if slug else "certificates.csv"
    return _audited_csv(records.certificates_csv(course_id), name,
                        "records.certificates_exported", slug or "all")


AUDIT_PARAMETERS = ("actor", "learner", "learner_id", "action", "start", "end", "page")


def _audit_form() -> tuple[AuditFilterForm, list[str]]:
    """The filter form from the query string, and what is wrong with it (if anything)."""
    form = AuditFilterForm(request.args)
    form.action.choices = action_choices(records.audit_actions())
    problems = [f"“{name}” is not a filter of the audit log." for name in request.args
                if name not in AUDIT_PARAMETERS]  # fmt: skip
    if not form.validate():
        problems += [f"{form[name].label.text}: {' '.join(errors)}"
                     for name, errors in form.errors.items()]  # fmt: skip
    if not request.args.get("page", "1").isdigit() or request.args.get("page") == "0":
        problems.append("The page must be a whole number from 1.")
    if problems:  # an unknown filter too, which no field of the form refuses
        mark_refused()
    return form, problems


def _filters(form: AuditFilterForm) -> records.AuditFilter:
    return records.AuditFilter(actor=form.actor.data or None, action=form.action.data or None,
                               start=form.start.data, end=form.end.data,
                               learner=(form.learner.data or "").strip() or None,
                               learner_id=form.learner_id.data)  # fmt: skip


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """The audit log of author, admin and system actions, filtered and a page at a time.

    :raise 400: (the page, with what is wrong) for an unknown filter or a malformed value.
    """
    form, problems = _audit_form()
    if problems:
        return render_template("admin/audit.html", form=form, page=None, problems=problems,
                               learners=None, account=None), 400  # fmt: skip
    filters = _filters(form)
    page = records.audit_events(filters, int(request.args.get("page", 1)))
    # Whom the events are about, named on the page: the link from a record carries an id.
    learners = records.audit_learners(filters) if filters.about_learner else None
    account = db.session.get(User, filters.learner_id) if filters.learner_id else None
    return render_template("admin/audit.html", form=form, page=page, problems=[],
                           learners=learners, account=account,
                           named=records.NAMED_LEARNERS,
                           details=records.event_details(page.items),
                           subjects=subject_names((e.subject_type, e.subject_id)
                                                  for e in page.items))  # fmt: skip


@bp.get("/audit.csv")
@role_required(Role.ADMIN)
@writes
def audit_csv():
    """Download the filtered audit log as CSV (every cell neutralised); the export is audited.

    :raise 400: for an unknown filter or a malformed value.
    """
    form, problems = _audit_form()
    if problems:
        abort(400, description=" ".join(problems))
    filters = _filters(form)
    # The log itself is the subject; the filters say which part of it left.
    return _audited_csv(records.audit_csv(filters), "audit-log.csv", "records.audit_exported",
                        "all", {k: str(v) for k, v in vars(filters).items() if v},
                        subject_type="audit_log")  # fmt: skip


SCOPE_PARAMETERS = ("version", "start", "end")


def _scope(course: Course) -> AuditScope:
    """The version and period asked for in the query string.

    :raise 400: (the report page, its form saying what is wrong) for an unknown parameter,
        a malformed value or a period that ends before it starts.
    :raise 404: for a version the course does not have.
    """
    form = AuditScopeForm(request.args)
    problems: list[tuple[str, str | None]] = [
        (f"“{name}” is not an option of the audit pack or roster.", None)
        for name in request.args if name not in SCOPE_PARAMETERS
    ]
    if not form.validate():
        problems += [(f"{form[name].label.text}: {' '.join(errors)}", name)
                     for name, errors in form.errors.items()]  # fmt: skip
    if not problems:
        try:
            return roster.audit_scope(course, form.version.data, form.start.data, form.end.data)
        except LookupError as exc:
            abort(404, description=str(exc))
    # Back to the report's form, what was asked kept, rather than a page with no way back.
    mark_refused()  # an unknown option too, which no field of the form refuses
    page = report_page(course, request.args.to_dict(), problems)
    abort(make_response(page, 400))


@bp.get("/courses/<slug>/audit-pack.zip")
@role_required(Role.ADMIN)
def audit_pack(slug: str):
    """Download a course's audit pack (``?version=&start=&end=`` narrow it): outline, seat
    time, blueprint, evaluation, roster, attempts and the packages of the versions taken."""
    course = course_or_404(slug)
    scope = _scope(course)
    # Built in a read transaction: learners' saves do not wait on SQLite's write lock.
    data = build_audit_pack(course, scope, made_by=current_user)
    with write_transaction():
        records.record_export(current_user, "records.audit_pack_downloaded", slug,
                              request.remote_addr, scope.audit_detail())  # fmt: skip
    return _attachment(data, "application/zip", f"audit-pack-{slug}{_suffix(scope)}.zip")


@bp.get("/courses/<slug>/roster.csv")
@role_required(Role.ADMIN)
@writes
def roster_csv(slug: str):
    """Stream the completion roster of a course version and period as CSV."""
    course = course_or_404(slug)
    scope = _scope(course)
    name = f"roster-{slug}{_suffix(scope)}.csv"
    chunks = roster.roster_chunks(roster.roster_rows(course, scope))  # read when streamed
    return _audited_csv(chunks, name, "records.roster_exported", slug, scope.audit_detail())


def _audited_csv(
    chunks, name: str, action: str, what: str, detail: dict | None = None,
    subject_type: str = "course",
) -> Response:
    """Record that these records leave, commit, then stream them as a CSV download."""
    records.record_export(current_user, action, what, request.remote_addr, detail, subject_type)
    db.session.commit()
    g.writes = False  # the streamed read must not hold SQLite's write lock
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/courses/<slug>/enrollments.csv")
@role_required(Role.ADMIN)
@writes
def enrollments_csv(slug: str):
    """Stream every enrollment in the course, finished or not (``?start=&end=``: begun in
    that period), as CSV: the participants beside the roster's completers."""
    course = course_or_404(slug)
    scope = _scope(course)
    name = f"enrollments-{slug}{_suffix(scope)}.csv"
    chunks = roster.enrollment_chunks(roster.enrollment_rows(course, scope))  # when streamed
    return _audited_csv(chunks, name, "records.enrollments_exported", slug,
                        scope.audit_detail())


def _suffix(scope: AuditScope) -> str:
    return "".join(f"-{key[0]}{value}" for key, value in scope.detail().items())


def _attachment(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=name)  # fmt: skip
    response.headers["Cache-Control"] = "private, no-store"
    return response
