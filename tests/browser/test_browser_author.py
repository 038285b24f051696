"""Review before publishing, in chromium: an author edits, a reviewer comments, the author
fixes it, the reviewer publishes, and a learner reads the new version with progress kept.

The author pages are checked with axe-core on the way. The author area works without
script (every button is a form); the site's script only asks before an editor with text
not saved is left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from browser_kit import (
    LINES_SEEN,
    PASSWORD,
    assert_accessible,
    new_learner,
    sign_in,
    with_lessons_done,
)
from page_audit import snapshot
from playwright.sync_api import Page, expect

from course.extensions import db
from course.models import Role
from course.teams.services import add_member
from course.users import create_user

OLD = "Youth leave placement for reasons that make sense to them."
FLAGGED = "A runner leaves placement for reasons that make sense to them."
EDITED = "Youth who run leave placement for reasons that make sense to them."
FIXED = "A youth who runs leaves placement for reasons that make sense to them."
COMMENT = "Use the singular here: “a youth who runs”, as in the rest of the lesson."
#: The Publish button names the revision on the page: "Publish revision 5".
PUBLISH_BUTTON = re.compile(r"^Publish revision \d+$")


def _account(server, role: Role, team_role: str | None = None) -> str:
    name, email = new_learner()
    with server.app.app_context():
        user = create_user(email=email, password=PASSWORD, full_name=name, role=role)
        if team_role:
            add_member(server.slug, user, team_role, by=None)
        db.session.commit()
        db.session.remove()
    return email


def _learner_with_first_lesson_done(server) -> str:
    email = _account(server, Role.LEARNER)
    with_lessons_done(server, email, 1)
    return email


def _review_page(page: Page) -> None:
    page.get_by_role("navigation", name="Course authoring").get_by_role(
        "link", name="Review and publish"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and publish")


def _save_lesson(page: Page, old: str, new: str, revision: int) -> None:
    text = page.get_by_label("Lesson text (Markdown)")
    text.fill(text.input_value().replace(old, new))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text(f"Saved as revision {revision}.")


def test_author_edits_reviewer_comments_author_fixes_reviewer_publishes(browser, live_server):
    server = live_server
    learner = _learner_with_first_lesson_done(server)
    author_context, reviewer_context = browser.new_context(), browser.new_context()
    try:
        author = author_context.new_page()
        sign_in(author, server, _account(server, Role.AUTHOR, "author"))
        account = author.get_by_role("navigation", name="Account")
        account.get_by_role("link", name="Authoring").click()
        author.get_by_role("link", name=server.title).click()
        # Checked before the course's page arrives, axe would read the page it left.
        expect(author).to_have_url(f"{server.url}/author/courses/{server.slug}/")
        assert_accessible(author, "author dashboard")
        snapshot(author, "author-course")
        author.get_by_role("link", name="Push and pull factors").click()
        text = author.get_by_label("Lesson text (Markdown)")
        assert OLD in text.input_value() and "[check: push-pull-1]" in text.input_value()
        text.fill(text.input_value().replace(OLD, FLAGGED))
        author.get_by_role("button", name="Preview").click()
        expect(author.locator("section.preview")).to_contain_text(FLAGGED)
        finding = author.locator(".finding-list li").filter(has_text="runner")
        expect(finding).to_contain_text("line 1 of the text")
        assert_accessible(author, "lesson editor with preview and findings")
        snapshot(author, "author-lesson-editor")
        _save_lesson(author, FLAGGED, EDITED, 2)
        expect(author.locator(".flashes")).not_to_contain_text("was removed")

        # The author cannot publish alone; the page says who can.
        _review_page(author)
        expect(author.locator(".publish-refusal")).to_contain_text("Only a reviewer of")
        expect(author.get_by_role("button", name=PUBLISH_BUTTON)).to_have_count(0)

        reviewer = reviewer_context.new_page()
        sign_in(reviewer, server, _account(server, Role.AUTHOR, "reviewer"))
        reviewer.goto(f"{server.url}/author/courses/{server.slug}/")
        _review_page(reviewer)
        expect(reviewer.locator("body")).to_contain_text("01-push-pull.md")
        reviewer.get_by_role("textbox", name="Comment").fill(COMMENT)
        reviewer.get_by_label("About the file (optional)").select_option("01-push-pull.md")
        reviewer.get_by_role("button", name="Add the comment").click()
        expect(reviewer.locator(".flashes")).to_contain_text("Comment added on revision 2.")
        assert_accessible(reviewer, "review page with a comment")

        _review_page(author)
        expect(author.locator(".review-comment")).to_contain_text(COMMENT)
        author.goto(f"{server.url}/author/courses/{server.slug}/lessons/push-pull")
        _save_lesson(author, EDITED, FIXED, 3)
        _review_page(author)
        author.get_by_role("button", name="Mark resolved").click()
        expect(author.locator(".review-comment")).to_contain_text("resolved")

        reviewer.reload()
        expect(reviewer.locator(".review-comment")).to_contain_text("resolved")
        reviewer.get_by_label("What changed and why").fill("Clearer wording in lesson 1")
        reviewer.get_by_role("button", name=PUBLISH_BUTTON).click()
        expect(reviewer.locator(".flashes")).to_contain_text("Published as version")
    finally:
        author_context.close()
        reviewer_context.close()

    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server, learner)
        page.goto(f"{server.url}/courses/{server.slug}")
        first = page.locator("ol.outline > li").filter(has_text="Push and pull factors")
        expect(first).to_contain_text("Complete")
        first.get_by_role("link", name="Push and pull factors").click()
        expect(page.locator("article.lesson")).to_contain_text(FIXED)
        expect(page.locator("article.lesson")).not_to_contain_text(OLD)
    finally:
        context.close()


def test_the_preview_stands_beside_the_text_on_a_wide_screen_and_below_it_on_a_narrow_one(
    browser, live_server
):
    server = live_server
    email = _account(server, Role.AUTHOR, "author")
    lesson = f"{server.url}/author/courses/{server.slug}/lessons/push-pull"
    boxes = {}
    for width in (1440, 800):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            sign_in(page, server, email)
            page.goto(lesson)
            text = page.get_by_label("Lesson text (Markdown)")
            preview = page.locator("section.preview")
            expect(preview).to_contain_text("Push and pull factors")
            boxes[width] = (text.bounding_box(), preview.bounding_box())
        finally:
            context.close()
    text, preview = boxes[1440]
    # side by side: the preview starts right of the text, level with it
    assert preview["x"] >= text["x"] + text["width"], boxes
    assert preview["y"] < text["y"] + text["height"], boxes
    text, preview = boxes[800]
    # stacked: the preview comes under the whole form, full width
    assert preview["y"] >= text["y"] + text["height"], boxes
    assert preview["x"] < text["x"] + text["width"] / 2, boxes


@contextmanager
def _authors_course_page(browser, server, width: int, path: str = "",
                         height: int = 900) -> Iterator[Page]:
    """A page of the course's authoring area (``path`` under it), signed in as a new
    author, in a window this wide."""
    email = _account(server, Role.AUTHOR, "author")
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        sign_in(page, server, email)
        page.goto(f"{server.url}/author/courses/{server.slug}/{path}")
        yield page
    finally:
        context.close()


def test_leaving_the_editor_with_text_not_saved_asks_first_and_preview_opens_at_it(
    browser, live_server
):
    with _authors_course_page(browser, live_server, 320, "lessons/push-pull", 800) as page:
        text = page.get_by_label("Lesson text (Markdown)")
        text.fill(text.input_value() + "\nA sentence not saved yet.\n")
        asked = []

        def stay(dialog) -> None:
            asked.append(dialog.type)
            dialog.dismiss()  # "Stay on this page"

        page.on("dialog", stay)
        # Wait for the question itself, not a fixed half second: on a busy machine the
        # click's beforeunload can come later than that.
        with page.expect_event("dialog"):
            page.get_by_role("link", name="Add a knowledge check").click()
        assert asked == ["beforeunload"]
        assert page.url.endswith("/lessons/push-pull")
        assert "A sentence not saved yet." in text.input_value()

        # Preview submits the form (no question asked) and opens where the preview is.
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_in_viewport()
        assert page.url.endswith("#preview-heading") and asked == ["beforeunload"]
        # The previewed page holds the text still not saved: leaving it asks again. Its
        # deferred script, styles and fonts in first: on a busy machine a click could come
        # before the script listened, or a late stylesheet move the link between the
        # click's aim and its press (no navigation, so no question: a 30 s time-out).
        page.wait_for_load_state("load")
        with page.expect_event("dialog"):
            page.get_by_role("link", name="Add a knowledge check").click()
        assert asked == ["beforeunload", "beforeunload"]
        assert "A sentence not saved yet." in text.input_value()


def test_save_after_preview_opens_at_the_saved_message_not_at_the_preview(
    browser, live_server
):
    """Save pressed after Preview shows "Saved as revision N" where the page opens."""
    with _authors_course_page(browser, live_server, 1280, "lessons/push-pull", 800) as page:
        text = page.get_by_label("Lesson text (Markdown)")
        text.fill(text.input_value() + "\nA sentence previewed, then saved.\n")
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_in_viewport()
        page.wait_for_load_state("load")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flashes")).to_contain_text("Saved as revision")
        expect(page.locator(".flashes")).to_be_in_viewport()
        assert "#preview-heading" not in page.url




def test_every_cell_of_the_lesson_table_fills_its_row(browser, live_server):
    # A cell laid out as flex (the buttons) used to leave the table: doubled border,
    # the last row's cell shorter than its row.
    with _authors_course_page(browser, live_server, 1280) as page:
        rows = page.locator("table.lesson-table tbody tr")
        assert rows.count() >= 2
        for index in range(rows.count()):
            row = rows.nth(index).bounding_box()
            for cell in rows.nth(index).locator("td").all():
                box = cell.bounding_box()
                assert abs(box["y"] - row["y"]) < 1 and abs(box["height"] - row["height"]) < 1, (
                    index, box, row)
            display = rows.nth(index).locator("td").last.evaluate(
                "cell => getComputedStyle(cell).display")
            assert display == "table-cell"


def test_on_a_phone_the_lesson_table_keeps_its_words_whole(browser, live_server):
    # At 320 px four columns broke "Archive" and the slugs mid-word; each lesson is a
    # card of labelled cells now.
    with _authors_course_page(browser, live_server, 320) as page:
        table = page.locator("table.lesson-table")
        words = table.locator("tbody button, tbody code").all()
        assert len(words) >= 4
        for element in words:
            assert element.evaluate(LINES_SEEN) == 1, element.inner_text()
        assert "Order and archive" in table.locator("tbody td").last.evaluate(
            "cell => getComputedStyle(cell, '::before').content")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_a_findings_line_link_puts_the_caret_on_that_line_of_the_text(browser, live_server):
    server = live_server
    email = _account(server, Role.AUTHOR, "author")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server, email)
        page.goto(f"{server.url}/author/courses/{server.slug}/lessons/push-pull")
        text = page.get_by_label("Lesson text (Markdown)")
        body = text.input_value().rstrip("\n") + "\n\n# A heading at the wrong level\n"
        text.fill(body)
        page.get_by_role("button", name="Preview").click()
        line = body.splitlines().index("# A heading at the wrong level") + 1
        # The link's caret placing is the site's script: clicked before it ran (a busy
        # machine), the link only jumps to the box.
        page.wait_for_load_state("load")
        page.get_by_role("link", name=f"line {line} of the text").first.click()
        caret = text.evaluate(
            "box => [document.activeElement === box,"
            " box.value.slice(box.selectionStart, box.selectionEnd)]")
        assert caret == [True, "# A heading at the wrong level"]
    finally:
        context.close()


def test_on_a_phone_the_compare_page_says_which_lines_were_removed_in_words(
    browser, live_server
):
    # At 320 px the line-number columns give way; a removed line showed as "− text", which
    # looks like an unchanged Markdown list item ("- text") but for its pink background.
    with _authors_course_page(browser, live_server, 320) as page:
        page.get_by_role("link", name="Push and pull factors").click()
        text = page.get_by_label("Lesson text (Markdown)")
        text.fill(text.input_value().rstrip("\n") + "\n\n- First point\n- Second point\n")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flashes")).to_contain_text("Saved as revision")
        text = page.get_by_label("Lesson text (Markdown)")
        text.fill(text.input_value().replace("- Second point\n", ""))
        page.get_by_role("button", name="Save").click()
        saved = page.locator(".flashes").inner_text()
        number = int(re.search(r"Saved as revision (\d+)", saved)[1])
        page.goto(f"{live_server.url}/author/courses/{live_server.slug}/history/compare"
                  f"?old={number - 1}&new={number}")
        heading = page.locator("section.diff h2 .meta")
        expect(heading).to_have_text("changed: 0 lines added, 1 removed")
        removed = page.locator("tr.diff-delete")
        expect(removed).to_have_count(1)
        mark = removed.locator(".diff-mark")
        expect(mark).to_have_text("Removed:")
        assert mark.bounding_box()["width"] > 20  # shown, not only read out
        assert removed.locator("code").inner_text() == "- Second point"
        kept = page.locator("tr.diff-equal").filter(has_text="- First point")
        expect(kept).to_have_count(1)
        expect(kept.locator(".diff-mark")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert_accessible(page, "compare page at 320 px")
    with _authors_course_page(browser, live_server, 1280) as page:
        page.goto(f"{live_server.url}/author/courses/{live_server.slug}/history/compare"
                  f"?old={number - 1}&new={number}")
        # Beside the columns that say it, the word is for screen readers only.
        assert page.locator("tr.diff-delete .diff-mark").bounding_box()["width"] <= 1
