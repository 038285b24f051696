"""Small database helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Table,
    TextualSelect,
    any_,
    bindparam,
    text,
)

from course.extensions import db


def _python_default(column: Column[Any]) -> Any:
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    # SQLAlchemy wraps a column's default callable to take an execution context.
    return default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def _insert_or_nothing(table: Table, names: tuple[str, ...]) -> TextualSelect:
    # The dialects' own insert().on_conflict_do_nothing() is never kept in SQLAlchemy's
    # statement cache, so each run compiled it again (about 0.3 ms, more than the insert
    # itself). The same SQL as text, built from the table, is compiled once: both
    # SQLite (3.35 and later) and PostgreSQL accept this spelling, and the typed
    # bind parameters convert values exactly as the columns do.
    columns = [table.c[name] for name in names]
    primary_key = table.primary_key.columns.values()[0]
    quoted = ", ".join(f'"{name}"' for name in names)  # standard quoting, both databases
    statement = text(
        f'INSERT INTO "{table.name}" ({quoted}) '
        f"VALUES ({', '.join(':' + name for name in names)}) "
        # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
        f'ON CONFLICT DO NOTHING RETURNING "{primary_key.name}"'
    )
    statement = statement.bindparams(*(bindparam(c.name, type_=c.type) for c in columns))
    return statement.columns(primary_key)


def insert_ignoring_duplicates(model: type[Any], values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already holds it; return True when inserted.

    This is how a double-clicked or replayed form is stored exactly once: the
    database, not the application, decides which of two racing requests wins.
    Columns left out take their model defaults, as with an ORM insert.
    """
    table: Table = model.__table__
    row = dict(values)
    for column in table.columns:
        if column.name not in row and column.default is not None:
            row[column.name] = _python_default(column)
    unknown = set(row) - set(table.c.keys())
    if unknown:
        raise KeyError(f"{table.name} has no column {sorted(unknown)[0]!r}")
    statement = _insert_or_nothing(table, tuple(sorted(row)))
    return db.session.execute(statement, row).first() is not None


def among(column: ColumnElement[Any], values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN values`` for any number of values, on both databases.

    An IN list sends one parameter a value, and psycopg refuses more than 65,535: a
    roster of a course with more completions failed on PostgreSQL. There the values go
    as one array parameter (``= ANY``); SQLite takes long IN lists as they are.
    """
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
