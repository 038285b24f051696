"""Small database helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from course.extensions import db


@lru_cache(maxsize=64)
def _insert_or_nothing(table: Table, dialect: str) -> Insert:
    # Built once per table: building the statement cost more than running it.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
    primary_key = table.primary_key.columns.values()[0]
    return insert(table).on_conflict_do_nothing().returning(primary_key)


def insert_ignoring_duplicates(model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already holds it; return True when inserted.

    This is how a double-clicked or replayed form is stored exactly once: the
    database, not the application, decides which of two racing requests wins.
    """
    dialect = db.session.get_bind().dialect.name
    statement = _insert_or_nothing(model.__table__, dialect)
    return db.session.execute(statement, values).first() is not None
