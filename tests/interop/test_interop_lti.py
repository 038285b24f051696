"""LTI 1.3: an agency's LMS (played by the tests, over real HTTP) launches a course and
gets the learner's score back through Assignment and Grade Services."""

from __future__ import annotations

import hashlib
import html
import re
import socket
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from course import certificate_changes
from course.db import utcnow, write_transaction
from course.extensions import db
from course.lti import ags
from course.models import (
    AuditEvent,
    Certificate,
    Course,
    Enrolment,
    LtiGradeTarget,
    LtiIdentity,
    LtiLinkLineItem,
    LtiLogin,
    LtiPlatform,
    OutboxMessage,
    Role,
    User,
)
from course.outbox import worker
from course.outbox.worker import send_due
from tests.course.factories import make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt
from tests.interop.conftest import LTI_BASE
from tests.interop.lti_platform import (
    AGS,
    LINEITEM_SCOPE,
    LTI,
    SCORE_SCOPE,
    PlayedPlatform,
    auto_post_form,
)

BASE = LTI_BASE
COURSE_URL = f"{BASE}/courses/minimal"



def _begin(client: FlaskClient, platform: PlayedPlatform, sub: str) -> str:
    """Play the browser through login initiation; return the platform's auth URL."""
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": sub, "target_link_uri": COURSE_URL,
        "lti_message_hint": COURSE_URL, "client_id": platform.client_id,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.startswith(platform.url + "/auth?")
    return response.location


def _authorize(auth_url: str) -> dict[str, str]:
    with urllib.request.urlopen(auth_url, timeout=10) as reply:
        return auto_post_form(reply.read().decode())


def launch(client: FlaskClient, platform: PlayedPlatform, sub: str = "moodle-user-17"):
    """A whole launch: login initiation, the platform's form post, the launch."""
    form = _authorize(_begin(client, platform, sub))
    return client.post("/lti/launch", data=form), form


def test_a_full_launch_signs_the_learner_in_and_opens_the_course(app, client, platform):
    response, _ = launch(client, platform)
    assert response.status_code == 302
    assert response.location.endswith("/courses/minimal")
    me = client.get("/me")  # signed in: the transcript opens instead of the sign-in page
    assert me.status_code == 200 and "My transcript" in me.get_data(as_text=True)
    with app.app_context():
        identity = db.session.scalar(select(LtiIdentity))
        assert identity.subject == "moodle-user-17"
        user = identity.user
        assert user.full_name == "Jordan Rivera" and user.role == Role.LEARNER
        # The platform's email claim is not trusted for the account.
        assert user.email.endswith("@lti.invalid")
        assert user.password_hash.startswith("!")
        assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    again, _ = launch(app.test_client(), platform)
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_learner_whose_account_was_deactivated_here_is_told_where_that_is_undone(
    app, client, platform
):
    assert launch(client, platform)[0].status_code == 302
    with app.app_context():
        db.session.execute(update(User).values(active=False))
        db.session.commit()
    response, _ = launch(app.test_client(), platform)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    # The page goes to the training coordinator, who runs the LMS: the fix is not theirs.
    assert ("was deactivated by the administrators of this site, so the course does not open "
            "for it. Nothing in the LMS needs changing") in page
    assert "Administration, Learners (\u201cReactivate account\u201d)" in page


def test_a_test_student_is_told_the_connection_works_and_gets_no_record(app, client, platform):
    platform.overrides = {LTI + "roles": [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"]}
    response, _ = launch(client, platform)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "The connection works" in page
    # Not dressed as a failure to report: nothing is wrong with the connection.
    assert "<h1>The connection to this course works</h1>" in page
    assert "could not open" not in page and "If this keeps happening" not in page
    with app.app_context():  # no account, no enrollment, nothing for a registry
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def _staff_page(client: FlaskClient, launched):
    """Follow a staff launch's hand-over to the page of this site that says how it is set up."""
    assert launched.status_code == 303, launched.get_data(as_text=True)
    return client.get(launched.location)


def test_an_instructor_checking_the_link_sees_how_it_is_set_up_and_leaves_no_record(
        app, client, platform):
    platform.overrides = {LTI + "roles": [MEMBERSHIP + "#Instructor"], "name": None}
    launched, form = launch(client, platform, sub="moodle-teacher-3")
    # The cross-site POST carries no session cookie: it writes none (which would sign out
    # whoever is signed in here) and hands over to a page of this site.
    assert "session=" not in " ".join(launched.headers.getlist("Set-Cookie"))
    response = _staff_page(client, launched)
    page = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 200
    assert "This course is connected to Agency Moodle" in page and "as an instructor" in page
    assert "results go to this link's column" in page  # the played link grants scores
    assert "did not share your name" in page  # the platform was set to share none
    assert 'href="/courses/minimal"' in page
    assert 'href="/courses/minimal/preview">Preview the lessons' in page
    assert client.get("/me").status_code == 302  # nobody was signed in
    # Its address opens nothing in another browser (copied, or seen over a shoulder).
    elsewhere = app.test_client().get(launched.location)
    assert elsewhere.status_code == 400
    assert "Open the course from your learning system again" in elsewhere.get_data(as_text=True)
    # The preview opens in this browser's session: every lesson, each check with answers.
    lesson = client.get("/courses/minimal/preview/push-pull")
    assert lesson.status_code == 200 and "Correct answer" in lesson.get_data(as_text=True)
    assert app.test_client().get("/courses/minimal/preview/push-pull").status_code == 403
    with app.app_context():  # no account, enrollment, grade target or statement
        for model in (User, Enrolment, LtiIdentity, LtiGradeTarget, OutboxMessage):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    replayed = app.test_client()
    replayed.set_cookie(state_cookie(form["state"]), form["state"])
    again = replayed.post("/lti/launch", data=form)  # the login was spent all the same
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    # The learner reads what to do first; the reason is labelled for their coordinator.
    refusal = again.get_data(as_text=True)
    assert (refusal.index("Please go back to your agency's learning system")
            < refusal.index("Details for your training coordinator")
            < refusal.index("already used"))


def test_the_staff_page_opens_only_shortly_after_its_launch(app, client, platform):
    platform.overrides = {LTI + "roles": [MEMBERSHIP + "#Instructor"]}
    launched, _ = launch(client, platform, sub="moodle-teacher-4")
    address = launched.location
    forged = address[:-3] + ("AAA" if not address.endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 400
    later = time.time() + 11 * 60
    with mock.patch("itsdangerous.timed.time.time", return_value=later):
        expired = client.get(address)
    assert expired.status_code == 400
    assert "Open the course from your learning system again" in expired.get_data(as_text=True)
    assert client.get("/courses/minimal/preview").status_code == 403  # nothing granted


@pytest.mark.parametrize("roles", [["#Mentor"], ["#Mentor", "#Instructor"]])
def test_a_mentor_sees_how_the_link_is_set_up_but_not_the_answers(app, client, platform,
                                                                    roles):
    platform.overrides = {LTI + "roles": [MEMBERSHIP + role for role in roles]}
    response = _staff_page(client, launch(client, platform, sub="canvas-observer-4")[0])
    page = " ".join(response.get_data(as_text=True).split())
    if roles == ["#Mentor"]:  # Canvas's observer
        assert response.status_code == 200 and "as a mentor" in page
        assert "opens for those who teach or build the course, not for a mentor" in page
        assert "Preview the lessons" not in page
        assert client.get("/courses/minimal/preview/push-pull").status_code == 403
    else:  # a mentor who also teaches the course: the order of the roles does not matter
        assert "Preview the lessons" in page
        assert client.get("/courses/minimal/preview/push-pull").status_code == 200


def test_a_teaching_assistant_is_named_and_an_instructor_who_is_also_a_learner_takes_it(
        app, client, platform):
    platform.overrides = {LTI + "roles": [MEMBERSHIP + "/Instructor#TeachingAssistant"],
                          AGS: None}
    response = _staff_page(client, launch(client, platform, sub="canvas-ta-1")[0])
    page = " ".join(response.get_data(as_text=True).split())
    assert "as a teaching assistant" in page and "does not let the course send grades" in page
    assert "Jordan Rivera" not in page and "shares the person's name" in page
    platform.overrides = {LTI + "roles": [MEMBERSHIP + "#Instructor", MEMBERSHIP + "#Learner"]}
    response, _ = launch(app.test_client(), platform, sub="canvas-teacher-learner")
    assert response.status_code == 302 and response.location.endswith("/courses/minimal")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def _launched_learner_id() -> int:
    return db.session.scalars(select(LtiIdentity.user_id)).one()


def _launched_learners_name() -> str | None:
    """The name on the account the launches opened (not another account's, in any order)."""
    return db.session.get(User, _launched_learner_id()).full_name


def test_a_name_shared_later_replaces_the_stand_in_but_never_a_typed_one(app, client, platform):
    platform.overrides = {"name": None, "given_name": None, "family_name": None}
    launch(client, platform)
    with app.app_context():
        assert _launched_learners_name() == "Learner from your agency's LMS"
    platform.overrides = {"name": "Jordan Rivera"}  # the LMS admin now shares names
    launch(app.test_client(), platform)
    with app.app_context():
        assert _launched_learners_name() == "Jordan Rivera"
        db.session.execute(update(User).where(User.id == _launched_learner_id())
                           .values(full_name="Jordan A. Rivera-Lopez"))
        db.session.commit()
    platform.overrides = {"name": "J. Rivera"}
    launch(app.test_client(), platform)
    with app.app_context():  # what the learner typed for their certificate stands
        assert _launched_learners_name() == "Jordan A. Rivera-Lopez"


@pytest.mark.parametrize(
    ("claimed", "stored"),
    [("Jane \u202eHTIMS\u202c Doe", "Jane HTIMS Doe"),
     ("\u200b\u200b", "Learner from your agency's LMS"),
     ("Zoe\u0308\x07  Smith", "Zo\u00eb Smith")],
    ids=["direction-override", "invisible-only", "decomposed-with-bell"],
)
def test_a_platform_name_cannot_lie_on_certificates(app, client, platform, claimed, stored):
    platform.overrides = {"name": claimed}
    response, _ = launch(client, platform)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.full_name)) == stored


def test_an_existing_account_with_the_same_e_mail_is_never_taken_over(app, client, platform):
    with app.app_context():
        owner = make_user(email="jordan.rivera@agency.example", full_name="Real Owner")
    response, _ = launch(client, platform)
    assert response.status_code == 302
    with app.app_context():
        identity = db.session.scalar(select(LtiIdentity))
        assert identity.user_id != owner.id


def state_cookie(state: str) -> str:
    """The state cookie's name for one login: its own, named by a hash of its state."""
    return f"lti_state_{hashlib.sha256(state.encode()).hexdigest()[:16]}"


def _state_cookie(client: FlaskClient, form: dict[str, str]) -> str | None:
    """The value of the state cookie the browser holds for a launch's login, if any."""
    cookie = client.get_cookie(state_cookie(form["state"]))
    return cookie.value if cookie else None


def test_two_launches_started_at_once_in_one_browser_both_go_through(app, client, platform):
    # A double click on a link the LMS opens in a new window, or two courses opened one
    # after the other: both logins set their cookie before either launch comes back.
    first = _authorize(_begin(client, platform, "moodle-user-17"))
    second = _authorize(_begin(client, platform, "moodle-user-17"))
    launched = client.post("/lti/launch", data=first)
    assert launched.status_code == 302, launched.get_data(as_text=True)
    # The first launch takes only its own cookie away: the second still finds its own.
    assert _state_cookie(client, first) is None
    assert _state_cookie(client, second) == second["state"]
    launched = client.post("/lti/launch", data=second)
    assert launched.status_code == 302, launched.get_data(as_text=True)
    assert _state_cookie(client, second) is None


def test_the_state_cookie_rides_along_with_the_lms_cross_site_post(app, client, platform):
    app.config["BASE_URL"] = "https://course.example.org"
    login = client.get("/lti/login", base_url="https://course.example.org", query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17",
        "target_link_uri": "https://course.example.org/courses/minimal",
        "lti_message_hint": "https://course.example.org/courses/minimal",
        "client_id": platform.client_id,
    })
    (cookie,) = login.headers.getlist("Set-Cookie")
    state = login.location.split("state=")[1].split("&")[0]
    # Named __Host-, as ASVS 3.3.1 asks: neither a page on plain HTTP nor a sibling
    # subdomain can plant one; browsers take it only with Secure, Path=/ and no Domain.
    assert cookie.startswith(f"__Host-{state_cookie(state)}={state};")
    for attribute in ("Max-Age=600", "Path=/", "HttpOnly", "Secure", "SameSite=None",
                      "Partitioned"):
        assert attribute in cookie.split("; ")
    assert "Domain=" not in cookie
    form = _authorize(login.location)
    launched = client.post("/lti/launch", base_url="https://course.example.org", data=form)
    assert launched.status_code == 302, launched.get_data(as_text=True)
    # Deleted with the same attributes: a browser keeps a partitioned cookie otherwise.
    (deleted,) = [header for header in launched.headers.getlist("Set-Cookie")
                  if header.startswith(f"__Host-{state_cookie(state)}=;")]
    for attribute in ("Max-Age=0", "Path=/", "Secure", "SameSite=None", "Partitioned"):
        assert attribute in deleted.split("; ")


def test_over_plain_http_the_state_cookie_has_no_prefix_and_the_launch_works(
        app, client, platform):
    # Development (BASE_URL http://localhost): a browser refuses a prefixed cookie that is
    # not Secure, and a Secure one from a plain-HTTP page, so the cookie goes unprefixed
    # and Lax, which the LMS's post still carries when both run on this one machine.
    auth_url = _begin(client, platform, "moodle-user-17")
    state = auth_url.split("state=")[1].split("&")[0]
    cookie = client.get_cookie(state_cookie(state))
    assert cookie is not None and cookie.path == "/" and not cookie.secure
    assert cookie.same_site == "Lax"
    launched = client.post("/lti/launch", data=_authorize(auth_url))
    assert launched.status_code == 302, launched.get_data(as_text=True)


def test_a_replayed_launch_is_refused(app, client, platform):
    first, form = launch(client, platform)
    assert first.status_code == 302
    replay = app.test_client()
    replay.set_cookie(state_cookie(form["state"]), form["state"])
    again = replay.post("/lti/launch", data=form)
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    # The same id_token (same nonce) under a fresh login's state is refused as well.
    fresh = app.test_client()
    auth_url = _begin(fresh, platform, "moodle-user-17")
    new_state = auth_url.split("state=")[1].split("&")[0]
    stolen = fresh.post("/lti/launch", data={"id_token": form["id_token"], "state": new_state})
    assert stolen.status_code == 400
    assert "nonce" in stolen.get_data(as_text=True)


DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
NOW = int(time.time())


def _utc(timestamp: int) -> str:
    """A time as a clock-skew refusal shows it."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# Each refusal names what the platform sent and the registration setting that fixes it,
# since the learner is told to pass the page's words on to whoever connected the LMS.
@pytest.mark.parametrize(
    ("overrides", "messages"),
    [
        ({"aud": "another-tool"},
         ["'another-tool'", "'ce-tool-client', the Client ID registered for",
          "Administration, LMS connections"]),
        ({"azp": "another-tool"},
         ["azp (authorized party) is 'another-tool', not 'ce-tool-client', the Client ID "
          "registered for \u201cAgency Moodle\u201d", "Administration, LMS connections"]),
        ({"aud": ["ce-tool-client", "another-tool"], "azp": "another-tool"},
         ["azp (authorized party) is 'another-tool', not 'ce-tool-client'"]),
        ({"aud": ["ce-tool-client", "another-tool"]},
         ["several audiences but no azp", "'ce-tool-client'"]),
        ({"exp": NOW - 3600, "iat": NOW - 4000},
         ["expired", f"(the token says issued {_utc(NOW - 4000)} and valid until "
                     f"{_utc(NOW - 3600)}; this server's clock read "]),
        ({"iat": NOW + 3600, "exp": NOW + 4000},
         ["dated in the future", f"(the token says issued {_utc(NOW + 3600)} and valid "
                                 f"until {_utc(NOW + 4000)}; this server's clock read "]),
        ({DEPLOYMENT: "deployment-9"},
         ["deployment 'deployment-9' is not registered",
          "Deployment IDs of \u201cAgency Moodle\u201d under Administration, LMS connections"]),
        ({DEPLOYMENT: None}, ["no deployment_id claim"]),
        ({"iss": "https://evil.example"},
         ["issuer is 'https://evil.example'", "the Issuer (iss) registered for"]),
        ({"nonce": None}, ["no nonce claim"]),
        # LTI lets a platform launch anonymously; a CE record needs to know who it is for.
        ({"sub": None},
         ["names no user (no sub claim): the platform launched anonymously",
          "turn off anonymous launches for this tool"]),
        ({"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest"},
         ["deep linking request has no deep_linking_settings claim with a "
          "deep_link_return_url"]),
        ({"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"},
         ["'LtiSubmissionReviewRequest' message", "takes only resource-link launches "
          "(LtiResourceLinkRequest) and deep linking requests (LtiDeepLinkingRequest)"]),
        ({"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": f"{BASE}/courses/gone"},
         ["no course offered here ('gone')", "custom parameter course=&lt;course&gt;"]),
        ({"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": None},
         ["no target_link_uri claim"]),
        ({"https://purl.imsglobal.org/spec/lti/claim/target_link_uri":
          "https://elsewhere.example/courses/minimal"},
         ["'https://elsewhere.example/courses/minimal', not at this site (http://localhost)"]),
        ({"https://purl.imsglobal.org/spec/lti/claim/roles": None}, ["no roles claim"]),
        # The same course by another address is still not the link the browser started.
        ({"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": f"{COURSE_URL}/"},
         [f"points at '{COURSE_URL}/', but its login named '{COURSE_URL}'",
          "same target_link_uri in both"]),
    ],
    ids=["wrong-audience", "wrong-azp", "wrong-azp-of-several", "several-without-azp",
         "expired", "from-the-future", "unregistered-deployment", "no-deployment",
         "wrong-issuer", "no-nonce", "anonymous", "deep-link-without-settings",
         "another-message", "unknown-course",
         "no-target", "target-elsewhere", "no-roles", "target-not-the-login's"],
)
def test_a_bad_launch_token_is_refused_naming_what_to_fix(app, client, platform, overrides,
                                                          messages):
    platform.overrides = overrides
    response, _ = launch(client, platform)
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    for message in messages:
        assert message in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 0


@pytest.mark.parametrize("audience", ["ce-tool-client", ["ce-tool-client", "another-tool"]],
                         ids=["one-audience", "several"])
def test_a_launch_whose_azp_is_this_tools_client_id_is_let_in(app, client, platform, audience):
    platform.overrides = {"aud": audience, "azp": "ce-tool-client"}
    response, _ = launch(client, platform)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/courses/minimal")


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ({"iss": "https://moodle.other.example"},
         ["No platform is registered here with the issuer 'https://moodle.other.example'",
          "Issuer (iss), under Administration, LMS connections"]),
        ({"client_id": "typo-client"},
         ["not with the client ID 'typo-client'", "correct its Client ID"]),
        ({"target_link_uri": "https://elsewhere.example/courses/minimal"},
         ["'https://elsewhere.example/courses/minimal', not at this site (http://localhost)",
          "BASE_URL"]),
        ({"login_hint": ""}, ["The login request has no login_hint."]),
    ],
    ids=["unknown-issuer", "wrong-client-id", "another-site", "no-login-hint"],
)
def test_a_misconfigured_login_is_refused_naming_what_to_fix(app, client, platform, query,
                                                             messages):
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17", "target_link_uri": COURSE_URL,
        "client_id": platform.client_id, **query,
    })
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    for message in messages:
        assert message in page


def test_an_issuer_that_differs_by_a_final_slash_is_pointed_out(app, client, platform):
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer + "/", "login_hint": "moodle-user-17",
        "target_link_uri": COURSE_URL,
    })
    assert response.status_code == 400
    assert ("(\u201cAgency Moodle\u201d is registered with an Issuer that differs only by a "
            "final \u201c/\u201d)") in response.get_data(as_text=True)


def test_a_login_from_a_stopped_platform_says_how_to_allow_it(app, client, platform):
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(active=False))
        db.session.commit()
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17", "target_link_uri": COURSE_URL,
    })
    assert response.status_code == 400
    assert ("Launches from the platform \u201cAgency Moodle\u201d are paused by the "
            "administrators of this site, so the course cannot open from it now. If that is "
            "a mistake, they turn on \u201cAllow launches\u201d") in response.get_data(as_text=True)


def test_a_token_signed_with_another_key_is_refused(app, client, platform):
    impostor = PlayedPlatform(kid=platform.kid)  # same kid, different key
    auth_url = _begin(client, platform, "moodle-user-17")
    state = auth_url.split("state=")[1].split("&")[0]
    nonce = auth_url.split("nonce=")[1].split("&")[0]
    impostor.url = platform.url
    token = impostor.id_token(nonce=nonce, sub="moodle-user-17", target=COURSE_URL)
    response = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 400
    assert "the Public keyset URL (JWKS) registered for" in response.get_data(as_text=True)


def test_a_platform_that_just_rotated_its_key_is_told_to_try_again_not_to_fix_the_url(
    app, client, platform, monkeypatch
):
    assert launch(client, platform)[0].status_code == 302  # the keyset is read here
    # The platform rotates its key right after: its keyset now holds only the new one.
    platform.key, platform.kid = PlayedPlatform().key, "rotated-key-2026"
    response, _ = launch(app.test_client(), platform, "moodle-user-18")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert ("signed with the key 'rotated-key-2026', which the keyset at "
            f"{platform.url}/jwks, the Public keyset URL (JWKS) registered for \u201cAgency "
            "Moodle\u201d, does not hold. If the platform has just changed its keys, open the "
            "course again in a minute") in page
    # A minute later the keyset is read again, and the same learner's launch goes through.
    later = mock.Mock(monotonic=lambda: time.monotonic() + 60)
    monkeypatch.setattr("jwt.jwks_client.time", later)
    assert launch(app.test_client(), platform, "moodle-user-18")[0].status_code == 302


def test_a_keyset_url_that_does_not_answer_is_named(app, client, platform):
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(jwks_url=f"{platform.url}/no-keys-here"))
        db.session.commit()
    response, _ = launch(client, platform)
    assert response.status_code == 400
    assert (f"keys could not be fetched from {platform.url}/no-keys-here (it answered HTTP "
            "404 Not Found), the Public keyset URL registered for"
            ) in response.get_data(as_text=True)


def test_in_production_keys_are_never_fetched_from_this_servers_own_address(app, client,
                                                                             platform):
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(jwks_url=f"{platform.url}/elsewhere"))
        db.session.commit()
    app.config["ENV_NAME"] = "production"
    response, _ = launch(client, platform)
    assert response.status_code == 400
    assert (f"keys could not be fetched from {platform.url}/elsewhere (127.0.0.1 is this "
            "server itself; this site never sends a platform&#39;s requests there)"
            ) in response.get_data(as_text=True)  # fetched, it would have said "HTTP 404"


def test_a_keyset_server_that_is_down_reads_apart_from_a_wrong_address(app, client, platform):
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(jwks_url="http://127.0.0.1:9/keys"))
        db.session.commit()
    response, _ = launch(client, platform)
    assert response.status_code == 400
    assert ("keys could not be fetched from http://127.0.0.1:9/keys (nothing answered there: "
            "the connection was refused)") in response.get_data(as_text=True)


def test_a_launch_from_another_browser_is_refused(app, client, platform):
    form = _authorize(_begin(client, platform, "moodle-user-17"))
    elsewhere = app.test_client()  # no state cookie: not the browser that started it
    response = elsewhere.post("/lti/launch", data=form)
    assert response.status_code == 400 and "browser" in response.get_data(as_text=True)
    # The usual cause is an LMS framing the course, where the cookie is not sent back.
    assert "launch container to \u201cNew window\u201d" in response.get_data(as_text=True)


def test_a_launch_inside_the_lms_page_says_so_where_the_learner_sees_it(app, client,
                                                                        platform):
    framed = {"Sec-Fetch-Dest": "iframe"}  # as a browser marks a navigation in a frame
    login = client.get("/lti/login", headers=framed, query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17",
        "target_link_uri": COURSE_URL, "client_id": platform.client_id,
    })
    form = _authorize(_begin(client, platform, "moodle-user-17"))
    launched = client.post("/lti/launch", data=form, headers=framed)
    for response in (login, launched):
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "shows the course inside its own page" in page
        assert "launch container to &ldquo;New window" in " ".join(page.split())  # coordinator
        assert '<base target="_blank">' in page  # the site's links leave the frame
        # The refusal may show in the LMS's frame; every other page may not.
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 0
    # The framed login offers to start the same login again in a window of its own, and
    # that one goes on to the platform.
    page = login.get_data(as_text=True)
    assert 'target="_blank"' in page and "Open the course in a new window" in page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert fields["login_hint"] == "moodle-user-17" and fields["iss"] == platform.issuer
    again = client.post("/lti/login", data=fields, headers={"Sec-Fetch-Dest": "document"})
    assert again.status_code == 302 and again.location.startswith(platform.url + "/auth?")
    assert "Open the course" not in launched.get_data(as_text=True)  # nothing to start again


def test_a_framed_launch_to_the_tool_url_offers_a_new_window_too(app, client, platform):
    # The link's target is the tool's URL (the course in a custom parameter): the framed
    # login cannot tell a learner's launch from a teacher's deep linking, which works in
    # the frame, so it goes on; the launch is refused in the frame, with the same way out.
    tool_url = f"{BASE}/lti/launch"
    platform.overrides = {LTI + "custom": {"course": "minimal"}}
    framed = {"Sec-Fetch-Dest": "iframe"}
    login = client.get("/lti/login", headers=framed, query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17", "target_link_uri": tool_url,
        "lti_message_hint": tool_url, "client_id": platform.client_id})
    assert login.status_code == 302, login.get_data(as_text=True)
    refused = client.post("/lti/launch", data=_authorize(login.location), headers=framed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "shows the course inside its own page" in page
    assert "Open the course in a new window</button>" in page
    # The way on comes before the reason: a frame is often short, and text may be large.
    assert page.index("new window</button>") < page.index("shows the course inside its own")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert fields == {"iss": platform.issuer, "login_hint": "moodle-user-17",
                      "target_link_uri": tool_url, "lti_message_hint": tool_url,
                      "client_id": platform.client_id}
    # In its own window the same login goes through, and opens the course.
    again = client.post("/lti/login", data=fields, headers={"Sec-Fetch-Dest": "document"})
    launched = client.post("/lti/launch", data=_authorize(again.location))
    assert launched.status_code == 302 and launched.location.endswith("/courses/minimal")
    with app.app_context():  # the platform's hints go once a login is used
        assert db.session.scalars(select(LtiLogin.reopen).where(
            LtiLogin.used_at.is_not(None))).all() == [None]


def test_a_browser_keeps_state_cookies_for_a_few_unfinished_logins_only(
    app, client, platform
):
    # Each login's state cookie rides on every request to the site: a page sending a
    # browser through a hundred logins swelled its cookies past what a server takes, and
    # the learner could open no page for ten minutes. The newest four stay, and the new.
    for number in range(8):
        started = _begin(client, platform, f"moodle-user-{number}")
    sent = client.get("/").request.cookies
    assert len([name for name in sent if "lti_state_" in name]) == 5
    # The newest still launches.
    launched = client.post("/lti/launch", data=_authorize(started))
    assert launched.status_code == 302 and launched.location.endswith("/courses/minimal")


def test_a_framed_login_keeps_no_more_than_a_few_kilobytes_for_its_new_window(
    app, client, platform
):
    # Anyone may start a login (a header says "iframe"): hints of 3,000 characters each,
    # 6,000 in all, would have been kept in every row; none is kept now, and the login
    # still goes on, only without the new window's way out.
    tool_url = f"{BASE}/lti/launch"
    login = client.get("/lti/login", headers={"Sec-Fetch-Dest": "iframe"}, query_string={
        "iss": platform.issuer, "login_hint": "u" * 3000, "target_link_uri": tool_url,
        "lti_message_hint": "m" * 3000, "client_id": platform.client_id})
    assert login.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(LtiLogin.reopen)).all() == [None]


def test_a_framed_login_keeps_the_platform_s_hints_only_while_it_can_start_again(
    app, client, platform
):
    tool_url = f"{BASE}/lti/launch"
    framed = client.get("/lti/login", headers={"Sec-Fetch-Dest": "iframe"}, query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17", "target_link_uri": tool_url,
        "lti_message_hint": tool_url, "client_id": platform.client_id})
    assert framed.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(LtiLogin.reopen)).one() is not None
        db.session.execute(update(LtiLogin).values(created_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    _begin(client, platform, "moodle-user-18")  # the next login, from anyone, sweeps
    with app.app_context():
        assert db.session.scalars(select(LtiLogin.reopen)).all() == [None, None]


def _names_only_the_container(platform: PlayedPlatform) -> None:
    """Make the next launches name no line item, only the container (Canvas modules)."""
    platform.overrides[AGS] = {"scope": [SCORE_SCOPE, LINEITEM_SCOPE],
                               "lineitems": platform.lineitems}


def _pass_post_test(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))


def _finish_course(app: Flask, client: FlaskClient) -> None:
    _pass_post_test(app, client)
    with app.app_context():
        client.post("/courses/minimal/evaluation",
                    data=evaluation_form(db.session.scalar(select(Course))))


def test_scores_go_back_to_the_platform_off_the_request_path(app, client, runner, platform):
    launch(client, platform)
    _finish_course(app, client)
    # Nothing reached the platform while the learner worked: it all waits in the outbox.
    assert platform.scores == [] and platform.token_requests == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    sent = runner.invoke(args=["outbox", "send"])
    assert sent.exit_code == 0, sent.output
    assert "lti: 2 sent, 0 failed" in sent.output
    attempt, completion = platform.scores
    assert attempt["userId"] == completion["userId"] == "moodle-user-17"
    assert attempt["scoreGiven"] == 100 and attempt["scoreMaximum"] == 100
    # The pass is not the credit (the evaluation is still to come): not a final grade.
    assert attempt["activityProgress"] == "Submitted"
    assert attempt["gradingProgress"] == "Pending"
    assert completion["activityProgress"] == "Completed"
    assert completion["gradingProgress"] == "FullyGraded"
    # Sent once: a second pass finds nothing to send.
    assert runner.invoke(args=["outbox", "send"]).output.startswith("Nothing was due;")
    assert len(platform.scores) == 2


def test_a_revoked_certificate_takes_its_grade_back_and_a_reinstated_one_restores_it(
    app, client, runner, platform
):
    launch(client, platform)
    _finish_course(app, client)
    runner.invoke(args=["outbox", "send"])
    with app.app_context():
        admin = make_user(email="admin@example.org")
        with write_transaction():
            certificate_changes.revoke(db.session.scalar(select(Certificate)), admin,
                                       "Completion recorded in error")
    assert "lti: 1 sent" in runner.invoke(args=["outbox", "send"]).output
    withdrawn = platform.scores[-1]
    assert "scoreGiven" not in withdrawn
    assert (withdrawn["activityProgress"], withdrawn["gradingProgress"]) == (
        "Submitted", "NotReady")
    assert "was revoked" in withdrawn["comment"]
    with app.app_context():
        with write_transaction():
            certificate_changes.reinstate(db.session.scalar(select(Certificate)), admin,
                                          "Revoked by mistake")
    assert "lti: 1 sent" in runner.invoke(args=["outbox", "send"]).output
    restored = platform.scores[-1]
    assert (restored["scoreGiven"], restored["gradingProgress"]) == (100, "FullyGraded")
    assert restored["activityProgress"] == "Completed"


def test_revoking_a_deleted_learners_certificate_says_which_lms_grade_to_clear_by_hand(
    app, client, runner, platform
):
    launch(client, platform)
    _finish_course(app, client)
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output
    assert client.post("/auth/delete", data={"understood": "y"}).status_code == 302
    with app.app_context():
        admin = make_user(Role.ADMIN, email="admin@example.org")
        certificate = db.session.scalar(select(Certificate))
        code, lineitem = certificate.code, db.session.scalar(select(LtiGradeTarget.lineitem_url))
    browser = sign_in(app.test_client(), admin)
    browser.post(f"/admin/certificates/{code}/revoke", data={"reason": "Recorded in error"})
    # The platform files a grade only under the learner's LMS user id, which went with the
    # account (it is personal data): no withdrawal goes, and the admin is told what to do.
    assert runner.invoke(args=["outbox", "send"]).output.startswith("Nothing was due;")
    assert len(platform.scores) == 2
    page = " ".join(html.unescape(browser.get(f"/admin/certificates/{code}")
                                  .get_data(as_text=True)).split())
    # Said plainly: what went missing, and what the LMS's administrator does by hand.
    assert ("\u201cAgency Moodle\u201d still shows this completion's grade, and this site "
            "cannot clear it: the learner deleted their account here or unlinked it from "
            "that LMS, and the LMS's ID for them, which a change of grade needs, went with "
            "it.") in page
    assert ("Ask the LMS's administrator to clear the grade by hand for the learner named "
            f"on this certificate, in the course's grade column (line item {lineitem}).") in page
    assert "withdrawn only under that" not in page
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
        assert event.detail["lms_grades_kept"] == [
            {"platform": "Agency Moodle", "lineitem": lineitem}]


def test_a_platform_that_does_not_answer_is_named_with_the_setting_to_check(
    app, client, runner, platform
):
    launch(client, platform)
    _finish_course(app, client)
    with app.app_context():  # the LMS moved, or its server is off: nothing listens there
        db.session.execute(update(LtiPlatform).values(
            auth_token_url="http://127.0.0.1:9/token"))
        db.session.commit()
    assert "failed (will retry)" in runner.invoke(args=["outbox", "send"]).output
    status = runner.invoke(args=["outbox", "status"]).output
    assert ("\u201cAgency Moodle\u201d did not answer at 127.0.0.1:9 (ConnectionError): check "
            "that it is up, and its Access token URL under Administration, LMS connections"
            ) in status
    assert "HTTPConnectionPool" not in status


def test_a_platform_that_never_answers_is_waited_for_once_a_pass_not_once_a_score(
    app, client, runner, platform, monkeypatch
):
    launch(client, platform)
    _finish_course(app, client)  # two scores queued: the attempt's and the completion's
    # A firewall that drops packets, or a hung LMS: connections open, no answer comes.
    silent, connections = socket.create_server(("127.0.0.1", 0)), []
    accepting = threading.Thread(
        target=lambda: connections.extend(silent.accept() for _ in range(2)), daemon=True)
    accepting.start()
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(
            auth_token_url=f"http://127.0.0.1:{silent.getsockname()[1]}/token"))
        db.session.commit()
    monkeypatch.setattr(ags, "TIMEOUT_SECONDS", 1)
    assert "lti: 0 sent, 2 failed (will retry)" in runner.invoke(
        args=["outbox", "send"]).output
    accepting.join(timeout=1)
    # Each wait would have been the full time-out: a batch of them outlasted the claim.
    assert len(connections) == 1
    status = runner.invoke(args=["outbox", "status"]).output
    assert "lti: 0 waiting, 2 failing" in status and "did not answer at 127.0.0.1" in status
    for connection, _ in connections:
        connection.close()
    silent.close()


def test_a_platform_that_is_down_gets_the_score_later_exactly_once(app, client, runner,
                                                                     platform):
    launch(client, platform)
    _finish_course(app, client)
    platform.down = True
    failed = runner.invoke(args=["outbox", "send"])
    assert "failed (will retry)" in failed.output
    assert platform.scores == []
    with app.app_context():
        waiting = db.session.scalars(select(OutboxMessage)).all()
        assert all(m.sent_at is None for m in waiting)
        assert any(m.attempts == 1 and m.last_error for m in waiting)
        # Back-off: not due again at once; make it due, as time passing would.
        for message in waiting:
            message.next_attempt_at = message.created_at
        db.session.commit()
    platform.down = False
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output
    assert [s["activityProgress"] for s in platform.scores] == ["Submitted", "Completed"]


def test_in_production_no_score_goes_to_this_servers_own_address(app, client, runner,
                                                                   platform):
    launch(client, platform)
    _finish_course(app, client)
    # The platform played here answers on 127.0.0.1, as a URL aimed at the server itself
    # would: production never sends it anything, and says why.
    app.config["ENV_NAME"], was = "production", app.config["ENV_NAME"]
    assert "failed (will retry)" in runner.invoke(args=["outbox", "send"]).output
    assert platform.token_requests == [] and platform.scores == []
    status = runner.invoke(args=["outbox", "status"]).output
    assert ("\u201cAgency Moodle\u201d was not sent the score: 127.0.0.1 is this server "
            "itself; this site never sends a platform's requests there. Correct its URLs "
            "under Administration, LMS connections, or, for a line-item URL (which the "
            "platform's own launches name), in the LMS") in status
    app.config["ENV_NAME"] = was
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            message.next_attempt_at = message.created_at
        db.session.commit()
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output


def test_in_production_a_name_checked_as_outward_that_connects_here_gets_nothing(
    app, client, runner, platform, monkeypatch
):
    launch(client, platform)
    _finish_course(app, client)
    # The name's lookup said "elsewhere", and the connection then reached this server (a
    # short DNS lifetime, rebinding): the address reached is checked before anything goes.
    from course.lti import addresses
    monkeypatch.setattr(addresses, "refused_address", lambda _url, **_: None)
    app.config["ENV_NAME"], was = "production", app.config["ENV_NAME"]
    assert "failed (will retry)" in runner.invoke(args=["outbox", "send"]).output
    app.config["ENV_NAME"] = was
    assert platform.token_requests == [] and platform.scores == []
    status = runner.invoke(args=["outbox", "status"]).output
    assert ("\u201cAgency Moodle\u201d was not sent the score: 127.0.0.1 is this server "
            "itself; this site never sends a platform's requests there.") in status


def test_a_platform_refusing_the_tool_says_what_to_check_in_outbox_status(app, client, runner,
                                                                          platform):
    launch(client, platform)
    _finish_course(app, client)
    platform.client_id = "renamed-in-the-lms"  # the LMS admin re-made the tool there
    assert "failed (will retry)" in runner.invoke(args=["outbox", "send"]).output
    status = runner.invoke(args=["outbox", "status"]).output
    assert "lti: 0 waiting, 2 failing, 0 sent" in status
    assert "token request refused: HTTP 401 (invalid_client: unknown client)" in status
    assert "check the Access token URL and Client ID registered for \u201cAgency Moodle" in status
    assert platform.scores == []


def test_a_platform_granting_no_grade_scope_is_told_apart_from_a_wrong_registration(
    app, client, runner, platform
):
    launch(client, platform)
    _finish_course(app, client)
    platform.grantable = set()  # the LMS admin turned the tool's grade services off
    assert "failed (will retry)" in runner.invoke(args=["outbox", "send"]).output
    status = runner.invoke(args=["outbox", "status"]).output
    assert ("token request refused: HTTP 400 (invalid_scope: scope not allowed); "
            "\u201cAgency Moodle\u201d refuses this tool the grade services it asked for: "
            "allow Assignment and Grade Services for the tool in the platform") in status
    assert "check the Access token URL" not in status  # the registration is right
    platform.grantable = None
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            message.next_attempt_at = message.created_at  # due again, as time passing would
        db.session.commit()
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output


def test_a_platform_wanting_its_own_token_audience_gets_scores_once_it_is_registered(
    app, client, runner, platform
):
    platform.token_audience = "https://api.brightspace.example/auth/token"  # as D2L's
    launch(client, platform)
    _finish_course(app, client)
    assert "failed (will retry)" in runner.invoke(args=["outbox", "send"]).output
    status = runner.invoke(args=["outbox", "status"]).output
    # The refusal names the setting D2L's refusal calls for, not only the URLs.
    assert "wrong audience" in status
    assert ("registered for \u201cAgency Moodle\u201d, and its Token audience (D2L Brightspace "
            "wants https://api.brightspace.com/auth/token)") in status
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(token_audience=platform.token_audience))
        for message in db.session.scalars(select(OutboxMessage)):
            message.next_attempt_at = message.created_at  # due again, as time passing would
        db.session.commit()
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output
    assert platform.token_requests[-1]["client_assertion"]


def test_learners_save_at_once_while_a_slow_platform_takes_a_score(app, client, runner,
                                                                     platform):
    launch(client, platform)
    _finish_course(app, client)
    with app.app_context():
        other = sign_in(app.test_client(), make_user())
    platform.hold = True
    sending = threading.Thread(target=lambda: runner.invoke(args=["outbox", "send"]))
    sending.start()
    assert platform.ags_request.wait(timeout=10)
    # The worker waits for the platform; the database stays free for everyone else.
    enrolled = other.post("/courses/minimal/enrol")
    assert enrolled.status_code == 302 and platform.scores == []
    platform.release.set()
    sending.join(timeout=30)
    assert len(platform.scores) == 2


def test_a_launch_naming_no_line_item_gets_the_links_own_made_once(app, client, runner,
                                                                    platform):
    # Some platforms say only where line items live (a module link, not an assignment).
    _names_only_the_container(platform)
    second = app.test_client()
    for browser, sub in ((client, "moodle-user-17"), (second, "moodle-user-18")):
        launch(browser, platform, sub)
        _finish_course(app, browser)
    assert platform.line_items == []  # nothing made on the request path
    sent = runner.invoke(args=["outbox", "send"])
    assert "lti: 4 sent, 0 failed" in sent.output, sent.output
    # One line item for the link, found again for the second learner, not made twice.
    (item,) = platform.line_items
    assert item["resourceLinkId"] == "resource-link-1" and item["tag"] == "ce-completion"
    assert item["scoreMaximum"] == 100
    with app.app_context():
        assert item["label"] == db.session.scalar(select(Course)).title
        stored = db.session.scalars(select(LtiGradeTarget.lineitem_url)).all()
    assert stored == [item["id"], item["id"]]
    assert {s["lineitem"] for s in platform.scores} == {urlsplit(item["id"]).path}
    assert sorted((s["userId"], s["activityProgress"]) for s in platform.scores) == [
        ("moodle-user-17", "Completed"), ("moodle-user-17", "Submitted"),
        ("moodle-user-18", "Completed"), ("moodle-user-18", "Submitted")]


def test_a_link_graded_after_the_learner_completed_gets_the_completions_grade(
    app, client, runner, platform
):
    launch(client, platform)  # link A, graded in line item 42
    _finish_course(app, client)
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output
    # Next year's section links the course again, as a graded assignment of its own.
    _names_only_the_container(platform)
    platform.overrides[LTI + "resource_link"] = {"id": "resource-link-2026", "title": "CE"}
    launch(app.test_client(), platform)
    assert "lti: 1 sent" in runner.invoke(args=["outbox", "send"]).output
    (item,) = platform.line_items
    assert item["resourceLinkId"] == "resource-link-2026"
    graded = platform.scores[-1]
    assert graded["lineitem"] == urlsplit(item["id"]).path
    assert (graded["scoreGiven"], graded["gradingProgress"]) == (100, "FullyGraded")
    # A launch from a link already graded sends nothing more.
    launch(app.test_client(), platform)
    assert runner.invoke(args=["outbox", "send"]).output.startswith("Nothing was due;")


def test_two_servers_sending_a_links_first_scores_at_once_make_one_line_item(
    app, client, runner, platform
):
    _names_only_the_container(platform)
    launch(client, platform)
    _finish_course(app, client)
    # Two servers' queue timers take one score each. The second starts while the platform
    # is still listing its container for the first: without a claim, it too would find
    # no line item there and make one.
    platform.hold, reports = True, []

    def server() -> None:
        with app.app_context():
            reports.append(send_due(["lti"], batch=1))

    first = threading.Thread(target=server)
    first.start()
    assert platform.ags_request.wait(timeout=10)
    server()
    platform.release.set()
    first.join(timeout=30)
    assert sum(r.sent.get("lti", 0) for r in reports) == 1
    assert not any(r.failed for r in reports)  # the waiting score is no platform failure
    (item,) = platform.line_items
    with app.app_context():
        waiting = db.session.scalar(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        assert waiting.attempts == 0 and "another worker" in waiting.last_error
        waiting.next_attempt_at = waiting.created_at  # due again, as time passing makes it
        db.session.commit()
    assert "lti: 1 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    assert len(platform.line_items) == 1
    assert [s["lineitem"] for s in platform.scores] == [urlsplit(item["id"]).path] * 2


def test_another_learners_newer_score_does_not_hold_one_back(app, client, runner, platform):
    second = app.test_client()
    for browser, sub in ((client, "moodle-user-17"), (second, "moodle-user-18")):
        launch(browser, platform, sub)
        _pass_post_test(app, browser)
    with app.app_context():  # the first learner's score waits; the second's goes first
        first = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
        first.next_attempt_at = utcnow() + timedelta(minutes=1)
        db.session.commit()
    assert "lti: 1 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    with app.app_context():
        first = db.session.get(OutboxMessage, first.id)
        first.next_attempt_at = first.created_at
        db.session.commit()
    assert "lti: 1 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    assert [s["userId"] for s in platform.scores] == ["moodle-user-18", "moodle-user-17"]


def test_no_database_transaction_is_open_while_the_platform_answers(
    app, client, runner, platform, monkeypatch
):
    _names_only_the_container(platform)
    launch(client, platform)
    _finish_course(app, client)
    calls: list[tuple[str, bool]] = []
    request = requests.Session.request

    def watched(self, method, url, *args, **kwargs):
        calls.append((method, db.session().in_transaction()))
        return request(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", watched)
    assert "lti: 2 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    # A token, the container's listing, the line item made, and two scores.
    assert [method for method, _ in calls] == ["POST", "GET", "POST", "POST", "POST"]
    assert not any(open_ for _, open_ in calls)


def test_two_workers_whose_claims_overlapped_keep_the_line_item_stored_first(
    app, client, runner, platform, caplog
):
    _names_only_the_container(platform)
    launch(client, platform)
    _finish_course(app, client)
    platform.hold = True
    sending = threading.Thread(target=lambda: runner.invoke(args=["outbox", "send"]))
    sending.start()
    assert platform.ags_request.wait(timeout=10)
    # While the platform is slow, this worker's claim lapses and another takes it over.
    with app.app_context(), write_transaction():
        db.session.execute(update(LtiLinkLineItem).values(claim="another-worker"))
    platform.release.set()
    sending.join(timeout=30)
    (ours,) = platform.line_items
    with app.app_context():
        assert db.session.scalar(select(LtiLinkLineItem.lineitem_url)) == ours["id"]
        # The other worker then ends its claim with a line item of its own: the first
        # one stored stays the link's, and the extra one is named for deletion.
        target = db.session.scalar(select(LtiGradeTarget))
        extra = f"{platform.lineitems}/77"
        assert worker._release(target, "another-worker", extra) == ours["id"]
    assert any("claim lapsed" in r.message and extra in r.message for r in caplog.records)
    assert {s["lineitem"] for s in platform.scores} == {urlsplit(ours["id"]).path}


def test_a_container_that_takes_too_long_to_list_fails_the_score_for_a_retry(
    app, client, runner, platform, monkeypatch
):
    _names_only_the_container(platform)
    launch(client, platform)
    _finish_course(app, client)
    monkeypatch.setattr(ags, "SEARCH_SECONDS", -1)  # the deadline has passed at once
    assert "lti: 0 sent, 2 failed" in runner.invoke(args=["outbox", "send"]).output
    assert platform.line_items == []
    with app.app_context():
        failing = db.session.scalars(select(OutboxMessage)).all()
        assert all(m.attempts == 1 and "took too long" in m.last_error for m in failing)
        assert db.session.scalar(select(LtiLinkLineItem.claim)) is None  # released


def test_a_line_item_the_learner_already_scores_into_is_not_taken_twice(app, client, runner,
                                                                          platform):
    # The platform lists the line item it also names in other launches of this learner.
    platform.line_items.append({"id": platform.lineitem, "resourceLinkId": "resource-link-1",
                                "tag": "ce-completion", "scoreMaximum": 100, "label": "CE"})
    launch(client, platform)
    _names_only_the_container(platform)
    launch(app.test_client(), platform)
    _finish_course(app, client)
    sent = runner.invoke(args=["outbox", "send"])
    # The second target's scores are the first's: settled, not sent twice or retried.
    assert sent.exit_code == 0 and "lti: 2 sent, 0 failed" in sent.output, sent.output
    assert [s["activityProgress"] for s in platform.scores] == ["Submitted", "Completed"]
    assert len(platform.line_items) == 1
    assert runner.invoke(args=["outbox", "send"]).output.startswith("Nothing was due;")


def test_the_links_line_item_is_found_on_a_later_page_of_an_unfiltered_container(
    app, client, runner, platform
):
    other = {"id": f"{platform.lineitems}/7", "resourceLinkId": "another-link",
             "tag": "ce-completion", "scoreMaximum": 100, "label": "Another course"}
    ours = {"id": f"{platform.lineitems}/8", "resourceLinkId": "resource-link-1",
            "tag": "ce-completion", "scoreMaximum": 100, "label": "Made earlier"}
    platform.line_items += [other, ours]
    platform.filters_container, platform.container_page_size = False, 1
    _names_only_the_container(platform)
    launch(client, platform)
    _finish_course(app, client)
    assert "lti: 2 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    assert platform.line_items == [other, ours]  # found on page 2, none made
    assert {s["lineitem"] for s in platform.scores} == {urlsplit(ours["id"]).path}


def test_a_made_line_item_the_instructor_deleted_is_made_again(app, client, runner, platform):
    _names_only_the_container(platform)
    launch(client, platform)
    _finish_course(app, client)
    with app.app_context():  # the tool made this one earlier; the platform has it no more
        target = db.session.scalar(select(LtiGradeTarget))
        target.lineitem_url = f"{platform.lineitems}/99"
        db.session.commit()
    # The first score finds the line item gone; the next one, the link's line item made
    # again.
    failed = runner.invoke(args=["outbox", "send"]).output
    assert "lti: 1 sent, 1 failed" in failed, failed
    (item,) = platform.line_items
    with app.app_context():
        assert db.session.scalar(select(LtiGradeTarget.lineitem_url)) == item["id"]
        for message in db.session.scalars(select(OutboxMessage)):
            message.next_attempt_at = message.created_at  # due again, as time passing makes it
        db.session.commit()
    # The older score is not sent after the newer one: it would undo the final grade.
    assert runner.invoke(args=["outbox", "send"]).output.startswith("Nothing was due;")
    assert [s["activityProgress"] for s in platform.scores] == ["Completed"]
    with app.app_context():
        older = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
        assert older.sent_at and "newer score" in older.last_error
    assert len(platform.line_items) == 1
    assert {s["lineitem"] for s in platform.scores} == {urlsplit(item["id"]).path}


def test_a_line_item_the_tool_made_is_made_again_once_the_instructor_deletes_it(
    app, client, runner, platform
):
    _names_only_the_container(platform)
    launch(client, platform)
    _pass_post_test(app, client)
    assert "lti: 1 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    platform.line_items.clear()  # the instructor deleted the column
    with app.app_context():
        client.post("/courses/minimal/evaluation",
                    data=evaluation_form(db.session.scalar(select(Course))))
    assert "lti: 0 sent, 1 failed" in runner.invoke(args=["outbox", "send"]).output
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        message.next_attempt_at = message.created_at  # due again, as time passing makes it
        db.session.commit()
    assert "lti: 1 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    (remade,) = platform.line_items
    assert platform.scores[-1]["lineitem"] == urlsplit(remade["id"]).path


def test_a_link_whose_container_moved_gets_its_line_item_in_the_new_one(
    app, client, runner, platform
):
    _names_only_the_container(platform)
    other = app.test_client()
    for browser, sub in ((client, "moodle-user-17"), (other, "moodle-user-18")):
        launch(browser, platform, sub)
        _pass_post_test(app, browser)
    assert "lti: 2 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    (first,) = platform.line_items
    # The first learner's next launch of the link names another container; the other
    # learner's target still knows the old container's line item, which must not be reused.
    old_container = platform.lineitems
    platform.context = 8
    _names_only_the_container(platform)
    launch(client, platform, "moodle-user-17")
    with app.app_context():
        client.post("/courses/minimal/evaluation",
                    data=evaluation_form(db.session.scalar(select(Course))))
    assert "lti: 1 sent, 0 failed" in runner.invoke(args=["outbox", "send"]).output
    (second,) = [item for item in platform.line_items if item is not first]
    assert second["id"].startswith(platform.lineitems + "/")
    assert [(s["userId"], s["activityProgress"], s["lineitem"]) for s in platform.scores] == [
        ("moodle-user-17", "Submitted", urlsplit(first["id"]).path),
        ("moodle-user-18", "Submitted", urlsplit(first["id"]).path),
        ("moodle-user-17", "Completed", urlsplit(second["id"]).path),
    ]
    with app.app_context():
        targets = {t.subject: (t.lineitems_url, t.lineitem_url)
                   for t in db.session.scalars(select(LtiGradeTarget))}
    assert targets == {"moodle-user-17": (platform.lineitems, second["id"]),
                       "moodle-user-18": (old_container, first["id"])}


def test_without_leave_to_make_line_items_no_score_is_queued(app, client, platform):
    platform.overrides[AGS] = {"scope": [SCORE_SCOPE], "lineitems": platform.lineitems}
    launch(client, platform)
    _finish_course(app, client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LtiGradeTarget)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.channel == "lti")) == 0


def test_admins_register_a_platform_and_see_the_tools_keys(app, client, platform):
    with app.app_context():
        admin = make_user(Role.ADMIN)
    sign_in(client, admin)
    page = client.get("/admin/lti").get_data(as_text=True)
    assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks.json" in page
    # Both AGS scopes the tool asks tokens for: without the lineitem one a launch that
    # names no line item (Canvas module items) sends no grade.
    assert SCORE_SCOPE in page and LINEITEM_SCOPE in page
    assert "grade sync and column management" in page
    # Each course offered, with the exact link target to copy into the LMS.
    assert f"<code>{COURSE_URL}</code>" in page
    # The form names the LMS's own label for each value it asks for.
    form = client.get("/admin/lti/new").get_data(as_text=True)
    for label in ("Platform ID", "Client ID", "Deployment ID", "Authentication request URL",
                  "Access token URL", "Public keyset URL"):
        assert f"Moodle: {label}." in form
    assert "D2L Brightspace: https://api.brightspace.com/auth/token" in form
    new = dict(platform.registration(), client_id="second-client", name="Canvas",
               deployment_ids="dep-a\ndep-b\n", reason="Agency pilot, ticket 12",
               token_audience="  ")
    response = client.post("/admin/lti/new", data=new)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(LtiPlatform).where(LtiPlatform.name == "Canvas"))
        assert saved.deployment_ids == ["dep-a", "dep-b"]
        assert saved.token_audience is None  # blank: the token URL is the audience
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "lti.platform_registered"))
        assert event.actor_id == admin.id and event.detail["reason"] == "Agency pilot, ticket 12"
    clash = client.post("/admin/lti/new", data=dict(new, name="Copy"))
    assert clash.status_code == 422 and "already registered" in clash.get_data(as_text=True)
    # A refused form says so at the top, each problem a link to its field.
    summary = clash.get_data(as_text=True).split('class="error-summary"', 1)[1].split("</div>")[0]
    assert 'href="#client_id"' in summary and "already registered" in summary
    keys = client.get("/lti/jwks.json").get_json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in keys)
    # RFC 7517 4.3: use and key_ops SHOULD NOT be used together; platforms read use.
    assert all(k["use"] == "sig" and "key_ops" not in k for k in keys)
    assert all(set(k) == {"kty", "n", "e", "kid", "alg", "use"} for k in keys)


def test_a_rotated_tool_key_stays_in_the_jwks(app, client, runner, platform):
    before = {k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]}
    rotated = runner.invoke(args=["keys", "rotate", "lti", "--reason", "yearly"])
    assert rotated.exit_code == 0, rotated.output
    after = {k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]}
    assert len(before) == 1 and before < after and len(after) == 2
    # The platform takes scores signed with the new key once it reads the new JWKS.
    platform.tool_jwks = client.get("/lti/jwks.json").get_json()
    launch(client, platform)
    _finish_course(app, client)
    assert "lti: 2 sent" in runner.invoke(args=["outbox", "send"]).output


def test_the_keyset_reads_each_tool_key_once_however_often_it_is_fetched(
    client, runner, platform, monkeypatch
):
    # Reading a private key checks it, about 60 ms of CPU: a platform fetching the keyset
    # again made the server read every key it ever had each time.
    from course.lti import keys

    read = keys.serialization.load_pem_private_key
    reads: list[bytes] = []
    monkeypatch.setattr(keys.serialization, "load_pem_private_key",
                        lambda pem, **kw: reads.append(pem) or read(pem, **kw))
    monkeypatch.setattr(keys, "_PUBLIC", {}, raising=False)  # a server just started
    assert runner.invoke(args=["keys", "rotate", "lti", "--reason", "yearly"]).exit_code == 0
    fetched = [client.get("/lti/jwks.json").get_json() for _ in range(3)]
    assert fetched[0] == fetched[1] == fetched[2] and len(fetched[0]["keys"]) == 2
    assert len(reads) == len(set(reads)) == 2
    fetched[0]["keys"][0]["kid"] = "changed by a caller"
    assert client.get("/lti/jwks.json").get_json() == fetched[1]


def test_learners_cannot_reach_the_lti_admin_pages(app, client, platform):
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    assert client.get("/admin/lti").status_code == 403
    assert client.post("/admin/lti/new", data={}).status_code == 403


def test_a_learner_from_the_lms_changes_details_and_deletes_the_account_without_a_password(
    app, client, platform
):
    launch(client, platform)
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert 'name="current_password"' not in profile and "it has no password here" in profile
    assert "did not share your email address" in profile
    # The address the launch made up stays as it is while the learner adds a license.
    with app.app_context():
        stand_in = db.session.scalar(select(LtiIdentity)).user.email
    kept = client.post("/auth/profile", data={
        "full_name": "Jordan Rivera", "email": stand_in, "licence_number": "LSW-6",
        "licence_jurisdiction": "Ohio", "profession": "",
    })
    assert kept.status_code == 302, kept.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(LtiIdentity)).user
        assert (user.email, user.licence_number) == (stand_in, "LSW-6")
    other = client.post("/auth/profile", data={
        "full_name": "Jordan Rivera", "email": "someone@lti.invalid", "licence_number": "",
        "licence_jurisdiction": "", "profession": "",
    }).get_data(as_text=True)
    assert "Enter an email address like name@example.com." in other  # any other is checked
    saved = client.post("/auth/profile", data={
        "full_name": "Jordan Rivera-Lee", "email": "jordan@agency.example",
        "licence_number": "LSW-7", "licence_jurisdiction": "Ohio", "profession": "",
    })
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(LtiIdentity)).user
        assert (user.full_name, user.licence_number) == ("Jordan Rivera-Lee", "LSW-7")
        user_id = user.id

    # Once the session is no longer fresh, the sign-in page cannot ask for a password
    # the account does not have: it says to open the course from the LMS again.
    with client.session_transaction() as session:
        session["_fresh"] = False
    stale = client.get("/auth/delete", follow_redirects=True).get_data(as_text=True)
    assert "Open the course again from that system" in stale and "Password" not in stale
    launch(client, platform)

    page = client.get("/auth/delete").get_data(as_text=True)
    assert 'name="password"' not in page and "confirmed it is you" in page
    assert client.post("/auth/delete", data={}).status_code == 200  # the tick is still needed
    deleted = client.post("/auth/delete", data={"understood": "y"})
    assert deleted.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.deleted_at is not None and user.full_name == f"Deleted learner {user_id}"


def test_statements_about_a_learner_from_the_lms_name_the_lms_account_until_deletion(
    app, client, platform
):
    # The agency joins what the LRS holds with its LMS's records by the platform's sub.
    app.config.update(XAPI_ENABLED=True, XAPI_ENDPOINT="http://127.0.0.1:9/xapi/")
    launch(client, platform)
    key = f"{BASE}/xapi/extensions/lms-accounts"

    def stored() -> list[dict]:
        with app.app_context():
            return [m.payload for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "xapi"))]

    with app.app_context():
        user_id = db.session.scalar(select(LtiIdentity)).user_id
    statements = stored()
    assert {s["verb"]["display"]["en-US"] for s in statements} == {"registered", "launched"}
    for statement in statements:
        assert statement["context"]["extensions"][key] == [
            {"homePage": platform.issuer, "name": "moodle-user-17"}]
        assert statement["actor"]["account"] == {"homePage": BASE, "name": str(user_id)}
    assert client.post("/auth/delete", data={"understood": "y"}).status_code == 302
    for statement in stored():
        assert key not in statement["context"].get("extensions", {})
        assert statement["actor"]["name"] == f"Deleted learner {user_id}"


def test_a_learner_who_deleted_their_account_launches_again_into_a_new_one(app, client,
                                                                           platform):
    launch(client, platform)
    with app.app_context():
        old = db.session.scalar(select(LtiIdentity)).user_id
    assert client.post("/auth/delete", data={"understood": "y"}).status_code == 302
    with app.app_context():
        # The LMS link goes with the account; the pseudonymised account stays.
        assert db.session.scalar(select(func.count()).select_from(LtiIdentity)) == 0
        assert db.session.scalar(select(LtiGradeTarget.subject)) is None
        assert db.session.get(User, old).deleted_at is not None
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted"))
        assert event.detail["lms_accounts_unlinked"] == 1

    browser = app.test_client()
    response, _ = launch(browser, platform)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/courses/minimal")
    assert browser.get("/courses/minimal").status_code == 200
    with app.app_context():
        identity = db.session.scalar(select(LtiIdentity))
        assert identity.subject == "moodle-user-17" and identity.user_id != old
        assert identity.user.active and identity.user.deleted_at is None
        assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == identity.user_id))
        targets = dict(
            db.session.execute(select(LtiGradeTarget.user_id, LtiGradeTarget.subject)).all())
        assert targets == {old: None, identity.user_id: "moodle-user-17"}


def test_scores_queued_before_a_deletion_still_reach_the_lms(app, client, runner, platform):
    launch(client, platform)
    _pass_post_test(app, client)  # a score waits in the outbox
    assert client.post("/auth/delete", data={"understood": "y"}).status_code == 302
    sent = runner.invoke(args=["outbox", "send"])
    assert "lti: 1 sent, 0 failed" in sent.output, sent.output
    assert [score["userId"] for score in platform.scores] == ["moodle-user-17"]
    with app.app_context():
        assert db.session.scalar(select(LtiGradeTarget.subject)) is None
