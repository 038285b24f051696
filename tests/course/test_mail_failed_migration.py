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
