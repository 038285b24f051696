"""What an accreditor cross-checks: the admin pages say what the certificate, the roster
and the verification page say, in the same words, dates and time zone."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from course.dates import date_label, stamp_label
from course.extensions import db
from course.models import Role
from tests.course.certificate_kit import certificate, earn_certificate, quick
from tests.course.certkit import page_words, pdf_words
from tests.course.factories import make_user, sign_in
from tests.course.journey import answers_for, enrolment_of, open_attempt
from tests.smtp_sink import plain_text


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    with app.app_context():
        return sign_in(app.test_client(), make_user(role=Role.ADMIN, full_name="Grace Hopper"))


def test_the_revocation_email_states_its_date_in_the_zone_the_verify_page_names(
    app, client, package_copy, admin, inbox
):
    code = earn_certificate(app, client, quick(package_copy), email="kim@example.org")
    revoked = admin.post(f"/admin/certificates/{code}/revoke", data={"reason": "Wrong account"})
    assert revoked.status_code == 302
    with app.app_context():
        said = date_label(certificate(code).revoked_at, zone=True)
    public = page_words(app.test_client().get(f"/verify/{code}").get_data(as_text=True))
    assert f"was revoked on {said} and no longer certifies" in public
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    assert f"revoked on {said} and no longer certifies" in pdf
    # The learner's email gives the same date with the same zone: a learner outside the
    # provider's zone told "December 6" alone could read it as their own day.
    mail = inbox.next_to("kim@example.org", subject="Your certificate was revoked")
    body = page_words(plain_text(mail))
    assert said.endswith("(Central Time)")
    assert f"was revoked on {said} and no longer certifies your completion." in body


def test_the_admin_certificate_page_words_the_license_and_approval_as_the_certificate(
    app, client, package_copy, admin
):
    # A learner who gave the state that licensed them but no number.
    code = earn_certificate(app, client, quick(package_copy), licence_jurisdiction="Texas")
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    page = page_words(admin.get(f"/admin/certificates/{code}").get_data(as_text=True))
    assert "Licensed in Texas" in pdf
    assert "<dt>License</dt><dd>Licensed in Texas</dd>" in page
    assert "— (Texas)" not in page
    # The approval, said once and in the certificate's words ("Approved by ..., approval
    # no. ..."), not as "Board, number: statement", which the certificate never prints.
    assert "Approved by Example Board of Social Work, approval no. 886-123." in pdf
    assert ("<dt>Approval</dt><dd>Approved by Example Board of Social Work, approval no. "
            '<span class="keep-whole">886-123</span>.') in page
    assert "Example Board of Social Work, 886-123:" not in page


def test_the_admin_certificate_page_says_when_no_license_was_given(
    app, client, package_copy, admin
):
    code = earn_certificate(app, client, quick(package_copy))
    page = page_words(admin.get(f"/admin/certificates/{code}").get_data(as_text=True))
    assert "<dt>License number</dt><dd>none stated</dd>" in page


def test_a_certificates_history_says_from_which_address_it_was_revoked(
    app, client, package_copy, admin
):
    code = earn_certificate(app, client, quick(package_copy))
    admin.post(f"/admin/certificates/{code}/revoke", data={"reason": "Wrong account"},
               environ_base={"REMOTE_ADDR": "203.0.113.7"})  # fmt: skip
    page = page_words(admin.get(f"/admin/certificates/{code}").get_data(as_text=True))
    history = page.split('<h2 id="history">History</h2>', 1)[1]
    revoked_row = history.split("Revoked", 1)[1].split("</tr>", 1)[0]
    assert "Grace Hopper" in revoked_row and "from 203.0.113.7" in revoked_row
    assert "Wrong account" in revoked_row


def test_the_learner_record_gives_the_completion_to_the_second_as_the_roster(
    app, client, package_copy, admin
):
    code = earn_certificate(app, client, quick(package_copy))
    with app.app_context():
        enrolment = enrolment_of(client, "minimal")
        user_id, completed, enrolled = (
            enrolment.user_id, enrolment.completed_at, enrolment.enrolled_at
        )
        stamps = stamp_label(completed), stamp_label(enrolled)
        issued = stamp_label(certificate(code).issued_at)
        db.session.remove()
    page = page_words(admin.get(f"/admin/learners/{user_id}").get_data(as_text=True))
    # "December 5, 2026" alone cannot be matched to the roster's completed_at instant, nor
    # to the certificate issued at 11:34:00 PM the same minute, when both are near midnight.
    assert f"<dt>Completed</dt><dd>{stamps[0]}</dd>" in page
    assert f"<dt>Enrolled</dt><dd>{stamps[1]}</dd>" in page
    assert stamps[0].endswith(("CST", "CDT")) and f"issued {issued}" in page


def test_the_transcript_counts_attempts_and_the_best_score_as_the_records_do(
    app, ready, admin
):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=7))
        reset = admin.post(f"/admin/learners/{enrolment_of(ready, 'minimal').user_id}"
                           "/attempts/reset",
                           data={"attempt": str(attempt.id), "reason": "The page froze"})
        assert reset.status_code == 303
        again = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(again, right=6))
    rows = admin.get("/admin/courses/minimal/enrollments.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(rows.lstrip("\ufeff")))
    assert (row["post_test_attempts"], row["best_score"]) == ("1", "60")
    page = page_words(ready.get("/me").get_data(as_text=True))
    # The reset attempt's 70% no longer counts: the learner's transcript said "70% (2
    # attempts)" while the provider's records, and the attempt limit, count one at 60%.
    assert "60% (1 attempt); 1 attempt reset by the provider, not counted" in page
    assert "70%" not in page
