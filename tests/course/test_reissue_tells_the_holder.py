"""A reissue tells the holder the new code: the old one now verifies as replaced and the
verification page tells a board to ask the holder for the corrected certificate."""

from __future__ import annotations

from sqlalchemy import select

from course.extensions import db
from course.models import CorrectionRequest
from tests.course.factories import sign_in
from tests.smtp_sink import plain_text

LEARNER = "a@example.org"


def test_an_admin_reissue_emails_the_holder_the_new_code(app, data, inbox):
    code = data.certificate_code
    admin = sign_in(app.test_client(), data.admin)
    response = admin.post(
        f"/admin/certificates/{code}/reissue", data={"reissue-reason": "Accents were missing"}
    )
    new_code = response.location.rsplit("/", 1)[1]
    mail = inbox.next_to(LEARNER, subject="Your certificate was reissued")
    text = " ".join(plain_text(mail).split())
    assert code in text and new_code in text
    assert "give licensing boards the new one" in text
    # A reissue need not correct anything (a new approval number, say): the mail claims none.
    assert "corrected" not in text
    assert f"/me/certificates/{new_code}" in text
    assert [p.get_filename() for p in mail.iter_attachments()] == [f"certificate-{new_code}.pdf"]


def test_a_resolved_correction_request_sends_its_own_email_only(app, data, inbox):
    learner = sign_in(app.test_client(), data.learners["a"])
    learner.post(f"/me/certificates/{data.certificate_code}/correction",
                 data={"kind": "name", "requested_value": "Alex Rivera", "message": "Accent"})
    with app.app_context():
        request_id = db.session.scalar(select(CorrectionRequest.id))
    admin = sign_in(app.test_client(), data.admin)
    admin.get(f"/admin/corrections/{request_id}")
    admin.post(f"/admin/corrections/{request_id}/resolve",
               data={"full_name": "Alex Rivera", "reissue": "y", "reason": "As asked."})
    inbox.next_to(LEARNER, subject="Your correction request")
    subjects = [m["Subject"] for m, to in zip(inbox.messages, inbox.recipients, strict=True)
                if LEARNER in to]
    assert not [s for s in subjects if s.startswith("Your certificate was reissued")], subjects
