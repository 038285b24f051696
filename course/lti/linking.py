"""Linking an account an LMS launch made to an account the learner made on this site.

A launch never matches an account by email (a platform could claim anyone's), so a
learner who signed up here and is later assigned the course through their agency's LMS
gets a second account. Linking joins them on the learner's own word: they are signed in
from the LMS and type the other account's email and password. The LMS user then opens
the site account on every launch, and what the LMS account did moves with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, exists, func, or_, select, update

from course.audit import record_event
from course.auth.browsers import forget_browser_sessions
from course.auth.signin import AuthError, PasswordCheck, record_sign_in
from course.dates import date_label
from course.db import utcnow
from course.extensions import db
from course.mail import send_mail
from course.models import (
    Certificate,
    CheckResponse,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    LtiGradeTarget,
    LtiIdentity,
    LtiPlatform,
    PostTestAttempt,
    Role,
    User,
)

HAS_CERTIFICATE = (
    "This account already holds a certificate, so it stays as it is: a certificate "
    "belongs to the account it was issued to. To have the two accounts combined, write "
    "to the course provider."
)
NOT_LAUNCHED = "Only an account opened from a learning system can be linked to another."
ALREADY_LINKED = (
    "This account is linked to another one already. Open the course from your learning "
    "system again: it now opens the other account."
)
STAFF_TARGET = (
    "That account authors or runs courses, and such an account cannot be opened from a "
    "learning system. Keep learning in this one, or ask an administrator."
)


class LinkRefused(Exception):
    """Linking is not possible for these two accounts; the message says why, plainly."""


@dataclass(frozen=True)
class LinkOffer:
    """What the link page shows before the learner types anything."""

    platforms: tuple[str, ...]
    courses: tuple[str, ...]
    #: Why this account cannot be linked; None when it can.
    refusal: str | None


@dataclass(frozen=True)
class Linked:
    """What linking did: the account now opened, and what moved to it."""

    user: User
    platforms: tuple[str, ...]
    moved: tuple[str, ...]
    dropped: tuple[str, ...]


def linked_message(linked: Linked) -> str:
    """What the learner is told once the accounts are joined."""
    names = " and ".join(linked.platforms)
    moved = f" {', '.join(linked.moved)} moved here with what you had done." if linked.moved else ""
    return (f"Your accounts are linked: opening a course from {names} now opens this "
            f"account, {linked.user.email}.{moved}")


def link_offer(source: User) -> LinkOffer:
    """Say which LMSs open this account, what it is enrolled in, and whether it may link."""
    platforms = tuple(db.session.scalars(
        select(LtiPlatform.name).join(LtiIdentity, LtiIdentity.platform_id == LtiPlatform.id)
        .where(LtiIdentity.user_id == source.id).order_by(LtiIdentity.created_at)))
    courses = tuple(db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == source.id).order_by(Enrolment.id)))
    refusal = None
    if not source.active:
        refusal = ALREADY_LINKED
    elif source.signs_in_with_password or not platforms:
        refusal = NOT_LAUNCHED
    elif db.session.scalar(select(exists().where(Certificate.user_id == source.id))):
        refusal = HAS_CERTIFICATE
    return LinkOffer(platforms=platforms, courses=tuple(e.course.title for e in courses),
                     refusal=refusal)


def link_accounts(source: User, check: PasswordCheck, *,
                  ip_address: str | None = None) -> Linked:
    """Join the LMS account ``source`` to the account the checked password opens; flushes.

    Run in a write transaction that commits on ``AuthError`` (a wrong password counts
    towards the sign-in throttle) and rolls back on ``LinkRefused``.

    :raise AuthError: when the email address or password is wrong, or must wait.
    :raise LinkRefused: when the two accounts cannot be joined.
    """
    db.session.refresh(source, with_for_update=True)  # of two presses, the second finds it done
    offer = link_offer(source)
    if offer.refusal:
        raise LinkRefused(offer.refusal)
    signed_in = record_sign_in(check, ip_address=ip_address)
    target = signed_in.user
    if target is None:
        raise AuthError(signed_in.message, "password")
    _check_target(source, target)
    moved, dropped = _move_enrolments(source, target)
    _move_lms_links(source, target)
    _close(source, target)
    record_event(target, "lti.account_linked", "user", target.id, {
        "lms_account": source.id, "platforms": list(offer.platforms),
        "enrolments_moved": list(moved), "empty_enrolments_dropped": list(dropped),
    }, ip_address=ip_address)
    _tell(target, offer.platforms, moved)
    db.session.flush()
    return Linked(user=target, platforms=offer.platforms, moved=moved, dropped=dropped)


def _check_target(source: User, target: User) -> None:
    if target.role != Role.LEARNER:
        raise LinkRefused(STAFF_TARGET)
    shared = db.session.scalar(
        select(LtiPlatform.name)
        .join(LtiIdentity, LtiIdentity.platform_id == LtiPlatform.id)
        .where(LtiIdentity.user_id == target.id,
               LtiIdentity.platform_id.in_(
                   select(LtiIdentity.platform_id).where(LtiIdentity.user_id == source.id)))
        .limit(1))
    if shared is not None:
        # Two users of one LMS on one account would send one person's grades for the other.
        raise LinkRefused(
            f"That account is already opened by another user of {shared}. If both are "
            "yours, write to the course provider.")


def _has_work(enrolment: Enrolment) -> bool:
    """True once the learner did anything in the course beyond opening it."""
    if enrolment.evaluation_draft:
        return True
    done = or_(
        exists().where(LessonProgress.enrolment_id == enrolment.id,
                       or_(LessonProgress.active_seconds > 0,
                           LessonProgress.completed_at.is_not(None))),
        exists().where(CheckResponse.enrolment_id == enrolment.id),
        exists().where(PostTestAttempt.enrolment_id == enrolment.id),
        exists().where(EvaluationResponse.enrolment_id == enrolment.id),
    )
    return bool(db.session.scalar(select(done)))


def _move_enrolments(source: User, target: User) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Give the target the source's enrollments; return the courses moved and dropped."""
    moved: list[str] = []
    dropped: list[str] = []
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.user_id == source.id)):
        own = db.session.scalar(select(Enrolment).where(
            Enrolment.user_id == target.id, Enrolment.course_id == enrolment.course_id))
        if own is None:
            enrolment.user_id = target.id  # its progress, answers and attempts go with it
            moved.append(enrolment.course.title)
        elif _has_work(enrolment):
            raise LinkRefused(
                f"Both accounts have begun {enrolment.course.title}, and their progress "
                "cannot be added together. Finish the course in one of them, or write to "
                "the course provider to have them combined.")
        else:
            db.session.execute(delete(LessonProgress).where(
                LessonProgress.enrolment_id == enrolment.id))
            db.session.delete(enrolment)
            dropped.append(enrolment.course.title)
    db.session.flush()
    return tuple(moved), tuple(dropped)


def _move_lms_links(source: User, target: User) -> None:
    """Point the source's LMS users and grade-book targets at the target account."""
    db.session.execute(update(LtiIdentity).where(LtiIdentity.user_id == source.id)
                       .values(user_id=target.id)
                       .execution_options(synchronize_session=False))
    # A target the site account already has for the same line item or link stays.
    for grade in db.session.scalars(
            select(LtiGradeTarget).where(LtiGradeTarget.user_id == source.id)):
        clash = db.session.scalar(select(func.count(LtiGradeTarget.id)).where(
            LtiGradeTarget.user_id == target.id, LtiGradeTarget.course_id == grade.course_id,
            or_(LtiGradeTarget.lineitem_url == grade.lineitem_url,
                LtiGradeTarget.resource_link_id == grade.resource_link_id)))
        if clash:
            db.session.delete(grade)
        else:
            grade.user_id = target.id
    db.session.flush()


def _close(source: User, target: User) -> None:
    """Close the emptied LMS account for good, saying in its address where it went."""
    source.email = f"linked-{source.id}-to-{target.id}@lti.invalid"
    source.password_hash = f"!linked!{secrets.token_urlsafe(32)}"  # no password matches
    source.active = False
    source.session_version += 1  # signed out on every device
    forget_browser_sessions(source)


def _tell(target: User, platforms: tuple[str, ...], moved: tuple[str, ...]) -> None:
    """Tell the account's owner, in case it was not them (as for a new email address)."""
    site = current_app.config["SITE_NAME"]
    names = " and ".join(platforms)
    courses = (f" What you had done in {', '.join(moved)} there moved to this account."
               if moved else "")
    send_mail(target.email, f"Your account on {site} is now opened from {names}", (
        f"Hello {target.full_name},\n\n"
        f"On {date_label(utcnow())}, your account on {site} was linked to your account in "
        f"{names}. Opening a course there now opens this account.{courses}\n\n"
        "If you did not do this, change your password and contact the course provider "
        "straight away.\n"))
