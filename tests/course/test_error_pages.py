"""Error pages in plain words, with a way back to where the person was."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from course.errors import wait_label
from course.extensions import limiter
from course.models import Role
from tests.course.factories import import_course, make_user, sign_in

HTTP_NAMES = ("Too Many Requests", "Method Not Allowed", "Bad Request", "Forbidden", "Not Found")


def _heading(response) -> str:
    match = re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert match, response.get_data(as_text=True)
    return " ".join(match.group(1).split())


def _way_back(response) -> tuple[str, str]:
    """The one link the page's content offers (the header and footer aside)."""
    main = re.search(r"<main.*?</main>", response.get_data(as_text=True), re.S).group(0)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', main)
    assert len(links) == 1, links
    return links[0]


def _plain(response) -> str:
    page = response.get_data(as_text=True)
    for name in HTTP_NAMES:
        assert name not in page, name
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_a_verifier_over_the_limit_is_asked_to_wait_and_sent_back_to_the_form(make_app) -> None:
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="2 per minute")
    with app.app_context():
        limiter.reset()
    client = app.test_client()
    for _ in range(2):
        assert client.get("/verify?code=7K3M-Q9XD").status_code == 200
    refused = client.get("/verify?code=7K3M-Q9XD")
    assert refused.status_code == 429
    # The heading and the page say the wait the Retry-After header gives, in words. The
    # header is counted after the page is drawn: a second may have passed meanwhile (on a
    # loaded machine the page said "about 1 minute", the header 59).
    after = int(refused.headers["Retry-After"])
    assert 0 < after <= 60
    assert _heading(refused) in {f"Please wait {wait_label(s)}" for s in (after, after + 1)}
    wait = _heading(refused).removeprefix("Please wait ")
    assert f"You can try again in {wait}." in _plain(refused)
    assert _way_back(refused) == ("/verify", "Back to Verify a certificate")
    # An upload refused for the same reason is kept to send again, and leads back there too.
    for _ in range(2):
        assert client.post("/verify/credential", data={}).status_code == 400  # no file
    upload = client.post("/verify/credential", data={})
    assert upload.status_code == 429
    assert _way_back(upload) == ("/verify", "Back to Verify a certificate")
    # A script still gets JSON.
    script = client.get("/verify?code=7K3M-Q9XD", headers={"Accept": "application/json"})
    assert script.status_code == 429 and script.get_json() == {"error": "too_many_requests"}


def test_a_longer_wait_is_named_in_the_heading(make_app) -> None:
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="1 per hour")
    with app.app_context():
        limiter.reset()
    client = app.test_client()
    client.get("/verify/AAAA-AAAA-AAAA-AAAA-A")
    refused = client.get("/verify/AAAA-AAAA-AAAA-AAAA-A")
    assert refused.status_code == 429
    assert _heading(refused) == "Please wait about 1 hour"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "about 1 second"), (40, "about 40 seconds"), (60, "about 1 minute"),
     (61, "about 2 minutes"), (3540, "about 59 minutes"), (3599, "about 1 hour"),
     (7200, "about 2 hours")],
)  # fmt: skip
def test_a_wait_is_said_in_words(seconds: int, words: str) -> None:
    assert wait_label(seconds) == words


def test_a_form_address_opened_on_its_own_explains_itself_and_leads_back(
    app: Flask, client, minimal_package_dir
) -> None:
    with app.app_context():
        import_course(minimal_package_dir)
    # The page's own script sends here; a form's address instead leads on to its page.
    heartbeat = client.get("/courses/minimal/lessons/push-pull/heartbeat")
    assert heartbeat.status_code == 405
    assert _heading(heartbeat) == "This address cannot be opened on its own"
    assert "Nothing was changed" in _plain(heartbeat)
    assert _way_back(heartbeat) == ("/courses/minimal/lessons/push-pull", "Back to the lesson")
    keep_alive = client.get("/auth/stay-signed-in")
    assert keep_alive.status_code == 405 and _way_back(keep_alive) == ("/", "Back to the courses")


def test_a_refused_form_says_nothing_changed_instead_of_the_stock_http_text(
    app: Flask, client, minimal_package_dir
) -> None:
    with app.app_context():
        import_course(minimal_package_dir)
        learner = make_user()
    sign_in(client, learner)
    assert client.post("/courses/minimal/enrol").status_code == 302
    # A choice the page never showed: the form did not come from the lesson as it is.
    refused = client.post("/courses/minimal/lessons/push-pull/checks/push-pull-1",
                          data={"choice": "99", "submission_key": "k1"})
    assert refused.status_code == 400
    assert _heading(refused) == "That did not work"
    page = _plain(refused)
    assert "nothing was changed" in page and "browser (or proxy)" not in page
    assert _way_back(refused) == ("/courses/minimal/lessons/push-pull", "Back to the lesson")


def test_an_unknown_course_sends_the_learner_to_the_course_list(client) -> None:
    missing = client.get("/courses/no-such-course")
    assert missing.status_code == 404
    assert _heading(missing) == "Page not found"
    assert _way_back(missing) == ("/", "Back to the courses")


def test_a_missing_page_inside_a_course_leads_back_to_that_course(
    app: Flask, client, minimal_package_dir
) -> None:
    with app.app_context():
        import_course(minimal_package_dir)
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    for path in ("/courses/minimal/lessons/no-such-lesson", "/courses/minimal/nothing-here"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert _way_back(missing) == ("/courses/minimal", "Back to the course"), path


def test_admins_go_back_to_their_home_and_learners_refused_there_to_the_courses(app, client):
    with app.app_context():
        admin, learner = make_user(Role.ADMIN), make_user()
    sign_in(client, learner)
    refused = client.get("/admin/learners")
    assert refused.status_code == 403
    assert _heading(refused) == "You do not have access to this page"
    _plain(refused)
    assert _way_back(refused) == ("/", "Back to the courses")
    sign_in(client, admin)
    missing = client.get("/admin/no-such-page")
    assert missing.status_code == 404
    assert _way_back(missing) == ("/admin/", "Back to Administration")
