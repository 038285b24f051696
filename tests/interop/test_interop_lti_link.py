"""Linking: a learner an LMS launch opened joins that account to the one they made here.

The platform is played over real HTTP, as in ``test_interop_lti``; the learner's browser
is Flask's test client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.admin.account_actions import ActionRefused, change_role
from course.auth.signin import WRONG_CREDENTIALS
from course.db import utcnow
from course.extensions import db
from course.lti.linking import LAUNCHED_AT
from course.models import (
    AuditEvent,
    Certificate,
    Enrolment,
    LessonProgress,
    LtiGradeTarget,
    LtiIdentity,
    LtiPlatform,
    OutboxMessage,
    Role,
    SecondFactor,
    User,
)
from tests.course.factories import PASSWORD, make_user, sign_in, sign_in_failures
from tests.course.journey import finish_lessons
from tests.course.test_auth_two_factor import enroll
from tests.interop.conftest import LTI_BASE
from tests.interop.lti_platform import PlayedPlatform
from tests.interop.test_interop_lti import _finish_course, launch
from tests.smtp_sink import Inbox, plain_text

OWN = "ana@example.org"



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
    app.config["XAPI_ENABLED"] = True  # statements are kept, to be sent when an LRS is set
    own = _own_account(app)
    lms = _launched(client, platform)
    course_page = client.get("/courses/minimal").get_data(as_text=True)
    assert "Already made an account on this site yourself?" in course_page
    assert 'href="/lti/link"' in course_page
    with app.app_context():
        finish_lessons(client, "minimal")  # work done under the LMS account moves too
        db.session.get(User, lms).licence_number = "LCSW-777"  # typed on the LMS profile
        db.session.commit()
        statements = db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.user_id == lms, OutboxMessage.channel == "xapi"))

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
        assert db.session.get(User, own).licence_number == "LCSW-777"
        # The statements about the LMS account are the learner's: in their data download,
        # and pseudonymized should they delete the account.
        assert statements and db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.user_id == own, OutboxMessage.channel == "xapi")) == statements
        closed = db.session.get(User, lms)
        assert not closed.is_active and closed.email == f"linked-{lms}-to-{own}@lti.invalid"
        assert "Jordan" not in closed.full_name and closed.licence_number is None
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "lti.account_linked"))
        assert event.actor_id == own and event.detail["lms_account"] == lms
        assert event.detail["lms_users"][0]["sub"] == "moodle-user-17"
        assert event.detail["enrollments_moved"] == [enrolment.id]
        assert event.ip_address
        assert db.session.scalar(select(AuditEvent.subject_id).where(
            AuditEvent.action == "lti.account_closed")) == str(lms)
    mail = inbox.next_to(OWN)
    assert "is now opened from Agency Moodle" in mail["Subject"]
    assert "What you had done in Youth Who Run" in plain_text(mail)
    assert "choose \"Unlink\" beside Agency Moodle" in plain_text(mail)

    admin = app.test_client()
    with app.app_context():
        sign_in(admin, make_user(Role.ADMIN, email="admin@example.org"))
    record = admin.get(f"/admin/learners/{own}").get_data(as_text=True)
    assert "Opened from" in record and "Agency Moodle (first" in record

    # The same form sent again, now as the linked account: to the profile, no error.
    assert _link(client).location == "/auth/profile#learning-systems"
    # A later launch, in another browser, opens the learner's own account.
    other = app.test_client()
    assert _launched(other, platform) == own
    assert OWN in _signed_in_as(other)
    with app.app_context():  # the learner's two accounts, and the admin's
        assert db.session.scalar(select(func.count(User.id))) == 3


def test_the_owner_sees_the_link_on_the_profile_and_undoes_it_with_the_password(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    _launched(client, platform)
    assert _link(client).status_code == 302
    profile = _signed_in_as(client)
    assert "Learning systems that open this account" in profile
    assert f'href="/lti/unlink/{_platform_id(app)}"' in profile
    path = f"/lti/unlink/{_platform_id(app)}"
    assert client.get(path).status_code == 200
    assert client.post(path, data={"password": "wrong password here"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(LtiIdentity.user_id)) == own
    done = client.post(path, data={"password": PASSWORD})
    assert done.location == "/auth/profile"
    assert "no longer opens your account" in _signed_in_as(client)
    with app.app_context():
        assert db.session.scalar(select(LtiIdentity)) is None
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "lti.account_unlinked"))
    # The LMS user's next launch makes a new, empty account: the link is gone for good.
    assert _launched(app.test_client(), platform) not in (own, None)
    assert client.get(path).status_code == 404


def _platform_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(LtiPlatform.id))


def test_a_course_finished_in_the_own_account_sends_its_grade_to_the_lms_on_linking(
    app: Flask, client: FlaskClient, runner, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    mine = app.test_client()
    with app.app_context():
        sign_in(mine, db.session.get(User, own))
    assert mine.post("/courses/minimal/enroll").status_code == 302
    _finish_course(app, mine)
    _launched(client, platform)
    assert _link(client).status_code == 302
    sent = runner.invoke(args=["outbox", "send"])
    assert "lti: 1 sent" in sent.output, sent.output
    [completion] = platform.scores
    assert completion["userId"] == "moodle-user-17"
    assert completion["activityProgress"] == "Completed"


def test_an_empty_enrollment_on_either_side_gives_way_to_the_one_with_work(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    _study_in_own_account(app, own)
    _launched(client, platform)  # enrolled here, nothing done
    assert _link(client).status_code == 302
    with app.app_context():
        [enrolment] = db.session.scalars(select(Enrolment))
        assert enrolment.user_id == own and enrolment.progress

    # The other way round: the account made here only enrolled, the LMS one did the work.
    second, other = app.test_client(), "bo@example.org"
    with app.app_context():
        bo = make_user(email=other, full_name="Bo Lee").id
        sign_in(second, db.session.get(User, bo))
    assert second.post("/courses/minimal/enroll").status_code == 302
    lms = app.test_client()
    _launched(lms, platform, sub="moodle-user-18")
    with app.app_context():
        finish_lessons(lms, "minimal")
    assert _link(lms, email=other).status_code == 302
    with app.app_context():
        kept = db.session.scalar(select(Enrolment).where(Enrolment.user_id == bo))
        assert any(p.completed_at for p in kept.progress)


def _study_in_own_account(app: Flask, own: int) -> None:
    """Enroll the learner's own account, signed in with its password, and finish the lessons."""
    mine = app.test_client()
    with app.app_context():
        sign_in(mine, db.session.get(User, own))
        assert mine.post("/courses/minimal/enroll").status_code == 302
        finish_lessons(mine, "minimal")


def _nothing_moved(app: Flask, lms: int) -> None:
    with app.app_context():
        assert db.session.get(User, lms).is_active
        assert lms in set(db.session.scalars(select(LtiIdentity.user_id)))
        linked = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "lti.account_linked"))
        assert lms not in {detail["lms_account"] for detail in linked}


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
    page = refused.get_data(as_text=True)
    assert "Both accounts have begun" in page and "nothing was changed" in page
    assert 'role="alert"' in page and "<title>Error: " in page
    _nothing_moved(app, lms)
    assert OWN not in _signed_in_as(client)


def test_staff_accounts_are_not_linked_and_their_owner_hears_of_the_try(
    app: Flask, client: FlaskClient, platform: PlayedPlatform, inbox: Inbox
) -> None:
    _own_account(app, Role.AUTHOR)
    lms = _launched(client, platform)
    refused = _link(client)
    assert refused.status_code == 409
    assert "authors or runs courses" in refused.get_data(as_text=True)
    _nothing_moved(app, lms)
    with app.app_context():  # the right password was typed: kept in the log all the same
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "lti.link_refused"))
        assert event.actor_id == lms and event.detail["target_role"] == "author"
    assert "was used from a learning system" in inbox.next_to(OWN)["Subject"]


def test_an_account_another_user_of_the_lms_opens_is_not_linked_again(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    _own_account(app)
    _launched(client, platform)
    assert _link(client).status_code == 302
    second = app.test_client()
    lms = _launched(second, platform, sub="moodle-user-18")
    refused = _link(second)
    assert refused.status_code == 409
    assert "another user of Agency Moodle" in refused.get_data(as_text=True)
    _nothing_moved(app, lms)


def test_a_linked_account_made_an_author_later_is_not_opened_by_the_lms(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    lms = _launched(app.test_client(), platform, sub="moodle-user-18")  # never linked
    _launched(client, platform)
    assert _link(client).status_code == 302
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.org")
        # An admin is told why not, for the linked account and for one the LMS made.
        for account, why in ((own, "open this account without a password"),
                             (lms, "it has no password")):
            with pytest.raises(ActionRefused, match=why):
                change_role(admin, db.session.get(User, account), Role.AUTHOR)
        db.session.rollback()
        # Made an admin some other way (straight in the database): launches still refuse.
        db.session.get(User, own).role = Role.ADMIN
        db.session.commit()
    fresh = app.test_client()
    response, _ = launch(fresh, platform)
    assert response.status_code == 400
    assert "authors or runs courses" in response.get_data(as_text=True)
    assert fresh.get("/admin/").status_code != 200


def test_linking_needs_a_recent_launch_so_an_unattended_session_cannot_be_taken(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    _own_account(app)
    lms = _launched(client, platform)
    with client.session_transaction() as session:  # the launch, 16 minutes ago
        session[LAUNCHED_AT] = int((utcnow() - timedelta(minutes=16)).timestamp())
    page = client.get("/lti/link").get_data(as_text=True)
    assert "within 15 minutes of opening a course from Agency Moodle" in page
    assert 'name="password"' not in page
    assert _link(client).status_code == 409
    _nothing_moved(app, lms)
    # The same LMS user launching at their own desk does not reopen this browser's.
    assert _launched(app.test_client(), platform) == lms
    assert _link(client).status_code == 409
    _nothing_moved(app, lms)
    _launched(client, platform)  # opened again from the LMS in this browser: it links
    assert _link(client).status_code == 302


def test_unlinking_signs_out_the_browsers_the_learning_system_opened(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    _own_account(app)
    _launched(client, platform)
    assert _link(client).status_code == 302
    lms_browser = app.test_client()
    _launched(lms_browser, platform)  # someone else, through the LMS
    assert OWN in _signed_in_as(lms_browser)
    path = f"/lti/unlink/{_platform_id(app)}"
    assert client.post(path, data={"password": PASSWORD}).status_code == 302
    assert lms_browser.get("/auth/profile").status_code == 302  # signed out
    assert OWN in _signed_in_as(client)  # this browser stays


def test_unlinked_then_linked_again_the_grades_still_reach_the_lms(
    app: Flask, client: FlaskClient, runner, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    _launched(client, platform)
    assert _link(client).status_code == 302
    path = f"/lti/unlink/{_platform_id(app)}"
    assert client.post(path, data={"password": PASSWORD}).status_code == 302
    again = app.test_client()
    _launched(again, platform)  # a new LMS account, then linked to the own one again
    assert _link(again).status_code == 302
    _finish_course(app, again)
    with app.app_context():
        [grade] = db.session.scalars(select(LtiGradeTarget).where(LtiGradeTarget.user_id == own))
        assert grade.subject == "moodle-user-17"
    runner.invoke(args=["outbox", "send"])
    assert [s["activityProgress"] for s in platform.scores][-1] == "Completed"


def test_an_lms_account_holding_a_certificate_is_not_offered_the_form(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    lms = _launched(client, platform)
    _finish_course(app, client)
    with app.app_context():
        assert db.session.scalar(select(Certificate.user_id)) == lms
    page = client.get("/lti/link")
    assert "holds a certificate" in page.get_data(as_text=True)
    assert 'name="password"' not in page.get_data(as_text=True)
    _own_account(app)
    assert _link(client).status_code == 409
    _nothing_moved(app, lms)


def test_a_grade_target_of_another_lms_is_kept_when_linking(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    lms = _launched(client, platform)
    with app.app_context():
        course_id, other = db.session.scalar(select(Enrolment.course_id)), LtiPlatform(
            **{**platform.registration(), "name": "Canvas", "client_id": "canvas-client"})
        db.session.add(other)
        db.session.flush()
        db.session.add(LtiGradeTarget(user_id=own, course_id=course_id, platform_id=other.id,
                                      subject="canvas-9", lineitem_url="https://canvas/li/1"))
        mine = db.session.scalar(select(LtiGradeTarget).where(LtiGradeTarget.user_id == lms))
        # Each names its column by line item only: the other column of each is empty.
        assert mine.lineitem_url and mine.resource_link_id is None
        platforms = {other.id, mine.platform_id}
        db.session.commit()
    assert _link(client).status_code == 302
    with app.app_context():
        assert {t.platform_id for t in db.session.scalars(
            select(LtiGradeTarget).where(LtiGradeTarget.user_id == own))} == platforms


def test_only_a_signed_in_lms_account_reaches_the_form(app: Flask, client: FlaskClient) -> None:
    assert "/auth/login" in client.get("/lti/link").location
    _own_account(app)
    client.post("/auth/login", data={"email": OWN, "password": PASSWORD})
    assert client.get("/lti/link").location == "/auth/profile#learning-systems"


def test_passwords_tried_here_and_at_sign_in_share_one_count_per_address(
    app: Flask, app_builder: Callable[..., Flask], tmp_path: Path, platform: PlayedPlatform
) -> None:
    # Rate limits are set when an app is built: a second app on the same database.
    limited = app_builder(tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                          BASE_URL=LTI_BASE)
    _own_account(app)
    browser = limited.test_client()
    _launched(browser, platform)
    guesser = limited.test_client()  # another browser at the same address
    for _ in range(2):
        wrong = guesser.post("/auth/login", data={"email": OWN, "password": "a guess"})
        assert WRONG_CREDENTIALS in wrong.get_data(as_text=True)
    assert _link(browser, password="a third guess").status_code == 200  # the third try
    assert guesser.post("/auth/login", data={"email": OWN, "password": "x"}).status_code == 429
    refused = _link(browser)
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)


def test_an_account_with_two_step_verification_is_not_linked_by_its_password_alone(
    app: Flask, client: FlaskClient, platform: PlayedPlatform, inbox: Inbox
) -> None:
    own = _own_account(app, Role.AUTHOR)
    staff = app.test_client()
    staff.post("/auth/login", data={"email": OWN, "password": PASSWORD})
    enroll(staff)  # the author sets up an authenticator app, then is made a learner again
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.org")
        change_role(admin, db.session.get(User, own), Role.LEARNER)
        db.session.commit()
    lms = _launched(client, platform)
    refused = _link(client)
    assert refused.status_code == 409
    assert "two-step verification on" in refused.get_data(as_text=True)
    _nothing_moved(app, lms)
    assert OWN not in _signed_in_as(client)  # the password alone signed nobody in
    assert "was used from a learning system" in inbox.next_to(OWN)["Subject"]


def test_a_linked_account_that_has_a_second_factor_is_not_opened_by_the_lms(
    app: Flask, client: FlaskClient, platform: PlayedPlatform
) -> None:
    own = _own_account(app)
    _launched(client, platform)
    assert _link(client).status_code == 302
    with app.app_context():  # got one some other way (straight in the database)
        db.session.add(SecondFactor(user_id=own, secret="not read here", last_step=0))
        db.session.commit()
    fresh = app.test_client()
    response, _ = launch(fresh, platform)
    assert response.status_code == 400
    assert "two-step verification" in response.get_data(as_text=True)
    assert fresh.get("/auth/profile").status_code != 200
