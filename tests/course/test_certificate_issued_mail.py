"""The learner is emailed once when their certificate is issued, with what it certifies."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text, update

from course import certificate_changes, create_app
from course.db import reads_outside_writes, utcnow
from course.extensions import db
from course.issuing import record_of
from course.mail import send_mail
from course.models import Certificate, OutgoingMail, Role
from tests.course.certkit import finish_course, page_words
from tests.course.factories import make_user
from tests.smtp_sink import free_port, plain_text, wait_until

REAL = {"PROVIDER_NAME": "Riverside Center for Child Welfare Training",
        "PROVIDER_TIMEZONE": "America/Denver"}  # fmt: skip
SAMPLE = "this is a sample certificate, not valid for continuing-education credit"


def _mails_to(app, inbox, address: str) -> list[str]:
    """Every message to ``address``, once all mail queued so far has arrived."""
    with app.app_context():
        send_mail("sentinel@example.org", "Sent last", "The queue went this far.")
        db.session.commit()
    inbox.next_to("sentinel@example.org")
    return [
        f"{message['Subject']}\n{page_words(plain_text(message))}"
        for message, to in zip(inbox.messages, inbox.recipients, strict=True)
        if address in to
    ]


def test_finishing_the_course_emails_the_certificate_once(make_app, inbox_for, package_copy):
    app = make_app(**REAL)
    inbox = inbox_for(app)
    client = app.test_client()
    _, code = finish_course(app, client, package_copy, email="ada@example.org")
    client.get("/courses/minimal/certificate")  # opened again: nothing new to tell
    client.get(f"/me/certificates/{code}")
    with app.app_context():
        record = record_of(db.session.scalar(select(Certificate).where(Certificate.code == code)))
    mails = _mails_to(app, inbox, "ada@example.org")
    assert len(mails) == 1, mails
    subject, body = mails[0].split("\n", 1)
    assert subject == f"Your certificate is ready ({app.config['SITE_NAME']})"
    assert f"you have completed “{record.course_title}”" in body
    # The hours and the date (in the provider's zone) as the certificate states them.
    said = f"{record.contact_hours} contact hours, completed on {record.completed_text}."
    assert said.endswith("(Mountain Time).") and f"Your certificate states {said}" in body
    assert f"Certificate code: {code}" in body
    assert f"A licensing board can check it at {record.verify_url}" in body
    assert "The certificate is attached as a PDF." in body
    assert body.endswith(f"You can also download it from your certificate page: "
                         f"{app.config['BASE_URL']}/me/certificates/{code}")  # fmt: skip
    assert "sample" not in body.lower()


def test_a_sample_certificate_says_so_in_its_mail(make_app, inbox_for, package_copy):
    app = make_app(PROVIDER_NAME="Lakeshore Demo Institute (fictional)", PROVIDER_DEMO=True)
    inbox = inbox_for(app)
    _, code = finish_course(app, app.test_client(), package_copy, email="ada@example.org")
    (mail,) = _mails_to(app, inbox, "ada@example.org")
    assert f"Please note: {SAMPLE}." in mail and f"Certificate code: {code}" in mail


def _attachments(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_payload(decode=True))
            for part in message.iter_attachments()]


def test_the_mail_carries_the_certificate_pdf_as_issued(make_app, inbox_for, package_copy):
    app = make_app(**REAL)
    inbox = inbox_for(app)
    _, code = finish_course(app, app.test_client(), package_copy, email="ada@example.org")
    _mails_to(app, inbox, "ada@example.org")
    (message,) = [m for m, to in zip(inbox.messages, inbox.recipients, strict=True)
                  if "ada@example.org" in to]
    ((name, data),) = _attachments(message)
    assert name == f"certificate-{code}.pdf" and data.startswith(b"%PDF-")
    with app.app_context():
        stored = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert hashlib.sha256(data).hexdigest() == stored.pdf_sha256  # the PDF as issued
    assert plain_text(message).count("Certificate code:") == 1  # the text part is intact


def test_a_certificate_revoked_before_its_mail_leaves_is_not_announced(
        make_app, inbox_for, package_copy, caplog):
    caplog.set_level(logging.INFO, logger="course.mail")
    app = make_app(**REAL, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody answers
    _, code = finish_course(app, app.test_client(), package_copy, email="bo@example.org")
    with app.app_context():
        def tried() -> bool:
            db.session.rollback()  # a fresh look each time, not the first read's snapshot
            return db.session.scalar(select(OutgoingMail.last_error)) is not None

        # Looking without SQLite's write lock: a command's transactions take it up front,
        # and a look every 10 ms kept the sender from ever claiming the message.
        with reads_outside_writes():
            wait_until(tried)
            assert db.session.scalar(select(OutgoingMail.certificate_code)) == code
        db.session.rollback()
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        certificate_changes.revoke(certificate, make_user(Role.ADMIN), "Issued in error; test")
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
    inbox = inbox_for(app)  # the mail server answers again
    mails = _mails_to(app, inbox, "bo@example.org")
    # The revocation's own mail tells the learner; "your certificate is ready", sent
    # after it, would have them give a board a code that verifies as revoked.
    assert [mail.split("\n", 1)[0] for mail in mails] == [
        f"Your certificate was revoked ({app.config['SITE_NAME']})"]
    assert f"certificate {code} is no longer valid" in caplog.text


def test_the_attachment_migration_upgrades_and_downgrades(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="b3e7d91c5a26")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO outgoing_mail (to_address, subject, body, created_at, attempts,"
                " next_attempt_at) VALUES ('a@example.org', 'Hi', 'Text', CURRENT_TIMESTAMP, 0,"
                " CURRENT_TIMESTAMP)"))
        upgrade(directory=migrations, revision="c8d4f1a2b6e9")
        with db.engine.connect() as conn:
            assert conn.execute(text(
                "SELECT subject, certificate_code FROM outgoing_mail")).all() == [("Hi", None)]
        downgrade(directory=migrations, revision="b3e7d91c5a26")
        with db.engine.connect() as conn:
            columns = {row[1] for row in conn.execute(text("PRAGMA table_info(outgoing_mail)"))}
            assert "certificate_code" not in columns
            assert conn.execute(text("SELECT count(*) FROM outgoing_mail")).scalar() == 1
        db.engine.dispose()
