"""A new learner takes the whole course in a real browser, with and without JavaScript.

Register, every lesson and knowledge check, fail the post-test once, pass it, fill in
the evaluation, see the completion page, the transcript and the profile with this
browser's sign-in, and sign out. axe-core checks every page type both ways, and with
JavaScript on the knowledge-check feedback must arrive in place.

Without JavaScript, the browser never loads the app's scripts (every page's scripts are
files under /static/js/, and the Content-Security-Policy allows no inline script), so a
learner gets exactly the pages of a browser with JavaScript off, while axe-core, which
needs the browser's JavaScript to run, can still check them. The pages' own tests in
test_browser_pages.py also run with JavaScript switched off in the browser.
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
    context = browser.new_context()
    if not js:
        context.route("**/static/js/**", lambda route: route.abort())
    try:
        page = context.new_page()
        # Script errors, resources the Content-Security-Policy refused, failed requests.
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: _console_problem(message, problems))
        page.on("response", lambda response: _response_problem(response, problems))
        scripts: list[str] = []
        page.on("requestfinished", lambda request: scripts.append(request.url)
                if "/static/js/" in request.url else None)
        journey = Journey(page, live_server, js=js, audit=True)
        journey.whole_course()
        assert journey.audited == PAGE_TYPES
        assert not problems
        assert bool(scripts) == js, scripts  # without JavaScript, not one script ran
    finally:
        context.close()
