"""An administrator emails a learner a password-reset link, past the requests' limit."""

from __future__ import annotations

from collections.abc import Callable

from course.admin.learner_services import ActionRefused
from course.audit import record_event
from course.auth.resets import mail_reset_link
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
