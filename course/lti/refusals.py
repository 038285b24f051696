"""Refused launches, kept per platform so an administrator sees why a course would not open."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from course.extensions import db
from course.models import LtiLogin, LtiPlatform

#: A platform's refusal is written at most this often: a flood of bad launches (or an
#: attacker's) costs one small update every few seconds and never adds a row.
INTERVAL = timedelta(seconds=5)
#: The reason kept is cut to the column's size.
REASON_LENGTH = 500


def platform_for_login(issuer: str | None, client_id: str | None) -> int | None:
    """The platform a login request names by issuer (and client id), active or not."""
    if not issuer:
        return None
    rows = db.session.execute(select(LtiPlatform.id, LtiPlatform.client_id)
                              .where(LtiPlatform.issuer == issuer)).all()
    exact = [row for row in rows if row.client_id == client_id]
    # A wrong client id is still that platform's problem when its issuer names one.
    chosen = exact or rows
    return chosen[0].id if len(chosen) == 1 else None


def platform_for_state(state: str | None) -> int | None:
    """The platform whose login a launch's state names, used or not."""
    if not state:
        return None
    return db.session.scalar(select(LtiLogin.platform_id).where(LtiLogin.state == state))


def due(platform_id: int, now: datetime) -> bool:
    """Whether a refusal now would be written (none in the last few seconds); reads only."""
    last = db.session.scalar(select(LtiPlatform.last_refusal_at)
                             .where(LtiPlatform.id == platform_id))
    return last is None or last <= now - INTERVAL


def record(platform_id: int, reason: str, now: datetime) -> bool:
    """Count a refused launch and keep its time and reason; flushes nothing, one update.

    Returns whether it was written: not when another was, in the last few seconds.
    """
    written = db.session.execute(
        update(LtiPlatform)
        .where(LtiPlatform.id == platform_id,
               or_(LtiPlatform.last_refusal_at.is_(None),
                   LtiPlatform.last_refusal_at <= now - INTERVAL))
        .values(refused_launches=LtiPlatform.refused_launches + 1, last_refusal_at=now,
                last_refusal=reason[:REASON_LENGTH])
        .execution_options(synchronize_session=False)
    )
    return written.rowcount == 1
