"""PostgreSQL: statements get prepared, what a request writes commits or rolls back as
one, a dropped connection costs one resent request, and a save checks one connection
out of the pool."""

from __future__ import annotations

import time

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select, text

from course.extensions import db
from course.models import CheckResponse, Course, User
from tests.course.factories import make_user
from tests.course.journey import check_positions, correct_keys


@pytest.fixture(autouse=True)
def postgres_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's connections (run with TEST_DATABASE_URL)")


def kill_the_apps_connections(app: Flask) -> int:
    """Terminate every server process serving the test database but this one, as a
    restart of the database server would; return how many there were."""
    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    # The app's connections only: an autovacuum worker on the same database belongs to a
    # superuser, and terminating it fails (it also comes and goes on its own).
    others = (
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND usename = current_user AND backend_type = 'client backend'"
    )
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity {others}")
        killed = len(rows.fetchall())
        # A terminated server process exits a moment later; until then the app's pooled
        # connection still works, and the request meant to meet a dead one would not.
        deadline = time.monotonic() + 5
        while admin.execute(f"SELECT count(*) FROM pg_stat_activity {others}").fetchone()[0]:
            assert time.monotonic() < deadline, "the terminated connections stayed"
            time.sleep(0.01)
    return killed


def first_check(app: Flask, client: FlaskClient):
    """The first check's URL and what the learner's page sends for its right answer (the
    positions of the right choices in the learner's own order, not their keys)."""
    with app.app_context():
        lesson = db.session.scalar(select(Course).where(Course.slug == "minimal")).live_lessons[0]
        check = lesson.live_checks[0]
        positions = check_positions(client, "minimal", check, correct_keys(check))
        return f"/courses/minimal/lessons/{lesson.slug}/checks/{check.key}", positions


def test_pages_that_only_read_let_statements_be_prepared(app: Flask, ready: FlaskClient) -> None:
    for _ in range(8):  # psycopg prepares a statement on its fifth run on a connection
        assert ready.get("/courses/minimal").status_code == 200
    with app.app_context():
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    # Each page view used to end with ROLLBACK, which makes psycopg forget them all.
    assert prepared > 0


def transaction_states(app: Flask, request) -> list[tuple[bool, TransactionStatus]]:
    """For each statement a request sends: whether the connection was in autocommit, and
    whether a transaction was open when it was sent."""
    seen = []

    def note(conn, *_args) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        seen.append((dbapi_conn.autocommit, dbapi_conn.info.transaction_status))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_save_runs_in_one_transaction(app: Flask, ready: FlaskClient) -> None:
    url, keys = first_check(app, ready)
    data = {"choice": keys, "submission_key": "in-one-transaction"}
    seen = transaction_states(app, lambda: ready.post(url, data=data))
    assert not any(autocommit for autocommit, _ in seen)
    # psycopg sends BEGIN with the first statement: every later one finds it open.
    assert {status for _, status in seen[1:]} == {TransactionStatus.INTRANS}


def test_a_reading_page_that_writes_after_all_commits_or_rolls_back_as_one(
    app: Flask,
) -> None:
    """A GET not marked @writes that writes anyway: a failure after its writes undoes
    them all, and a commit keeps them all (autocommit for reading pages must not
    change that)."""

    @app.get("/test-only/rename/<int:user_id>/<outcome>")
    def rename(user_id: int, outcome: str) -> str:
        user = db.session.get(User, user_id)
        user.full_name = "Renamed Halfway"
        db.session.flush()
        user.email = f"renamed{user_id}@example.org"
        db.session.flush()
        if outcome == "fail":
            raise RuntimeError("the page fails after its writes")
        db.session.commit()
        return "renamed"

    with app.app_context():
        failing, passing = make_user(), make_user()
    client = app.test_client()
    assert client.get(f"/test-only/rename/{failing.id}/fail").status_code == 500
    assert client.get(f"/test-only/rename/{passing.id}/commit").status_code == 200
    with app.app_context():
        assert db.session.get(User, failing.id).full_name == failing.full_name
        assert db.session.get(User, failing.id).email == failing.email
        renamed = db.session.get(User, passing.id)
        assert (renamed.full_name, renamed.email) == (
            "Renamed Halfway", f"renamed{passing.id}@example.org"
        )


def test_a_locking_read_on_a_reading_page_holds_its_lock_in_a_transaction(app: Flask) -> None:
    @app.get("/test-only/lock/<int:user_id>")
    def lock(user_id: int) -> str:
        db.session.scalars(select(User).where(User.id == user_id).with_for_update()).one()
        status = db.session.connection().connection.dbapi_connection.info.transaction_status
        return status.name

    with app.app_context():
        user = make_user()
    assert app.test_client().get(f"/test-only/lock/{user.id}").text == "INTRANS"


def test_a_dropped_connection_costs_one_resent_request(app: Flask, ready: FlaskClient) -> None:
    assert ready.get("/courses/minimal").status_code == 200  # a connection in the pool
    assert kill_the_apps_connections(app) >= 1
    first = ready.get("/courses/minimal")
    assert first.status_code == 307 and first.location.endswith("/courses/minimal")
    assert ready.get(first.location).status_code == 200


def test_an_answer_sent_on_a_dropped_connection_is_sent_again_and_stored_once(
    app: Flask, ready: FlaskClient
) -> None:
    url, keys = first_check(app, ready)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(CheckResponse))
    assert ready.get("/courses/minimal").status_code == 200
    kill_the_apps_connections(app)
    data = {"choice": keys, "submission_key": "resent-after-restart"}
    refused = ready.post(url, data=data)
    assert refused.status_code == 307 and refused.location.endswith(url)
    # A browser sends a 307's body again; the test client's follow-up would not.
    resent = ready.post(refused.location, data=data)
    assert resent.status_code == 303
    assert ready.post(refused.location, data=data).status_code == 303  # and once more
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(CheckResponse))
    assert after == before + 1


def test_a_save_checks_out_one_connection(app: Flask, ready: FlaskClient) -> None:
    url, keys = first_check(app, ready)
    checkouts = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: checkouts.append(1)  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        response = ready.post(url, data={"choice": keys, "submission_key": "one-checkout"})
    finally:
        event.remove(engine, "checkout", listener)
    assert response.status_code == 303
    assert len(checkouts) == 1  # write_transaction() used to end the read one and check out anew
