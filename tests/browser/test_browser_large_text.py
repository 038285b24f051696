"""A phone 320 px wide with the browser's text at 200%, as a person with low vision sets
it: no page of two-step verification or of a course scrolls sideways (beyond WCAG 1.4.10,
which asks it at 320 px of 100% text, but as cheap as letting long words wrap), and the
two-step pages' headings wrap between words, not inside one."""

from __future__ import annotations

import pyotp
import pytest
from browser_kit import PASSWORD, new_learner, sign_in_here
from page_audit import TAKE_SCREENSHOTS, measure, photograph
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.extensions import db
from course.learn.services import enrol
from course.models import Course, Role
from course.users import create_user

PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


#: Every element reaching past the screen's right edge (innermost only), to name them all.
_PAST_EDGE = """() => {
  const edge = document.documentElement.clientWidth + 0.5;
  const past = [...document.querySelectorAll("body *")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.right > edge && r.width > 2 && getComputedStyle(e).visibility !== "hidden";
  });
  return past.filter((e) => !past.some((o) => o !== e && e.contains(o)))
    .map((e) => `${e.tagName.toLowerCase()}.${e.className} '${e.textContent.trim().slice(0, 30)}' `
      + `to ${Math.round(e.getBoundingClientRect().right)} px`);
}"""


#: Every word of the element's text that the browser broke across two lines (a break
#: after a hyphen, as in "Two-/step", is between words).
_WORDS_BROKEN = """(element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const broken = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.data.matchAll(/\\p{L}+/gu)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(word[0]);
    }
  }
  return broken;
}"""


def _heading_words_broken(page: Page, name: str) -> list[str]:
    """The page's main heading's words broken inside, as ``name: 'heading' breaks 'word'``."""
    heading = page.get_by_role("heading", level=1)
    text = " ".join(heading.inner_text().split())
    return [f"{name}: '{text}' breaks inside '{word}'"
            for word in heading.evaluate(_WORDS_BROKEN)]


def _large_text(context, page: Page) -> None:
    """Set the browser's standard font size to 32 px (200%) for this page's tab."""
    cdp = context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32}})


def _sideways(page: Page, name: str, shown: str) -> list[str]:
    """The page's sideways overflow at 200% text (and, when asked, a screenshot at ``shown``)."""
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
    found = [f"{name}: {p}" for p in measure(page) if "sideways" in p]
    found += [f"{name}: {p}" for p in page.evaluate(_PAST_EDGE)]
    # Of the screen, not the full page: a full-page screenshot drops the text size.
    if TAKE_SCREENSHOTS:  # the scroll is only for the picture
        page.locator(shown).first.scroll_into_view_if_needed()
        photograph(page, f"large-text-{name}-320.png")
    return found


def _user(server, role: Role = Role.LEARNER, course_slug: str | None = None) -> str:
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name, role=role)
        if course_slug:
            enrol(user, db.session.scalar(select(Course).where(Course.slug == course_slug)))
        db.session.commit()
        db.session.remove()
    return email


def test_setting_up_two_step_verification_with_large_text(browser, live_server) -> None:
    server = live_server
    email = _user(server, Role.AUTHOR)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        _large_text(context, page)
        page.goto(f"{server.url}/auth/login?next=/auth/two-factor/setup")
        sign_in_here(page, email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step verification")
        wide = _sideways(page, "two-factor-setup", "form button.primary")
        wide += _heading_words_broken(page, "two-factor-setup")
        key = page.locator(".setup-key code").inner_text().replace(" ", "")
        page.get_by_label("Enter the 6-digit code from your authenticator app").fill(
            pyotp.TOTP(key).now())
        page.get_by_role("button", name="Turn on two-step verification").tap()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
        wide += _sideways(page, "recovery-codes", ".recovery-codes")
        # The settings page and the sign-in's second step: at 55 px a word as long as
        # "verification" no longer fit the line, and broke in two.
        page.goto(f"{server.url}/auth/two-factor")
        expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
        wide += _sideways(page, "two-factor", "h1")
        wide += _heading_words_broken(page, "two-factor")
        context.clear_cookies()
        page.goto(f"{server.url}/auth/login")
        sign_in_here(page, email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
        wide += _sideways(page, "second-step", "h1")
        wide += _heading_words_broken(page, "second-step")
    finally:
        context.close()
    assert wide == [], "\n".join(wide)


def test_a_course_and_its_lesson_with_large_text(browser, live_server) -> None:
    server = live_server
    if server.real_slug is None:
        pytest.skip("needs the shipped course, whose support list has long words")
    email = _user(server, course_slug=server.real_slug)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        _large_text(context, page)
        page.goto(f"{server.url}/auth/login?next=/courses/{server.real_slug}")
        sign_in_here(page, email)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        wide = _sideways(page, "course", ".support-list")
        page.goto(server.url + page.locator("a[href*='/lessons/']").first.get_attribute("href"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        wide += _sideways(page, "lesson", ".support-list")
    finally:
        context.close()
    assert wide == [], "\n".join(wide)
