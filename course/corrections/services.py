"""Corrections an admin makes to a learner's record, each audited with who, where and why.

Nothing is deleted: a corrected name keeps the old one in the audit log, a reset attempt
stays in the record marked as reset, and a reissued certificate supersedes the old one.
Services flush and never commit; the view commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from course import certificate_changes
from course.audit import record_event
from course.db import utcnow
from course.extensions import db
from course.learn.services import enrol, find_enrolment
from course.models import (
    Certificate,
    CertificateStatus,
    Course,
    Enrolment,
    PostTestAttempt,
    User,
)
from course.names import NameRefused, clean_name
from course.users import find_user_by_email

#: The audit action of an enrollment an admin made (events before US spelling say
#: ``enrolment.created_by_admin``, subject ``enrolment``; both are kept as written).
ENROLLED_BY_ADMIN = "enrollment.created_by_admin"

#: The learner details a certificate prints, as (attribute, label).
DETAIL_FIELDS = (
    ("full_name", "name"),
    ("licence_number", "license number"),
    ("licence_jurisdiction", "license jurisdiction"),
)
MAX_BULK = 500


class CorrectionRefused(Exception):
    """A correction that cannot be made; the message says why."""


@dataclass(frozen=True)
class Details:
    """What a certificate prints about the learner."""

    full_name: str
    licence_number: str | None = None
    licence_jurisdiction: str | None = None

    @classmethod
    def of(cls, user: User) -> Details:
        """The details now on the learner's account."""
        return cls(user.full_name, user.licence_number, user.licence_jurisdiction)


@dataclass(frozen=True)
class Corrected:
    """What a correction changed, and the certificates reissued with it."""

    changes: dict[str, list[str | None]]
    reissued: list[Certificate] = field(default_factory=list)


def _clean(value: str | None) -> str | None:
    return " ".join((value or "").split()) or None


def valid_certificates(user: User) -> list[Certificate]:
    """The learner's certificates that are valid now (those a correction reissues)."""
    query = select(Certificate).where(
        Certificate.user_id == user.id, Certificate.status == CertificateStatus.VALID
    )
    return list(db.session.scalars(query.order_by(Certificate.issued_at)))


def correct_details(
    actor: User,
    user: User,
    details: Details,
    reason: str,
    *,
    reissue: bool,
    ip_address: str | None,
    tell: bool = True,
) -> Corrected:
    """Correct a learner's name or license and, if asked, reissue their valid certificates
    (each reissue emails the holder its new code unless ``tell`` is false).

    :raise CorrectionRefused: for a deleted account, an empty or misleading name, or a
        change of nothing.
    """
    if user.deleted_at is not None:
        raise CorrectionRefused("This account was deleted; its details can no longer change.")
    if not _clean(details.full_name):
        raise CorrectionRefused("The name cannot be empty: certificates print it.")
    try:
        full_name = clean_name(details.full_name)
    except NameRefused as exc:
        raise CorrectionRefused(str(exc)) from exc
    new = Details(full_name, _clean(details.licence_number), _clean(details.licence_jurisdiction))
    old = Details.of(user)
    changes = {
        name: [getattr(old, name), getattr(new, name)]
        for name, _ in DETAIL_FIELDS
        if getattr(old, name) != getattr(new, name)
    }
    if not changes and not reissue:
        raise CorrectionRefused("Nothing changed: the details are the same as before.")
    for name, (_, value) in changes.items():
        setattr(user, name, value)
    db.session.flush()
    reissued = []
    if reissue:
        for certificate in valid_certificates(user):
            reissued.append(
                certificate_changes.reissue(certificate, actor, reason, ip_address, tell=tell)
            )
    record_event(
        actor, "user.details_corrected", "user", user.id,
        {"changes": changes, "reason": reason.strip(), "reissued": [c.code for c in reissued]},
        ip_address,
    )  # fmt: skip
    return Corrected(changes, reissued)


# -- enrollment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolled:
    """The outcome of enrolling several learners at once."""

    enrolled: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def enrol_learners(
    actor: User, users: list[User], course: Course, reason: str, ip_address: str | None
) -> Enrolled:
    """Enroll learners in a course for them; each new enrollment is audited with the reason.

    Learners already enrolled are left as they are; deactivated or deleted accounts are
    refused (by name), so a bulk action never enrolls someone who cannot sign in.
    """
    result = Enrolled()
    for user in users:
        if user.deleted_at is not None or not user.active:
            result.refused.append(f"{user.full_name} ({user.email}): the account is not active")
            continue
        if find_enrolment(user, course) is not None:
            result.already.append(user)
            continue
        enrolment = enrol(user, course)
        result.enrolled.append(user)
        record_event(
            actor, ENROLLED_BY_ADMIN, "enrollment", enrolment.id,
            {"user_id": user.id, "email": user.email, "course": course.slug,
             "reason": reason.strip()},
            ip_address,
        )  # fmt: skip
    db.session.flush()
    return result


def not_enrolled_in(user: User) -> list[Course]:
    """The published courses the learner is not enrolled in, by title."""
    taken = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    query = select(Course).where(
        Course.current_version_id.is_not(None), Course.archived_at.is_(None),
        Course.id.not_in(taken),
    )  # fmt: skip
    return list(db.session.scalars(query.order_by(Course.title)))


def published_courses() -> list[Course]:
    """Every published course, by title."""
    query = select(Course).where(Course.current_version_id.is_not(None))
    return list(db.session.scalars(query.order_by(Course.title)))


def published_course(slug: str | None) -> Course | None:
    """A published course by slug (None for an unknown or unpublished one)."""
    if not slug:
        return None
    query = select(Course).where(Course.slug == slug, Course.current_version_id.is_not(None))
    return db.session.scalar(query)


def users_by_id(ids: list[int]) -> list[User]:
    """Accounts by id, in the order given (unknown ids are skipped)."""
    found = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def split_emails(text: str) -> list[str]:
    """Email addresses from pasted text: one per line, or separated by commas or spaces."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text) if part))


def enrol_by_email(
    actor: User, text: str, course: Course, reason: str, ip_address: str | None
) -> Enrolled:
    """Enroll every account named in pasted email addresses; unknown ones are listed.

    :raise CorrectionRefused: when the text names more than ``MAX_BULK`` addresses.
    """
    emails = split_emails(text)
    if len(emails) > MAX_BULK:
        raise CorrectionRefused(f"Enroll at most {MAX_BULK} learners at a time.")
    users, unknown = [], []
    for email in emails:
        user = find_user_by_email(email)
        if user is None:
            unknown.append(email)
        else:
            users.append(user)
    result = enrol_learners(actor, users, course, reason, ip_address)
    return Enrolled(result.enrolled, result.already, unknown, result.refused)


# -- post-test attempts ------------------------------------------------------------------


def get_attempt(user: User, attempt_id: int) -> PostTestAttempt | None:
    """One of the learner's attempts (None for another learner's)."""
    attempt = db.session.get(PostTestAttempt, attempt_id)
    if attempt is None:
        return None
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    return attempt if enrolment.user_id == user.id else None


def reset_attempt(
    actor: User, attempt: PostTestAttempt, reason: str, ip_address: str | None
) -> PostTestAttempt:
    """Reset an attempt: it stays in the record but no longer counts or blocks a new one.

    :raise CorrectionRefused: for a passed attempt (it earned credit; revoke the
        certificate instead), any attempt of a learner who has passed since (the attempts
        it took are part of that credit's record), or one already reset.
    """
    if attempt.reset_at is not None:
        raise CorrectionRefused(f"Attempt {attempt.number} was already reset.")
    if attempt.passed:
        raise CorrectionRefused(
            f"Attempt {attempt.number} was passed and earned credit, so it cannot be reset. "
            "If the credit should not stand, revoke the certificate."
        )
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    if any(other.passed and other.counts for other in enrolment.attempts):
        raise CorrectionRefused(
            f"The learner has passed the post-test since, so attempt {attempt.number} is part "
            "of the record of that credit and cannot be reset."
        )
    attempt.reset_at = utcnow()
    attempt.reset_by_id = actor.id
    attempt.reset_reason = reason.strip()
    db.session.flush()
    record_event(
        actor, "attempt.reset", "post_test_attempt", attempt.id,
        {"user_id": enrolment.user_id, "course_id": enrolment.course_id,
         "number": attempt.number, "submitted": attempt.submitted_at is not None,
         "score_percent": attempt.score_percent, "reason": attempt.reset_reason},
        ip_address,
    )  # fmt: skip
    return attempt
