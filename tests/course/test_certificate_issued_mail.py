"""The learner is emailed once when their certificate is issued, with what it certifies."""

from __future__ import annotations

from sqlalchemy import select

from course.extensions import db
from course.issuing import record_of
from course.mail import send_mail
from course.models import Certificate
from tests.course.certkit import finish_course, page_words
from tests.smtp_sink import plain_text

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
    assert body.endswith(f"Download the PDF from your certificate page: "
                         f"{app.config['BASE_URL']}/me/certificates/{code}")  # fmt: skip
    assert "sample" not in body.lower()


def test_a_sample_certificate_says_so_in_its_mail(make_app, inbox_for, package_copy):
    app = make_app(PROVIDER_NAME="Lakeshore Demo Institute (fictional)", PROVIDER_DEMO=True)
    inbox = inbox_for(app)
    _, code = finish_course(app, app.test_client(), package_copy, email="ada@example.org")
    (mail,) = _mails_to(app, inbox, "ada@example.org")
    assert f"Please note: {SAMPLE}." in mail and f"Certificate code: {code}" in mail
