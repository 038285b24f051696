"""Admins correct learner records: details and reissue, enrollment, attempt resets.

Every correction asks why and is audited with who, when and from which address; nothing
is deleted. Built on the shared dataset (see test_admin_dataset): A holds a valid
certificate, B passed on a second try, C failed once, D never took the post-test.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from course.corrections import services as corrections
from course.extensions import db
from course.learn import retakes
from course.learn.assessment import NotYetOpen
from course.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Enrolment,
    PostTestAttempt,
    Role,
    User,
)
from tests.course.factories import make_user, sign_in
from tests.course.journey import answers_for, open_attempt


@pytest.fixture
def admin(app, data):
    return sign_in(app.test_client(), data.admin)


def _events(action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def _attempts(user_id: int) -> list[PostTestAttempt]:
    query = (
        select(PostTestAttempt)
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .where(Enrolment.user_id == user_id)
        .order_by(PostTestAttempt.number)
    )
    return list(db.session.scalars(query))


# -- name and license ------------------------------------------------------------------


def test_a_name_and_license_correction_reissues_with_the_reason_in_the_audit_log(app, data, admin):
    a = data.learners["a"]
    page = admin.get(f"/admin/learners/{a.id}").get_data(as_text=True)
    assert "1 valid certificate" in page and "Save the correction" in page
    response = admin.post(
        f"/admin/learners/{a.id}/details",
        data={"full_name": "Alex  Rivera-Lopez", "licence_number": "LSW-9",
              "licence_jurisdiction": "Ohio", "reissue": "y",
              "reason": "Name misspelled; learner's email of May 2"},
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        user = db.session.get(User, a.id)
        assert (user.full_name, user.licence_number, user.licence_jurisdiction) == (
            "Alex Rivera-Lopez", "LSW-9", "Ohio",
        )  # fmt: skip
        old = db.session.scalar(
            select(Certificate).where(Certificate.code == data.certificate_code)
        )
        new = db.session.get(Certificate, old.superseded_by_id)
        assert old.status == CertificateStatus.SUPERSEDED and new.status == CertificateStatus.VALID
        assert new.snapshot["participant_name"] == "Alex Rivera-Lopez"
        assert new.snapshot["licence_number"] == "LSW-9"
        assert new.snapshot["completed_on"] == old.snapshot["completed_on"]
        (corrected,) = _events("user.details_corrected")
        assert corrected.actor_id == data.admin.id and corrected.ip_address == "127.0.0.1"
        assert corrected.detail["reason"] == "Name misspelled; learner's email of May 2"
        assert corrected.detail["changes"]["full_name"] == [a.full_name, "Alex Rivera-Lopez"]
        assert corrected.detail["changes"]["licence_number"] == ["LSW-A", "LSW-9"]
        assert corrected.detail["reissued"] == [new.code]
        (reissued,) = _events("certificate.reissued")
        assert reissued.detail["reason"] == corrected.detail["reason"]
        assert reissued.ip_address == "127.0.0.1"
    flash = admin.get(response.location).get_data(as_text=True)
    assert f"reissued as {new.code}" in flash
    verify = app.test_client().get(f"/verify/{data.certificate_code}").get_data(as_text=True)
    assert "Replaced." in verify


def test_a_correction_without_reissue_leaves_the_certificate_alone(app, data, admin):
    a = data.learners["a"]
    admin.post(
        f"/admin/learners/{a.id}/details",
        data={"full_name": "Alex Rivera", "licence_number": "LSW-A", "reason": "Typo"},
    )
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert certificate.status == CertificateStatus.VALID
        assert db.session.get(User, a.id).licence_jurisdiction is None


REFUSED = [
    ({"full_name": "New Name", "reason": ""}, "Give the reason for the correction."),
    ({"full_name": "   ", "reason": "Typo"}, "The name cannot be empty."),
    ({"full_name": "SAME", "licence_number": "LSW-C", "reason": "Typo"}, "Nothing changed"),
]


def test_a_refused_correction_says_why_and_changes_nothing(app, data, admin):
    c = data.learners["c"]
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for fields, message in REFUSED:
        fields = {k: (c.full_name if v == "SAME" else v) for k, v in fields.items()}
        response = admin.post(f"/admin/learners/{c.id}/details", data=fields)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, c.id).full_name == c.full_name
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_deleted_account_cannot_be_corrected(app, data):
    with app.app_context():
        user = db.session.get(User, data.learners["d"].id)
        user.deleted_at = user.created_at
        with pytest.raises(corrections.CorrectionRefused, match="deleted"):
            corrections.correct_details(
                db.session.get(User, data.admin.id), user, corrections.Details("X"), "why",
                reissue=False, ip_address=None,
            )  # fmt: skip


def test_only_admins_correct_records(app, data):
    learner = sign_in(app.test_client(), data.learners["b"])
    target = data.learners["a"].id
    for url, form in (
        (f"/admin/learners/{target}/details", {"full_name": "Mine", "reason": "x"}),
        (f"/admin/learners/{target}/attempts/reset", {"attempt": "1", "reason": "x"}),
        ("/admin/learners/enrol", {"users": str(target), "course": "minimal", "reason": "x"}),
    ):
        assert learner.post(url, data=form).status_code == 403, url


# -- enrollment --------------------------------------------------------------------------


def test_an_admin_enrolls_a_learner_with_a_reason(app, data, admin):
    with app.app_context():
        newcomer = make_user(full_name="Nia Newcomer")
    url = f"/admin/learners/{newcomer.id}/enrolments"
    assert admin.post(url, data={"course": "minimal", "reason": ""}).status_code == 422
    assert admin.post(url, data={"course": "unknown", "reason": "x"}).status_code == 422
    response = admin.post(url, data={"course": "minimal", "reason": "Agency contract"})
    assert response.status_code == 303
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == newcomer.id))
        (event,) = _events("enrollment.created_by_admin")
        assert event.subject_id == str(enrolment.id)
        assert (event.detail["reason"], event.ip_address) == ("Agency contract", "127.0.0.1")
    # The learner's audit filter finds it, and an event written before the US spelling.
    with app.app_context():
        from course.audit import record_event

        record_event(None, "enrolment.created_by_admin", "enrolment", enrolment.id, {})
        db.session.commit()
    found = admin.get(f"/admin/audit?learner_id={newcomer.id}").get_data(as_text=True)
    assert "<code>enrollment.created_by_admin</code>" in found
    assert "<code>enrolment.created_by_admin</code>" in found
    # Enrolled now, so the course is no longer offered.
    again = admin.post(url, data={"course": "minimal", "reason": "Again"})
    assert again.status_code == 422


def test_bulk_enrollment_from_the_learners_list(app, data, admin):
    with app.app_context():
        first, second = make_user(full_name="Bo One"), make_user(full_name="Cy Two")
        gone = make_user(full_name="Di Gone")
        db.session.get(User, gone.id).active = False
        db.session.commit()
    listing = admin.get("/admin/learners").get_data(as_text=True)
    assert "Enroll the selected learners" in listing and 'name="users"' in listing
    ids = [first.id, second.id, gone.id, data.learners["a"].id]
    response = admin.post(
        "/admin/learners/enrol",
        data={"users": [str(i) for i in ids], "course": "minimal", "reason": "Spring cohort"},
    )
    page = admin.get(response.location).get_data(as_text=True)
    assert "Enrolled 2; already enrolled 1." in page
    assert "Not enrolled: Di Gone" in page and "the account is not active" in page
    with app.app_context():
        enrolled = set(db.session.scalars(select(Enrolment.user_id)))
        assert {first.id, second.id} <= enrolled and gone.id not in enrolled
        assert len(_events("enrollment.created_by_admin")) == 2
    nothing = admin.post("/admin/learners/enrol", data={"course": "minimal", "reason": "x"})
    page = admin.get(nothing.location).get_data(as_text=True)
    assert "Tick at least one learner" in page
    # Refused before the redirect: the page that says so says "Error: " first in its title.
    assert "<title>Error: Learners" in page
    assert "<title>Error: " not in admin.get(nothing.location).get_data(as_text=True)


def test_bulk_enrollment_by_pasted_e_mail_addresses(app, data, admin):
    with app.app_context():
        make_user(full_name="Eve Pasted", email="eve@example.org")
    url = "/admin/courses/minimal/enrol"
    assert "Email addresses" in admin.get(url).get_data(as_text=True)
    response = admin.post(
        url, data={"emails": "EVE@example.org,\r\nnobody@example.org\r\na@example.org",
                   "reason": "Agency list"},
    )  # fmt: skip
    page = admin.get(response.location).get_data(as_text=True)
    assert "Enrolled 1; already enrolled 1." in page
    assert "No account for: nobody@example.org" in page
    too_many = " ".join(f"p{n}@example.org" for n in range(corrections.MAX_BULK + 1))
    refused = admin.post(url, data={"emails": too_many, "reason": "x"})
    assert refused.status_code == 422 and "at most 500" in refused.get_data(as_text=True)
    assert admin.post(url, data={"emails": "", "reason": "x"}).status_code == 422
    assert admin.get("/admin/courses/nope/enrol").status_code == 404


# -- post-test attempts ---------------------------------------------------------------------


def test_resetting_a_failed_attempt_keeps_it_in_the_record(app, data, admin):
    c = data.learners["c"]
    with app.app_context():
        (attempt,) = _attempts(c.id)
    url = f"/admin/learners/{c.id}/attempts/reset"
    empty = admin.post(url, data={"attempt": attempt.id, "reason": ""})
    assert empty.status_code == 422 and "Give the reason for the reset." in empty.get_data(
        as_text=True
    )
    done = admin.post(url, data={"attempt": attempt.id, "reason": "Browser crashed mid-test"})
    assert done.status_code == 303
    page = admin.get(f"/admin/learners/{c.id}").get_data(as_text=True)
    assert "Browser crashed mid-test" in page and "reset" in page
    with app.app_context():
        (stored,) = _attempts(c.id)
        assert stored.reset_at is not None and stored.reset_by_id == data.admin.id
        assert stored.score_percent == 60 and not stored.counts  # kept, but no longer counted
        (event,) = _events("attempt.reset")
        assert event.detail["reason"] == "Browser crashed mid-test"
        assert event.detail["score_percent"] == 60 and event.ip_address == "127.0.0.1"
    again = admin.post(url, data={"attempt": attempt.id, "reason": "Twice"})
    assert "already reset" in admin.get(again.location).get_data(as_text=True)


def test_a_passed_attempt_cannot_be_reset_and_others_attempts_are_not_found(app, data, admin):
    a, b = data.learners["a"], data.learners["b"]
    with app.app_context():
        (passed,) = _attempts(a.id)
    response = admin.post(
        f"/admin/learners/{a.id}/attempts/reset", data={"attempt": passed.id, "reason": "x"}
    )
    assert "was passed and earned credit" in admin.get(response.location).get_data(as_text=True)
    wrong_owner = admin.post(
        f"/admin/learners/{b.id}/attempts/reset", data={"attempt": passed.id, "reason": "x"}
    )
    assert wrong_owner.status_code == 404
    with app.app_context():
        assert _attempts(a.id)[0].reset_at is None and _events("attempt.reset") == []


def test_an_attempt_failed_before_a_pass_cannot_be_reset(app, data, admin):
    b = data.learners["b"]
    with app.app_context():
        failed, passed = _attempts(b.id)
        assert not failed.passed and passed.passed
    page = admin.get(f"/admin/learners/{b.id}").get_data(as_text=True)
    assert "Reset attempt" not in page  # no form for what would be refused
    response = admin.post(
        f"/admin/learners/{b.id}/attempts/reset", data={"attempt": failed.id, "reason": "Tidy"}
    )
    page = admin.get(response.location).get_data(as_text=True)
    assert "passed the post-test since, so attempt 1 is part of the record" in page
    with app.app_context():
        assert _attempts(b.id)[0].reset_at is None and _events("attempt.reset") == []


def test_resetting_an_open_attempt_gives_the_learner_a_fresh_draw(app, ready):
    with app.app_context():
        first = open_attempt(ready, "minimal")
        learner = db.session.get(User, db.session.get(Enrolment, first.enrolment_id).user_id)
        admin = sign_in(app.test_client(), make_user(Role.ADMIN))
    response = admin.post(
        f"/admin/learners/{learner.id}/attempts/reset",
        data={"attempt": first.id, "reason": "Learner reported a frozen page"},
    )
    assert response.status_code == 303
    with app.app_context():
        # The old form is submitted anyway: nothing is graded, the learner is told why.
        stale = ready.post("/courses/minimal/post-test", data=answers_for(first, right=10))
        page = ready.get(ready.get(stale.location).location).get_data(as_text=True)
        assert "An administrator reset attempt 1, so it was not graded." in page
        assert "already been submitted" not in page  # it never was: the reset is the reason
        second = open_attempt(ready, "minimal")
        assert (second.number, second.id != first.id) == (2, True)
        attempts = _attempts(learner.id)
        assert [(a.number, a.submitted_at, a.reset_at is not None) for a in attempts] == [
            (1, None, True),
            (2, None, False),
        ]


def test_a_reset_attempt_gives_back_a_capped_learners_try(app, data, admin):
    c = data.learners["c"]
    with app.app_context():
        (attempt,) = _attempts(c.id)
        course = db.session.get(Enrolment, attempt.enrolment_id).course
        version = course.current_version
        version.manifest = {**version.manifest, "post_test_max_attempts": 1,
                            "post_test_retake_wait_minutes": 0}  # fmt: skip
        db.session.commit()
        with pytest.raises(NotYetOpen, match="You have used your one attempt at this post-test"):
            retakes.ensure_can_draw(course, db.session.get(Enrolment, attempt.enrolment_id))
    admin.post(
        f"/admin/learners/{c.id}/attempts/reset",
        data={"attempt": attempt.id, "reason": "Provider allows another try"},
    )
    with app.app_context():
        enrolment = db.session.get(Enrolment, attempt.enrolment_id)
        retakes.ensure_can_draw(enrolment.course, enrolment)  # no longer refused
