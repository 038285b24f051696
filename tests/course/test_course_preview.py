"""Course staff read the published lessons, checks and answers without enrolling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from course.db import utcnow
from course.extensions import db
from course.learn import preview as previews
from course.models import Course, Question, QuestionKind, Role
from tests.course.factories import PASSWORD, make_user, sign_in, snapshot_row_counts

PREVIEW = "/courses/minimal/preview"
LESSON = f"{PREVIEW}/push-pull"


def _text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def _grant(client: FlaskClient, course_id: int, hours: float) -> None:
    """What a staff launch leaves in the session, open for ``hours`` more (or ago)."""
    with client.session_transaction() as session:
        until = int((utcnow() + timedelta(hours=hours)).timestamp())
        session[previews.SESSION_KEY] = {str(course_id): until}


def _course_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == "minimal"))


def test_an_author_on_the_team_reads_every_check_with_its_answers(app, client, author):
    sign_in(client, author)
    recorded_nothing = snapshot_row_counts(app)
    contents = client.get(PREVIEW)
    page = _text(contents)
    assert contents.status_code == 200
    assert "Staff preview." in page and "Nothing you do here is recorded" in page
    assert f'href="{LESSON}"' in page
    assert "Objective: Describe push and pull factors that lead youth to run" in page
    lesson = client.get(LESSON)
    assert lesson.status_code == 200
    page = _text(lesson)
    with app.app_context():
        checks = db.session.scalars(select(Question).where(
            Question.kind == QuestionKind.CHECK, Question.lesson.has(slug="push-pull"))).all()
        assert checks
        for check in checks:
            assert f'id="check-{check.key}"' in page
            right = [c for c in check.choices if c.is_correct]
            assert right
    assert page.count("Correct answer") >= len(checks)
    assert "Check my answer" not in page  # nothing to send
    assert "<form" not in page.split('id="main"')[-1].split("</main>")[0]
    # Looking leaves no enrollment, progress or statement behind.
    recorded_nothing()


def test_the_preview_never_shows_a_post_test_question(app, client, author):
    sign_in(client, author)
    with app.app_context():
        prompts = db.session.scalars(
            select(Question.prompt_html).where(Question.kind == QuestionKind.POST_TEST)).all()
    assert prompts
    pages = [client.get(PREVIEW)] + [client.get(f"{PREVIEW}/{slug}")
                                     for slug in ("push-pull", "returning")]
    for response in pages:
        assert response.status_code == 200
        for prompt in prompts:
            assert prompt not in response.get_data(as_text=True)
    assert "drawn at random from a bank of" in _text(pages[0])


def test_lessons_lead_to_each_other_and_back_to_the_contents(app, client, author):
    sign_in(client, author)
    first, second = _text(client.get(LESSON)), _text(client.get(f"{PREVIEW}/returning"))
    assert f'href="{PREVIEW}/returning">Next: Lesson 2,' in first and "Previous:" not in first
    assert f'href="{LESSON}">Previous: Lesson 1,' in second and "Next:" not in second
    assert f'href="{PREVIEW}">All lessons' in second


def test_the_pages_stay_out_of_caches_and_search_engines(app, client, author):
    sign_in(client, author)
    for address in (PREVIEW, LESSON):
        response = client.get(address)
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("who", ["nobody", "learner", "author off the team"])
def test_others_are_told_who_may_preview_and_see_no_answers(app, client, course_slug, who):
    if who != "nobody":
        with app.app_context():
            role = Role.LEARNER if who == "learner" else Role.AUTHOR
            sign_in(client, make_user(role))
    for address in (PREVIEW, LESSON):
        response = client.get(address)
        page = _text(response)
        assert response.status_code == 403
        assert "The preview is for course staff" in page
        assert "Correct answer" not in page
        assert ("Sign in</a> first" in page) == (who == "nobody")
        assert ("you are not on this course's team" in page) == (who == "author off the team")
    # Only those who may preview are offered it on the course page.
    assert "staff preview" not in _text(client.get("/courses/minimal"))


def test_an_enrolled_author_is_still_offered_the_preview(app, client, author):
    sign_in(client, author)
    client.post("/courses/minimal/enroll")
    page = _text(client.get("/courses/minimal"))
    assert re.search(rf'You work on this course: the <a href="{PREVIEW}">staff preview</a>', page)


def test_an_admin_may_preview_every_course(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user(Role.ADMIN))
    assert client.get(LESSON).status_code == 200


def test_a_staff_launch_opens_its_own_course_for_some_hours(app, client, course_slug):
    course_id = _course_id(app)
    _grant(client, course_id, hours=1)
    page = _text(client.get(LESSON))
    assert "Correct answer" in page and "End the preview now" in page
    _grant(client, course_id + 1, hours=1)  # another course's
    assert client.get(LESSON).status_code == 403
    _grant(client, course_id, hours=-0.01)  # run out
    page = _text(client.get(LESSON))
    assert f"stays open in this browser for up to {previews.PREVIEW_HOURS} hours" in page
    assert "Open the course from there again" in page


def test_a_grant_keeps_other_live_courses_and_drops_those_run_out():
    now = utcnow()
    moment = int(now.timestamp())
    kept = previews.granted({"3": moment + 60, "4": moment - 1, "5": "junk"}, 7, now)
    assert kept == {"3": moment + 60, "7": moment + previews.PREVIEW_HOURS * 3600}
    assert previews.ended(kept, 7) == {"3": moment + 60}


def test_signing_in_ends_a_staff_launch_s_preview(app, client, course_slug):
    """A shared computer: the next person to sign in is not shown the answers."""
    with app.app_context():
        learner = make_user(email="next@example.org")
    _grant(client, _course_id(app), hours=2)
    client.post("/auth/login", data={"email": learner.email, "password": PASSWORD})
    assert client.get("/me").status_code == 200  # signed in
    assert client.get(LESSON).status_code == 403
    assert "as course staff" not in _text(client.get("/courses/minimal"))


def test_ending_the_preview_closes_it_in_this_browser(app, client, course_slug):
    _grant(client, _course_id(app), hours=2)
    ended = client.post(f"{PREVIEW}/end")
    assert ended.status_code == 303 and ended.location.endswith("/courses/minimal")
    assert "The staff preview is closed in this browser." in _text(client.get("/courses/minimal"))
    assert client.get(LESSON).status_code == 403


def test_an_unknown_lesson_or_an_archived_course_is_not_found(app, client, author):
    sign_in(client, author)
    assert client.get(f"{PREVIEW}/no-such-lesson").status_code == 404
    with app.app_context():
        db.session.execute(update(Course).values(archived_at=utcnow()))
        db.session.commit()
    assert client.get(PREVIEW).status_code == 404


def test_staff_are_pointed_at_the_preview_instead_of_enrolling(app, client, author):
    sign_in(client, author)
    page = _text(client.get("/courses/minimal"))
    assert re.search(rf'<a href="{PREVIEW}">staff preview</a>', page)
    editor = _text(client.get("/author/courses/minimal/"))
    assert f'href="{PREVIEW}">preview of the published lessons' in editor


def test_the_admin_home_offers_each_open_course_s_preview(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user(Role.ADMIN))
    home = _text(client.get("/admin/"))
    # Each row's links say which course they are for, to a screen reader's list of links.
    title = '<span class="visually-hidden">, Youth Who Run from Foster Care (test course)</span>'
    assert f'<a href="{PREVIEW}">Preview{title}</a>' in home
    assert f'>Report{title}</a>' in home and f'>CE approval{title}</a>' in home
    with app.app_context():
        db.session.execute(update(Course).values(archived_at=utcnow()))
        db.session.commit()
    assert f'href="{PREVIEW}"' not in _text(client.get("/admin/"))


def test_the_course_page_leads_a_staff_launch_back_to_the_preview(app, client, course_slug):
    note = "You opened this course from your learning system as course staff."
    assert note not in _text(client.get("/courses/minimal"))
    _grant(client, _course_id(app), hours=1)
    page = _text(client.get("/courses/minimal"))
    assert note in page and f'<a href="{PREVIEW}">Go to the staff preview</a>' in page
