"""Every learner page type at 320, 768 and 1280 px: no sideways scrolling, 44 px buttons
and choice rows (24 px links), a focus ring of 3:1 or more, and no axe-core violation of
any impact under the WCAG 2.0, 2.1 and 2.2 A and AA rules. Each page is also
photographed at 320 and 1280 px into tests/browser/screenshots/ for a person to look at.

One browser page walks a learner through the course, stopping at each page type in the
states that matter most (errors shown, feedback shown); the real course's lessons are
checked at phone width, where long tables and addresses used to scroll sideways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote

import pytest
from browser_kit import (
    LINES_SEEN,
    NOT_QUITE,
    RIGHT,
    Journey,
    answer_keys,
    axe_run,
    check_keys,
    pick,
)
from page_audit import AXE_TAGS, audit, focus_rings, measure, report
from playwright.sync_api import expect


def test_every_learner_page_type_at_three_widths(browser, live_server) -> None:
    server = live_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        journey = Journey(page, server, js=True, audit=False)
        course_url = f"{server.url}/courses/{server.slug}"

        # Signed out: the catalogue, a course, sign-in with errors, register, verify.
        page.goto(server.url + "/")
        audit(page, "catalogue", problems)
        page.goto(course_url)
        audit(page, "course-signed-out", problems)
        page.goto(server.url + "/auth/login")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".error-summary")).to_be_focused()
        audit(page, "sign-in-errors", problems)
        page.goto(server.url + "/verify")
        audit(page, "verify", problems)

        journey.sign_up()
        audit(page, "course-start", problems)
        page.get_by_role("button", name="Start the course").click()
        lesson_one = page.url
        page.goto(f"{course_url}/post-test")
        expect(page.get_by_role("heading", level=1)).to_contain_text("not open yet")
        audit(page, "not-open", problems)

        # A lesson: an empty answer refused beside the question, then feedback.
        page.goto(lesson_one)
        keys = check_keys(page)
        first = page.locator(f"#check-{keys[0]}")
        first.get_by_role("button", name="Check my answer").click()
        refused = "Error: Choose an answer, then check it."
        expect(first.locator(".question-error")).to_have_text(refused)
        journey.answer(keys[0], journey.keys[keys[0]].wrong, NOT_QUITE)
        audit(page, "lesson", problems)
        page.get_by_role("button", name="Complete and continue").click()
        expect(page.locator("#lesson-end .error-summary")).to_be_focused()
        audit(page, "lesson-unfinished", problems)
        for key in check_keys(page):
            journey.answer(key, journey.keys[key].right, RIGHT)
        page.get_by_role("button", name="Complete and continue").click()
        expect(page.locator(".breadcrumbs")).to_contain_text("Lesson 2 of 2")
        page.goto(course_url)
        expect(page.locator(".next-step")).to_contain_text("Continue: Lesson 2")
        audit(page, "course-in-progress", problems)
        page.goto(server.url + "/")
        audit(page, "my-learning", problems)
        home = page.locator(".my-learning")
        home.get_by_role("link", name=re.compile("^Continue: Lesson 2")).click()
        for key in check_keys(page):
            journey.answer(key, journey.keys[key].right, RIGHT)
        page.get_by_role("button", name="Complete and go to the post-test").click()

        # The post-test sent with nothing answered, then failed once, then passed.
        page.get_by_role("button", name="Submit my answers").click()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator(".error-summary li")).to_have_count(10)
        audit(page, "post-test-errors", problems)
        journey.post_test(right=7)
        # The submit only starts the navigation: audited before the review arrives, the
        # checks ran on the post-test page or died with it (on a busy machine).
        expect(page).to_have_url(re.compile(r"/post-test/attempts/1$"))
        audit(page, "review", problems)
        page.get_by_role("link", name="Try the post-test again").click()
        journey.post_test(right=10)
        page.get_by_role("link", name="Continue to the evaluation").click()
        # On a phone the summary of every missing answer is taller than the screen: it
        # must open at its heading, not scrolled to its end.
        page.set_viewport_size({"width": 320, "height": 320})  # the test course asks less
        page.get_by_role("button", name="Submit the evaluation").click()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#error-summary-title")).to_be_in_viewport()
        audit(page, "evaluation-errors", problems)
        for fieldset in page.locator("form.evaluation fieldset").all():
            fieldset.get_by_role("radio").last.check()
        minutes = page.get_by_label(re.compile("how many minutes"))
        minutes.fill("45")
        # Enter in a field submits, as the form's first button would: the details button
        # above the form, first in the page, once took the learner to the profile.
        minutes.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of Completion")
        audit(page, "certificate", problems)
        # Printed, it is one landscape page: the code, QR code and signature were on a
        # second one, and the first alone could not be verified.
        page.emulate_media(media="print")
        printed = page.pdf(prefer_css_page_size=True)
        page.emulate_media(media="screen")
        assert len(re.findall(rb"/Type\s*/Page[^s]", printed)) == 1
        code = unquote(page.url.rsplit("/", 1)[1])
        # On a phone the verification address breaks after a slash, not inside the code.
        # Codes issued before new codes stopped ending in * $ = show them percent-encoded,
        # as the PDF and QR code do: mail and chat programs cut links at those.
        page.set_viewport_size({"width": 320, "height": 900})
        code_part = page.locator(".cert-facts a .keep-whole")
        expect(code_part).to_have_text(quote(code, safe="-"))
        assert code_part.evaluate(LINES_SEEN) == 1
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{server.url}/verify/{code}")
        audit(page, "verify-result", problems)
        # A code mistyped in the address: the page with the box to correct it in.
        wrong = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
        page.goto(f"{server.url}/verify/{wrong}")
        audit(page, "verify-mistyped", problems)
        # The board uploads the PDF it was handed: as issued, then after an edit.
        pdf = page.request.get(f"{server.url}/me/certificates/{code}.pdf").body()
        for name, data in (("verify-pdf", pdf), ("verify-pdf-no-match", pdf + b"\n%edit")):
            page.goto(server.url + "/verify")
            page.get_by_label("Certificate PDF file").set_input_files(
                {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": data})
            page.get_by_role("button", name="Check the PDF").click()
            verdict = "Sample certificate" if name == "verify-pdf" else "No match."
            expect(page.locator(".verdict")).to_contain_text(verdict)
            audit(page, name, problems)
        page.goto(server.url + "/me")
        audit(page, "transcript", problems)
        # Between a phone and a laptop (200% zoom, a phone held sideways) its six columns
        # neither push the page sideways nor break a word such as "Completed" in two.
        for width in (500, 640):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            status = page.locator(".transcript td[data-label=Status]").first
            lines = "cell => { const r = document.createRange(); r.selectNodeContents(cell);"
            lines += " return r.getClientRects().length; }"
            assert status.evaluate(lines) == 1, (width, status.inner_text())
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(server.url + "/auth/profile")
        audit(page, "profile", problems)

        if server.real_slug:
            _real_lessons(page, f"{server.url}/courses/{server.real_slug}", problems)
    finally:
        context.close()
    assert not problems, report(problems)


def _real_lessons(page, url: str, problems: dict[str, list[str]]) -> None:
    """The real course's page (authors, disclosure, references) at every width, its
    lessons at phone width, and lesson 5 (a wide table) at every width."""
    page.goto(url)
    audit(page, "course-real", problems)
    page.get_by_role("button", name="Start the course").click()
    expect(page.locator("nav.breadcrumbs")).to_contain_text("Lesson 1 of")
    page.goto(url)
    lessons = page.locator(".outline a").evaluate_all("a => a.map(e => e.href)")
    assert len(lessons) >= 5
    for number, href in enumerate(lessons, start=1):
        page.goto(href)
        if number == 5:
            audit(page, "lesson-with-table", problems)
            continue
        page.set_viewport_size({"width": 320, "height": 900})
        found = measure(page)
        if found:
            problems[f"real lesson {number}@320"] = found
        page.set_viewport_size({"width": 1280, "height": 900})


def test_the_audit_catches_each_kind_of_problem(browser) -> None:
    """The checks above can fail: a page with one of each problem fails every one."""
    context = browser.new_context(viewport={"width": 320, "height": 600})
    try:
        page = context.new_page()
        page.set_content(
            """<!doctype html><html lang="en"><head><title>Bad</title><style>
              button { width: 30px; height: 20px; }
              a:focus { outline: 2px solid #2491ff; outline-offset: 2px; }
              .wide { width: 500px; }
            </style></head><body><main>
              <div class="wide">A box wider than a phone</div>
              <button>Go</button>
              <p><a href="#x">A link whose ring is 3.2:1</a> on a grey page.</p>
              <input type="text">
            </main></body></html>"""
        )
        page.evaluate("() => { document.body.style.background = '#f0f0f0'; }")
        found = " ".join(measure(page))
        assert "scrolls sideways" in found and "button 'Go' is 30x20 px" in found
        rings = " ".join(focus_rings(page))
        assert "A link whose ring" in rings and "against its background" in rings
        assert {v["id"] for v in axe_run(page, AXE_TAGS)} >= {"label"}
    finally:
        context.close()


@contextmanager
def _first_lesson_on_a_phone_without_script(browser, live_server) -> Iterator[tuple]:
    """A new learner at 320 px with scripts off, on the course's first lesson."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        journey = Journey(page, live_server, js=False, audit=False)
        journey.sign_up()
        page.get_by_role("button", name="Start the course").click()
        yield page, journey
    finally:
        context.close()


def test_without_javascript_refusals_show_where_the_page_opens(browser, live_server) -> None:
    """No script: an empty answer and an early "Complete" are refused in view, in place,
    on the lesson's own address, so a reload sends nothing again and the refusal is gone."""
    with _first_lesson_on_a_phone_without_script(browser, live_server) as (page, _journey):
        lesson = page.url.split("#")[0]
        last = check_keys(page)[-1]
        page.locator(f"#check-{last}").get_by_role("button", name="Check my answer").click()
        expect(page).to_have_url(f"{lesson}#check-{last}")
        error = page.locator(f"#check-{last}-error")
        expect(error).to_have_text("Error: Choose an answer, then check it.")
        expect(error).to_be_in_viewport()
        page.get_by_role("button", name="Complete and continue").click()
        expect(page).to_have_url(f"{lesson}#lesson-missing")
        summary = page.locator("#lesson-end .error-summary")
        expect(summary).to_contain_text("still unanswered")
        expect(summary).to_be_in_viewport()
        expect(summary).to_be_focused()
        summary.get_by_role("link").first.click()
        expect(page).to_have_url(re.compile(r"#check-"))
        # A reload (pull to refresh) is a plain GET: the lesson as it is, said once.
        page.reload()
        expect(page.locator("#lesson-end h2")).to_be_visible()
        expect(summary).to_have_count(0)
        expect(page.locator(".has-error")).to_have_count(0)


def test_without_javascript_an_answer_reopens_at_its_verdict_on_a_phone(
    browser, live_server
) -> None:
    """No script, 320 px: the page that answers a check opens with its verdict in view."""
    keys = answer_keys(live_server)
    with _first_lesson_on_a_phone_without_script(browser, live_server) as (page, journey):
        key = check_keys(page)[0]
        # Journey.answer checks the address (#feedback-KEY), the verdict in view and the
        # button's words: "Check again" after a wrong answer, "Try another answer" after a
        # right one.
        journey.answer(key, keys[key].wrong, NOT_QUITE)
        button = page.locator(f"#check-{key} button")
        expect(button).to_be_in_viewport()  # the question's end stays just above
        journey.answer(key, keys[key].right, RIGHT)
        expect(page.locator(f"#feedback-{key} .feedback-body")).to_contain_text("You chose")


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_complete_sends_the_choices_not_yet_checked(browser, live_server, js) -> None:
    """A choice made but never checked is sent by "Complete", not cleared, with or
    without script: the lesson is one form."""
    keys = answer_keys(live_server)
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=js)
    try:
        page = context.new_page()
        journey = Journey(page, live_server, js=js, audit=False)
        journey.sign_up()
        page.get_by_role("button", name="Start the course").click()
        lesson = page.url
        for key in check_keys(page):  # chosen, never "Check my answer"
            pick(page, key, keys[key].right)
        page.get_by_role("button", name="Complete and continue").click()
        expect(page).not_to_have_url(lesson)  # on to the next lesson
        expect(page.locator(".error-summary")).to_have_count(0)
        page.goto(lesson)  # the answers were stored, each with its verdict
        for key in check_keys(page):
            expect(page.locator(f"#feedback-{key} .feedback-verdict")).to_have_text(RIGHT)
    finally:
        context.close()


def test_without_script_a_pick_survives_another_checks_button_and_enter(
        browser, live_server) -> None:
    """Without script, a choice picked under one check and not checked is kept when the
    learner checks another, and Enter in a choice saves it and opens at its feedback."""
    keys = answer_keys(live_server)
    context = browser.new_context(viewport={"width": 320, "height": 640},
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        journey = Journey(page, live_server, js=False, audit=False)
        journey.sign_up()
        page.get_by_role("button", name="Start the course").click()
        first, second = check_keys(page)[:2]
        pick(page, first, keys[first].wrong)
        pick(page, second, keys[second].right)
        page.locator(f"#check-{second}").get_by_role("button").click()
        expect(page).to_have_url(re.compile(f"#feedback-{second}$"))
        expect(page.locator(f"#feedback-{second} .feedback-verdict")).to_have_text(RIGHT)
        # The first check's pick was recorded too, with its verdict, not cleared, and
        # where the page opens it says so, with a link there.
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(NOT_QUITE)
        note = page.locator(f"#feedback-{second} .feedback-note")
        expect(note.get_by_role("link", name="knowledge check 1")).to_have_attribute(
            "href", f"#feedback-{first}")
        # Enter on a choice: the new pick is saved and the page opens at its feedback.
        pick(page, first, keys[first].right)
        page.locator(f"#check-{first} input[name='choice-{first}']:checked").press("Enter")
        expect(page).to_have_url(re.compile(f"#feedback-{first}$"))
        expect(page.locator(f"#feedback-{first} .feedback-verdict")).to_have_text(RIGHT)
    finally:
        context.close()
