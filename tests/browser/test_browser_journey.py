"""A new learner takes the whole course in a real browser, with and without JavaScript.

Register, every lesson and knowledge check, fail the post-test once, pass it, fill in
the evaluation, see the completion page and the transcript. With JavaScript on, axe-core
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
    "lesson with feedback",
    "post-test",
    "review",
    "evaluation with errors",
    "completion",
    "transcript",
}


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_a_new_learner_completes_the_course(browser, live_server, js: bool) -> None:
    context = browser.new_context(java_script_enabled=js)
    try:
        page = context.new_page()
        journey = Journey(page, live_server, js=js, audit=js)
        journey.whole_course()
        if js:
            assert journey.audited == PAGE_TYPES
    finally:
        context.close()
