"""LTI Deep Linking 2.0: a teacher adding the tool in the LMS (played by the tests, over
real HTTP) gets the course's link back in a response the platform verifies with the tool's
keyset."""

from __future__ import annotations

import html
import re
import shutil
import time
import urllib.request
from pathlib import Path

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from course.extensions import db
from course.models import Enrolment, LtiLogin, User
from tests.course.factories import import_course
from tests.interop.conftest import LTI_BASE
from tests.interop.lti_platform import AGS, DL, LTI, PlayedPlatform, auto_post_form

TOOL_URL = f"{LTI_BASE}/lti/launch"
COURSE_URL = f"{LTI_BASE}/courses/minimal"
TITLE = "Youth Who Run from Foster Care (test course)"


def _authorize(auth_url: str) -> dict[str, str]:
    with urllib.request.urlopen(auth_url, timeout=10) as reply:
        return auto_post_form(reply.read().decode())


def _ask(client: FlaskClient, platform: PlayedPlatform, target: str = TOOL_URL,
         framed: bool = False):
    """A teacher's deep linking request through the whole OIDC login, as the LMS sends it."""
    headers = {"Sec-Fetch-Dest": "iframe"} if framed else {}
    login = client.get("/lti/login", headers=headers, query_string={
        "iss": platform.issuer, "login_hint": "moodle-teacher-3", "target_link_uri": target,
        "lti_message_hint": target, "client_id": platform.client_id})
    assert login.status_code == 302, login.get_data(as_text=True)
    return client.post("/lti/launch", data=_authorize(login.location), headers=headers)


def _forms(page: str) -> list[tuple[str, str, bool]]:
    """Each form on the page: (action, its JWT, whether it sends itself)."""
    found = re.findall(r'<form method="post" action="([^"]+)" target="_self"'
                       r'( data-autosubmit)?>\s*'
                       r'<input type="hidden" name="JWT" value="([^"]+)">', page)
    return [(html.unescape(action), token, bool(auto)) for action, auto, token in found]


def test_a_teacher_adding_the_tool_gets_the_course_link_the_platform_verifies(
        app, client, platform):
    platform.overrides = platform.deep_linking_request()
    response = _ask(client, platform)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    ((action, token, auto),) = _forms(page)
    assert action == platform.deep_link_return and auto  # sent at once, by lti.js
    assert "js/lti.js" in page and f"Add &ldquo;{TITLE}&rdquo;</button>" in page  # no script
    # The page may show in the LMS's dialog and post to the platform, and nowhere else.
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith(f"form-action 'self' {platform.url}") and "frame-ancestors *" in policy
    # The browser posts it to the platform, which checks it against the tool's keyset.
    taken = requests.post(action, data={"JWT": token}, timeout=10)
    assert taken.status_code == 200, platform.deep_link_refusals
    (claims,) = platform.deep_links
    assert claims["iss"] == platform.client_id and claims["aud"] == platform.issuer
    assert claims["exp"] > time.time() > claims["iat"] - 60 and len(claims["nonce"]) >= 16
    assert claims[DL + "data"] == "moodle-section-3"  # echoed as the platform sent it
    assert claims[DL + "content_items"] == [{
        "type": "ltiResourceLink", "title": TITLE, "url": COURSE_URL,
        "custom": {"course": "minimal"}, "window": {"targetName": "_blank"},
        "lineItem": {"scoreMaximum": 100, "label": TITLE, "resourceId": "minimal",
                     "tag": "ce-completion"}}]
    with app.app_context():  # a teacher's request makes no account and spends its login
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(LtiLogin.used_at)) is not None
    # The link the platform made then launches the course for a learner.
    platform.overrides = {LTI + "custom": {"course": "minimal"}}
    login = app.test_client()
    started = login.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "moodle-user-17", "target_link_uri": COURSE_URL,
        "lti_message_hint": COURSE_URL, "client_id": platform.client_id})
    launched = login.post("/lti/launch", data=_authorize(started.location))
    assert launched.status_code == 302 and launched.location.endswith("/courses/minimal")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_a_response_signed_with_another_key_is_refused_by_the_platform(app, client, platform):
    platform.overrides = platform.deep_linking_request()
    ((action, token, _),) = _forms(_ask(client, platform).get_data(as_text=True))
    platform.tool_jwks = {"keys": [{**k, "n": PlayedPlatform().jwks()["keys"][0]["n"]}
                                   for k in platform.tool_jwks["keys"]]}  # not the tool's key
    assert requests.post(action, data={"JWT": token}, timeout=10).status_code == 400
    assert "InvalidSignatureError" in platform.deep_link_refusals[0]


def test_the_request_works_in_the_lms_dialog(app, client, platform):
    # Moodle and Canvas show the tool's deep linking page inside their own page.
    platform.overrides = platform.deep_linking_request()
    response = _ask(client, platform, framed=True)
    assert response.status_code == 200 and len(_forms(response.get_data(as_text=True))) == 1


def test_without_grades_the_link_asks_for_no_grade_column(app, client, platform):
    platform.overrides = {**platform.deep_linking_request(), AGS: None}
    ((_, token, _),) = _forms(_ask(client, platform).get_data(as_text=True))
    item = platform.take_deep_link(token)[DL + "content_items"][0]
    assert "lineItem" not in item and item["url"] == COURSE_URL


def test_with_several_courses_the_teacher_picks_one(app, client, platform, package_copy: Path):
    second = package_copy.parent / "second"
    shutil.copytree(package_copy, second)
    manifest = second / "course.yaml"
    manifest.write_text(manifest.read_text().replace("slug: minimal", "slug: second")
                        .replace(f"title: {TITLE}", "title: Second course"))
    with app.app_context():
        import_course(second)
    platform.overrides = platform.deep_linking_request()
    page = _ask(client, platform).get_data(as_text=True)
    forms = _forms(page)
    assert "Choose the course to add" in page and not any(auto for _, _, auto in forms)
    urls = [platform.take_deep_link(token)[DL + "content_items"][0]["url"]
            for _, token, _ in forms]
    assert urls == [f"{LTI_BASE}/courses/second", COURSE_URL]  # by title
    # A request for a course's own address offers that course alone, sent at once.
    page = _ask(app.test_client(), platform, target=f"{LTI_BASE}/courses/second")
    ((_, token, auto),) = _forms(page.get_data(as_text=True))
    assert auto and platform.take_deep_link(token)[DL + "content_items"][0]["title"] == (
        "Second course")


def test_a_teachers_request_reads_the_offered_courses_once(app, client, platform,
                                                           package_copy: Path):
    second = package_copy.parent / "second"
    shutil.copytree(package_copy, second)
    manifest = second / "course.yaml"
    manifest.write_text(manifest.read_text().replace("slug: minimal", "slug: second"))
    with app.app_context():
        import_course(second)
        engine = db.engine
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if "FROM course" in statement and "archived_at IS NULL" in statement:
            reads.append(statement)

    platform.overrides = platform.deep_linking_request()
    event.listen(engine, "before_cursor_execute", count)
    try:
        # One that names a course no longer offered: the teacher picks among the others.
        picked = _ask(client, platform, target=f"{LTI_BASE}/courses/retired")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(_forms(picked.get_data(as_text=True))) == 2
    assert len(reads) == 1, reads


def test_a_request_for_a_link_or_file_only_says_what_to_add_instead(app, client, platform):
    platform.overrides = platform.deep_linking_request(accept_types=["link", "file"])
    response = _ask(client, platform)
    assert response.status_code == 400
    assert ("accepts only 'link, file', not an LTI resource link (ltiResourceLink)"
            in html.unescape(response.get_data(as_text=True)))


def test_a_deep_linking_request_is_checked_as_a_launch_is(app: Flask, client, platform):
    platform.overrides = {**platform.deep_linking_request(), LTI + "deployment_id": "other"}
    response = _ask(client, platform)
    assert response.status_code == 400
    assert "The deployment 'other' is not registered" in html.unescape(
        response.get_data(as_text=True))


def test_canvas_reads_the_developer_key_from_the_tools_address(app, client, platform):
    # Canvas's "Enter URL" method fetches this without signing in, and needs these keys.
    config = app.test_client().get("/lti/canvas.json").get_json()
    assert {"title", "description", "target_link_uri", "oidc_initiation_url"} <= set(config)
    assert config["oidc_initiation_url"] == f"{LTI_BASE}/lti/login"
    assert config["target_link_uri"] == TOOL_URL
    assert config["scopes"] == [
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"]
    # Its keyset URL serves the keys the platform checks the tool's messages with.
    assert client.get(config["public_jwk_url"].removeprefix(LTI_BASE)).get_json() == (
        platform.tool_jwks)
    (extension,) = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "name_only"  # names on certificates, no email
    placements = extension["settings"]["placements"]
    assert [p["placement"] for p in placements] == ["link_selection", "assignment_selection"]
    for placement in placements:
        assert placement["message_type"] == "LtiDeepLinkingRequest"
        assert placement["windowTarget"] == "_blank"
        # Canvas opens the placement in its own dialog, at the placement's target.
        platform.overrides = platform.deep_linking_request()
        response = _ask(app.test_client(), platform, target=placement["target_link_uri"],
                        framed=True)
        ((_, token, _),) = _forms(response.get_data(as_text=True))
        assert platform.take_deep_link(token)[DL + "content_items"][0]["url"] == COURSE_URL
