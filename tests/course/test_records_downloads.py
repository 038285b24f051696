"""Admin downloads at a provider's scale: learners' saves do not wait while one is built,
the work does not grow a statement per certificate or a parameter per completion, and
every download stays audited."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from course import certificate_changes, issuing
from course.admin import certificate_services, roster
from course.extensions import db
from course.learn import services as learn
from course.mail import sender_for
from course.models import AuditEvent, Certificate, Course, User
from tests.course.certkit import pdf_words
from tests.course.factories import sign_in, write_elsewhere_without_waiting
from tests.course.test_audit_scope import two_versions  # noqa: F401  (a fixture)


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
        ("/admin/courses/minimal/enrollments.csv", "records.enrollments_exported"),
    ],
)
def test_a_learner_saves_while_the_roster_or_audit_pack_is_built(
    app: Flask, data, monkeypatch: pytest.MonkeyPatch, path: str, action: str
) -> None:
    saved: list[str] = []
    # The certificates' emails go out from a thread that writes as it sends them: its
    # write, not the download's, could then be the one the save meets.
    sender_for(app).stop()
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


@contextmanager
def statements_run() -> Iterator[list[str]]:
    """Record the SQL of each statement run in the block (inside an app context)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_the_certificates_zip_takes_as_many_statements_for_six_as_for_two(
    app: Flask, data, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(app.test_client(), data.admin)

    def download() -> tuple[int, zipfile.ZipFile]:
        with app.app_context(), statements_run() as seen:
            response = client.get("/admin/certificates/export.zip", query_string={
                "course": "minimal"})  # fmt: skip
            assert response.status_code == 200
            assert int(response.headers["Content-Length"]) == len(response.data)
            return len(seen), zipfile.ZipFile(io.BytesIO(response.data))

    download()  # the first request of a process also looks for queued mail
    with app.app_context():
        b = db.session.get(User, data.learners["b"].id)
        certificate = issuing.issue_certificate(
            learn.find_enrolment(b, db.session.get(Course, data.course_id)))
        db.session.commit()  # fmt: skip
    sender_for(app).stop()  # b's "certificate is ready" email goes out before the counting
    two, archive = download()
    assert len(archive.namelist()) == 4  # two PDFs, the index and the README
    with app.app_context():
        admin = db.session.get(User, data.admin.id)
        for _ in range(4):  # each reissue is another certificate with its own PDF
            certificate = certificate_changes.reissue(db.session.merge(certificate), admin)
            db.session.commit()
    six, archive = download()
    assert six == two and len(archive.namelist()) == 8
    # Then with a learner's save during the build (its statements are not the ZIP's).
    saved: list[str] = []
    monkeypatch.setattr(certificate_services, "csv_text", _learner_saves_during(
        certificate_services.csv_text, saved))  # fmt: skip
    _, archive = download()
    assert saved  # every PDF was in the ZIP, and the write lock was free
    stored = {info.filename: info.compress_type for info in archive.infolist()}
    assert stored.pop("index.csv") == stored.pop("README.txt") == zipfile.ZIP_DEFLATED
    assert set(stored.values()) == {zipfile.ZIP_STORED}  # PDFs are compressed already
    events = _audited(app, "records.certificate_pdfs_exported")
    assert len(events) == 4 and events[0].actor_id == data.admin.id
    assert (events[0].subject_id, events[0].ip_address) == ("minimal", "127.0.0.1")


def test_a_certificate_without_its_stored_pdf_is_rendered_into_the_zip(
    app: Flask, data
) -> None:
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        certificate.pdf = None  # issued before PDFs were stored
        db.session.commit()
    client = sign_in(app.test_client(), data.admin)
    response = client.get("/admin/certificates/export.zip", query_string={"course": "minimal"})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    pdf = archive.read(f"certificate-{data.certificate_code}.pdf")
    assert pdf.startswith(b"%PDF") and data.certificate_code in pdf_words(pdf)
