"""An administrator's changes to an account: its role, deactivation and reactivation.

Services flush and never commit; every change is written to the audit log.
"""

from __future__ import annotations

from sqlalchemy import select

from course.audit import record_event
from course.extensions import db
from course.models import LtiIdentity, LtiPlatform, Role, User


class ActionRefused(Exception):
    """An admin action that is not allowed (e.g. an admin demoting themselves)."""


def change_role(
    actor: User, user: User, role: Role, ip_address: str | None = None, reason: str = ""
) -> User:
    """Give the account a new role; an admin cannot take their own admin role away.

    :raise ActionRefused: when the actor would demote themselves.
    """
    if user.id == actor.id and role != Role.ADMIN:
        raise ActionRefused("You cannot remove your own admin role; ask another admin.")
    if user.role == role:
        return user
    if role != Role.LEARNER:
        _ensure_no_lms_opens(user)
    before = user.role
    user.role = role
    db.session.flush()
    _audit(actor, user, "user.role_changed", ip_address, reason,
           {"from": before.value, "to": role.value})
    return user


def _audit(
    actor: User, user: User, event: str, ip_address: str | None, reason: str,
    details: dict[str, str] | None = None,
) -> None:
    """Record an action on the account with its address, as it was then, and the reason."""
    record_event(actor, event, "user", user.id,
                 {**(details or {}), "email": user.email, "reason": reason.strip()}, ip_address)


def _ensure_no_lms_opens(user: User) -> None:
    """Refuse staff rights to an account a learning system opens without a password."""
    if not user.signs_in_with_password:
        raise ActionRefused(
            "A learning system made this account, and it has no password, so it cannot "
            "author or run courses. Give the person an account of their own for that.")
    systems = db.session.scalars(
        select(LtiPlatform.name).join(LtiIdentity, LtiIdentity.platform_id == LtiPlatform.id)
        .where(LtiIdentity.user_id == user.id)).all()
    if systems:
        # A launch would then open a staff session on the platform's word alone.
        raise ActionRefused(
            f"{' and '.join(sorted(set(systems)))} open this account without a password. "
            "Ask its owner to unlink them on their profile first.")


def deactivate(
    actor: User, user: User, ip_address: str | None = None, reason: str = ""
) -> User:
    """Deactivate the account and end all its sessions; its records are kept.

    :raise ActionRefused: when the actor would deactivate themselves.
    """
    if user.id == actor.id:
        raise ActionRefused("You cannot deactivate your own account.")
    if not user.active:
        return user
    user.active = False
    # Bumping the version makes every existing session and remember-me cookie fail to load.
    user.session_version += 1
    db.session.flush()
    _audit(actor, user, "user.deactivated", ip_address, reason)
    return user


def reactivate(
    actor: User, user: User, ip_address: str | None = None, reason: str = ""
) -> User:
    """Let a deactivated account sign in again (old sessions stay ended).

    :raise ActionRefused: for a deleted account, which cannot come back.
    """
    if user.deleted_at is not None:
        raise ActionRefused("A deleted account cannot be reactivated.")
    if user.active:
        return user
    user.active = True
    db.session.flush()
    _audit(actor, user, "user.reactivated", ip_address, reason)
    return user
