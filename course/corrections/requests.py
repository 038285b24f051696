"""Correction requests: a learner asks from their certificate, an admin resolves it.

A learner with a typo on an issued certificate asks here instead of hunting for whom to
write to. The request names the certificate, what is wrong and what it should say; an
admin makes the correction (and reissues) or declines with a note the learner reads.
Services flush and never commit; the view commits once.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from course.admin.paging import Page, paginate
from course.audit import record_event
from course.corrections import services
from course.db import utcnow
from course.extensions import db
from course.mail import tell_account_holder
from course.models import (
    Certificate,
    CertificateStatus,
    CorrectionKind,
    CorrectionRequest,
    CorrectionStatus,
    User,
)
from course.names import NameRefused, clean_licence_detail, clean_name

MAX_VALUE, MAX_MESSAGE = 200, 2000


class RequestRefused(Exception):
    """A request that cannot be made or resolved; the message says why."""


def open_request(certificate: Certificate) -> CorrectionRequest | None:
    """The certificate's open correction request, if it has one."""
    query = select(CorrectionRequest).where(
        CorrectionRequest.certificate_id == certificate.id,
        CorrectionRequest.status == CorrectionStatus.OPEN,
    )
    return db.session.scalar(query)


def requests_for(certificate: Certificate) -> list[CorrectionRequest]:
    """Every correction request about a certificate, newest first."""
    query = (
        select(CorrectionRequest)
        .where(CorrectionRequest.certificate_id == certificate.id)
        .order_by(CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc())
    )
    return list(db.session.scalars(query))


def request_correction(
    user: User,
    certificate: Certificate,
    kind: CorrectionKind | str,
    requested_value: str,
    message: str,
    ip_address: str | None,
) -> CorrectionRequest:
    """Record a learner's request to correct one of their own certificates.

    :raise RequestRefused: for someone else's certificate, one no longer valid, a
        certificate that already has an open request, or a name that could mislead.
    """
    if certificate.user_id != user.id:
        raise RequestRefused("You can only ask for corrections to your own certificates.")
    if certificate.status != CertificateStatus.VALID:
        raise RequestRefused("This certificate is no longer valid, so it cannot be corrected.")
    kind = CorrectionKind(kind)
    try:
        if kind == CorrectionKind.NAME:
            requested_value = clean_name(requested_value)
        elif kind == CorrectionKind.LICENSE:
            requested_value = clean_licence_detail(requested_value, "license number")
    except NameRefused as exc:
        raise RequestRefused(str(exc)) from exc
    if open_request(certificate) is not None:
        raise RequestRefused(
            "You already asked for a correction to this certificate; an administrator "
            "will answer it here."
        )
    request = CorrectionRequest(
        user_id=user.id,
        certificate_id=certificate.id,
        kind=kind,
        requested_value=" ".join(requested_value.split())[:MAX_VALUE],
        message=message.replace("\r\n", "\n").strip()[:MAX_MESSAGE],
        created_at=utcnow(),
        ip_address=ip_address,
    )
    try:
        with db.session.begin_nested():  # a second tab's request meets the unique index
            db.session.add(request)
    except IntegrityError as exc:
        raise RequestRefused("You already asked for a correction to this certificate.") from exc
    record_event(
        user, "correction.requested", "certificate", certificate.code,
        {"request": request.id, "kind": request.kind.value, "requested": request.requested_value},
        ip_address,
    )  # fmt: skip
    return request


def requests_of(user: User) -> list[CorrectionRequest]:
    """Every correction request a learner made, newest first."""
    query = (
        select(CorrectionRequest)
        .where(CorrectionRequest.user_id == user.id)
        .options(selectinload(CorrectionRequest.certificate))
        .order_by(CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc())
    )
    return list(db.session.scalars(query))


def list_requests(status: CorrectionStatus | None, page: int) -> Page:
    """Correction requests, oldest open first (or those with one status), a page at a time."""
    query = select(CorrectionRequest).options(
        selectinload(CorrectionRequest.user), selectinload(CorrectionRequest.certificate)
    )
    if status is not None:
        query = query.where(CorrectionRequest.status == status)
    query = query.order_by(
        (CorrectionRequest.status != CorrectionStatus.OPEN), CorrectionRequest.created_at
    )
    return paginate(query, page)


def count_open() -> int:
    """How many correction requests wait for an admin."""
    query = select(db.func.count()).where(CorrectionRequest.status == CorrectionStatus.OPEN)
    return int(db.session.scalar(query) or 0)


def proposed_details(request: CorrectionRequest) -> services.Details:
    """The learner's details with the requested change applied, for the admin's form."""
    details = services.Details.of(request.user)
    if request.kind == CorrectionKind.NAME:
        return services.Details(request.requested_value, details.licence_number,
                       details.licence_jurisdiction)  # fmt: skip
    if request.kind == CorrectionKind.LICENSE:
        return services.Details(
            details.full_name, request.requested_value, details.licence_jurisdiction
        )
    return details


def _tell_learner(request: CorrectionRequest, outcome: str) -> None:
    """Email the learner what became of their request (queued; sent after the commit)."""
    tell_account_holder(
        request.user, f"Your correction request on {current_app.config['SITE_NAME']}",
        f"{outcome}\n\n{request.resolution_note}", link_label="Your certificates: ",
    )  # fmt: skip


def _close(request: CorrectionRequest, actor: User, status: CorrectionStatus, note: str) -> None:
    if request.status != CorrectionStatus.OPEN:
        raise RequestRefused(f"Request {request.id} was already {request.status.value}.")
    request.status = status
    request.resolved_at = utcnow()
    request.resolved_by_id = actor.id
    request.resolution_note = note.strip()


def resolve_request(
    actor: User,
    request: CorrectionRequest,
    details: services.Details,
    note: str,
    ip_address: str | None,
) -> services.Corrected:
    """Make the correction a request asks for and reissue the learner's valid certificates.

    :raise RequestRefused: when the request is no longer open.
    :raise CorrectionRefused: when the correction cannot be made.
    """
    _close(request, actor, CorrectionStatus.DONE, note)
    reason = f"Correction request {request.id}: {note.strip()}"
    corrected = services.correct_details(  # the request's own email below says it is done
        actor, request.user, details, reason, reissue=True, ip_address=ip_address, tell=False
    )
    record_event(
        actor, "correction.resolved", "correction_request", request.id,
        {"user_id": request.user_id, "note": request.resolution_note,
         "reissued": [c.code for c in corrected.reissued]},
        ip_address,
    )  # fmt: skip
    _tell_learner(
        request, "We made the correction you asked for. Your corrected certificate is ready."
    )
    return corrected


def decline_request(
    actor: User, request: CorrectionRequest, note: str, ip_address: str | None
) -> None:
    """Close a request without a change, with a note that tells the learner why.

    :raise RequestRefused: when the request is no longer open.
    """
    _close(request, actor, CorrectionStatus.DECLINED, note)
    record_event(
        actor, "correction.declined", "correction_request", request.id,
        {"user_id": request.user_id, "note": request.resolution_note}, ip_address,
    )  # fmt: skip
    _tell_learner(
        request, "We looked at your correction request and did not change the certificate:"
    )
    db.session.flush()
