"""An administrator's form that works sends the page back with its outcome focused, where
the page opens: a screen reader read the page's top (or nothing new) after a correction,
a revoke or a reinstatement, and a correction's message sat a screen above its form."""

from __future__ import annotations

from pathlib import Path

from browser_kit import PASSWORD, new_learner, sign_in
from playwright.sync_api import Page, expect

from course.extensions import db
from course.models import Role
from course.users import create_user, find_user_by_email
from tests.live_client import Browser
from tests.ops.learner import AnswerKey, Learner

MINIMAL = Path(__file__).resolve().parent.parent / "data" / "packages" / "minimal"


def _press(page: Page, button: str) -> None:
    """Tab to the button and press Enter, as a keyboard user does."""
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == button:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError(f"Tab never reached {button!r}")


def _focused_news(page: Page, text: str) -> None:
    """The page says ``text`` in the element that has focus, and it is on screen."""
    news = page.locator(".flash:focus")
    expect(news).to_contain_text(text)
    expect(news).to_be_in_viewport()


def test_correct_revoke_and_reinstate_each_focus_what_happened(browser, live_server) -> None:
    server = live_server
    _name, email = new_learner()
    learner = Learner(Browser(server.url), AnswerKey.of(MINIMAL), email, inbox=server.inbox)
    learner.take_the_course()
    admin_name, admin_email = new_learner()
    with server.app.app_context():
        learner_id = find_user_by_email(email).id
        create_user(email=admin_email, password=PASSWORD, full_name=admin_name, role=Role.ADMIN)
        db.session.commit()
        db.session.remove()
    context = browser.new_context(viewport={"width": 320, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, server, admin_email)
        page.goto(f"{server.url}/admin/learners/{learner_id}")
        name = page.get_by_label("Full name, as certificates print it")
        name.fill(name.input_value() + "-Reyes")
        page.get_by_label("Reason for the correction").fill("The learner asked; name misspelled")
        _press(page, "Save the correction")
        _focused_news(page, "The details are corrected; reissued as")
        section = page.locator("#correct")
        expect(section.locator(".flash")).to_have_count(1)  # beside the form, not at the top

        code = page.locator(".flash:focus").inner_text().split("reissued as ")[1].rstrip(".")
        page.goto(f"{server.url}/admin/certificates/{code}")
        page.get_by_label("Reason for revoking").fill("Issued in error; test only")
        _press(page, "Revoke certificate")
        _focused_news(page, "is revoked.")
        page.get_by_label("Reason for reinstating").fill("Revoked by mistake")
        _press(page, "Reinstate on a new certificate")
        _focused_news(page, "stays revoked and names it.")
    finally:
        context.close()
