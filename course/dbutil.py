"""Small database helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from course.extensions import db


def insert_ignoring_duplicates(model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already holds it; return True when inserted.

    This is how a double-clicked or replayed form is stored exactly once: the
    database, not the application, decides which of two racing requests wins.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
    primary_key = model.__table__.primary_key.columns.values()[0]
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(primary_key)
    return db.session.execute(statement).first() is not None
