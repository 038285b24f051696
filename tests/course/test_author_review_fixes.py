"""Defects found by a fresh-eyes review of the author area, each pinned by a test."""

from __future__ import annotations

import io
import re
import time
import zipfile
from html import unescape

from flask import g
from sqlalchemy import select

from course.auth.sessions import REMEMBERED, SEEN_AT, SIGNED_IN_AT
from course.extensions import db
from course.models import CourseDraft, Lesson, Role
from tests.course.author_kit import (
    BASE,
    LESSON,
    flashes,
    lesson_text,
    page_form,
    sign_in_reviewer,
    submit,
)
from tests.course.factories import csrf_token_in, join_team, make_user, sign_in


def _second_author(app, client):
    with app.app_context():
        other = join_team("minimal", make_user(Role.AUTHOR, full_name="Bo Other"), "author")
    return sign_in(client, other)


def test_after_an_edit_conflict_saving_again_keeps_the_authors_text(app, author_client):
    # Two authors open the same lesson; the other one saves first.
    mine = page_form(author_client.get(LESSON).get_data(as_text=True), "body")
    other = _second_author(app, app.test_client())
    theirs = lesson_text(other).replace("Youth leave", "Young people leave", 1)
    flashes(other, submit(other, LESSON, "save", body=theirs))

    mine.update(body=mine["body"][0] + "\nMy new paragraph.\n", action="save")
    refused = author_client.post(LESSON, data=mine)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Bo Other saved this part of the course after you opened it:" in page
    assert "press Save again to replace that version with this one" in page
    # What Bo changed is a link away, read before deciding to replace it.
    link = re.search(r'<a href="([^"]+)" target="_blank">See what changed since you opened '
                     r'this page \(opens in a new tab\)</a>', page)
    changes = author_client.get(unescape(link[1]))
    assert changes.status_code == 200
    assert "Young people leave" in re.sub(r"<[^>]+>", "", changes.get_data(as_text=True))

    # The form as shown now saves: the conflict is not a dead end.
    again = page_form(page, "body")
    again["action"] = "save"
    saved = flashes(author_client, author_client.post(LESSON, data=again))
    assert "Saved as revision" in saved
    with app.app_context():
        text = db.session.scalar(select(CourseDraft)).files["01-push-pull.md"]
    assert "My new paragraph." in text


def test_a_refused_new_lesson_keeps_the_title_and_slug_typed(author_client):
    typed = {"title": "Safety planning with youth who return", "slug": "Safety Planning"}
    page = flashes(author_client, author_client.post(f"{BASE}/lessons", data=typed))
    assert "A lesson slug uses only a-z, 0-9 and dashes" in page
    form = page_form(page, "slug")
    assert form["title"] == [typed["title"]]
    assert form["slug"] == [typed["slug"]]
    # Only once: the next visit starts with an empty form.
    again = page_form(author_client.get(f"{BASE}/").get_data(as_text=True), "slug")
    assert again["title"] == [""] and again["slug"] == [""]


def test_a_new_lesson_without_a_title_keeps_the_slug_typed(author_client):
    typed = {"title": "", "slug": "safety-planning"}
    page = flashes(author_client, author_client.post(f"{BASE}/lessons", data=typed))
    assert "Give the new lesson a title and a slug." in page
    assert page_form(page, "slug")["slug"] == ["safety-planning"]


def _publish(app, author_client, note: str = "Plainer wording"):
    """The author changes lesson 1; a reviewer publishes it. The reviewer's client."""
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    flashes(author_client, submit(author_client, LESSON, "save", body=text))
    reviewer = sign_in_reviewer(app, app.test_client())
    form = page_form(reviewer.get(f"{BASE}/publish").get_data(as_text=True), "note")
    form["note"] = note
    return reviewer, flashes(reviewer, reviewer.post(f"{BASE}/publish", data=form))


def test_a_publish_can_be_taken_back_from_the_history(app, author_client):
    reviewer, published = _publish(app, author_client, note="Plainer wording in lesson 1")
    assert "To take it back, restore published version 1 from the History" in published

    history = author_client.get(f"{BASE}/history").get_data(as_text=True)
    # Each version says when, by whom and why it went out.
    assert re.search(r"Version 2 package \(ZIP\)</a> \(current\):\s+published \w+ \d+, \d{4}, "
                     r"[^<]* by Riley Reviewer: “[^”]*Note: Plainer wording in lesson 1”", history)
    # The draft matches version 2: restoring it would change nothing, so it is not offered.
    assert f'action="{BASE}/history/versions/2/restore"' not in history
    restore = f"{BASE}/history/versions/1/restore"
    assert f'action="{restore}"' in history
    form = page_form(history, "csrf_token")
    page = flashes(author_client, author_client.post(restore, data=form))
    assert "Restored published version 1 as revision 3 of the draft." in page
    assert "Learners see no change until a reviewer publishes it." in page
    assert "Young people leave" not in lesson_text(author_client)
    assert author_client.post(f"{BASE}/history/versions/9/restore", data=form).status_code == 404

    # The reviewer publishes the draft again: learners read version 1's text as version 3.
    form = page_form(reviewer.get(f"{BASE}/publish").get_data(as_text=True), "note")
    form["note"] = "Back to version 1's wording"
    again = flashes(reviewer, reviewer.post(f"{BASE}/publish", data=form))
    assert "Published as version 3." in again
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        assert "Young people leave" not in lesson.markdown and "Youth leave" in lesson.markdown


def test_an_author_waiting_for_review_is_told_who_reviews_and_how_to_tell_them(
    app, author_client
):
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    flashes(author_client, submit(author_client, LESSON, "save", body=text))
    alone = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "This course has no other reviewer yet: an administrator can publish it" in alone

    sign_in_reviewer(app, app.test_client())
    page = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Reviewers of this course: Riley Reviewer." in page
    assert 'When your changes are ready, <a href="#review-request">ask for review</a>' in page


def test_an_archived_lesson_comes_back_alone_after_later_edits(app, author_client):
    second = f"{BASE}/lessons/returning"
    edited = lesson_text(author_client, second) + "\nA paragraph added before archiving.\n"
    flashes(author_client, submit(author_client, second, "save", body=edited))
    form = page_form(author_client.get(second).get_data(as_text=True), "csrf_token")
    flashes(author_client, author_client.post(f"{second}/archive", data=form))
    # The author goes on editing lesson 1, so Undo of the archive is no longer possible.
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    flashes(author_client, submit(author_client, LESSON, "save", body=text))

    dashboard = author_client.get(f"{BASE}/").get_data(as_text=True)
    assert "Archived in the draft" in dashboard
    bring_back = f"{BASE}/lessons/returning/bring-back"
    assert f'action="{bring_back}"' in dashboard
    page = flashes(author_client, author_client.post(bring_back, data=form))
    assert "Brought back lesson 2, “When a youth returns”" in page
    assert "Archived in the draft" not in page

    with app.app_context():
        files = db.session.scalar(select(CourseDraft)).files
    assert sorted(n for n in files if n.endswith(".md")) == ["01-push-pull.md", "02-returning.md"]
    assert "Young people leave" in files["01-push-pull.md"]  # the later edit is kept
    assert "A paragraph added before archiving." in files["02-returning.md"]


def test_the_review_page_warns_that_a_renamed_check_is_new_to_learners(author_client):
    flashes(author_client, submit(author_client, f"{LESSON}/checks/push-pull-1", "save", id="pp-1"))
    page = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Publishing takes away 1 question that learners have now:" in page
    assert "<code>push-pull-1</code> (01-push-pull.md)" in page
    assert "the new ids are <code>pp-1</code>" in page

    # A text edit that keeps every id says nothing of the kind.
    submit(author_client, f"{LESSON}/checks/pp-1", "save", id="push-pull-1")
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    flashes(author_client, submit(author_client, LESSON, "save", body=text))
    assert "Publishing takes away" not in author_client.get(f"{BASE}/publish").get_data(
        as_text=True
    )


def test_an_upload_with_broken_yaml_in_course_yaml_says_where(author_client):
    package = zipfile.ZipFile(io.BytesIO(author_client.get(f"{BASE}/package.zip").data))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        for name in package.namelist():
            text = package.read(name).decode()
            if name.endswith("course.yaml"):
                text = text.replace("title:", "title: [Youth who run", 1)
            out.writestr(name, text)
    token = page_form(author_client.get(f"{BASE}/").get_data(as_text=True), "csrf_token")
    response = author_client.post(
        f"{BASE}/upload",
        data={
            "csrf_token": token["csrf_token"][0],
            "package": (io.BytesIO(broken.getvalue()), "c.zip"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "course.yaml line 3: YAML syntax error" in page  # where the bracket left open ends
    assert "(while parsing a flow sequence on the line above)" in page
    assert "needs a slug" not in page


def test_a_paste_over_the_request_limit_is_not_called_an_upload(app, author_client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = submit(author_client, LESSON, "save", body="A very long paste. " * 60_000)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Too much text to save" in page
    assert "use your browser's Back button" in page
    assert f'<a href="{LESSON}">Open the page again</a>' in page
    assert "Upload a course package" not in page


def _lesson_form_in_a_session(app, author_client) -> dict:
    """The lesson editor's form as a browser holds it, in a session that can time out."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        g.pop("csrf_token", None)
        with author_client.session_transaction() as session:
            session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
            session[REMEMBERED] = False
        page = author_client.get(LESSON).get_data(as_text=True)
    mine = page_form(page, "base_revision")
    mine.update(csrf_token=[csrf_token_in(page)], action=["save"])
    return mine


def _sent_after_a_time_out(app, author_client, mine: dict) -> str:
    """Send the form once the session has timed out; the sign-in page it leads to."""
    with app.app_context():
        with author_client.session_transaction() as session:
            session[SEEN_AT] = int(time.time()) - 24 * 3600
        response = author_client.post(LESSON, data=mine)
        assert response.headers["Location"].startswith("/auth/login")
        return author_client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_edit_sent_after_a_sign_out_that_cannot_be_kept_does_not_claim_it_was(
    app, author_client
):
    mine = _lesson_form_in_a_session(app, author_client)
    mine["body"] = [mine["body"][0] + "\nWritten over a long hour.\n"]
    # Meanwhile another author saves the same lesson; then the first one's session ends.
    other = _second_author(app, app.test_client())
    theirs = lesson_text(other).replace("Youth leave", "Young people leave", 1)
    flashes(other, submit(other, LESSON, "save", body=theirs))
    shown = _sent_after_a_time_out(app, author_client, mine)
    assert "Your changes were NOT saved: someone else saved the same part" in shown
    assert "your progress is saved" not in shown


def test_restoring_a_revision_says_that_later_changes_leave_the_draft(author_client):
    for words in ("Young people leave", "Young persons leave"):
        text = lesson_text(author_client).replace("Youth leave", words, 1)
        text = text.replace("Young people leave", words, 1)
        flashes(author_client, submit(author_client, LESSON, "save", body=text))
    history = author_client.get(f"{BASE}/history").get_data(as_text=True)
    lead = " ".join(history.split())
    assert "changes saved after it leave the draft, though they stay in this list" in lead
    form = page_form(history, "csrf_token")
    page = flashes(author_client, author_client.post(f"{BASE}/history/1/restore", data=form))
    assert "Restored revision 1 as revision 4. The 2 changes saved after revision 1 are out" in page


def test_the_lesson_editor_says_what_learners_see_of_the_lesson(author_client):
    def status(url: str = LESSON) -> str:
        return " ".join(author_client.get(url).get_data(as_text=True).split())

    assert "Learners see this lesson as saved here (published version 1)." in status()
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    flashes(author_client, submit(author_client, LESSON, "save", body=text))
    changed = status()
    assert "Learners see this lesson as in published version 1, without the changes" in changed
    link = re.search(r'<a href="([^"]+)">Compare with what learners see</a>', changed)
    assert link and link.group(1).replace("&amp;", "&") == f"{BASE}/history/compare?new=2&old=0"

    new = {"title": "Safety planning", "slug": "safety-planning"}
    flashes(author_client, author_client.post(f"{BASE}/lessons", data=new))
    assert "New in the draft: learners do not see this lesson" in status(
        f"{BASE}/lessons/safety-planning"
    )


def test_a_long_paste_is_refused_with_its_text_kept_not_cut_short_by_the_browser(
    author_client,
):
    editor = author_client.get(LESSON).get_data(as_text=True)
    form = page_form(editor, "body")
    box = re.search(r"<textarea[^>]*name=\"body\"[^>]*>", editor).group(0)
    assert "maxlength" not in box  # the browser would drop the end of a paste silently

    form.update(body="A very long paste. " * 30_000, action="save")
    response = author_client.post(LESSON, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The text is longer than 500,000 characters" in page
    assert "A very long paste. " * 100 in page  # still in the text box


def test_a_title_over_the_limit_is_refused_with_its_text_kept(author_client):
    editor = author_client.get(LESSON).get_data(as_text=True)
    assert "maxlength" not in editor  # no box cuts a paste short without a word
    long_title = "A title pasted from a long document " * 12  # over 300 characters
    response = submit(author_client, LESSON, "save", title=long_title)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keep it to 300 characters or fewer." in page
    assert f'value="{long_title}"' in page  # still in the box, to shorten


def test_an_edit_sent_after_a_sign_out_with_a_mistyped_check_line_keeps_the_text(
    app, author, author_client
):
    mine = _lesson_form_in_a_session(app, author_client)
    # An hour's writing, with one [check: id] line that names no check of the lesson:
    # Save refuses it with the text kept on the page, but nobody is there to fix it.
    mine["body"] = [mine["body"][0] + "\nWritten over a long hour.\n\n[check: typo-1]\n"]
    shown = _sent_after_a_time_out(app, author_client, mine)
    assert "NOT saved" not in shown and "Your changes were saved as revision" in shown
    sign_in(author_client, author)
    editor = author_client.get(LESSON).get_data(as_text=True)
    assert "Written over a long hour." in unescape(editor)
    # The line stays, and the checker names it for the author to fix.
    assert "[check: typo-1]" in unescape(editor)
    assert "typo-1" in unescape(re.sub(r"<[^>]+>", "", editor.split("Lesson text")[0]))


def test_a_check_whose_line_was_mistyped_before_a_sign_out_is_not_lost_without_a_word(
    app, author, author_client
):
    mine = _lesson_form_in_a_session(app, author_client)
    assert "[check: push-pull-1]" in mine["body"][0]
    # The typo leaves the real check's line out of the text, so the unattended save
    # drops that check from the draft: its question would go unnoticed.
    mine["body"] = [mine["body"][0].replace("[check: push-pull-1]", "[check: push-pull-l]")]
    shown = unescape(_sent_after_a_time_out(app, author_client, mine))
    assert "Your changes were saved as revision" in shown
    assert "Knowledge check push-pull-1 was removed" in shown


def test_a_lessons_objectives_fold_away_once_chosen_and_still_save(author_client):
    def editor() -> str:
        return " ".join(author_client.get(LESSON).get_data(as_text=True).split())

    # Chosen ones are named in the summary, folded: long sentences filled a phone's screen.
    page = editor()
    assert ('<details class="objective-choices"> <summary>Objectives this lesson serves: '
            "LO1</summary>") in page
    # Folded, the boxes are still sent: a save changes the objectives as ticked.
    flashes(author_client, submit(author_client, LESSON, "save", objectives=["LO1", "LO3"]))
    assert "<summary>Objectives this lesson serves: LO1, LO3</summary>" in editor()
    # None chosen: open, so the author sees there is something to choose.
    flashes(author_client, submit(author_client, LESSON, "save", objectives=[]))
    assert ('<details class="objective-choices" open> <summary>Objectives this lesson serves: '
            "none chosen</summary>") in editor()
