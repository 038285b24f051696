"""Enter in a post-test choice saves the answers and never submits the graded attempt."""

from __future__ import annotations

import pytest
from browser_kit import (
    answer_keys,
    answer_question,
    focused,
    learner_at_the_post_test,
    signed_in_at,
)
from playwright.sync_api import expect
from sqlalchemy import select

from course.extensions import db
from course.models import Enrolment, PostTestAttempt
from course.users import find_user_by_email


def _attempt(server, email: str) -> PostTestAttempt:
    with server.app.app_context():
        user = find_user_by_email(email)
        attempt = db.session.scalar(
            select(PostTestAttempt).join(Enrolment).where(Enrolment.user_id == user.id)
        )
        db.session.expunge(attempt)
        db.session.remove()
    return attempt


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_enter_in_a_choice_saves_and_does_not_submit(browser, live_server, js: bool) -> None:
    server = live_server
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context(java_script_enabled=js, viewport={"width": 320, "height": 800})
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        ids = page.locator("form.post-test fieldset.question").evaluate_all(
            "f => f.map(e => e.id)"
        )
        # Every question answered, as a learner about to read them over once more.
        for fieldset_id in ids:
            answer_question(page, fieldset_id, keys[fieldset_id.removeprefix("q-")].right)
        third = page.locator(f"[id='{ids[2]}'] input:checked").first
        third.focus()
        with page.expect_request(lambda r: r.method == "POST") as sent:
            page.keyboard.press("Enter")
        assert sent.value.url == f"{server.url}/courses/{server.slug}/post-test/save"

        expect(page).to_have_url(f"{server.url}/courses/{server.slug}/post-test")
        if js:  # saved in place: the learner stays on the question they were on
            expect(page.locator("[data-save-status]")).to_have_text("Your answers are saved.")
            assert focused(page)["id"] == third.get_attribute("id")
        else:
            expect(page.locator(".flashes")).to_contain_text("Your answers are saved.")
        attempt = _attempt(server, email)
        assert attempt.submitted_at is None
        assert len(attempt.draft or {}) == len(ids)
    finally:
        context.close()
