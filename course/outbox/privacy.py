"""The learner's own statements in the outbox: listed in their data download, stripped on deletion.

The outbox keeps a copy of every statement it sends, each naming the learner, until the
retention purge removes it (delivered, or refused by the LRS, more than
OUTBOX_DELIVERED_RETENTION_DAYS ago). A learner's data download lists the copies kept;
deleting the account replaces the name (and the email address, where the provider sends
it) in every copy and drops the LMS accounts they carry, so statements still waiting
reach the learning record store
pseudonymised. Statements the store already holds are the provider's to erase there
(see docs/interoperability.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from course.extensions import db
from course.models import OutboxMessage, User
from course.outbox import XAPI, xapi
from course.provider import base_url


def _about(user: User) -> Any:
    # The learner each statement is about, recorded when it was queued (the migration
    # that added the column read it from each older statement's actor).
    return (OutboxMessage.channel == XAPI) & (OutboxMessage.user_id == user.id)


def statements_about(user: User) -> list[OutboxMessage]:
    """Return the xAPI statements queued or sent about the learner, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(_about(user))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )


def pseudonymise_statements(user: User) -> int:
    """Put the account's pseudonym in every stored statement about the learner; return how many.

    Call after the account row got its pseudonym. The caller commits.
    """
    site = base_url()
    stand_in = xapi.Learner(user_id=user.id, name=user.full_name, email=None)
    rows = db.session.scalars(select(OutboxMessage).where(_about(user))).all()
    for row in rows:
        # A new dict: the JSON column notices replacement, not changes made in place.
        # Their LMS accounts name them too (to the agency): dropped with the name.
        row.payload = {**xapi.without_lms_accounts(row.payload, site),
                       "actor": xapi.actor(stand_in, site)}
    return len(rows)
