"""Certificate issuing: exactly one live certificate per completion.

Services flush and never commit, except ``issue_once`` and ``issue_after_completion``,
which render the PDF first and then run their own short write transaction. A
certificate's snapshot and PDF hash are frozen at issue time: later changes to a name,
a course or the template never alter it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

import certificates
from certificates.record import hours_text
from course import outbox
from course.approval import approval_on
from course.audit import record_event
from course.credential_status import allocate_status
from course.dates import date_label, local_date
from course.db import utcnow, write_transaction
from course.dbutil import insert_ignoring_duplicates
from course.eventlog import log_certificate_event
from course.extensions import db
from course.mail import tell_account_holder
from course.models import (
    Certificate,
    CertificateStatus,
    CourseVersion,
    Enrolment,
    EvaluationResponse,
    User,
)
from course.provider import NO_PROVIDER, current_provider


class NotEligible(Exception):
    """The completion rule does not hold yet."""


def live_certificate(enrolment: Enrolment) -> Certificate | None:
    """Return the learner's valid certificate for this enrolment, if one was issued."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.enrolment_id == enrolment.id,
            Certificate.status == CertificateStatus.VALID,
        )
    )


def standing_by_enrolment(found: Iterable[Certificate]) -> dict[int, Certificate]:
    """Each enrolment's certificate as it stands: the valid one, else the revoked one.

    A replaced certificate always has a newer one after it, so the newest certificate
    that is not replaced is the one that stands (as ``existing_certificate`` finds it).
    """
    standing: dict[int, Certificate] = {}
    for certificate in sorted(found, key=lambda c: c.id):
        if certificate.status != CertificateStatus.SUPERSEDED:
            standing[certificate.enrolment_id] = certificate
    return standing


def _eligible(enrolment: Enrolment) -> bool:
    evaluated = db.session.scalar(
        select(EvaluationResponse.id).where(EvaluationResponse.enrolment_id == enrolment.id)
    )
    passed = any(attempt.passed for attempt in enrolment.attempts)
    return bool(enrolment.completed_at and evaluated and passed)


def version_taken(enrolment: Enrolment) -> CourseVersion:
    """The version whose post-test the learner passed (the first pass), else the current one.

    The certificate states its title, hours, authors and number: a version published
    after the pass, while the evaluation waited, was never read or tested. The roster's
    "version taken" is the same one.
    """
    attempts = sorted(enrolment.attempts, key=lambda attempt: attempt.number)
    passed = next((attempt for attempt in attempts if attempt.passed), None)
    return passed.version if passed is not None else enrolment.course.current_version


def build_record(
    enrolment: Enrolment, user: User, code: str, version: CourseVersion | None = None
) -> certificates.CertificateRecord:
    """Return the certificate record for a completed enrolment, as it would print today
    (for ``version``, else the version taken)."""
    course = enrolment.course
    version = version or version_taken(enrolment)
    manifest = version.manifest
    package_provider = manifest.get("provider") or {}
    # The provider's calendar day: 5 pm in California is that day, not the next UTC one.
    completed_on = local_date(enrolment.completed_at)
    approval = approval_on(course, completed_on)
    fmt = manifest["format"]
    if "self-study" not in fmt.lower():
        fmt = f"{fmt}; self-study"
    config = current_app.config
    provider = current_provider()
    return certificates.CertificateRecord(
        code=code,
        participant_name=user.full_name,
        licence_number=user.licence_number,
        licence_jurisdiction=user.licence_jurisdiction,
        course_title=manifest["title"],
        course_version=version.number,
        completed_on=completed_on,
        issued_at=utcnow().replace(microsecond=0),
        contact_hours=Decimal(str(manifest["contact_hours"])),
        credit_type=manifest["credit_type"],
        format=fmt,
        authors=tuple(
            certificates.AuthorLine(
                name=a["name"], credentials=a.get("credentials") or "", role=a.get("role") or ""
            )
            for a in manifest.get("authors", [])
        ),
        # Without a deployment provider the certificate is a sample whatever it names.
        provider_name=provider.name or package_provider.get("name") or NO_PROVIDER,
        approval_body=approval.body if approval else None,
        approval_number=approval.number if approval else None,
        approval_statement=approval.statement if approval else None,
        verify_url=certificates.verify_url_for(config["BASE_URL"], code),
        signatory_name=provider.signatory_name or None,
        signatory_title=provider.signatory_title or None,
        sample=not provider.configured,
        provider_contact=provider.contact or None,
        time_zone=provider.time_zone,
        completed_at=enrolment.completed_at.replace(microsecond=0),
    )


@dataclass(frozen=True)
class PreparedCertificate:
    """A certificate's record and PDF, made before its write transaction."""

    record: certificates.CertificateRecord
    pdf: bytes
    version_id: int


def existing_certificate(enrolment: Enrolment) -> Certificate | None:
    """Return the live certificate, else the latest revoked one, else None.

    A revocation is final: visiting the page must not issue a fresh certificate.
    """
    return live_certificate(enrolment) or db.session.scalar(
        select(Certificate)
        .where(
            Certificate.enrolment_id == enrolment.id,
            Certificate.status == CertificateStatus.REVOKED,
        )
        .order_by(Certificate.id.desc())
    )


def prepare_certificate(enrolment: Enrolment) -> PreparedCertificate:
    """Build the record and render the PDF; reads only, so it can run before the write lock.

    :raise NotEligible: when lessons, post-test or evaluation are not all done.
    """
    if not _eligible(enrolment):
        raise NotEligible(enrolment.course.slug)
    return _render(enrolment)


def _render(enrolment: Enrolment) -> PreparedCertificate:
    version = version_taken(enrolment)
    record = build_record(enrolment, enrolment.user, certificates.new_code(), version)
    return PreparedCertificate(record, render(record), version.id)


def issue_certificate(
    enrolment: Enrolment, prepared: PreparedCertificate | None = None, *, tell: bool = True
) -> Certificate:
    """Issue the certificate for a completed enrolment once; return the live one.

    A revoked certificate is returned as it is (and shown as revoked), never replaced.
    ``prepared`` (from ``prepare_certificate``) keeps the PDF rendering out of the
    write transaction; eligibility is checked again here either way.

    Two racing requests both try to insert; the unique index on live certificates
    lets exactly one row in, and both return it; only the one that inserted it emails
    the learner (unless ``tell`` is false).

    :raise NotEligible: when lessons, post-test or evaluation are not all done.
    """
    existing = existing_certificate(enrolment)
    if existing is not None:
        return existing
    if not _eligible(enrolment):
        raise NotEligible(enrolment.course.slug)
    if prepared is None:
        prepared = _render(enrolment)  # eligibility was just checked
    record, pdf = prepared.record, prepared.pdf
    inserted = insert_ignoring_duplicates(
        Certificate,
        {
            "code": record.code,
            "user_id": enrolment.user_id,
            "course_id": enrolment.course_id,
            "version_id": prepared.version_id,
            "enrolment_id": enrolment.id,
            "status": CertificateStatus.VALID.value,
            "issued_at": record.issued_at,
            "snapshot": record.to_dict(),
            "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "pdf": pdf,
        },
    )
    certificate = live_certificate(enrolment)
    if inserted:
        allocate_status(certificate)
        outbox.certificate_issued(certificate)
        audit(None, "certificate.issued", certificate, {"user_id": enrolment.user_id})
        if tell:
            _tell_learner(enrolment.user, record)
    return certificate


def _tell_learner(user: User, record: certificates.CertificateRecord) -> None:
    """Email the learner that their certificate is issued, stating what it certifies."""
    sample = (
        "\n\nPlease note: this is a sample certificate, not valid for continuing-education"
        " credit. No real CE provider was set when it was issued."
        if record.sample else ""
    )  # fmt: skip
    tell_account_holder(
        user, f"Your certificate is ready ({current_app.config['SITE_NAME']})",
        f"Congratulations: you have completed \u201c{record.course_title}\u201d. Your "
        f"certificate states {hours_text(record.contact_hours)}, completed on "
        f"{record.completed_text}.{sample}\n\n"
        f"Certificate code: {record.code}\n"
        f"A licensing board can check it at {record.verify_url}\n\n"
        "The certificate is attached as a PDF. Keep it with your license renewal"
        " records: it stays yours even if you no longer have this account or your"
        " agency's learning system.",
        path=f"/me/certificates/{record.code}",
        link_label="You can also download it from your certificate page: ",
        certificate_code=record.code,
    )  # fmt: skip


def issue_once(enrolment: Enrolment) -> Certificate:
    """Return the enrolment's certificate, issuing it first if there is none; commits.

    The PDF is rendered before the write transaction, so other learners' saves do not
    wait behind it.

    :raise NotEligible: when lessons, post-test or evaluation are not all done.
    """
    certificate = existing_certificate(enrolment)
    if certificate is not None:
        return certificate
    prepared = prepare_certificate(enrolment)
    with write_transaction():
        return issue_certificate(enrolment, prepared)


def issue_after_completion(enrolment: Enrolment) -> Certificate | None:
    """Issue the certificate in its own transaction once the completion is committed.

    A failure here is logged and left for the certificate page or ``flask db check
    --repair`` to retry: it must never undo the evaluation just saved.
    """
    try:
        return issue_once(enrolment)
    except Exception:  # noqa: BLE001  (any failure: the completion stands, issue later)
        db.session.rollback()
        current_app.logger.exception("Certificate not issued yet for enrollment %s", enrolment.id)
        return None


def render(record: certificates.CertificateRecord) -> bytes:
    """Render a new certificate's PDF, with the provider's signature scan when one is set."""
    return certificates.render_pdf(record, current_provider().signature_image)


def record_of(certificate: Certificate) -> certificates.CertificateRecord:
    """Return the frozen record a certificate was issued with."""
    return certificates.CertificateRecord.from_dict(certificate.snapshot)


def pdf_of(certificate: Certificate) -> bytes:
    """Return the PDF as issued (older rows without stored bytes are re-rendered).

    The bytes match the stored hash, for the records; what a holder downloads is
    ``holder_pdf``, struck through once the certificate no longer certifies.
    """
    if certificate.pdf is not None:
        return certificate.pdf
    return certificates.render_pdf(record_of(certificate))


def holder_pdf(certificate: Certificate) -> bytes:
    """Return the PDF to hand out: as issued while valid, else marked REVOKED or REPLACED
    across the page (and without the signature scan, which no longer vouches for it)."""
    notice = void_notice(certificate)
    if notice is None:
        return pdf_of(certificate)
    return certificates.render_pdf(record_of(certificate), None, notice)


def void_notice(certificate: Certificate) -> certificates.VoidNotice | None:
    """What a certificate that no longer certifies says across its face (None while valid)."""
    status = certificate.status
    if status == CertificateStatus.VALID:
        return None
    url = certificate.snapshot.get("verify_url") or "the verification page"
    check = f"Check its status at {url}."
    if status == CertificateStatus.REVOKED:
        since = (f" on {date_label(certificate.revoked_at, zone=True)}"
                 if certificate.revoked_at else "")  # fmt: skip
        return certificates.VoidNotice(
            "REVOKED",
            f"This certificate was revoked{since} and no longer certifies completion. {check}",
        )
    return certificates.VoidNotice(
        "REPLACED",
        "This certificate was replaced by a corrected one and no longer certifies completion"
        f" on its own; the holder has the current certificate. {check}",
    )


def certificate_enrolment(certificate: Certificate) -> Enrolment:
    """Return the enrolment a certificate was issued for."""
    return db.session.get(Enrolment, certificate.enrolment_id)


def audit(
    actor: User | None,
    action: str,
    certificate: Certificate,
    detail: dict,
    ip_address: str | None = None,
) -> None:
    """Record a certificate event in the audit log (with the admin's address, if one), and
    in the application log once committed (code, account id and event only)."""
    record_event(actor, action, "certificate", certificate.code, detail, ip_address)
    log_certificate_event(action, certificate.code, actor, detail.get("new_code"))

