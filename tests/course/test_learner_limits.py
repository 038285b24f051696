"""Per-learner write limits, a 429 page that keeps what was sent, and a cap on password length."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from course.auth.passwords import MAX_PASSWORD_CHARS, hash_password, verify_password
from course.extensions import db
from course.models import CheckResponse, Question
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import check_positions
from tests.course.test_auth import make_user as make_account
from tests.course.test_auth import sign_in as sign_in_by_form
from tests.course.test_auth import text

CHECK = "/courses/minimal/lessons/push-pull/checks/push-pull-1"
HEARTBEAT = "/courses/minimal/lessons/push-pull/heartbeat"


@pytest.fixture
def limited(make_app, minimal_package_dir):
    """An app with the rate limits on, low enough to reach, and two enrolled learners."""
    app = make_app(RATELIMIT_ENABLED=True, LEARNER_WRITE_RATE_LIMIT="5 per minute",
                   HEARTBEAT_RATE_LIMIT="3 per minute")  # fmt: skip
    with app.app_context():
        import_course(minimal_package_dir)
        ana, ben = make_user(), make_user()
    clients = []
    for learner in (ana, ben):
        client = sign_in(app.test_client(), learner)
        assert client.post("/courses/minimal/enrol").status_code == 302
        clients.append(client)
    return app, clients[0], clients[1]


def _answer(app, client, key: str, **headers):
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == "push-pull-1"))
        choice = check_positions(client, "minimal", question, ["a"])
    return client.post(CHECK, data={"choice": choice, "submission_key": key}, headers=headers)


def test_a_learner_writing_too_fast_is_stopped_and_keeps_the_answer(limited) -> None:
    app, ana, ben = limited
    # Enrolling counted once; four answers fill the five a minute.
    for n in range(4):
        assert _answer(app, ana, f"k{n}").status_code == 303
    refused = _answer(app, ana, "k-kept")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = text(refused)
    assert "Too many attempts, please wait" in page and "Nothing was lost" in page
    # The "Try again" form sends the same answer to the same place.
    form = re.search(r'<form method="post" action="([^"]+)" id="try-again">(.*?)</form>',
                     page, re.S)  # fmt: skip
    assert form and form.group(1) == CHECK
    assert 'name="submission_key" value="k-kept"' in form.group(2)
    assert 'name="choice"' in form.group(2)
    # A script gets JSON; the other learner is not held up by Ana.
    script = _answer(app, ana, "k-js", Accept="application/json")
    assert script.status_code == 429 and script.get_json() == {"error": "too_many_requests"}
    assert _answer(app, ben, "b1").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckResponse)) == 5


def test_every_kind_of_write_shares_the_learners_limit(limited) -> None:
    app, ana, _ = limited
    for n in range(4):
        assert _answer(app, ana, f"k{n}").status_code == 303
    for url in ("/courses/minimal/lessons/push-pull/complete", "/courses/minimal/post-test/save",
                "/courses/minimal/evaluation/save", "/courses/minimal/post-test"):
        assert ana.post(url).status_code == 429, url
    assert ana.get("/courses/minimal/lessons/push-pull").status_code == 200  # reading goes on


def test_heartbeats_have_their_own_limit(limited) -> None:
    _, ana, _ = limited
    statuses = [ana.post(HEARTBEAT, headers={"Accept": "application/json"}).status_code
                for _ in range(4)]  # fmt: skip
    assert statuses == [200, 200, 200, 429]


def test_an_overlong_password_is_refused_before_any_hashing(app, client) -> None:
    make_account(app)
    huge = "x" * (4 * 1024 * 1024)
    page = text(sign_in_by_form(client, password=huge))
    assert "A password can have at most 1,024 characters." in page
    page = text(client.post("/auth/register", data={
        "full_name": "Ben Ode", "email": "ben@example.com", "password": huge}))
    assert "A password can have at most 1,024 characters." in page
    longest = "y" * MAX_PASSWORD_CHARS
    assert verify_password(hash_password(longest), longest)
    assert not verify_password(hash_password(longest), longest + "y")
    with pytest.raises(ValueError, match="at most 1,024"):
        hash_password("y" * (MAX_PASSWORD_CHARS + 1))
