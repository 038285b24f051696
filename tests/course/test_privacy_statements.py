"""A learner's statements are found by whom they are about, not by reading every payload:
the download and the deletion find exactly theirs, whatever address they went under,
and neither reads the outbox or the audit log whole."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from course.extensions import db
from course.models import OutboxMessage, User
from course.outbox.privacy import statements_about
from tests.course.factories import PASSWORD, make_user
from tests.course.journey import finish_lessons
from tests.course.test_maintenance import package, start_course  # noqa: F401
from tests.course.test_privacy import _statement_actors

XAPI_WITH_ADDRESSES = {"XAPI_ENABLED": True, "XAPI_ENDPOINT": "http://127.0.0.1:9/xapi",
                       "XAPI_ACTOR_EMAIL": True}


def _sign_in(client, email: str):
    """Profile pages want a fresh password sign-in."""
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_statements_under_an_old_address_are_still_the_learners_and_no_one_elses(
    app, package  # noqa: F811
):
    app.config.update(XAPI_WITH_ADDRESSES)
    ada, client = start_course(app, package, email="ada@example.org", full_name="Ada Lovelace")
    start_course(app, package, email="bo@example.org")
    with app.app_context():
        db.session.execute(update(User).where(User.id == ada.id)
                           .values(email="ada.l@example.org"))
        db.session.commit()
        finish_lessons(client, "minimal")  # more statements, under the new address
        # Someone else signs up with the address Ada gave up.
        eve = make_user(email="ada@example.org", full_name="Eve Newcomer")

    data = _sign_in(client, "ada.l@example.org").get("/auth/profile/my-data.json").get_json()
    addresses = [s["statement"]["actor"]["mbox"] for s in data["learning_record_statements"]]
    assert set(addresses) == {"mailto:ada@example.org", "mailto:ada.l@example.org"}
    with app.app_context():
        assert statements_about(db.session.get(User, eve.id)) == []
        theirs = db.session.scalar(select(db.func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.user_id == ada.id))
    assert theirs == len(addresses)

    response = client.post("/auth/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302
    actors = _statement_actors(app)
    ours = [a for a in actors if a.get("account", {}).get("name") == str(ada.id)]
    assert len(ours) == len(addresses)
    assert {a["name"] for a in ours} == {f"Deleted learner {ada.id}"}
    assert not any("ada" in str(a).lower() or "Lovelace" in str(a) for a in actors)
    assert any(a.get("mbox") == "mailto:bo@example.org" for a in actors)


def test_the_download_and_the_deletion_find_the_learners_rows_by_index(
    app, package  # noqa: F811
):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("reads SQLite's query plans")
        engine = db.engine
    app.config.update(XAPI_WITH_ADDRESSES)
    ada, client = start_course(app, package, email="ada@example.org")
    start_course(app, package, email="bo@example.org")
    _sign_in(client, "ada@example.org")
    seen: dict[str, tuple] = {}

    def keep(conn, cursor, statement, parameters, context, executemany):
        reads = statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH"))
        if reads and not executemany and ("outbox_message" in statement
                                          or "audit_event" in statement):
            seen.setdefault(statement, parameters)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get("/auth/profile/my-data.json").status_code == 200
        assert client.post("/auth/delete", data={"password": PASSWORD,
                                                 "understood": "y"}).status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    plans = {}
    with app.app_context():
        raw = engine.raw_connection()
        try:
            for statement, parameters in seen.items():
                plans[statement] = [row[3] for row in raw.execute(
                    "EXPLAIN QUERY PLAN " + statement, parameters)]
        finally:
            raw.close()
    everything = [line for plan in plans.values() for line in plan]
    # Whole-table reads, even along an index (created_at's, say) or the xAPI channel's.
    assert not [line for line in everything
                if line.startswith("SCAN") and line.split()[1] in ("outbox_message",
                                                                   "audit_event")], plans
    assert any("ix_outbox_message_user_id" in line for line in everything)
    assert any("ix_audit_event_actor_id" in line for line in everything)
    assert any("ix_audit_event_subject_type" in line for line in everything)
