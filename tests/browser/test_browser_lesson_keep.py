"""A phone that closes or reloads the tab mid-lesson: the learner's unsent picks and
reading place come back, for that account only, with no announcement and focus unmoved."""

from __future__ import annotations

import json
import re

import pytest
from browser_kit import (
    NOT_QUITE,
    PASSWORD,
    RIGHT,
    Journey,
    answer_keys,
    check_keys,
    label_of,
    new_learner,
    pick,
    sign_in_here,
    signed_in_at,
)
from page_audit import audit, report
from playwright.sync_api import expect
from sqlalchemy import select

from course.extensions import db
from course.learn.services import enrol
from course.models import Course
from course.users import create_user

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def _enrolled(server, slug: str) -> tuple[str, str]:
    """A new learner enrolled in course ``slug``: (email, the first lesson's address)."""
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name)
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        enrol(user, course)
        first = course.live_lessons[0].slug
        db.session.commit()
        db.session.remove()
    return email, f"/courses/{slug}/lessons/{first}"


def _kept(page) -> dict[str, dict]:
    """What the lesson pages keep in this browser's storage."""
    return {k: json.loads(v) for k, v in page.evaluate("Object.entries(localStorage)")
            if k.startswith("ce-lesson:")}


def _nothing_focused(page) -> bool:
    return page.evaluate("document.activeElement === document.body")


def test_a_choice_picked_and_not_sent_comes_back_after_the_tab_closes(
    browser, live_server
) -> None:
    server = live_server
    keys = answer_keys(server)
    email, lesson = _enrolled(server, server.slug)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, email, lesson)
        first = check_keys(page)[0]
        pick(page, first, keys[first].wrong)
        # Kept as positions: no email, name or words of the choice in the browser.
        stored = json.dumps(_kept(page))
        assert stored.count('"v":') == 1, stored
        assert email not in stored and keys[first].wrong[0] not in stored
        page.close()  # the phone closes the tab; later the learner opens the lesson again
        page = context.new_page()
        page.goto(server.url + lesson)
        check = page.locator(f"#check-{first}")
        picked = check.locator("input:checked")
        expect(picked).to_have_count(1)
        assert label_of(picked) == keys[first].wrong[0]
        kept_note = ("You picked this on your last visit. It is not saved until you press the "
                     "button below.")
        expect(check.locator(".kept-note")).to_have_text(kept_note)
        # A screen reader tabbing into the choices hears it once, as their description.
        expect(check.locator("fieldset")).to_have_accessible_description(re.compile(kept_note))
        # Quietly: no feedback region spoke, nothing took focus.
        expect(check.locator(".feedback")).to_be_empty()
        assert _nothing_focused(page)
        problems: dict[str, list[str]] = {}
        audit(page, "lesson-kept-pick", problems)
        assert not problems, report(problems)
        # Sent: forgotten here, the server has it.
        check.get_by_role("button", name="Check my answer").tap()
        expect(check.locator(".feedback-verdict")).to_have_text(NOT_QUITE)
        expect(check.locator(".kept-note")).to_have_count(0)
        described_by = check.locator("fieldset").get_attribute("aria-describedby") or ""
        assert "kept-note" not in described_by
        assert all(not entry["picks"] for entry in _kept(page).values()), _kept(page)
    finally:
        context.close()


def test_on_a_shared_computer_picks_stay_with_their_account_and_go_at_sign_out(
    browser, live_server
) -> None:
    server = live_server
    keys = answer_keys(server)
    (mine, lesson), (theirs, _) = _enrolled(server, server.slug), _enrolled(server, server.slug)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, mine, lesson)
        first = check_keys(page)[0]
        pick(page, first, keys[first].right)
        page.close()
        context.clear_cookies()  # the sign-in ends without "Sign out" (a time-out)
        # The next person at this computer sees none of it on the same lesson.
        page = signed_in_at(context, server, theirs, lesson)
        expect(page.locator(f"#check-{first} input:checked")).to_have_count(0)
        expect(page.locator(".kept-note")).to_have_count(0)
        page.close()
        context.clear_cookies()
        # Back to the first learner: still there, for them.
        page = signed_in_at(context, server, mine, lesson)
        expect(page.locator(f"#check-{first} input:checked")).to_have_count(len(keys[first].right))
        # "Sign out" forgets everything lesson pages kept in this browser.
        page.get_by_role("navigation", name="Account").get_by_role("button", name="Sign out").tap()
        expect(page.locator(".flashes")).to_have_text("You have signed out.")
        assert _kept(page) == {}
        page.goto(server.url + "/auth/login")
        sign_in_here(page, mine)
        page.goto(server.url + lesson)
        expect(page.locator(f"#check-{first} input:checked")).to_have_count(0)
    finally:
        context.close()


def _scroll_to(page, locator) -> None:
    """Scroll as a reader does until ``locator`` stands at the top of the screen."""
    locator.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 8)")
    page.wait_for_timeout(700)  # the place is noted once scrolling rests


def test_the_lesson_opens_again_near_where_the_learner_was_reading(
    browser, live_server
) -> None:
    server = live_server
    if server.real_slug is None:
        pytest.skip("needs the shipped course, whose lessons run to many screens")
    email, lesson = _enrolled(server, server.real_slug)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, email, lesson)
        heading = page.locator(".lesson-text h2", has_text="What the figures show")
        _scroll_to(page, heading)
        page.goto(f"{server.url}/courses/{server.real_slug}")  # away, and back next day
        page.get_by_role("link", name="Continue: Lesson 1").tap()
        expect(heading).to_be_in_viewport()
        top = heading.evaluate("e => e.getBoundingClientRect().top")
        assert 0 <= top < 100, top
        assert _nothing_focused(page)
        # An address with a #fragment goes where it says, not to the reading place.
        page.goto(f"{server.url}{lesson}#lesson-end")
        expect(page.locator("#lesson-end-heading")).to_be_in_viewport()
        page.wait_for_timeout(300)
        expect(heading).not_to_be_in_viewport()
    finally:
        context.close()


def test_the_resume_link_still_goes_to_the_next_check(browser, live_server) -> None:
    server = live_server
    keys = answer_keys(server)
    email, lesson = _enrolled(server, server.slug)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, email, lesson)
        first, second = check_keys(page)[:2]
        Journey(page, server, js=True, audit=False).answer(first, keys[first].right, RIGHT)
        _scroll_to(page, page.locator(f"#check-{first}"))
        page.goto(f"{server.url}{lesson}")
        expect(page.locator(f"#check-{first}")).to_be_in_viewport()  # the reading place
        page.evaluate("window.scrollTo(0, 0)")
        page.get_by_role("link", name="Go on from knowledge check 2").tap()
        page.wait_for_timeout(500)
        expect(page.locator(f"#check-{second}")).to_be_in_viewport()
        assert page.url.endswith(f"#check-{second}")
    finally:
        context.close()


def test_sign_out_clears_what_pages_kept_even_when_its_script_did_not_run(
    browser, live_server
) -> None:
    server = live_server
    keys = answer_keys(server)
    mine, lesson = _enrolled(server, server.slug)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, mine, lesson)
        first = check_keys(page)[0]
        pick(page, first, keys[first].right)
        assert _kept(page)
        before = {c["name"] for c in context.cookies()}
        # The form sent without its submit event (as when the page's script failed to
        # load): only the server's answer can clear this browser's storage now.
        with page.expect_navigation():
            page.evaluate("document.querySelector('button[data-sign-out]').form.submit()")
        expect(page.locator(".flashes")).to_have_text("You have signed out.")
        assert _kept(page) == {}
        # Storage only: the device cookie that keeps strangers' failed sign-ins from
        # holding this browser up stays.
        assert server.app.config["DEVICE_COOKIE_NAME"] in before
        assert server.app.config["DEVICE_COOKIE_NAME"] in {c["name"] for c in context.cookies()}
    finally:
        context.close()
