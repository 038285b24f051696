"""Where the post-test stands, said where the learner looks: the course page's button and
outline, the page that says it is not open, the review of a failed attempt, the intro."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from course.dates import time_label
from course.db import utcnow
from course.extensions import db
from course.learn import retakes
from course.models import PostTestAttempt
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    finish_lessons,
    open_attempt,
    plain,
    without_minimum_time,
)

SLUG = "minimal"
COURSE = f"/courses/{SLUG}"
POST_TEST = f"{COURSE}/post-test"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """The time the retake rules see: ``clock.now``, moved on by the test."""

    class Clock:
        now = utcnow()

        def __call__(self):
            return self.now

    clock = Clock()
    monkeypatch.setattr(retakes, "utcnow", clock)
    return clock


@pytest.fixture
def lessons_done(app, client, package_copy):
    """A signed-in learner who has finished every lesson of the minimal course (as given:
    20 minutes of reading before the post-test, 10 minutes' wait after a failed attempt)."""

    def build(*, minimum_time: bool = False, **post_test: object):
        manifest = package_copy / "course.yaml"
        block = "post_test:\n  draw: 10\n"
        extra = "".join(f"  {key}: {value}\n" for key, value in post_test.items())
        manifest.write_text(manifest.read_text().replace(block, block + extra))
        with app.app_context():
            import_course(package_copy if minimum_time else without_minimum_time(package_copy))
            sign_in(client, make_user())
            client.post(f"{COURSE}/enrol")
            finish_lessons(client, SLUG)
        return client

    return build


def _fail_once(app, client) -> None:
    with app.app_context():
        attempt = open_attempt(client, SLUG)
        client.post(POST_TEST, data=answers_for(attempt, right=2))


def _retake_time(app, wait_minutes: int = 10) -> str:
    """The clock time the retake opens, as the pages say it: "9:45 AM CST", the first
    whole minute it is open."""
    with app.app_context():
        sent = db.session.scalar(select(PostTestAttempt.submitted_at))
        opens = sent + timedelta(minutes=wait_minutes)
        if opens.second or opens.microsecond:
            opens = opens.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return time_label(opens)


def test_the_retake_time_said_is_one_the_post_test_is_open_at(app) -> None:
    """A wait ending at 9:45:40 is said as 9:46: at 9:45 the learner would be turned away."""
    sent = datetime(2026, 12, 2, 15, 35, 40, tzinfo=UTC)
    attempt = SimpleNamespace(submitted_at=sent, counts=True)
    manifest = {"post_test_retake_wait_minutes": 10, "post_test_max_attempts": 0}
    with app.app_context():
        closed = retakes.closed_for_retake(manifest, [attempt], now=sent + timedelta(minutes=9))
        assert closed is not None
        assert closed.opens_at == datetime(2026, 12, 2, 15, 46, tzinfo=UTC)
        assert f"at {time_label(closed.opens_at)}." in closed.reason
        assert retakes.closed_for_retake(manifest, [attempt], now=closed.opens_at) is None
        # Sent on the minute but for a fraction of a second: still the next minute.
        fraction = SimpleNamespace(submitted_at=sent.replace(second=0, microsecond=500_000),
                                   counts=True)
        closed = retakes.closed_for_retake(manifest, [fraction], now=sent)
        assert closed.opens_at == datetime(2026, 12, 2, 15, 46, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wait", "left", "said"),
    [
        (timedelta(minutes=120), timedelta(minutes=120), "about 120 minutes"),  # a long wait
        (timedelta(minutes=10), timedelta(seconds=30), "about 1 minute"),  # one, not "1 minutes"
        (timedelta(minutes=10), timedelta(seconds=90), "about 2 minutes"),  # never less than left
    ],
)
def test_the_wait_is_said_in_whole_minutes_rounded_up(app, wait, left, said) -> None:
    sent = datetime(2026, 12, 2, 15, 35, tzinfo=UTC)
    attempt = SimpleNamespace(submitted_at=sent, counts=True)
    manifest = {"post_test_retake_wait_minutes": wait // timedelta(minutes=1)}
    with app.app_context():
        closed = retakes.closed_for_retake(manifest, [attempt], now=sent + wait - left)
    assert f"again in {said}, at " in closed.reason
    assert closed.tag == f"Can retake in {said}"


def test_the_page_of_a_post_test_in_its_retake_wait_says_when_it_opens(
    app, lessons_done, clock
):
    client = lessons_done()
    _fail_once(app, client)
    clock.now = utcnow() + timedelta(minutes=3)
    page = client.get(POST_TEST)
    assert page.status_code == 403
    text = plain(page.get_data(as_text=True))
    # Not "not open yet": the learner has taken it, and plans around a clock time.
    assert "<h1>A short break before your next attempt</h1>" in page.get_data(as_text=True)
    assert "not open yet" not in text
    assert f"again in about 7 minutes, at {_retake_time(app)}." in text


def _next_step(page: str) -> str:
    """The course page's "Your next step" box (HTML)."""
    return re.search(r'<section class="next-step.*?</section>', page, re.S)[0]


def _post_test_tag(page: str) -> str:
    """The tag beside the post-test in the course outline."""
    row = re.search(r"Post-test: \d+ questions.*?</li>", page, re.S)[0]
    return plain(re.search(r'<span class="usa-tag[^"]*">(.*?)</span>', row, re.S)[1])


def test_the_course_page_offers_the_post_test_only_once_the_reading_time_is_met(
    app, lessons_done
):
    client = lessons_done(minimum_time=True)
    page = client.get(COURSE).get_data(as_text=True)
    assert "2 of 2 lessons complete" in plain(page)
    assert f'href="{POST_TEST}"' not in page  # no button to a page that says "not open"
    assert re.fullmatch(r"Opens after (19|20) more minutes of reading", _post_test_tag(page))
    assert "Read again: Lesson 1" in plain(_next_step(page))
    assert client.get(POST_TEST).status_code == 403  # as the page says


def test_my_learning_never_sends_the_learner_to_a_post_test_that_is_not_open(
    app, lessons_done, clock
):
    client = lessons_done(minimum_time=True)
    home = client.get("/").get_data(as_text=True)
    assert f'href="{POST_TEST}"' not in home
    assert re.search(rf'href="{COURSE}/lessons/[^"]+">Read again: Lesson 1, ', home)


def test_my_learning_offers_the_review_while_a_retake_waits(app, lessons_done, clock):
    client = lessons_done()
    assert f'href="{POST_TEST}">Continue: Take the post-test' in client.get("/").get_data(
        as_text=True
    )
    _fail_once(app, client)
    home = client.get("/").get_data(as_text=True)
    assert f'href="{POST_TEST}"' not in home
    assert f'href="{POST_TEST}/attempts/1">Review attempt 1</a>' in home
    clock.now = utcnow() + timedelta(minutes=11)
    # As the course page words it: a retake, not a first try.
    assert f'href="{POST_TEST}">Take the post-test again' in client.get("/").get_data(
        as_text=True
    )


def test_the_course_page_says_when_a_failed_post_test_can_be_retaken(app, lessons_done, clock):
    client = lessons_done()
    page = client.get(COURSE).get_data(as_text=True)
    assert _post_test_tag(page) == "Open"
    assert "Take the post-test" in plain(_next_step(page))
    _fail_once(app, client)
    clock.now = utcnow() + timedelta(minutes=3)
    page = client.get(COURSE).get_data(as_text=True)
    assert _post_test_tag(page) == "Can retake in about 7 minutes"
    assert "You can take the post-test again in about 7 minutes" in plain(_next_step(page))
    assert f'href="{POST_TEST}"' not in page
    clock.now += timedelta(minutes=7)
    page = client.get(COURSE).get_data(as_text=True)
    assert _post_test_tag(page) == "Open"
    assert "Take the post-test again" in plain(_next_step(page))
    assert client.get(POST_TEST).status_code == 200  # as the page says


def test_the_course_page_reads_the_post_test_state_in_at_most_one_more_query(
    app, lessons_done
):
    client = lessons_done()
    _fail_once(app, client)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(COURSE).status_code == 200
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The user, the course with enrolment, the lessons' progress, then the attempts (the
    # course page is measured: see test_course_credit_fields for a learner mid-course).
    assert len(reads) <= 4, reads


def _review_links(html: str) -> list[tuple[str, str]]:
    """The page's links to post-test reviews: (address, text)."""
    pattern = rf'<a [^>]*href="({POST_TEST}/attempts/\d+)"[^>]*>(.*?)</a>'
    return [(url, plain(text)) for url, text in re.findall(pattern, html, re.S)]


def test_the_review_of_the_last_failed_attempt_stays_a_click_away(app, lessons_done, clock):
    client = lessons_done()
    _fail_once(app, client)
    # The learner left the results page; every way back to the post-test leads to it.
    waiting = client.get(POST_TEST)
    assert waiting.status_code == 403
    first = (f"{POST_TEST}/attempts/1", "Review attempt 1")
    assert _review_links(waiting.get_data(as_text=True)) == [first]
    assert _review_links(_next_step(client.get(COURSE).get_data(as_text=True))) == [first]
    [(url, text)] = _review_links(client.get("/me").get_data(as_text=True))
    assert url == first[0] and text.startswith("Review attempt 1 of Youth Who Run")
    assert client.get(first[0]).status_code == 200
    clock.now = utcnow() + timedelta(minutes=10)
    _fail_once(app, client)
    second = (f"{POST_TEST}/attempts/2", "Review attempt 2")
    assert _review_links(client.get(POST_TEST).get_data(as_text=True)) == [second]
    assert _review_links(_next_step(client.get(COURSE).get_data(as_text=True))) == [second]
    # Another learner at the same point has no attempt of their own to review.
    with app.app_context():
        other = sign_in(app.test_client(), make_user())
    other.post(f"{COURSE}/enrol")
    assert _review_links(other.get(COURSE).get_data(as_text=True)) == []
    # Once passed, the evaluation is next and the failed attempts are history.
    clock.now += timedelta(minutes=10)
    with app.app_context():
        attempt = open_attempt(client, SLUG)
        client.post(POST_TEST, data=answers_for(attempt, right=10))
    assert _review_links(_next_step(client.get(COURSE).get_data(as_text=True))) == []
    assert _review_links(client.get("/me").get_data(as_text=True)) == []


def test_the_post_test_says_up_front_how_long_a_retake_waits(app, lessons_done):
    client = lessons_done(retake_wait_minutes=25)
    intro = plain(client.get(POST_TEST).get_data(as_text=True))
    assert ("try again with new questions after a 25-minute break, as many times as you"
            " need.") in intro  # fmt: skip


def test_a_course_with_no_wait_promises_none(app, lessons_done):
    client = lessons_done(retake_wait_minutes=0, max_attempts=3)
    intro = plain(client.get(POST_TEST).get_data(as_text=True))
    assert "try again with new questions, up to 3 attempts in all (2 more after this one)." in intro


def test_the_last_attempt_a_course_allows_is_named_as_the_last(app, lessons_done):
    client = lessons_done(retake_wait_minutes=0, max_attempts=2)
    _fail_once(app, client)
    intro = plain(client.get(POST_TEST).get_data(as_text=True))
    assert "You need 80% to pass. The course allows 2 attempts, and this is your last." in intro
    assert "try again" not in intro


CHOOSE_ALL = (
    "A “choose all that apply” question counts as right only when you choose every right"
    " answer and none of the wrong ones."
)


def test_the_intro_says_how_a_choose_all_question_is_scored(app, lessons_done, package_copy):
    manifest = package_copy / "course.yaml"  # every question drawn, both "multiple" ones too
    manifest.write_text(manifest.read_text().replace("  draw: 10\n", "  draw: 12\n"))
    intro = plain(lessons_done().get(POST_TEST).get_data(as_text=True))
    assert CHOOSE_ALL in intro


def test_a_post_test_without_choose_all_questions_does_not_explain_them(
    app, lessons_done, package_copy
):
    bank = package_copy / "post-test.yaml"
    text = bank.read_text().replace("    type: multiple\n", "    type: single\n")
    for second in ("Feeling unheard", "Unexplained money"):  # one right choice each
        text = text.replace(f"- text: {second}\n        correct: true\n", f"- text: {second}\n")
    bank.write_text(text)
    intro = plain(lessons_done().get(POST_TEST).get_data(as_text=True))
    # The rules end with the attempts: no word on a kind of question it does not have.
    # (The hidden button between them is the one Enter presses: it saves, never submits.)
    assert "as many times as you need. Save my answers Question 1 of 10" in intro


def test_the_results_of_a_failed_attempt_say_the_wait_once(app, lessons_done):
    client = lessons_done(retake_wait_minutes=25)
    _fail_once(app, client)
    review = plain(client.get(f"{POST_TEST}/attempts/1").get_data(as_text=True))
    result = review[review.index("You answered") : review.index("By learning objective")]
    opens = _retake_time(app, wait_minutes=25)
    assert result.endswith(
        "The passing score is 80%. Take a moment with the explanations below; you can try"
        f" again in about 25 minutes, at {opens}, with a new set of questions. "
    ), result
    assert "when you are ready" not in review and "Try the post-test again" not in review


def test_the_outline_gives_the_evaluation_the_minutes_the_estimate_counts(
    app, client, package_copy
):
    evaluation = package_copy / "evaluation.yaml"
    text = evaluation.read_text()
    comments = text.index("  - id: comments")
    evaluation.write_text(text[:comments])  # 5 short items left: 2.5 minutes
    with app.app_context():
        import_course(package_copy)
    page = plain(client.get(COURSE).get_data(as_text=True))
    assert "Evaluation and certificate about 3 min" in page


def test_the_results_of_the_last_allowed_attempt_say_no_attempt_is_left(app, lessons_done, clock):
    # Not "you can try again in about ... minutes": the wait does not matter any more.
    client = lessons_done(max_attempts=2)
    _fail_once(app, client)
    clock.now = utcnow() + timedelta(minutes=10)
    _fail_once(app, client)
    review = plain(client.get(f"{POST_TEST}/attempts/2").get_data(as_text=True))
    result = review[review.index("You answered") : review.index("By learning objective")]
    assert "Take a moment with the explanations below. You have used all 2 attempts at this" \
        " post-test. Please contact the course provider" in result
    assert "try again" not in review and "Try the post-test again" not in review


def test_a_version_stored_before_the_attempt_rules_gets_the_defaults() -> None:
    # No cap, the ten-minute wait, and reviews without the key, as a package without them.
    assert retakes.rules_of({}) == retakes.RetakeRules(
        max_attempts=0, wait_minutes=10, review="missed"
    )


def test_a_course_of_one_attempt_says_it_in_words_when_it_is_used() -> None:
    closed = retakes.closed_after({"post_test_max_attempts": 1}, 1, None)
    assert closed.reason.startswith("You have used your one attempt at this post-test. Please")
    closed = retakes.closed_after({"post_test_max_attempts": 3}, 3, None)
    assert closed.reason.startswith("You have used all 3 attempts at this post-test. Please")
