"""An instructor's launches from an LMS on another site, in chromium over https, as in
production: the launch's cross-site POST carries no session cookie, so it must write none
(that would sign out whoever is signed in and drop the previews opened before). It hands
over to a page of this site, whose GET carries the session, and the preview goes there.

The Flask test client sends every cookie whatever its SameSite, so only a browser shows
this. The tool is served over TLS at 127.0.0.1; the LMS (played by the tests) at
``localhost``, another site.

A learner's launch from there makes an LMS account, which the learner links to one they
made here, with the keyboard alone (the last test).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from browser_kit import PASSWORD, new_learner, sign_in
from page_audit import audit, report, snapshot
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

import lessons
from course import create_app
from course.extensions import db
from course.models import LtiPlatform, Role
from course.packages import import_package
from course.users import create_user
from tests.interop.lti_platform import LTI, PlayedPlatform, start

MINIMAL = Path(__file__).resolve().parent.parent / "data" / "packages" / "minimal"
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]


@dataclass
class Sites:
    """The tool over https and the LMS on another site."""

    url: str
    platform: PlayedPlatform
    admin_email: str
    learner_email: str
    #: An account made on this site, for a learner from the LMS to link theirs to.
    own_email: str


def _second_course(root: Path) -> Path:
    """A copy of the minimal course under a slug and title of its own."""
    package = root / "second"
    shutil.copytree(MINIMAL, package)
    manifest = package / "course.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "slug: minimal\n" in text, "the minimal package changed; update this helper"
    text = text.replace("slug: minimal\n", "slug: second\n")
    manifest.write_text(text.replace("title: ", "title: Second copy of ", 1), "utf-8")
    return package


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """The tool on https://127.0.0.1 with two courses and an admin, and a registered LMS."""
    root = tmp_path_factory.mktemp("lti-staff")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'tool.db'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
    })
    played = PlayedPlatform()
    lms, lms_thread = start(played)
    played.url = f"http://localhost:{lms.server_port}"  # another site than 127.0.0.1
    (_name, admin_email), (_other, learner_email) = new_learner(), new_learner()
    _own, own_email = new_learner()
    with app.app_context():
        db.create_all()
        for package in (MINIMAL, _second_course(root)):
            import_package(lessons.load_package(package))
        create_user(email=admin_email, password=PASSWORD, full_name="Ada Admin", role=Role.ADMIN)
        create_user(email=learner_email, password=PASSWORD, full_name="Lee Learner")
        create_user(email=own_email, password=PASSWORD, full_name="Oda Own")
        db.session.add(LtiPlatform(**played.registration()))
        db.session.commit()
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    tool = make_server("127.0.0.1", 0, app, threaded=True, ssl_context="adhoc")
    url = f"https://127.0.0.1:{tool.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=tool.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sites(url, played, admin_email, learner_email, own_email)
    finally:
        for server, running in ((tool, thread), (lms, lms_thread)):
            server.shutdown()
            running.join(timeout=10)
            server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def page(browser, sites: Sites) -> Iterator[Page]:
    """A fresh browser profile that accepts the tool's self-signed certificate."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _launch_as_instructor(page: Page, sites: Sites, slug: str) -> None:
    """Open the course from the LMS: login initiation, the LMS's form posted cross-site."""
    platform, target = sites.platform, f"{sites.url}/courses/{slug}"
    platform.overrides = {LTI + "roles": INSTRUCTOR}
    query = urlencode({"iss": platform.issuer, "login_hint": "teacher-9", "target_link_uri": target,
                       "lti_message_hint": target, "client_id": platform.client_id})
    page.goto(f"{sites.url}/lti/login?{query}")
    assert page.url.startswith(platform.url), page.url
    with page.expect_navigation():
        page.evaluate("document.forms[0].submit()")
    expect(page.get_by_role("heading", level=1)).to_contain_text("This course is connected")


def _status(page: Page, sites: Sites, path: str) -> int:
    response = page.goto(sites.url + path)
    assert response is not None
    return response.status


def test_a_staff_launch_leaves_the_sign_in_alone(page, sites) -> None:
    sign_in(page, sites, sites.admin_email)
    _launch_as_instructor(page, sites, "minimal")
    # The staff page itself knows who is signed in: it is a GET of this site.
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sign out")
    problems: dict[str, list[str]] = {}
    audit(page, "lti-staff", problems)  # at 320, 768 and 1280 px, photographed
    assert not problems, report(problems)
    page.goto(sites.url + "/me")
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sign out")
    assert "/auth/login" not in page.url


def test_the_next_person_to_sign_in_does_not_get_the_preview(page, sites) -> None:
    _launch_as_instructor(page, sites, "minimal")
    assert _status(page, sites, "/courses/minimal/preview/push-pull") == 200
    sign_in(page, sites, sites.learner_email)  # signing in starts the session afresh
    assert _status(page, sites, "/courses/minimal/preview/push-pull") == 403
    page.goto(sites.url + "/courses/minimal")
    expect(page.locator("main")).not_to_contain_text("as course staff")


def test_each_course_launched_keeps_its_preview_until_it_is_ended(page, sites) -> None:
    _launch_as_instructor(page, sites, "minimal")
    page.get_by_role("link", name="Preview the lessons").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Preview: Youth Who Run from Foster Care (test course)")
    _launch_as_instructor(page, sites, "second")
    assert _status(page, sites, "/courses/second/preview/push-pull") == 200
    assert _status(page, sites, "/courses/minimal/preview/push-pull") == 200
    # On a shared computer: ended here, the other course's preview stays as it was.
    page.get_by_role("button", name="End the preview now").click()
    expect(page.locator(".flashes")).to_contain_text("The staff preview is closed")
    assert _status(page, sites, "/courses/minimal/preview/push-pull") == 403
    assert _status(page, sites, "/courses/second/preview/push-pull") == 200


def _launch_as_learner(page: Page, sites: Sites, sub: str) -> None:
    """Open the course from the LMS as a learner: the launch signs in a new LMS account."""
    platform, target = sites.platform, f"{sites.url}/courses/minimal"
    platform.overrides = {LTI + "roles": LEARNER}
    query = urlencode({"iss": platform.issuer, "login_hint": sub, "target_link_uri": target,
                       "lti_message_hint": target, "client_id": platform.client_id})
    page.goto(f"{sites.url}/lti/login?{query}")
    with page.expect_navigation():
        page.evaluate("document.forms[0].submit()")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Youth Who Run")


def _tab_to(page: Page, name: str) -> None:
    """Press Tab until the element named ``name`` has focus, as a keyboard user would."""
    for _ in range(60):
        page.keyboard.press("Tab")
        named = page.evaluate(
            "() => { const e = document.activeElement; if (e === document.body) return '';"
            " return (e.labels && e.labels[0] ? e.labels[0].innerText : e.innerText) || ''; }")
        if name == named.strip():
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_learner_links_with_the_keyboard_and_the_next_launch_opens_their_own_account(
    page: Page, sites: Sites
) -> None:
    _launch_as_learner(page, sites, "learner-link-1")
    welcome = page.locator(".flashes")
    expect(welcome).to_contain_text("Already made an account on this site yourself?")
    problems: dict[str, list[str]] = {}
    audit(page, "lti-link-welcome", problems)
    _tab_to(page, "Link it to this one")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link to your account on this site")
    audit(page, "lti-link", problems)

    _tab_to(page, "Email address of your account on this site")
    page.keyboard.type(sites.own_email)
    _tab_to(page, "Password of that account")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("do not match an account")
    expect(page).to_have_title(re.compile(r"^Error: Link to your account on this site"))
    audit(page, "lti-link-error", problems)

    _tab_to(page, "Password of that account")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("Your accounts are linked")
    expect(page.locator("main")).to_contain_text("Youth Who Run")  # the course came along
    # The account's owner sees which system opens it, and where to undo that.
    page.goto(sites.url + "/auth/profile")
    expect(page.locator("#learning-systems")).to_have_text(
        "Learning systems that open this account")
    snapshot(page, "profile-linked")
    page.get_by_role("link", name="Unlink Agency Moodle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unlink Agency Moodle")
    audit(page, "lti-unlink", problems)
    assert not problems, report(problems)

    # A later launch, in a fresh browser, opens the account made here, with no welcome.
    fresh = page.context.browser.new_context(ignore_https_errors=True)
    try:
        again = fresh.new_page()
        _launch_as_learner(again, sites, "learner-link-1")
        expect(again.locator("main")).not_to_contain_text("Already made an account")
        again.goto(sites.url + "/auth/profile")
        expect(again.get_by_label("Email address")).to_have_value(sites.own_email)
    finally:
        fresh.close()


def _add_from_the_lms(page: Page, sites: Sites, path: str) -> None:
    """A teacher adds the tool in the LMS (deep linking) at ``path``, in the browser."""
    platform, target = sites.platform, f"{sites.url}{path}"
    platform.overrides = platform.deep_linking_request()
    platform.tool_jwks = page.request.get(f"{sites.url}/lti/jwks.json").json()
    query = urlencode({"iss": platform.issuer, "login_hint": "teacher-9", "target_link_uri": target,
                       "lti_message_hint": target, "client_id": platform.client_id})
    page.goto(f"{sites.url}/lti/login?{query}")
    page.evaluate("document.forms[0].submit()")


def test_a_teacher_adding_the_tool_sends_the_course_back_at_once(page, sites) -> None:
    before = len(sites.platform.deep_links)
    _add_from_the_lms(page, sites, "/courses/second")
    # The tool's page posts the signed link on to the LMS by itself (its policy allows it).
    expect(page.locator("body")).to_contain_text("Content added.")
    assert page.url.startswith(sites.platform.deep_link_return.split("?")[0]), page.url
    assert len(sites.platform.deep_links) == before + 1, sites.platform.deep_link_refusals
    item = sites.platform.deep_links[-1]["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item[0]["url"] == f"{sites.url}/courses/second"


def test_a_teacher_offered_several_courses_picks_one(page, sites) -> None:
    _add_from_the_lms(page, sites, "/lti/launch")  # the tool itself: no course named
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose the course to add")
    problems: dict[str, list[str]] = {}
    audit(page, "lti-deep-link", problems)  # at 320, 768 and 1280 px, photographed
    assert not problems, report(problems)
    before = len(sites.platform.deep_links)
    page.get_by_role("button", name="Add \u201cSecond copy of").click()
    expect(page.locator("body")).to_contain_text("Content added.")
    assert len(sites.platform.deep_links) == before + 1, sites.platform.deep_link_refusals


def test_without_script_the_teacher_sends_the_course_with_the_button(browser, sites) -> None:
    context = browser.new_context(ignore_https_errors=True, java_script_enabled=False)
    try:
        page = context.new_page()
        platform, target = sites.platform, f"{sites.url}/courses/second"
        platform.overrides = platform.deep_linking_request()
        platform.tool_jwks = page.request.get(f"{sites.url}/lti/jwks.json").json()
        query = urlencode({"iss": platform.issuer, "login_hint": "teacher-9",
                           "target_link_uri": target, "lti_message_hint": target,
                           "client_id": platform.client_id})
        page.goto(f"{sites.url}/lti/login?{query}")
        # The LMS's own auto-posting form needs script: a browser without it posts by hand.
        token = page.locator("input[name=id_token]").get_attribute("value")
        state = page.locator("input[name=state]").get_attribute("value")
        page.set_content(
            f'<form method="post" action="{sites.url}/lti/launch">'
            f'<input name="id_token" value="{token}"><input name="state" value="{state}">'
            '<button>Go</button></form>')
        page.get_by_role("button", name="Go").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Adding the course")
        before = len(platform.deep_links)
        page.get_by_role("button", name="Add \u201cSecond copy of").click()
        expect(page.locator("body")).to_contain_text("Content added.")
        assert len(platform.deep_links) == before + 1, platform.deep_link_refusals
    finally:
        context.close()
