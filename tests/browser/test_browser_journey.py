"""A new learner takes the whole course in a real browser, with and without JavaScript.

Register, every lesson and knowledge check, fail the post-test once, pass it, fill in
the evaluation, see the completion page, the transcript and the profile with this
browser's sign-in, and sign out. With JavaScript on, axe-core
checks every page type and the knowledge-check feedback must arrive in place.
"""

from __future__ import annotations

import pytest
from browser_kit import Journey

PAGE_TYPES = {
    "catalogue",
    "course page",
    "sign-in",
    "register",
    "sign-up link sent",
    "finish creating the account",
    "lesson with feedback",
    "post-test",
    "review",
    "evaluation with errors",
    "completion",
    "transcript",
    "profile",
}


def _console_problem(message, problems: list[str]) -> None:
    # Failed loads are reported by status in _response_problem.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _response_problem(response, problems: list[str]) -> None:
    expected = response.status == 422 and response.url.endswith("/evaluation")  # with errors
    if response.status >= 400 and not expected:  # /favicon.ico too: pages name their icon
        problems.append(f"HTTP {response.status} for {response.url}")


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_a_new_learner_completes_the_course(browser, live_server, js: bool) -> None:
    context = browser.new_context(java_script_enabled=js)
    try:
        page = context.new_page()
        # Script errors, resources the Content-Security-Policy refused, failed requests.
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: _console_problem(message, problems))
        page.on("response", lambda response: _response_problem(response, problems))
        journey = Journey(page, live_server, js=js, audit=js)
        journey.whole_course()
        if js:
            assert journey.audited == PAGE_TYPES
        assert not problems
    finally:
        context.close()
