"""Statements to a learning record store that answers a statement id it holds with 409."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select, update

from course.db import utcnow
from course.extensions import db
from course.models import OutboxMessage, Role
from course.outbox import cli as outbox_cli
from course.outbox import worker
from tests.course.factories import make_user, sign_in
from tests.course.journey import plain
from tests.course.test_maintenance import package, start_course  # noqa: F401


class StrictLrs:
    """An LRS that refuses any statement id it already has (xAPI 1.0.3 allows 409 then)."""

    def __init__(self) -> None:
        self.statements: dict[str, dict[str, Any]] = {}
        self.voided: set[str] = set()
        self.refuse_all = False
        #: Every POST answered with this status, headers and body instead, when set.
        self.answer: tuple[int, dict[str, str], Any] | None = None
        self.posts = 0
        #: Its key may only write statements (as LRSs let a key be made): reads get 403.
        self.write_only = False
        #: HTTP Basic credentials the LRS accepts (its "key" and "secret").
        self.basic = "Basic a2V5OnNlY3JldA=="  # key:secret
        #: The X-Experience-API-Version values it takes; another is refused with 400.
        self.versions = {"1.0.3"}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _reply(self, status: int, body: Any = None,
                       headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _refused(self) -> bool:
                if not urlsplit(self.path).path.startswith("/xAPI/statements"):
                    self._reply(404, {"message": "no such resource"})
                    return True
                if self.headers.get("Authorization") != lrs.basic:
                    self._reply(401, {"message": "unauthorized"})
                    return True
                if self.headers.get("X-Experience-API-Version") not in lrs.versions:
                    # As xAPI 2.0 has an LRS answer a version it does not take.
                    self._reply(400, {"message": "X-Experience-API-Version header "
                                      f"{self.headers.get('X-Experience-API-Version')!r} "
                                      "is not supported"})
                    return True
                return False

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                if self._refused():
                    return
                batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                lrs.posts += 1
                if lrs.answer is not None:
                    status, headers, body = lrs.answer
                    self._reply(status, body, headers)
                    return
                if any("actor" not in s for s in batch):  # as Ralph refuses one it can't read
                    self._reply(422, {"detail": [{"loc": ["actor"], "msg": "Field required"}]})
                    return
                if any(s.get("version", "1.0.0")[:2] != "1." for s in batch):
                    # A statement's own "version" property, not the request's header.
                    self._reply(400, {"message": "statement version is not supported"})
                    return
                if lrs.refuse_all or any(s["id"] in lrs.statements for s in batch):
                    self._reply(409, {"message": "Statement id already exists"})
                    return
                for statement in batch:
                    lrs.statements[statement["id"]] = statement
                    if statement["verb"]["id"].endswith("/voided"):
                        lrs.voided.add(statement["object"]["id"])
                self._reply(200, [s["id"] for s in batch])

            def do_GET(self) -> None:  # noqa: N802
                if self._refused():
                    return
                if lrs.write_only:
                    self._reply(403, {"message": "this key may not read statements"})
                    return
                query = parse_qs(urlsplit(self.path).query)
                wanted = (query.get("statementId") or query.get("voidedStatementId") or [""])[0]
                voided_asked = "voidedStatementId" in query
                held = wanted in lrs.statements and (wanted in lrs.voided) == voided_asked
                if held:
                    self._reply(200, lrs.statements[wanted])
                else:
                    self._reply(404, {"message": "not found"})

        return Handler


@pytest.fixture
def strict_lrs(app: Flask) -> Iterator[StrictLrs]:
    lrs = StrictLrs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), lrs.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(XAPI_ENABLED=True, XAPI_USERNAME="key", XAPI_PASSWORD="secret",
                      XAPI_ENDPOINT=f"http://127.0.0.1:{server.server_port}/xAPI/")
    yield lrs
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _statement(verb: str = "experienced", obj: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "name": "Dana Lee",
                      "account": {"homePage": "http://localhost", "name": "7"}},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
            "object": obj or {"objectType": "Activity", "id": "http://localhost/courses/minimal"},
            "timestamp": "2026-12-02T15:00:00.000Z"}


def _queue(*statements: dict[str, Any]) -> None:
    now = utcnow()
    for body in statements:
        db.session.add(OutboxMessage(channel="xapi", message_id=body["id"], payload=body,
                                     created_at=now, next_attempt_at=now))
    db.session.commit()


def test_a_resend_the_lrs_already_holds_counts_as_stored_not_failing(app, runner, strict_lrs):
    earned = _statement("earned")
    voiding = _statement("voided", {"objectType": "StatementRef", "id": earned["id"]})
    other = _statement()
    with app.app_context():
        _queue(earned, other)
        worker.send_due(["xapi"])
        _queue(voiding)
        worker.send_due(["xapi"])
    assert len(strict_lrs.statements) == 3
    # The LRS lost nothing, but the operator resends the day anyway (or a worker died
    # after the LRS stored a batch): every id comes back with 409 Conflict.
    assert "3 statements queued again" in runner.invoke(
        args=["xapi", "resend", "--since", utcnow().date().isoformat()]).output
    with app.app_context():
        report = worker.send_due(["xapi"])
        assert report.failed.get("xapi", 0) == 0
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert all(row.sent_at is not None and row.last_error is None for row in rows)
    assert len(strict_lrs.statements) == 3
    assert "xapi: 0 waiting, 0 failing, 3 sent" in runner.invoke(
        args=["outbox", "status"]).output


def test_a_conflict_over_a_statement_the_lrs_cannot_show_stays_failing(app, runner,
                                                                       strict_lrs):
    strict_lrs.refuse_all = True  # a 409 for another reason: the LRS holds no such id
    with app.app_context():
        _queue(_statement())
        worker.send_due(["xapi"])
        row = db.session.scalar(select(OutboxMessage))
        assert row.sent_at is None and "LRS answered HTTP 409" in row.last_error
    assert "xapi: 0 waiting, 1 failing, 0 sent" in runner.invoke(
        args=["outbox", "status"]).output


def test_a_conflict_a_write_only_key_cannot_check_says_it_needs_read_access(
    app, runner, strict_lrs
):
    strict_lrs.write_only = True
    stored = _statement()
    with app.app_context():
        _queue(stored)
        worker.send_due(["xapi"])
    assert "xapi: 0 waiting, 0 failing, 1 sent" in runner.invoke(
        args=["outbox", "status"]).output
    runner.invoke(args=["xapi", "resend", "--since", utcnow().date().isoformat()])
    with app.app_context():
        worker.send_due(["xapi"])
    status = runner.invoke(args=["outbox", "status"]).output
    assert "xapi: 0 waiting, 1 failing" in status
    # Nothing else says why this one fails on every try while the others go through.
    assert ("LRS answered HTTP 409 (it may already hold this statement, but these "
            "credentials may not read statements, so that cannot be checked: give the LRS key "
            "of XAPI_USERNAME read access as well)") in " ".join(status.split())


@pytest.mark.parametrize(
    ("setting", "value", "hint"),
    [("XAPI_PASSWORD", "wrong", "HTTP 401 (check XAPI_USERNAME and XAPI_PASSWORD"),
     ("XAPI_ENDPOINT", "/lrs/", "HTTP 404 (check XAPI_ENDPOINT: statements went to "
                                "http://127.0.0.1:")],
    ids=["wrong-secret", "wrong-endpoint"],
)
def test_an_lrs_refusal_names_the_setting_to_fix(app, runner, strict_lrs, setting, value,
                                                 hint):
    if setting == "XAPI_ENDPOINT":
        value = app.config["XAPI_ENDPOINT"].replace("/xAPI/", value)
    app.config[setting] = value
    with app.app_context():
        _queue(_statement())
        worker.send_due(["xapi"])
    status = runner.invoke(args=["outbox", "status"]).output
    assert "xapi: 0 waiting, 1 failing, 0 sent" in status
    assert hint in status


def test_an_lrs_of_xapi_2_takes_statements_once_xapi_version_says_so(app, runner,
                                                                    strict_lrs):
    strict_lrs.versions = {"2.0.0"}  # an LRS of xAPI 2.0 only
    with app.app_context():
        _queue(_statement(), _statement())
        worker.send_due(["xapi"])
    status = " ".join(runner.invoke(args=["outbox", "status"]).output.split())
    assert "xapi: 0 waiting, 2 failing, 0 sent" in status
    assert ("LRS answered HTTP 400 (check XAPI_VERSION: the requests said xAPI 1.0.3; set "
            "the version the LRS takes)") in status
    with app.app_context():  # a setting to fix, not statements to give up on
        assert all(m.refusals == 0 for m in db.session.scalars(select(OutboxMessage)))
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()  # their next try comes
    app.config["XAPI_VERSION"] = "2.0.0"
    assert "xapi: 2 sent, 0 failed\n" in runner.invoke(args=["xapi", "send"]).output
    assert len(strict_lrs.statements) == 2


def test_statements_made_before_the_lrs_address_is_set_wait_and_then_go(
    app, runner, strict_lrs, package  # noqa: F811
):
    # An agency turns xAPI on while it waits for the registry's address and secret.
    endpoint = app.config["XAPI_ENDPOINT"]
    app.config["XAPI_ENDPOINT"] = ""
    start_course(app, package)
    with app.app_context():
        made = db.session.scalar(select(db.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.channel == "xapi"))
    assert made >= 2  # registered, and the lesson's answers
    sent = runner.invoke(args=["xapi", "send"]).output
    assert f"xapi: none sent, XAPI_ENDPOINT is not set; {made} messages kept until it is." in sent
    status = runner.invoke(args=["outbox", "status"]).output
    assert f"xapi: {made} waiting" in status and "none is sent until XAPI_ENDPOINT is set" in status
    assert strict_lrs.statements == {}

    app.config["XAPI_ENDPOINT"] = endpoint
    assert f"xapi: {made} sent, 0 failed\n" in runner.invoke(args=["xapi", "send"]).output
    verbs = {s["verb"]["id"].rsplit("/", 1)[-1] for s in strict_lrs.statements.values()}
    assert "registered" in verbs and len(strict_lrs.statements) == made


def test_a_statement_the_lrs_cannot_read_fails_alone_and_the_others_go(app, runner,
                                                                       strict_lrs):
    before, unreadable, after = _statement(), _statement(), _statement()
    del unreadable["actor"]
    with app.app_context():
        _queue(before, unreadable, after)
        report = worker.send_due(["xapi"])
        assert (report.sent, report.failed) == ({"xapi": 2}, {"xapi": 1})
        rows = {row.message_id: row for row in db.session.scalars(select(OutboxMessage))}
    assert set(strict_lrs.statements) == {before["id"], after["id"]}
    assert rows[before["id"]].last_error is None and rows[after["id"]].last_error is None
    assert rows[unreadable["id"]].last_error.startswith("LRS answered HTTP 422")
    status = runner.invoke(args=["outbox", "status"]).output
    assert f"the newest failing one, {unreadable['id']}: LRS answered HTTP 422" in status


def test_a_statement_refused_for_its_own_version_fails_alone_not_as_a_setting(
    app, strict_lrs
):
    # Only an answer naming the version header is a setting to fix; the word "version"
    # alone held every statement of the batch for ever behind one bad one.
    before, odd, after = _statement(), _statement(), _statement()
    odd["version"] = "9.0.0"
    with app.app_context():
        _queue(before, odd, after)
        report = worker.send_due(["xapi"])
        assert (report.sent, report.failed) == ({"xapi": 2}, {"xapi": 1})
        rows = {row.message_id: row for row in db.session.scalars(select(OutboxMessage))}
    assert set(strict_lrs.statements) == {before["id"], after["id"]}
    assert "check XAPI_VERSION" not in rows[odd["id"]].last_error


def test_an_lrs_that_cannot_be_reached_is_named_with_its_address(app, runner, strict_lrs):
    app.config["XAPI_ENDPOINT"] = "http://127.0.0.1:9/xAPI/"  # the discard port: refused
    with app.app_context():
        _queue(_statement())
        worker.send_due(["xapi"])
    status = runner.invoke(args=["outbox", "status"]).output
    assert ("LRS unreachable at http://127.0.0.1:9/xAPI/statements: ConnectionError "
            "(check XAPI_ENDPOINT, and that the LRS is up)") in status


def test_the_admin_overview_shows_what_has_not_reached_the_lrs_and_why(app, client,
                                                                        strict_lrs):
    with app.app_context():
        admin = make_user(Role.ADMIN)
    sign_in(client, admin)
    assert "Nothing is waiting to go to an LMS" in plain(client.get("/admin/").get_data(
        as_text=True))
    app.config["XAPI_PASSWORD"] = "wrong"
    with app.app_context():
        _queue(_statement(), _statement())
        worker.send_due(["xapi"])
    page = plain(client.get("/admin/").get_data(as_text=True))
    assert ("Statements to the learning record store (xAPI): 0 waiting, 2 failing, 0 sent. "
            "The newest failure: LRS answered HTTP 401 (check XAPI_USERNAME and "
            "XAPI_PASSWORD") in page
    app.config["XAPI_ENDPOINT"] = ""
    page = plain(client.get("/admin/").get_data(as_text=True))
    assert "None is sent until XAPI_ENDPOINT is set." in page


def test_the_loop_says_it_runs_and_which_channel_waits_for_a_setting(
    app, runner, strict_lrs, package, monkeypatch  # noqa: F811
):
    app.config["XAPI_ENDPOINT"] = ""
    start_course(app, package)
    passes = []

    def stop_after_two(seconds: float) -> None:
        passes.append(seconds)
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(outbox_cli.time, "sleep", stop_after_two)
    said = runner.invoke(args=["xapi", "send", "--loop", "--interval", "5"]).output
    assert said.startswith("Sending due messages (xapi) every 5 s until stopped.\n")
    # Held back by the missing address: said once, not on every pass.
    assert said.count("xapi: none sent, XAPI_ENDPOINT is not set;") == 1
    assert passes == [5.0, 5.0]


def test_a_loop_started_on_an_empty_outbox_says_the_held_channel_once_messages_wait(
    app, runner, strict_lrs, package, monkeypatch  # noqa: F811
):
    app.config["XAPI_ENDPOINT"] = ""
    passes = []

    def queue_after_the_first_pass(seconds: float) -> None:
        passes.append(seconds)
        if len(passes) == 1:
            start_course(app, package)  # statements queue while the loop sleeps
        if len(passes) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(outbox_cli.time, "sleep", queue_after_the_first_pass)
    said = runner.invoke(args=["xapi", "send", "--loop", "--interval", "5"]).output
    assert said.count("xapi: none sent, XAPI_ENDPOINT is not set;") == 1, said
