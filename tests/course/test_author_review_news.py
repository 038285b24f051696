"""A comment, a request for review, a publish, a restore and a save that changed nothing
each come back with their outcome taking focus, as a save does: a screen reader otherwise
read on from the page's top."""

from __future__ import annotations

import re

from tests.course.author_kit import BASE, LESSON, flashes, post_publish, submit
from tests.course.factories import sign_in
from tests.course.test_teams import _edit

PUBLISH = f"{BASE}/publish"


def _focused(page: str, text: str, section: str | None = None) -> None:
    """The message ``text`` is the page's autofocused element (inside ``section``)."""
    if section:
        page = page.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    news = re.search(r'<div class="usa-alert[^"]*focus-target" tabindex="-1" autofocus>'
                     r'\s*<div class="usa-alert__body">\s*<p class="usa-alert__text">([^<]*)', page)
    assert news and text in news.group(1), page[:3000]


def _after(client, response) -> str:
    assert response.status_code == 303, response.status_code
    return client.get(response.location).get_data(as_text=True)


def test_comment_review_request_and_publish_focus_their_outcome(client, author, reviewer):
    sign_in(client, author)
    _edit(client)  # revision 2
    asked = client.post(f"{BASE}/review-request", data={"request_note": "Lesson 1 intro."})
    _focused(_after(client, asked), "Review of revision 2 is asked for.", "review-request")
    sign_in(client, reviewer)
    commented = client.post(f"{BASE}/comments", data={"body": "Cite the 2024 report."})
    _focused(_after(client, commented), "Comment added on revision 2.", "comments")
    published = flashes(client, post_publish(client, PUBLISH, {"note": "Reviewed."}))
    _focused(published, "Published as version 2.")


def test_a_save_that_changed_nothing_and_a_restore_focus_their_outcome(author_client):
    unchanged = flashes(author_client, submit(author_client, LESSON, "save"))
    _focused(unchanged, "Nothing changed, so nothing was saved.")
    flashes(author_client, submit(author_client, LESSON, "save", body="Second.\n"))  # rev. 2
    restored = flashes(author_client, author_client.post(f"{BASE}/history/1/restore"))
    _focused(restored, "Restored revision 1 as revision 3.")
