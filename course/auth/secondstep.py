"""The browser side of a sign-in's second step: the half-signed-in state, and staff sent
to set up an authenticator app when the site requires one.

After the right password, an account with a second factor is not signed in: the
session holds only which account, until when, and where to go next. Nothing else is
stored, so a session dropped half-way leaves nothing behind, and the state lapses after
``PENDING_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from course.extensions import db
from course.models import Role, User

#: Session key of the half-signed-in state: [account id, session version, until (epoch
#: seconds), remember, next, answers kept].
PENDING = "auth_second_step"
#: How long the second step may take after the password.
PENDING_SECONDS = 5 * 60
#: Pages a staff member who must set up an authenticator app can still open: the sign-in
#: page too, where a sign-in that is not fresh confirms the password before the setup.
OPEN_DURING_SETUP = frozenset({
    "auth.two_factor_setup", "auth.login", "auth.logout", "auth.keep_alive", "static",
    "health.healthz",
})


@dataclass(frozen=True)
class PendingSignIn:
    """An account whose password was right, waiting for its second step."""

    user: User
    remember: bool
    next: str | None
    answers_kept: bool


def begin(user: User, *, remember: bool, next_path: str | None, answers_kept: bool) -> None:
    """Hold the account half signed in until its second step (or until it lapses)."""
    until = int(time.time()) + PENDING_SECONDS
    session[PENDING] = [user.id, user.session_version, until, bool(remember), next_path,
                        bool(answers_kept)]


def pending() -> PendingSignIn | None:
    """Return the half-signed-in account, or None when there is none or it lapsed.

    An account deactivated, or whose password changed (a new session version), since
    the password step is not pending any more.
    """
    held = session.get(PENDING)
    if not isinstance(held, list) or len(held) != 6:
        return None
    user_id, version, until, remember, next_path, kept = held
    if time.time() > until:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return PendingSignIn(user, bool(remember), next_path, bool(kept))


def cancel() -> bool:
    """Forget a half sign-in (the right password, the code not yet given); return whether
    there was one."""
    return session.pop(PENDING, None) is not None


def lapsed() -> Response:
    """Send someone whose second step lapsed (or never began) back to the password."""
    if session.pop(PENDING, None) is None:
        return redirect(url_for("auth.login"))
    flash("For your safety, signing in must be finished within 5 minutes. Please sign in "
          "again.", "info")
    return redirect(url_for("auth.login"))


def must_set_up(user) -> bool:
    """Whether the site requires this staff account to set up an authenticator app first."""
    return (
        bool(current_app.config.get("REQUIRE_STAFF_TWO_FACTOR"))
        and user.has_role(Role.AUTHOR)
        and user.signs_in_with_password
        and not user.second_factor_on
    )


def send_to_setup() -> Response | None:
    """Keep a staff member who must set up an authenticator app on its setup page."""
    if not current_user.is_authenticated or request.endpoint in OPEN_DURING_SETUP:
        return None
    if request.endpoint is None or not must_set_up(current_user):
        return None
    return redirect(url_for("auth.two_factor_setup"), code=303)
