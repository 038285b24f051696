"""A learner's own data: download it all, or delete the account and keep the credit records."""

from __future__ import annotations

import time
from urllib.parse import unquote

from sqlalchemy import func, select

from course.admin.evaluation_report import evaluation_results
from course.auth.passwords import verify_password
from course.db import utcnow
from course.extensions import db
from course.models import (
    AuditEvent,
    Certificate,
    CheckResponse,
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationItem,
    OutboxMessage,
    OutgoingMail,
    Role,
    User,
)
from tests.course.factories import (
    PASSWORD,
    all_sign_in_failures,
    make_user,
    register_by_mail,
    sign_in,
)
from tests.course.test_maintenance import (  # noqa: F401
    complete_course,
    package,
    snapshot,
    start_course,
)

ADA = {
    "full_name": "Ada Lovelace",
    "email": "ada@example.org",
    "licence_number": "LSW-1815",
    "licence_jurisdiction": "Ohio",
    "profession": "Social worker",
}
CREDIT_TABLES = (
    "enrolment",
    "lesson_progress",
    "check_response",
    "post_test_attempt",
    "attempt_answer",
    "evaluation_response",
    "certificate",
)


def _fresh(client, email: str = "ada@example.org"):
    """Sign in through the form: profile pages want a fresh password sign-in."""
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _confirm(client, password: str = PASSWORD, understood: bool = True):
    data = {"password": password}
    if understood:
        data["understood"] = "y"
    return client.post("/auth/delete", data=data)


# --- download -------------------------------------------------------------------------------


def test_a_learner_downloads_everything_held_about_them(app, package):  # noqa: F811
    learner, client, code = complete_course(app, package, **ADA)
    _fresh(client)
    assert "Download my data" in client.get("/auth/profile").get_data(as_text=True)
    started = time.perf_counter()
    response = client.get("/auth/profile/my-data.json")
    assert time.perf_counter() - started < 5
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_json()

    assert (data["format"], data["version"]) == ("ce-course-engine/learner-data", 2)
    assert data["profile"]["email"] == "ada@example.org"
    assert data["profile"]["license_number"] == "LSW-1815"
    (enrolment,) = data["enrollments"]
    assert enrolment["course"]["slug"] == "minimal" and enrolment["completed_at"]
    assert len(enrolment["lessons"]) == 2
    assert all(lesson["completed_at"] for lesson in enrolment["lessons"])
    with app.app_context():
        stored_checks = db.session.scalar(select(func.count()).select_from(CheckResponse))
    answers = enrolment["knowledge_check_answers"]
    assert len(answers) == stored_checks > 0
    assert answers[0]["question"]["prompt"] and "<" not in answers[0]["question"]["prompt"]
    assert answers[0]["selected"][0]["text"]
    (attempt,) = enrolment["post_test_attempts"]
    assert attempt["passed"] and attempt["score_percent"] == 100
    assert len(attempt["answers"]) == attempt["questions"] == 10
    comments = {a["item"]: a["answer"] for a in enrolment["evaluation"]["answers"]}
    assert comments["comments"] == "Helpful, thank you."
    (certificate,) = enrolment["certificates"]
    assert certificate["code"] == code and certificate["status"] == "valid"
    assert unquote(certificate["verify_url"]).endswith(f"/verify/{code}")
    assert certificate["as_issued"]["participant_name"] == "Ada Lovelace"
    assert data["sign_ins"] and all(s["signed_in_at"] for s in data["sign_ins"])
    assert not any("token" in key for s in data["sign_ins"] for key in s)


def test_the_download_holds_only_the_owners_data_and_needs_a_sign_in(app, package):  # noqa: F811
    _, _, code = complete_course(app, package, **ADA)
    _, other = start_course(app, package, email="bo@example.org")
    _fresh(other, "bo@example.org")
    body = other.get("/auth/profile/my-data.json").get_data(as_text=True)
    assert "bo@example.org" in body
    assert "ada@example.org" not in body and code not in body and "Lovelace" not in body
    anonymous = app.test_client().get("/auth/profile/my-data.json")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location


# --- deletion -------------------------------------------------------------------------------


def test_the_confirmation_page_says_what_is_kept_and_why(app, package):  # noqa: F811
    _, client, code = complete_course(app, package, **ADA)
    _fresh(client)
    assert "Delete my account" in client.get("/auth/profile").get_data(as_text=True)
    page = client.get("/auth/delete").get_data(as_text=True)
    assert "What is deleted now" in page and "What is kept, and why" in page
    assert "at least 6 years" in page and "licensing board" in page
    assert "Certificates already issued keep the name and license number" in page
    assert code in page and "can still revoke" in page
    assert "download your data" in page and 'type="password"' in page


def test_deleting_needs_the_password_and_the_tick(app, package):  # noqa: F811
    learner, client = start_course(app, package, **ADA)
    _fresh(client)
    wrong = _confirm(client, password="not my password at all")
    assert wrong.status_code == 200
    assert "That is not your current password" in wrong.get_data(as_text=True)
    unticked = _confirm(client, understood=False)
    assert "Check the box" in unticked.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert user.email == "ada@example.org" and user.deleted_at is None
        assert all_sign_in_failures() == 1  # a wrong password counts, as at sign-in
    assert client.get("/auth/profile").status_code == 200


def test_deleting_an_account_pseudonymises_it_and_keeps_the_credit_records(app, package, inbox):  # noqa: F811, E501
    learner, client, code = complete_course(app, package, **ADA)
    _fresh(client)
    other_device = sign_in(app.test_client(), learner)
    assert other_device.get("/me").status_code == 200
    with app.app_context():
        before = snapshot()
    response = _confirm(client)
    assert response.status_code == 302
    assert "Your account is deleted" in client.get(response.location).get_data(as_text=True)

    with app.app_context():
        user = db.session.get(User, learner.id)
        assert user.email == f"deleted-{user.id}@invalid"
        assert user.full_name == f"Deleted learner {user.id}"
        assert (user.licence_number, user.licence_jurisdiction, user.profession) == (None,) * 3
        assert not user.active and user.deleted_at is not None
        assert user.session_version > learner.session_version
        assert not verify_password(user.password_hash, PASSWORD)
        after = snapshot()
        for table in CREDIT_TABLES:
            assert after[table] == before[table], table
        answers = dict(
            db.session.execute(
                select(EvaluationItem.key, EvaluationAnswer.value).join(EvaluationItem)
            ).all()
        )
        assert answers["comments"] == "" and answers["eval-lo1"] == "4"
        # The reports say why the comment is empty: a blank row read as one left blank.
        course = db.session.scalar(select(Course))
        comments = next(s for s in evaluation_results(course) if s.item.key == "comments")
        assert comments.comments == ["[removed when the learner's account was deleted]"]
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")
        )
        assert event.actor_id == user.id and event.subject_id == str(user.id)
        assert event.detail["certificates_kept"] == 1 and event.detail["comments_cleared"] == 1
        assert "ada@example.org" not in str(event.detail)

    for device in (client, other_device):  # signed out everywhere
        assert device.get("/me").status_code == 302
    sign_in_again = app.test_client().post(
        "/auth/login", data={"email": "ada@example.org", "password": PASSWORD}
    )
    assert "do not match an account" in sign_in_again.get_data(as_text=True)
    verified = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "Sample certificate" in verified and "Ada Lovelace" in verified

    fresh = app.test_client()
    again = {"full_name": "Ada Lovelace", "email": "ada@example.org", "password": PASSWORD}
    assert register_by_mail(fresh, inbox, again).status_code == 302
    with app.app_context():
        new = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert new is not None
        assert new.id != learner.id
        assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == new.id)) is None
    assert code not in fresh.get("/auth/profile/my-data.json").get_data(as_text=True)


def test_mail_the_server_refused_for_good_goes_with_the_account(app, package):  # noqa: F811
    learner, client, _code = complete_course(app, package, **ADA)
    _fresh(client)
    with app.app_context():
        failed = {"subject": "Reset your password", "body": "A link", "failed_at": utcnow(),
                  "next_attempt_at": utcnow(), "last_error": "550 no such mailbox"}
        for address in ("Ada@Example.org", "someone.else@example.org"):
            db.session.add(OutgoingMail(to_address=address, **failed))
        db.session.commit()
    assert _confirm(client).status_code == 302
    with app.app_context():
        kept = db.session.scalars(select(OutgoingMail.to_address)).all()
        assert "Ada@Example.org" not in kept and "someone.else@example.org" in kept


def test_an_earned_certificate_never_opened_is_issued_before_the_name_goes(app, package):  # noqa: F811
    learner, client, _ = complete_course(app, package, **ADA)
    with app.app_context():  # as if the learner never opened the certificate page
        db.session.execute(AuditEvent.__table__.delete())
        db.session.execute(Certificate.__table__.delete())
        db.session.commit()
    _fresh(client)
    page = client.get("/auth/delete").get_data(as_text=True)
    assert "we issue it now" in page
    assert _confirm(client).status_code == 302
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert certificate.user_id == learner.id
        assert certificate.snapshot["participant_name"] == "Ada Lovelace"
        assert certificate.snapshot["licence_number"] == "LSW-1815"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")
        )
        assert event.detail["certificates_issued"] == [certificate.code]


def test_staff_accounts_are_not_deleted_here(app):
    with app.app_context():
        admin = make_user(role=Role.ADMIN, email="admin@example.org")
    client = _fresh(app.test_client(), "admin@example.org")
    page = client.get("/auth/delete").get_data(as_text=True)
    assert "ask another administrator" in page and 'type="password"' not in page
    refused = _confirm(client)
    assert refused.status_code == 200 and "ask another administrator" in refused.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(User, admin.id).deleted_at is None


# --- statements for a learning record store ---------------------------------------------------


def _statement_actors(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "xapi"))
        return [row.payload["actor"] for row in rows]


def test_statements_about_a_learner_are_in_the_download_and_lose_the_name_on_deletion(
    app, package  # noqa: F811
):
    # The provider sends email addresses to its LRS: the hardest case to forget.
    app.config.update(XAPI_ENABLED=True, XAPI_ENDPOINT="http://127.0.0.1:9/xapi",
                      XAPI_ACTOR_EMAIL=True)
    learner, client, _ = complete_course(app, package, **ADA)
    _, other = start_course(app, package, email="bo@example.org")
    _fresh(client)
    data = client.get("/auth/profile/my-data.json").get_json()
    statements = data["learning_record_statements"]
    verbs = {s["statement"]["verb"]["display"]["en-US"] for s in statements}
    assert {"registered", "completed", "passed"} <= verbs
    assert all(s["statement"]["actor"]["mbox"] == "mailto:ada@example.org" for s in statements)
    assert all(s["sent_at"] is None for s in statements)  # no worker ran: still waiting

    assert _confirm(client).status_code == 302
    actors = _statement_actors(app)
    ours = [a for a in actors if a.get("account", {}).get("name") == str(learner.id)]
    assert len(ours) == len(statements)
    assert {a["name"] for a in ours} == {f"Deleted learner {learner.id}"}
    assert not any("ada" in str(a).lower() or "Lovelace" in str(a) for a in actors)
    # The other learner's statements keep their name and address.
    assert any(a.get("mbox") == "mailto:bo@example.org" for a in actors)
