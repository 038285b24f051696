"""A review form sent after an idle sign-out: a comment is added, nothing is published."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from course.author import services as drafts
from course.extensions import db
from course.models import AuditEvent, CourseVersion, ReviewRequest, RevisionComment, Role
from tests.course.author_kit import (
    BASE,
    form_of_a_page_open_with_idle_limit,
    page_form,
    submit,
)
from tests.course.factories import join_team, make_user, sign_in
from tests.course.test_answers_kept import page_token, sign_in_with_password
from tests.course.test_author_timeout import _step_away
from tests.course.test_teams import _edit

PUBLISH = f"{BASE}/publish"
WRITTEN = "Lesson 1 cites the 2019 figures; the 2024 report has new ones. Written slowly."


def _review_form(client, field: str) -> dict[str, list[str]]:
    """The Review and publish page's form that has ``field``, as a signed-in browser sends it."""
    return form_of_a_page_open_with_idle_limit(client, PUBLISH, field)


def _sent_after_stepping_away(client, path: str, data) -> tuple[str, str]:
    """Send the form after the idle limit; the sign-in page and where it leads back to."""
    _step_away(client)
    response = client.post(path, data=data, headers={"Referer": f"http://localhost{PUBLISH}"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    (back_to,) = parse_qs(urlsplit(response.headers["Location"]).query)["next"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after a period without activity" in page
    return page, back_to


def _comments() -> list[RevisionComment]:
    return list(db.session.scalars(select(RevisionComment)))


def test_a_comment_sent_after_an_idle_sign_out_is_added_and_shown_after_the_sign_in(
    app, author_client, author
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "body")
        data["body"] = [WRITTEN]
        page, back_to = _sent_after_stepping_away(author_client, f"{BASE}/comments", data)
        assert "Your comment was added on revision 2." in page
        assert back_to == f"{PUBLISH}#comments"
        (comment,) = _comments()
        assert (comment.author_id, comment.revision_number) == (author.id, 2)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.commented"))
        assert event.actor_id == author.id and event.ip_address == "127.0.0.1"
        assert event.detail["comment"] == comment.id

        # Signed in again, the author comes back to the comments and finds theirs there.
        location = sign_in_with_password(author_client, author.email, back_to)
        assert location == f"{PUBLISH}#comments"
        shown = author_client.get(location).get_data(as_text=True)
        assert WRITTEN in shown.split('id="comments"', 1)[1]


def _comment_box(client) -> str:
    """What the Review and publish page's comment box holds."""
    page = client.get(PUBLISH).get_data(as_text=True)
    found = re.search(r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    return unescape(found[1])


def test_a_comment_on_a_draft_changed_while_away_is_not_added(app, author_client, author):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "body")
        data["body"] = [WRITTEN]
        _edit(author_client, "Young people run")  # a co-author saved while the author was away
        page, back_to = _sent_after_stepping_away(author_client, f"{BASE}/comments", data)
        assert (
            "Your comment was NOT added: the draft changed while you were away (you were "
            "reading revision 2; revision 3 is the latest now)." in page
        )
        assert "Your comment was added" not in page and "progress is saved" not in page
        assert "Your comment is back in the comment box." in page
        assert _comments() == []
        # Its text waits in the box after the sign-in, to add once the changes are read.
        assert back_to == f"{PUBLISH}#comment-form"
        sign_in_with_password(author_client, author.email, back_to)
        assert _comment_box(author_client) == WRITTEN
        assert _comment_box(author_client) == ""  # given back once
        assert _comments() == []


def test_a_long_comment_not_added_comes_back_as_much_as_the_cookie_holds(
    app, author_client, author
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "body")
        # The most room a comment can take: varied characters that escape as two \uXXXX
        # in the cookie's JSON and compress poorly.
        written = "".join(chr(0x1F300 + (n * 37) % 0x2FF) for n in range(4000))
        data["body"] = [written]
        _edit(author_client, "Young people run")
        _step_away(author_client)
        response = author_client.post(f"{BASE}/comments", data=data)
        cookie = next(c for c in response.headers.getlist("Set-Cookie")
                      if c.startswith("session="))  # fmt: skip
        assert len(cookie) < 4000  # a browser drops a cookie over 4 KB, and the sign-in with it
        page = author_client.get(response.headers["Location"]).get_data(as_text=True)
        kept = int(re.search(r"back in the comment box, cut to its first ([\d,]+) characters",
                             page)[1].replace(",", ""))  # fmt: skip
        assert 100 < kept < len(written)
        sign_in_with_password(author_client, author.email)
        assert _comment_box(author_client) == written[:kept]


@pytest.mark.parametrize(
    "body, why",
    [("  ", "Comment: Write the comment first."),
     ("x" * 5001, "Comment: Keep it to 5,000 characters or fewer.")],
)  # fmt: skip
def test_a_refused_comment_says_it_was_not_added_and_why(app, author_client, body, why):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "body")
        data["body"] = [body]
        page, _ = _sent_after_stepping_away(author_client, f"{BASE}/comments", data)
        assert f"Your comment was NOT added: it had a problem to fix first ({why})." in page
        assert _comments() == []


def test_a_review_request_sent_after_an_idle_sign_out_is_made_as_the_button_makes_it(
    app, author_client, author, reviewer
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "request_note")
        data["request_note"] = ["Updated the figures in lesson 1; please check the sources."]
        page, back_to = _sent_after_stepping_away(author_client, f"{BASE}/review-request", data)
        assert "Review of revision 2 is asked for. Emailed: Riley Reviewer." in page
        assert back_to == f"{PUBLISH}#review-request"
        (asked,) = db.session.scalars(select(ReviewRequest))
        assert (asked.asked_by_id, asked.revision_number) == (author.id, 2)
        assert asked.note == "Updated the figures in lesson 1; please check the sources."
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.requested"))
        assert event.actor_id == author.id and event.ip_address == "127.0.0.1"
        assert event.detail["told"] == [reviewer.id]

        location = sign_in_with_password(author_client, author.email, back_to)
        shown = author_client.get(location).get_data(as_text=True)
        section = shown.split('id="review-request"', 1)[1].split("</section>", 1)[0]
        assert "Waiting for review since" in section
        assert "Updated the figures in lesson 1; please check the sources." in section


def test_a_review_request_the_button_would_refuse_says_it_was_not_asked_and_why(
    app, author_client, reviewer
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "request_note")
        # While the author was away, a reviewer published the draft as it was.
        space = drafts.find_workspace("minimal")
        drafts.publish(space, drafts.Editor(db.session.merge(reviewer)), reviewed=2, note="Fine.")
        db.session.commit()
        page, _ = _sent_after_stepping_away(author_client, f"{BASE}/review-request", data)
        assert (
            "Review was NOT asked for: there is nothing to review: the draft matches what "
            "learners see now." in page
        )
        assert db.session.scalars(select(ReviewRequest)).all() == []


def test_a_review_request_refused_or_on_a_draft_changed_while_away_is_not_made(
    app, author_client, author
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "request_note")
        data["request_note"] = ["x" * 501]
        refused, _ = _sent_after_stepping_away(author_client, f"{BASE}/review-request", data)
        assert (
            "Review was NOT asked for: it had a problem to fix first (Note for the reviewers "
            "(optional): Keep the note to 500 characters or fewer.)." in refused
        )
        sign_in_with_password(author_client, author.email)
        data = _review_form(author_client, "request_note")
        _edit(author_client, "Young people run")
        page, _ = _sent_after_stepping_away(author_client, f"{BASE}/review-request", data)
        assert (
            "Review was NOT asked for: the draft changed while you were away (you were "
            "reading revision 2; revision 3 is the latest now). Read the changes, then ask "
            "again." in page
        )
        assert db.session.scalars(select(ReviewRequest)).all() == []


NOTE = "Updated the NCMEC figures in lesson 1 to the 2024 report."


def _publish_box(client) -> str:
    """What the Publish form's note box holds on the Review and publish page."""
    return page_form(client.get(PUBLISH).get_data(as_text=True), "note")["note"][0]


def _reviewer_at_publish(app, author_client, reviewer, note: str = NOTE):
    """A reviewer's browser, signed in with a password, with a note typed in the Publish box."""
    _edit(author_client)
    browser = app.test_client()
    sign_in_with_password(browser, reviewer.email)
    data = _review_form(browser, "note")
    data["note"] = [note]
    return browser, data


def _published() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.published"))
    )


def test_publish_sent_after_an_idle_sign_out_publishes_nothing_and_keeps_the_note(
    app, author_client, reviewer
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        browser, data = _reviewer_at_publish(app, author_client, reviewer)
        page, back_to = _sent_after_stepping_away(browser, PUBLISH, data)
        assert (
            "The draft was NOT published: publishing changes what learners see, so it waits "
            "for you to press Publish again once you are signed in. Your note is in the "
            "Publish box." in page
        )
        assert back_to == f"{PUBLISH}#publish-heading"
        assert _published() == []
        assert (
            db.session.scalar(select(CourseVersion.number).order_by(CourseVersion.number.desc()))
            == 1
        )

        sign_in_with_password(browser, reviewer.email, back_to)
        assert _publish_box(browser) == NOTE
        assert _publish_box(browser) == ""  # given back once, then dropped
        assert _published() == []


def test_a_held_note_waits_while_the_page_shows_no_publish_box(
    app, author, author_client, reviewer
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        browser, data = _reviewer_at_publish(app, author_client, reviewer)
        _, back_to = _sent_after_stepping_away(browser, PUBLISH, data)
        email = reviewer.email
    # From here each request has an app context of its own, as in production: inside the
    # test's, Flask-Login's user in ``g`` would pass from one browser's request to the next.
    writer = sign_in(app.test_client(), author)
    # Meanwhile the author saved a setting the checker refuses: no Publish box.
    submit(writer, f"{BASE}/settings", "save", passing_score="50")
    sign_in_with_password(browser, email, back_to)
    page = browser.get(PUBLISH).get_data(as_text=True)
    assert "Publishing is not possible while the checker finds errors" in page
    # Once the box is back, so is the note typed into it.
    submit(writer, f"{BASE}/settings", "save", passing_score="80")
    assert _publish_box(browser) == NOTE


def test_a_note_held_for_one_account_is_never_shown_to_another_on_the_same_browser(
    app, author_client, reviewer
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        browser, data = _reviewer_at_publish(app, author_client, reviewer)
        _sent_after_stepping_away(browser, PUBLISH, data)
        colleague = join_team(
            "minimal", make_user(Role.AUTHOR, full_name="Cory Colleague"), "reviewer"
        )
        sign_in_with_password(browser, colleague.email)
        with browser.session_transaction() as session:  # not even in the cookie
            assert NOTE not in str(dict(session))
        assert _publish_box(browser) == ""
        # Dropped for good: the reviewer signing in next finds the box empty too.
        signed_out = browser.post("/auth/logout", data={"csrf_token": page_token(browser, PUBLISH)})
        assert signed_out.status_code == 302
        sign_in_with_password(browser, reviewer.email)
        assert _publish_box(browser) == ""


def test_a_long_note_is_cut_to_what_publish_takes_and_the_cookie_stays_small(
    app, author_client, reviewer
):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        # The most room a note can take in the cookie: varied characters, each escaped
        # as two \uXXXX in its JSON, which compress poorly.
        note = "".join(chr(0x1F300 + (n * 37) % 0x2FF) for n in range(400))
        browser, data = _reviewer_at_publish(app, author_client, reviewer, note)
        _step_away(browser)
        response = browser.post(PUBLISH, data=data)
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
        assert len(cookie) < 4000  # a browser drops a cookie over 4 KB, and the sign-in with it
        page = browser.get(response.headers["Location"]).get_data(as_text=True)
        assert "Your note is in the Publish box, cut to its first 300 characters." in page
        sign_in_with_password(browser, reviewer.email)
        assert _publish_box(browser) == note[:300]
