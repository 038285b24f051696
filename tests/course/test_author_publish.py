"""Publishing a draft: refused while the checker finds errors, else a new version that
keeps every learner's progress and records."""

from __future__ import annotations

import re

from sqlalchemy import select

from course.extensions import db
from course.models import (
    AuditEvent,
    CheckResponse,
    Course,
    CourseDraft,
    CourseVersion,
    Lesson,
    LessonProgress,
    Question,
)
from tests.course.author_kit import (
    BASE,
    LESSON,
    count,
    flashes,
    lesson_text,
    post_publish,
    sign_in_reviewer,
    submit,
)
from tests.course.factories import make_user, sign_in
from tests.course.journey import check_positions, correct_keys

NOTE = {"note": "Reviewed and approved."}


def _content_state() -> dict:
    lessons = db.session.scalars(select(Lesson).order_by(Lesson.id)).all()
    questions = db.session.scalars(select(Question).order_by(Question.id)).all()
    return {
        "versions": [(v.number, v.content_hash) for v in db.session.scalars(select(CourseVersion))],
        "lessons": [(x.slug, x.position, x.markdown, x.archived_at) for x in lessons],
        "questions": [(q.key, q.prompt_html, q.archived_at) for q in questions],
    }


def test_publishing_asks_what_changed_and_why(app, author_client):
    submit(author_client, LESSON, "save", body="Changed text.\n")
    with app.app_context():
        before = _content_state()
    reviewer = sign_in_reviewer(app, author_client)
    response = post_publish(reviewer, f"{BASE}/publish", {"note": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # Said at the top of the form, where focus goes, and linked to the box.
    assert '<a href="#note">What changed and why (kept with the version and in the audit log):' \
        ' Say what changed and why: learners&#39; credit follows this version.</a>' in page
    assert page.index('class="error-summary"') < page.index('id="note"')
    with app.app_context():
        assert _content_state() == before
    page = flashes(reviewer, post_publish(reviewer, f"{BASE}/publish", {"note": "Shorter intro"}))
    assert "Published as version 2." in page
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.detail).where(AuditEvent.action == "course.published")
            .order_by(AuditEvent.id.desc())
        )["note"] == "Shorter intro"


def test_publishing_is_refused_while_the_checker_finds_errors(app, author_client):
    submit(author_client, f"{BASE}/settings", "save", passing_score="50")
    submit(author_client, LESSON, "save", body="Changed text.\n")
    with app.app_context():
        before = _content_state()
    page = author_client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "Publishing is not possible while the checker finds errors" in page
    assert "Publish revision" not in page
    reviewer = sign_in_reviewer(app, author_client)
    response = post_publish(reviewer, f"{BASE}/publish", NOTE)
    assert response.status_code == 422
    assert "Not published: the checker found errors" in response.get_data(as_text=True)
    with app.app_context():
        assert _content_state() == before
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert [a for a in actions if not a.startswith("team.")] == ["draft.saved"] * 2
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.published"))
            is None
        )


def test_publishing_makes_a_new_version_and_keeps_learners_progress(
    app, client, author, reviewer
):
    learner = None
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    client.post("/courses/minimal/enrol")
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        for check in lesson.live_checks:
            client.post(
                f"/courses/minimal/lessons/push-pull/checks/{check.key}",
                data={"choice": check_positions(client, "minimal", check, correct_keys(check))},
            )
    client.post("/courses/minimal/lessons/push-pull/complete")
    with app.app_context():
        progress_before = [
            (p.lesson_id, p.completed_at) for p in db.session.scalars(select(LessonProgress))
        ]
        responses_before = count(CheckResponse)
    assert progress_before and progress_before[0][1] is not None

    sign_in(client, author)
    text = lesson_text(client).replace("Youth leave placement", "Youth who run leave placement", 1)
    submit(client, LESSON, "save", body=text)
    submit(client, f"{BASE}/lessons/returning", "save", title="When a youth comes back")
    sign_in(client, reviewer)
    page = flashes(client, post_publish(client, f"{BASE}/publish", NOTE))
    assert "Published as version 2." in page
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        assert course.current_version.number == 2
        assert course.current_version.created_by_id == reviewer.id
        assert course.current_version.note == (
            "Published from the editor, revision 3; reviewed and published by Riley Reviewer."
            " Note: Reviewed and approved."
        )
        draft = db.session.scalar(select(CourseDraft))
        latest = draft.revisions[-1]
        assert latest.published_version_id == course.current_version.id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.published"))
        assert event.actor_id == reviewer.id and event.detail["version"] == 2
        assert event.detail["editors"] == [author.id]
        assert event.detail["editor_names"] == [author.full_name]
        assert event.detail["self_published"] is False
        progress_after = [
            (p.lesson_id, p.completed_at) for p in db.session.scalars(select(LessonProgress))
        ]
        assert progress_after == progress_before
        assert count(CheckResponse) == responses_before
    # A second press (another tab, a double click) says what became of the first.
    again = flashes(client, post_publish(client, f"{BASE}/publish", NOTE))
    assert "Revision 3 is already published, as version 2" in again

    sign_in(client, learner)
    lesson_page = client.get("/courses/minimal/lessons/push-pull").get_data(as_text=True)
    assert "Youth who run leave placement" in lesson_page
    course_page = client.get("/courses/minimal").get_data(as_text=True)
    assert "When a youth comes back" in course_page
    assert re.search(
        r"Push and pull factors</a>\s*</span>\s*<span class=\"step-meta\">[^<]*</span>\s*"
        r"<span class=\"usa-tag is-done\">Complete", course_page
    )


def test_an_archived_lesson_leaves_learners_records_in_place(app, client, author, reviewer):
    with app.app_context():
        learner = make_user()
    sign_in(client, learner)
    client.post("/courses/minimal/enrol")
    client.get("/courses/minimal/lessons/push-pull")
    sign_in(client, author)
    # The other lesson takes over LO1, so every objective is still taught (a CE rule).
    submit(client, f"{BASE}/lessons/returning", "save", objectives=["LO1", "LO2", "LO3"])
    client.post(f"{BASE}/lessons/push-pull/archive")
    # One lesson credits at most 10 minutes, so the 20-minute minimum would be out of reach.
    submit(client, f"{BASE}/settings", "save", min_active_minutes="10")
    sign_in(client, reviewer)
    flashes(client, post_publish(client, f"{BASE}/publish", NOTE))
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "push-pull"))
        assert lesson.archived_at is not None
        assert db.session.scalar(
            select(LessonProgress).where(LessonProgress.lesson_id == lesson.id)
        )
    sign_in(client, learner)
    assert client.get("/courses/minimal/lessons/push-pull").status_code == 404


def test_unknown_or_malformed_slugs_are_not_found(author_client):
    for slug in ("nope", "UPPER", "a%2F..%2Fb", "x" * 200):
        assert author_client.get(f"/author/courses/{slug}/").status_code == 404, slug
    # a NUL byte is refused before any view runs, on every route
    assert author_client.get("/author/courses/%00/").status_code == 400
    assert author_client.get(f"{BASE}/lessons/%00").status_code == 400
    assert author_client.get(f"{BASE}/history/compare?old=7&new=0").status_code == 404


def test_the_publisher_says_what_changed_and_why_in_the_version_and_the_audit_log(
    app, author_client
):
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    submit(author_client, LESSON, "save", body=text)
    reviewer = sign_in_reviewer(app, author_client)
    assert 'name="note"' in reviewer.get(f"{BASE}/publish").get_data(as_text=True)
    why = "Person-first wording in lesson 1, as the advisory board asked."
    assert "Published as version 2." in flashes(
        reviewer, post_publish(reviewer, f"{BASE}/publish", {"note": why})
    )
    with app.app_context():
        version = db.session.scalar(select(CourseVersion).where(CourseVersion.number == 2))
        assert version.note.endswith(f" Note: {why}")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.published"))
        assert event.detail["note"] == why


def test_a_note_too_long_is_shown_again_not_lost(app, author_client):
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    submit(author_client, LESSON, "save", body=text)
    reviewer = sign_in_reviewer(app, author_client)
    response = post_publish(reviewer, f"{BASE}/publish", {"note": "Long. " * 60})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Long. Long." in page and "Publish revision 2" in page
    assert "Keep the note to 300 characters or fewer." in page
    with app.app_context():
        assert count(CourseVersion) == 1


def test_publish_takes_the_revision_reviewed_not_one_saved_since(app, author_client):
    text = lesson_text(author_client).replace("Youth leave", "Young people leave", 1)
    submit(author_client, LESSON, "save", body=text)
    reviewer = sign_in_reviewer(app, app.test_client())
    page = reviewer.get(f"{BASE}/publish").get_data(as_text=True)
    shown = int(re.search(r'name="revision"[^>]*value="(\d+)"', page)[1])
    assert f"Publish revision {shown}</button>" in page
    # While the reviewer reads, the author saves again: that change was never shown.
    submit(author_client, f"{BASE}/lessons/returning", "save", title="Unreviewed title")
    response = reviewer.post(
        f"{BASE}/publish", data={"note": "Read and approved.", "revision": str(shown)}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    with app.app_context():
        author = db.session.scalar(select(CourseDraft)).revisions[-1].author
        assert count(CourseVersion) == 1
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "course.published")
        ) is None
    assert (f"You read revision {shown}; revision {shown + 1}, saved by "
            f"{author.full_name}, is the newest.") in page  # fmt: skip
    assert "Read and approved.</textarea>" in page  # the note as typed
    assert f"Publish revision {shown + 1}</button>" in page
    since = re.search(r'Saved since you opened this page:</strong>\s*<a href="([^"]+)"', page)[1]
    changes = reviewer.get(since.replace("&amp;", "&")).get_data(as_text=True)
    assert "<ins>Unreviewed</ins>" in changes
    # Pressed again on the page that now shows it, the newest revision is published.
    published = flashes(reviewer, post_publish(reviewer, f"{BASE}/publish", {"note": "Both read."}))
    assert "Published as version 2." in published
    assert "Unreviewed title" in reviewer.get("/courses/minimal").get_data(as_text=True)


def test_publish_without_the_revision_shown_publishes_nothing(app, author_client):
    submit(author_client, LESSON, "save", body="Changed text.\n")
    reviewer = sign_in_reviewer(app, author_client)
    response = reviewer.post(f"{BASE}/publish", data={"note": "Approved."})
    assert response.status_code == 409
    assert "the page did not say which revision you reviewed" in response.get_data(as_text=True)
    with app.app_context():
        assert count(CourseVersion) == 1



def test_a_refused_publish_says_error_first_in_the_page_title(app, author_client):
    """As the learner and sign-in pages do: the title is read first by a screen reader."""
    submit(author_client, LESSON, "save", body="Changed text.\n")
    reviewer = sign_in_reviewer(app, author_client)
    assert "<title>Review and publish:" in reviewer.get(f"{BASE}/publish").get_data(True)
    response = post_publish(reviewer, f"{BASE}/publish", {"note": "   "})
    assert response.status_code == 422
    assert "<title>Error: Review and publish:" in response.get_data(as_text=True)
