"""Command-line commands say in one line why the database could not be used."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from course.db import unusable_database

#: Marks a callback already wrapped: command groups are module-level, shared by every app.
_WRAPPED = "_course_one_line_errors"

_SAID = {
    "not-migrated": "The database has no tables yet: run `flask db upgrade` first",
    "behind": "The database predates this code's migrations: run `flask db upgrade` first",
    "misconfigured": "The database refused the connection: check DATABASE_URL",
    "unreachable": "The database cannot be reached: is it running, and DATABASE_URL right?",
}


def _behind_migrations() -> bool:
    from course.extensions import db
    from course.maintenance.backup import behind_migrations

    db.session.rollback()
    try:
        return behind_migrations()
    except DBAPIError:
        return False


def one_line_database_errors(groups: Iterable[click.Group]) -> None:
    """Wrap every command in ``groups`` (and their sub-groups) once."""
    for group in groups:
        for command in group.commands.values():
            if isinstance(command, click.Group):
                one_line_database_errors([command])
            elif command.callback is not None and not getattr(command.callback, _WRAPPED, False):
                command.callback = _wrapped(command.callback)


def _wrapped(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except DBAPIError as exc:
            kind = unusable_database(exc)
            if kind is None and _behind_migrations():
                # A missing column after `git pull` or a restore, not a bug to read in full.
                kind = "behind"
            if kind is None:
                raise
            first = (str(exc.orig).strip().splitlines() or [""])[0]
            raise click.ClickException(f"{_SAID[kind]} ({first})") from None

    setattr(run, _WRAPPED, True)
    return run
