"""A command run against a database it cannot use says why in one line."""

from __future__ import annotations

from course import create_app


def _run(database_url: str, *args: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    return app.test_cli_runner().invoke(args=list(args))


def test_an_unmigrated_database_is_named_with_the_command_that_fixes_it(tmp_path) -> None:
    result = _run(f"sqlite:///{tmp_path / 'empty.db'}", "outbox", "status")
    assert result.exit_code == 1
    assert "Error: The database has no tables yet: run `flask db upgrade` first" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1


def test_health_check_tells_a_refused_login_and_no_tables_from_a_busy_database(
    tmp_path,
) -> None:
    # What a load balancer and an operator read: not "busy", which invites waiting.
    for url, state in [
        (f"sqlite:///{tmp_path / 'empty.db'}", "not-migrated"),
        ("postgresql+psycopg://nobody:x@127.0.0.1:1/none", "unreachable"),
    ]:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        response = app.test_client().get("/healthz")
        assert (response.status_code, response.get_json()["database"]) == (503, state)


def test_a_database_that_cannot_be_reached_is_said_in_one_line() -> None:
    # Nothing listens on port 1 of this machine.
    result = _run("postgresql+psycopg://nobody:x@127.0.0.1:1/none", "db", "check")
    assert result.exit_code == 1, result.output
    assert "The database cannot be reached: is it running, and DATABASE_URL right?" in result.output
    assert len(result.output.splitlines()) == 1


def test_a_refused_login_names_the_setting_to_check() -> None:
    from sqlalchemy.exc import OperationalError

    from course.db import unusable_database

    # psycopg's words for a wrong password or database name, with no SQLSTATE at connect.
    for said in ('FATAL:  password authentication failed for user "course"',
                 'FATAL:  database "nodb" does not exist'):  # fmt: skip
        exc = OperationalError("connect", {}, Exception(f"connection failed: {said}"))
        assert unusable_database(exc) == "misconfigured"
    refused = OperationalError("connect", {}, Exception("connection failed: Connection refused"))
    assert unusable_database(refused) == "unreachable"

    class MissingColumn(Exception):
        sqlstate = "42703"

    # A statement's own error is shown whole, not read as a refused login.
    bug = OperationalError("SELECT", {}, MissingColumn('column "x" does not exist'))
    assert unusable_database(bug) is None


def test_a_database_behind_the_codes_migrations_is_named_with_the_command_that_fixes_it(
    tmp_path,
) -> None:
    # The code was updated (or an older backup restored) and `db upgrade` not yet run.
    from pathlib import Path

    from flask_migrate import upgrade

    from course.extensions import db

    url = f"sqlite:///{tmp_path / 'older.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        migrations = str(Path(__file__).resolve().parents[2] / "migrations")
        upgrade(directory=migrations, revision="b7e3d9a2c5f1")  # before user_account.name_key
        db.engine.dispose()
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", "it@example.org", "--name", "Ida Tech",
              "--reason", "first admin"],
        env={"ADMIN_PASSWORD": "walnut harbour cinema ninety"},
    )
    assert result.exit_code == 1
    assert "Error: The database predates this code's migrations: run `flask db upgrade` first" in (
        result.output
    )
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1


def test_health_check_names_a_database_behind_the_code_and_not_one_ahead_of_it(tmp_path):
    # Behind: the pages would fail on a missing column, so the balancer must hear it.
    # Ahead (another server already migrated for a newer release): this one still serves.
    from pathlib import Path

    from flask_migrate import upgrade
    from sqlalchemy import text

    from course.extensions import db

    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    for revision, newer, answer in [("b7e3d9a2c5f1", None, (503, "not-migrated")),
                                    ("head", "0123456789ab", (200, "ok"))]:
        url = f"sqlite:///{tmp_path / revision}.db"
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=migrations, revision=revision)
            if newer:
                with db.engine.begin() as conn:
                    conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newer})
            db.engine.dispose()
        response = app.test_client().get("/healthz")
        assert (response.status_code, response.get_json()["database"]) == answer
