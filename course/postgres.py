"""PostgreSQL: pages that only read run without a transaction: two round trips less each.

A GET whose view is not marked ``@writes`` runs its SELECTs in autocommit: no BEGIN
before them and no COMMIT or ROLLBACK after, two of a lesson page's six round trips.
Under READ COMMITTED each statement reads its own snapshot anyway, so a transaction
bought such a page nothing. It also keeps psycopg's prepared statements, which a
ROLLBACK makes it forget. Should such a page write or stream after all, the first
statement that needs a transaction (anything but a plain SELECT, or a streamed one)
opens one, so what the page writes still commits or rolls back together. Every other
request (a POST, a GET marked ``@writes``, a command) runs in one transaction from its
first statement, as before.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from psycopg import ServerCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine

from course.db import READ_METHODS, wants_write_lock


def _only_reads() -> bool:
    return has_request_context() and request.method in READ_METHODS and not wants_write_lock()


def _needs_transaction(cursor: Any, statement: str) -> bool:
    # A streamed read's server-side cursor and a locking read (FOR UPDATE, FOR SHARE)
    # last only inside a transaction; anything but a SELECT (DML, a SAVEPOINT, plain
    # SQL text) may write.
    return (
        not statement.startswith("SELECT")
        or " FOR " in statement
        or isinstance(cursor, ServerCursor)
    )


def configure_postgres(engine: Engine) -> None:
    """Run reading requests in autocommit; open a transaction before anything else."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if "isolation_level" in conn.get_execution_options():
            return  # the caller chose (SQLAlchemy sets and resets that one itself)
        dbapi_conn = conn.connection.dbapi_connection
        # A pooled connection comes back rolled back, so it is idle here and may switch.
        if dbapi_conn.info.transaction_status == TransactionStatus.IDLE:
            dbapi_conn.autocommit = _only_reads()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        if (
            dbapi_conn.autocommit
            and _needs_transaction(cursor, statement)
            and dbapi_conn.info.transaction_status == TransactionStatus.IDLE
        ):
            # psycopg sends COMMIT or ROLLBACK for a transaction begun by hand even in
            # autocommit, so the session's commit and rollback go on working.
            dbapi_conn.execute("BEGIN")
