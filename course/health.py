"""Liveness, database and rate-limit storage check for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify
from limits.storage import MemoryStorage
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from course.db import DatabaseBusy, is_busy_error, unusable_database, write_transaction
from course.extensions import db, limiter
from course.maintenance.backup import behind_migrations
from course.models import User

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers and can take a write now, 503 otherwise."""
    for last in (False, True):
        try:
            # A table of the app's own: an unmigrated database answers SELECT 1 too.
            db.session.execute(select(User.id).limit(1))
            writable = _can_write()
            break
        except DatabaseBusy:
            return jsonify(status="error", database="busy"), 503
        except SQLAlchemyError as exc:
            db.session.rollback()
            # After a database restart the pool's first connection is a dead one: once
            # more on a fresh one, so a healthy server is not taken out of rotation.
            if not last and getattr(exc, "connection_invalidated", False):
                continue
            state = unusable_database(exc) or ("busy" if is_busy_error(exc) else "unreachable")
            return jsonify(status="error", database=state), 503
    if not writable:
        return jsonify(status="error", database="read-only"), 503
    if behind_migrations():  # the code was updated and `flask db upgrade` not yet run
        return jsonify(status="error", database="not-migrated"), 503
    return jsonify(status="ok", database="ok", rate_limits=_rate_limits())


def _rate_limits() -> str:
    """Whether the shared rate-limit storage answers; the app keeps serving either way."""
    if not limiter.enabled:
        return "off"
    if isinstance(limiter.storage, MemoryStorage):
        return "per-process"  # memory:// as configured: nothing shared to answer
    try:
        answers = limiter.storage.check()
    except Exception:  # noqa: BLE001  (any storage's failure means the same here)
        answers = False
    # Each worker then counts on its own, so every limit is as many times looser as there
    # are workers: monitoring sees it here, not only in one warning in the log.
    return "ok" if answers else "per-process"


def _can_write() -> bool:
    """Take the write lock and give it straight back (SQLite); ask PostgreSQL if read-only."""
    if db.engine.dialect.name == "postgresql":
        return db.session.execute(text("SHOW transaction_read_only")).scalar() == "off"
    with write_transaction():
        db.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the lock, or busy
    return True
