"""Active time is wall-clock time, counted once: reloads, parallel tabs and heartbeats to
several lessons never add up to more than the time that truly passed."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import lessons
from course.db import utcnow
from course.extensions import db
from course.learn import activetime
from course.learn import services as learn
from course.learn.assessment import Progress, ShortLesson, closed_by_progress
from course.learn.content import LessonView
from course.models import Course, Enrolment, LessonProgress
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import finish_lessons

SLUG = "minimal"
#: Words added to each lesson of the test course: 835 words read in 5 minutes.
EXTRA_WORDS = 835


class Clock:
    """The time active-time credit sees, moved on by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(activetime, "utcnow", clock)
    return clock


def _longer(package_dir: Path, *, sequential: bool = False, minimum: str | None = None) -> Path:
    """Give each lesson five minutes of reading; optionally open every lesson at once."""
    for lesson in sorted(package_dir.glob("0*.md")):
        lesson.write_text(lesson.read_text() + "\n" + "Reading " * EXTRA_WORDS + "\n")
    manifest = package_dir / "course.yaml"
    text = manifest.read_text()
    if not sequential:
        text = text.replace("sequential: true", "sequential: false")
    if minimum is None:
        text = text.replace("min_active_minutes: 20\n", "")
    else:
        text = text.replace("min_active_minutes: 20", f"min_active_minutes: {minimum}")
    manifest.write_text(text)
    return package_dir


@pytest.fixture
def learner(app, client, package_copy):
    """A signed-in learner enrolled in a course whose lessons take 5 minutes each to read."""
    with app.app_context():
        import_course(_longer(package_copy))
        sign_in(client, make_user())
    client.post(f"/courses/{SLUG}/enrol")
    return client


def _lesson_url(slug: str) -> str:
    return f"/courses/{SLUG}/lessons/{slug}"


def _active() -> dict[str, int]:
    rows = db.session.execute(
        select(LessonProgress.lesson_id, LessonProgress.active_seconds)
    ).all()
    course = db.session.scalar(select(Course))
    slugs = {lesson.id: lesson.slug for lesson in course.lessons}
    return {slugs[lesson_id]: seconds for lesson_id, seconds in rows}


def _total(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.sum(LessonProgress.active_seconds))) or 0


def _reading_seconds(app, slug: str) -> int:
    with app.app_context():
        course = db.session.scalar(select(Course))
        lesson = next(item for item in course.live_lessons if item.slug == slug)
        return activetime.reading_seconds(lesson.word_count)


def test_without_javascript_the_time_between_two_pages_is_credited(app, learner, clock):
    learner.get(_lesson_url("push-pull"))
    clock.advance(240)
    learner.get(_lesson_url("returning"))  # four minutes of reading the first lesson
    with app.app_context():
        assert _active() == {"push-pull": 240, "returning": 0}


def test_a_long_gap_credits_at_most_what_is_left_of_the_lessons_reading_estimate(
    app, learner, clock
):
    budget = _reading_seconds(app, "push-pull")
    assert budget > 300  # five minutes of words and more
    learner.get(_lesson_url("push-pull"))
    clock.advance(120)
    learner.get(_lesson_url("push-pull"))
    clock.advance(5 * 3600)  # the tab stayed open all afternoon
    learner.get(_lesson_url("push-pull"))
    with app.app_context():
        assert _active()["push-pull"] == budget  # never more than reading it takes


def test_a_reload_loop_does_not_mint_active_time(app, learner, clock):
    budget = _reading_seconds(app, "push-pull")
    learner.get(_lesson_url("push-pull"))
    for _ in range(200):  # a script reloading as fast as it can: the clock hardly moves
        clock.advance(0.05)
        learner.get(_lesson_url("push-pull"))
    assert _total(app) <= 10
    for _ in range(120):  # reloading once a minute for two hours
        clock.advance(61)
        learner.get(_lesson_url("push-pull"))
    assert _total(app) == budget  # the reading estimate, not two hours


def test_real_time_reloads_credit_no_more_than_the_time_that_passed(app, learner):
    started = utcnow()
    for _ in range(50):
        learner.get(_lesson_url("push-pull"))
        learner.post(f"{_lesson_url('push-pull')}/complete")  # each a written page request
    elapsed = (utcnow() - started).total_seconds()
    assert _total(app) <= elapsed + 1


def test_heartbeats_to_several_lessons_at_once_count_the_time_once(app, learner, clock):
    learner.get(_lesson_url("push-pull"))
    learner.get(_lesson_url("returning"))  # a second tab
    for _ in range(10):  # five minutes of beats from both tabs
        clock.advance(30)
        for slug in ("push-pull", "returning", "push-pull", "returning"):
            assert learner.post(f"{_lesson_url(slug)}/heartbeat").status_code == 200
    assert _total(app) == 300  # five minutes of wall time, not twenty


def test_two_courses_open_side_by_side_share_the_time_not_double_it(
    app, client, package_copy, tmp_path, clock
):
    import shutil

    other = tmp_path / "second" / "minimal2"
    shutil.copytree(package_copy, other)
    manifest = other / "course.yaml"
    manifest.write_text(manifest.read_text().replace("slug: minimal", "slug: minimal2"))
    with app.app_context():
        import_course(_longer(package_copy))
        import_course(_longer(other))
        sign_in(client, make_user())
    pages = []
    for slug in (SLUG, "minimal2"):
        client.post(f"/courses/{slug}/enrol")
        pages.append(f"/courses/{slug}/lessons/push-pull")
        client.get(pages[-1])
    for _ in range(10):  # five minutes of beats from a tab of each course
        clock.advance(30)
        for page in pages:
            assert client.post(f"{page}/heartbeat").status_code == 200
    # Five minutes of the learner's time, credited once across both courses; a course's
    # minimum is not met by reading another at the same time.
    assert _total(app) == 300


def test_heartbeats_in_parallel_requests_count_the_time_once(
    app, package_copy, client, monkeypatch
):
    gap = activetime._gap

    def slow_gap(*args):  # hold each request between reading the mark and moving it
        found = gap(*args)
        time.sleep(0.1)
        return found

    with app.app_context():
        import_course(_longer(package_copy))
        user = make_user()
    clients = [sign_in(app.test_client(), user) for _ in range(6)]
    clients[0].post(f"/courses/{SLUG}/enrol")
    lessons_of = ["push-pull", "returning"] * (len(clients) // 2)  # tabs on two lessons
    for tab, slug in zip(clients, lessons_of, strict=True):
        tab.get(_lesson_url(slug))
    with app.app_context():
        # Thirty seconds have passed since anything was credited.
        enrolment = db.session.scalar(select(Enrolment))
        enrolment.credited_until -= timedelta(seconds=30)
        db.session.commit()
    barrier, statuses = threading.Barrier(len(clients)), []
    monkeypatch.setattr(activetime, "_gap", slow_gap)

    def beat(tab, slug: str) -> None:
        barrier.wait()
        statuses.append(tab.post(f"{_lesson_url(slug)}/heartbeat").status_code)

    started = utcnow()
    threads = [
        threading.Thread(target=beat, args=pair) for pair in zip(clients, lessons_of, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = (utcnow() - started).total_seconds()
    assert statuses == [200] * len(clients)
    assert _total(app) <= 30 + elapsed + 1  # once, not six times thirty seconds


def test_a_heartbeat_after_a_silence_credits_at_most_one_interval(app, learner, clock):
    learner.get(_lesson_url("push-pull"))
    clock.advance(30)
    learner.post(f"{_lesson_url('push-pull')}/heartbeat")
    clock.advance(600)  # the tab was hidden, or the learner away: the page sent nothing
    beat = learner.post(f"{_lesson_url('push-pull')}/heartbeat").get_json()
    allowance = app.config["HEARTBEAT_SECONDS"] * activetime.HEARTBEAT_GRACE
    assert beat["active_seconds"] == 30 + allowance


def test_after_a_working_heartbeat_its_silence_means_away_even_for_a_page_view(
    app, learner, clock
):
    learner.get(_lesson_url("push-pull"))
    clock.advance(30)
    learner.post(f"{_lesson_url('push-pull')}/heartbeat")
    clock.advance(20 * 60)  # idle: the page stopped beating
    learner.post(f"{_lesson_url('push-pull')}/complete")
    allowance = app.config["HEARTBEAT_SECONDS"] * activetime.HEARTBEAT_GRACE
    assert _total(app) == 30 + allowance


def test_a_heartbeat_for_a_page_never_opened_credits_nothing(app, learner, clock):
    learner.get(_lesson_url("push-pull"))
    clock.advance(30)
    beat = learner.post(f"{_lesson_url('returning')}/heartbeat")
    assert beat.status_code == 200 and beat.get_json()["active_seconds"] == 0
    with app.app_context():
        assert set(_active()) == {"push-pull"}


def test_a_lessons_time_is_capped(app, learner, clock):
    learner.get(_lesson_url("push-pull"))
    for _ in range(200):  # 100 minutes of reading one five-minute lesson
        clock.advance(30)
        learner.post(f"{_lesson_url('push-pull')}/heartbeat")
    with app.app_context():
        course = db.session.scalar(select(Course))
        words = course.live_lessons[0].word_count
        assert _active()["push-pull"] == lessons.timing.lesson_cap_seconds(words) == 3 * 328


def test_a_course_without_a_minimum_asks_for_half_its_reading_time(app, learner, clock):
    with app.app_context():
        course = db.session.scalar(select(Course))
        reading = course.manifest["reading_minutes"]
        assert course.manifest["min_active_minutes_source"] == "default"
        assert course.manifest["min_active_minutes"] == int(reading / 2) == 5
    learner.get(_lesson_url("push-pull"))
    clock.advance(120)
    page = learner.get(_lesson_url("push-pull")).get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())  # as read, without the markup
    assert words.count(
        "There is no time limit, but the post-test opens only after at least 5 minutes of"
        " reading in the lessons: about 3 more minutes to go."
    ) == 2  # above the lesson and at its end
    with app.app_context():
        finish_lessons(learner, SLUG)
    closed = learner.get(f"/courses/{SLUG}/post-test")
    assert closed.status_code == 403
    assert "at least 5 minutes" in closed.get_data(as_text=True)
    clock.advance(200)
    learner.post(f"{_lesson_url('returning')}/complete")
    assert learner.get(f"/courses/{SLUG}/post-test").status_code == 200
    course_page = learner.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "more minute" not in course_page


def test_the_minimum_met_on_one_lesson_leaves_the_post_test_closed_until_each_shows_reading(
    app, learner, clock
):
    # An auditor found a full-credit certificate with most lessons at 0.0 minutes: the
    # minimum (5 min here) was met by one lesson's heartbeats, up to its cap.
    learner.get(_lesson_url("push-pull"))
    for _ in range(20):  # ten minutes on lesson 1 alone
        clock.advance(30)
        learner.post(f"{_lesson_url('push-pull')}/heartbeat")
    with app.app_context():
        finish_lessons(learner, SLUG)  # lesson 2 opened, answered and completed at once
        assert _active()["push-pull"] >= 300 and _active()["returning"] == 0
        course = db.session.scalar(select(Course))
        share = course.manifest["lesson_reading_minutes"]["returning"] / course.manifest[
            "reading_minutes"]
    floor = lessons.timing.lesson_floor_seconds(5, share, 1.0)
    assert 60 < floor == int(0.5 * 300 * share) < _reading_seconds(app, "returning")
    closed = learner.get(f"/courses/{SLUG}/post-test")
    words = " ".join(re.sub(r"<[^>]+>", "", closed.get_data(as_text=True)).split())
    assert closed.status_code == 403
    assert "opens when every lesson shows some reading time, not only 5 minutes in all." in words
    assert f"Lesson 2, When a youth returns, needs about {-(-floor // 60)} more minutes" in words
    assert "Read again: Lesson 2, When a youth returns" in words
    course_page = " ".join(learner.get(f"/courses/{SLUG}").get_data(as_text=True).split())
    assert "Read again: Lesson 2, When a youth returns" in course_page
    lesson = " ".join(learner.get(_lesson_url("returning")).get_data(as_text=True).split())
    assert "On its own it still needs about" in lesson
    assert "of reading, its share of the course's reading time, before the post-test opens" \
        in lesson
    clock.advance(floor)  # read through, without JavaScript: the next page credits it
    learner.get(_lesson_url("returning"))
    assert learner.get(f"/courses/{SLUG}/post-test").status_code == 200


def test_time_signed_out_is_not_credited_to_the_lesson_left_open(app, client, package_copy, clock):
    with app.app_context():
        import_course(_longer(package_copy))
        user = make_user()
    sign_in(client, user)
    client.post(f"/courses/{SLUG}/enrol")
    client.get(_lesson_url("push-pull"))
    clock.advance(60)
    client.post("/auth/logout")  # the minute before signing out was reading
    clock.advance(200)  # away: an auditor found this counted as reading on return
    sign_in(client, user)
    client.get(_lesson_url("push-pull"))
    with app.app_context():
        assert _active() == {"push-pull": 60}
    clock.advance(30)  # reading again counts as before
    client.get(_lesson_url("returning"))
    with app.app_context():
        assert _active()["push-pull"] == 90


def test_a_package_minimum_of_zero_is_kept_and_warned_about(package_copy):
    _longer(package_copy, minimum="0")
    package, findings = lessons.check_package(package_copy)
    assert lessons.min_active_minutes(package) == 0
    (warning,) = [f for f in findings if "min_active_minutes" in f.message]
    assert warning.level == "warning" and warning.file == "course.yaml"
    assert warning.line == package.files["course.yaml"].splitlines().index(
        "min_active_minutes: 0"
    ) + 1
    assert "without any measured reading time" in warning.message


def test_a_minimum_no_learner_could_reach_is_warned_about(package_copy):
    _longer(package_copy, minimum="45")
    _, findings = lessons.check_package(package_copy)
    (warning,) = [f for f in findings if "min_active_minutes" in f.message]
    assert "no learner could open the post-test" in warning.message


def test_the_transcript_and_the_record_show_active_time_beside_the_estimate(
    app, learner, clock
):
    learner.get(_lesson_url("push-pull"))
    clock.advance(240)
    learner.get(_lesson_url("returning"))
    page = learner.get("/me").get_data(as_text=True)
    assert "4 min" in page and "estimated at 11 min of reading" in page
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment))
        time = activetime.enrolment_time(enrolment)
        course = db.session.scalar(select(Course))
        assert time.active_seconds == 240 and time.minimum_minutes == 5
        assert time.estimated_minutes == course.current_version.estimated_minutes
        assert time.reading_minutes == course.manifest["reading_minutes"]
        assert not time.minimum_met


def test_every_credit_moves_the_mark_and_never_counts_before_it(app, learner, clock):
    learner.get(_lesson_url("push-pull"))
    with app.app_context(), app.test_request_context():
        enrolment = db.session.scalar(select(Enrolment))
        mark = enrolment.credited_until
        course = db.session.scalar(select(Course))
        lesson = course.live_lessons[0]
        # A request that arrives late, stamped before the mark, credits nothing.
        learn.touch_progress(enrolment, lesson, now=mark - timedelta(seconds=90))
        assert enrolment.credited_until == mark
        assert _active()["push-pull"] == 0


def test_time_taking_the_post_test_is_not_credited_to_the_last_lesson_read(
    app, client, package_copy, clock
):
    # Without JavaScript the time between two pages goes to the lesson shown before; the
    # post-test is not a lesson, so the time spent on it must not go to the last one.
    with app.app_context():
        import_course(_longer(package_copy, minimum="0"))
        sign_in(client, make_user())
        client.post(f"/courses/{SLUG}/enrol")
        finish_lessons(client, SLUG)
        last = db.session.scalar(select(Course)).live_lessons[-1].slug
    client.get(_lesson_url(last))
    clock.advance(90)  # reading the last lesson once more, then on to the test
    assert client.get(f"/courses/{SLUG}/post-test").status_code == 200
    with app.app_context():
        before = _active()
    assert before[last] >= 90
    clock.advance(900)  # fifteen minutes on the test, then back to a lesson
    client.get(_lesson_url(last))
    with app.app_context():
        assert _active() == before


def test_several_short_lessons_are_named_by_number_with_the_minutes_in_all() -> None:
    def lesson(n: int) -> LessonView:
        return LessonView(n, f"l{n}", n, f"Lesson title {n}", (), (), 100, ())

    short = (ShortLesson(lesson(3), 2), ShortLesson(lesson(5), 1), ShortLesson(lesson(7), 2))
    progress = Progress(lessons_done=7, lessons_total=7, active_seconds=23 * 60,
                        passed_attempt=None, evaluated=False, completed=False,
                        minimum_minutes=23, short_lessons=short)  # fmt: skip
    closed = closed_by_progress(progress)
    assert closed is not None and closed.why == "reading" and closed.minutes == 5
    assert "Lessons 3, 5 and 7 need a little more reading, about 5 more minutes in all" in (
        closed.reason)
    assert "Lesson title" not in closed.reason  # the titles are in the course outline
    assert closed.tag == "Opens after more reading in lessons 3, 5 and 7"


def test_the_short_lessons_minutes_are_said_as_part_of_the_minutes_still_to_go() -> None:
    def lesson(n: int) -> LessonView:
        return LessonView(n, f"l{n}", n, f"Lesson title {n}", (), (), 100, ())

    short = (ShortLesson(lesson(1), 6), ShortLesson(lesson(2), 7))
    progress = Progress(lessons_done=7, lessons_total=7, active_seconds=1 * 60,
                        passed_attempt=None, evaluated=False, completed=False,
                        minimum_minutes=23, short_lessons=short)  # fmt: skip
    closed = closed_by_progress(progress)
    assert closed is not None and closed.minutes == 22
    # One figure for the whole, and the lessons' 13 minutes said to be part of it.
    assert "about 22 more minutes of reading to go" in closed.reason
    assert "At least 13 of those minutes must be in lessons 1 and 2;" in closed.reason
    assert "13 more minutes in all" not in closed.reason


def test_when_every_lesson_is_short_the_sentence_says_so_instead_of_listing_them() -> None:
    def lesson(n: int) -> LessonView:
        return LessonView(n, f"l{n}", n, f"Lesson title {n}", (), (), 100, ())

    short = tuple(ShortLesson(lesson(n), 2) for n in range(1, 8))
    progress = Progress(lessons_done=7, lessons_total=7, active_seconds=0,
                        passed_attempt=None, evaluated=False, completed=False,
                        minimum_minutes=23, short_lessons=short)  # fmt: skip
    closed = closed_by_progress(progress)
    assert closed is not None and closed.minutes == 23
    # All the reading is in the lessons: "must be in lessons 1, 2, ... and 7" said nothing.
    assert "lessons 1, 2, 3" not in closed.reason
    assert "At least 14 of those minutes must be spread over every lesson;" in closed.reason


def test_a_lesson_needing_more_than_the_whole_has_left_is_not_said_to_be_part_of_it() -> None:
    """Reading past one lesson's floor leaves another lesson needing more than the whole."""
    def lesson(n: int) -> LessonView:
        return LessonView(n, f"l{n}", n, f"Lesson title {n}", (), (), 100, ())

    progress = Progress(lessons_done=2, lessons_total=2, active_seconds=18 * 60,
                        passed_attempt=None, evaluated=False, completed=False,
                        minimum_minutes=20, short_lessons=(ShortLesson(lesson(2), 5),))  # fmt: skip
    closed = closed_by_progress(progress)
    assert closed is not None and closed.minutes == 2
    assert "about 2 more minutes of reading to go" in closed.reason
    assert "of those minutes" not in closed.reason
    assert "Lesson 2, Lesson title 2, needs about 5 more minutes of reading." in closed.reason
