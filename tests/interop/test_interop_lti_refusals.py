"""Refused launches are kept per platform, so the admin of an LMS whose teachers say "the
tool will not open" sees why on LMS connections, without the server's log."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select, update

from course.db import utcnow
from course.extensions import db
from course.models import LtiPlatform, Role
from tests.course.factories import make_user, sign_in
from tests.interop.test_interop_lti import COURSE_URL, DEPLOYMENT, launch

NOT_REGISTERED = ("The deployment 'deployment-9' is not registered with this tool: add it to "
                  "the Deployment IDs of \u201cAgency Moodle\u201d under Administration, LMS "
                  "connections.")


def _row(app) -> LtiPlatform:
    with app.app_context():
        row = db.session.scalar(select(LtiPlatform))
        db.session.expunge(row)
        return row


def _lms_connections(app) -> str:
    """The LMS connections page's words, as an admin reads them."""
    with app.app_context():
        admin = make_user(Role.ADMIN)
    client = sign_in(app.test_client(), admin)
    page = re.sub(r"<[^>]+>", "", client.get("/admin/lti").get_data(as_text=True))
    return " ".join(unescape(page).split())


def _a_while_ago(app) -> None:
    """Move the last refusal back past the few seconds in which no other is written."""
    with app.app_context():
        db.session.execute(update(LtiPlatform).values(
            last_refusal_at=utcnow() - timedelta(seconds=6)))
        db.session.commit()


def test_a_refused_launch_shows_on_lms_connections_with_its_reason(app, client, platform):
    assert "Allowed; no learner launch yet; no refused launch" in _lms_connections(app)
    platform.overrides = {DEPLOYMENT: "deployment-9"}
    before = utcnow()
    response, _ = launch(client, platform, sub="moodle-user-17")
    assert response.status_code == 400
    row = _row(app)
    assert row.refused_launches == 1 and row.last_refusal_at >= before - timedelta(seconds=1)
    assert row.last_refusal == NOT_REGISTERED  # the platform's setting, nobody's data
    assert "moodle-user-17" not in row.last_refusal and "Jordan" not in row.last_refusal
    page = _lms_connections(app)
    assert ("no learner launch yet; 1 refused launch (at most one counted every 5 seconds), "
            "the last ") in page
    assert f"\u201c{NOT_REGISTERED}\u201d" in page
    # Fixed on the platform's side, the next learner gets in; the refusal stays for the record.
    platform.overrides = {}
    assert launch(app.test_client(), platform, sub="moodle-user-18")[0].status_code == 302
    page = _lms_connections(app)
    assert "last learner launch" in page and "1 refused launch" in page


def test_a_flood_of_refusals_writes_one_every_few_seconds(app, client, platform):
    platform.overrides = {DEPLOYMENT: "deployment-9"}
    for sub in ("a", "b", "c"):
        assert launch(app.test_client(), platform, sub=sub)[0].status_code == 400
    first = _row(app)
    assert first.refused_launches == 1  # the others came within the few seconds
    _a_while_ago(app)
    platform.overrides = {"aud": "another-tool"}
    assert launch(app.test_client(), platform, sub="d")[0].status_code == 400
    later = _row(app)
    assert later.refused_launches == 2 and later.last_refusal_at > first.last_refusal_at
    assert "'another-tool'" in later.last_refusal and "Client ID" in later.last_refusal


def test_refusals_before_the_platform_is_known_are_kept_on_its_row(app, client, platform):
    # A login with the registered issuer but a wrong client id: the platform's problem.
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17", "target_link_uri": COURSE_URL,
        "client_id": "typo-client"})
    assert response.status_code == 400
    assert "not with the client ID 'typo-client'" in _row(app).last_refusal
    _a_while_ago(app)
    # A launch inside the LMS's frame, named by the state of the login that started it.
    ok = client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "s", "target_link_uri": COURSE_URL,
        "client_id": platform.client_id})
    state = ok.location.split("state=")[1].split("&")[0]
    framed = client.post("/lti/launch", data={"state": state, "id_token": "x"},
                         headers={"Sec-Fetch-Dest": "iframe"})
    assert framed.status_code == 400
    row = _row(app)
    assert row.refused_launches == 2 and "inside its own page" in row.last_refusal


def test_a_refusal_naming_no_registered_platform_is_kept_nowhere(app, client, platform):
    client.get("/lti/login", query_string={
        "iss": "https://moodle.other.example", "login_hint": "x",
        "target_link_uri": COURSE_URL})
    client.post("/lti/launch", data={"state": "made-up", "id_token": "x"})
    assert _row(app).refused_launches == 0
