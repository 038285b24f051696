"""Linking: a learner an LMS launch opened joins that account to the one they made here.

The platform is played over real HTTP, as in ``test_interop_lti``; the learner's browser
is Flask's test client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.auth.signin import WRONG_CREDENTIALS
from course.extensions import db
from course.models import (
    AuditEvent,
    Certificate,
    Enrolment,
    LessonProgress,
    LtiGradeTarget,
    LtiIdentity,
    LtiPlatform,
    Role,
    User,
)
from tests.course.certificate_kit import quick
from tests.course.factories import PASSWORD, import_course, make_user, sign_in, sign_in_failures
from tests.course.journey import finish_lessons
from tests.interop.lti_platform import PlayedPlatform, start
from tests.interop.test_interop_lti import BASE, _finish_course, launch
from tests.smtp_sink import Inbox, plain_text

OWN = "ana@example.org"


@pytest.fixture
def platform(app: Flask, package_copy: Path) -> Iterator[PlayedPlatform]:
    """A running platform, registered with the tool, and the course it launches."""
    app.config["BASE_URL"] = BASE
    played = PlayedPlatform()
    server, thread = start(played)
    with app.app_context():
        import_course(quick(package_copy))
        db.session.add(LtiPlatform(**played.registration()))
        db.session.commit()
    played.tool_jwks = app.test_client().get("/lti/jwks.json").get_json()
    yield played
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _own_account(app: Flask, role: Role = Role.LEARNER) -> int:
    with app.app_context():
        return make_user(role, email=OWN, full_name="Ana Ruiz").id


def _launched(client: FlaskClient, platform: PlayedPlatform, sub: str = "moodle-user-17") -> int:
    """Launch as an LMS learner; return the account the launch signed in."""
    response, _ = launch(client, platform, sub)
    assert response.status_code == 302, response.get_data(as_text=True)
    with client.application.app_context():
        return db.session.scalar(select(LtiIdentity.user_id).where(LtiIdentity.subject == sub))


def _link(client: FlaskClient, password: str = PASSWORD, email: str = OWN):
    return client.post("/lti/link", data={"email": email, "password": password})


def _signed_in_as(client: FlaskClient) -> str:
    page = client.get("/auth/profile")
    assert page.status_code == 200, page.location
    return page.get_data(as_text=True)


def test_a_learner_links_the_lms_account_and_every_later_launch_opens_their_own(
    app: Flask, client: FlaskClient, platform: PlayedPlatform, inbox: Inbox
) -> None:
    own = _own_account(app)
    lms = _launched(client, platform)
    course_page = client.get("/courses/minimal").get_data(as_text=True)
    assert "Already made an account on this site yourself?" in course_page
    assert 'href="/lti/link"' in course_page
    with app.app_context():
        finish_lessons(client, "minimal")  # work done under the LMS account moves too

    offer = client.get("/lti/link")
    assert offer.status_code == 200
    assert platform.registration()["name"] in offer.get_data(as_text=True)
    wrong = _link(client, password="not the password at all")
    assert wrong.status_code == 200
    assert WRONG_CREDENTIALS in wrong.get_data(as_text=True)
    with app.app_context():  # nothing moved on a wrong password, which counts as a guess
        assert db.session.scalar(select(LtiIdentity.user_id)) == lms
        assert sign_in_failures(OWN, scope="account") == 1

    linked = _link(client)
    assert linked.status_code == 302 and linked.location == "/me"
    transcript = client.get("/me").get_data(as_text=True)
    assert "Your accounts are linked" in transcript and OWN in transcript
    assert OWN in _signed_in_as(client)
    with app.app_context():
        assert db.session.scalar(select(LtiIdentity.user_id)) == own
        enrolment = db.session.scalar(select(Enrolment))
        assert enrolment.user_id == own
        assert db.session.scalar(select(func.count(LessonProgress.id)).where(
            LessonProgress.enrolment_id == enrolment.id, LessonProgress.completed_at.is_not(None)))
        assert {t.user_id for t in db.session.scalars(select(LtiGradeTarget))} == {own}
        closed = db.session.get(User, lms)
        assert not closed.is_active and closed.email.endswith("@lti.invalid")
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "lti.account_linked"))
        assert event.actor_id == own and event.detail["lms_account"] == lms
        assert event.ip_address
    mail = inbox.next_to(OWN)
    assert "is now opened from Agency Moodle" in mail["Subject"]
    assert "What you had done in Youth Who Run" in plain_text(mail)
    assert "If you did not do this" in plain_text(mail)

    # The same form sent again, now as the linked account: back to the profile, no error.
    assert _link(client).location == "/auth/profile"
    # A later launch, in another browser, opens the learner's own account.
    other = app.test_client()
    assert _launched(other, platform) == own
    assert OWN in _signed_in_as(other)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2


def test_an_empty_lms_enrollment_gives_way_to_the_course_begun_in_the_own_account(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    _study_in_own_account(app, own)
    _launched(client, platform)
    assert _link(client).status_code == 302
    with app.app_context():
        [enrolment] = db.session.scalars(select(Enrolment))
        assert enrolment.user_id == own
        assert db.session.scalar(select(func.count(LessonProgress.id))) >= 1


def _study_in_own_account(app: Flask, own: int) -> None:
    """Enroll the learner's own account, signed in with its password, and finish the lessons."""
    mine = app.test_client()
    with app.app_context():
        sign_in(mine, db.session.get(User, own))
        assert mine.post("/courses/minimal/enroll").status_code == 302
        finish_lessons(mine, "minimal")


def _nothing_moved(app: Flask, lms: int) -> None:
    with app.app_context():
        assert set(db.session.scalars(select(LtiIdentity.user_id))) == {lms}
        assert db.session.get(User, lms).is_active


def test_linking_is_refused_plainly_when_both_accounts_began_the_course(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    _study_in_own_account(app, own)
    lms = _launched(client, platform)
    with app.app_context():
        finish_lessons(client, "minimal")
    refused = _link(client)
    assert refused.status_code == 409
    assert "Both accounts have begun" in refused.get_data(as_text=True)
    _nothing_moved(app, lms)
    assert OWN not in _signed_in_as(client)


def test_staff_accounts_and_accounts_another_lms_user_opens_are_not_linked(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    _own_account(app, Role.AUTHOR)
    lms = _launched(client, platform)
    refused = _link(client)
    assert refused.status_code == 409 and "authors or runs courses" in refused.get_data(
        as_text=True)
    _nothing_moved(app, lms)

    # A second user of the same LMS links to an account the first is linked to already.
    with app.app_context():
        db.session.scalar(select(User).where(User.email == OWN)).role = Role.LEARNER
        db.session.commit()
    assert _link(client).status_code == 302
    second = app.test_client()
    _launched(second, platform, sub="moodle-user-18")
    refused = _link(second)
    assert refused.status_code == 409 and "another user of" in refused.get_data(as_text=True)


def test_an_lms_account_holding_a_certificate_is_not_offered_the_form(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    lms = _launched(client, platform)
    _finish_course(app, client)
    with app.app_context():
        assert db.session.scalar(select(Certificate.user_id)) == lms
    page = client.get("/lti/link")
    assert "already holds a certificate" in page.get_data(as_text=True)
    assert 'name="password"' not in page.get_data(as_text=True)
    _own_account(app)
    assert _link(client).status_code == 409
    _nothing_moved(app, lms)


def test_only_a_signed_in_lms_account_reaches_the_form(app: Flask, client: FlaskClient) -> None:
    assert "/auth/login" in client.get("/lti/link").location
    _own_account(app)
    client.post("/auth/login", data={"email": OWN, "password": PASSWORD})
    assert client.get("/lti/link").location == "/auth/profile"
