"""Every admin and author page type, two-step verification's too, at 320, 768 and 1280 px,
held to the learner pages' bar: no sideways scrolling of the page (a wide table scrolls
inside its own box), 44 px buttons, 24 px links, a focus ring of 3:1 or more, and no
axe-core violation.

The records hold a learner who finished the course over HTTP, so the tables an
administrator reads (learners, certificates, the audit log, the course report) have
rows. Each page is photographed at 320 and 1280 px beside the learner pages.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pyotp
from browser_kit import PASSWORD, focused, new_learner, sign_in
from page_audit import audit, report
from playwright.sync_api import expect
from sqlalchemy import select

import lessons
from course.author.services import Editor, commit_files, find_workspace, lock_draft
from course.db import utcnow
from course.extensions import db
from course.models import Course, LtiGradeTarget, LtiPlatform, OutboxMessage, Role
from course.teams.services import add_member
from course.users import create_user, find_user_by_email
from tests.live_client import Browser
from tests.ops.learner import AnswerKey, Learner

MINIMAL = Path(__file__).resolve().parent.parent / "data" / "packages" / "minimal"
#: The real course's lesson with the widest table.
_TABLE = "trauma-informed-language"


def _finished_learner(server) -> tuple[int, str]:
    """A learner who took the whole course over HTTP: (their id, their certificate code)."""
    _name, email = new_learner()
    learner = Learner(Browser(server.url), AnswerKey.of(MINIMAL), email, inbox=server.inbox)
    learner.take_the_course()
    with server.app.app_context():
        user_id = find_user_by_email(email).id
        db.session.remove()
    return user_id, learner.certificate


def _admin_and_an_author(server) -> tuple[str, int]:
    """An admin to sign in as, and an author on the course's team (a row to remove): the
    admin's email and the membership's id."""
    (name, email), (author_name, author_email) = new_learner(), new_learner()
    with server.app.app_context():
        create_user(email=email, password=PASSWORD, full_name=name, role=Role.ADMIN)
        author = create_user(email=author_email, password=PASSWORD, full_name=author_name,
                             role=Role.AUTHOR)
        member_id = add_member(server.slug, author, "author", by=None).id
        db.session.commit()
        db.session.remove()
    return email, member_id


def _revised_draft(server, email: str) -> str:
    """A draft of the real course with two revisions, so its history offers a Restore
    whichever tests ran before (the minimal course's drafts belong to the author test)."""
    slug = server.real_slug or server.slug
    with server.app.app_context():
        editor = Editor(find_user_by_email(email))
        draft = lock_draft(find_workspace(slug), editor)
        name = min(f for f in draft.files if f.endswith(".md"))
        files = {**draft.files, name: draft.files[name] + "\n"}
        commit_files(draft, editor, files, file=name, summary="A blank line at the end")
        db.session.commit()
        db.session.remove()
    return slug


def _deliveries(server, learner_id: int) -> None:
    """An LMS with a score sent and one no worker has taken for an hour (overdue), so the
    Overview's deliveries and the LMS page's scores column show at every width."""
    now = utcnow()
    with server.app.app_context():
        platform = LtiPlatform(name="Agency Moodle", issuer="https://moodle.agency.example.org",
                               client_id="course-engine-tool",
                               auth_login_url="https://moodle.agency.example.org/mod/lti/auth.php",
                               auth_token_url="https://moodle.agency.example.org/mod/lti/token.php",
                               jwks_url="https://moodle.agency.example.org/mod/lti/certs.php")
        db.session.add(platform)
        db.session.flush()
        course_id = db.session.scalar(select(Course.id).where(Course.slug == server.slug))
        target = LtiGradeTarget(user_id=learner_id, course_id=course_id,
                                platform_id=platform.id, subject="moodle-learner-7")
        db.session.add(target)
        db.session.flush()
        for sent_at, due in ((now - timedelta(hours=2), now - timedelta(hours=2)),
                             (None, now - timedelta(hours=1))):
            db.session.add(OutboxMessage(channel="lti", message_id=str(uuid.uuid4()), payload={},
                                         grade_target_id=target.id, created_at=due,
                                         next_attempt_at=due, sent_at=sent_at))
        db.session.commit()
        db.session.remove()


def test_every_admin_and_author_page_type_at_three_widths(browser, live_server) -> None:
    server = live_server
    learner_id, code = _finished_learner(server)
    _deliveries(server, learner_id)
    admin_email, member_id = _admin_and_an_author(server)
    revised = _revised_draft(server, admin_email)
    package = lessons.load_package(MINIMAL)
    lesson, question = package.lessons[0].slug, package.post_test[0].id
    admin, author = f"{server.url}/admin", f"{server.url}/author/courses/{server.slug}"
    pages = {
        "admin-home": f"{admin}/",
        "admin-learners": f"{admin}/learners",
        "admin-learner": f"{admin}/learners/{learner_id}",
        "admin-certificates": f"{admin}/certificates",
        "admin-certificate": f"{admin}/certificates/{code}",
        "admin-audit-log": f"{admin}/audit",
        # Narrowed by the learner page's link: the "Only about" box and whom it names.
        "admin-audit-learner": f"{admin}/audit?learner_id={learner_id}",
        "admin-report": f"{admin}/courses/{server.slug}/report",
        "admin-approval": f"{admin}/courses/{server.slug}/approval",
        "admin-team": f"{admin}/courses/{server.slug}/team",
        "admin-team-member": f"{admin}/courses/{server.slug}/team/{member_id}",
        "admin-enroll": f"{admin}/courses/{server.slug}/enroll",
        "admin-corrections": f"{admin}/corrections",
        "admin-lti": f"{admin}/lti",
        "author-home": f"{server.url}/author/",
        "author-course": f"{author}/",
        "author-settings": f"{author}/settings",
        "author-lesson": f"{author}/lessons/{lesson}",
        "author-post-test": f"{author}/post-test",
        "author-question": f"{author}/post-test/questions/{question}",
        "author-evaluation": f"{author}/evaluation",
        "author-history": f"{server.url}/author/courses/{revised}/history",
        "author-publish": f"{author}/publish",
        "author-report": f"{author}/report",
        "staff-preview": f"{server.url}/courses/{server.slug}/preview",
        "staff-preview-lesson": f"{server.url}/courses/{server.slug}/preview/{lesson}",
    }
    if server.real_slug:  # a long lesson with a wide table, every check with its answers
        pages["staff-preview-real"] = f"{server.url}/courses/{server.real_slug}/preview/{_TABLE}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        sign_in(page, server, admin_email)
        for name, url in pages.items():
            response = page.goto(url)
            assert response is not None and response.ok, (name, url, response and response.status)
            if name == "author-history":  # the audit reaches a revision's Restore button
                expect(page.get_by_role("button", name="Restore revision 1")).to_be_visible()
            audit(page, name, problems)
        # On a phone each course is a card: its record links are on screen, not scrolled off.
        page.set_viewport_size({"width": 320, "height": 900})
        page.goto(f"{admin}/")
        box = page.get_by_role("link", name="Audit pack (ZIP)").last.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 320, box
        # A worker that stopped shows, in words, where the admin looks first.
        expect(page.locator("#deliveries ~ ul").first).to_contain_text(
            re.compile(r"Overdue: a message due for 6\d minutes"))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{admin}/learners")
        expect(page.locator("main table")).to_contain_text("Jordan Browser")
        # A revoked certificate's page: its history and the form to reinstate it.
        page.goto(f"{admin}/certificates/{code}")
        page.get_by_label("Reason for revoking").fill("Revoked to see the page; test only")
        page.get_by_role("button", name="Revoke certificate").click()
        expect(page.get_by_role("button", name="Reinstate on a new certificate")).to_be_visible()
        audit(page, "admin-certificate-revoked", problems)
    finally:
        context.close()
    assert not problems, report(problems)


def test_two_step_verification_pages_at_three_widths(browser, live_server) -> None:
    # Setting up an authenticator app, the codes shown once, the sign-in's second step
    # (with a refused code, as a person who mistyped sees it) and the admin's way to turn
    # it off for someone who lost the phone.
    server = live_server
    (name, email), (admin_name, admin_email) = new_learner(), new_learner()
    with server.app.app_context():
        author_id = create_user(email=email, password=PASSWORD, full_name=name,
                                role=Role.AUTHOR).id
        create_user(email=admin_email, password=PASSWORD, full_name=admin_name, role=Role.ADMIN)
        db.session.commit()
        db.session.remove()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        sign_in(page, server, email)
        page.goto(f"{server.url}/auth/two-factor")
        audit(page, "staff-two-factor-off", problems)
        page.get_by_role("link", name="Set up two-step verification").click()
        audit(page, "staff-two-factor-setup", problems)
        key = page.locator(".setup-key code").inner_text().replace(" ", "")
        totp = pyotp.TOTP(key)
        code = page.get_by_label("Enter the 6-digit code from your authenticator app")
        expect(code).to_have_attribute("autocomplete", "one-time-code")
        expect(code).to_have_attribute("inputmode", "numeric")
        code.fill(totp.now())
        page.get_by_role("button", name="Turn on two-step verification").click()
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        audit(page, "staff-recovery-codes", problems)
        page.goto(f"{server.url}/auth/two-factor")
        audit(page, "staff-two-factor-on", problems)
        page.get_by_role("link", name="Turn off two-step verification").click()
        audit(page, "staff-two-factor-confirm", problems)
        page.get_by_role("button", name="Sign out").click()
        page.goto(server.url + "/auth/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
        # Half signed in, the header offers only a way out: the code field is the fourth
        # stop (skip link, site name, "Cancel signing in"), the second after the skip link.
        stops = []
        for _ in range(4):
            page.keyboard.press("Tab")
            stops.append(focused(page)["text"] or focused(page)["id"])
        assert stops == ["Skip to main content", "CE Course Engine", "Cancel signing in",
                         "code"], stops
        audit(page, "staff-second-step", problems)
        code = page.get_by_label("Enter the 6-digit code from your authenticator app")
        code.fill("000000")
        page.get_by_role("button", name="Sign in").click()
        # The error is read with the field, and the summary links to it.
        expect(code).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#code-error")).to_contain_text("That code did not work")
        audit(page, "staff-second-step-error", problems)
        page.get_by_role("link", name="Use a recovery code instead").click()
        audit(page, "staff-second-step-recovery", problems)
        page.get_by_role("link", name="Use a code from your authenticator app instead").click()
        code.fill(totp.at(time.time() + 30))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sign out")
        admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(admin, server, admin_email)
        admin.goto(f"{server.url}/admin/learners/{author_id}")
        expect(admin.get_by_role("button", name="Turn off two-step verification")).to_be_visible()
        audit(admin, "admin-learner-second-factor", problems)
        admin.context.close()
    finally:
        context.close()
    assert not problems, report(problems)
