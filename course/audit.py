"""The audit log: who did what to which record, kept for the accreditor."""

from __future__ import annotations

import getpass
import socket
from typing import Any

import click
from flask import has_request_context

from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, User

#: ``detail["via"]`` of an event recorded by a ``flask`` command, not a web request.
COMMAND_LINE = "command line"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "unknown"


def command_line_origin() -> dict[str, str]:
    """Who ran the command and where, for an event a ``flask`` command records; else {}.

    A command has no signed-in account or address, so the operating-system account, the
    machine and the command stand in for them.
    """
    context = click.get_current_context(silent=True)
    if context is None or has_request_context():
        return {}
    return {
        "via": COMMAND_LINE,
        "os_user": _os_user(),
        "host": socket.gethostname(),
        "command": context.command_path,
    }


def record_event(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: object,
    detail: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits with the change itself)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail={**command_line_origin(), **(detail or {})},
        ip_address=ip_address,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event
