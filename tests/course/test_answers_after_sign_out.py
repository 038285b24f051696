"""What a page left open sends after an idle sign-out, or after its form token expired, is
kept for its owner: post-test answers given on after the dialog was closed, and knowledge
checks, which were lost before; and the next page says so once, truthfully."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from course.auth.sessions import KEPT_FOR
from course.extensions import db
from course.models import CheckResponse, Course, PostTestAttempt
from tests.course.journey import (
    answers_for,
    check_positions,
    correct_keys,
    open_attempt,
    wrong_keys,
)
from tests.course.test_answers_kept import (  # noqa: F401  (the learner fixture)
    JSON,
    POST_TEST,
    learner,
    shown,
    sign_in_with_password,
    sorted_answers,
    time_out,
    with_token,
)

LESSON = "/courses/minimal/lessons/push-pull"
SIGNED_OUT = "For your safety you were signed out after a period without activity."


def _check():
    course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
    return course.live_lessons[0].live_checks[0]


def _responses() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckResponse))


def test_post_test_answers_given_on_after_the_sign_out_are_all_kept(app, client, learner):  # noqa: F811
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        first = with_token(client, POST_TEST, answers_for(attempt, right=3))
        time_out(client)
        # The first save after the time-out signs out and keeps (as before).
        assert client.post(f"{POST_TEST}/save", data=first, headers=JSON).status_code == 302
        # The learner closes the dialog and answers on: the page's next saves, and its
        # submit, carry the same token. Each used to be refused, and the answers lost.
        later = {**answers_for(attempt, right=10), "csrf_token": first["csrf_token"]}
        kept = client.post(f"{POST_TEST}/save", data=later, headers=JSON)
        assert kept.status_code == 302 and kept.location.startswith("/auth/login")
        sent = client.post(POST_TEST, data=later, headers={"Referer": f"http://localhost{POST_TEST}"})
        assert sent.status_code == 302 and sent.location == f"/auth/login?next={POST_TEST}"
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, attempt.id).submitted_at is None  # kept, not graded
        login = client.get(sent.location).get_data(as_text=True)
        assert login.count(SIGNED_OUT) == 1  # three requests, said once
        assert "the answers you sent are saved" in login
        sign_in_with_password(client, learner, POST_TEST)
        assert sorted_answers(shown(client, POST_TEST).checked) == sorted_answers(later)


def test_half_an_hour_after_the_sign_out_the_page_keeps_nothing_more(app, client, learner):  # noqa: F811
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = with_token(client, POST_TEST, answers_for(attempt, right=3))
        time_out(client)
        client.post(f"{POST_TEST}/save", data=data, headers=JSON)
        with client.session_transaction() as session:
            session[KEPT_FOR] = [session[KEPT_FOR][0], int(time.time()) - 1]
        later = {**answers_for(attempt, right=10), "csrf_token": data["csrf_token"]}
        late = client.post(f"{POST_TEST}/save", data=later, headers=JSON)
        login = client.get(late.location).get_data(as_text=True)
        assert "what this page just sent was not: send it again" in login  # said, not refused
        db.session.expire_all()
        draft = db.session.get(PostTestAttempt, attempt.id).draft
        assert len(draft) == len([k for k in data if k.startswith("q-")])  # the first save only


def test_signing_out_by_choice_leaves_the_page_nothing_to_keep(app, client, learner):  # noqa: F811
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = with_token(client, POST_TEST, answers_for(attempt, right=10))
        client.post("/auth/logout", data={"csrf_token": data["csrf_token"]})
        refused = client.post(f"{POST_TEST}/save", data=data, headers=JSON)
        assert refused.status_code == 400  # the form belonged to the session that ended
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, attempt.id).draft is None


def test_a_knowledge_check_answered_after_the_time_out_is_recorded(app, client, learner):  # noqa: F811
    with app.app_context():
        check = _check()  # answered rightly on the way through the lessons; now wrongly
        before = _responses()
        data = with_token(client, LESSON, {
            "choice": check_positions(client, "minimal", check, wrong_keys(check)[:1]),
            "submission_key": "page-1-check-1"})
        time_out(client)
        sent = client.post(f"{LESSON}/checks/{check.key}", data=data,
                           headers={"Referer": f"http://localhost{LESSON}"})
        assert sent.status_code == 302
        assert sent.location == f"/auth/login?next={LESSON}%23feedback-{check.key}"
        assert _responses() == before + 1
        again = client.post(f"{LESSON}/checks/{check.key}", data=data)  # the page, signed out
        assert again.location.startswith("/auth/login") and _responses() == before + 1  # once
        login = client.get(sent.location).get_data(as_text=True)
        assert "Your answer to the knowledge check is saved, with its feedback." in login
        assert "your progress is saved" not in login
        sign_in_with_password(client, learner, f"{LESSON}#feedback-{check.key}")
        assert "Not quite." in client.get(LESSON).get_data(as_text=True)  # its feedback


def test_saving_from_the_sign_out_dialog_after_the_check_was_kept_says_it_once(
        app, client, learner):  # noqa: F811
    with app.app_context():
        check = _check()
        before = _responses()
        positions = check_positions(client, "minimal", check, wrong_keys(check)[:1])
        data = with_token(client, LESSON, {
            f"choice-{check.key}": positions, f"submission_key-{check.key}": "page-1-check-1"})
        time_out(client)
        # The page's script sends the check: kept, and the page shows the sign-out dialog.
        client.post(f"{LESSON}/checks/{check.key}", data=data, headers=JSON)
        # Its "Save my answers and sign in" sends the whole lesson form: nothing new.
        saved = client.post(f"{LESSON}/answers", data=data,
                            headers={"Referer": f"http://localhost{LESSON}"})
        assert saved.location.startswith("/auth/login") and _responses() == before + 1
        login = client.get(saved.location).get_data(as_text=True)
        assert login.count(SIGNED_OUT) == 1
        assert "Your answer to the knowledge check is saved, with its feedback." in login
        assert "send it again" not in login  # it was saved: nothing to send again


def test_saving_nothing_new_after_the_time_out_says_progress_is_saved(
        app, client, learner):  # noqa: F811
    with app.app_context():
        data = with_token(client, LESSON, {})
        time_out(client)
        saved = client.post(f"{LESSON}/answers", data=data,
                            headers={"Referer": f"http://localhost{LESSON}"})
        login = client.get(saved.location).get_data(as_text=True)
        assert f"{SIGNED_OUT} Please sign in again; your progress is saved." in login
        assert "send it again" not in login


def test_a_knowledge_check_sent_from_a_page_open_too_long_is_recorded(app, client, learner):  # noqa: F811
    with app.app_context():
        check = _check()
        before = _responses()
        app.config["WTF_CSRF_TIME_LIMIT"] = 1  # the page stood open past its token's age
        data = with_token(client, LESSON, {
            "choice": check_positions(client, "minimal", check, correct_keys(check))})
        time.sleep(2)
        # The page's script: the answer is kept, and it is told so (not "signed out").
        answered = client.post(f"{LESSON}/checks/{check.key}", data=data, headers=JSON)
        assert answered.status_code == 200 and answered.get_json() == {"saved": True}
        assert _responses() == before + 1
        # Without script: back to the question, saying what happened.
        posted = client.post(f"{LESSON}/checks/{check.key}", data=data,
                             headers={"Referer": f"http://localhost{LESSON}"})
        assert posted.status_code == 303
        page = client.get(posted.location).get_data(as_text=True)
        assert ("This page was open for a long time. Your answer to the knowledge check is "
                "saved, with its feedback.") in page


def test_a_post_test_page_open_too_long_saves_quietly_as_the_learner_answers(
        app, client, learner):  # noqa: F811
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        app.config["WTF_CSRF_TIME_LIMIT"] = 1
        data = with_token(client, POST_TEST, answers_for(attempt, right=10))
        time.sleep(2)
        for _ in range(3):  # three answers given, each saved by the page's script
            saved = client.post(f"{POST_TEST}/save", data=data, headers=JSON)
            assert saved.status_code == 200 and saved.get_json() == {"saved": True}
        app.config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600
        page = client.get(POST_TEST).get_data(as_text=True)
        assert "open for a long time" not in page  # no notice for each save, nor for one
        assert sorted_answers(shown(client, POST_TEST).checked) == sorted_answers(data)


def test_complete_sent_after_the_time_out_keeps_the_picks_but_does_not_complete(
        app, client, learner):  # noqa: F811
    with app.app_context():
        check = _check()
        before = _responses()
        data = with_token(client, LESSON, {
            f"choice-{check.key}": check_positions(client, "minimal", check, wrong_keys(check)),
            f"submission_key-{check.key}": "page-1-check-1"})
        time_out(client)
        sent = client.post(f"{LESSON}/complete", data=data,
                           headers={"Referer": f"http://localhost{LESSON}"})
        assert sent.status_code == 302 and sent.location.startswith("/auth/login")
        assert _responses() == before + 1
        login = client.get(sent.location).get_data(as_text=True)
        assert ("Your answer to the knowledge check is saved. To go on, press the button at "
                "the end of the lesson again.") in login
        assert sent.location == f"/auth/login?next={LESSON}%23lesson-end"


def test_the_page_after_signing_in_again_says_the_kept_answers_are_on_it(app, client, learner):  # noqa: F811
    # A screen-reader user used to hear only "You are signed in." and had to check every
    # question to learn whether the answers sent at the sign-out were there.
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = with_token(client, POST_TEST, answers_for(attempt, right=3))
        time_out(client)
        client.post(f"{POST_TEST}/save", data=data, headers=JSON)
        sign_in_with_password(client, learner, POST_TEST)
        page = client.get(POST_TEST).get_data(as_text=True)
        told = "You are signed in. The answers you sent as you were signed out are saved"
        assert told in page
        assert page.index("focus-target") < page.index(told)  # it takes focus
        # Signed out idle with nothing sent: the usual words, nothing claimed.
        time_out(client)
        client.get(LESSON)
        sign_in_with_password(client, learner, LESSON)
        page = client.get(LESSON).get_data(as_text=True)
        assert "You are signed in." in page and "answers you sent as you were" not in page
