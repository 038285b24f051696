"""Reinstating a certificate revoked by mistake: a new certificate for the same completion,
while the revoked code stays revoked and says where the completion went."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from course import certificate_changes
from course.extensions import db
from course.mail import send_mail
from course.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    CredentialStatus,
    OutboxMessage,
    Role,
    User,
)
from course.templating import certificate_code
from tests.course.certificate_kit import certificate, earn_certificate, quick
from tests.course.certkit import page_words
from tests.course.factories import make_user, sign_in
from tests.smtp_sink import plain_text

REVOKED_WHY = "Completed by another person"
REINSTATED_WHY = "Revoked the wrong learner's certificate"
XAPI_ON = {"XAPI_ENABLED": True, "XAPI_ENDPOINT": "http://127.0.0.1:9/xapi"}


@pytest.fixture
def issued(app: Flask, client: FlaskClient, package_copy: Path) -> str:
    """A learner's certificate code (the learner is signed in on ``client``)."""
    app.config.update(XAPI_ON)  # so the outbox announces what is issued
    return earn_certificate(
        app, client, quick(package_copy), full_name="Ada Lovelace",
        licence_number="LSW-12345", licence_jurisdiction="Ohio",
    )  # fmt: skip


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    with app.app_context():
        return sign_in(app.test_client(), make_user(role=Role.ADMIN, full_name="Grace Hopper"))


def _revoke(admin: FlaskClient, code: str) -> None:
    response = admin.post(f"/admin/certificates/{code}/revoke", data={"reason": REVOKED_WHY})
    assert response.status_code == 302


def _reinstate(admin: FlaskClient, code: str, reason: str = REINSTATED_WHY):
    return admin.post(f"/admin/certificates/{code}/reinstate", data={"reinstate-reason": reason})


def _reinstated(admin: FlaskClient, code: str) -> str:
    """Revoke the certificate, reinstate it; return the new code."""
    _revoke(admin, code)
    response = _reinstate(admin, code)
    assert response.status_code == 302
    new_code = response.location.rsplit("/", 1)[1]
    assert new_code != code
    return new_code


def _verify(app: Flask, code: str) -> str:
    response = app.test_client().get(f"/verify/{code}")
    assert response.status_code == 200
    return page_words(response.get_data(as_text=True))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_reinstating_issues_a_new_certificate_for_the_same_completion(app, admin, issued):
    new_code = _reinstated(admin, issued)
    with app.app_context():
        old, new = certificate(issued), certificate(new_code)
        # The revoked code never turns valid again; it names its successor.
        assert old.status.value == "revoked" and old.superseded_by_id == new.id
        assert new.status.value == "valid"
        assert (new.enrolment_id, new.version_id, new.user_id) == (
            old.enrolment_id, old.version_id, old.user_id
        )
        same = ("completed_on", "contact_hours", "course_version", "course_title",
                "participant_name", "licence_number", "licence_jurisdiction", "credit_type")
        assert {k: new.snapshot[k] for k in same} == {k: old.snapshot[k] for k in same}
        assert new.snapshot["code"] == new_code and new_code in new.snapshot["verify_url"]
        assert new.issued_at >= old.issued_at  # issued today, not backdated
        # In the credential status list, and announced as earned like any issue.
        assert db.session.scalar(
            select(CredentialStatus).where(CredentialStatus.certificate_id == new.id)
        )
        assert db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.subject_key == f"certificate:{new_code}")
        )
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "certificate.reinstated")
        )
        assert event.subject_id == issued and event.detail["new_code"] == new_code
        assert event.detail["reason"] == REINSTATED_WHY
        assert event.actor.full_name == "Grace Hopper" and event.ip_address == "127.0.0.1"


def test_a_reason_is_required_and_nothing_changes_without_one(app, admin, issued):
    _revoke(admin, issued)
    refused = _reinstate(admin, issued, "  ")
    assert refused.status_code == 422
    page = page_words(refused.get_data(as_text=True))
    assert '<a href="#reinstate-reason">Give the reason for reinstating.</a>' in page
    with app.app_context():
        assert _count(Certificate) == 1 and certificate(issued).superseded_by_id is None


def test_only_a_revoked_certificate_is_offered_reinstating(admin, issued):
    page = admin.get(f"/admin/certificates/{issued}").get_data(as_text=True)
    assert "Reinstate" not in page
    _revoke(admin, issued)
    page = admin.get(f"/admin/certificates/{issued}").get_data(as_text=True)
    assert f'action="/admin/certificates/{issued}/reinstate"' in page
    assert "Reason for reinstating" in page and 'name="csrf_token"' in page


def test_a_valid_certificate_is_not_reinstated(app, admin, issued):
    response = _reinstate(admin, issued)
    assert response.status_code == 302 and response.location.endswith(issued)
    page = admin.get(response.location).get_data(as_text=True)
    assert "Only a revoked certificate can be reinstated; nothing was changed." in page
    with app.app_context():
        assert _count(Certificate) == 1
        assert not db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "certificate.reinstated")
        )


def test_a_certificate_is_reinstated_once(app, admin, issued):
    new_code = _reinstated(admin, issued)
    page = admin.get(f"/admin/certificates/{issued}").get_data(as_text=True)
    assert f'action="/admin/certificates/{issued}/reinstate"' not in page
    again = _reinstate(admin, issued)
    page = admin.get(again.location).get_data(as_text=True)
    assert f"This certificate was reinstated already, as {new_code}; nothing was changed." in page
    with app.app_context():
        assert _count(Certificate) == 2


def test_no_second_valid_certificate_when_the_learner_already_holds_one(app, admin, issued):
    _revoke(admin, issued)
    with app.app_context():
        # One issued by hand before reinstating existed, for the same completion.
        old = certificate(issued)
        by_hand = Certificate(
            code="HAND-MADE-0001", user_id=old.user_id, course_id=old.course_id,
            version_id=old.version_id, enrolment_id=old.enrolment_id, status="valid",
            snapshot=old.snapshot, pdf_sha256=old.pdf_sha256,
        )  # fmt: skip
        db.session.add(by_hand)
        db.session.commit()
    response = _reinstate(admin, issued)
    page = admin.get(response.location).get_data(as_text=True)
    assert (
        "The learner already has a valid certificate for this completion, HAND-MADE-0001;"
        " nothing was changed." in page
    )
    with app.app_context():
        assert _count(Certificate) == 2 and certificate(issued).superseded_by_id is None


def test_both_admin_pages_tell_the_reinstatement_and_link_each_other(admin, issued):
    new_code = _reinstated(admin, issued)
    old_page = page_words(admin.get(f"/admin/certificates/{issued}").get_data(as_text=True))
    new_link = f'<a href="/admin/certificates/{new_code}"><code>{new_code}</code></a>'
    assert "Status: <strong>Revoked</strong>" in old_page
    assert f"Reinstated on a new certificate, {new_link}" in old_page
    assert "this code stays revoked" in old_page
    # The history row: what, by whom, why.
    assert f'<td data-label="What">Reinstated as {new_link}</td>' in old_page
    assert REINSTATED_WHY.replace("'", "&#39;") in old_page and "Grace Hopper" in old_page

    new_page = page_words(admin.get(f"/admin/certificates/{new_code}").get_data(as_text=True))
    old_link = f'<a href="/admin/certificates/{issued}"><code>{issued}</code></a>'
    assert "Status: <strong>Valid</strong>" in new_page
    assert f"Reinstates revoked certificate {old_link}" in new_page
    assert f'<td data-label="What">Issued, reinstating {old_link}</td>' in new_page
    assert REINSTATED_WHY.replace("'", "&#39;") in new_page


def test_the_revoked_code_says_its_completion_was_reinstated_without_naming_the_new_one(
    app, admin, issued
):
    new_code = _reinstated(admin, issued)
    page = _verify(app, issued)
    assert "Revoked." in page and "This certificate was revoked on" in page
    assert "The completion it records was later reinstated on" in page
    assert "on a new certificate the holder has" in page and "Ask the holder for it." in page
    assert new_code not in page
    fresh = _verify(app, new_code)
    assert "Sample certificate" in fresh and "Ada Lovelace" in fresh
    # Revoked again: the old code no longer says the completion stands.
    _revoke(admin, new_code)
    page = _verify(app, issued)
    assert "has since been revoked too, so this completion is no longer certified" in page
    assert "Ask the holder for it." not in page


def test_the_learner_has_the_new_certificate_its_pdf_and_credit_again(
    app, client, admin, issued
):
    new_code = _reinstated(admin, issued)
    response = client.get(f"/me/certificates/{new_code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Ada Lovelace" in text and new_code in text and "REVOKED" not in text
    assert client.get(f"/me/certificates/{new_code}.json").status_code == 200
    # The course page and the transcript count the completion again.
    assert client.get("/courses/minimal", follow_redirects=True).status_code == 200
    course_page = page_words(client.get("/courses/minimal").get_data(as_text=True))
    assert "View your certificate" in course_page and "was revoked" not in course_page
    assert client.get("/courses/minimal/certificate").location.endswith(new_code)
    transcript = page_words(client.get("/me").get_data(as_text=True))
    assert '<td data-label="Status">Completed</td>' in transcript
    assert '<td data-label="Credit">—</td>' not in transcript
    # As the transcript shows a code: a check symbol such as "~" is also named in words.
    assert certificate_code(new_code) in transcript and certificate_code(issued) in transcript
    # The revoked one still says revoked, and where the completion went.
    old_page = page_words(client.get(f"/me/certificates/{issued}").get_data(as_text=True))
    assert "This certificate is revoked" in old_page
    assert "Its completion was later reinstated on a new certificate" in old_page


def test_learners_cannot_reinstate(app, client, admin, issued):
    _revoke(admin, issued)
    assert _reinstate(client, issued).status_code == 403
    with app.app_context():
        assert _count(Certificate) == 1


def test_reinstating_needs_the_page_s_csrf_token(app, admin, issued):
    _revoke(admin, issued)
    app.config["WTF_CSRF_ENABLED"] = True
    assert _reinstate(admin, issued).status_code == 400
    with app.app_context():
        assert _count(Certificate) == 1
    page = admin.get(f"/admin/certificates/{issued}").get_data(as_text=True)
    form = page[page.index(f'action="/admin/certificates/{issued}/reinstate"'):]
    token = re.search(r'name="(reinstate-csrf_token)"[^>]*value="([^"]+)"', form)
    sent = admin.post(
        f"/admin/certificates/{issued}/reinstate",
        data={token.group(1): token.group(2), "reinstate-reason": REINSTATED_WHY},
    )
    assert sent.status_code == 302
    with app.app_context():
        assert _count(Certificate) == 2


def test_reopening_the_reinstate_address_lands_on_its_form(admin, issued):
    _revoke(admin, issued)
    reopened = admin.get(f"/admin/certificates/{issued}/reinstate")
    assert reopened.status_code == 303
    assert reopened.location == f"/admin/certificates/{issued}#reinstate"
    assert 'id="reinstate"' in admin.get(f"/admin/certificates/{issued}").get_data(as_text=True)


def test_the_certificate_csv_says_the_revoked_code_was_reinstated_and_why(admin, issued):
    new_code = _reinstated(admin, issued)
    response = admin.get("/admin/records/certificates.csv")
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))}
    old = rows[issued]
    assert (old["status"], old["revoked_reason"]) == ("revoked", REVOKED_WHY)
    assert old["superseded_by_code"] == new_code and old["superseded_at"]
    assert old["superseded_reason"] == f"Reinstated: {REINSTATED_WHY}"
    assert rows[new_code]["status"] == "valid" and not rows[new_code]["superseded_reason"]


@pytest.mark.parametrize("change", ["reissue", "reinstate"])
def test_two_admins_changing_one_certificate_at_once_make_one_new_certificate(
    app: Flask, issued: str, change: str
) -> None:
    """PostgreSQL lets both admins read the certificate at once (SQLite's write lock,
    taken up front, serializes them): the second must be refused, not meet the database's
    one-valid-certificate index."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent transactions: PostgreSQL (run with TEST_DATABASE_URL)")
        admin_id = make_user(role=Role.ADMIN).id
        if change == "reinstate":
            admin = db.session.get(User, admin_id)
            certificate_changes.revoke(certificate(issued), admin, REVOKED_WHY)
            db.session.commit()
    first_holds_its_lock, outcomes = threading.Event(), {}

    def act(name: str) -> None:
        with app.app_context():
            try:
                target, admin = certificate(issued), db.session.get(User, admin_id)
                if name == "second":
                    first_holds_its_lock.wait(5)
                getattr(certificate_changes, change)(target, admin, f"by the {name} admin")
                if name == "first":
                    first_holds_its_lock.set()
                    time.sleep(0.5)  # the second admin's request arrives meanwhile
                db.session.commit()
                outcomes[name] = "changed"
            except Exception as exc:  # noqa: BLE001 (the outcome is what the test reads)
                db.session.rollback()
                outcomes[name] = type(exc).__name__
            finally:
                first_holds_its_lock.set()

    threads = [threading.Thread(target=act, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {"first": "changed", "second": "ValueError"}
    with app.app_context():
        valid = select(func.count()).select_from(Certificate).where(
            Certificate.status == CertificateStatus.VALID
        )
        assert db.session.scalar(valid) == 1



def test_the_learner_is_emailed_why_a_certificate_was_revoked_and_then_its_new_code(
    app, admin, issued, inbox
):
    page = admin.get(f"/admin/certificates/{issued}").get_data(as_text=True)
    assert "Emailed to the learner and kept in the audit log." in page  # the admin is told
    with app.app_context():
        owner, printed = certificate(issued).user.email, certificate(issued).snapshot
    new_code = _reinstated(admin, issued)
    revoked = inbox.next_to(owner, subject="Your certificate was revoked")
    assert revoked["Subject"].startswith("Your certificate was revoked")
    body = page_words(plain_text(revoked))
    assert f"Your certificate {issued} for “{printed['course_title']}” was revoked on" in body
    assert f"The reason recorded: {REVOKED_WHY}" in body
    # Whom to ask: the provider the certificate names (the tests configure no contact).
    issuer = printed["provider_name"] or app.config["SITE_NAME"]
    assert f"contact {issuer} and give the code {issued}." in body and body.endswith("/me")
    reinstated = inbox.next_to(owner, subject="Your certificate was reinstated")
    assert reinstated["Subject"].startswith("Your certificate was reinstated")
    body = page_words(plain_text(reinstated))
    assert f"Your new certificate, {new_code}, certifies it: it is attached as a PDF" in body
    assert body.endswith(f"/me/certificates/{new_code}")
    ((name, data),) = [(part.get_filename(), part.get_payload(decode=True))
                       for part in reinstated.iter_attachments()]
    with app.app_context():
        assert name == f"certificate-{new_code}.pdf" and data == certificate(new_code).pdf
    assert not list(revoked.iter_attachments())  # the revoked one is not sent again
    assert REINSTATED_WHY not in body  # the admin's note to the record stays there


def test_an_account_without_an_address_of_its_own_is_not_emailed(app, admin, issued, inbox):
    lms_address = "lti-1-0123456789abcdef@lti.invalid"
    with app.app_context():
        certificate(issued).user.email = lms_address
        db.session.commit()
    _reinstated(admin, issued)
    with app.app_context():  # queued after the two changes, so sent after them
        send_mail("sentinel@example.org", "Sent last", "The queue went this far.")
        db.session.commit()
    inbox.next_to("sentinel@example.org")
    assert not any(lms_address in to for to in inbox.recipients)


def test_a_revocation_reason_with_its_own_period_is_not_followed_by_another(app, admin, issued):
    why = "Completed by another person."
    admin.post(f"/admin/certificates/{issued}/revoke", data={"reason": why})
    assert _reinstate(admin, issued).status_code == 302
    page = page_words(admin.get(f"/admin/certificates/{issued}").get_data(as_text=True))
    assert "Completed by another person. Reinstated on a new certificate" in page
    assert "person.." not in page
