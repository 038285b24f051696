"""Reads that stay sound as a provider grows: every statement of a learner's journey finds
its rows by index, and the records narrow to any number of completions."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from course.admin import report_services as reports
from course.admin.evaluation_report import evaluation_results
from course.extensions import db
from course.learn.activetime import enrolment_times
from course.learn.services import enrol
from course.models import User
from tests.course.certificate_kit import earn_certificate, quick
from tests.course.factories import PASSWORD, import_course, make_user

# Tables with rows per learner (or per try, answer, event): a full scan of one costs more
# with every learner who ever took a course.
GROW_WITH_LEARNERS = {
    "user_account", "browser_session", "enrolment", "lesson_progress", "check_response",
    "post_test_attempt", "attempt_answer", "evaluation_response", "evaluation_answer",
    "certificate", "audit_event", "outbox_message", "outgoing_mail", "credential_status",
    "correction_request", "question",  # one row a question of every course and version
}


def _full_scans(plan: list[str]) -> set[str]:
    """Tables the plan reads whole ("SCAN t", not "SCAN t USING INDEX" nor a subquery)."""
    scanned = set()
    for line in plan:
        words = line.split()
        if words[0] == "SCAN" and len(words) >= 2 and "USING" not in words:
            scanned.add(words[1])
    return scanned


def test_a_learners_journey_reads_no_growing_table_whole(
    app: Flask, client: FlaskClient, package_copy: Path
) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("reads SQLite's query plans")
        engine = db.engine
    statements: dict[str, tuple] = {}

    def keep(conn, cursor, statement, parameters, context, executemany):
        # Only what reads rows (a plain INSERT finds none); bulk writes are the import's.
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE",
                                                                       "DELETE", "WITH")):
            statements.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        code = earn_certificate(app, client, quick(package_copy), email="reads@example.org")
        # Signing in and asking for a reset find the account by its address.
        other = app.test_client()
        signed = other.post("/auth/login", data={"email": "Reads@Example.org",
                                                 "password": PASSWORD})
        assert signed.status_code == 302  # case does not matter to the person signing in
        assert other.post("/auth/reset", data={"email": "reads@example.org"}).status_code == 302
        for path in ("/", "/me", "/courses/minimal", "/courses/minimal/lessons/push-pull",
                     "/courses/minimal/post-test/attempts/1", "/courses/minimal/evaluation",
                     f"/me/certificates/{code}", f"/me/certificates/{code}.pdf",
                     f"/me/certificates/{code}.json",
                     "/auth/profile", "/auth/profile/my-data.json", f"/verify/{code}",
                     f"/verify?code={code}"):
            assert client.get(path).status_code in (200, 302), path
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(statements) > 30  # the whole journey was seen
    found = {}
    with app.app_context():
        raw = engine.raw_connection()
        try:
            for statement, parameters in statements.items():
                plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                      parameters)]
                if scanned := _full_scans(plan) & GROW_WITH_LEARNERS:
                    text = " ".join(statement.split())
                    found[text[text.find(" FROM "):][:240]] = sorted(scanned)
        finally:
            raw.close()
    assert not found, "\n".join(f"{tables}: {sql}" for sql, tables in found.items())


def test_records_narrow_to_any_number_of_completions(app: Flask, minimal_package_dir) -> None:
    # An IN list sends a parameter a value; psycopg refuses more than 65,535, so a roster
    # of a course with more completions than that failed on PostgreSQL.
    many = list(range(10**6, 10**6 + 70_000))
    with app.app_context():
        course = import_course(minimal_package_dir)
        user = make_user()
        enrolment = enrol(db.session.get(User, user.id), course)
        db.session.commit()
        assert list(enrolment_times([*many, enrolment.id])) == [enrolment.id]
        assert reports.seat_time(course, [*many, enrolment.id]).measured == 0
        assert all(stat.responses == 0 for stat in evaluation_results(course, many))
