"""Linking an account an LMS launch made to an account the learner made on this site.

A launch never matches an account by email (a platform could claim anyone's), so a
learner who signed up here and is later assigned the course through their agency's LMS
gets a second account. Linking joins them on the learner's own word: just after a launch
they type the other account's email and password. The LMS user then opens the site
account on every launch, and what the LMS account did moves with it. The site account's
owner sees the link on their profile and can undo it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select, update

from course.audit import record_event
from course.auth.browsers import end_other_browser_sessions
from course.auth.signin import AuthError, PasswordCheck, confirm_password, record_sign_in
from course.auth.twofactor import factor_of
from course.dates import date_label, time_label
from course.db import utcnow
from course.extensions import db
from course.learn import activetime
from course.lti import linkmoves
from course.mail import send_mail
from course.models import (
    Certificate,
    Course,
    Enrolment,
    LtiGradeTarget,
    LtiIdentity,
    LtiPlatform,
    Role,
    User,
)
from course.provider import current_provider

#: Session key: when this browser's learner launch signed it in (seconds since the epoch).
LAUNCHED_AT = "lti_launched_at"
#: Linking must follow a launch this closely: an LMS session left open on a shared
#: computer must not let the next person take its identity and work into their account.
AFTER_LAUNCH = timedelta(minutes=15)
HAS_CERTIFICATE = (
    "This account holds a certificate, and a certificate stays with the account it was "
    "issued to, so this account cannot be linked. Nothing was changed."
)
NOT_LAUNCHED = "Only an account opened from a learning system can be linked to another."
ALREADY_LINKED = "This account is linked to another one already."
STALE = (
    "For your safety, linking works only within {minutes} minutes of opening a course "
    "from {systems}. "
    "Open the course there again, then come back to this page."
)
STAFF_TARGET = (
    "That account authors or runs courses, and a learning system cannot open such an "
    "account. Nothing was changed: keep learning in this one."
)
SECOND_FACTOR_TARGET = (
    "That account has two-step verification on, and a learning system would open it "
    "without the code from its authenticator app, so it cannot be linked. Nothing was "
    "changed: keep learning in this one, or sign in to that account on this site."
)


class LinkRefused(Exception):
    """Linking is not possible for these two accounts; the message says why, plainly.

    ``target`` is the account the password opened, when the refusal came after it.
    """

    def __init__(self, message: str, target: User | None = None) -> None:
        super().__init__(message)
        self.target = target


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


def launch_time(stamp: object) -> datetime | None:
    """The time a session's ``LAUNCHED_AT`` holds; None for anything else."""
    if not isinstance(stamp, int | float):
        return None
    return datetime.fromtimestamp(stamp, UTC)


def linked_message(linked: Linked) -> str:
    """What the learner is told once the accounts are joined."""
    names = " and ".join(linked.platforms)
    said = [f"Your accounts are linked: opening a course from {names} now opens this "
            f"account, {linked.user.email}."]
    if linked.moved:
        said.append(f"{', '.join(linked.moved)} moved here with what you had done.")
    if linked.dropped:
        said.append(f"You had not begun {', '.join(linked.dropped)} there; it stays as it "
                    "was in this account.")
    return " ".join(said)


def link_offer(source: User, launched_at: datetime | None) -> LinkOffer:
    """Say which LMSs open this account, what it is enrolled in, and whether it may link.

    ``launched_at`` is when this browser's own launch signed it in (None: not by one).
    """
    platforms = tuple(db.session.scalars(
        select(LtiPlatform.name).join(LtiIdentity, LtiIdentity.platform_id == LtiPlatform.id)
        .where(LtiIdentity.user_id == source.id).order_by(LtiIdentity.created_at)))
    courses = tuple(db.session.scalars(
        select(Course.title).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == source.id).order_by(Enrolment.id)))
    refusal = None
    if not source.active:
        refusal = ALREADY_LINKED
    elif source.signs_in_with_password or not platforms:
        refusal = NOT_LAUNCHED
    elif db.session.scalar(select(exists().where(Certificate.user_id == source.id))):
        refusal = HAS_CERTIFICATE
    elif launched_at is None or launched_at < utcnow() - AFTER_LAUNCH:
        # This browser's launch, not the LMS user's latest anywhere: a launch at the
        # learner's own desk must not reopen a session left on a shared computer.
        refusal = STALE.format(minutes=int(AFTER_LAUNCH.total_seconds() // 60),
                               systems=" or ".join(platforms))
    return LinkOffer(platforms=platforms, courses=courses, refusal=refusal)


def link_accounts(source: User, check: PasswordCheck, launched_at: datetime | None, *,
                  ip_address: str | None = None, device: str | None = None) -> Linked:
    """Join the LMS account ``source`` to the account the checked password opens; flushes.

    Run in a write transaction that commits on ``AuthError`` (a wrong password counts
    towards the sign-in throttle) and rolls back on ``LinkRefused``.

    :raise AuthError: when the email address or password is wrong, or must wait.
    :raise LinkRefused: when the two accounts cannot be joined.
    """
    db.session.refresh(source, with_for_update=True)  # of two presses, the second finds it done
    offer = link_offer(source, launched_at)
    if offer.refusal:
        raise LinkRefused(offer.refusal)
    signed_in = record_sign_in(check, ip_address=ip_address)
    target = signed_in.user
    if target is None:
        raise AuthError(signed_in.message)
    _check_target(source, target)
    identities = _identities(source)
    # As at sign-out: the time until now is credited, none while the link page was open.
    activetime.end_reading(source.id)
    try:
        moved, dropped = linkmoves.move_enrolments(source, target)
    except linkmoves.BothBegun as exc:
        raise LinkRefused(
            f"Both accounts have begun {exc.course_title}, and progress in two places "
            "cannot be added together, so nothing was changed. Go on in either account; "
            "if you need them combined, write to the course provider.", target) from exc
    courses_moved = tuple(e.course.title for e in moved)
    grades = linkmoves.move_lms_links(source, target)
    statements = linkmoves.move_statements(source, target)
    license_kept = linkmoves.carry_license(source, target)
    old_email = source.email
    linkmoves.close(source, target)
    record_event(target, "lti.account_linked", "user", target.id, {
        "lms_account": source.id, "lms_account_email": old_email, "lms_users": identities,
        "enrollments_moved": [e.id for e in moved],
        "courses_moved": list(courses_moved),
        "empty_enrollments_dropped": list(dropped), "grade_targets_moved": grades,
        "statements_moved": statements, "license_kept": license_kept, "browser": device,
    }, ip_address=ip_address)
    record_event(target, "lti.account_closed", "user", source.id,
                 {"reason": "linked", "linked_to": target.id}, ip_address=ip_address)
    _tell(target, offer.platforms, courses_moved, device)
    db.session.flush()
    return Linked(user=target, platforms=offer.platforms, moved=courses_moved,
                  dropped=tuple(dropped))


def record_refusal(source: User, refusal: LinkRefused, *, ip_address: str | None) -> None:
    """Audit a refusal that came after a right password, and tell the account's owner."""
    target = refusal.target
    if target is None:
        return
    record_event(source, "lti.link_refused", "user", target.id,
                 {"reason": str(refusal), "target_role": target.role.value},
                 ip_address=ip_address)
    # Someone in a learning system knew this password: its owner should hear of it.
    site = current_app.config["SITE_NAME"]
    send_mail(target.email, f"Your password on {site} was used from a learning system", (
        f"Hello {target.full_name},\n\n"
        f"On {date_label(utcnow())} at {time_label(utcnow())}, someone signed in to a "
        f"learning system typed your password on {site} to link that system's account to "
        f"yours. Nothing was linked: {refusal}\n\n"
        "If this was not you, change your password now and tell the course provider."
        f"{_contact()}\n"))


def _contact() -> str:
    """The provider's contact, for the end of an email, if one is set."""
    contact = current_provider().contact
    return f" You can reach them at {contact}." if contact else ""


def _identities(source: User) -> list[dict[str, object]]:
    """The LMS users that open the account, for the audit log (names change, ids do not)."""
    rows = db.session.execute(
        select(LtiPlatform.id, LtiPlatform.name, LtiPlatform.issuer, LtiIdentity.subject)
        .join(LtiIdentity, LtiIdentity.platform_id == LtiPlatform.id)
        .where(LtiIdentity.user_id == source.id).order_by(LtiIdentity.created_at)).all()
    return [{"platform_id": pid, "platform": name, "issuer": issuer, "sub": sub}
            for pid, name, issuer, sub in rows]


def _check_target(source: User, target: User) -> None:
    if target.role != Role.LEARNER:
        raise LinkRefused(STAFF_TARGET, target)
    if factor_of(target) is not None:
        # A staff member made a learner again keeps the factor. Asking for the code once
        # would not do: every later launch would open the account on the LMS's word alone.
        raise LinkRefused(SECOND_FACTOR_TARGET, target)
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
            f"That account is opened by another user of {shared} already, so nothing was "
            "changed. If both are yours, write to the course provider.", target)


def _tell(target: User, platforms: tuple[str, ...], moved: tuple[str, ...],
          device: str | None) -> None:
    """Tell the account's owner, with how to undo it, in case it was not them."""
    site = current_app.config["SITE_NAME"]
    names = " and ".join(platforms)
    courses = (f" What you had done in {', '.join(moved)} there moved to this account."
               if moved else "")
    where = f" from {device}" if device else ""
    send_mail(target.email, f"Your account on {site} is now opened from {names}", (
        f"Hello {target.full_name},\n\n"
        f"On {date_label(utcnow())} at {time_label(utcnow())}, your account on {site} was "
        f"linked{where} to your account in {names}. Opening a course there now opens this "
        f"account.{courses}\n\n"
        "If you did not do this, sign in, open your profile and choose \"Unlink\" beside "
        f"{names}; then change your password, and tell the course provider.{_contact()}\n"))


# --- undoing a link ---------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedSystem:
    """A learning system whose user opens this account, as the profile lists it."""

    platform_id: int
    name: str
    first_launch_at: datetime
    last_launch_at: datetime


def linked_systems(user: User) -> list[LinkedSystem]:
    """The learning systems whose users open this account, for its profile."""
    rows = db.session.execute(
        select(LtiPlatform.id, LtiPlatform.name, func.min(LtiIdentity.created_at),
               func.max(LtiIdentity.last_launch_at))
        .join(LtiIdentity, LtiIdentity.platform_id == LtiPlatform.id)
        .where(LtiIdentity.user_id == user.id)
        .group_by(LtiPlatform.id, LtiPlatform.name).order_by(LtiPlatform.name)).all()
    return [LinkedSystem(*row) for row in rows]


def unlink(user: User, platform_id: int, check: PasswordCheck, *,
           ip_address: str | None = None) -> str:
    """Stop a learning system's users opening this password account; return its name.

    A later launch from it makes a new account, as for anyone launching the first time.

    :raise AuthError: when the password is wrong, or the system does not open the account.
    """
    confirm_password(check, ip_address=ip_address, field="password")
    platform = db.session.get(LtiPlatform, platform_id)
    removed = db.session.scalars(select(LtiIdentity).where(
        LtiIdentity.user_id == user.id, LtiIdentity.platform_id == platform_id)).all()
    if platform is None or not removed:
        raise AuthError("That learning system does not open your account.")
    for identity in removed:
        db.session.delete(identity)
    # No later score is queued for the account from that system: the link is gone.
    db.session.execute(update(LtiGradeTarget).where(
        LtiGradeTarget.user_id == user.id, LtiGradeTarget.platform_id == platform_id)
        .values(subject=None).execution_options(synchronize_session=False))
    # A session that system opened may be someone else's: every other browser goes.
    signed_out = end_other_browser_sessions(user)
    record_event(user, "lti.account_unlinked", "user", user.id, {
        "platform_id": platform_id, "platform": platform.name,
        "subs": [i.subject for i in removed], "browsers_signed_out": signed_out},
        ip_address=ip_address)
    db.session.flush()
    return platform.name
