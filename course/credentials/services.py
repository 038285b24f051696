"""Open Badges credentials: issuer profile, signing, status-list bits, verification."""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app, g, has_request_context
from sqlalchemy import select

import certificates
from course import signing_keys
from course.credential_status import allocate_status
from course.db import utcnow, write_transaction
from course.extensions import db
from course.issuing import record_of
from course.models import Certificate, CertificateStatus, Course, CourseVersion, CredentialStatus
from course.provider import base_url, current_provider
from course.verify.services import Verification, verify_code

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: Certificates whose bit is set: a verifier sees them as revoked.
NOT_VALID = (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED)


def issuer_name() -> str:
    """Return the name the issuer profile shows: the CE provider's, else the site's."""
    return current_provider().name or current_app.config["SITE_NAME"]


def _issuer_email() -> str | None:
    contact = current_provider().contact
    return contact if EMAIL.fullmatch(contact) else None


def issuer(name: str | None = None) -> certificates.Issuer:
    """Return the issuer: the site's did:web id, a name and its home page."""
    return certificates.Issuer(
        id=certificates.did_web(base_url()), name=name or issuer_name(), url=base_url()
    )


def status_list_url(number: int) -> str:
    """Return the stable public address of a status list."""
    return f"{base_url()}/credentials/status/{number}"


def _xsd(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def status_of(certificate: Certificate) -> CredentialStatus:
    """Return the certificate's status-list bit, allocating it if it has none yet."""
    status = db.session.scalar(
        select(CredentialStatus).where(CredentialStatus.certificate_id == certificate.id)
    )
    if status is not None:
        return status
    if has_request_context() and g.get("writes"):
        return allocate_status(certificate)
    with write_transaction():
        return allocate_status(certificate)


def _signing_pem() -> bytes:
    return signing_keys.current_key(signing_keys.CREDENTIAL).private_pem.encode()


def public_pems() -> list[bytes]:
    """Return the public half of every credential key, current first."""
    return [
        certificates.public_key_pem(key.private_pem.encode())
        for key in signing_keys.all_keys(signing_keys.CREDENTIAL)
    ]


def credential_of(certificate: Certificate) -> dict:
    """Return the certificate as a signed Open Badges 3.0 credential."""
    record = record_of(certificate)
    status = status_of(certificate)
    return certificates.issue_credential(
        record,
        issuer=issuer(record.provider_name),
        private_pem=_signing_pem(),
        status=certificates.status_entry(status_list_url(status.list_number), status.list_index),
        # The badge of the version certified: a revision's new hours must not show on it.
        # Certificates from before that keep the course's badge, so their credential
        # still signs to the very bytes it did.
        image_url=badge_url(certificate.course.slug,
                            None if certificate.course_badge else record.course_version),
    )  # fmt: skip


def badge_url(slug: str, version: int | None = None) -> str:
    """Return the stable address of a course's badge image, or of one version's."""
    url = f"{base_url()}/credentials/badges/{slug}.svg"
    return url if version is None else f"{url}?version={version}"


def check_credential(
    document: dict,
) -> tuple[certificates.CredentialCheck, Verification | None]:
    """Check a credential's proofs offline, then its certificate's current status."""
    result = certificates.verify_credential(document, public_pems())
    if not result.valid or result.code is None:
        return result, None
    return result, verify_code(result.code)


def status_list(number: int) -> dict | None:
    """Return the signed status list credential, or None for a list never used."""
    if not db.session.scalar(
        select(CredentialStatus.id).where(CredentialStatus.list_number == number).limit(1)
    ):
        return None
    revoked = db.session.scalars(
        select(CredentialStatus.list_index)
        .join(Certificate, Certificate.id == CredentialStatus.certificate_id)
        .where(CredentialStatus.list_number == number, Certificate.status.in_(NOT_VALID))
    ).all()
    url = status_list_url(number)
    now = _xsd(utcnow())
    unsigned = certificates.status_list_credential(url, issuer().id, now, revoked)
    pem = _signing_pem()
    return certificates.secure_document(
        unsigned,
        private_pem=pem,
        created=now,
        verification_method=certificates.method_for(issuer().id, pem),
    )


def badge_of(slug: str, version: int | None = None) -> tuple[Course, dict] | None:
    """Return a course and the manifest its badge shows: that version's, else the current one.

    Archived courses too: old credentials still show their badge.
    """
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or version is None:
        return (course, course.manifest) if course else None
    manifest = db.session.scalar(select(CourseVersion.manifest).where(
        CourseVersion.course_id == course.id, CourseVersion.number == version))  # fmt: skip
    return (course, manifest) if manifest is not None else None


def did_document() -> dict:
    """Return the issuer's DID document (its Open Badges profile) with every key."""
    return certificates.did_document(base_url(), name=issuer_name(), public_pems=public_pems(),
                                     email=_issuer_email())
