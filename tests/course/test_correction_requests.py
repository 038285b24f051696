"""Learners ask for corrections from their certificate; admins resolve or decline them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course.extensions import db
from course.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    User,
)
from tests.course.factories import sign_in
from tests.smtp_sink import plain_text


@pytest.fixture
def learner(app, data):
    """Learner A, signed in, who holds the valid certificate."""
    return sign_in(app.test_client(), data.learners["a"])


def _ask(client, code: str, **fields):
    form = {"kind": "name", "requested_value": "Alex Rivera", "message": "Missing accent"}
    return client.post(f"/me/certificates/{code}/correction", data={**form, **fields})


def test_a_learner_asks_and_an_admin_corrects_and_reissues(app, data, learner, inbox):
    code = data.certificate_code
    page = learner.get(f"/me/certificates/{code}").get_data(as_text=True)
    assert "Something wrong on this certificate?" in page and "Ask for a correction" in page
    response = _ask(learner, code)
    assert response.status_code == 303
    page = learner.get(f"/me/certificates/{code}").get_data(as_text=True)
    assert "An administrator will answer here and by email." in page
    assert "Ask for a correction" not in page  # one open request at a time

    admin = sign_in(app.test_client(), data.admin)
    listing = admin.get("/admin/corrections").get_data(as_text=True)
    assert "Alex Rivera" in listing and code in listing
    with app.app_context():
        request = db.session.scalar(select(CorrectionRequest))
        assert (request.kind.value, request.ip_address) == ("name", "127.0.0.1")
    form = admin.get(f"/admin/corrections/{request.id}").get_data(as_text=True)
    assert 'value="Alex Rivera"' in form  # the requested name, ready to confirm
    resolved = admin.post(
        f"/admin/corrections/{request.id}/resolve",
        data={"full_name": "Alex Rivera", "licence_number": "LSW-A", "reissue": "y",
              "reason": "Corrected as you asked."},
    )  # fmt: skip
    assert resolved.status_code == 303
    with app.app_context():
        request = db.session.get(CorrectionRequest, request.id)
        assert request.status == CorrectionStatus.DONE and request.resolved_by_id == data.admin.id
        assert db.session.get(User, data.learners["a"].id).full_name == "Alex Rivera"
        old = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert old.status == CertificateStatus.SUPERSEDED
        new = db.session.get(Certificate, old.superseded_by_id)
        assert new.snapshot["participant_name"] == "Alex Rivera"
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-5:] == [
            "correction.requested",
            "user.record_viewed",  # the admin opened the request
            "certificate.reissued",
            "user.details_corrected",
            "correction.resolved",
        ]
    # The queue's sender thread may have sent it already: look where it arrives.
    mail = plain_text(inbox.next_to("a@example.org", subject="Your correction request"))
    assert "We made the correction you asked for." in mail
    page = learner.get(f"/me/certificates/{code}").get_data(as_text=True)
    assert "Done on" in page and "Corrected as you asked." in page
    again = admin.post(
        f"/admin/corrections/{request.id}/resolve",
        data={"full_name": "Someone Else", "reason": "Twice"},
    )
    assert again.status_code == 422 and "already done" in again.get_data(as_text=True)


def test_a_declined_request_tells_the_learner_why(app, data, learner):
    _ask(learner, data.certificate_code, kind="license", requested_value="LSW-999")
    admin = sign_in(app.test_client(), data.admin)
    with app.app_context():
        request = db.session.scalar(select(CorrectionRequest))
    empty = admin.post(f"/admin/corrections/{request.id}/decline", data={"decline-note": ""})
    assert empty.status_code == 422
    admin.post(
        f"/admin/corrections/{request.id}/decline",
        data={"decline-note": "The board lists your license as LSW-A."},
    )
    page = learner.get(f"/me/certificates/{data.certificate_code}").get_data(as_text=True)
    assert "Declined on" in page and "The board lists your license as LSW-A." in page
    # Named as the form's choice names it: asking for "your license" to read a number
    # sounded like a request for another license.
    assert "for your license number to read “LSW-999”." in page
    assert "Ask for a correction" in page  # closed, so the learner may ask again
    with app.app_context():
        assert db.session.get(User, data.learners["a"].id).licence_number == "LSW-A"
        assert db.session.scalar(select(Certificate)).status == CertificateStatus.VALID


def test_bad_requests_are_refused_with_a_reason(app, data, learner):
    code = data.certificate_code
    empty = _ask(learner, code, requested_value="  ")
    # Worded as the other required fields are ("Enter your full name."), not "Say what
    # it should say.", which read as a riddle in the error summary.
    said = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "Enter what the certificate should say." in said
    assert _ask(learner, code, kind="everything").status_code == 422
    assert _ask(learner, code).status_code == 303
    twice = _ask(learner, code)
    assert twice.status_code == 422
    assert "You already asked for a correction" in twice.get_data(as_text=True)
    # Another learner cannot ask about A's certificate, nor see that it exists.
    other = sign_in(app.test_client(), data.learners["b"])
    assert _ask(other, code).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(CorrectionRequest)) == 1


def test_reopening_the_request_forms_address_shows_the_certificate_not_an_error(app, data, learner):
    # A refused request is shown at the form's address; a reload, Back or a bookmark there
    # used to give "405 Method Not Allowed".
    code = data.certificate_code
    assert _ask(learner, code, requested_value="  ").status_code == 422
    reopened = learner.get(f"/me/certificates/{code}/correction")
    assert reopened.status_code == 303
    assert reopened.location == f"/me/certificates/{code}#correction"  # at the form
    page = learner.get(reopened.location)
    assert page.status_code == 200 and "Ask for a correction" in page.get_data(as_text=True)


def test_reopening_the_request_forms_address_still_asks_who_you_are(app, data):
    code = data.certificate_code
    anonymous = app.test_client()
    reopened = anonymous.get(f"/me/certificates/{code}/correction", follow_redirects=True)
    assert reopened.request.path == "/auth/login"
    assert "Please sign in to see that page." in reopened.get_data(as_text=True)
    # Another learner learns nothing more than from the certificate's own address.
    other = sign_in(app.test_client(), data.learners["b"])
    reopened = other.get(f"/me/certificates/{code}/correction", follow_redirects=True)
    assert reopened.status_code == 404


def test_a_request_sent_while_signed_out_leads_back_to_the_certificate(app, data):
    # Signed out in another tab: sign-in comes back to the form's address, by GET.
    code = data.certificate_code
    client = app.test_client()
    refused = _ask(client, code)
    assert refused.status_code == 302
    (after_sign_in,) = parse_qs(urlsplit(refused.location).query)["next"]
    assert after_sign_in.endswith(f"/me/certificates/{code}/correction")
    sign_in(client, data.learners["a"])
    back = client.get(after_sign_in, follow_redirects=True)
    assert back.request.path == f"/me/certificates/{code}" and back.status_code == 200


def test_one_open_request_per_certificate_is_enforced_by_the_database(app, data, learner):
    _ask(learner, data.certificate_code)
    with app.app_context():
        first = db.session.scalar(select(CorrectionRequest))
        db.session.add(
            CorrectionRequest(user_id=first.user_id, certificate_id=first.certificate_id,
                              kind="other", requested_value="x")
        )  # fmt: skip
        with pytest.raises(IntegrityError):
            db.session.flush()


def test_the_request_list_rejects_an_unknown_status(app, data):
    admin = sign_in(app.test_client(), data.admin)
    assert admin.get("/admin/corrections?status=all").status_code == 200
    bad = admin.get("/admin/corrections?status=pending")
    assert bad.status_code == 400
    assert "open, done, declined or all" in bad.get_data(as_text=True)
    assert admin.get("/admin/corrections?page=x").status_code == 400
    assert admin.get("/admin/corrections/999").status_code == 404
