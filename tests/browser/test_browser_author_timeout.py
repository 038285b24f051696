"""An author's unsaved text survives the idle sign-out, in chromium, keyboard alone: the
signed-out message's "Save my text and sign in" saves it to the draft and comes back.

Time passes on the server by ageing the session cookie's record of the last activity,
signed with the app's key as the app would; in the page, Playwright's clock moves on.
"""

from __future__ import annotations

import re
import time

from browser_kit import (
    PASSWORD,
    assert_accessible,
    focused,
    idle_for,
    new_learner,
    sign_in_here,
)
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.extensions import db
from course.models import CourseDraft, Role
from course.teams.services import add_member
from course.users import create_user

WRITTEN = "A paragraph the author wrote over a long hour without pressing Save: {}."


def _author(server) -> str:
    """A new author on the test course's team; returns the email."""
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name, role=Role.AUTHOR)
        add_member(server.slug, user, "author", by=None)
        db.session.commit()
        db.session.remove()
    return email


def _draft_lesson(server) -> str:
    with server.app.app_context():
        draft = db.session.scalar(select(CourseDraft).where(CourseDraft.slug == server.slug))
        text = draft.files["01-push-pull.md"] if draft else ""
        db.session.remove()
    return text


def _typing_on_the_lesson_editor(browser, server, minutes: int):
    """A page on the lesson editor with text typed and nothing sent for ``minutes``."""
    email = _author(server)
    written = WRITTEN.format(email)
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.clock.install()
    page.goto(f"{server.url}/auth/login")
    sign_in_here(page, email)
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sign out")
    page.goto(f"{server.url}/author/courses/{server.slug}/lessons/push-pull")
    text = page.get_by_label("Lesson text (Markdown)")
    text.fill(text.input_value() + f"\n{written}\n")

    idle_for(context, server, minutes * 60)  # the author wrote without sending anything...
    page.clock.fast_forward(f"{minutes // 60:02d}:{minutes % 60:02d}:00")  # ...timers agree
    return context, page, email, written


def _save_and_come_back(page: Page, server, email: str, written: str) -> None:
    """Press the focused "Save my text and sign in", sign in, and find the text kept."""
    assert focused(page)["text"] == "Save my text and sign in"
    assert written not in _draft_lesson(server)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".flashes")).to_contain_text("Your changes were saved as revision")
    assert written in _draft_lesson(server)
    sign_in_here(page, email)

    # Back on the editor, the text in the draft and on the page.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit lesson:")
    assert page.url.endswith(f"/author/courses/{server.slug}/lessons/push-pull")
    text = page.get_by_label("Lesson text (Markdown)")
    expect(text).to_have_value(re.compile(re.escape(written)))


def test_save_my_text_and_sign_in_keeps_the_text_through_the_sign_out(browser, live_server):
    server = live_server
    context, page, email, written = _typing_on_the_lesson_editor(browser, server, 61)
    try:
        dialog = page.get_by_role("alertdialog", name="You were signed out")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("you were signed out after a period without activity")
        expect(dialog).to_contain_text("Your text is still on this page.")
        expect(dialog.get_by_role("button", name="Stay signed in")).to_be_hidden()
        # The new title takes focus, so a screen reader reads it with the editor's note...
        title = dialog.get_by_role("heading", name="You were signed out")
        expect(title).to_be_focused()
        expect(title).to_have_accessible_description(re.compile("Your text is still on this page"))
        # ...and the safe choice is the first Tab away; the other one says what it costs.
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Save my text and sign in"
        sign_in_again = dialog.get_by_role("link", name="Sign in again")
        expect(sign_in_again).to_have_accessible_description(
            "Sign in again without saving, and the text you typed since your last save is lost."
        )
        assert_accessible(page, "signed-out message on an author's editor")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Sign in again"
        page.keyboard.press("Shift+Tab")
        _save_and_come_back(page, server, email, written)
    finally:
        context.close()


def test_stay_signed_in_pressed_too_late_still_lets_the_text_be_saved(browser, live_server):
    # The warning was up when the laptop went to sleep; it wakes after the sign-out and
    # the author presses "Stay signed in". Asking the server then would end the session
    # for good, and the Save that follows could no longer be kept.
    server = live_server
    context, page, email, written = _typing_on_the_lesson_editor(browser, server, 58)
    try:
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_have_accessible_name("Are you still there?")
        expect(dialog).to_contain_text("you will be signed out in about 2 minutes")
        assert focused(page)["text"] == "Stay signed in"
        idle_for(context, server, 70 * 60)
        page.clock.set_system_time(int(time.time() + 3600) * 1000)  # no timer runs
        page.keyboard.press("Enter")
        expect(dialog).to_contain_text("you were signed out after a period without activity")
        # The pressed button is gone; focus is not lost to the page but on the new title.
        expect(dialog.get_by_role("heading", name="You were signed out")).to_be_focused()
        page.keyboard.press("Tab")
        _save_and_come_back(page, server, email, written)
    finally:
        context.close()


def test_a_comment_typed_before_the_sign_out_is_added_from_the_page_it_was_typed_on(
    browser, live_server
):
    # No editor to save through: the signed-out message leads back to the page, whose
    # own button then adds the comment for its author on the way to the sign-in.
    server = live_server
    email = _author(server)
    comment = f"Lesson 1's second example reads as a real case; please mark it fictional ({email})."
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        page.clock.install()
        page.goto(f"{server.url}/auth/login")
        sign_in_here(page, email)
        page.goto(f"{server.url}/author/courses/{server.slug}/lessons/push-pull")
        text = page.get_by_label("Lesson text (Markdown)")
        text.fill(text.input_value() + "\nA sentence for the reviewer to read.\n")
        page.get_by_role("button", name="Save", exact=True).click()
        page.goto(f"{server.url}/author/courses/{server.slug}/publish")
        page.get_by_label("Comment", exact=True).fill(comment)

        idle_for(context, server, 61 * 60)
        page.clock.fast_forward("01:01:00")
        dialog = page.get_by_role("alertdialog", name="You were signed out")
        expect(dialog).to_contain_text("Go back to it and press its button")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Back to the page"
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(page.get_by_label("Comment", exact=True)).to_have_value(comment)

        page.get_by_role("button", name="Add the comment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.locator(".flashes")).to_contain_text("Your comment was added on revision")
        sign_in_here(page, email)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Review and publish")
        expect(page.locator("#comments").locator("xpath=..")).to_contain_text(comment)
    finally:
        context.close()
