"""An administrator helps someone back in: a password-reset link past the requests'
limit, or two-step verification turned off for a lost phone."""

from __future__ import annotations

from collections.abc import Callable

from course.admin.account_actions import ActionRefused
from course.audit import record_event
from course.auth import twofactor
from course.auth.resets import mail_reset_link
from course.auth.signin import AuthError
from course.models import User


def send_reset_link(
    actor: User, user: User, link_for: Callable[[str], str], ip_address: str | None = None,
    reason: str = "",
) -> User:
    """Email ``user`` a reset link to their own address; audited with the reason.

    For a learner on the phone who cannot get one: five requests for an address stop
    links for a day, and a stranger asking daily keeps them stopped. The link goes to
    the account's address, never to the admin.

    :raise ActionRefused: for a deactivated or deleted account.
    """
    if not user.is_active:
        raise ActionRefused("A deactivated or deleted account gets no reset link: reactivate "
                            "it first.")
    mail_reset_link(user, link_for)
    record_event(actor, "user.reset_link_sent", "user", user.id,
                 {"email": user.email, "reason": reason.strip()}, ip_address)  # fmt: skip
    return user


def clear_second_factor(actor: User, user: User, ip_address: str | None = None,
                        reason: str = "") -> User:
    """Turn off ``user``'s authenticator app and recovery codes; audited with the reason,
    and the account holder is emailed.

    :raise ActionRefused: when the account has none, or it is the admin's own.
    """
    if actor.id == user.id:
        raise ActionRefused("Turn off your own two-step verification from your profile.")
    try:
        twofactor.disable(user, actor=actor, reason=reason, ip_address=ip_address)
    except AuthError as exc:
        raise ActionRefused(exc.message) from None
    return user
