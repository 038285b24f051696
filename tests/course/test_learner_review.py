"""What a learner trips on between the pages: each test is a step a new learner takes."""

from __future__ import annotations

import re

from sqlalchemy import select

from course.extensions import db
from course.models import Course
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import answers_for, check_positions, correct_keys, open_attempt, plain

SLUG = "minimal"
COURSE = f"/courses/{SLUG}"


def _finish_lessons_quickly(app, client, package_copy) -> str:
    """Enroll and complete every lesson at once (the course asks for 20 minutes of reading);
    return the page that "Complete" on the last lesson leads to."""
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post(f"{COURSE}/enrol")
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        for lesson in course.live_lessons:
            base = f"{COURSE}/lessons/{lesson.slug}"
            for check in lesson.live_checks:
                positions = check_positions(client, SLUG, check, correct_keys(check))
                client.post(f"{base}/checks/{check.key}", data={"choice": positions})
            done = client.post(f"{base}/complete", follow_redirects=True)
        first = course.live_lessons[0]
        return done, first


def test_finishing_the_lessons_before_the_reading_time_leads_on_to_a_lesson(
    app, client, package_copy
):
    done, first = _finish_lessons_quickly(app, client, package_copy)
    assert done.status_code == 403  # the post-test, not open yet
    page = done.get_data(as_text=True)
    assert "more minutes of reading to go" in plain(page)
    # Not a dead end: the page offers the lesson where the reading time counts.
    link = re.search(r'<a class="usa-button" href="([^"]+)">([^<]+)</a>', page)
    assert link, "no button to the lessons"
    assert link[1] == f"{COURSE}/lessons/{first.slug}"
    assert link[2] == f"Read again: Lesson 1, {first.title}"
    assert client.get(link[1]).status_code == 200


def test_the_review_of_a_failed_attempt_links_to_the_lessons_to_read_again(ready):
    with ready.application.app_context():
        attempt = open_attempt(ready, SLUG)
        review = ready.post(f"{COURSE}/post-test", data=answers_for(attempt, right=0),
                            follow_redirects=True)
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        lessons = [(lesson.slug, lesson.title) for lesson in course.live_lessons]
    page = review.get_data(as_text=True)
    assert "You answered 0 of 10 correctly" in plain(page)
    # Each missed objective names where it is taught, as a link the learner can follow.
    for slug, title in lessons:
        assert re.search(rf'Taught in <a href="{COURSE}/lessons/{slug}">Lesson \d, {title}</a>',
                         page), title
