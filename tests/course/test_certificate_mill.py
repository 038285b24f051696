"""The certificate mill: a script that reads nothing gets no certificate before the minimum.

Seen before the rules held on the server: a script answered every knowledge check with
the first choice, posted to locked lessons, sent heartbeats to every lesson in parallel,
retook the post-test at once until it passed, and was certified in under a second. Here
the same script runs against the minimal course as shipped (lessons in order, 20 minutes
of active time, a failed attempt waits ten minutes) on a clock the test moves.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from course.db import utcnow
from course.extensions import db
from course.learn import activetime, posttest, retakes
from course.models import (
    Certificate,
    CheckResponse,
    Course,
    LessonProgress,
    PostTestAttempt,
)
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, open_attempt

SLUG = "minimal"
MINIMUM_SECONDS = 20 * 60  # the package's min_active_minutes
TABS = 4  # parallel heartbeat senders, two on each lesson


class Clock:
    """The time the active-time and retake rules see, moved on by the test."""

    def __init__(self) -> None:
        self.now = utcnow()
        self.start = self.now

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def elapsed(self) -> float:
        return (self.now - self.start).total_seconds()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in (activetime, retakes, posttest):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


def _lesson(slug: str) -> str:
    return f"/courses/{SLUG}/lessons/{slug}"


def _active_seconds() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.sum(LessonProgress.active_seconds))) or 0)


def _certificates() -> int:
    return db.session.scalar(select(func.count()).select_from(Certificate))


def _first_choice_everywhere(client, slug: str, checks: list[str]) -> None:
    """What the mill does on a lesson: every check answered with the first choice."""
    for key in checks:
        client.post(f"{_lesson(slug)}/checks/{key}", data={"choice": ["1"]})
    client.post(f"{_lesson(slug)}/complete")


def _beat_in_parallel(tabs, slugs) -> list[int]:
    barrier, statuses = threading.Barrier(len(tabs)), []

    def beat(tab, slug: str) -> None:
        barrier.wait()
        statuses.append(tab.post(f"{_lesson(slug)}/heartbeat").status_code)

    threads = [threading.Thread(target=beat, args=pair) for pair in zip(tabs, slugs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_the_certificate_mill_gets_nothing_before_the_minimum_active_time(
    app, client, minimal_package_dir, clock
):
    with app.app_context():
        import_course(minimal_package_dir)  # as shipped: sequential, 20 minutes, waits
        user = make_user()
        course = db.session.scalar(select(Course))
        checks = {lesson.slug: [c.key for c in lesson.live_checks] for lesson in course.lessons}
        first, second = (lesson.slug for lesson in course.live_lessons)
    tabs = [sign_in(app.test_client(), user) for _ in range(TABS)]
    sign_in(client, user)
    client.post(f"/courses/{SLUG}/enrol")

    # Locked lesson first: its checks, its completion and its heartbeats are refused.
    with app.app_context():
        for key in checks[second]:
            refused = client.post(f"{_lesson(second)}/checks/{key}", data={"choice": ["1"]})
            assert refused.status_code == 403
        assert client.post(f"{_lesson(second)}/complete").status_code == 403
        assert client.post(f"{_lesson(second)}/heartbeat").status_code == 403
        assert db.session.scalar(select(func.count()).select_from(CheckResponse)) == 0

        # Then in order, the first choice everywhere: the lessons complete, in seconds.
        for slug in (first, second):
            assert client.get(_lesson(slug)).status_code == 200
            clock.advance(2)
            _first_choice_everywhere(client, slug, checks[slug])
        assert client.get(f"/courses/{SLUG}/post-test").status_code == 403
        assert _certificates() == 0

    # Heartbeats from four tabs at once, every 30 seconds, until the post-test opens.
    slugs = [first, second] * (TABS // 2)
    for tab, slug in zip(tabs, slugs, strict=True):
        tab.get(_lesson(slug))
    opened_after = None
    for _ in range(120):
        clock.advance(30)
        assert _beat_in_parallel(tabs, slugs) == [200] * TABS
        with app.app_context():
            active = _active_seconds()
            assert active <= clock.elapsed  # parallel beats never add up
            page = client.get(f"/courses/{SLUG}/post-test")
            if active < MINIMUM_SECONDS:
                assert page.status_code == 403, active
                assert "of reading to go" in page.get_data(as_text=True)
                assert _certificates() == 0
            else:
                assert page.status_code == 200
                opened_after = clock.elapsed
                break
    assert opened_after is not None and opened_after >= MINIMUM_SECONDS

    with app.app_context():
        # A guess fails; its review says what was missed, never which choice was keyed.
        attempt = open_attempt(client, SLUG)
        guess = answers_for(attempt, right=4)
        client.post(f"/courses/{SLUG}/post-test", data=guess)
        review = client.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
        assert "You answered 4 of 10 correctly" in review
        assert "Correct answer" not in review and "is-done" not in review
        chosen = sum(len(v) for k, v in guess.items() if k.startswith("q-"))
        assert review.count("usa-tag") == review.count("is-current") == chosen

        # An immediate retake is refused, and the graded attempt cannot be sent again.
        retake = client.get(f"/courses/{SLUG}/post-test")
        assert retake.status_code == 403 and "about 10 minutes" in retake.get_data(as_text=True)
        client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=10))
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(PostTestAttempt)) == 1
        assert db.session.get(PostTestAttempt, attempt.id).passed is False
        assert client.get(f"/courses/{SLUG}/evaluation").status_code == 403
        assert client.get(f"/courses/{SLUG}/certificate").status_code == 302
        assert _certificates() == 0

        # Ten minutes on, a learner who knows the answers passes and is certified.
        clock.advance(10 * 60)
        attempt = open_attempt(client, SLUG)
        client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course))
        client.post(f"/courses/{SLUG}/evaluation", data=evaluation_form(course))
        client.get(f"/courses/{SLUG}/certificate")
        assert _certificates() == 1
        assert _active_seconds() >= MINIMUM_SECONDS
