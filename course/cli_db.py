"""Database care from the command line: ``flask db backup`` and ``flask db restore``.

The ``db`` group is Flask-Migrate's; these commands join it.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from course.maintenance.backup import BackupError, backup_database, restore_database


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, overwrite: bool) -> None:
    """Write a consistent backup of the database to PATH while the app keeps running."""
    try:
        result = backup_database(path, overwrite=overwrite)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Backed up the {result.dialect} database ({len(result.tables)} tables, "
        f"{result.size_bytes:,} bytes) to {result.path}"
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data without asking.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace every row in the database with those in the backup at PATH."""
    if not yes:
        click.confirm(
            "This replaces all data in the database with the backup's. Continue?", abort=True
        )
    try:
        result = restore_database(path)
    except BackupError as exc:
        raise click.ClickException(f"{exc}; the database is unchanged") from exc
    click.echo(f"Restored the {result.dialect} database from {result.path}:")
    for table, count in result.rows.items():
        click.echo(f"  {table}: {'missing' if count is None else f'{count} row(s)'}")
    if result.missing_tables:
        click.echo("The backup predates some migrations: run `flask db upgrade` next.")


def register(app: Flask) -> None:
    """Add the commands to the app's ``db`` group."""
    from flask_migrate.cli import db as db_group

    for command in (backup_command, restore_command):
        db_group.add_command(command)
