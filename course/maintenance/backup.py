"""Backups and restores of the whole database.

SQLite uses its online backup API, which copies a consistent snapshot while the app keeps
running. PostgreSQL uses pg_dump's custom format and pg_restore; the connection details,
password included, reach those tools through ``PG*`` environment variables, never their
command line (where any user of the machine could read them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from course.extensions import db
from course.sqlite import COMMAND_BUSY_TIMEOUT_MS

#: URL query parameters that libpq also reads from the environment.
_PG_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
}
#: Tables every version of the app's schema has: a backup without them is of something else.
CORE_TABLES = frozenset({"user_account", "enrolment", "certificate"})
#: How long a restore waits for a table the running app has locked, then gives up whole.
RESTORE_LOCK_TIMEOUT = "30s"


class BackupError(Exception):
    """A backup or restore could not be made; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where it is, how big, and which tables it holds."""

    path: Path
    dialect: str
    size_bytes: int
    tables: tuple[str, ...]


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore: the app's tables with their row counts (None: table missing)."""

    path: Path
    dialect: str
    rows: dict[str, int | None]

    @property
    def missing_tables(self) -> list[str]:
        """Tables the models define that the restored database lacks."""
        return [name for name, count in self.rows.items() if count is None]


def database_url() -> URL:
    """Return the URL of the app's database."""
    return make_url(db.engine.url)


def backup_database(target: Path, *, overwrite: bool = False) -> BackupResult:
    """Write a consistent backup of the app's database to ``target``; readable by owner only.

    :raise BackupError: when the target exists (unless ``overwrite``), a tool fails, or
        the written backup does not check out.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} already exists; choose a new name or pass --overwrite")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    url = database_url()
    with _temporary_beside(target) as partial:
        if url.get_backend_name() == "sqlite":
            tables = _backup_sqlite(_sqlite_file(url), partial)
        elif url.get_backend_name() == "postgresql":
            _run_pg("pg_dump", ["--format=custom", "--file", str(partial)], url)
            tables = _pg_archive_tables(partial, url)
        else:
            raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")
        _require_app_tables(tables, "the new backup")
        os.replace(partial, target)
    return BackupResult(target, url.get_backend_name(), target.stat().st_size, tables)


def restore_database(source: Path) -> RestoreResult:
    """Replace the app's data with a backup's, in one transaction.

    :raise BackupError: when the file is not a backup of this app's database or a tool
        fails; the database is then left as it was.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    url = database_url()
    _refuse_other_kind(source, url.get_backend_name())
    # Our own pooled connections must not hold locks the restore waits for.
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _restore_sqlite(source, _sqlite_file(url, new=True))
    elif url.get_backend_name() == "postgresql":
        _require_app_tables(_pg_archive_tables(source, url), str(source))
        _run_pg(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                url.database or "",
                str(source),
            ],
            url,
            options=f"-c lock_timeout={RESTORE_LOCK_TIMEOUT}",
        )
    else:
        raise BackupError(f"restores of {url.get_backend_name()} databases are not supported")
    db.engine.dispose()
    return RestoreResult(source, url.get_backend_name(), table_rows())


#: How a backup of each kind begins: an SQLite file, and pg_dump's custom format.
_FILE_STARTS = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
_KIND_NAMES = {"sqlite": "an SQLite", "postgresql": "a PostgreSQL"}


def _refuse_other_kind(source: Path, backend: str) -> None:
    """Say so plainly when the file is a backup of the other kind of database."""
    # Otherwise the tool for this kind reports it as no valid archive, or no database,
    # and an operator moving servers cannot tell what went wrong.
    with source.open("rb") as handle:
        start = handle.read(16)
    for kind, magic in _FILE_STARTS.items():
        if kind != backend and backend in _KIND_NAMES and start.startswith(magic):
            raise BackupError(
                f"{source} is a backup of {_KIND_NAMES[kind]} database, and DATABASE_URL "
                f"names {_KIND_NAMES[backend]} one: restore it on a server whose "
                f"DATABASE_URL names {_KIND_NAMES[kind]} database")


def table_rows() -> dict[str, int | None]:
    """Return the number of rows in each of the app's tables (None: no such table)."""
    present = set(inspect(db.engine).get_table_names())
    return {
        table.name: (
            db.session.scalar(select(func.count()).select_from(table)) or 0
            if table.name in present
            else None
        )
        for table in db.metadata.sorted_tables
    }


def behind_migrations() -> bool:
    """Whether the database records a migration older than the code's newest one.

    A backup taken before an upgrade may hold every table and still lack a column the
    code reads; only its recorded revision tells. False when it records none, or one
    this code does not know: a newer release migrated it, as while servers are upgraded
    one after another.
    """
    from alembic.util import CommandError
    from flask import current_app

    scripts = _migration_scripts(str(current_app.extensions["migrate"].directory))
    if scripts is None:
        return False
    try:
        with db.engine.connect() as connection:  # its own: the session may hold a failed one
            recorded = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:  # no such table: made by create_all, or no tables at all
        return False
    try:
        known = all(scripts.get_revision(revision) is not None for revision in recorded)
    except CommandError:  # "Can't locate revision"
        return False
    return known and recorded != set(scripts.get_heads())


@cache
def _migration_scripts(directory: str) -> ScriptDirectory | None:
    """The code's migrations (read once a process: new code means a new process)."""
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", directory)
    try:
        return ScriptDirectory.from_config(config)
    except CommandError:  # no migrations folder here: nothing to compare with
        return None


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_file(url: URL, *, new: bool = False) -> Path:
    """The database's file; with ``new``, made (owner-only) when it is not there yet."""
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    path = Path(url.database)
    if new and not path.exists() and path.parent.is_dir():
        # A restore onto a new server: the backup becomes its database, as it would
        # after `db upgrade` made an empty one first.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    if not path.is_file():
        raise BackupError(f"the database file {path} does not exist")
    return path


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _busy_timeout(connection: sqlite3.Connection) -> None:
    connection.execute(f"PRAGMA busy_timeout = {COMMAND_BUSY_TIMEOUT_MS}")


def _backup_sqlite(source: Path, target: Path) -> tuple[str, ...]:
    with closing(_read_only(source)) as src, closing(sqlite3.connect(target)) as dst:
        _busy_timeout(src)
        # One step: the whole copy is read inside one read transaction, a consistent snapshot.
        src.backup(dst)
        # The copy stands alone as a single file, whatever journal mode the live one uses.
        dst.execute("PRAGMA journal_mode = DELETE")
        return _sqlite_checked_tables(dst, "the new backup")


def _sqlite_checked_tables(connection: sqlite3.Connection, what: str) -> tuple[str, ...]:
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = tuple(sorted(name for (name,) in rows))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not an SQLite database: {exc}") from exc
    if verdict != "ok":
        raise BackupError(f"{what} fails SQLite's integrity check: {verdict}")
    return tables


def _restore_sqlite(source: Path, live: Path) -> None:
    if source.resolve() == live.resolve():
        raise BackupError("that file is the live database itself")
    with closing(_read_only(source)) as src:
        _require_app_tables(_sqlite_checked_tables(src, str(source)), str(source))
        with closing(sqlite3.connect(live)) as dst:
            _busy_timeout(dst)
            # The backup API writes the destination in one transaction: other connections
            # see the old data or the restored data, never a mixture.
            src.backup(dst)


# --- PostgreSQL ----------------------------------------------------------------------------


def pg_environment(url: URL, base: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment that points libpq tools at ``url``, password included."""
    env = dict(os.environ if base is None else base)
    parts = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    for name, value in url.query.items():
        if name in _PG_QUERY_ENV:
            parts[_PG_QUERY_ENV[name]] = value if isinstance(value, str) else value[-1]
    env.update({name: value for name, value in parts.items() if value})
    return env


def _run_pg(
    tool: str, arguments: list[str], url: URL, options: str = ""
) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (it comes with the PostgreSQL client)")
    # --no-password: fail at once rather than wait for a password prompt nobody answers.
    command = [executable, "--no-password", *arguments]
    env = pg_environment(url)
    if options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {options}".strip()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise BackupError(f"{tool} failed: {message}")
    return result


def _pg_archive_tables(path: Path, url: URL) -> tuple[str, ...]:
    listing = _run_pg("pg_restore", ["--list", str(path)], url).stdout
    tables = set()
    for line in listing.splitlines():
        # e.g. "3390; 0 16410 TABLE DATA public user_account ce_test"
        fields = line.split()
        if "TABLE" in fields and "DATA" in fields:
            index = fields.index("DATA")
            if len(fields) > index + 2:
                tables.add(fields[index + 2])
    return tuple(sorted(tables))


# --- shared --------------------------------------------------------------------------------


def _require_app_tables(tables: tuple[str, ...], what: str) -> None:
    # A database behind on migrations lacks the newest tables, and is still this app's.
    missing = sorted(CORE_TABLES - set(tables))
    if missing:
        raise BackupError(f"{what} is not a backup of this app: no {', '.join(missing)} table")


@contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """Yield a new owner-only file next to ``target``; removed unless renamed into place."""
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)
