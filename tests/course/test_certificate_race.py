"""Twenty simultaneous requests for one learner's certificate, on a real server, issue one
and email it once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from course import create_app
from course.extensions import db
from tests.course.factories import PASSWORD, import_course, make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt
from tests.live_client import Browser
from tests.live_servers import app_environment, gunicorn, gunicorn_available, quick_package
from tests.smtp_sink import Inbox, smtp_server, wait_until

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="needs gunicorn")


def _completed_learner(database_url: str, package: Path) -> str:
    """Take a learner through the course in-process, stopping before the certificate."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        course = import_course(package)
        learner = make_user(email="racer@example.org")
        client = sign_in(app.test_client(), learner)
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        client.post("/courses/minimal/evaluation", data=evaluation_form(course))
        # Completing issues the certificate at once; take it back so that the racing
        # requests below are the ones that issue it.
        db.session.execute(text("DELETE FROM certificate"))
        db.session.execute(text("DELETE FROM audit_event WHERE action = 'certificate.issued'"))
        db.session.execute(text("DELETE FROM outgoing_mail"))
        db.session.commit()
        db.engine.dispose()
    return learner.email


def _race(server_url: str, email: str) -> list:
    """Sign the learner in, then ask for their certificate twenty times at once."""
    browser = Browser(server_url)
    login = browser.request("/auth/login")
    form = login.form("/auth/login")
    browser.request(
        "/auth/login",
        [("csrf_token", form.value("csrf_token")), ("email", email), ("password", PASSWORD)],
    )
    barrier = threading.Barrier(20)
    pages: list = []

    def fetch() -> None:
        barrier.wait()
        pages.append(browser.request("/courses/minimal/certificate"))

    threads = [threading.Thread(target=fetch) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return pages


def _queued(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM outgoing_mail")).scalar()
    engine.dispose()
    return count


def test_twenty_concurrent_certificate_requests_create_one_record(
    tmp_path: Path, minimal_package_dir: Path
):
    database_url = f"sqlite:///{tmp_path / 'race.db'}"
    package = quick_package(minimal_package_dir, tmp_path / "content" / "minimal")
    email = _completed_learner(database_url, package)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        env = app_environment(database_url, tmp_path / "content",
                              MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port))  # fmt: skip
        with gunicorn(tmp_path, env, workers=2) as server:
            pages = _race(server.url, email)
            wait_until(lambda: _queued(database_url) == 0)  # all it queued has gone out

    assert len(pages) == 20 and {page.status for page in pages} == {200}
    assert len({page.path for page in pages}) == 1  # everyone lands on the same certificate
    assert "Certificate of Completion" in pages[0].body
    # One "your certificate is ready" email, however many requests raced to issue it.
    assert sum(email in to for to in inbox.recipients) == 1
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM certificate")).scalar() == 1
        issued = conn.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'certificate.issued'")
        ).scalar()
        assert issued == 1
    engine.dispose()
