"""A fair test: choices in each learner's own stable order, graded right; a draw balanced
by objective and kept with its blueprint; reviews that teach without giving the key; a
wait between attempts, and a cap when a course asks for one."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from course.db import utcnow
from course.extensions import db
from course.learn import choices, posttest, retakes
from course.learn import content as learn_content
from course.learn import services as learn
from course.models import CheckResponse, Course, Enrolment, PostTestAttempt, Question, Role
from tests.course.factories import Clock, import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    choices_on_page,
    finish_lessons,
    open_attempt,
    plain,
    quick_retakes,
    without_minimum_time,
)

SLUG = "minimal"
LESSON = f"/courses/{SLUG}/lessons/push-pull"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(retakes, "utcnow", clock)
    return clock


def _post_test_options(package_dir: Path, **options: object) -> Path:
    manifest = package_dir / "course.yaml"
    block = "post_test:\n  draw: 10\n"
    extra = "".join(f"  {key}: {value}\n" for key, value in options.items())
    manifest.write_text(manifest.read_text().replace(block, block + extra))
    return package_dir


@pytest.fixture
def at_post_test(app, client, package_copy):
    """Build a learner at the post-test of the minimal course with some post-test options."""

    def build(**options: object):
        with app.app_context():
            import_course(_post_test_options(without_minimum_time(package_copy), **options))
            sign_in(client, make_user())
            client.post(f"/courses/{SLUG}/enrol")
            finish_lessons(client, SLUG)
        return client

    return build


def _check(key: str) -> Question:
    return db.session.scalar(select(Question).where(Question.key == key))


# -- knowledge checks --------------------------------------------------------------------


def test_check_choices_come_in_each_learners_own_order_and_keep_it(app, client, course_slug):
    with app.app_context():
        course = db.session.scalar(select(Course))
        view = learn_content.content_of(course).lesson("push-pull").check("push-pull-2")
        orders = set()
        for _ in range(12):
            enrolment = learn.enrol(db.session.merge(make_user()), course)
            orders.add(tuple(c.key for c in choices.in_learner_order(enrolment, view).choices))
        db.session.commit()
        assert len(orders) > 1  # learners see different orders (3 choices: 6 orders)
        learner = make_user()
    sign_in(client, learner)
    client.post(f"/courses/{SLUG}/enrol")
    first = choices_on_page(client.get(LESSON).get_data(as_text=True), "choice")
    for _ in range(3):
        assert choices_on_page(client.get(LESSON).get_data(as_text=True), "choice") == first
    other = sign_in(app.test_client(), learner)  # another device, days later
    assert choices_on_page(other.get(LESSON).get_data(as_text=True), "choice") == first
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
        shown = [
            plain(c.text_html) for c in choices.in_learner_order(enrolment, view).choices
        ]
    page_labels = [label for _, label in first]
    assert page_labels[2:5] == shown  # push-pull-1's two choices come first on the page


def test_shuffled_checks_are_graded_by_what_the_learner_chose(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user())
        checks = {key: _check(key) for key in ("push-pull-1", "push-pull-2")}
        right = {
            key: {plain(c.text_html) for c in q.choices if c.is_correct}
            for key, q in checks.items()
        }
    client.post(f"/courses/{SLUG}/enrol")
    page = client.get(LESSON).get_data(as_text=True)
    for key in checks:
        shown = [
            (value, label) for value, label in choices_on_page(page, "choice")
            if f'id="{key}-{value}"' in page
        ]
        picks = [value for value, label in shown if label in right[key]]
        others = [value for value, label in shown if label not in right[key]]
        url = f"{LESSON}/checks/{key}"
        assert client.post(url, data={"choice": others[:1]}).status_code == 303
        assert client.post(url, data={"choice": picks}).status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(CheckResponse).order_by(CheckResponse.id)).all()
        stored = [(r.question.key, r.selected, r.is_correct) for r in rows]
        keys = {k: sorted(c.key for c in q.choices if c.is_correct) for k, q in checks.items()}
    assert [ok for *_, ok in stored] == [False, True, False, True]
    assert stored[1][1] == keys["push-pull-1"] and stored[3][1] == keys["push-pull-2"]


def test_a_check_page_never_names_the_choices_keys(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user())
    client.post(f"/courses/{SLUG}/enrol")
    page = client.get(LESSON).get_data(as_text=True)
    values = [value for value, _ in choices_on_page(page, "choice")]
    assert values == ["1", "2", "1", "2", "3"]  # positions on the page, not keys
    assert not re.search(r'id="push-pull-\d-[a-z]"', page)


# -- the draw ----------------------------------------------------------------------------


def test_every_attempt_covers_every_objective_and_keeps_its_blueprint(app, ready):
    with app.app_context():
        for _ in range(6):
            attempt = open_attempt(ready, SLUG)
            objectives = {item["objective"] for item in attempt.draw}
            assert objectives == {"LO1", "LO2", "LO3"}
            assert attempt.blueprint and {s["objective"] for s in attempt.blueprint} == objectives
            assert sorted(s["drawn"] for s in attempt.blueprint) == [3, 3, 4]
            assert sum(s["bank"] for s in attempt.blueprint) == 12
            ready.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=0))
    review = ready.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
    assert "By learning objective" in review
    assert "<strong>LO2</strong>: Identify indicators that a youth who runs may be" in review


# -- reviews -----------------------------------------------------------------------------


def _correct_choice_texts(attempt: PostTestAttempt) -> list[str]:
    texts = []
    for item in attempt.draw:
        question = db.session.get(Question, item["question_id"])
        texts += [c.text_html for c in question.choices if c.is_correct]
    return texts


def test_a_failed_review_shows_what_was_missed_and_why_but_not_the_key(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, SLUG)
        ready.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=6))
        explanations = [
            db.session.get(Question, item["question_id"]).explanation_html for item in attempt.draw
        ]
    review = ready.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
    assert review.count("<strong>Missed</strong>") == 4
    assert review.count("Your answer") >= 10
    assert "Correct answer" not in review and "is-done" not in review
    assert all(text in review for text in explanations)
    assert "not which choice was right" in review
    # The lessons to look at again, by the objective of each missed question.
    assert "Push and pull factors" in review or "When a youth returns" in review


def test_a_passed_review_shows_the_keyed_choices(app, ready):
    with app.app_context():
        attempt = open_attempt(ready, SLUG)
        ready.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=9))
    review = ready.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
    assert review.count("Correct answer") >= 10


@pytest.mark.parametrize(("policy", "keys", "questions"), [("keyed", True, True),
                                                           ("score", False, False)])
def test_a_course_may_choose_what_a_failed_review_shows(
    app, at_post_test, policy, keys, questions
):
    client = at_post_test(review=policy)
    with app.app_context():
        attempt = open_attempt(client, SLUG)
        client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=3))
    review = client.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
    assert ("Correct answer" in review) is keys
    assert ("Your answer" in review) is questions
    assert "By learning objective" in review  # the score and missed objectives always


# -- retakes -----------------------------------------------------------------------------


def test_after_a_failed_attempt_the_next_waits_ten_minutes_by_default(app, at_post_test, clock):
    client = at_post_test()
    with app.app_context():
        attempt = open_attempt(client, SLUG)
        client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=2))
    clock.now = utcnow()
    review = client.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
    assert "again in about 10 minutes" in review and "Try the post-test again" not in review
    clock.advance(4)
    early = client.get(f"/courses/{SLUG}/post-test")
    assert early.status_code == 403 and "about 6 minutes" in early.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PostTestAttempt).count() == 1  # nothing drawn early
    clock.advance(6)
    assert client.get(f"/courses/{SLUG}/post-test").status_code == 200
    review = client.get(f"/courses/{SLUG}/post-test/attempts/1").get_data(as_text=True)
    assert ">Try the post-test again</a>" in review


def test_each_retake_asks_questions_not_asked_before_while_there_are_any(
    app, client, package_copy
):
    # Three questions a draw, one per objective, from a bank of twelve: four attempts ask
    # every question once. (Drawn at random, four disjoint draws would be a 1 in 1,300
    # chance.)
    manifest = quick_retakes(without_minimum_time(package_copy)) / "course.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  draw: 10\n", "  draw: 3\n  max_attempts: 0\n"))
    with app.app_context():
        import_course(package_copy)
        sign_in(client, make_user())
        client.post(f"/courses/{SLUG}/enrol")
        finish_lessons(client, SLUG)
        asked: list[int] = []
        for number in range(1, 5):
            attempt = open_attempt(client, SLUG)
            assert attempt.number == number
            asked += [item["question_id"] for item in attempt.draw]
            client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=0))
    assert len(asked) == len(set(asked)) == 12


def test_a_course_may_cap_attempts(app, at_post_test):
    client = at_post_test(max_attempts=2, retake_wait_minutes=0)
    with app.app_context():
        for _ in range(2):
            attempt = open_attempt(client, SLUG)
            client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=1))
    refused = client.get(f"/courses/{SLUG}/post-test")
    assert refused.status_code == 403
    assert "used all 2 attempts" in refused.get_data(as_text=True)
    assert "<h1>No attempts left at this post-test</h1>" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PostTestAttempt).count() == 2


def _another_tab_sends_an_attempt_while_this_one_draws(app, client, monkeypatch) -> None:
    """This tab's page checked the cap and the wait; before it stores its draw, another
    tab of the learner's (a script, say) draws an attempt and sends it."""
    draw = posttest.prepare_draw

    def racing(*args, **kwargs):
        monkeypatch.setattr(posttest, "prepare_draw", draw)  # the other tab draws as usual
        with app.app_context():
            attempt = open_attempt(client, SLUG)
            client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=0))
        return draw(*args, **kwargs)

    monkeypatch.setattr(posttest, "prepare_draw", racing)


@pytest.mark.parametrize(("options", "refusal"), [
    ({"max_attempts": 2, "retake_wait_minutes": 0}, "used all 2 attempts"),
    ({"max_attempts": 0, "retake_wait_minutes": 10}, "again in about 10 minutes"),
])
def test_a_draw_racing_another_tabs_attempt_keeps_the_cap_and_the_wait(
    app, at_post_test, monkeypatch, options, refusal
):
    client = at_post_test(**options)
    with app.app_context():
        attempt = open_attempt(client, SLUG)
        client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=0))
        db.session.execute(  # the first attempt's wait is over
            update(PostTestAttempt).values(submitted_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    _another_tab_sends_an_attempt_while_this_one_draws(app, client, monkeypatch)
    late = client.get(f"/courses/{SLUG}/post-test")
    assert late.status_code == 302  # checked again under the write lock: nothing drawn
    refused = client.get(f"/courses/{SLUG}/post-test")
    assert refused.status_code == 403 and refusal in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PostTestAttempt).count() == 2


def test_the_attempt_history_is_in_the_learner_record(app, ready):
    with app.app_context():
        for right in (4, 9):
            attempt = open_attempt(ready, SLUG)
            ready.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=right))
        enrolment = db.session.scalar(select(Enrolment))
        history = retakes.attempt_history(enrolment)
        assert [(r.number, r.attempt.passed, r.version_number) for r in history] == [
            (1, False, 1), (2, True, 1),
        ]  # fmt: skip
        assert sum(share.missed for share in history[0].blueprint) == 6
        assert sum(share.drawn for share in history[1].blueprint) == 10
        admin = make_user(Role.ADMIN)
        learner_id = enrolment.user_id
    page = sign_in(app.test_client(), admin).get(f"/admin/learners/{learner_id}")
    text = page.get_data(as_text=True)
    assert "Attempt 1" in text and "Attempt 2" in text
    assert "LO1" in text and "version 1" in text
