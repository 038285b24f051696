"""Changes an admin makes to an issued certificate: revoke, reissue, reinstate.

Each one flushes and leaves the commit to its caller, and each is audited with who,
the reason and the admin's address. A certificate's own record is never rewritten: a
change that needs different words issues a new certificate with a new code.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import or_, select

import certificates
from course import outbox
from course.approval import approval_for
from course.credential_status import allocate_status
from course.dates import date_label
from course.db import utcnow
from course.extensions import db
from course.issuing import (
    audit,
    build_record,
    certificate_enrolment,
    live_certificate,
    record_of,
    render,
)
from course.mail import tell_account_holder
from course.models import Certificate, CertificateStatus, Course, User
from course.provider import current_provider


def _lock(certificate: Certificate) -> None:
    # Two admins at once: the second waits here, then sees the first one's change and is
    # refused, instead of meeting the one-live-certificate index (PostgreSQL; SQLite's
    # write lock, taken up front, already serializes them).
    db.session.refresh(certificate, with_for_update=True)


def revoke(
    certificate: Certificate, actor: User, reason: str, ip_address: str | None = None
) -> list[outbox.KeptGrade]:
    """Revoke a valid certificate with a reason; it then verifies as revoked.

    Return the grades LMSs still show for it, which this site cannot withdraw (the admin
    is told; the audit keeps them).
    """
    _lock(certificate)
    if certificate.status != CertificateStatus.VALID:
        raise ValueError("only a valid certificate can be revoked")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason.strip()
    db.session.flush()
    outbox.certificate_revoked(certificate)
    outbox.completion_withdrawn(certificate)
    details: dict = {"reason": certificate.revoked_reason}
    kept = outbox.grades_left_in_lms(certificate)
    if kept:  # the record of what the LMS's administrator must clear by hand
        details["lms_grades_kept"] = [
            {"platform": grade.platform, "lineitem": grade.lineitem_url} for grade in kept]
    audit(actor, "certificate.revoked", certificate, details, ip_address)
    tell_account_holder(
        certificate.user, _subject("Your certificate was revoked"),
        f"Your certificate {certificate.code} for {_course_of(certificate)} was revoked on "
        # The zone named, as the verification page and the struck-through PDF state it.
        f"{date_label(certificate.revoked_at, zone=True)} and no longer certifies your"
        " completion.\n\n"
        f"The reason recorded: {certificate.revoked_reason}\n\n"
        f"If you think this is a mistake, contact {_issuer(certificate)} and give the "
        f"code {certificate.code}.",
    )  # fmt: skip
    return kept


def reissue(
    certificate: Certificate, actor: User, reason: str = "", ip_address: str | None = None,
    *, tell: bool = True, add_approval: bool = False,
) -> Certificate:
    """Issue a new certificate with today's name on the account; supersede the old one.

    The completion date and course version stay as first certified. The reason and the
    admin's address go into the audit log. The holder is emailed the new code (unless
    ``tell`` is false: a resolved correction request sends its own email). With
    ``add_approval`` the new one also states the approval now recorded for its completion.
    """
    _lock(certificate)
    if certificate.status != CertificateStatus.VALID:
        raise ValueError("only a valid certificate can be reissued")
    old = record_of(certificate)
    enrolment = certificate_enrolment(certificate)
    fresh = build_record(enrolment, certificate.user, certificates.new_code())
    record = certificates.CertificateRecord.from_dict(
        {**old.to_dict(), **_changed_fields(fresh, add_approval),
         "issued_at": fresh.issued_at.isoformat()}
    )
    certificate.status = CertificateStatus.SUPERSEDED
    db.session.flush()  # out of the one-live-certificate index before the new one goes in
    replacement = _issue_successor(certificate, record)
    outbox.certificate_revoked(certificate)
    outbox.certificate_issued(replacement)
    changed = {
        key: [getattr(old, key), getattr(record, key)]
        for key in ("participant_name", "licence_number", "licence_jurisdiction",
                    *APPROVAL_FIELDS)
        if getattr(old, key) != getattr(record, key)
    }
    audit(
        actor, "certificate.reissued", certificate,
        {"new_code": replacement.code, "reason": reason.strip(), "changed": changed}, ip_address,
    )  # fmt: skip
    if tell:
        # The old code now verifies as replaced and tells a board to ask the holder for
        # the corrected certificate: the holder must know it exists.
        tell_account_holder(
            certificate.user, _subject("Your certificate was reissued"),
            f"Your certificate {certificate.code} for {_course_of(certificate)} was reissued "
            f"as {replacement.code}, for the same completion{_approval_note(add_approval)}. "
            "The new certificate is attached as a PDF, and its page is below. The old code "
            "now verifies as replaced, so please give licensing boards the new one.",
            path=f"/me/certificates/{replacement.code}", certificate_code=replacement.code,
        )  # fmt: skip
    return replacement


def _approval_note(added: bool) -> str:
    return ", now stating the course\u2019s CE approval" if added else ""


APPROVAL_FIELDS = ("approval_body", "approval_number", "approval_statement")


def _changed_fields(
    fresh: certificates.CertificateRecord, add_approval: bool
) -> dict[str, object]:
    # A reissue corrects who the certificate names, nothing about what was earned; the
    # one exception is an approval recorded late whose period covers the completion.
    data = fresh.to_dict()
    keys = ("code", "verify_url", "participant_name", "licence_number", "licence_jurisdiction")
    if add_approval:
        keys += APPROVAL_FIELDS
    return {key: data[key] for key in keys}


def lacking_approval(course: Course) -> list[Certificate]:
    """Valid certificates that state no approval though the course's approval covers
    their completion: issued before an admin recorded it (a renewal backdated, say)."""
    claim = approval_for(course)
    if claim is None:
        return []
    body = Certificate.snapshot["approval_body"].as_string()
    found = db.session.scalars(
        select(Certificate)
        .where(Certificate.course_id == course.id,
               Certificate.status == CertificateStatus.VALID,
               or_(body.is_(None), body == ""))
        .order_by(Certificate.issued_at, Certificate.id)
    )  # fmt: skip
    return [
        certificate for certificate in found
        # A sample certifies nothing, so an approval on it would claim what it cannot.
        if not (record := record_of(certificate)).sample and claim.covers(record.completed_on)
    ]  # fmt: skip


def reissue_with_approval(
    course: Course, actor: User, reason: str, ip_address: str | None = None
) -> list[Certificate]:
    """Reissue each of ``lacking_approval(course)`` stating the approval; return the new ones.

    Each reissue is audited and emailed to its holder as any other.
    """
    if not reason.strip():
        raise ValueError("the reason is required")
    return [reissue(certificate, actor, reason, ip_address, add_approval=True)
            for certificate in lacking_approval(course)]  # fmt: skip


def reinstate(
    certificate: Certificate, actor: User, reason: str, ip_address: str | None = None
) -> Certificate:
    """Issue a new certificate for the completion a revoked one certified; return it.

    The revoked certificate stays revoked (a board told "revoked" must never see that
    code turn valid again) and names the new one as its successor. The new one prints
    what the revoked one did, under a new code and today's issue date.

    :raise ValueError: when the certificate is not revoked, was reinstated already, or
        the learner holds a valid certificate for the enrollment.
    """
    _lock(certificate)
    if certificate.status != CertificateStatus.REVOKED:
        raise ValueError("only a revoked certificate can be reinstated")
    enrolment = certificate_enrolment(certificate)
    if certificate.superseded_by_id is not None:
        done = db.session.get(Certificate, certificate.superseded_by_id)
        raise ValueError(f"this certificate was reinstated already, as {done.code}")
    live = live_certificate(enrolment)
    if live is not None:
        raise ValueError(
            f"the learner already has a valid certificate for this completion, {live.code}"
        )
    code = certificates.new_code()
    record = certificates.CertificateRecord.from_dict({
        **record_of(certificate).to_dict(), "code": code,
        "verify_url": certificates.verify_url_for(current_app.config["BASE_URL"], code),
        "issued_at": utcnow().replace(microsecond=0).isoformat(),
    })  # fmt: skip
    replacement = _issue_successor(certificate, record)
    outbox.certificate_issued(replacement)
    outbox.completion_restored(replacement)
    audit(
        actor, "certificate.reinstated", certificate,
        {"new_code": replacement.code, "reason": reason.strip()}, ip_address,
    )  # fmt: skip
    tell_account_holder(
        certificate.user, _subject("Your certificate was reinstated"),
        f"The revocation of your certificate {certificate.code} for "
        f"{_course_of(certificate)} was a mistake, and your completion is reinstated. Your "
        f"new certificate, {replacement.code}, certifies it: it is attached as a PDF, and "
        f"its page is below. The old code stays revoked, so please give licensing boards "
        f"the new one.",
        path=f"/me/certificates/{replacement.code}", certificate_code=replacement.code,
    )  # fmt: skip
    return replacement


def _course_of(certificate: Certificate) -> str:
    return f"\u201c{certificate.snapshot.get('course_title') or certificate.course.title}\u201d"


def _subject(what: str) -> str:
    return f"{what} ({current_app.config['SITE_NAME']})"


def _issuer(certificate: Certificate) -> str:
    """The provider the certificate names, with its contact for corrections."""
    snapshot, provider = certificate.snapshot, current_provider()
    name = snapshot.get("provider_name") or provider.name or current_app.config["SITE_NAME"]
    contact = snapshot.get("provider_contact") or provider.contact
    return f"{name} ({contact})" if contact else name


def _issue_successor(
    certificate: Certificate, record: certificates.CertificateRecord
) -> Certificate:
    """Store a new valid certificate for the same completion, pointed to by the old one."""
    pdf = render(record)
    successor = Certificate(
        code=record.code,
        user_id=certificate.user_id,
        course_id=certificate.course_id,
        version_id=certificate.version_id,
        enrolment_id=certificate.enrolment_id,
        status=CertificateStatus.VALID,
        issued_at=record.issued_at,
        snapshot=record.to_dict(),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
    )
    db.session.add(successor)
    db.session.flush()
    allocate_status(successor)
    certificate.superseded_by_id = successor.id
    return successor
