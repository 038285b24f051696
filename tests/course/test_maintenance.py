"""Backups and restores: `flask db backup` and `flask db restore` bring back every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.engine import make_url

from course.extensions import db
from course.mail import sender_for
from course.maintenance import backup as backup_module
from course.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Course,
    EvaluationAnswer,
    User,
)
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    check_positions,
    correct_keys,
    evaluation_form,
    finish_lessons,
    open_attempt,
)


@pytest.fixture
def package(package_copy: Path) -> Path:
    """The minimal package without its minimum reading time, so journeys run at test speed."""
    manifest = package_copy / "course.yaml"
    manifest.write_text(
        manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    )
    return package_copy


def _course(app: Flask, package: Path) -> None:
    with app.app_context():
        if db.session.scalar(select(Course)) is None:
            import_course(package)


def complete_course(app: Flask, package: Path, **fields: Any) -> tuple[User, FlaskClient, str]:
    """A new learner takes the whole course; return them, their client and certificate code."""
    _course(app, package)
    client = app.test_client()
    with app.app_context():
        learner = make_user(**fields)
        sign_in(client, learner)
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course))
        client.post("/courses/minimal/evaluation", data=evaluation_form(course))
    response = client.get("/courses/minimal/certificate")
    assert response.status_code == 302 and "/me/certificates/" in response.location
    return learner, client, response.location.rsplit("/", 1)[1]


def start_course(app: Flask, package: Path, **fields: Any) -> tuple[User, FlaskClient]:
    """A new learner enrols and answers the first lesson's checks, then stops."""
    _course(app, package)
    client = app.test_client()
    with app.app_context():
        learner = make_user(**fields)
        sign_in(client, learner)
        client.post("/courses/minimal/enrol")
        lesson = db.session.scalar(select(Course)).live_lessons[0]
        client.get(f"/courses/minimal/lessons/{lesson.slug}")
        for check in lesson.live_checks:
            client.post(
                f"/courses/minimal/lessons/{lesson.slug}/checks/{check.key}",
                data={"choice": check_positions(client, "minimal", check, correct_keys(check))},
            )
    return learner, client


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    rows = {}
    for table in db.metadata.sorted_tables:
        query = select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(row) for row in db.session.execute(query)]
    return rows


def test_a_restore_brings_back_every_row_as_it_was_at_the_backup(app, runner, package, tmp_path):
    learner, client, code = complete_course(
        app, package, full_name="Ada Lovelace", licence_number="LSW-1815"
    )
    start_course(app, package)
    # The certificate's email goes out from a thread, deleting its queued row: sent after
    # the restore, it would take from the restored rows one the backup holds.
    sender_for(app).stop()
    with app.app_context():
        before = snapshot()
    for table in ("certificate", "attempt_answer", "check_response", "evaluation_answer"):
        assert before[table], table
    target = tmp_path / "backups" / "course.backup"
    target.parent.mkdir()

    made = runner.invoke(args=["db", "backup", str(target), "--reason", "before the upgrade"])
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output and target.stat().st_mode & 0o077 == 0
    with app.app_context():  # who took a copy of everyone's data, where to, and why
        taken = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert taken.action == "database.backed_up"
        assert taken.detail["backup"] == str(target) and taken.detail["bytes"] > 0
        assert taken.detail["reason"] == "before the upgrade"
        assert taken.detail["via"] == "command line" and taken.detail["command"].endswith("backup")

    with app.app_context():  # later changes: a rename, lost answers, a revocation, a sign-up
        db.session.get(User, learner.id).full_name = "Somebody Else"
        db.session.execute(delete(EvaluationAnswer))
        db.session.scalar(select(Certificate)).status = CertificateStatus.REVOKED
        db.session.commit()
        make_user(email="new@example.org")
        assert snapshot() != before

    declined = runner.invoke(args=["db", "restore", str(target)], input="n\n")
    assert declined.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new@example.org"))

    restored = runner.invoke(args=["db", "restore", "--yes", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "certificate: 1 row" in restored.output
    with app.app_context():
        after = snapshot()
    # Every row as it was, and one more event: the restore itself, from the command line.
    kept = len(before["audit_event"])
    assert [event[3] for event in after["audit_event"][kept:]] == ["database.restored"]
    assert {**after, "audit_event": after["audit_event"][:kept]} == before

    # The app carries on with the restored data: the learner, the public check, new rows.
    assert "Ada Lovelace" in client.get(f"/me/certificates/{code}").get_data(as_text=True)
    verified = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "Sample certificate" in verified
    with app.app_context():
        assert make_user(email="new@example.org").id > max(row[0] for row in before["user_account"])


def test_a_backup_never_overwrites_a_file_unless_asked(app, runner, tmp_path):
    target = tmp_path / "course.backup"
    target.write_bytes(b"yesterday's backup")
    refused = runner.invoke(args=["db", "backup", str(target)])
    assert refused.exit_code == 1 and "already exists" in refused.output
    assert target.read_bytes() == b"yesterday's backup"
    replaced = runner.invoke(args=["db", "backup", "--overwrite", str(target)])
    assert replaced.exit_code == 0, replaced.output
    assert target.read_bytes() != b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(app, runner, tmp_path):
    with app.app_context():
        make_user(email="kept@example.org")
        before = snapshot()
    bogus = tmp_path / "notes.backup"
    bogus.write_bytes(b"These are my notes, not a database. " * 200)
    result = runner.invoke(args=["db", "restore", "--yes", str(bogus)])
    assert result.exit_code == 1 and "the database is unchanged" in result.output
    with app.app_context():
        assert snapshot() == before


def test_a_restore_names_a_backup_of_the_other_kind_of_database(app, runner, tmp_path):
    with app.app_context():
        here = db.engine.dialect.name
    other, named = ((b"PGDMP", "a PostgreSQL") if here == "sqlite"
                    else (b"SQLite format 3\x00", "an SQLite"))
    backup = tmp_path / "other-server.backup"
    backup.write_bytes(other + b"\x00" * 4096)
    result = runner.invoke(args=["db", "restore", "--yes", str(backup)])
    assert result.exit_code == 1
    assert f"is a backup of {named} database" in " ".join(result.output.split())
    assert "the database is unchanged" in result.output


def test_the_deployment_guides_socket_url_reaches_the_app_and_pg_dump_alike():
    from course import create_app

    socket_url = "postgresql://course@/course?host=/var/run/postgresql"  # docs/deployment.md
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": socket_url})
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    assert url.drivername == "postgresql+psycopg" and url.host is None
    assert url.query["host"] == "/var/run/postgresql"
    env = backup_module.pg_environment(url, base={})
    assert env == {"PGHOST": "/var/run/postgresql", "PGUSER": "course", "PGDATABASE": "course"}


def test_pg_tools_get_the_password_from_the_environment_not_the_command_line(monkeypatch):
    url = make_url("postgresql+psycopg://ce_user:s3cr%40t@db.example.org:6543/ce?sslmode=require")
    env = backup_module.pg_environment(url, base={"LANG": "C", "PGPASSWORD": "old"})
    assert env["PGPASSWORD"] == "s3cr@t" and env["PGUSER"] == "ce_user"
    assert env["PGHOST"] == "db.example.org" and env["PGPORT"] == "6543"
    assert env["PGDATABASE"] == "ce" and env["PGSSLMODE"] == "require"

    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return backup_module.subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup_module.shutil, "which", lambda tool: tool)
    monkeypatch.setattr(backup_module.subprocess, "run", fake_run)
    backup_module._run_pg("pg_dump", ["--format=custom", "--file", "out.dump"], url)
    command, env = calls[0]
    assert "--no-password" in command
    assert not any("s3cr" in part or "ce_user" in part for part in command)
    assert env["PGPASSWORD"] == "s3cr@t"


@pytest.fixture
def sqlite_app(app: Flask) -> Flask:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's online backup")
    return app


def test_an_sqlite_backup_is_consistent_while_a_write_is_under_way(sqlite_app, tmp_path):
    with sqlite_app.app_context():
        make_user(email="committed@example.org")
        live = Path(db.engine.url.database)
    writer = sqlite3.connect(live, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE user_account SET full_name = 'Half Written'")
        with sqlite_app.app_context():  # the copy itself; the command's log entry must wait
            backup_module.backup_database(tmp_path / "copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        names = [name for (name,) in copy.execute("SELECT full_name FROM user_account")]
        mode = copy.execute("PRAGMA journal_mode").fetchone()[0]
    assert names and "Half Written" not in names
    assert mode == "delete"  # one self-contained file, no WAL beside it


def test_a_restore_of_a_backup_taken_before_a_column_came_says_to_migrate(tmp_path):
    # Every table is there, one column is not: the app would fail on every account read.
    from flask_migrate import upgrade

    from course import create_app

    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    older = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/o.db"})
    with older.app_context():
        upgrade(directory=migrations, revision="b7e3d9a2c5f1")  # before user_account.name_key
        db.engine.dispose()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/n.db"})
    with app.app_context():
        upgrade(directory=migrations)
        db.engine.dispose()
    restored = app.test_cli_runner().invoke(args=["db", "restore", "--yes", f"{tmp_path}/o.db"])
    assert restored.exit_code == 0, restored.output
    assert "run `flask db upgrade` next" in restored.output


def test_a_backup_restores_onto_a_new_server_that_has_no_database_yet(app, runner, tmp_path):
    from course import create_app

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("a PostgreSQL restore goes into a database the server made")
        make_user(email="kept@example.org")
    backup = tmp_path / "course.backup"
    assert runner.invoke(args=["db", "backup", str(backup)]).exit_code == 0
    new_file = tmp_path / "new-server" / "course.db"
    new_file.parent.mkdir()
    new = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{new_file}"})
    restored = new.test_cli_runner().invoke(args=["db", "restore", "--yes", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert new_file.stat().st_mode & 0o077 == 0  # it holds everyone's data and the keys
    with new.app_context():
        assert db.session.scalar(select(User.email)) == "kept@example.org"
