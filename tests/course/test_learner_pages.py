"""What a learner sees: refused empty answers, where "continue" leads, "My learning",
and the display helpers (hotline links, tables that stack on a phone)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

import lessons
from course.admin.report_services import seat_time
from course.contacts import contact_links
from course.extensions import db
from course.learn.activetime import EnrolmentTime, minutes_to_go
from course.learn.enhance import for_display
from course.models import CheckResponse, Course
from course.templating import date_label, duration_label, time_label
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    check_positions,
    correct_keys,
    evaluation_form,
    open_attempt,
)

REAL_COURSE = Path(__file__).resolve().parents[2] / "content" / "running-behavior"


@pytest.fixture
def learner(app):
    with app.app_context():
        return make_user()


def _answer_lesson(client, slug: str, lesson) -> None:
    for check in lesson.live_checks:
        client.post(
            f"/courses/{slug}/lessons/{lesson.slug}/checks/{check.key}",
            data={"choice": check_positions(client, slug, check, correct_keys(check))},
        )


def test_an_empty_answer_is_refused_beside_the_question_and_stored_nowhere(
    app, client, course_slug, learner
):
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    lesson = f"/courses/{course_slug}/lessons/push-pull"
    url = f"{lesson}/checks/push-pull-1"
    refused = client.post(url, data={})
    # Back to the lesson's own address: a reload there sends nothing again.
    assert refused.status_code == 303 and refused.location == f"{lesson}#check-push-pull-1"
    page = client.get(refused.location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    error = re.search(r'<div class="question-error" id="check-push-pull-1-error"[^>]*>(.*?)</div>',
                      html, re.S)
    assert error and "Choose an answer, then check it." in error.group(1)
    # The check's button leads back to the question, so the next page opens there too.
    assert f'action="{url}#check-push-pull-1"' in html
    as_script = client.post(url, data={}, headers={"Accept": "application/json"})
    assert as_script.status_code == 422
    assert as_script.get_json() == {"error": "Choose an answer, then check it.", "others": [],
                                    "note": ""}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckResponse)) == 0
    # Nothing answered, so the lesson cannot be completed either.
    done = client.post(f"/courses/{course_slug}/lessons/push-pull/complete")
    assert done.status_code == 303 and done.location == f"{lesson}#lesson-missing"
    assert "still unanswered" in client.get(done.location).get_data(as_text=True)


def test_reopening_a_refused_forms_address_shows_the_lesson_not_an_error(
    client, course_slug, learner
):
    # A refused answer or finish goes back to the lesson; the form's own address, opened
    # from a bookmark, history or a sign-in's next=, used to give "405 Method Not Allowed".
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    lesson = f"/courses/{course_slug}/lessons/push-pull"
    assert client.post(f"{lesson}/checks/push-pull-1", data={}).status_code == 303
    assert client.post(f"{lesson}/complete").status_code == 303
    for address, anchor in ((f"{lesson}/checks/push-pull-1", "check-push-pull-1"),
                            (f"{lesson}/complete", "lesson-end")):  # fmt: skip
        reopened = client.get(address)
        assert reopened.status_code == 303
        assert reopened.location == f"{lesson}#{anchor}"  # the page opens at the form
        page = client.get(reopened.location)
        assert page.status_code == 200 and "Push and pull factors" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "page", "title"),
    [
        ("enrol", "", "Youth Who Run"),
        ("post-test/save", "/post-test", "Post-test"),
        ("evaluation/save", "/evaluation", "Evaluation"),
    ],
)
def test_reopening_a_course_forms_address_opens_its_page_not_an_error(
    app, client, course_slug, learner, form, page, title
):
    # "Start the course" and "Save and finish later" post to their own addresses; opening
    # one again (a bookmark, history, sign-in coming back to it) gave "405 Method Not Allowed".
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    reopened = client.get(f"/courses/{course_slug}/{form}")
    assert reopened.status_code == 303
    assert reopened.location == f"/courses/{course_slug}{page}"
    # The page itself, or its own word on why it is not open yet: no bare error.
    shown = client.get(reopened.location).get_data(as_text=True)
    assert title in re.search(r"<h1[^>]*>(.*?)</h1>", shown, re.S).group(1)
    anonymous = app.test_client().get(f"/courses/{course_slug}/{form}", follow_redirects=True)
    if page:  # the course page itself is public; the post-test and evaluation ask who you are
        assert anonymous.request.path == "/auth/login"
    else:
        assert "Sign in, or create a free account, to start." in anonymous.get_data(as_text=True)


def test_starting_a_course_while_signed_out_comes_back_to_the_course(client, course_slug, learner):
    # Signed out in another tab, the learner presses Start; sign-in returns to that address.
    sent = client.post(f"/courses/{course_slug}/enrol")
    assert sent.status_code == 302
    (after_sign_in,) = parse_qs(urlsplit(sent.location).query)["next"]
    sign_in(client, learner)
    back = client.get(after_sign_in, follow_redirects=True)
    assert back.request.path == f"/courses/{course_slug}"
    assert "Start the course" in back.get_data(as_text=True)


def test_complete_and_continue_goes_to_the_next_lesson_not_back(app, client, learner):
    with app.app_context():
        course = import_course(REAL_COURSE)
        slug, lessons = course.slug, list(course.live_lessons)
    assert not course.manifest.get("sequential")
    sign_in(client, learner)
    client.post(f"/courses/{slug}/enrol")
    with app.app_context():
        _answer_lesson(client, slug, db.session.merge(lessons[1]))
    # Lesson 1 is still unfinished; finishing lesson 2 leads on to lesson 3.
    done = client.post(f"/courses/{slug}/lessons/{lessons[1].slug}/complete")
    assert done.status_code == 302
    # At its top: the finishing form's #lesson-end would otherwise carry over.
    assert done.location.endswith(f"/lessons/{lessons[2].slug}#main")


def test_my_learning_shows_each_course_with_progress_and_next_step(
    app, client, course_slug, learner
):
    sign_in(client, learner)
    assert "You have not started a course yet" in client.get("/").get_data(as_text=True)
    client.post(f"/courses/{course_slug}/enrol")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        first, second = course.live_lessons
        _answer_lesson(client, course_slug, first)
        first_slug, second_slug, second_title = first.slug, second.slug, second.title
    client.post(f"/courses/{course_slug}/lessons/{first_slug}/complete")
    html = client.get("/").get_data(as_text=True)
    assert "<h1>My learning</h1>" in html
    assert "1 of 2 lessons complete" in html and "active time" in html
    # The bar counts steps (2 lessons, post-test, evaluation) and its name says so.
    assert '<progress max="4" value="1"' in html and ": 1 of 4 steps" in html
    assert (f'href="/courses/{course_slug}/lessons/{second_slug}">'
            f"Continue: Lesson 2, {second_title}</a>") in html
    assert "All courses" in html and "You are taking this course" in html


def test_the_catalogue_says_a_finished_course_is_completed_not_still_being_taken(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        form = evaluation_form(db.session.scalar(select(Course)))
    assert ready.post("/courses/minimal/evaluation", data=form).status_code == 303
    html = ready.get("/").get_data(as_text=True)
    assert "You completed this course" in html
    assert "You are taking this course" not in html


def test_hotline_numbers_become_call_and_text_links() -> None:
    html = str(contact_links("Call 1-888-373-7888, text 233733, TTY 711, or live chat"))
    assert '<a href="tel:+18883737888" aria-label="Call 1-888-373-7888">1-888-373-7888</a>' in html
    assert '<a href="sms:233733" aria-label="Text 233733">233733</a>' in html
    assert 'href="tel:711"' in html
    both = str(contact_links("Call or text 988"))
    assert 'href="tel:988"' in both and 'href="sms:988"' in both
    assert str(contact_links("See <your> plan")) == "See &lt;your&gt; plan"


def test_an_email_address_in_contact_text_becomes_a_link_to_write() -> None:
    html = str(contact_links("Write to ce.records+boards@agency.example.gov or call 988."))
    assert ('Write to <a href="mailto:ce.records+boards@agency.example.gov">'
            "ce.records+boards@agency.example.gov</a> or call") in html
    assert 'href="tel:988"' in html and html.endswith("</a>.")  # the sentence's stop stays out
    assert "mailto" not in str(contact_links("Room 555@North, not an address"))


def test_lesson_tables_label_each_cell_and_numbers_dial() -> None:
    part = (
        "<table>\n<thead>\n<tr>\n<th>Say</th>\n<th>Instead of</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>a youth who runs</td>\n<td>a runner</td>\n</tr>\n</tbody>\n</table>"
        "<p>Call 1-800-786-2929 in 2013, or <a href=\"tel:988\">988</a>.</p>"
    )
    shown = for_display(part)
    assert '<table class="usa-table usa-table--stacked">' in shown
    assert '<td data-label="Say">a youth who runs</td>' in shown
    assert '<td data-label="Instead of">a runner</td>' in shown
    assert '<a href="tel:+18007862929">1-800-786-2929</a> in 2013' in shown
    assert shown.count("<a ") == 2


def test_dates_and_times_read_the_us_way(make_app) -> None:
    # In UTC, so the instants below keep their clock time (see test_dates.py for zones).
    with make_app(PROVIDER_TIMEZONE="UTC").app_context():
        assert date_label(date(2026, 12, 2)) == "December 2, 2026"
        assert date_label(datetime(2026, 11, 21, 23, 5)) == "November 21, 2026"
        assert [time_label(datetime(2026, 1, 1, h, 5)) for h in (0, 7, 12, 19)] == [
            "12:05 AM UTC", "7:05 AM UTC", "12:05 PM UTC", "7:05 PM UTC"
        ]


def test_active_time_shown_and_minutes_to_go_add_up_to_the_minimum() -> None:
    # 44 min 40 s of a 45-minute minimum: "45 min" beside "1 more minute" read as a bug.
    for seconds in (0, 59, 60, 2680, 2699, 2700, 3599, 3661):
        shown = duration_label(seconds)
        hours, rest = re.fullmatch(r"(?:(\d+) h )?(\d+) min", shown).groups()
        minutes = int(hours or 0) * 60 + int(rest)
        assert minutes * 60 <= seconds < minutes * 60 + 60, (seconds, shown)
        if seconds < 2700:
            assert minutes + minutes_to_go(seconds, 45) == 45, (seconds, shown)
    assert duration_label(3661) == "1 h 01 min" and duration_label(None) == "0 min"
    # The records' tenths go down too: an accreditor never reads a minimum as met early.
    short = EnrolmentTime(1, 2697, 60.0, 50.0, 45, 1)
    assert (short.active_minutes, short.minimum_met) == (44.9, False)


def test_the_progress_sentence_counts_what_it_names(app, client, course_slug, learner):
    # It said "1 of 2 lessons complete (25%)": the percentage counted the post-test and
    # the evaluation too, so the words and the number disagreed.
    sign_in(client, learner)
    client.post(f"/courses/{course_slug}/enrol")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        first, second = course.live_lessons
        _answer_lesson(client, course_slug, first)
        first_slug, second_slug = first.slug, second.slug
    client.post(f"/courses/{course_slug}/lessons/{first_slug}/complete")
    for path in (f"/courses/{course_slug}", f"/courses/{course_slug}/lessons/{second_slug}"):
        html = client.get(path).get_data(as_text=True)
        sentence = re.search(r"<p>Course progress: (.*?)</p>", html, re.S).group(1)
        assert sentence.strip() == "1 of 2 lessons complete.", path


def test_every_page_gives_the_checker_s_reading_estimate_and_no_time_limit(app, client, learner):
    package, _ = lessons.check_package(REAL_COURSE)
    reading = lessons.seat_time(package).reading_minutes  # lesson and check words
    with app.app_context():
        course = import_course(REAL_COURSE)
        slug, first = course.slug, course.live_lessons[0].slug
        minimum = course.manifest["min_active_minutes"]
        report = seat_time(db.session.merge(course))
        assert report.reading_minutes == round(reading, 1)
        # The lessons' own estimates add up to the course's.
        lesson_sum = sum(row.estimated_minutes for row in report.lessons)
        assert lesson_sum == pytest.approx(reading, abs=0.4)
    page = client.get(f"/courses/{slug}").get_data(as_text=True)
    whole = round(lessons.seat_time(package).total_minutes)
    assert re.search(rf"About {round(reading)} min of reading\s+\({whole} min with the post-test",
                     page)
    shown = [int(n) for n in re.findall(r'<span class="step-meta">about (\d+) min</span>', page)]
    # The outline adds up to both figures printed beside it: the lessons to the reading,
    # every step to the whole (each lesson rounded alone gave 46 beside 47).
    assert len(shown) == len(package.lessons) + 2
    assert sum(shown[:-2]) == round(reading) and sum(shown) == whole
    promise = (f"There is no time limit, but the post-test opens only after at least {minimum}"
               " minutes of reading in the lessons.")
    assert promise in page
    sign_in(client, learner)
    client.post(f"/courses/{slug}/enrol")
    lesson = client.get(f"/courses/{slug}/lessons/{first}").get_data(as_text=True)
    assert "Nothing is timed" not in lesson
    assert re.search(r"There is no time limit, but the post-test opens only after at least\s+"
                     rf"{minimum} minutes of reading", lesson)
    transcript = client.get("/me").get_data(as_text=True)
    assert f"(the lessons are estimated at {round(reading)} min of reading," in transcript
