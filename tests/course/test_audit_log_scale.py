"""The audit log page costs the same few queries however many people its events name, and
narrowing it to an actor finds that person's events by index, not by reading the log."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event

from course.audit import record_event
from course.extensions import db
from course.models import Role, User
from tests.course.factories import make_user, sign_in


def _log_events(actors: list[User], action: str = "test.done") -> None:
    for n, actor in enumerate(actors):
        record_event(db.session.get(User, actor.id), action, "thing", n, {"n": n})
    db.session.commit()


def _statements(app, client, path: str) -> tuple[int, list[str], str]:
    """Ask for a page; return its status, the SQL it ran and its text."""
    ran: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        ran.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return response.status_code, ran, response.get_data(as_text=True)


def test_a_page_of_the_log_costs_the_same_whatever_the_number_of_people_it_names(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.org")
        _log_events([make_user() for _ in range(2)])
    sign_in(client, admin)
    client.get("/admin/audit")  # any first-visit write happens here
    status, few, page = _statements(app, client, "/admin/audit")
    assert status == 200 and "<caption>2 events" in page
    with app.app_context():
        _log_events([make_user(full_name=f"Distinct Person{n}") for n in range(20)])
    status, many, page = _statements(app, client, "/admin/audit")
    assert status == 200 and "<caption>22 events" in page
    assert "Distinct Person19" in page and "Distinct Person0<" in page
    assert len(many) == len(few), many


def test_the_actor_filter_matches_a_name_or_an_address_and_never_the_system(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.org", full_name="Site Admin")
        ada = make_user(email="countess@example.org", full_name="Ada Lovelace")
        adams = make_user(email="j.adams@example.org", full_name="John Quincy")
        bo = make_user(email="bo@example.org", full_name="Bo Peep")
        _log_events([ada, ada, adams, bo])
        record_event(None, "test.system", "thing", "x", {"note": "ada"})
        db.session.commit()
    sign_in(client, admin)
    status, _, page = _statements(app, client, "/admin/audit?actor=ADA")
    assert status == 200 and "<caption>3 events" in page  # Ada by name, Adams by address
    assert "Ada Lovelace" in page and "j.adams@example.org" in page
    assert "Bo Peep" not in page and "<code>test.system</code>" not in page
    _, _, page = _statements(app, client, "/admin/audit?actor=nobody")
    assert "No events match these filters." in page
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/audit.csv?actor=lovelace")
                                            .get_data().decode("utf-8-sig"))))
    assert [(r["actor_email"], r["actor_name"]) for r in rows] == [
        ("countess@example.org", "Ada Lovelace")] * 2


def test_the_actor_filter_reads_the_matching_peoples_events_by_index(app, client):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("reads SQLite's query plans")
        admin = make_user(Role.ADMIN, email="admin@example.org")
        _log_events([make_user(full_name="Ada Lovelace"), make_user()])
    sign_in(client, admin)
    # Page 2 of one event shows page 1: a full count and page read (a first page that is
    # not full needs no count).
    client.get("/admin/audit?actor=ada&page=2")
    _, ran, page = _statements(app, client, "/admin/audit?actor=ada&page=2")
    assert "<caption>1 event," in page
    reads = [s for s in ran if s.lstrip().upper().startswith("SELECT")
             and "FROM audit_event" in s and "DISTINCT" not in s]
    assert len(reads) == 2  # the count and the page
    count = next(s for s in reads if "count(" in s)
    assert "JOIN" not in count  # counting events needs no actor's row
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            for statement in reads:
                params = ("%ada%", "%ada%", 50, 0)[: statement.count("?")]
                plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                      params)]
                assert "SEARCH audit_event USING INDEX ix_audit_event_actor_id (actor_id=?)" in (
                    " ".join(plan).replace("COVERING INDEX", "INDEX")), plan
                assert not any(line.startswith("SCAN audit_event") for line in plan), plan
        finally:
            raw.close()
