"""Fixtures for the web app: an app on a fresh database, a client, a CLI runner, a
learner ready for the post-test and an author signed in on the minimal course."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.util import LRUCache

from course import create_app
from course.extensions import db
from course.models import Role
from tests.course.factories import (
    import_course,
    join_team,
    let_mail_leave,
    make_user,
    sign_in,
    snapshot_row_counts,
)
from tests.course.journey import finish_lessons, quick_retakes, without_minimum_time
from tests.course.test_admin_dataset import Dataset, build_dataset
from tests.rsa_keys import pool_the_tool_keys
from tests.smtp_sink import Inbox, smtp_server

pool_the_tool_keys()


def _database_url(tmp_path: Path) -> str:
    shared = os.environ.get("TEST_DATABASE_URL")
    if not shared:
        return f"sqlite:///{tmp_path / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(shared, worker) if worker else shared


@cache
def _worker_database(url: str, worker: str) -> str:
    """Return a database of this test process's own beside ``url``, made on first use.

    Tests running in parallel (pytest -n) would otherwise empty each other's tables.
    """
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def _forget_the_last_user() -> None:
    g.pop("_login_user", None)


@pytest.fixture(scope="session")
def app_builder(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Flask]:
    """Return ``build(tmp_path, **overrides)``: an app for one test, on its own database.

    Each test builds its own app, and each app compiled every template it rendered anew
    (a tenth of the whole pass) on a database whose tables it created (another 6%). The
    apps of one test process share Jinja's bytecode cache (every app comes from
    ``create_app`` with the same Jinja settings, and an entry is checked against the
    template's source), and a SQLite test starts from a copy of one empty database, its
    engine reusing the SQL the process's other apps compiled (``_share_compiled_statements``).
    """
    template_code = FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja")))
    empty = tmp_path_factory.mktemp("schema") / "empty.db"
    schema_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{empty}"})
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()

    def build(tmp_path: Path, **overrides: object) -> Flask:
        url = _database_url(tmp_path)
        file = tmp_path / "test.db"
        copied = url.startswith("sqlite") and "SQLALCHEMY_DATABASE_URI" not in overrides
        if copied:
            if not file.exists():  # a second app of one test shares the first one's file
                shutil.copyfile(empty, file)
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "CONTENT_DIR": str(tmp_path / "content"),
                **overrides,
            }
        )
        app.jinja_env.bytecode_cache = template_code
        if copied:
            with app.app_context():
                _share_compiled_statements(db.engine)
        # A request inside the test's own app context shares its ``g`` with the test's
        # other requests, so Flask-Login's user would pass from one browser's request to
        # another's. In production each request has its own app context: as there, each
        # request loads its user from its own cookie.
        app.before_request_funcs.setdefault(None, []).insert(0, _forget_the_last_user)
        return app

    return build


#: The first SQLite engine of this process for each dialect setup, and the statement cache
#: all such engines share.
_SQLITE_COMPILATION: dict[tuple, tuple[object, LRUCache]] = {}


def _share_compiled_statements(engine: Engine) -> None:
    """Let every SQLite engine of this test process reuse the SQL the others compiled.

    An engine keeps the SQL it compiled for each statement, keyed by its own dialect: a
    new app per test compiled every query again, about a sixth of a test's time. The
    SQLite engines of one process have the same dialect settings, so they share one
    (initialized by its first connection) and one cache. A cached statement is the one
    SQLAlchemy compiles for the same statement on that dialect; PostgreSQL is left alone.
    """
    dialect = engine.dialect
    if dialect.name != "sqlite":
        return
    setup = (type(dialect), dialect.isolation_level, dialect.paramstyle,
             dialect._json_serializer, dialect._json_deserializer)
    if setup not in _SQLITE_COMPILATION:
        with engine.connect():  # the dialect reads the SQLite version on first connection
            pass
        engine._compiled_cache = LRUCache(5000)
        _SQLITE_COMPILATION[setup] = (dialect, engine._compiled_cache)
        return
    engine.dialect, engine._compiled_cache = _SQLITE_COMPILATION[setup]
    engine.pool._dialect = engine.dialect


@pytest.fixture
def app(tmp_path: Path, app_builder: Callable[..., Flask]) -> Iterator[Flask]:
    """An app on an empty database of the current schema."""
    app = app_builder(tmp_path)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":  # SQLite: app_builder copied an empty file
            _reset_postgres()
            event.listen(db.engine, "before_cursor_execute", _note_schema_changes)
    yield app
    _stop_mail_sender(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _stop_mail_sender(app: Flask) -> None:
    sender = app.extensions.get("course_mail_sender")
    if sender is not None:
        sender.stop()


_schema_ready: set[str] = set()
_DDL = ("CREATE", "DROP", "ALTER")


def _note_schema_changes(conn, cursor, statement: str, *args) -> None:
    # Some tests rebuild tables without their constraints on purpose; the next test
    # must then get the real schema back, not a TRUNCATE of the altered one.
    if statement.lstrip()[:6].upper().startswith(_DDL):
        _schema_ready.discard(str(conn.engine.url))


def _reset_postgres() -> None:
    """Empty the shared PostgreSQL database: build the schema once, then delete the rows.

    Dropping and creating every table for each test took most of the PostgreSQL pass, and
    TRUNCATE still cost about 0.2 s a test; deleting the few rows a test leaves costs 10 ms.
    """
    url = str(db.engine.url)
    if url not in _schema_ready:
        db.drop_all()
        db.create_all()
        _schema_ready.add(url)
        return
    try:
        with db.engine.begin() as conn:
            _delete_every_row(conn)
    except ProgrammingError:  # a test (backup/restore, migrations) rebuilt the schema
        db.drop_all()
        db.create_all()


def _delete_every_row(conn) -> None:
    tables = db.metadata.sorted_tables
    for table in tables:  # break the reference cycles first (course <-> course_version)
        for key in table.foreign_key_constraints:
            if key.use_alter:
                conn.execute(table.update().values({column.name: None for column in key.columns}))
    for table in reversed(tables):
        conn.execute(table.delete())
    # Ids start at 1 again in every test, as they do on a fresh SQLite file.
    conn.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))


@pytest.fixture
def make_app(tmp_path: Path, app_builder: Callable[..., Flask]) -> Iterator[Callable[..., Flask]]:
    """Build apps with extra settings (CSRF or rate limits on) on a fresh database.

    Every app a test builds shares that one database, as a restarted server would.
    """
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        app = app_builder(tmp_path, **overrides)
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                db.create_all()
            elif not made:  # a second app is the same database restarted: keep its rows
                _reset_postgres()
        made.append(app)
        return app

    yield make
    for app in made:
        _stop_mail_sender(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    """A real SMTP server on loopback, with the app pointed at it."""
    handler = Inbox()
    with smtp_server(handler) as port:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        yield handler
        _stop_mail_sender(app)  # before the server goes: no conversation left half-way


@pytest.fixture
def inbox_for() -> Iterator[Callable[[Flask], Inbox]]:
    """Point apps made with ``make_app`` at one real SMTP server on loopback."""
    handler, pointed = Inbox(), []
    with smtp_server(handler) as port:

        def point(app: Flask) -> Inbox:
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
            pointed.append(app)
            return handler

        yield point
        for app in pointed:
            _stop_mail_sender(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the app's command-line tools."""
    return app.test_cli_runner()


@pytest.fixture
def package_copy(tmp_path: Path, minimal_package_dir: Path) -> Path:
    """A writable copy of the minimal package, to change in a test."""
    target = tmp_path / "pkg" / "minimal"
    shutil.copytree(minimal_package_dir, target)
    return target


@pytest.fixture
def ready(app: Flask, client: FlaskClient, package_copy: Path) -> FlaskClient:
    """A signed-in learner (user 1) who has finished every lesson of the minimal course.

    The course asks for no minimum reading time and lets a failed post-test be retaken
    at once, so tests can get to what they test; the defaults have tests of their own.
    """
    with app.app_context():
        import_course(quick_retakes(without_minimum_time(package_copy)))
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
    return client


@pytest.fixture
def data(app: Flask, minimal_package_dir: Path) -> Dataset:
    """The admin pages' dataset (``build_dataset``): an admin, learners, a certificate.

    Its certificate's email has left by the time the test starts (``let_mail_leave``).
    """
    with app.app_context():
        built = build_dataset(minimal_package_dir)
    let_mail_leave(app)
    return built


@pytest.fixture
def course_slug(app: Flask, minimal_package_dir) -> str:
    """The minimal course, imported."""
    with app.app_context():
        return import_course(minimal_package_dir).slug


@pytest.fixture
def author(app: Flask, course_slug):
    """An author on the minimal course's team, with the course imported."""
    with app.app_context():
        return join_team(course_slug, make_user(Role.AUTHOR, full_name="Avery Author"))


@pytest.fixture
def reviewer(app: Flask, course_slug):
    """A reviewer on the minimal course's team."""
    with app.app_context():
        user = make_user(Role.AUTHOR, full_name="Riley Reviewer")
        return join_team(course_slug, user, "reviewer")


@pytest.fixture
def author_client(client: FlaskClient, author) -> FlaskClient:
    """The client, signed in as the author."""
    return sign_in(client, author)


@pytest.fixture
def unchanged(app: Flask) -> Callable[[], None]:
    """The row counts before the test, as a check to call at its end."""
    return snapshot_row_counts(app)
