"""The migration that keeps failed email and gives each message a random reference."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from course import create_app
from course.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
BEFORE = "a7f3c9e1d5b2"


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_a_message_queued_before_the_upgrade_keeps_its_message_id(tmp_path) -> None:
    # Its earlier tries carried <12-20261207T091203.123456Z@...>: a retry after the upgrade
    # must carry the same, or a receiver that took the first try sees two messages.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO outgoing_mail (id, to_address, subject, body, created_at, attempts,"
                " next_attempt_at) VALUES (12, 'ana@example.com', 'Hello', 'B',"
                " '2026-12-07 09:12:03.123456', 1, '2026-12-07 09:12:33.000000')"))
        upgrade(directory=MIGRATIONS)
        assert _rows("SELECT id, token, failed_at, acknowledged_at FROM outgoing_mail") == [
            (12, "12-20261207T091203.123456Z", None, None)]
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO outgoing_mail (id, to_address, subject, body, created_at, attempts,"
                " next_attempt_at, token, failed_at) VALUES (13, 'bo@example.com', 'Refused',"
                " 'B', CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP, 'abcd-efgh-jkmn',"
                " CURRENT_TIMESTAMP)"))
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        # The previous release knows no failed messages and would send one again.
        assert _rows("SELECT id FROM outgoing_mail") == [(12,)]
        db.engine.dispose()


def test_the_previous_release_can_still_queue_email_on_the_new_schema(tmp_path) -> None:
    # Between 'flask db upgrade' and the restart onto the new code, the previous release
    # still serves: its sign-up links and password resets are queued without a reference.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.begin() as conn:
            for address in ("ana@example.com", "bo@example.com"):
                conn.execute(text(
                    "INSERT INTO outgoing_mail (to_address, subject, body, created_at,"
                    " attempts, next_attempt_at) VALUES (:to, 'Reset your password', 'B',"
                    " CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)"), {"to": address})
        tokens = [token for (token,) in _rows("SELECT token FROM outgoing_mail")]
        assert len(tokens) == 2 and len(set(tokens)) == 2
        assert all(len(token) == 12 for token in tokens)
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
