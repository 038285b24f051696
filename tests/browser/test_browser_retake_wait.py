"""After a failed post-test, the wait before a retake: said with its clock time, on
pages that pass the audit at every width."""

from __future__ import annotations

import re

import pytest
from browser_kit import answer_keys, answer_question, learner_at_the_post_test, signed_in_at
from page_audit import audit, snapshot
from playwright.sync_api import expect

from course.learn import retakes
from course.learn.retakes import RetakeRules


def test_a_failed_attempt_says_when_the_retake_opens(
    browser, live_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = live_server
    # The test course lets a learner retake at once; this learner waits ten minutes, as
    # a real course's do (the server runs in this process).
    monkeypatch.setattr(retakes, "rules_of", lambda manifest: RetakeRules(0, 10, "missed"))
    keys = answer_keys(server)
    email = learner_at_the_post_test(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: dict[str, list[str]] = {}
    try:
        page = signed_in_at(context, server, email, f"/courses/{server.slug}/post-test")
        ids = page.locator("form.post-test fieldset.question").evaluate_all(
            "f => f.map(e => e.id)"
        )
        for fieldset_id in ids:  # every answer wrong
            answer_question(page, fieldset_id, keys[fieldset_id.removeprefix("q-")].wrong)
        page.get_by_role("button", name="Submit my answers").click()
        expect(page).to_have_url(re.compile(r"/post-test/attempts/1$"))
        clock = re.compile(r"in about 10 minutes, at \d{1,2}:\d\d [AP]M [A-Z]+")
        expect(page.locator(".result[role=status]")).to_contain_text(clock)
        audit(page, "review-wait", problems)

        page.goto(f"{server.url}/courses/{server.slug}/post-test")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "A short break before your next attempt")
        expect(page.locator("main")).to_contain_text(clock)
        expect(page.get_by_role("link", name="Review attempt 1")).to_be_visible()
        audit(page, "retake-wait", problems)
        snapshot(page, "retake-wait")
    finally:
        context.close()
    assert not problems, problems
