"""PostgreSQL: requests that only read end with COMMIT, so prepared statements survive.

psycopg prepares a statement on the server once a connection has run it
``prepare_threshold`` times (5), and then skips parsing and planning it. It forgets them
all on ROLLBACK, and a request that only reads used to end with one (the session's close
rolls back), so nothing was ever prepared and every query was planned anew. A request
whose transaction did nothing but SELECT now ends with COMMIT instead; any other
transaction (a flush, an INSERT, UPDATE or DELETE, or plain SQL text, which may write)
still ends the old way unless the view committed it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session

from course.extensions import db

_MAY_HAVE_WRITTEN = "course_may_have_written"


def _note_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_MAY_HAVE_WRITTEN] = True


def _note_flush(session: Session, _context: Any) -> None:
    session.info[_MAY_HAVE_WRITTEN] = True


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_MAY_HAVE_WRITTEN, None)


def _commit_if_only_read(exc: BaseException | None) -> None:
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.info.get(_MAY_HAVE_WRITTEN):
        return
    if session.new or session.dirty or session.deleted:
        return
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()


def init_app(app: Flask) -> None:
    """Watch what each transaction does; end read-only requests with COMMIT."""
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "do_orm_execute", _note_statement):
        event.listen(session_class, "do_orm_execute", _note_statement)
        event.listen(session_class, "after_flush", _note_flush)
        event.listen(session_class, "after_transaction_end", _forget)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask calls
    # teardown functions in reverse order).
    app.teardown_appcontext(_commit_if_only_read)
