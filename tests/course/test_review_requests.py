"""Ask for review: the request is kept and audited, publishers are emailed, states show."""

from __future__ import annotations

from sqlalchemy import func, select

from course.dates import date_label
from course.extensions import db
from course.models import AuditEvent, OutgoingMail, ReviewRequest, RevisionComment, Role
from tests.course.author_kit import BASE, flashes, page_form, post_publish
from tests.course.factories import import_course, join_team, make_user, sign_in
from tests.course.test_teams import _edit
from tests.smtp_sink import wait_until

PUBLISH = f"{BASE}/publish"


def _ask(client, note: str = ""):
    """Fill the Ask for review form on the Review and publish page, as a browser would."""
    data = page_form(client.get(PUBLISH).get_data(as_text=True), "request_note")
    data["request_note"] = [note]
    return client.post(f"{BASE}/review-request", data=data)


def _shown(client, response) -> str:
    """The page the 303 after a review form leads to, with its flash message."""
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return client.get(response.location).get_data(as_text=True)


def _requests() -> list[ReviewRequest]:
    return list(db.session.scalars(select(ReviewRequest).order_by(ReviewRequest.id)))


def _delivered(app, inbox) -> list[str]:
    """Everyone emailed so far, in order, once the queue is empty (every message arrived)."""

    def sent() -> bool:
        with app.app_context():
            return not db.session.scalar(select(func.count()).select_from(OutgoingMail))

    wait_until(sent)
    return [address for addresses in inbox.recipients for address in addresses]


def test_asking_for_review_is_kept_audited_and_emails_each_publisher_once(
    app, client, author, reviewer, inbox
):
    with app.app_context():
        admin = make_user(Role.ADMIN, full_name="Ada Admin", email="ada@example.org")
        co_author = join_team("minimal", make_user(Role.AUTHOR, full_name="Cory Coauthor"))
        make_user(full_name="Lee Learner")
    sign_in(client, author)
    _edit(client)
    page = _shown(client, _ask(client, "Updated the figures in lesson 1.\r\nPlease check."))
    assert "Review of revision 2 is asked for. Emailed: Ada Admin, Riley Reviewer." in page
    inbox.wait_for(2)
    assert sorted(r for rs in inbox.recipients for r in rs) == sorted(
        [admin.email, reviewer.email]
    )
    message = inbox.next_to(reviewer.email)
    assert message["Subject"] == "Review requested: Youth Who Run from Foster Care (test course)"
    body = inbox.body(inbox.messages.index(message)).replace("\r\n", "\n")
    assert "Avery Author asks for a review of the draft of “Youth Who Run" in body
    assert "Updated the figures in lesson 1.\nPlease check." in body
    assert "http://127.0.0.1:5000/author/courses/minimal/publish" in body
    with app.app_context():
        (request,) = _requests()
        assert (request.asked_by_id, request.revision_number) == (author.id, 2)
        assert request.note == "Updated the figures in lesson 1.\nPlease check."
        assert request.closed_at is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.requested"))
        assert event.actor_id == author.id and event.ip_address == "127.0.0.1"
        assert event.subject_id == "minimal"
        assert event.detail["revision"] == 2 and sorted(event.detail["told"]) == sorted(
            [admin.id, reviewer.id]
        )
    # A new revision is a new request; a second author asking for it tells nobody again.
    sign_in(client, co_author)
    _edit(client, "Youth who run leave")
    opened = page_form(client.get(PUBLISH).get_data(as_text=True), "request_note")
    sign_in(client, author)
    assert "Review of revision 3 is asked for." in _shown(client, _ask(client))
    sign_in(client, co_author)  # sends the form they opened before the author asked
    assert "already asked for by Avery Author; nobody was emailed again" in _shown(
        client, client.post(f"{BASE}/review-request", data=opened)
    )
    # Two requests, two publishers each, nothing more.
    assert sorted(_delivered(app, inbox)) == sorted([admin.email, reviewer.email] * 2)
    with app.app_context():
        assert [r.revision_number for r in _requests()] == [2, 3]
        events = select(func.count()).where(AuditEvent.action == "review.requested")
        assert db.session.scalar(events) == 2


def test_a_double_submitted_request_is_recorded_and_sent_once(
    app, client, author, reviewer, inbox
):
    sign_in(client, author)
    _edit(client)
    data = page_form(client.get(PUBLISH).get_data(as_text=True), "request_note")
    first = client.post(f"{BASE}/review-request", data=data)
    second = client.post(f"{BASE}/review-request", data=data)
    assert first.status_code == second.status_code == 303
    assert _delivered(app, inbox) == [reviewer.email]
    with app.app_context():
        assert len(_requests()) == 1


def test_the_states_show_on_the_author_pages(app, client, author, reviewer, package_copy):
    with app.app_context():
        folder = package_copy.rename(package_copy.parent / "second")  # the slug names it
        manifest = folder / "course.yaml"
        manifest.write_text(
            manifest.read_text()
            .replace("slug: minimal", "slug: second", 1)
            .replace("title: Youth Who Run", "title: Another course about youth who run", 1)
        )
        import_course(folder)
        join_team("second", author)
        join_team("second", reviewer, "reviewer")
    sign_in(client, author)
    assert "Ask for review" not in client.get(PUBLISH).get_data(as_text=True)  # nothing changed
    _edit(client)
    page = client.get(PUBLISH).get_data(as_text=True)
    assert "Nobody has asked for a review of this draft yet." in page
    assert "Ask for review of revision 2" in page
    _ask(client, "Ready.")
    with app.app_context():
        day = date_label(_requests()[0].created_at)
    waiting = f"Waiting for review since {day} (asked by Avery Author)."
    for url in ("/author/", f"{BASE}/", f"{BASE}/settings", PUBLISH, f"{BASE}/history"):
        assert waiting in client.get(url).get_data(as_text=True), url
    page = client.get(PUBLISH).get_data(as_text=True)
    assert "Ask for review of revision" not in page  # asked already: no second button
    assert "Avery Author’s note:" in page and "Ready." in page
    history = client.get(f"{BASE}/history").get_data(as_text=True)
    assert "Avery Author asked for review of revision 2 on" in history
    assert "open</span>, waiting for a reviewer" in history
    home = client.get("/author/").get_data(as_text=True)
    assert "Waiting for your review" not in home  # the author cannot publish it

    # The draft moves on after the request: everyone sees the request is out of date.
    _edit(client, "Youth who run leave")
    changed = (
        f"Changes since the review request: Avery Author asked for review of revision 2 on "
        f"{day}; the draft is now at revision 3."
    )
    for url in ("/author/", f"{BASE}/", PUBLISH):
        assert changed in client.get(url).get_data(as_text=True), url
    assert "Ask for review of revision 3" in client.get(PUBLISH).get_data(as_text=True)

    # A reviewer's home lists the drafts waiting for them, oldest request first.
    client.get("/author/courses/second/")
    _edit_second(client)
    client.post("/author/courses/second/review-request", data={"request_note": ""})
    sign_in(client, reviewer)
    home = client.get("/author/").get_data(as_text=True)
    waiting_part = home.split("Waiting for your review", 1)[1].split("</section>", 1)[0]
    first = waiting_part.index("Youth Who Run from Foster Care")
    assert first < waiting_part.index("Another course about youth who run")
    assert changed in waiting_part


def _edit_second(client) -> None:
    from tests.course.author_kit import lesson_text, submit

    url = "/author/courses/second/lessons/push-pull"
    first, rest = lesson_text(client, url).split("\n", 1)
    body = f"Young people leave for reasons.\n{rest}"
    assert "Saved as revision" in flashes(client, submit(client, url, "save", body=body))


def test_a_comment_emails_the_askers_the_first_300_characters_and_a_link(
    app, client, author, reviewer, inbox
):
    sign_in(client, author)
    _edit(client)
    _ask(client)
    inbox.wait_for(1)  # the reviewer's request email
    sign_in(client, reviewer)
    long = "Please cite the 2024 report here. " + "x" * 400 + " THE END"
    client.post(f"{BASE}/comments", data={"body": long, "file": "01-push-pull.md"})
    message = inbox.next_to(author.email, after=1)
    assert message["Subject"] == "Review comment: Youth Who Run from Foster Care (test course)"
    body = inbox.body(inbox.messages.index(message)).replace("\r\n", "\n")
    assert "Riley Reviewer commented on revision 2 of the draft of “Youth Who Run" in body
    assert "about 01-push-pull.md" in body
    assert long[:300] + "…" in body and "THE END" not in body
    assert "http://127.0.0.1:5000/author/courses/minimal/publish#comments" in body
    # The commenter is not emailed about their own comment; nobody else asked.
    assert _delivered(app, inbox) == [reviewer.email, author.email]


def test_a_comment_without_a_request_emails_nobody(app, client, author, reviewer, inbox):
    sign_in(client, author)
    _edit(client)
    sign_in(client, reviewer)
    client.post(f"{BASE}/comments", data={"body": "Looks good."})
    assert _delivered(app, inbox) == []


def test_publishing_closes_the_request_and_tells_the_asker_who_published(
    app, client, author, reviewer, inbox
):
    sign_in(client, author)
    _edit(client)
    _ask(client)
    sign_in(client, reviewer)
    published = flashes(client, post_publish(client, PUBLISH, {"note": "Reviewed."}))
    assert "Published as version 2." in published
    message = inbox.next_to(author.email)
    assert message["Subject"] == "Published: Youth Who Run from Foster Care (test course)"
    body = inbox.body(inbox.messages.index(message)).replace("\r\n", "\n")
    assert "Riley Reviewer reviewed and published the draft of “Youth Who Run" in body
    assert "as version 2. Learners see it now." in body
    with app.app_context():
        (request,) = _requests()
        assert request.closed_by_id == reviewer.id and request.version_number == 2
        assert request.closed_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.closed"))
        assert event.actor_id == reviewer.id and event.detail["requests"] == [request.id]
    sign_in(client, author)
    assert "Waiting for review" not in client.get(f"{BASE}/").get_data(as_text=True)
    history = client.get(f"{BASE}/history").get_data(as_text=True)
    assert "closed</span> when Riley Reviewer published it as version 2" in history


def test_only_someone_who_made_changes_on_the_team_may_ask(
    app, client, author, reviewer, inbox
):
    sign_in(client, author)
    _edit(client)
    # A reviewer who made none of the changes reviews; they do not ask.
    sign_in(client, reviewer)
    page = client.get(PUBLISH).get_data(as_text=True)
    assert "Ask for review" not in page
    refused = client.post(f"{BASE}/review-request", data={"request_note": "Me"})
    assert refused.status_code == 403
    assert "Only someone who made changes in the draft asks for its review" in (
        refused.get_data(as_text=True)
    )
    with app.app_context():
        outsider = make_user(Role.AUTHOR, full_name="Olive Outsider")
        learner = make_user(full_name="Lee Learner")
    for person in (outsider, learner):
        sign_in(client, person)
        assert client.post(f"{BASE}/review-request", data={}).status_code == 403
        assert client.get("/author/").status_code in (200, 403)
        assert "Waiting for review" not in client.get("/author/").get_data(as_text=True)
    assert _delivered(app, inbox) == []
    with app.app_context():
        assert _requests() == []


def test_the_request_form_needs_its_csrf_token(app, client, author, reviewer):
    sign_in(client, author)
    _edit(client)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(PUBLISH).get_data(as_text=True)
    assert 'name="csrf_token"' in page.split('id="review-request"', 1)[1].split("</form>")[0]
    refused = client.post(f"{BASE}/review-request", data={"request_note": "Forged"})
    assert refused.status_code in (400, 422)
    with app.app_context():
        assert _requests() == []
    assert "Review of revision 2 is asked for." in _shown(client, _ask(client))


def test_a_reviewer_who_made_changes_is_not_emailed_but_another_one_is(
    app, client, author, reviewer, inbox
):
    with app.app_context():
        second = join_team("minimal", make_user(Role.AUTHOR, full_name="Sam Second"), "reviewer")
    sign_in(client, reviewer)
    _edit(client)
    sign_in(client, author)
    _edit(client, "Youth who run leave")
    page = _shown(client, _ask(client))
    assert "Emailed: Sam Second." in page  # Riley edited too, so Riley may not publish it
    assert _delivered(app, inbox) == [second.email]


def test_a_note_too_long_comes_back_with_the_reason_and_the_text_kept(app, client, author):
    sign_in(client, author)
    _edit(client)
    response = _ask(client, "n" * 501)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Keep the note to 500 characters or fewer." in page
    assert "n" * 501 in page  # nothing typed is lost
    with app.app_context():
        assert _requests() == []


def test_review_forms_are_answered_in_the_section_the_page_opens_at(
    app, client, author, reviewer
):
    """Ask for review, a comment and Mark resolved come back to #review-request or
    #comments: their outcome is said there, not at the top of the page, which on a phone
    is screens above where the page opens (and out of a screen reader's way)."""
    sign_in(client, author)
    _edit(client)
    asked = _ask(client)
    assert asked.location.endswith("?at=review-request#review-request")
    page = _shown(client, asked)
    section = page.index('id="review-request"')
    assert section < page.index("Review of revision 2 is asked for.") < page.index('id="comments"')
    sign_in(client, reviewer)
    commented = client.post(f"{BASE}/comments", data={"body": "Cite the 2024 report."})
    assert commented.location.endswith("?at=comments#comments")
    page = _shown(client, commented)
    assert page.index('id="comments"') < page.index("Comment added on revision 2.")
    with app.app_context():
        comment_id = db.session.scalar(select(func.max(RevisionComment.id)))
    resolved = client.post(f"{BASE}/comments/{comment_id}/resolve")
    assert resolved.location.endswith("?at=comments#comments")
    page = _shown(client, resolved)
    assert page.index('id="comments"') < page.index("The comment is marked resolved.")
