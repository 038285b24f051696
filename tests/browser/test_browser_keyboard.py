"""A lesson and the post-test with the keyboard alone: Tab, Space, Enter and arrow keys;
and the skip link the first Tab shows."""

from __future__ import annotations

import re

from browser_kit import (
    RIGHT,
    Journey,
    answer_keys,
    axe_run,
    check_keys,
    choose_by_keyboard,
    focused,
    ids_labelled,
    tab_to,
)
from playwright.sync_api import Page, expect


def _kind(question_type: str) -> str:
    return "checkbox" if question_type == "multiple" else "radio"


def _press_button(page: Page, name: str) -> None:
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == name)
    page.keyboard.press("Enter")


def _check_by_keyboard(page: Page, key: str, choices: tuple[str, ...], kind: str) -> None:
    """Answer a knowledge check with the keyboard; the answer is checked in place."""
    ids = ids_labelled(page, f"#check-{key}", choices)
    choose_by_keyboard(page, f"{key}-", ids, kind)
    for box in page.locator(f"#check-{key} input[name='choice-{key}']").all():
        expect(box).to_be_checked(checked=box.get_attribute("id") in ids)
    # The button follows the choices directly.
    tab_to(page, lambda f: f["text"] == "Check my answer", limit=len(choices) + 3)
    page.keyboard.press("Enter")
    expect(page.locator(f"#feedback-{key} .feedback-verdict")).to_have_text(RIGHT)
    # The learner keeps their place: focus stays on the button they pressed.
    expect(page.locator(f"#check-{key} button")).to_be_focused()


def test_a_lesson_and_the_post_test_by_keyboard_alone(browser, live_server) -> None:
    keys = answer_keys(live_server)
    context = browser.new_context()
    try:
        page = context.new_page()
        journey = Journey(page, live_server, js=True, audit=False)
        journey.sign_up()
        page.get_by_role("button", name="Start the course").click()
        expect(page.locator(".breadcrumbs")).to_contain_text("Lesson 1 of 2")

        # From here on, keys only. The first Tab offers the skip link, which moves focus
        # past the header to the lesson.
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Skip to main content"
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        kinds = set()
        for key in check_keys(page):
            kinds.add(_kind(keys[key].type))
            _check_by_keyboard(page, key, keys[key].right, _kind(keys[key].type))
        assert kinds == {"radio", "checkbox"}, "the lesson exercises both kinds of input"
        _press_button(page, "Complete and continue")
        expect(page.locator(".breadcrumbs")).to_contain_text("Lesson 2 of 2")

        # Lesson 2 by pointer, to reach the post-test.
        for key in check_keys(page):
            journey.answer(key, keys[key].right, RIGHT)
        page.get_by_role("button", name="Complete and go to the post-test").click()

        # The post-test by keyboard alone.
        expect(page.get_by_role("heading", level=1)).to_have_text("Post-test")
        fieldset_ids = page.locator("fieldset.question").evaluate_all("f => f.map(e => e.id)")
        assert len(fieldset_ids) == 10
        for fieldset_id in fieldset_ids:
            answer = keys[fieldset_id.removeprefix("q-")]
            ids = ids_labelled(page, f"[id='{fieldset_id}']", answer.right)
            choose_by_keyboard(page, f"{fieldset_id}-", ids, _kind(answer.type))
        assert page.locator("fieldset.question input:checked").count() == sum(
            len(keys[i.removeprefix("q-")].right) for i in fieldset_ids
        )
        _press_button(page, "Submit my answers")
        expect(page).to_have_url(re.compile(r"/post-test/attempts/1$"))
        expect(page.locator(".result")).to_contain_text("You answered 10 of 10 correctly (100%)")
    finally:
        context.close()


def test_the_header_s_tab_order_follows_its_visual_order(browser, live_server) -> None:
    # "Get support" sits on the first row on a phone; it used to come last in tab order.
    for width in (320, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/courses/{live_server.slug}")
            links = page.locator(".site-header a, .site-header button")
            boxes = [(link.inner_text().strip(), link.bounding_box()) for link in links.all()]
            assert "Get support" in [text for text, _ in boxes]
            for (before, a), (after, b) in zip(boxes, boxes[1:], strict=False):
                same_row = abs(a["y"] - b["y"]) < a["height"] / 2
                assert (b["x"] > a["x"]) if same_row else (b["y"] > a["y"]), (
                    width, before, after, a, b)
        finally:
            context.close()


def test_the_skip_link_shows_without_covering_the_header(browser, live_server) -> None:
    """The first Tab shows the skip link in full, on its own row: no link of the header
    lies under it, at a phone's width or a tablet's."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.keyboard.press("Tab")
        link = page.get_by_role("link", name="Skip to main content")
        expect(link).to_be_focused()
        for width in (320, 768):
            page.set_viewport_size({"width": width, "height": 900})
            expect(link).to_be_in_viewport(ratio=1)
            assert axe_run(page, ["wcag22aa"]) == [], f"at {width} px"
            brand = page.locator(".site-brand").bounding_box()
            assert brand["y"] >= link.bounding_box()["y"] + link.bounding_box()["height"]
    finally:
        context.close()


def test_a_click_after_the_skip_link_showed_lands_where_it_was_aimed(
        browser, live_server) -> None:
    """Tab shows the skip link on its own row; a mouse press elsewhere takes its focus
    away. Hidden at once, its row went and the page moved up under the pointer between
    press and release, so the click was lost (a person who mixes keys and a mouse, or
    uses a magnifier, aims at what they see)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.wait_for_load_state("load")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
        box = page.get_by_role("link", name=live_server.title).bounding_box()
        page.mouse.click(box["x"] + 5, box["y"] + box["height"] / 2)
        expect(page.get_by_role("heading", level=1)).to_have_text(live_server.title)
    finally:
        context.close()
