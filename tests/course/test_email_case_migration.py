"""Sign-in compares addresses as stored: the migration that made it so lower-cases any
address stored in mixed case, and refuses, naming them, accounts it would merge."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from course import create_app
from course.extensions import db
from course.users import find_user_by_email

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
BEFORE = "3c52e0b1d7a4"
ACCOUNT = (
    "INSERT INTO user_account (email, password_hash, full_name, role, active, session_version,"
    " created_at) VALUES (:email, '!', 'A', 'learner', 1, 1, CURRENT_TIMESTAMP)"
)


def _app_before(tmp_path, *emails: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            for email in emails:
                conn.execute(text(ACCOUNT), {"email": email})
    return app


def test_an_address_stored_in_mixed_case_still_signs_in(tmp_path):
    app = _app_before(tmp_path, "Ada.Lovelace@Example.ORG", "grace@example.org",
                      "ÉLODIE@example.org")
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert find_user_by_email(" ADA.lovelace@example.org ").email == (
            "ada.lovelace@example.org")
        assert find_user_by_email("grace@example.org") is not None
        # Lowered as the app lowers what is typed, beyond ASCII too.
        assert find_user_by_email("Élodie@example.org").email == "élodie@example.org"


def test_accounts_that_differ_only_in_case_stop_the_migration_by_name(tmp_path, caplog):
    app = _app_before(tmp_path, "Sam@example.org", "sam@example.org")
    with app.app_context(), pytest.raises(SystemExit):
        upgrade(directory=MIGRATIONS)
    # Logged as an error, which the app's log handler prints for `flask db upgrade`.
    said = " ".join(r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert "more than one account when case is ignored" in said and "sam@example.org" in said
    with app.app_context(), db.engine.connect() as conn:
        emails = conn.execute(text("SELECT email FROM user_account ORDER BY id")).scalars()
        assert emails.all() == ["Sam@example.org", "sam@example.org"]  # nothing changed
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == BEFORE
