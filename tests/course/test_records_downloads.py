"""Admin downloads at a provider's scale: learners' saves do not wait while one is built,
and the work does not grow a statement per certificate or completion."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from course.admin import roster
from course.extensions import db
from course.models import AuditEvent, Course, User
from tests.course.factories import sign_in, write_elsewhere_without_waiting
from tests.course.test_admin_dataset import build_dataset
from tests.course.test_audit_scope import two_versions  # noqa: F401  (a fixture)


@pytest.fixture
def data(app: Flask, minimal_package_dir):
    with app.app_context():
        return build_dataset(minimal_package_dir)


def _learner_saves_during(original: Callable, saved: list[str]) -> Callable:
    """Wrap ``original`` so that, once it has run, another connection writes at once."""

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        # Any row will do: on SQLite every write needs the one write lock.
        statement = update(User).where(User.id == 1).values(profession="Social worker")
        write_elsewhere_without_waiting(statement)
        saved.append("saved")
        return result

    return wrapper


def _audited(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/admin/courses/minimal/roster.csv", "records.roster_exported"),
        ("/admin/courses/minimal/audit-pack.zip", "records.audit_pack_downloaded"),
    ],
)
def test_a_learner_saves_while_the_roster_or_audit_pack_is_built(
    app: Flask, data, monkeypatch: pytest.MonkeyPatch, path: str, action: str
) -> None:
    saved: list[str] = []
    monkeypatch.setattr(roster, "enrolment_times", _learner_saves_during(
        roster.enrolment_times, saved))  # fmt: skip
    response = sign_in(app.test_client(), data.admin).get(path)
    assert response.status_code == 200 and response.data
    assert saved  # mid-build, the write lock was free: the save did not wait
    [event] = _audited(app, action)
    assert event.actor_id == data.admin.id and event.subject_id == "minimal"
    assert event.ip_address == "127.0.0.1"


@contextmanager
def parameters_bound() -> Iterator[list[int]]:
    """Record how many parameters each statement run in the block binds."""
    seen: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(len(parameters))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_roster_streams_the_same_rows_whatever_the_batch(app: Flask, two_versions) -> None:  # noqa: F811, E501
    admin = sign_in(app.test_client(), two_versions.admin)
    response = admin.get("/admin/courses/minimal/roster.csv", query_string={"version": 1})
    assert response.status_code == 200 and response.is_streamed
    assert 'filename="roster-minimal-v1.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).count("@example.org") == 2
    with app.app_context():
        course = db.session.get(Course, two_versions.course_id)
        for number in (None, 1, 2):
            scope = roster.audit_scope(course, number, None, None)
            whole = [row.cells for row in roster.roster_rows(course, scope)]
            assert [row.cells for row in roster.roster_rows(course, scope, batch=1)] == whole
            assert len(whole) == {None: 3, 1: 2, 2: 1}[number]


def test_a_packs_attempts_bind_no_parameter_per_completion(app: Flask, two_versions) -> None:  # noqa: F811, E501
    with app.app_context():
        course = db.session.get(Course, two_versions.course_id)
        bound = {}
        for start, completers in (("2026-01-01", 3), ("2026-03-01", 1)):
            scope = roster.audit_scope(course, None, date.fromisoformat(start), None)
            rows = list(roster.roster_rows(course, scope))
            assert len(rows) == completers
            with parameters_bound() as seen:
                roster.attempts_csv(course, scope, rows)
                roster.attempt_versions(course, scope, rows)
            bound[completers] = seen
        # The completions go as a subquery: as many parameters for three as for one.
        assert bound[3] == bound[1] and len(bound[1]) == 2
        v2 = roster.audit_scope(course, 2, None, None)
        rows = list(roster.roster_rows(course, v2))
        attempts = roster.attempts_csv(course, v2, rows)
    assert [line.split(",")[1] for line in attempts.splitlines()[1:]] == ["e@example.org"]
