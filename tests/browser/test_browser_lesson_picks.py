"""With script, a knowledge check's button sends every check's picks, as the page without
script does: nothing picked is lost to another button, a sign-out or a link away."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from browser_kit import (
    NOT_QUITE,
    RIGHT,
    Journey,
    answer_keys,
    check_keys,
    idle_for,
    pick,
    sign_in_here,
)
from playwright.sync_api import expect
from sqlalchemy import func, select

from course.extensions import db
from course.models import CheckResponse, Enrolment
from course.users import find_user_by_email


def _recorded(server, email: str) -> int:
    with server.app.app_context():
        user = find_user_by_email(email)
        count = db.session.scalar(select(func.count()).select_from(CheckResponse).join(
            Enrolment).where(Enrolment.user_id == user.id))
        db.session.remove()
    return count


@contextmanager
def _first_lesson(browser, server, width: int) -> Iterator[tuple[object, object, Journey]]:
    """A new learner, script on, at the first lesson: (context, page, journey)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        journey = Journey(page, server, js=True, audit=False)
        journey.sign_up()
        page.get_by_role("button", name="Start the course").click()
        yield context, page, journey
    finally:
        context.close()


def test_a_checks_button_saves_every_pick_in_place(browser, live_server) -> None:
    keys = answer_keys(live_server)
    with _first_lesson(browser, live_server, 320) as (_context, page, journey):
        email = journey.email
        first, second = check_keys(page)[:2]
        # Complete with nothing answered: the list of what is missing, and "Error:".
        page.get_by_role("button", name="Complete and continue").click()
        summary = page.locator("#lesson-missing")
        expect(summary).to_contain_text("2 knowledge checks are still unanswered")
        assert page.title().startswith("Error: ")
        pick(page, first, keys[first].wrong)
        pick(page, second, keys[second].right)
        page.locator(f"#check-{second}").get_by_role("button").click()
        expect(page.locator(f"#feedback-{second} .feedback-verdict")).to_have_text(RIGHT)
        # The other check's pick went with it: its feedback shows where it stands.
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(NOT_QUITE)
        note = page.locator(f"#feedback-{second} .feedback-note")
        expect(note.get_by_role("link", name="knowledge check 1")).to_have_attribute(
            "href", f"#feedback-{first}")
        # Both answered here: the list of missing checks and the title's "Error:" go.
        expect(summary).to_have_count(0)
        assert not page.title().startswith("Error: ")
        assert _recorded(live_server, email) == 2
        # Pressed again unchanged: its feedback again, nothing recorded twice.
        page.locator(f"#check-{second}").get_by_role("button").click()
        expect(page.locator(f"#feedback-{second} .feedback-note")).to_contain_text(
            "not saved a second time")
        assert _recorded(live_server, email) == 2
        # A new pick not sent: a link away asks first, and staying keeps it.
        pick(page, first, keys[first].right)
        asked: list[str] = []
        page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
        page.locator(".pager a[rel=next]").click()
        for _ in range(100):  # the prompt comes a moment after the click, later when busy
            if asked:
                break
            page.wait_for_timeout(50)
        assert asked == ["beforeunload"]
        expect(page.locator(f"#check-{first} input:checked")).to_have_count(
            len(keys[first].right))
        # Sent, nothing is left to ask about.
        page.locator(f"#check-{first}").get_by_role("button").click()
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(RIGHT)
        with page.expect_navigation():  # (to a lesson not open yet: it sends them back)
            page.locator(".pager a[rel=next]").click()
        assert asked == ["beforeunload"]


def test_signed_out_the_dialog_saves_every_pick_and_comes_back(browser, live_server) -> None:
    """On a phone the page's buttons lie behind the signed-out dialog: its own first
    button sends the lesson's picks, then the learner signs in and is back."""
    keys = answer_keys(live_server)
    context = browser.new_context(viewport={"width": 320, "height": 640}, has_touch=True)
    try:
        page = context.new_page()
        page.clock.install()
        journey = Journey(page, live_server, js=True, audit=False)
        journey.sign_up()
        email = journey.email
        page.get_by_role("button", name="Start the course").click()
        page.wait_for_load_state("load")
        lesson = page.url
        first, second = check_keys(page)[:2]
        pick(page, first, keys[first].right)
        pick(page, second, keys[second].wrong)
        idle_for(context, live_server, 2 * 3600)  # the server's side of the time-out
        page.clock.fast_forward("01:01:00")
        dialog = page.get_by_role("alertdialog", name="You were signed out")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Save my answers and sign in").tap()
        sign_in_here(page, email)
        expect(page).to_have_url(re.compile("^" + re.escape(lesson)))
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(RIGHT)
        expect(page.locator(f"#feedback-{second} .feedback-verdict")).to_have_text(NOT_QUITE)
        assert _recorded(live_server, email) == 2
    finally:
        context.close()


def test_a_stale_tab_shows_the_newer_answer_and_an_empty_check_says_what_it_saved(
        browser, live_server) -> None:
    keys = answer_keys(live_server)
    with _first_lesson(browser, live_server, 1280) as (context, page, _journey):
        first, second = check_keys(page)[:2]
        # An empty check pressed with another check picked: refused, and it says, beside
        # the refusal, that the other was saved.
        pick(page, second, keys[second].right)
        page.locator(f"#check-{first}").get_by_role("button").click()
        error = page.locator(f"#check-{first}-error")
        expect(error.locator(".field-error")).to_contain_text("Choose an answer, then check it.")
        expect(error.locator(".feedback-note").get_by_role("link", name="knowledge check 2")
               ).to_have_attribute("href", f"#feedback-{second}")
        # Answered here, then changed in a second tab: pressed unchanged here, the page
        # shows the newer answer and says why, and the older one is not put back.
        pick(page, first, keys[first].wrong)
        page.locator(f"#check-{first}").get_by_role("button").click()
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(NOT_QUITE)
        other = context.new_page()
        other.goto(page.url)
        pick(other, first, keys[first].right)
        other.locator(f"#check-{first}").get_by_role("button").click()
        expect(other.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(RIGHT)
        page.locator(f"#check-{first}").get_by_role("button").click()
        expect(page.locator(f"#feedback-{first} .feedback-note")).to_contain_text(
            "changed in another tab or window")
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(RIGHT)
