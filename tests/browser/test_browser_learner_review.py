"""A new learner on a phone (320 px): what a knowledge check shows must land on screen."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import zxingcpp
from browser_kit import NOT_QUITE, PASSWORD, Journey, answer_keys, check_keys, ids_labelled
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.extensions import db
from course.learn.services import enrol
from course.models import Course, LessonProgress, User


@contextmanager
def new_learner(
    browser, live_server, *, clock: bool = False, **context_args
) -> Iterator[tuple[Page, Journey]]:
    """A learner just signed up with scripts on, on a phone (320 x 640 unless told)."""
    context = browser.new_context(**({"viewport": {"width": 320, "height": 640}} | context_args))
    try:
        page = context.new_page()
        if clock:  # before the first page, so its scripts run on the test's clock
            page.clock.install()
        journey = Journey(page, live_server, js=True, audit=False)
        journey.sign_up()
        yield page, journey
    finally:
        context.close()


def test_a_knowledge_check_shows_its_feedback_and_its_error_on_a_phone(
    browser, live_server
) -> None:
    keys = answer_keys(live_server)
    with new_learner(browser, live_server) as (page, journey):
        page.get_by_role("button", name="Start the course").click()
        first, second = check_keys(page)[:2]

        # A wrong answer, sent from the keyboard: the button stays focused and in view,
        # and the explanation below it comes into view too instead of below the fold.
        (wrong,) = ids_labelled(page, f"#check-{first}", keys[first].wrong)
        page.locator(f"[id='{wrong}']").check()
        button = page.locator(f"#check-{first} button[type=submit]")
        button.focus()
        page.keyboard.press("Enter")
        verdict = page.locator(f"#feedback-{first} .feedback-verdict")
        expect(verdict).to_have_text(NOT_QUITE)
        expect(verdict).to_be_in_viewport(ratio=1)
        expect(button).to_be_focused()
        expect(button).to_be_in_viewport(ratio=1)

        # "Check my answer" with nothing chosen: the message is said beside the question,
        # so the learner is taken there (its first choice) with the message in view.
        button = page.locator(f"#check-{second} button[type=submit]")
        button.focus()
        page.keyboard.press("Enter")
        error = page.locator(f"#check-{second} .question-error")
        expect(error).to_contain_text("Choose an answer, then check it.")
        expect(error).to_be_in_viewport(ratio=1)
        expect(page.locator(f"#check-{second} input[name='choice-{second}']").first).to_be_focused()


def test_the_time_out_warning_offers_only_what_the_learner_can_do_now(
    browser, live_server
) -> None:
    phone = {"viewport": {"width": 375, "height": 667}, "has_touch": True}
    with new_learner(browser, live_server, clock=True, **phone) as (page, journey):
        dialog = page.get_by_role("alertdialog")
        # The page's scripts time the warning from when they run: jumping the clock
        # before they have run would start their count after the jump.
        page.wait_for_load_state("load")
        page.clock.fast_forward("58:00")
        expect(dialog).to_have_accessible_name("Are you still there?")
        # Still signed in: "Stay signed in", and not yet "Sign in again" beside it.
        expect(dialog.get_by_role("button", name="Stay signed in")).to_be_visible()
        expect(dialog.get_by_role("link", name="Sign in again")).to_be_hidden()
        page.clock.fast_forward("03:00")
        expect(dialog).to_contain_text("you were signed out")
        # The dialog is renamed for what happened, not left asking "Are you still there?".
        expect(dialog).to_have_accessible_name("You were signed out")
        expect(dialog.get_by_role("link", name="Sign in again")).to_be_visible()
        expect(dialog.get_by_role("button", name="Stay signed in")).to_be_hidden()


def test_the_certificate_shows_its_qr_code_on_a_phone(browser, live_server) -> None:
    with new_learner(browser, live_server) as (page, journey):
        journey.lessons()
        journey.post_test(right=10)
        page.get_by_role("link", name="Continue to the evaluation").click()
        journey.evaluation()
        expect(journey.heading()).to_have_text("Certificate of Completion")
        qr = page.locator(".cert-qr svg")
        qr.scroll_into_view_if_needed()
        box = qr.bounding_box()
        assert box and box["width"] >= 96 and box["height"] >= 96, box  # scannable
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box  # and on screen
        scan = Image.open(io.BytesIO(qr.screenshot()))
        assert len(zxingcpp.read_barcodes(scan)) == 1


def test_an_unattended_lesson_is_signed_out_as_its_warning_says(browser, live_server) -> None:
    with new_learner(browser, live_server, clock=True) as (page, journey):
        page.get_by_role("button", name="Start the course").click()
        page.wait_for_url("**/lessons/**")  # and its load event: see below
        beats: list[str] = []
        page.on("request", lambda r: beats.append(r.url) if r.url.endswith("/heartbeat") else None)
        dialog = page.get_by_role("alertdialog")
        # The page's scripts time the warning from when they run: jumping the clock
        # before they have run would start their count after the jump.
        page.wait_for_load_state("load")
        page.clock.fast_forward("58:00")  # the learner walked away from the lesson
        expect(dialog).to_contain_text("you will be signed out in about 2 minutes")
        # The time left is kept up to date while the warning waits.
        page.clock.fast_forward("01:00")
        expect(dialog).to_contain_text("you will be signed out in about a minute")
        # The warning taking focus is not the learner coming back: no reading time is
        # reported for the minutes it waits, and the sign-out comes when it said.
        for _ in range(2):
            page.clock.fast_forward("01:00")
        expect(dialog).to_contain_text("you were signed out")
        # The page's own note on unsent work (a lesson's: how a choice picked and not
        # sent is still kept), read by the script.
        expect(dialog).to_contain_text("“Save my answers and sign in” keeps the ones you chose "
                                       "and have not sent, then you sign in and come back here.")
        # A screen reader hears the change: the retitled heading takes focus, and is read
        # with the note it describes; the next Tab reaches the button that keeps them.
        title = dialog.get_by_role("heading", name="You were signed out")
        expect(title).to_be_focused()
        expect(title).to_have_accessible_description(
            re.compile(r"^For your safety you were signed out .* come back here\.$")
        )
        expect(dialog).to_have_accessible_name("You were signed out")
        page.keyboard.press("Tab")
        expect(dialog.get_by_role("button", name="Save my answers and sign in")).to_be_focused()
        page.keyboard.press("Tab")
        expect(dialog.get_by_role("link", name="Sign in again")).to_be_focused()
        assert beats == []


def test_without_script_the_list_of_unanswered_checks_takes_focus(browser, live_server) -> None:
    # A browser skips autofocus on an address with an #anchor: the anchor is the list.
    with new_learner(browser, live_server, java_script_enabled=False) as (page, journey):
        page.get_by_role("button", name="Start the course").click()
        page.get_by_role("button", name="Complete and continue").click()
        expect(page.locator("#lesson-end .error-summary")).to_be_focused()


def test_a_check_sent_with_enter_from_a_choice_keeps_that_choice_on_screen(
    browser, live_server
) -> None:
    # The shipped course's second check: its feedback is long enough to scroll a phone.
    server = live_server
    if server.real_slug is None:
        pytest.skip("needs the shipped course, whose feedback fills a phone's screen")
    with new_learner(browser, server) as (page, journey):
        with server.app.app_context():
            course = db.session.scalar(select(Course).where(Course.slug == server.real_slug))
            user = db.session.scalar(select(User).where(User.full_name == journey.name))
            enrol(user, course)
            first_lesson = course.live_lessons[0].slug
            db.session.commit()
        page.goto(f"{server.url}/courses/{server.real_slug}/lessons/{first_lesson}")
        key = check_keys(page)[1]
        choice = page.locator(f"#check-{key} input[name='choice-{key}']").first
        choice.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")  # sends the form, as a keyboard user often does
        expect(page.locator(f"#feedback-{key} .feedback-verdict")).to_be_visible()
        expect(choice).to_be_focused()
        expect(choice).to_be_in_viewport()


def test_the_list_of_unanswered_checks_takes_focus_to_the_check(browser, live_server) -> None:
    with new_learner(browser, live_server) as (page, journey):
        page.get_by_role("button", name="Start the course").click()
        first = check_keys(page)[0]
        page.get_by_role("button", name="Complete and continue").click()
        summary = page.locator("#lesson-end .error-summary")
        expect(summary).to_be_focused()
        # The page loaded in full before the key: on a busy machine a Tab sent sooner went
        # to the link, and the summary's late autofocus took focus back (once, locally).
        page.wait_for_load_state("load")
        page.keyboard.press("Tab")
        expect(summary.get_by_role("link", name="Knowledge check 1")).to_be_focused()
        page.keyboard.press("Enter")
        # Focus goes to the check, in view, not back to the top of the page...
        check = page.locator(f"#check-{first}")
        expect(check).to_be_focused()
        expect(check.locator("legend")).to_be_in_viewport()
        # ...and the next Tab reaches its first choice.
        page.keyboard.press("Tab")
        expect(check.locator(f"input[name='choice-{first}']").first).to_be_focused()


def test_the_post_test_list_of_unanswered_questions_takes_focus_there(
    browser, live_server
) -> None:
    with new_learner(browser, live_server) as (page, journey):
        journey.lessons()
        expect(journey.heading()).to_have_text("Post-test")
        page.get_by_role("button", name="Submit my answers").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        page.keyboard.press("Tab")
        expect(summary.get_by_role("link", name="Question 1", exact=True)).to_be_focused()
        page.keyboard.press("Enter")
        question = page.locator("form.post-test fieldset.question").first
        expect(question).to_be_focused()
        expect(question.locator("legend")).to_be_in_viewport()


def test_the_reading_still_to_do_counts_down_as_reading_is_credited(browser, live_server):
    """"About N more minutes to go" follows the heartbeats instead of staying as drawn."""
    server = live_server
    if server.real_slug is None:
        pytest.skip("needs the shipped course, which has a minimum reading time")
    app, beat = server.app, server.app.config["HEARTBEAT_SECONDS"]
    app.config["HEARTBEAT_SECONDS"] = 1  # pages drawn now beat every second
    try:
        with new_learner(browser, server) as (page, journey):
            lessons_url = f"{server.url}/courses/{server.real_slug}/lessons"
            with app.app_context():
                course = db.session.scalar(select(Course).where(Course.slug == server.real_slug))
                user = db.session.scalar(select(User).where(User.full_name == journey.name))
                enrolment = enrol(user, course)
                first, second = course.live_lessons[:2]
                db.session.commit()
            page.goto(f"{lessons_url}/{first.slug}")
            note = page.locator("[data-seconds-to-go]").first
            to_go = int(note.get_attribute("data-seconds-to-go"))
            # Reading done elsewhere, all but 61 seconds: "about 2 more minutes" to go.
            with app.app_context():
                db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=second.id,
                                              active_seconds=to_go - 61))
                db.session.commit()
            page.goto(f"{lessons_url}/{first.slug}")
            words = page.locator("[data-reading-left]").first
            expect(words).to_have_text(re.compile(r"about 2 more\s+minutes to go"))
            for _ in range(8):  # the learner reads on, scrolling: the beats are credited
                page.mouse.wheel(0, 40)
                page.wait_for_timeout(500)
            expect(words).to_have_text("about 1 more minute to go")
    finally:
        app.config["HEARTBEAT_SECONDS"] = beat


def test_a_profile_saved_on_a_phone_says_so_where_a_screen_reader_starts(
        browser, live_server) -> None:
    """Saving reopens the same page: its title alone says nothing happened. The message
    takes focus, as the evaluation's and the correction request's do, so it is read."""
    with new_learner(browser, live_server) as (page, journey):
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Profile").click()
        page.get_by_label("License number (optional)").fill("LSW-1234")
        page.get_by_role("button", name="Save my details").click()
        saved = page.locator(".flashes .focus-target")
        expect(saved).to_have_text("Your details are saved.")
        expect(saved).to_be_focused()
        expect(saved).to_be_in_viewport()
        page.get_by_role("link", name="Change your password").click()
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password").fill("a brand new passphrase here")
        page.get_by_role("button", name="Change password").click()
        expect(journey.heading()).to_have_text("Your profile")
        changed = page.locator(".flashes .focus-target")
        expect(changed).to_contain_text("Your password is changed.")
        expect(changed).to_be_focused()
