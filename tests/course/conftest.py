"""Fixtures for the web app: an app on a fresh database, a client, a CLI runner and a
learner ready for the post-test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event, text
from sqlalchemy.exc import ProgrammingError

from course import create_app
from course.extensions import db
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import finish_lessons, without_minimum_time


def _database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of the current schema."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
            "CONTENT_DIR": str(tmp_path / "content"),
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.create_all()  # a fresh file per test
        else:
            _reset_postgres()
            event.listen(db.engine, "before_cursor_execute", _note_schema_changes)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_schema_ready: set[str] = set()
_DDL = ("CREATE", "DROP", "ALTER")


def _note_schema_changes(conn, cursor, statement: str, *args) -> None:
    # Some tests rebuild tables without their constraints on purpose; the next test
    # must then get the real schema back, not a TRUNCATE of the altered one.
    if statement.lstrip()[:6].upper().startswith(_DDL):
        _schema_ready.discard(str(conn.engine.url))


def _reset_postgres() -> None:
    """Empty the shared PostgreSQL database: rebuild the schema once, then TRUNCATE.

    Dropping and creating every table for each test took most of the PostgreSQL pass.
    """
    url = str(db.engine.url)
    if url not in _schema_ready:
        db.drop_all()
        db.create_all()
        _schema_ready.add(url)
        return
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    try:
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except ProgrammingError:  # a test (backup/restore, migrations) rebuilt the schema
        db.drop_all()
        db.create_all()


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps with extra settings (CSRF or rate limits on) on a fresh database."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
                "CONTENT_DIR": str(tmp_path / "content"),
                **overrides,
            }
        )
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                db.create_all()
            else:
                _reset_postgres()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


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
    """A signed-in learner (user 1) who has finished every lesson of the minimal course."""
    with app.app_context():
        import_course(without_minimum_time(package_copy))
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
    return client
