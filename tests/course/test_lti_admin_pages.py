"""The LMS connection pages tell an administrator where each value comes from in Moodle
and in Canvas, and where to see whether scores reach the LMS."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape

from course.db import utcnow
from course.extensions import db
from course.models import LtiGradeTarget, LtiIdentity, LtiPlatform, OutboxMessage
from tests.course.factories import sign_in


def _text(client, url: str) -> str:
    """The page's words as read, without tags."""
    page = re.sub(r"<[^>]+>", "", client.get(url).get_data(as_text=True))
    return " ".join(unescape(page).split())


def test_the_registration_form_names_canvas_values_too(app, data) -> None:
    page = _text(sign_in(app.test_client(), data.admin), "/admin/lti/new")
    # Hosted Canvas sends one issuer for every school: an agency's own Canvas address
    # there would refuse every launch.
    assert ("Canvas hosted by Instructure: https://canvas.instructure.com, not your agency's "
            "Canvas address.") in page
    assert "Canvas: the developer key's number (its Client ID)." in page
    assert "Canvas: the installed app's Deployment ID (Settings, Apps" in page
    assert "Every field is required unless marked optional." in page


def test_this_tool_names_the_launch_container_and_privacy_settings(app, data) -> None:
    page = _text(sign_in(app.test_client(), data.admin), "/admin/lti")
    # Canvas frames a tool unless told otherwise, and a framed launch is refused.
    assert "Canvas: tick “Load in a new tab” on each module item" in page
    assert "Moodle: Default launch container “New window”" in page
    assert "Moodle: “Share launcher's name with tool: Always”" in page
    # Moodle 4.3 teachers add the tool by "Select content": deep linking is offered.
    assert "Offered (LTI Deep Linking 2.0), with the same URL as the tool: " in page
    assert "/lti/launch (Moodle: tick “Supports Deep Linking (Content-Item Message)”" in page
    assert "/lti/canvas.json (Canvas: Developer Keys, “+ LTI Key”, Method “Enter URL”" in page


def test_waiting_scores_say_what_sends_them_and_what_to_check(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    # The LMS page points to where score deliveries show.
    lti = admin.get("/admin/lti").get_data(as_text=True)
    assert 'href="/admin/#deliveries"' in lti
    with app.app_context():
        now = utcnow()
        db.session.add(OutboxMessage(channel="lti", message_id=str(uuid.uuid4()), payload={},
                                     created_at=now, next_attempt_at=now))
        db.session.commit()
    page = _text(admin, "/admin/")
    assert "Scores and completions to LMSs (LTI): 1 waiting" in page
    # Nothing fails while no worker runs: only the page can say the worker is needed.
    assert ("If the waiting count does not go down within a few minutes, check that the "
            "worker runs.") in page
    assert "flask --app wsgi outbox status" in page


def test_a_message_no_worker_took_for_ten_minutes_is_called_overdue(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    with app.app_context():
        now = utcnow()
        for minutes in (3, 42):  # a fresh message and one no worker has taken
            due = now - timedelta(minutes=minutes)
            db.session.add(OutboxMessage(channel="lti", message_id=str(uuid.uuid4()),
                                         payload={}, created_at=due, next_attempt_at=due))
        db.session.add(OutboxMessage(channel="lti", message_id=str(uuid.uuid4()), payload={},
                                     created_at=now - timedelta(hours=2), next_attempt_at=now,
                                     sent_at=datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC)))
        db.session.commit()
    page = _text(admin, "/admin/")
    assert "(LTI): 2 waiting, 1 sent." in page
    # Nothing else tells an admin the worker stopped: no message fails while none is tried.
    assert ("Overdue: a message due for 42 minutes has not been tried. The outbox worker has "
            "stopped or cannot keep up: check that it runs.") in page
    assert "Last sent December 7, 2026, 8:05:09 AM CST." in page  # the provider's zone


def test_the_overview_says_whether_statements_go_to_a_learning_record_store(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    # Off makes no statement and no message: only this line shows it.
    assert ("Statements to a learning record store (xAPI) are off (XAPI_ENABLED): none are "
            "made, so if they are turned on later, learning done before then is not sent."
            ) in _text(admin, "/admin/")
    app.config["XAPI_ENABLED"] = True
    assert ("are on and kept until XAPI_ENDPOINT is set." in _text(admin, "/admin/"))
    app.config["XAPI_ENDPOINT"] = "https://lrs.example.org/xapi/"
    assert "(xAPI) are on, sent to lrs.example.org." in _text(admin, "/admin/")


def _grade_target(data, name: str) -> LtiGradeTarget:
    """A learner's grade target on a new platform named ``name`` ("Agency Moodle")."""
    host = name.split()[1].lower()
    platform = LtiPlatform(name=name, issuer=f"https://{host}.example.org",
                           client_id="tool", deployment_ids=["1"],
                           auth_login_url=f"https://{host}.example.org/a",
                           auth_token_url=f"https://{host}.example.org/t",
                           jwks_url=f"https://{host}.example.org/j")
    db.session.add(platform)
    db.session.flush()
    target = LtiGradeTarget(user_id=data.learners["a"].id, course_id=data.course_id,
                            platform_id=platform.id, subject=f"{host}-1")
    db.session.add(target)
    db.session.flush()
    return target


def test_each_lms_shows_its_own_scores_so_the_one_that_stopped_stands_out(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    sent_at = datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC)
    with app.app_context():
        for name, sent, failing in (("Agency Canvas", 2, 0), ("Agency Moodle", 0, 3)):
            target = _grade_target(data, name)
            for n in range(sent + failing):
                db.session.add(OutboxMessage(
                    channel="lti", message_id=str(uuid.uuid4()), payload={},
                    grade_target_id=target.id, created_at=sent_at, next_attempt_at=sent_at,
                    sent_at=sent_at - timedelta(hours=n) if n < sent else None,
                    attempts=0 if n < sent else 2))
        db.session.commit()
    page = _text(admin, "/admin/lti")
    assert ("Agency Canvas https://canvas.example.org tool 1 Allowed; no learner launch yet; "
            "no refused launch Last sent December 7, 2026, 8:05:09 AM CST") in page
    assert ("Agency Moodle https://moodle.example.org tool 1 Allowed; no learner launch yet; "
            "no refused launch None sent in the last 90 days; 3 failing") in page


def test_each_lms_shows_when_a_learner_last_launched_from_it(app, data) -> None:
    # Whoever connects an LMS sees its launches arrive without reading the server's log.
    admin = sign_in(app.test_client(), data.admin)
    with app.app_context():
        canvas = _grade_target(data, "Agency Canvas").platform_id
        _grade_target(data, "Agency Moodle")
        for user, minutes in ((data.learners["a"], 90), (data.learners["b"], 30)):
            db.session.add(LtiIdentity(
                platform_id=canvas, subject=f"canvas-{user.id}", user_id=user.id,
                last_launch_at=datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
                - timedelta(minutes=minutes)))
        db.session.commit()
    page = _text(admin, "/admin/lti")
    assert ("Agency Canvas https://canvas.example.org tool 1 Allowed; last learner launch "
            "December 7, 2026, 7:30:00 AM CST") in page
    assert "Agency Moodle https://moodle.example.org tool 1 Allowed; no learner launch yet" in page


def test_an_lms_whose_scores_no_worker_takes_is_called_overdue(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    with app.app_context():
        target = _grade_target(data, "Agency Moodle")
        now = utcnow()
        for minutes in (3, 42):  # a fresh score and one no worker has taken
            due = now - timedelta(minutes=minutes)
            db.session.add(OutboxMessage(channel="lti", message_id=str(uuid.uuid4()), payload={},
                                         grade_target_id=target.id, created_at=due,
                                         next_attempt_at=due))
        db.session.commit()
    page = _text(admin, "/admin/lti")
    # With two LMSs the overview's one line cannot say whose scores are stuck; this can.
    assert ("None sent in the last 90 days; 2 waiting; overdue: one has waited 42 minutes "
            "past its time, so check that the outbox worker runs") in page


def test_every_value_on_the_connections_page_says_something(app, data) -> None:
    with app.app_context():
        db.session.add(LtiPlatform(name="Agency Moodle", issuer="https://moodle.agency.example",
                                   client_id="tool", deployment_ids=[],
                                   auth_login_url="https://moodle.agency.example/auth",
                                   auth_token_url="https://moodle.agency.example/token",
                                   jwks_url="https://moodle.agency.example/jwks"))
        db.session.commit()
    admin = sign_in(app.test_client(), data.admin)
    page = admin.get("/admin/lti").get_data(as_text=True)
    # A course's address comes first: after its title it wrapped to a line of its own,
    # and the title's line, ending in a colon, read as a course with no address.
    assert ("<li><code>http://127.0.0.1:5000/courses/minimal</code> for &ldquo;Youth Who Run "
            "from Foster Care (test course)&rdquo;</li>") in page
    assert not re.search(r":\s*</li>", page)
    # A platform with no deployment yet says what that means instead of an empty cell.
    text = _text(admin, "/admin/lti")
    assert "None: every launch is refused until one is added" in text
    assert "Allowed, but refused until a deployment is added; no learner launch yet" in text
    assert not re.search(r"<td>\s*</td>", page)
