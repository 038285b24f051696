"""A review form sent after an idle sign-out: a comment is added, nothing is published."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g
from sqlalchemy import select

from course.auth.sessions import REMEMBERED, SEEN_AT, SIGNED_IN_AT
from course.extensions import db
from course.models import AuditEvent, RevisionComment
from tests.course.author_kit import BASE, page_form
from tests.course.factories import csrf_token_in
from tests.course.test_answers_kept import sign_in_with_password
from tests.course.test_author_timeout import _step_away
from tests.course.test_teams import _edit

PUBLISH = f"{BASE}/publish"
WRITTEN = "Lesson 1 cites the 2019 figures; the 2024 report has new ones. Written slowly."


def _review_form(client, field: str) -> dict[str, list[str]]:
    """The Review and publish page's form that has ``field``, as a signed-in browser sends it."""
    g.pop("csrf_token", None)
    with client.session_transaction() as session:  # signed in with a password, idle limit on
        session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
        session[REMEMBERED] = False
    page = client.get(PUBLISH).get_data(as_text=True)
    data = page_form(page, field)
    data["csrf_token"] = [csrf_token_in(page)]
    return data


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


def test_a_comment_on_a_draft_changed_while_away_is_not_added(app, author_client):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _edit(author_client)
        data = _review_form(author_client, "body")
        data["body"] = [WRITTEN]
        _edit(author_client, "Young people run")  # a co-author saved while the author was away
        page, _ = _sent_after_stepping_away(author_client, f"{BASE}/comments", data)
        assert (
            "Your comment was NOT added: the draft changed while you were away (you were "
            "reading revision 2; revision 3 is the latest now)." in page
        )
        assert "Your comment was added" not in page and "progress is saved" not in page
        assert _comments() == []


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
