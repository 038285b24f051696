"""The records' invariants, read with plain SQL (SQLite and PostgreSQL alike).

Each check counts the rows that break one rule; every count must be 0. This is the
tests' own reading, independent of the app's ``flask db check``, which the tests run too.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

CHECKS: dict[str, str] = {
    # An answer's form token stores at most one row (the database enforces it too).
    "check answers stored twice": """
        SELECT count(*) FROM (
            SELECT submission_key FROM check_response WHERE submission_key IS NOT NULL
            GROUP BY submission_key HAVING count(*) > 1) AS dup""",
    # A submitted attempt holds one answer per drawn question; an open one holds none.
    "half-written attempts": """
        SELECT count(*) FROM post_test_attempt AS a
        WHERE (a.submitted_at IS NOT NULL AND a.question_count <>
               (SELECT count(*) FROM attempt_answer AS x WHERE x.attempt_id = a.id))
           OR (a.submitted_at IS NULL AND
               (a.passed IS NOT NULL OR EXISTS (
                   SELECT 1 FROM attempt_answer AS x WHERE x.attempt_id = a.id)))""",
    "open attempts per enrolment above one": """
        SELECT count(*) FROM (
            SELECT enrolment_id FROM post_test_attempt WHERE submitted_at IS NULL
            GROUP BY enrolment_id HAVING count(*) > 1) AS dup""",
    "certificates without a passing attempt": """
        SELECT count(*) FROM certificate AS c
        WHERE NOT EXISTS (SELECT 1 FROM post_test_attempt AS a
                          WHERE a.enrolment_id = c.enrolment_id AND a.passed)""",
    "certificates without an evaluation": """
        SELECT count(*) FROM certificate AS c
        WHERE NOT EXISTS (SELECT 1 FROM evaluation_response AS e
                          WHERE e.enrolment_id = c.enrolment_id)""",
    "live certificates per learner and version above one": """
        SELECT count(*) FROM (
            SELECT user_id, version_id FROM certificate WHERE status = 'valid'
            GROUP BY user_id, version_id HAVING count(*) > 1) AS dup""",
    "completions without a passing attempt": """
        SELECT count(*) FROM enrolment AS n
        WHERE n.completed_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM post_test_attempt AS a WHERE a.enrolment_id = n.id AND a.passed)""",
    "completions without an evaluation": """
        SELECT count(*) FROM enrolment AS n
        WHERE n.completed_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM evaluation_response AS e WHERE e.enrolment_id = n.id)""",
    "evaluations without answers": """
        SELECT count(*) FROM evaluation_response AS e
        WHERE NOT EXISTS (SELECT 1 FROM evaluation_answer AS x WHERE x.response_id = e.id)""",
    "evaluations without a completion": """
        SELECT count(*) FROM evaluation_response AS e JOIN enrolment AS n
          ON n.id = e.enrolment_id WHERE n.completed_at IS NULL""",
    # (A certificate an admin revoked still counts: revoking is not losing it.)
    "completions without a certificate": """
        SELECT count(*) FROM enrolment AS n
        WHERE n.completed_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM certificate AS c
            WHERE c.enrolment_id = n.id AND c.status IN ('valid', 'revoked'))""",
}


def _sync_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def check(database_url: str) -> dict[str, int]:
    """Return the number of rows breaking each invariant."""
    engine = create_engine(_sync_url(database_url))
    try:
        with engine.connect() as conn:
            return {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in CHECKS.items()}
    finally:
        engine.dispose()


def count(database_url: str, sql: str) -> int:
    """Return the single number a query answers."""
    engine = create_engine(_sync_url(database_url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def stored_submission_keys(database_url: str) -> list[str]:
    """Return every stored knowledge-check submission key (duplicates kept)."""
    engine = create_engine(_sync_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT submission_key FROM check_response"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def stored_codes(database_url: str) -> list[str]:
    """Return every certificate code."""
    engine = create_engine(_sync_url(database_url))
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT code FROM certificate"))]
    finally:
        engine.dispose()
