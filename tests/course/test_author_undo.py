"""Undo right after Archive or Remove: the message says what went, its Undo button brings
it back, unless the draft changed since or someone else made the change."""

from __future__ import annotations

import re

from sqlalchemy import select

from course.extensions import db
from course.models import AuditEvent, CourseDraft, DraftRevision, Role
from lessons import editing
from tests.course.author_kit import BASE, LESSON, count, flashes, lesson_text, page_form, submit
from tests.course.factories import join_team, make_user, sign_in

ARCHIVED = "Archived lesson 1, “Push and pull factors” (revision 2)."


def _undo_form(page: str) -> str:
    """The action of the Undo button's form in a page's message (and check it is one)."""
    found = re.search(r'<form method="post" action="([^"]+/undo)" class="flash-form">', page)
    assert found, page[-3000:]
    message = page[page.index('<div class="flashes"') : found.start()]
    assert "autofocus" in message and 'tabindex="-1"' in message  # focus lands on it
    return found.group(1)


def _lessons(app) -> list[str]:
    with app.app_context():
        return editing.lesson_names(db.session.scalar(select(CourseDraft)).files)


def test_archive_says_what_went_and_undo_brings_the_lesson_back(app, author_client, author):
    page = flashes(author_client, author_client.post(f"{BASE}/lessons/push-pull/archive"))
    assert ARCHIVED in page and "Learners keep seeing it until you publish." in page
    undo = _undo_form(page)
    assert 'class="visually-hidden"> revision 2: Archived lesson 1, “Push and pull factors”' in page
    assert _lessons(app) == ["01-returning.md"]

    response = author_client.post(undo)
    assert response.location.endswith(f"{BASE}/?at=lessons#lessons")
    page = flashes(author_client, response)
    assert (
        "Archived lesson 1, “Push and pull factors”: undone. The draft is as it was at "
        "revision 1 again (saved as revision 3)." in page
    )
    assert 'href="/author/courses/minimal/lessons/push-pull"' in page
    assert _lessons(app) == ["01-push-pull.md", "02-returning.md"]
    with app.app_context():
        revisions = db.session.scalars(select(DraftRevision).order_by(DraftRevision.number)).all()
        assert [r.action for r in revisions] == ["start", "save", "undo"]
        assert revisions[2].files == revisions[0].files
        assert revisions[2].summary.startswith("Undid revision 2: Archived lesson 1")


def test_an_undo_is_audited_with_who_where_and_why(app, author_client, author):
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    author_client.post(f"{BASE}/history/2/undo", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "draft.undone"))
        assert (event.actor_id, event.ip_address, event.subject_id) == (
            author.id,
            "192.0.2.7",
            "minimal",
        )
        assert event.created_at is not None
        assert (event.detail["undid"], event.detail["restored"], event.detail["revision"]) == (
            2,
            1,
            3,
        )
        assert event.detail["reason"] == (
            "Undo of revision 2 (Archived lesson 1, “Push and pull factors”), "
            "from the message after it"
        )


def test_removing_a_check_then_undo_gives_it_back_on_the_lesson_page(app, author_client):
    url = f"{LESSON}/checks/push-pull-1"
    page = flashes(author_client, author_client.post(f"{url}/remove"))
    assert (
        "Removed knowledge check push-pull-1, “Which of these is a pull factor?”, from "
        "lesson 1, “Push and pull factors” (revision 2)." in page
    )
    assert author_client.get(url).status_code == 404
    response = author_client.post(_undo_form(page))
    assert response.location.endswith(LESSON)
    assert "knowledge check push-pull-1" in flashes(author_client, response)
    assert author_client.get(url).status_code == 200


def test_deleting_a_checks_line_says_so_and_undo_gives_the_check_back(app, author_client):
    text = lesson_text(author_client)
    assert "[check: push-pull-1]" in text
    page = flashes(author_client, submit(author_client, LESSON, "save",
                                         body=text.replace("[check: push-pull-1]\n", "")))
    assert "Knowledge check push-pull-1 was removed: its line [check: push-pull-1] is no" \
        " longer in the text. Undo takes back this whole save." in page
    assert author_client.get(f"{LESSON}/checks/push-pull-1").status_code == 404
    author_client.post(_undo_form(page))
    assert author_client.get(f"{LESSON}/checks/push-pull-1").status_code == 200
    assert "[check: push-pull-1]" in lesson_text(author_client)


def test_removing_a_post_test_question_then_undo_gives_it_back(app, author_client):
    page = flashes(author_client, author_client.post(f"{BASE}/post-test/questions/pt-lo1-1/remove"))
    assert (
        "Removed post-test question pt-lo1-1, “Which of these is a push factor?” (revision 2)."
        in page
    )
    assert ">pt-lo1-1</code>" not in page
    response = author_client.post(_undo_form(page))
    assert response.location.endswith(f"{BASE}/post-test")
    assert ">pt-lo1-1</code>" in flashes(author_client, response)


def test_undo_after_another_edit_is_refused_and_points_at_the_history(app, author_client):
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    submit(author_client, f"{BASE}/lessons/returning", "save", title="Coming back")
    page = flashes(author_client, author_client.post(f"{BASE}/history/2/undo"))
    assert (
        "Archived lesson 1, “Push and pull factors”: this cannot be undone "
        "automatically, because the draft changed after it (revision 3, Saved lesson "
        "returning, by Avery Author)." in page
    )
    assert '<a href="/author/courses/minimal/history">Open the History</a>' in page
    assert "usa-alert--error" in page
    assert _lessons(app) == ["01-returning.md"]
    with app.app_context():
        assert count(DraftRevision) == 3
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "draft.undone")) is None
        )


def test_undo_pressed_twice_undoes_once(app, author_client):
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    author_client.post(f"{BASE}/history/2/undo")
    page = flashes(author_client, author_client.post(f"{BASE}/history/2/undo"))
    assert "Archived lesson 1, “Push and pull factors”: already undone, as revision 3." in page
    assert "usa-alert--info" in page
    with app.app_context():
        assert count(DraftRevision) == 3


def test_only_the_author_of_the_change_may_undo_it(app, author_client, client):
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    with app.app_context():
        teammate = join_team("minimal", make_user(Role.AUTHOR, full_name="Toni Teammate"))
        outsider = make_user(Role.AUTHOR)
    sign_in(client, teammate)
    page = flashes(client, client.post(f"{BASE}/history/2/undo"))
    assert (
        "Revision 2 (Archived lesson 1, “Push and pull factors”) was saved by Avery Author, "
        "so it cannot be undone automatically" in page
    )
    assert "restore revision 1 from the History" in page
    sign_in(client, outsider)
    assert client.post(f"{BASE}/history/2/undo").status_code == 403
    assert _lessons(app) == ["01-returning.md"]


def test_anonymous_visitors_cannot_undo(app, client, author_client):
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    with app.test_client() as anonymous:
        response = anonymous.post(f"{BASE}/history/2/undo")
        assert response.status_code == 302 and "/auth/login" in response.location
    assert _lessons(app) == ["01-returning.md"]


def test_undo_names_a_revision_the_draft_has(author_client):
    assert author_client.post(f"{BASE}/history/2/undo").status_code == 404  # no draft yet
    author_client.post(f"{BASE}/lessons/push-pull/archive")
    assert author_client.post(f"{BASE}/history/1/undo").status_code == 404  # nothing before
    assert author_client.post(f"{BASE}/history/9/undo").status_code == 404


def test_removing_a_choice_in_the_form_saves_nothing(app, author_client):
    url = f"{LESSON}/checks/push-pull-1"
    before = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    page = submit(author_client, url, "remove:choices:0").get_data(as_text=True)
    after = page_form(page, "base_revision")
    assert after["choices-0-text"] == before["choices-1-text"] != before["choices-0-text"]
    with app.app_context():
        assert count(CourseDraft) == 0 and count(DraftRevision) == 0
