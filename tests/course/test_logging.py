"""Logging: every request has an id, log lines carry it, INFO lines are kept, errors reported."""

from __future__ import annotations

import gzip
import json
import logging
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from course import create_app
from course.extensions import db
from course.logs import SANE_REQUEST_ID
from course.models import Role
from course.users import create_user
from tests.course.factories import import_course, make_user, sign_in
from tests.live_servers import free_port
from tests.smtp_sink import wait_until

ROOT = Path(__file__).resolve().parents[2]
HEX_ID = re.compile(r"[0-9a-f]{32}")


def crashing(app: Flask) -> Flask:
    """Give the app a page that fails, as a bug would."""

    @app.get("/crash-for-test")
    def crash():
        raise ZeroDivisionError("the bug under test")

    return app


def test_every_response_names_its_request(client) -> None:
    ids = [client.get(path).headers["X-Request-ID"] for path in ("/", "/healthz", "/no-such")]
    assert all(HEX_ID.fullmatch(value) for value in ids)
    assert len(set(ids)) == 3


def test_a_trusted_proxys_request_id_is_kept_when_sane(make_app) -> None:
    client = make_app(TRUST_PROXY=1).test_client()
    nginx = "0f8fad5bd9cb469fa16570867728950e"
    assert client.get("/healthz", headers={"X-Request-ID": nginx}).headers["X-Request-ID"] == nginx
    for planted in ("short", "has space in it", "x" * 200, "ok-id-but\u00e9", "<script>alert"):
        echoed = client.get("/healthz", headers={"X-Request-ID": planted}).headers["X-Request-ID"]
        assert echoed != planted and HEX_ID.fullmatch(echoed)
    assert SANE_REQUEST_ID.fullmatch("7d0b9a4c-3c1e-4d6f-9f5a-2b8c1e0d4a77")


def test_without_a_trusted_proxy_the_clients_request_id_is_ignored(client) -> None:
    planted = "0f8fad5bd9cb469fa16570867728950e"
    echoed = client.get("/healthz", headers={"X-Request-ID": planted}).headers["X-Request-ID"]
    assert echoed != planted and HEX_ID.fullmatch(echoed)


class Inbox:
    """An SMTP server's handler that counts what it accepts."""

    received = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.received += 1
        return "250 OK"


def test_info_lines_such_as_email_sent_reach_the_log(make_app, capsys) -> None:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    err: list[str] = []

    def sent_lines() -> list[str]:
        # The sender logs once the server has answered, a moment after it counted the
        # message: keep reading what reached stderr until the line is there.
        err.append(capsys.readouterr().err)
        lines = "".join(err).splitlines()
        return [line for line in lines if " INFO course.mail " in line and line.endswith(" sent")]

    try:
        app = make_app(LOG_CONFIGURE=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        with app.app_context():
            create_user(email="ana@example.com", password="long enough pass phrase", full_name="A")
            db.session.commit()
        asked = app.test_client().post("/auth/reset", data={"email": "ana@example.com"})
        wait_until(lambda: inbox.received == 1 and bool(sent_lines()))
    finally:
        controller.stop()
    sent = sent_lines()
    lines = "".join(err).splitlines()
    assert len(sent) == 1, lines
    # The message is named by its id and subject; the log holds no one's address.
    assert "('Reset your password for CE Course Engine') sent" in sent[0]
    ours = [line for line in lines if " course." in line]  # aiosmtpd's mail.log logs its own
    assert ours and not [line for line in ours if "ana@example.com" in line], ours
    # time (UTC), level, logger, request id, message: split on the first four spaces.
    stamp, level, logger, request_id, _message = sent[0].split(" ", 4)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    assert (level, logger) == ("INFO", "course.mail")
    assert request_id.startswith("request_id=")
    # Queued in the request that asked for it, under its id and the mail's reference (a
    # random one made when it was queued), which the "sent" line (written later, outside
    # any request) repeats.
    ref = re.search(r"Email ([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}) \(", sent[0])[1]
    queued = [line for line in lines if f"Email {ref} (" in line and line.endswith(" queued")]
    assert len(queued) == 1 and f"request_id={asked.headers['X-Request-ID']} " in queued[0]


def test_json_lines_name_the_request_that_failed(make_app, capsys) -> None:
    client = crashing(make_app(LOG_CONFIGURE=True, LOG_FORMAT="json")).test_client()
    response = client.get("/crash-for-test")
    assert response.status_code == 500
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and len(records) == len(lines), lines  # every line is JSON
    # Only this request's: an earlier test's mail thread may still log a retry here.
    errors = [r for r in records if r["level"] == "ERROR"
              and r.get("request_id") == response.headers["X-Request-ID"]]  # fmt: skip
    assert len(errors) == 1
    assert errors[0]["message"].startswith("Unhandled error")
    assert "ZeroDivisionError: the bug under test" in errors[0]["exc_info"]
    assert {"time", "logger"} <= errors[0].keys()


def test_a_refused_form_is_logged_with_the_reason(make_app, capsys) -> None:
    # Behind a proxy that drops the port from Host every form fails the referrer check;
    # without this line the operator saw 400s and nothing in the log.
    client = make_app(LOG_CONFIGURE=True, WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/courses/minimal/enrol").status_code == 400
    assert client.post("/auth/login", data={"email": "a@example.org"}).status_code == 400
    err = capsys.readouterr().err
    assert "Form refused (learn.enrol): The CSRF token is missing." in err
    assert "Form refused (auth.login): The CSRF token is missing." in err


def test_the_level_comes_from_the_settings(make_app, capsys) -> None:
    make_app(LOG_CONFIGURE=True, LOG_LEVEL="WARNING")
    logging.getLogger("course.mail").info("quiet at WARNING")
    logging.getLogger("course.mail").warning("loud at WARNING")
    err = capsys.readouterr().err
    assert "loud at WARNING" in err and "quiet at WARNING" not in err


def test_a_migration_logs_through_the_apps_handler_and_keeps_it(tmp_path, capsys) -> None:
    app = create_app({"TESTING": True, "LOG_CONFIGURE": True, "LOG_FORMAT": "json",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})  # fmt: skip
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    logging.getLogger("course.mail").warning("after the migration")
    lines = capsys.readouterr().err.splitlines()
    # Alembic's ini once replaced the app's handler: later lines lost their format, and
    # the handler it left wrote to a stream the test runner had closed.
    assert lines and all(line.startswith("{") for line in lines), lines[:5]
    messages = [json.loads(line)["message"] for line in lines]
    assert any(m.startswith("Running upgrade") for m in messages)
    assert messages[-1] == "after the migration"
    assert [h.get_name() for h in logging.getLogger().handlers].count("course") == 1


@pytest.mark.parametrize("setting", [{"LOG_FORMAT": "xml"}, {"LOG_LEVEL": "CHATTY"}])
def test_a_mistyped_log_setting_stops_the_start(setting, tmp_path) -> None:
    with pytest.raises(RuntimeError, match=next(iter(setting))):
        create_app(
            {
                "TESTING": True,
                "LOG_CONFIGURE": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                **setting,
            }
        )


class Collector(BaseHTTPRequestHandler):
    """Stands in for a Sentry server: keeps the envelopes the SDK posts."""

    envelopes: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


SENTRY_SCRIPT = """
import sys
from course import create_app
from tests.course.test_logging import crashing
app = crashing(create_app({"TESTING": True, "SENTRY_DSN": sys.argv[1],
                           "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
response = app.test_client().get("/crash-for-test")
import sentry_sdk
sentry_sdk.flush(timeout=10)
print(response.status_code, response.headers["X-Request-ID"])
"""


def test_errors_go_to_sentry_when_a_dsn_is_set() -> None:
    pytest.importorskip("sentry_sdk", reason="sentry-sdk (the sentry extra) is not installed")
    Collector.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/1"
        # A process of its own: the SDK patches Flask and logging for the whole process.
        result = subprocess.run(
            [sys.executable, "-c", SENTRY_SCRIPT, dsn],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    status, request_id = result.stdout.split()
    assert status == "500"
    events = [
        json.loads(line)
        for envelope in Collector.envelopes
        for line in envelope.splitlines()[2::2]  # header, then item header and item pairs
    ]
    [event] = [e for e in events if "exception" in e]
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    assert event["tags"]["request_id"] == request_id
    assert "user" not in event or "email" not in event["user"]



def test_a_refused_page_is_logged_with_whose_account_asked_and_from_where(
    make_app, package_copy, capsys
) -> None:
    # A learner's account walking the staff pages must show in the log (ASVS 16.3.2).
    app = make_app(LOG_CONFIGURE=True)
    with app.app_context():
        import_course(package_copy)
        learner, author = make_user(), make_user(Role.AUTHOR)
    browser = sign_in(app.test_client(), learner)
    assert browser.get("/admin/learners").status_code == 403
    assert browser.get("/courses/minimal/preview").status_code == 403  # every answer
    refused = sign_in(app.test_client(), author).post("/admin/learners/1/role",
                                                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 403
    err = capsys.readouterr().err
    for path in ("GET /admin/learners", "GET /courses/minimal/preview"):
        assert f"Access refused ({path}): account {learner.id} (learner), from " in err
    assert (f"Access refused (POST /admin/learners/1/role): account {author.id} (author), "
            "from 203.0.113.9") in err
