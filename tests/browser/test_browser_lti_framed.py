"""A learner's course launch refused inside the LMS's frame, as chromium sends it
(Sec-Fetch-Dest: iframe): the one way on, "Open the course in a new window", comes right
after the site's name, with no "Sign in" or "Create account" before it to open a tab of
its own, unlinked from the LMS (where a learner would make a second account by mistake)."""

from __future__ import annotations

from urllib.parse import urlencode

from browser_kit import focused
from playwright.sync_api import expect


def _framed_login(browser, server, width: int, height: int):
    """A page of the site's own origin holding the LMS's frame (a page of another origin
    is refused loopback by the browser); the login names a course, as a learner's does."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server.url + "/verify")
    params = urlencode({"iss": "https://lms.example.org", "login_hint": "learner-7",
                        "target_link_uri": f"{server.url}/courses/{server.slug}",
                        "client_id": "course-engine-tool"})
    page.set_content(f'<html lang="en"><body><iframe title="Course" width="{width - 20}" '
                     f'height="{height - 40}" src="{server.url}/lti/login?{params}">'
                     "</iframe></body></html>")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Open the course in a new window")
    return context, page, frame


def test_a_framed_refusal_offers_only_the_new_window(browser, live_server) -> None:
    context, page, frame = _framed_login(browser, live_server, 768, 700)
    try:
        expect(frame.get_by_role("link", name="Create account")).to_have_count(0)
        expect(frame.get_by_role("link", name="Sign in")).to_have_count(0)
        page.locator("iframe").focus()
        stops = []
        for _ in range(3):
            page.keyboard.press("Tab")
            inner = page.frames[1].evaluate(
                "() => document.activeElement.textContent.trim()")
            stops.append(inner or focused(page)["text"])
        assert stops == ["Skip to main content", "CE Course Engine",
                         "Open the course in a new window"], stops
    finally:
        context.close()

