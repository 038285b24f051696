"""Defects found by a second fresh-eyes review of the author area, each pinned by a test."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select

from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, RevisionComment, Role
from tests.course.author_kit import BASE, flashes, page_form, post_publish
from tests.course.factories import make_user, sign_in
from tests.course.test_teams import _edit

PUBLISH = f"{BASE}/publish"


def _comments_part(page: str) -> str:
    return page.split('id="comments"', 1)[1].split("</section>", 1)[0]


def test_publishing_closes_the_open_comments_and_nothing_changed_asks_for_no_review(
    app, client, author, reviewer
):
    sign_in(client, author)
    _edit(client)  # revision 2
    sign_in(client, reviewer)
    client.post(f"{BASE}/comments", data={"body": "Cite the 2024 report."})
    assert "(1 open)" in client.get(PUBLISH).get_data(as_text=True)
    assert "Published as version 2." in flashes(
        client, post_publish(client, PUBLISH, {"note": "Reviewed."})
    )
    with app.app_context():
        (comment,) = db.session.scalars(select(RevisionComment))
        assert comment.resolved_by_id == reviewer.id and comment.resolved_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.resolved"))
        assert event.actor_id == reviewer.id and event.ip_address == "127.0.0.1"
        assert event.detail == {"comment": comment.id, "revision": 2, "published_in_version": 2}

    # The author saves and takes it back: edits, but nothing learners do not have.
    sign_in(client, author)
    _edit(client, "Young people run")  # revision 3
    history = client.get(f"{BASE}/history").get_data(as_text=True)
    form = page_form(history, "csrf_token")
    restored = flashes(client, client.post(f"{BASE}/history/2/restore", data=form))
    assert "Restored revision 2 as revision 4." in restored
    page = client.get(PUBLISH).get_data(as_text=True)
    assert "Nothing waits for review: the draft matches what learners see." in page
    assert "Ask for review" not in page
    refused = client.post(f"{BASE}/review-request", data={"request_note": ""})
    assert refused.status_code == 403
    assert "the draft matches what learners see now" in refused.get_data(as_text=True)
    comments = _comments_part(page)
    assert "open)" not in comments and "Mark resolved" not in comments
    assert "No comments on the changes since the last publish." in comments
    earlier = comments.split("From earlier versions (1 comment)", 1)[1]
    assert "Riley Reviewer on revision 2" in earlier and "Cite the 2024 report." in earlier
    assert "published in version 2</strong> · closed by Riley Reviewer on" in earlier
    assert "open review comment" not in client.get(f"{BASE}/").get_data(as_text=True)


def test_a_comment_left_open_before_a_publish_is_filed_under_its_version(
    app, client, author, reviewer
):
    sign_in(client, author)
    _edit(client)
    sign_in(client, reviewer)
    flashes(client, post_publish(client, PUBLISH, {"note": "Reviewed."}))
    with app.app_context():  # as publishing left comments before it closed them
        db.session.add(RevisionComment(draft_id=1, revision_number=2, author_id=reviewer.id,
                                       body="An old remark.",
                                       created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    comments = _comments_part(client.get(PUBLISH).get_data(as_text=True))
    assert "open)" not in comments.split("</h2>", 1)[0]
    earlier = comments.split("From earlier versions (1 comment)", 1)[1]
    assert "published in version 2</strong>" in earlier and "An old remark." in earlier
    assert "Mark resolved" in earlier  # still open: anyone may close it, audited as ever
    # The next publish closes it, naming the version its revision went out in.
    sign_in(client, author)
    _edit(client, "Young people run")
    sign_in(client, reviewer)
    assert "Published as version 3." in flashes(
        client, post_publish(client, PUBLISH, {"note": "Reviewed."})
    )
    with app.app_context():
        (comment,) = db.session.scalars(select(RevisionComment))
        assert comment.resolved_by_id == reviewer.id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.resolved"))
        assert event.detail["published_in_version"] == 2


def test_a_comment_written_after_a_publish_is_about_what_comes_next(
    app, client, author, reviewer
):
    sign_in(client, author)
    _edit(client)
    sign_in(client, reviewer)
    flashes(client, post_publish(client, PUBLISH, {"note": "Reviewed."}))
    client.post(f"{BASE}/comments", data={"body": "Late note: reads well now."})
    comments = _comments_part(client.get(PUBLISH).get_data(as_text=True))
    assert "(1 open)" in comments.split("</h2>", 1)[0]
    current = comments.split("From earlier versions", 1)[0]
    assert "Late note: reads well now." in current and "published in version" not in current


def _publish_edit(app, client, author, reviewer, words: str) -> None:
    sign_in(client, author)
    _edit(client, words)
    sign_in(client, reviewer)
    assert "Published as version" in flashes(
        client, post_publish(client, PUBLISH, {"note": "Reviewed."})
    )


def test_published_versions_are_compared_directly_and_a_bad_value_is_refused(
    app, client, author, reviewer
):
    _publish_edit(app, client, author, reviewer, "Young people leave")  # version 2
    _publish_edit(app, client, author, reviewer, "Young people run")  # version 3
    history = client.get(f"{BASE}/history").get_data(as_text=True)
    for side in ("old", "new"):
        options = history.split(f'<select id="{side}" name="{side}">', 1)[1].split("</select>")[0]
        assert '<option value="0"' in options and "Published version 3 (current)" in options
        assert '<option value="v2">Published version 2</option>' in options
        assert '<option value="v1">Published version 1</option>' in options
    versions = history.split('id="published-versions"', 1)[1]
    link = (f'href="{BASE}/history/compare?new=v2&amp;old=v1">Compare<span class="visually-hidden">'
            " version 2</span> with the previous version</a>")
    assert link in versions and "?new=v3&amp;old=v2" in versions
    assert versions.count("with the previous version</a>") == 2  # none for version 1

    page = client.get(f"{BASE}/history/compare?old=v1&new=v2").get_data(as_text=True)
    assert "Changes from published version 1 to published version 2" in page
    assert "<ins>Young people</ins> leave" in page and "<ins>run" not in page
    # Old links keep working: 0 is the version learners see now.
    page = client.get(f"{BASE}/history/compare?old=v2&new=0").get_data(as_text=True)
    assert "Changes from published version 2 to published version 3" in page
    assert "<del>leave</del>" in page and "<ins>run</ins>" in page
    for bad in ("old=version1", "old=v", "new=1.5", "old=-1", "new=v2x"):
        refused = client.get(f"{BASE}/history/compare?{bad}")
        assert refused.status_code == 400, bad
        assert "or a published version as v and its number" in refused.get_data(as_text=True)
    for missing in ("old=v9", "new=v0", "old=99"):
        assert client.get(f"{BASE}/history/compare?{missing}").status_code == 404, missing


def _details(page: str, action: str) -> str:
    """The Details cell of the first event of ``action`` on an audit log page."""
    row = page.split(f"<code>{action}</code>", 1)[1]
    return row.split('data-label="Details">', 1)[1].split("</td>", 1)[0]


def test_the_audit_log_names_the_people_a_detail_holds_by_account_id(
    app, client, author, reviewer
):
    with app.app_context():
        admin = make_user(Role.ADMIN, full_name="Ada Admin")
    sign_in(client, author)
    _edit(client)
    data = page_form(client.get(PUBLISH).get_data(as_text=True), "request_note")
    assert client.post(f"{BASE}/review-request", data=data).status_code == 303
    sign_in(client, reviewer)
    flashes(client, post_publish(client, PUBLISH, {"note": "Reviewed."}))
    sign_in(client, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    told = _details(page, "review.requested")
    told_people = sorted([f"Ada Admin (user {admin.id})", f"Riley Reviewer (user {reviewer.id})"])
    assert f"<dt>told</dt><dd>{', '.join(told_people)}</dd>" in told
    published = _details(page, "course.published")
    assert f"<dt>editors</dt><dd>Avery Author (user {author.id})</dd>" in published
    assert "editor_names" not in published  # the names once, beside their ids
    assert "<dt>warnings</dt><dd>2</dd>" in published  # a count stays a number
    assert "<dt>revision</dt><dd>2</dd>" in published
    # The CSV keeps the ids as stored: its readers parse the JSON.
    rows = list(csv.DictReader(
        io.StringIO(client.get("/admin/audit.csv").data.decode("utf-8-sig"))))
    requested = next(r for r in rows if r["action"] == "review.requested")
    assert sorted(json.loads(requested["detail"])["told"]) == sorted([admin.id, reviewer.id])
    # ...and says the same in words, as the page does, for an auditor in a spreadsheet.
    assert f"told: {', '.join(told_people)}" in requested["detail_text"]
    words = next(r for r in rows if r["action"] == "course.published")["detail_text"]
    assert f"editors: Avery Author (user {author.id})" in words.split(" | ")
    assert "editor_names" not in words and "{" not in words
