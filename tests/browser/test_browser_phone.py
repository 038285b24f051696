"""On a phone: a small touch screen, a connection that drops, text made large."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from browser_kit import (
    LINES_SEEN,
    NOT_QUITE,
    PASSWORD,
    RIGHT,
    Journey,
    answer_keys,
    check_keys,
    learner_at_the_post_test,
    new_learner,
    pick,
    signed_in_at,
    with_lessons_done,
)
from page_audit import measure
from playwright.sync_api import expect
from sqlalchemy import select

import certificates
from certificates.codes import spoken_code
from course.extensions import db
from course.learn.services import enrol
from course.models import Course
from course.users import create_user

PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


@contextmanager
def _phone_at_first_lesson(browser, server) -> Iterator[tuple[object, object]]:
    """A new learner, enrolled, on a phone at the first lesson: (context, page)."""
    name, email = new_learner()
    with server.app.app_context():
        create_user(email=email, password=PASSWORD, full_name=name)
        db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == server.slug))
        first = course.live_lessons[0].slug
        db.session.remove()
    with_lessons_done(server, email, 0)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/lessons/{first}")
        expect(page.locator(".breadcrumbs")).to_contain_text("Lesson 1 of")
        yield context, page
    finally:
        context.close()


def test_an_answer_tapped_offline_keeps_the_learner_in_the_lesson(browser, live_server) -> None:
    keys = answer_keys(live_server)
    with _phone_at_first_lesson(browser, live_server) as (context, page):
        lesson_url = page.url
        key = check_keys(page)[0]
        check = page.locator(f"#check-{key}")
        pick(page, key, keys[key].wrong)
        context.set_offline(True)  # the signal drops, as in a car or a basement
        check.get_by_role("button").tap()
        note = check.locator(".feedback .send-failed")
        expect(note).to_contain_text("Your answer was not sent")
        expect(note).to_be_in_viewport()
        # Still the lesson, the choice still picked: not the browser's "no internet" page.
        assert page.url == lesson_url
        assert check.locator("input:checked").count() == 1
        context.set_offline(False)
        check.get_by_role("button").tap()
        expect(check.locator(".feedback-verdict")).to_have_text(NOT_QUITE)
        expect(note).to_have_count(0)


def test_the_certificate_and_its_code_fit_a_phone_even_with_large_text(
    browser, live_server, monkeypatch
) -> None:
    server = live_server
    # A code ending in a punctuation check symbol, whose spoken name is hidden text beside
    # it: about one new code in 34, and the one a line count must not be fooled by.
    code = next(c for c in iter(certificates.new_code, None) if spoken_code(c))
    monkeypatch.setattr(certificates, "new_code", lambda: code)
    email = learner_at_the_post_test(server)
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        journey = Journey(page, server, js=True, audit=False)
        journey.post_test(right=10)
        page.get_by_role("link", name="Continue to the evaluation").tap()
        expect(page.get_by_role("heading", level=1)).to_have_text("Course evaluation")
        for fieldset in page.locator("form.evaluation fieldset").all():
            fieldset.get_by_role("radio").last.check()
        page.get_by_label(re.compile("how many minutes")).fill("45")
        page.get_by_role("button", name="Submit the evaluation").tap()
        expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of Completion")
        # In the transcript the code reads on one line, as it is copied or read to a board.
        page.goto(f"{server.url}/me")
        shown = page.locator("h2:has-text('Certificates') + ul code").first
        assert shown.inner_text().startswith(code)
        assert shown.evaluate(LINES_SEEN) == 1
        page.go_back()
        # The browser's own text size setting, as a learner with low vision sets it.
        cdp = context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32}})
        page.reload()
        page.wait_for_load_state("load")
        assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
        assert [p for p in measure(page) if "sideways" in p] == []
        # The verification link still reads as one: its code part keeps the underline.
        code = page.locator(".cert-facts a .keep-whole")
        assert "underline" in code.evaluate("e => getComputedStyle(e).textDecorationLine")
    finally:
        context.close()


def test_the_lesson_pagers_arrows_stay_beside_a_wrapped_title(browser, live_server) -> None:
    server = live_server
    if server.real_slug is None:
        pytest.skip("needs the shipped course, whose lesson titles wrap on a phone")
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name)
        course = db.session.scalar(select(Course).where(Course.slug == server.real_slug))
        enrol(user, course)
        third = course.live_lessons[2].slug
        db.session.commit()
        db.session.remove()
    context = browser.new_context(**PHONE)
    try:
        page = signed_in_at(context, server, email,
                            f"/courses/{server.real_slug}/lessons/{third}")
        # Each arrow sits on the line of the word next to it: the first line of "Previous",
        # the last line of "Next".
        for rel, line in (("prev", "rects[0]"), ("next", "rects[rects.length - 1]")):
            link = page.locator(f".pager a[rel={rel}]")
            apart = link.evaluate(f"""a => {{
                const range = document.createRange();
                const text = [...a.childNodes].find(n => n.nodeType === Node.TEXT_NODE);
                range.selectNodeContents(text);
                const rects = [...range.getClientRects()];
                const arrow = a.querySelector("[aria-hidden]").getBoundingClientRect();
                return {{lines: rects.length, gap: Math.abs(arrow.top - {line}.top)}};
            }}""")
            assert apart["lines"] > 1, f"the {rel} title no longer wraps at 320 px"
            assert apart["gap"] < 2, (rel, apart)
    finally:
        context.close()


def test_sign_up_asks_the_phone_for_the_keyboard_each_box_needs(browser, live_server) -> None:
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/auth/register")
        wanted = {  # label: (type, autocomplete, autocapitalize)
            "Full name": ("text", "name", "words"),
            "Email address": ("email", "email", "none"),
            "Create a password": ("password", "new-password", None),
            "License number (optional)": ("text", "off", "characters"),
            "State or jurisdiction that issued your license (optional)": ("text", None, "words"),
        }
        for label, (kind, autocomplete, capitals) in wanted.items():
            box = page.get_by_label(label, exact=True)
            found = (box.get_attribute("type"), box.get_attribute("autocomplete"),
                     box.get_attribute("autocapitalize"))
            assert found == (kind, autocomplete, capitals), label
    finally:
        context.close()


def test_on_a_slow_connection_an_answer_says_it_is_on_its_way(browser, live_server) -> None:
    keys = answer_keys(live_server)
    with _phone_at_first_lesson(browser, live_server) as (context, page):
        key = check_keys(page)[0]
        check = page.locator(f"#check-{key}")
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if "/checks/" in r.url else None)
        pick(page, key, keys[key].wrong)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 2000, "downloadThroughput": -1, "uploadThroughput": -1,
        })
        button = check.get_by_role("button")
        button.tap()
        status = check.locator(".feedback .send-status")
        expect(status).to_have_text("Checking your answer…")
        button.tap(force=True)  # an impatient second tap sends nothing more
        expect(check.locator(".feedback-verdict")).to_have_text(NOT_QUITE, timeout=15000)
        expect(status).to_have_count(0)
        expect(check.locator(".feedback")).not_to_have_attribute("aria-busy", "true")
        assert len(posts) == 1, posts


def test_a_lesson_left_before_complete_reopens_with_a_way_to_its_end(browser, live_server) -> None:
    keys = answer_keys(live_server)
    with _phone_at_first_lesson(browser, live_server) as (_context, page):
        lesson_url = page.url
        journey = Journey(page, live_server, js=True, audit=False)
        for key in check_keys(page):
            journey.answer(key, keys[key].right, RIGHT)
        # The phone is put away before "Complete"; later the learner comes back.
        page.goto(lesson_url)
        note = page.locator(".resume-note")
        expect(note).to_contain_text("You have answered every knowledge check in this lesson.")
        note.get_by_role("link", name="Go to the end of the lesson to mark it complete").tap()
        expect(page.get_by_role("button", name="Complete and continue")).to_be_in_viewport()
        page.get_by_role("button", name="Complete and continue").tap()
        expect(page.locator(".breadcrumbs")).to_contain_text("Lesson 2 of")
        page.goto(lesson_url)  # complete now: nothing left to point to
        expect(page.locator("#lesson-end")).to_contain_text("You have completed this lesson.")
        expect(note).to_have_count(0)


def test_feedback_sets_the_reason_apart_from_the_choice_it_explains(browser, live_server) -> None:
    keys = answer_keys(live_server)
    with _phone_at_first_lesson(browser, live_server) as (_context, page):
        key = check_keys(page)[0]
        Journey(page, live_server, js=True, audit=False).answer(key, keys[key].wrong, NOT_QUITE)
        item = page.locator(f"#check-{key} .feedback-list li").first
        gap = item.evaluate("""li => {
            const chose = [...li.querySelector(".feedback-choice").getClientRects()].pop();
            return li.querySelector(".feedback-why").getBoundingClientRect().top - chose.bottom;
        }""")
        assert gap >= 6, gap  # set apart, not one run-on sentence (3 px before)


def test_complete_on_a_slow_connection_says_it_is_at_work_and_sends_once(
    browser, live_server
) -> None:
    # The tap seemed to do nothing, and a second one posted the lesson again.
    keys = answer_keys(live_server)
    with _phone_at_first_lesson(browser, live_server) as (context, page):
        journey = Journey(page, live_server, js=True, audit=False)
        for key in check_keys(page):
            journey.answer(key, keys[key].right, RIGHT)
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST"
                and "/checks/" not in r.url and "heartbeat" not in r.url else None)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 2000, "downloadThroughput": -1, "uploadThroughput": -1,
        })
        # The page is gone once the next one arrives: it notes what its button said, and
        # taps it again the moment it changes, as an impatient learner would.
        page.evaluate("""() => {
            const button = document.querySelector('#lesson-end button');
            new MutationObserver(() => {
                sessionStorage.setItem('complete-said', button.textContent);
                button.click();
            }).observe(button, {childList: true, characterData: true, subtree: true});
        }""")
        page.get_by_role("button", name="Complete and continue").tap(no_wait_after=True)
        expect(page.locator(".breadcrumbs")).to_contain_text("Lesson 2 of", timeout=20000)
        assert page.evaluate("sessionStorage.getItem('complete-said')") == "Saving your progress…"
        assert len(posts) == 1, posts
