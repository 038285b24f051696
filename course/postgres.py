"""PostgreSQL: pages that only read run in autocommit, two round trips fewer each.

A GET whose view is not marked ``@writes`` gets its connection in autocommit: no BEGIN
before its SELECTs and no COMMIT or ROLLBACK after them, two of a lesson page's six
round trips. Under READ COMMITTED each statement reads its own snapshot anyway, so a
transaction bought such a page nothing; and psycopg keeps its prepared statements, which
a ROLLBACK makes it forget. Should the page write after all (``write_transaction()``, an
ORM flush, a statement that is not a plain SELECT), a transaction is opened first, so
what it writes still commits or rolls back together. Every other request (a POST, a GET
marked ``@writes``, a command) runs in one transaction from its first statement.

The switch is made when the connection is checked out of the pool and the transaction
is opened from the ORM session's events: listening to the engine's own statement events
would put every statement of every request on SQLAlchemy's slower path (3.5% more
instructions for a lesson page).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from course.db import reads_only
from course.extensions import db


def begin_if_autocommit(session: Session) -> None:
    """Open a transaction on the session's connection if it was reading in autocommit."""
    dbapi_conn = session.connection().connection.dbapi_connection
    if (
        isinstance(dbapi_conn, psycopg.Connection)
        and dbapi_conn.autocommit
        and dbapi_conn.info.transaction_status == TransactionStatus.IDLE
    ):
        # psycopg ends a transaction begun by hand with COMMIT or ROLLBACK even in
        # autocommit, so the session's commit and rollback go on working.
        dbapi_conn.execute("BEGIN")


def _needs_transaction(state: ORMExecuteState) -> bool:
    # A locking read holds its lock, and a streamed read its server-side cursor, only
    # inside a transaction; anything but a SELECT may write.
    options = state.execution_options
    return (
        not state.is_select
        or getattr(state.statement, "_for_update_arg", None) is not None
        or bool(options.get("yield_per") or options.get("stream_results"))
    )


def _before_statement(state: ORMExecuteState) -> None:
    if _needs_transaction(state):
        begin_if_autocommit(state.session)


def _before_flush(session: Session, *_args: Any) -> None:
    begin_if_autocommit(session)


def configure_postgres(engine: Engine) -> None:
    """Check connections out in autocommit for reading pages; begin before any write."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        # A pooled connection comes back rolled back, so it is idle here and may switch;
        # an isolation level a caller asks for is set after this, and wins.
        if dbapi_conn.info.transaction_status == TransactionStatus.IDLE:
            dbapi_conn.autocommit = reads_only()

    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "do_orm_execute", _before_statement):
        event.listen(session_class, "do_orm_execute", _before_statement)
        event.listen(session_class, "before_flush", _before_flush)
