"""Application log lines about changes to records, written once the change is committed.

The audit log keeps who did what for an accreditor; these lines are for the operator
reading the application log, which holds no personal data: they name accounts by id,
never by name or email. A line is written after the commit, so the log never tells of a
change that was rolled back (a lost race, a busy database).
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from course.extensions import db

logger = logging.getLogger(__name__)

_PENDING = "course.eventlog.pending"


def actor_label(actor: Any) -> tuple[str, int | None]:
    """Who did it, for the log: ``account <id>``, the command line or the system."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user  # a learner whose own request issued their certificate
    if actor is not None:
        return f"account {actor.id}", actor.id
    if click.get_current_context(silent=True) is not None:
        return "the command line", None
    return "the system", None


def log_certificate_event(
    action: str, code: str, actor: Any, new_code: str | None = None
) -> None:
    """Log ``certificate.issued``, ``.revoked``, ``.reissued`` or ``.reinstated`` at INFO,
    with the code, the actor's account id and the event, once the session commits."""
    who, actor_id = actor_label(actor)
    verb = action.rpartition(".")[2]
    successor = f" as {new_code}" if new_code else ""
    fields = {"event": action, "certificate_code": code, "actor_id": actor_id}
    if new_code:
        fields["new_certificate_code"] = new_code
    # The fields go into LOG_FORMAT=json lines as their own keys.
    _after_commit(f"Certificate {code} {verb}{successor} by {who} ({action})", fields)


def _after_commit(message: str, fields: dict[str, Any]) -> None:
    session = db.session()
    session.info.setdefault(_PENDING, []).append((message, fields))
    if not event.contains(session, "after_commit", _write):
        event.listen(session, "after_commit", _write)
        event.listen(session, "after_transaction_end", _forget)


def _write(session: Session) -> None:
    for message, fields in session.info.pop(_PENDING, []):
        logger.info("%s", message, extra=fields)


def _forget(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (after one, _write emptied it).
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
