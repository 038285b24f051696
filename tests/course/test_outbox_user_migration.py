"""The migration that records whom each statement is about finds every statement queued
before it, exactly as the data download and account deletion matched them: by the
actor's account on this site, or by the address the provider sent in its place."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from course import create_app
from course.extensions import db
from course.models import OutboxMessage, User
from course.outbox.privacy import pseudonymise_statements, statements_about
from tests.course.factories import make_user

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BEFORE = "8d41f2a6c9e0"
AFTER = "679d1637c533"
BASE = "http://127.0.0.1:5000"


def _account(name: str) -> str:
    account = f'{{"homePage": "{BASE}", "name": "{name}"}}'
    return f'{{"objectType": "Agent", "name": "N", "account": {account}}}'


def _mbox(address: str) -> str:
    return f'{{"objectType": "Agent", "name": "N", "mbox": "{address}"}}'


# message id -> (channel, actor JSON, whom the statement is about afterwards)
MESSAGES = {
    "ada-account": ("xapi", _account("7"), 7),
    "ada-account-2": ("xapi", _account("7"), 7),
    "bo-address": ("xapi", _mbox("mailto:bo@example.org"), 8),
    # The provider voiding a statement: its own, about no learner.
    "voiding": ("xapi", _account("provider"), None),
    # Nobody here (any more): the download and deletion never found these either.
    "no-such-account": ("xapi", _account("77"), None),
    "not-a-number": ("xapi", _account("7x"), None),
    "old-address": ("xapi", _mbox("mailto:gone@example.org"), None),
    "not-mailto": ("xapi", _mbox("MAILTO:bo@example.org"), None),
    "lti-score": ("lti", "null", None),
}


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_statements_queued_before_the_migration_are_found_by_their_learner(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db",
                      "BASE_URL": BASE})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=BEFORE)
        with db.engine.begin() as conn:
            for user_id, email in ((7, "ada@example.org"), (8, "bo@example.org")):
                conn.execute(text(
                    "INSERT INTO user_account (id, email, password_hash, full_name, role,"
                    " active, session_version, created_at) VALUES (:id, :email, '!', 'N',"
                    " 'learner', 1, 1, CURRENT_TIMESTAMP)"), {"id": user_id, "email": email})
            for number, (message_id, (channel, actor, _)) in enumerate(MESSAGES.items()):
                conn.execute(text(
                    "INSERT INTO outbox_message (channel, message_id, payload, created_at,"
                    " attempts, next_attempt_at) VALUES (:channel, :message_id, :payload,"
                    " :created_at, 0, CURRENT_TIMESTAMP)"),
                    {"channel": channel, "message_id": message_id,
                     "payload": f'{{"id": "{message_id}", "actor": {actor}}}',
                     "created_at": f"2026-01-01 00:00:{number:02d}"})
        upgrade(directory=str(MIGRATIONS))
        assert dict(_rows("SELECT message_id, user_id FROM outbox_message")) == {
            message_id: about for message_id, (_, _, about) in MESSAGES.items()}

        ada, bo = db.session.get(User, 7), db.session.get(User, 8)
        assert [m.message_id for m in statements_about(ada)] == ["ada-account", "ada-account-2"]
        assert [m.message_id for m in statements_about(bo)] == ["bo-address"]
        assert pseudonymise_statements(bo) == 1
        db.session.commit()
        (statement,) = statements_about(bo)
        assert statement.payload["actor"]["account"] == {"homePage": BASE, "name": "8"}
        assert "mbox" not in statement.payload["actor"]
        db.session.remove()  # outside a request, its transaction holds the write lock
        assert _rows("PRAGMA foreign_key_check") == []

        downgrade(directory=str(MIGRATIONS), revision=BEFORE)
        assert _rows("SELECT count(*) FROM outbox_message") == [(len(MESSAGES),)]
        assert "user_id" not in {row[1] for row in _rows("PRAGMA table_info(outbox_message)")}
        assert _rows("PRAGMA foreign_keys") == [(1,)]
        db.engine.dispose()


def _backfill() -> dict[str, list[str]]:
    path = next(MIGRATIONS.glob(f"versions/{AFTER}_*.py"))
    spec = importlib.util.spec_from_file_location("outbox_user_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._BACKFILL


def test_the_backfill_runs_on_this_database(app):
    # The SQL differs between SQLite and PostgreSQL: run the one for the database the
    # suite runs on (TEST_DATABASE_URL), against rows that lost their user id.
    with app.app_context():
        ada = make_user(email="ada@example.org")
        bo = make_user(email="bo@example.org")
        actors = {"a": {"account": {"homePage": BASE, "name": str(ada.id)}},
                  "b": {"mbox": "mailto:bo@example.org"},
                  "v": {"account": {"homePage": BASE, "name": "provider"}}}
        for key, actor in actors.items():
            db.session.add(OutboxMessage(channel="xapi", message_id=key,
                                         payload={"id": key, "actor": actor}))
        db.session.commit()
        for statement in _backfill()[db.engine.dialect.name]:
            db.session.execute(text(statement))
        db.session.commit()
        found = dict(db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.user_id)).tuples().all())
        assert found == {"a": ada.id, "b": bo.id, "v": None}
