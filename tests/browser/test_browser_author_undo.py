"""Archive and Remove, then Undo from the message, in chromium: with the keyboard alone,
on a phone, without JavaScript, and refused (pointing at History) after another edit.

Each message page is audited at 320, 768 and 1280 px (no sideways scrolling, 44 px
buttons, focus rings, axe-core) and photographed at those widths. The tests work on a
copy of the minimal course of their own, so the other author tests' revisions stay put.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_kit import PASSWORD, new_learner, sign_in
from page_audit import SCREENSHOT_WIDTHS, audit, photograph, report
from playwright.sync_api import Page, expect

import lessons
from course.extensions import db
from course.models import Role
from course.packages import import_package
from course.teams.services import add_member
from course.users import create_user

MINIMAL = Path(__file__).resolve().parent.parent / "data" / "packages" / "minimal"
SLUG = "undo-drill"
UNDO = re.compile(r"^Undo")
NOT_SAVED = "Nothing is saved until you press Save."


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory) -> str:
    """A copy of the minimal course under its own slug, imported into the live server."""
    package = tmp_path_factory.mktemp("undo") / SLUG
    shutil.copytree(MINIMAL, package)
    manifest = package / "course.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "slug: minimal\n" in text, "the minimal package changed; update this fixture"
    # A title of its own too: the learner tests that run later in this server find the
    # minimal course by its title, and two links of one name would be ambiguous.
    title = re.search(r"^title: .*$", text, re.M)
    assert title, "the minimal package changed; update this fixture"
    text = text.replace(title[0], "title: Undo drill (test course)")
    manifest.write_text(text.replace("slug: minimal\n", f"slug: {SLUG}\n"), "utf-8")
    with live_server.app.app_context():
        import_package(lessons.load_package(package))
        db.session.commit()
        db.session.remove()
    return f"{live_server.url}/author/courses/{SLUG}"


def _author(server) -> str:
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name, role=Role.AUTHOR)
        add_member(SLUG, user, "author", by=None)
        db.session.commit()
        db.session.remove()
    return email


@contextmanager
def _signed_in(browser, server, width: int = 1280, *, js: bool = True) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=js)
    try:
        page = context.new_page()
        sign_in(page, server, _author(server))
        yield page
    finally:
        context.close()


def _check_widths(page: Page, name: str) -> None:
    """Audit the page at 320, 768 and 1280 px (and photograph it at each, when asked)."""
    problems: dict[str, list[str]] = {}
    audit(page, name, problems)
    for width in (320, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        if width not in SCREENSHOT_WIDTHS:  # the audit took those
            photograph(page, f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not problems, report(problems)


def _lesson_titles(page: Page) -> list[str]:
    return page.locator("table.lesson-table tbody td[data-label=Lesson]").all_inner_texts()


def test_archive_then_undo_with_the_keyboard_alone(browser, live_server, course):
    with _signed_in(browser, live_server) as page:
        page.goto(f"{course}/")
        # The name reads as one phrase: no "Archive : ..." from the hidden words' block.
        archive = page.get_by_role("button", name=re.compile("^Archive lesson 2"))
        expect(archive).to_have_accessible_name("Archive lesson 2, “When a youth returns”")
        archive.focus()
        page.keyboard.press("Enter")
        message = page.locator(".flashes .flash")
        expect(message).to_contain_text(
            re.compile(
                r"Archived lesson 2, “When a youth returns” \(revision \d+\)\. Learners keep "
                r"seeing it until you publish\. Their records of it are kept\."
            )
        )
        expect(message).to_be_focused()  # a screen reader reads it; Tab goes on from it
        assert message.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
        box = message.bounding_box()
        ring = {"x": box["x"] - 12, "y": box["y"] - 12,
                "width": box["width"] + 24, "height": box["height"] + 24}  # fmt: skip
        photograph(page, "author-undo-focused-1280.png", clip=ring)
        assert page.locator(".flashes").get_attribute("role") == "status"
        assert _lesson_titles(page) == ["Push and pull factors"]
        page.keyboard.press("Tab")
        undo = page.get_by_role("button", name=UNDO)
        expect(undo).to_be_focused()
        expect(undo).to_have_accessible_name(
            re.compile(r"^Undo revision \d+: Archived lesson 2, “When a youth returns”$")
        )
        _check_widths(page, "author-undo-archived")

        undo.focus()
        page.keyboard.press("Enter")
        done = page.locator(".flashes .flash")
        expect(done).to_contain_text("Archived lesson 2, “When a youth returns”: undone.")
        expect(done).to_be_focused()
        assert _lesson_titles(page) == ["Push and pull factors", "When a youth returns"]
        _check_widths(page, "author-undo-done")


def test_on_a_phone_a_removed_check_comes_back_with_one_tap(browser, live_server, course):
    with _signed_in(browser, live_server, 320) as page:
        page.goto(f"{course}/lessons/push-pull/checks/push-pull-2")
        page.get_by_role("button", name="Remove this question").click()
        expect(page).to_have_url(re.compile(r"/lessons/push-pull$"))
        expect(page.locator(".flashes .flash")).to_contain_text(
            "Removed knowledge check push-pull-2, “Select all push factors.”"
        )
        checks = page.locator("section").filter(has=page.locator("#checks-heading"))
        expect(checks).not_to_contain_text("push-pull-2")
        _check_widths(page, "author-undo-removed-check")
        page.get_by_role("button", name=UNDO).click()
        expect(page.locator(".flashes .flash")).to_contain_text(": undone.")
        expect(checks).to_contain_text("push-pull-2")


def test_undo_after_another_edit_points_at_the_history(browser, live_server, course):
    with _signed_in(browser, live_server) as page:
        page.goto(f"{course}/post-test/questions/pt-lo1-1")
        page.get_by_role("button", name="Remove this question").click()
        expect(page.get_by_role("button", name=UNDO)).to_be_visible()
        # Meanwhile, in another tab, the draft changes.
        other = page.context.new_page()
        other.goto(f"{course}/lessons/returning")
        title = other.get_by_label("Title")
        title.fill(title.input_value() + " home")
        other.get_by_role("button", name="Save").click()
        expect(other.locator(".flashes")).to_contain_text("Saved as revision")
        other.close()
        page.get_by_role("button", name=UNDO).click()
        refusal = page.locator(".flashes .flash")
        expect(refusal).to_contain_text("cannot be undone automatically")
        expect(refusal).to_be_focused()
        expect(page.locator("main table")).not_to_contain_text("pt-lo1-1")
        _check_widths(page, "author-undo-refused")
        refusal.get_by_role("link", name="Open the History").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Revisions")


def test_without_javascript_archive_and_undo_still_work(browser, live_server, course):
    with _signed_in(browser, live_server, js=False) as page:
        page.goto(f"{course}/lessons/returning")
        page.get_by_role("button", name="Archive the lesson").click()
        expect(page.locator(".flashes .flash")).to_contain_text("Archived lesson 2")
        assert "When a youth returns" not in " ".join(_lesson_titles(page))
        page.get_by_role("button", name=UNDO).click()
        expect(page.locator(".flashes .flash")).to_contain_text(": undone.")
        assert len(_lesson_titles(page)) == 2


@pytest.mark.parametrize("js", [True, False], ids=["script", "no-script"])
def test_remove_choice_says_nothing_is_saved_and_tab_goes_on_to_the_next_choice(
    browser, live_server, course, js
):
    with _signed_in(browser, live_server, js=js) as page:
        page.goto(f"{course}/lessons/push-pull/checks/push-pull-2")
        second = page.locator("#choices-1-text").input_value()
        page.get_by_role("button", name="Remove choice a", exact=True).focus()
        page.keyboard.press("Enter")
        note = page.locator(".list-status .usa-alert")
        expect(note).to_have_text(f"Choice removed from the form. {NOT_SAVED}")
        expect(note).to_be_focused()  # read out by a screen reader, ringed for the eye
        assert note.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
        assert page.locator(".list-status").get_attribute("role") == "status"
        page.keyboard.press("Tab")
        choice = page.locator("#choices-0-text")
        expect(choice).to_be_focused()  # the choice that moved up into the removed one's place
        expect(choice).to_have_value(second)
        if js:
            _check_widths(page, "author-list-removed")
        page.get_by_role("button", name="Add a choice").focus()
        page.keyboard.press("Enter")
        expect(note).to_have_text(f"Choice added to the form. {NOT_SAVED}")
        expect(note).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator(".list-status + fieldset input").first).to_be_focused()
