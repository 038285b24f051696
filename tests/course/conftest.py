"""Fixtures for the web app: an app on a fresh database, a client and a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from course import create_app
from course.extensions import db


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
        # A fresh SQLite file is already empty; a shared PostgreSQL database is not.
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
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
