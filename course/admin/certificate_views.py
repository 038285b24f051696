"""Administrators' certificate actions: find, revoke, reissue, reinstate, export."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from course import certificate_changes as changes
from course import issuing
from course.admin import bp
from course.admin import certificate_services as services
from course.admin import records_services as records
from course.admin.forms import (
    CertificateExportForm,
    CertificateSearchForm,
    ReinstateForm,
    ReissueForm,
    RevokeForm,
)
from course.admin.viewing import audit_view
from course.authz import role_required
from course.db import write_transaction
from course.extensions import db
from course.formpages import form_page
from course.learn.services import list_courses
from course.lti.wording import LMS_GRADE_KEPT
from course.models import Role


def _certificate_or_404(code: str):
    certificate = services.get_certificate_or_none(code)
    if certificate is None:
        abort(404)
    return certificate


@bp.get("/certificates")
@role_required(Role.ADMIN)
def certificates():
    """Search certificates and choose a course and dates for a ZIP export."""
    return _certificates_page(CertificateExportForm(formdata=None), list_courses())


def _certificates_page(export: CertificateExportForm, courses, status: int = 200):
    """The certificates page; ``export`` shows its errors when a download was refused."""
    search = CertificateSearchForm(request.args)
    export.course.choices = [(c.slug, c.title) for c in courses]
    found = services.search_certificates(search.q.data)
    page = render_template("admin/certificates.html", search=search, export=export, found=found)
    return page, status


@bp.get("/certificates/<code>")
@role_required(Role.ADMIN)
def certificate(code: str):
    """One certificate: its record, status and history, with revoke, reissue and reinstate."""
    certificate = _certificate_or_404(code)
    audit_view(certificate.user, "certificate", certificate=certificate.code)
    return _certificate_page(certificate)


@bp.get("/certificates/<code>.pdf")
@role_required(Role.ADMIN)
def certificate_pdf(code: str):
    """The certificate's PDF exactly as issued (the bytes its SHA-256 names), for an audit."""
    certificate = _certificate_or_404(code)
    audit_view(certificate.user, "certificate PDF", certificate=certificate.code)
    response = Response(issuing.pdf_of(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{code}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _certificate_page(
    certificate, revoke_form=None, reissue_form=None, reinstate_form=None, status: int = 200
):
    replaced = services.replaced_by_this(certificate)
    return render_template(
        "admin/certificate.html", certificate=certificate, record=issuing.record_of(certificate),
        replacement=services.replacement_of(certificate), replaced=replaced,
        history=services.history_of(certificate, replaced), actions=services.HISTORY_ACTIONS,
        revoke_form=revoke_form or RevokeForm(formdata=None),
        reissue_form=reissue_form or ReissueForm(formdata=None, prefix="reissue"),
        reinstate_form=reinstate_form or ReinstateForm(formdata=None, prefix="reinstate"),
    ), status  # fmt: skip


@bp.post("/certificates/<code>/revoke")
@form_page("admin.certificate", anchor="revoke")
@role_required(Role.ADMIN)
def revoke(code: str):
    """Revoke a certificate with a reason."""
    certificate, form = _certificate_or_404(code), RevokeForm()
    if not form.validate_on_submit():
        return _certificate_page(certificate, revoke_form=form, status=422)
    try:
        kept = changes.revoke(certificate, current_user, form.reason.data, request.remote_addr)
    except ValueError as exc:
        flash({"text": str(exc).capitalize() + "."}, "error")
        return redirect(url_for("admin.certificate", code=code))
    db.session.commit()
    flash({"text": f"Certificate {code} is revoked."}, "success")
    for grade in kept:  # read before the commit, as the audit records them
        flash({"text": LMS_GRADE_KEPT.format(platform=grade.platform,
                                             lineitem=grade.lineitem_url)}, "warning")
    return redirect(url_for("admin.certificate", code=code))


@bp.post("/certificates/<code>/reissue")
@form_page("admin.certificate", anchor="reissue")
@role_required(Role.ADMIN)
def reissue(code: str):
    """Reissue with the learner's corrected name; the old code shows as replaced."""
    certificate, form = _certificate_or_404(code), ReissueForm(prefix="reissue")
    if not form.validate_on_submit():
        return _certificate_page(certificate, reissue_form=form, status=422)
    try:
        replacement = changes.reissue(
            certificate, current_user, form.reason.data, request.remote_addr
        )
    except ValueError as exc:
        flash({"text": str(exc).capitalize() + "."}, "error")
        return redirect(url_for("admin.certificate", code=code))
    db.session.commit()
    flash({"text": f"Reissued as {replacement.code}; {code} now shows as replaced."}, "success")
    return redirect(url_for("admin.certificate", code=replacement.code))


@bp.post("/certificates/<code>/reinstate")
@form_page("admin.certificate", anchor="reinstate")
@role_required(Role.ADMIN)
def reinstate(code: str):
    """Reinstate a revoked certificate's completion on a new one; the old code stays revoked."""
    certificate, form = _certificate_or_404(code), ReinstateForm(prefix="reinstate")
    if not form.validate_on_submit():
        return _certificate_page(certificate, reinstate_form=form, status=422)
    try:
        new = changes.reinstate(certificate, current_user, form.reason.data, request.remote_addr)
    except ValueError as exc:
        # Not str.capitalize(): it would lower-case the certificate code in the message.
        flash({"text": f"{str(exc)[:1].upper()}{str(exc)[1:]}; nothing was changed."}, "error")
        return redirect(url_for("admin.certificate", code=code))
    db.session.commit()
    flash({"text": f"Reinstated as {new.code}; {code} stays revoked and names it."}, "success")
    return redirect(url_for("admin.certificate", code=new.code))


@bp.get("/certificates/export.zip")
@role_required(Role.ADMIN)
def export_certificates():
    """Download a ZIP of a course's certificates issued in a date range; the export is audited."""
    form = CertificateExportForm(request.args)
    courses = {c.slug: c for c in list_courses()}
    form.course.choices = [(slug, c.title) for slug, c in courses.items()]
    if not form.validate():
        return _certificates_page(form, courses.values(), 400)
    slug = form.course.data
    period = {"start": form.start.data, "end": form.end.data}
    # Built in a read transaction: learners' saves do not wait on SQLite's write lock.
    archive = services.certificates_zip(courses[slug], **period, made_by=current_user)
    with write_transaction():
        records.record_export(current_user, "records.certificate_pdfs_exported", slug,
                              request.remote_addr,
                              {key: str(day) for key, day in period.items() if day})  # fmt: skip
    size = archive.seek(0, io.SEEK_END)
    archive.seek(0)
    response = Response(_read_then_close(archive), mimetype="application/zip")
    response.content_length = size
    response.headers["Content-Disposition"] = f'attachment; filename="certificates-{slug}.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _read_then_close(file: BinaryIO, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """Yield the file's bytes, then close it (a temporary file is then deleted)."""
    with file:
        while data := file.read(chunk):
            yield data
