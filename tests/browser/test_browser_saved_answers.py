"""No answer is lost, in chromium: nine post-test answers survive an idle sign-out, and
before the sign-out the page offers to stay signed in (WCAG 2.2.1), keyboard alone.

Time passes on the server by ageing the session cookie's record of the last activity,
signed with the app's key as the app would; in the page, Playwright's clock moves on.
"""

from __future__ import annotations

import re
import time

import pytest
from browser_kit import (
    answer_keys,
    answer_question,
    assert_accessible,
    focused,
    idle_for,
    label_of,
    learner_at_the_post_test,
    sign_in_here,
    signed_in_at,
)
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from course.auth.sessions import SEEN_AT
from course.extensions import db
from course.models import CheckResponse, Course, Enrolment, PostTestAttempt
from course.users import find_user_by_email


def _chosen(page: Page, fieldset_id: str) -> set[str]:
    return {label_of(box) for box in page.locator(f"[id='{fieldset_id}'] input:checked").all()}


def _saved_answers(server, email: str) -> int:
    """How many answers the server keeps for the learner's open attempt."""
    with server.app.app_context():
        user = find_user_by_email(email)
        attempt = db.session.scalar(
            select(PostTestAttempt)
            .join(Enrolment)
            .where(Enrolment.user_id == user.id, PostTestAttempt.submitted_at.is_(None))
        )
        count = len(attempt.draft or {}) if attempt else 0
        db.session.remove()
    return count


def _until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_nine_answers_survive_the_idle_sign_out(browser, live_server, js: bool) -> None:
    server = live_server
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context(java_script_enabled=js)
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        expect(page.get_by_role("heading", level=1)).to_have_text("Post-test")
        # The page promises only what it does: saving as chosen needs the script.
        promise = "Your answers are saved as you choose them"
        button_only = "Press “Save and finish later” to keep your answers if you leave"
        intro = page.locator(".post-test-rules li").first
        expect(intro).to_contain_text(promise if js else button_only, use_inner_text=True)
        expect(intro).not_to_contain_text(button_only if js else promise, use_inner_text=True)
        ids = page.locator("form.post-test fieldset.question").evaluate_all(
            "f => f.map(e => e.id)"
        )
        assert len(ids) == 10
        for fieldset_id in ids[:9]:
            answer_question(page, fieldset_id, keys[fieldset_id.removeprefix("q-")].right)
        if js:  # saved as chosen, each answer in turn
            expect(page.locator("[data-save-status]")).to_have_text("Your answers are saved.")
            assert _until(lambda: _saved_answers(server, email) == 9)
        else:  # nothing is sent until a button is pressed
            assert _saved_answers(server, email) == 0

        idle_for(context, server, 2 * 3600)  # the learner stepped away
        page.get_by_role("button", name="Submit my answers").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.locator(".flashes")).to_contain_text("the answers you sent are saved")
        sign_in_here(page, email)

        # Back on the post-test: the same attempt, the nine answers as they were.
        expect(page).to_have_url(f"{server.url}/courses/{server.slug}/post-test")
        for fieldset_id in ids[:9]:
            assert _chosen(page, fieldset_id) == set(keys[fieldset_id.removeprefix("q-")].right)
        assert _chosen(page, ids[9]) == set()
        answer_question(page, ids[9], keys[ids[9].removeprefix("q-")].right)
        page.get_by_role("button", name="Submit my answers").click()
        expect(page).to_have_url(re.compile(r"/post-test/attempts/1$"))
        result = page.locator(".result[role=status]")
        expect(result).to_contain_text("You answered 10 of 10 correctly (100%)")
        expect(result).to_contain_text("You passed.")
    finally:
        context.close()


def test_before_the_idle_sign_out_the_learner_can_stay_signed_in(browser, live_server) -> None:
    server = live_server
    email = learner_at_the_post_test(server)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(f"{server.url}/auth/login")
        sign_in_here(page, email)
        page.goto(f"{server.url}/courses/{server.slug}/post-test")
        dialog = page.get_by_role("alertdialog", name="Are you still there?")
        expect(dialog).to_be_hidden()

        idle_for(context, server, 58 * 60)  # 58 minutes without a request...
        page.clock.fast_forward("58:00")  # ...and the page's timers agree
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("you will be signed out in about 2 minutes")
        assert focused(page)["text"] == "Stay signed in"  # focus moved into the dialog
        assert_accessible(page, "idle sign-out warning")
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()

        # The server counted that as activity: an hour's allowance again.
        name = server.app.config["SESSION_COOKIE_NAME"]
        cookie = next(c for c in context.cookies(server.url) if c["name"] == name)
        serializer = server.app.session_interface.get_signing_serializer(server.app)
        assert serializer.loads(cookie["value"])[SEEN_AT] >= int(time.time()) - 10
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Post-test")
    finally:
        context.close()


def test_a_submit_waits_for_a_save_still_on_its_way(browser, live_server) -> None:
    """The last answer's save is slow and the learner submits at once: the save arrives
    first and succeeds, then the submission; the form never crosses its own save."""
    server = live_server
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context()
    statuses: list[tuple[str, int]] = []
    try:
        page = context.new_page()
        page.on("response", lambda r: statuses.append((r.request.method + " " + r.url, r.status)))
        page.goto(f"{server.url}/auth/login")
        sign_in_here(page, email)
        page.goto(f"{server.url}/courses/{server.slug}/post-test")
        ids = page.locator("form.post-test fieldset.question").evaluate_all(
            "f => f.map(e => e.id)"
        )
        for fieldset_id in ids[:9]:
            answer_question(page, fieldset_id, keys[fieldset_id.removeprefix("q-")].right)
        expect(page.locator("[data-save-status]")).to_have_text("Your answers are saved.")

        # From now on the page's saves leave a second late, as on a weak signal.
        page.evaluate(
            """() => { const send = window.fetch;
                window.fetch = (url, options) => new Promise(
                    done => setTimeout(() => done(send(url, options)), 1000)); }"""
        )
        before = len(statuses)
        answer_question(page, ids[9], keys[ids[9].removeprefix("q-")].right)  # starts the slow save
        page.get_by_role("button", name="Submit my answers").click()
        expect(page).to_have_url(re.compile(r"/post-test/attempts/1$"))
        expect(page.locator(".result[role=status]")).to_contain_text("10 of 10 correctly")
        after = statuses[before:]
        assert [(what, status) for what, status in after if status >= 400] == []
        # The slow save was answered (not cut off by the page leaving), before the submit.
        saves = [i for i, (what, _) in enumerate(after) if what.endswith("/post-test/save")]
        submits = [i for i, (what, _) in enumerate(after)
                   if what.startswith("POST") and what.endswith("/post-test")]
        assert saves and submits and saves[0] < submits[0], after
    finally:
        context.close()


def test_an_answer_saved_after_the_sign_out_is_told_once(browser, live_server) -> None:
    """An answer given after the server signed the learner out: the time-out dialog says
    so, its title taking focus, and the form's status region does not say it again."""
    server = live_server
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context()
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        first = page.locator("form.post-test fieldset.question").first.get_attribute("id")
        status = page.locator("[data-save-status]")
        idle_for(context, server, 2 * 3600)  # a laptop woken after two hours
        # One click: the dialog opens on the first save, and would block a second box of a
        # select-all question (the first question drawn is either kind).
        answer_question(page, first, keys[first.removeprefix("q-")].right[:1])
        dialog = page.get_by_role("alertdialog", name="You were signed out")
        expect(dialog).to_contain_text("Your answers so far are saved")
        expect(dialog.get_by_role("heading", name="You were signed out")).to_be_focused()
        expect(status).to_be_empty()
    finally:
        context.close()


def test_answers_given_on_after_closing_the_signed_out_dialog_are_kept(
        browser, live_server) -> None:
    """The learner closes the "You were signed out" dialog with Escape and answers on,
    then submits: every answer is there after signing in (the later ones were lost)."""
    server = live_server
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context()
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        ids = page.locator("form.post-test fieldset.question").evaluate_all(
            "f => f.map(e => e.id)")
        idle_for(context, server, 2 * 3600)
        dialog = page.get_by_role("alertdialog", name="You were signed out")
        first, *others = ids[:4]
        answer_question(page, first, keys[first.removeprefix("q-")].right[:1])
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        for fieldset_id in others:  # closed, it stays closed: the status line says it
            answer_question(page, fieldset_id, keys[fieldset_id.removeprefix("q-")].right[:1])
        expect(page.locator("[data-save-status]")).to_contain_text("Your answers are saved")
        expect(dialog).to_be_hidden()
        assert _until(lambda: _saved_answers(server, email) == 4)
        page.get_by_role("button", name="Submit my answers").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.locator(".flashes")).to_contain_text("the answers you sent are saved")
        assert page.locator(".flashes").inner_text().count("you were signed out") == 1
        sign_in_here(page, email)
        expect(page).to_have_url(f"{server.url}/courses/{server.slug}/post-test")
        for fieldset_id in ids[:4]:
            wanted = set(keys[fieldset_id.removeprefix("q-")].right[:1])
            assert _chosen(page, fieldset_id) == wanted
    finally:
        context.close()


def test_a_knowledge_check_answered_after_the_sign_out_is_kept_and_says_so(
        browser, live_server) -> None:
    """With the script, "Check my answer" after an idle sign-out opens the signed-out
    dialog (it used to show "This form was not saved"), and the answer is recorded."""
    server = live_server
    email = learner_at_the_post_test(server)
    context = browser.new_context()
    try:
        with server.app.app_context():
            lesson = db.session.scalar(select(Course).where(Course.slug == server.slug)
                                       ).live_lessons[0].slug
            db.session.remove()
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/lessons/{lesson}")
        check = page.locator(".check[data-check]").first
        check.locator("input[name^='choice-']").first.check()
        idle_for(context, server, 2 * 3600)
        check.get_by_role("button", name="Check my answer").click()
        dialog = page.get_by_role("alertdialog", name="You were signed out")
        expect(dialog).to_contain_text("“Save my answers and sign in” keeps the ones you chose")
        expect(page.get_by_text("This form was not saved")).to_have_count(0)
        # Signing in from the dialog comes back to the answer's feedback, not the top.
        key = check.locator(".feedback").get_attribute("id")
        dialog.get_by_role("link", name="Sign in again").click()
        sign_in_here(page, email)
        expect(page).to_have_url(re.compile(f"/lessons/{lesson}#{key}$"))
        expect(page.locator(f"[id='{key}']")).not_to_be_empty()
        with server.app.app_context():
            user = find_user_by_email(email)
            answered = db.session.scalar(select(func.count()).select_from(CheckResponse).join(
                Enrolment).where(Enrolment.user_id == user.id))
            db.session.remove()
        assert answered == 1
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_the_sign_in_page_after_an_idle_sign_out_reads_its_notice_first(
        browser, live_server, js: bool) -> None:
    """A screen reader does not read a status already on the page when it opens: the
    notice that says why the learner must sign in, and that their answers are saved,
    takes focus (as the certificate's thank-you does), and the next Tab is the form."""
    server = live_server
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context(java_script_enabled=js, viewport={"width": 320, "height": 640})
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        first = page.locator("form.post-test fieldset.question").first.get_attribute("id")
        idle_for(context, server, 2 * 3600)
        if js:  # the page's own saves meet the sign-out: the next page opened says it
            page.goto(f"{server.url}/courses/{server.slug}")
        else:  # a knowledge check or post-test sent from a page left open
            answer_question(page, first, keys[first.removeprefix("q-")].right[:1])
            page.get_by_role("button", name="Save and finish later").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        notice = page.locator(".flashes .focus-target")
        expect(notice).to_contain_text("For your safety you were signed out")
        expect(notice).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Email address")).to_be_focused()
    finally:
        context.close()
