"""An approval recorded after certificates were issued: an admin reissues them stating it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from course.extensions import db
from course.models import AuditEvent, Certificate, CertificateStatus, Role
from tests.course.author_kit import flashes, page_form
from tests.course.certkit import finish_course, page_words
from tests.course.factories import make_user, sign_in
from tests.course.test_course_credit_fields import APPROVAL_BLOCK
from tests.smtp_sink import plain_text

PROVIDER = {
    "PROVIDER_NAME": "Riverside Center for Child Welfare Training",
    "PROVIDER_CONTACT": "ce-records@riverside.example.org",
}
URL = "/admin/courses/minimal/approval"


def _without_approval(package_dir: Path) -> Path:
    manifest = package_dir / "course.yaml"
    manifest.write_text(manifest.read_text().replace(APPROVAL_BLOCK, ""))
    return package_dir


def _record_approval(admin, start: str = "2026-01-01", end: str = "2099-12-31") -> str:
    form = page_form(admin.get(URL).get_data(as_text=True), "body")
    form.update({"body": "Example Board of Social Work", "number": "886-777",
                 "statement": "This course is approved for 0.25 General contact hours.",
                 "period_start": start, "period_end": end,
                 "reason": "Approval letter of March 3, 2026, backdated"})  # fmt: skip
    return flashes(admin, admin.post(URL, data=form))


def _admin(app):
    with app.app_context():
        return sign_in(app.test_client(), make_user(role=Role.ADMIN))


def test_certificates_issued_before_a_backdated_approval_are_reissued_stating_it(
    make_app, package_copy: Path, inbox_for
):
    app = make_app(**PROVIDER)
    inbox = inbox_for(app)
    _, code = finish_course(app, app.test_client(), _without_approval(package_copy),
                                  email="holder@example.org")  # fmt: skip
    admin = _admin(app)
    warned = page_words(_record_approval(admin))
    assert "1 valid certificate for completions the approval covers was issued before it" in warned
    page = page_words(admin.get(URL).get_data(as_text=True))
    assert "Certificates issued before this approval" in page
    assert f"/admin/certificates/{code}" in page

    refused = admin.post(f"{URL}/reissue", data={"reason": ""})
    assert refused.status_code == 422
    assert "Give the reason for reissuing them." in refused.get_data(as_text=True)

    done = flashes(admin, admin.post(f"{URL}/reissue", data={
        "reason": "Approval letter received late"}, environ_base={
        "REMOTE_ADDR": "203.0.113.7"}))  # fmt: skip
    assert "1 certificate reissued stating the approval" in done
    with app.app_context():
        old = db.session.scalar(select(Certificate).where(Certificate.code == code))
        new = db.session.get(Certificate, old.superseded_by_id)
        assert old.status == CertificateStatus.SUPERSEDED
        assert new.snapshot["approval_number"] == "886-777"
        assert new.snapshot["completed_on"] == old.snapshot["completed_on"]
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "certificate.reissued"))  # fmt: skip
        assert event.detail["reason"] == "Approval letter received late"
        assert event.detail["changed"]["approval_number"] == [None, "886-777"]
        assert event.ip_address == "203.0.113.7"
        new_code = new.code
    # The board checking the new code sees the approval the credit needs.
    board = page_words(app.test_client().get(f"/verify/{new_code}").get_data(as_text=True))
    assert "Approved by Example Board of Social Work" in board
    mail = inbox.next_to("holder@example.org", subject="Your certificate was reissued")
    assert "now stating the course\u2019s CE approval" in " ".join(plain_text(mail).split())
    # Nothing is left to reissue, and a second press changes nothing.
    assert "Certificates issued before this approval" not in admin.get(URL).get_data(as_text=True)
    again = flashes(admin, admin.post(f"{URL}/reissue", data={"reason": "Twice"}))
    assert "No certificate needed reissuing." in again


def test_a_completion_outside_the_approval_period_is_not_offered_for_reissue(
    make_app, package_copy: Path
):
    app = make_app(**PROVIDER)
    _, code = finish_course(app, app.test_client(), _without_approval(package_copy))
    admin = _admin(app)
    warned = _record_approval(admin, start="2090-01-01")
    assert "issued before it" not in warned
    assert "Certificates issued before this approval" not in admin.get(URL).get_data(as_text=True)
    admin.post(f"{URL}/reissue", data={"reason": "Try anyway"})
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert certificate.status == CertificateStatus.VALID


def test_only_admins_reissue_with_the_approval(make_app, package_copy: Path):
    app = make_app(**PROVIDER)
    finish_course(app, app.test_client(), _without_approval(package_copy))
    with app.app_context():
        author = sign_in(app.test_client(), make_user(role=Role.AUTHOR))
    assert author.post(f"{URL}/reissue", data={"reason": "x"}).status_code == 403
