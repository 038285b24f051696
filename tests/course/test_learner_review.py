"""What a learner trips on between the pages: each test is a step a new learner takes."""

from __future__ import annotations

import re

from sqlalchemy import select

from course.extensions import db
from course.models import Course, User
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    check_positions,
    correct_keys,
    enrolment_of,
    evaluation_form,
    open_attempt,
    plain,
)

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


def test_get_support_on_the_certificate_page_leads_to_the_support_lines(ready):
    with ready.application.app_context():
        attempt = open_attempt(ready, SLUG)
        ready.post(f"{COURSE}/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        done = ready.post(f"{COURSE}/evaluation", data=evaluation_form(course),
                          follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Certificate of Completion" in page
    # The header offers "Get support" on every page of a course; it must lead somewhere.
    assert '<a class="site-support-link" href="#support">Get support</a>' in page
    assert 'id="support"' in page
    assert "Support is available" in plain(page)


def test_the_last_lesson_promises_the_post_test_only_once_the_reading_time_is_met(
    app, client, package_copy
):
    with app.app_context():
        import_course(package_copy)  # 20 minutes of reading before the post-test
        sign_in(client, make_user())
        client.post(f"{COURSE}/enrol")
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        first, last_slug = course.live_lessons[0], course.live_lessons[-1].slug
        for check in first.live_checks:
            positions = check_positions(client, SLUG, check, correct_keys(check))
            client.post(f"{COURSE}/lessons/{first.slug}/checks/{check.key}",
                        data={"choice": positions})
        client.post(f"{COURSE}/lessons/{first.slug}/complete")
    page = plain(client.get(f"{COURSE}/lessons/{last_slug}").get_data(as_text=True))
    assert "more minutes to go" in page
    assert "Complete this lesson" in page
    assert "Complete and go to the post-test" not in page
    with app.app_context():
        lesson = db.session.scalar(select(Course).where(Course.slug == SLUG)).live_lessons[-1]
        for check in lesson.live_checks:
            positions = check_positions(client, SLUG, check, correct_keys(check))
            client.post(f"{COURSE}/lessons/{last_slug}/checks/{check.key}",
                        data={"choice": positions})
    assert client.post(f"{COURSE}/lessons/{last_slug}/complete").status_code == 302
    # Done, and the reading still short: the button moves on, promising nothing.
    page = plain(client.get(f"{COURSE}/lessons/{last_slug}").get_data(as_text=True))
    assert "You have completed this lesson." in page
    assert "answer the checks. Continue ← Previous" in page


def test_the_evaluation_says_it_is_the_last_step_before_the_certificate(ready):
    with ready.application.app_context():
        attempt = open_attempt(ready, SLUG)
        ready.post(f"{COURSE}/post-test", data=answers_for(attempt, right=10))
    page = plain(ready.get(f"{COURSE}/evaluation").get_data(as_text=True))
    assert ("This is the last step: when you submit the evaluation, your certificate is"
            " ready to view and download.") in page
    # The details the certificate will carry, checked while they can still change.
    with ready.application.app_context():
        learner = db.session.get(User, enrolment_of(ready, SLUG).user_id)
        name = learner.full_name
        assert learner.licence_number is None
    assert (f"Your certificate will show your name as {name}, with no license number. "
            "Check or change your details before you submit.") in page
    with ready.application.app_context():
        db.session.get(User, learner.id).licence_number = "LSW 9"
        db.session.get(User, learner.id).licence_jurisdiction = "Ohio"
        db.session.commit()
    page = plain(ready.get(f"{COURSE}/evaluation").get_data(as_text=True))
    assert f"your name as {name} and license no. LSW 9 (Ohio). Check or change" in page


def test_an_empty_catalogue_gives_a_learner_no_command_to_run(app, client):
    with app.app_context():
        sign_in(client, make_user())
    page = plain(client.get("/").get_data(as_text=True))
    assert "No courses are open yet. Please come back later." in page
    assert "flask" not in page


def test_the_headers_sign_in_from_a_course_page_comes_back_to_it(app, client, package_copy):
    with app.app_context():
        import_course(package_copy)
        make_user(email="back@example.org", password="a long enough passphrase here")
    page = client.get(COURSE).get_data(as_text=True)
    header = page[page.index("<header"):page.index("</header>")]
    assert f'href="/auth/login?next={COURSE}"' in header
    assert f'href="/auth/register?next={COURSE}"' in header
    signed_in = client.post("/auth/login", data={
        "email": "back@example.org", "password": "a long enough passphrase here",
        "next": COURSE})
    assert signed_in.headers["Location"].endswith(COURSE)
    # From the catalogue, signing in leads to the learner's home, as before.
    catalogue = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/auth/login"' in catalogue[catalogue.index("<header"):]


def test_a_lesson_left_midway_offers_to_go_on_from_the_first_open_check(
    app, client, package_copy
):
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post(f"{COURSE}/enrol")
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        lesson = next(item for item in course.live_lessons if len(item.live_checks) >= 2)
        first, second = lesson.live_checks[:2]
        count, second_key = len(lesson.live_checks), second.key
        base = f"{COURSE}/lessons/{lesson.slug}"
        assert "resume-note" not in client.get(base).get_data(as_text=True)  # not begun
        positions = check_positions(client, SLUG, first, correct_keys(first))
        client.post(f"{base}/checks/{first.key}", data={"choice": positions})
        page = client.get(base).get_data(as_text=True)
    note = re.search(r'<p class="resume-note">(.*?)</p>', page, re.S)
    assert note, "no way back to where the learner stopped"
    assert f"You have answered 1 of {count} knowledge checks" in plain(note[1])
    assert f'<a href="#check-{second_key}">Go on from knowledge check 2</a>' in note[1]
    assert f'id="check-{second_key}"' in page  # the link lands on the check


def test_a_completed_lesson_read_again_offers_to_continue_not_to_complete(
    app, client, package_copy
):
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post(f"{COURSE}/enrol")
        first = db.session.scalar(select(Course).where(Course.slug == SLUG)).live_lessons[0]
        for check in first.live_checks:
            positions = check_positions(client, SLUG, check, correct_keys(check))
            client.post(f"{COURSE}/lessons/{first.slug}/checks/{check.key}",
                        data={"choice": positions})
        client.post(f"{COURSE}/lessons/{first.slug}/complete")
        html = client.get(f"{COURSE}/lessons/{first.slug}").get_data(as_text=True)
    assert "You have completed this lesson." in plain(html)
    # "Complete and continue" under that sentence read as if the lesson were not complete.
    assert "Complete and continue" not in plain(html)
    assert re.search(r'<button class="usa-button usa-button--big" type="submit">Continue<', html)
