"""The learner's certificate: HTML page, PDF and signed credential, owner-only."""

from __future__ import annotations

import io
import json

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from certificates import verify_qr_svg
from course import issuing
from course.corrections import requests as correction_requests
from course.credentials import services as credentials
from course.extensions import db
from course.learn import bp
from course.learn import services as learn
from course.learn.forms import CorrectionRequestForm
from course.models import Certificate


def own_certificate_or_404(code: str) -> Certificate:
    """Return one of the signed-in learner's certificates.

    :raise 404: for unknown codes and for other people's certificates alike.
    """
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    return certificate


def _download(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/courses/<slug>/certificate")
@login_required
def completion(slug: str):
    """Issue (once) and show the learner's certificate for a completed course."""
    course = learn.get_course_or_404(slug)
    enrolment = learn.require_enrolment(current_user, course)
    if enrolment.completed_at is None:
        flash("The certificate is available once the course is complete.", "info")
        return redirect(url_for("learn.course_page", slug=slug))
    certificate = issuing.issue_once(enrolment)
    return redirect(url_for("learn.certificate", code=certificate.code))


@bp.get("/me/certificates/<code>")
@login_required
def certificate(code: str):
    """An accessible HTML certificate that prints on one page."""
    return certificate_page(own_certificate_or_404(code))


def certificate_page(certificate: Certificate, form=None, status: int = 200):
    """Render the certificate with its correction requests and the form to ask for one."""
    record = issuing.record_of(certificate)
    return render_template(
        "learn/certificate.html", certificate=certificate, record=record,
        qr=Markup(verify_qr_svg(record.verify_url)),
        manifest=certificate.course.manifest, void=issuing.void_notice(certificate),
        corrections=correction_requests.requests_for(certificate),
        correction_form=form or CorrectionRequestForm(formdata=None),
    ), status  # fmt: skip


@bp.get("/me/certificates/<code>.pdf")
@login_required
def certificate_pdf(code: str):
    """Download the certificate PDF, re-rendered from its frozen record."""
    certificate = own_certificate_or_404(code)
    return _download(issuing.holder_pdf(certificate), "application/pdf",
                     f"certificate-{code}.pdf")  # fmt: skip


@bp.get("/me/certificates/<code>.json")
@login_required
def certificate_credential(code: str):
    """Download the certificate as a signed Open Badges 3.0 credential.

    :raise 410: (saying why) once the certificate is revoked or replaced: a fresh signed
        copy of a credential that no longer certifies would only mislead.
    """
    certificate = own_certificate_or_404(code)
    notice = issuing.void_notice(certificate)
    if notice is not None:
        abort(410, description=f"{notice.word.capitalize()}: {notice.text} Its signed"
              " credential is no longer offered; a copy downloaded earlier shows as revoked"
              " to any verifier that checks its status.")  # fmt: skip
    document = credentials.credential_of(certificate)
    data = json.dumps(document, indent=2, ensure_ascii=False).encode()
    current_app.logger.info("Credential for %s downloaded", code)
    return _download(data, "application/ld+json", f"certificate-{code}.json")
