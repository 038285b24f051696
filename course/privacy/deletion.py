"""Deleting an account: the person goes, the credit records they earned stay, pseudonymised.

The account row keeps its id, so enrolments, answers, attempts, evaluations and
certificates still hang together for the accreditor, but it no longer says who the
person was. Issued certificates keep the name they were issued with: they are the credit
record a licensing board may verify by code (admins can still revoke them). The link
to the learner's accounts in agencies' LMSs goes: a later launch makes a new account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from course import issuing
from course.audit import record_event
from course.auth.browsers import forget_browser_sessions
from course.auth.signin import AuthError, PasswordCheck, confirm_password
from course.auth.twofactor import remove_factor
from course.db import utcnow
from course.extensions import db
from course.maintenance.invariants import uncertified_completions
from course.models import (
    Certificate,
    CertificateStatus,
    Enrolment,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
    LtiGradeTarget,
    LtiIdentity,
    OutgoingMail,
    PostTestAttempt,
    Role,
    User,
)
from course.outbox.privacy import pseudonymise_statements

STAFF_REFUSAL = (
    "Accounts of authors and administrators are not deleted here, because the audit log "
    "names them. Please ask another administrator to close this account."
)


@dataclass(frozen=True)
class DeletionPreview:
    """What deleting the account would keep, for the confirmation page."""

    certificates: tuple[Certificate, ...]
    completed_courses: tuple[str, ...]
    unfinished_courses: tuple[str, ...]
    #: Why this account cannot be deleted here; None when it can.
    refusal: str | None


@dataclass(frozen=True)
class DeletionResult:
    """What deleting the account did."""

    user_id: int
    certificates_kept: int
    certificates_issued: tuple[str, ...]
    enrolments_kept: int
    comments_cleared: int
    lms_accounts_unlinked: int


def deletion_preview(user: User) -> DeletionPreview:
    """Return the credit records that deleting this account would keep."""
    enrolments = list(
        db.session.scalars(
            select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at)
        )
    )
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user.id, Certificate.status == CertificateStatus.VALID)
        .order_by(Certificate.issued_at)
    )
    return DeletionPreview(
        certificates=tuple(certificates),
        completed_courses=tuple(e.course.title for e in enrolments if e.completed_at),
        unfinished_courses=tuple(e.course.title for e in enrolments if not e.completed_at),
        refusal=None if user.role == Role.LEARNER else STAFF_REFUSAL,
    )


def _issue_missing_certificates(user: User) -> list[str]:
    """Issue earned but never-opened certificates while the account still names its holder."""
    query = uncertified_completions().where(Enrolment.user_id == user.id)
    codes = []
    for enrolment_id in list(db.session.scalars(query)):
        enrolment = db.session.get(Enrolment, enrolment_id)
        try:
            # Not emailed: its page, which the mail links to, closes with the account.
            codes.append(issuing.issue_certificate(enrolment, tell=False).code)
        except issuing.NotEligible:
            continue  # the invariant checker reports such a completion
    return codes


def _clear_comments(user: User) -> int:
    """Empty the learner's free-text evaluation answers; ratings and numbers stay."""
    answers = db.session.scalars(
        select(EvaluationAnswer)
        .join(EvaluationItem, EvaluationAnswer.item_id == EvaluationItem.id)
        .join(EvaluationResponse, EvaluationAnswer.response_id == EvaluationResponse.id)
        .join(Enrolment, EvaluationResponse.enrolment_id == Enrolment.id)
        .where(
            Enrolment.user_id == user.id,
            EvaluationItem.type == "text",
            EvaluationAnswer.value != "",
        )
    )
    cleared = 0
    for answer in answers:
        answer.value = ""
        cleared += 1
    return cleared


def _clear_saved_answers(user: User) -> None:
    """Drop answers saved but never submitted: they are no credit record, and may be text."""
    enrolment_ids = select(Enrolment.id).where(Enrolment.user_id == user.id)
    db.session.execute(
        update(Enrolment)
        .where(Enrolment.user_id == user.id)
        .values(evaluation_draft=None, evaluation_draft_saved_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(PostTestAttempt)
        .where(PostTestAttempt.enrolment_id.in_(enrolment_ids))
        .values(draft=None, draft_saved_at=None)
        .execution_options(synchronize_session=False)
    )


def unlink_lms_accounts(user: User) -> int:
    """Forget which LMS users the account was; return how many LMS accounts it had."""
    # Without this a launch by the same LMS user finds the closed account and is refused
    # for ever, and the account stays tied to the agency's user id. Nothing earned credit
    # here: certificates, attempts and enrolments keep the account's id, not the LMS's.
    unlinked = db.session.execute(
        delete(LtiIdentity).where(LtiIdentity.user_id == user.id),
        execution_options={"synchronize_session": False},
    ).rowcount
    # Each queued score carries the LMS user id in its own body, which the platform needs
    # to file it: scores waiting still go as they are. The target's copy only addresses
    # scores queued later, and none are for a deleted account, so it goes at once.
    db.session.execute(
        update(LtiGradeTarget)
        .where(LtiGradeTarget.user_id == user.id)
        .values(subject=None)
        .execution_options(synchronize_session=False)
    )
    return unlinked


def forget_failed_mail(address: str) -> int:
    """Delete the mail to ``address`` that the server refused for good; return how many.

    Kept for the operator to see what never went, each holds the address and its text (a
    reset link, a name), which the account's deletion must not leave behind for the
    retention's weeks. Mail still on its way goes as it would have.
    """
    return db.session.execute(
        delete(OutgoingMail).where(
            func.lower(OutgoingMail.to_address) == address.lower(),
            OutgoingMail.failed_at.is_not(None),
        ),
        execution_options={"synchronize_session": False},
    ).rowcount


def pseudonymise(user: User) -> None:
    """Replace what identifies the person on the account row and in stored statements."""
    user.email = f"deleted-{user.id}@invalid"
    # Not a hash of anything: no password can ever match it.
    user.password_hash = f"!deleted!{secrets.token_urlsafe(32)}"
    user.full_name = f"Deleted learner {user.id}"
    user.licence_number = None
    user.licence_jurisdiction = None
    user.profession = None
    user.active = False
    user.deleted_at = utcnow()
    # A new session version signs the person out on every device.
    user.session_version += 1
    forget_browser_sessions(user)
    # A demoted staff member's authenticator secret and recovery codes go with the rest.
    remove_factor(user)
    pseudonymise_statements(user)


def delete_account(
    user: User, password: PasswordCheck | None, *, ip_address: str | None = None
) -> DeletionResult:
    """Delete the learner's account once their password is confirmed; keep credit records.

    ``password`` comes from ``signin.check_password``, run before the write transaction;
    it is None for an account opened from an agency's LMS, which has no password (the
    launch that made the session fresh confirmed it is them).

    :raise AuthError: for staff accounts, and when the password is wrong (which counts
        towards sign-in throttling, so the caller commits then too).
    """
    if user.role != Role.LEARNER:
        raise AuthError(STAFF_REFUSAL)
    if user.signs_in_with_password:
        if password is None:
            raise AuthError("Enter your password to confirm it is you.", "password")
        confirm_password(password, ip_address=ip_address, field="password")
    issued = _issue_missing_certificates(user)
    comments = _clear_comments(user)
    _clear_saved_answers(user)
    preview = deletion_preview(user)
    enrolments = len(preview.completed_courses) + len(preview.unfinished_courses)
    forget_failed_mail(user.email)
    pseudonymise(user)
    lms_accounts = unlink_lms_accounts(user)
    result = DeletionResult(
        user_id=user.id,
        certificates_kept=len(preview.certificates),
        certificates_issued=tuple(issued),
        enrolments_kept=enrolments,
        comments_cleared=comments,
        lms_accounts_unlinked=lms_accounts,
    )
    record_event(
        user,
        "privacy.account_deleted",
        "user",
        user.id,
        {
            "certificates_kept": result.certificates_kept,
            "certificates_issued": list(result.certificates_issued),
            "enrolments_kept": result.enrolments_kept,
            "comments_cleared": result.comments_cleared,
            "lms_accounts_unlinked": result.lms_accounts_unlinked,
        },
        ip_address=ip_address,
    )
    db.session.flush()
    return result
