"""The migration that lets a grade target wait for its line item keeps every score queued.

SQLite rebuilds the table to change it; outbox messages point at it, so the rebuild runs
with foreign keys off and checks them after (it failed with "FOREIGN KEY constraint
failed" on any database that had queued an LTI score).
"""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from course import create_app
from course.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
BEFORE = "b7d2e4f6a8c1"
ROWS = (
    "INSERT INTO user_account (id, email, password_hash, full_name, role, active,"
    " session_version, created_at) VALUES (1, 'l@lti.invalid', '!lti', 'L', 'LEARNER', 1, 1,"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO course (id, slug, title, created_at) VALUES (1, 'c', 'C', CURRENT_TIMESTAMP)",
    "INSERT INTO lti_platform (id, name, issuer, client_id, auth_login_url, auth_token_url,"
    " jwks_url, deployment_ids, active, created_at) VALUES (1, 'LMS', 'https://lms.example',"
    " 'tool', 'https://lms.example/a', 'https://lms.example/t', 'https://lms.example/j', '[]',"
    " 1, CURRENT_TIMESTAMP)",
    "INSERT INTO lti_grade_target (id, user_id, course_id, platform_id, subject, lineitem_url,"
    " scopes, updated_at) VALUES (1, 1, 1, 1, 'sub-1', 'https://lms.example/li/7', '[]',"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO outbox_message (id, channel, message_id, payload, subject_key,"
    " grade_target_id, created_at, attempts, next_attempt_at) VALUES (1, 'lti', 'm-1', '{}',"
    " 'k-1', 1, CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)",
)


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_queued_scores_survive_the_migration_both_ways(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            for statement in ROWS:
                conn.execute(text(statement))
        upgrade(directory=MIGRATIONS)
        assert _rows("SELECT id, lineitem_url, lineitems_url FROM lti_grade_target") == [
            (1, "https://lms.example/li/7", None)]
        assert _rows("SELECT grade_target_id FROM outbox_message") == [(1,)]
        assert _rows("PRAGMA foreign_key_check") == []
        assert _rows("PRAGMA foreign_keys") == [(1,)]  # enforced again afterwards
        # A target waiting for its line item, with a score queued for it.
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO lti_grade_target (id, user_id, course_id, platform_id, subject,"
                " lineitems_url, resource_link_id, scopes, updated_at) VALUES (2, 1, 1, 1,"
                " 'sub-1', 'https://lms.example/li', 'link-1', '[]', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO outbox_message (id, channel, message_id, payload, subject_key,"
                " grade_target_id, created_at, attempts, next_attempt_at) VALUES (2, 'lti',"
                " 'm-2', '{}', 'k-2', 2, CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)"))
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        # Only what the old schema cannot hold goes: the waiting target and its score.
        assert _rows("SELECT id, lineitem_url FROM lti_grade_target") == [
            (1, "https://lms.example/li/7")]
        assert _rows("SELECT id, grade_target_id FROM outbox_message") == [(1, 1)]
        assert _rows("PRAGMA foreign_key_check") == []
        db.engine.dispose()
