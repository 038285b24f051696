"""An author edits a lesson in chromium, sees the preview and a finding, fixes it, publishes.

Then a learner opens the lesson and reads the new text. The author pages are checked with
axe-core on the way. The author area has no script of its own: every button is a form.
"""

from __future__ import annotations

import re

from browser_kit import PASSWORD, assert_accessible, new_learner
from page_audit import snapshot
from playwright.sync_api import Page, expect

from course.extensions import db
from course.models import Role
from course.users import create_user

OLD = "Youth leave placement for reasons that make sense to them."
FLAGGED = "A runner leaves placement for reasons that make sense to them."
FIXED = "A youth who runs leaves placement for reasons that make sense to them."


def _account(server, role: Role) -> str:
    name, email = new_learner()
    with server.app.app_context():
        create_user(email=email, password=PASSWORD, full_name=name, role=role)
        db.session.commit()
        db.session.remove()
    return email


def _sign_in(page: Page, server, email: str) -> None:
    page.goto(server.url + "/auth/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sign out")


def test_an_author_fixes_a_finding_publishes_and_a_learner_reads_it(browser, live_server):
    server = live_server
    context = browser.new_context()
    try:
        page = context.new_page()
        _sign_in(page, server, _account(server, Role.AUTHOR))
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Authoring").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Authoring")
        page.get_by_role("link", name=server.title).click()
        assert_accessible(page, "author dashboard")
        snapshot(page, "author-course")
        page.get_by_role("link", name="Push and pull factors").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Edit lesson: Push and pull factors"
        )

        text = page.get_by_label("Lesson text (Markdown)")
        original = text.input_value()
        assert OLD in original and "[check: push-pull-1]" in original
        text.fill(original.replace(OLD, FLAGGED))
        page.get_by_role("button", name="Preview").click()
        preview = page.locator("section.preview")
        expect(page.locator("#preview-heading")).to_have_text("Preview (not saved yet)")
        expect(preview).to_contain_text(FLAGGED)
        finding = page.locator(".finding-list li").filter(has_text="runner")
        expect(finding).to_contain_text("line 1 of the text")
        expect(finding).to_contain_text('use "a youth who runs"')
        assert_accessible(page, "lesson editor with preview and findings")
        snapshot(page, "author-lesson-editor")

        text = page.get_by_label("Lesson text (Markdown)")
        assert FLAGGED in text.input_value(), "the unsaved text stays in the editor"
        text.fill(text.input_value().replace(FLAGGED, FIXED))
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("section.findings")).to_contain_text(
            "The checker found no problems in this lesson."
        )
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flashes")).to_contain_text("Saved as revision 2.")

        page.get_by_role("navigation", name="Course authoring").get_by_role(
            "link", name="Publish"
        ).click()
        expect(page.locator("body")).to_contain_text("01-push-pull.md")
        assert_accessible(page, "publish page")
        page.get_by_role("button", name="Publish now").click()
        expect(page.locator(".flashes")).to_contain_text(re.compile(r"Published as version \d+\."))
    finally:
        context.close()

    context = browser.new_context()
    try:
        page = context.new_page()
        _sign_in(page, server, _account(server, Role.ADMIN))
        nav = page.get_by_role("navigation", name="Account")
        nav.get_by_role("link", name="Administration").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
        assert_accessible(page, "admin overview")
        snapshot(page, "admin-home")
        page.get_by_role("navigation", name="Administration").get_by_role(
            "link", name="Learners"
        ).click()
        assert_accessible(page, "admin learners")
        snapshot(page, "admin-learners")
    finally:
        context.close()

    context = browser.new_context()
    try:
        page = context.new_page()
        _sign_in(page, server, _account(server, Role.LEARNER))
        page.goto(f"{server.url}/courses/{server.slug}")
        page.get_by_role("button", name="Start the course").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Push and pull factors")
        expect(page.locator("article.lesson")).to_contain_text(FIXED)
        expect(page.locator("article.lesson")).not_to_contain_text(OLD)
    finally:
        context.close()
