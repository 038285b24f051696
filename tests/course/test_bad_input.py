"""Malformed packages, oversized bodies and bad form values: a clear answer, nothing changed.

Each case asserts the status, the message the person sees, and that the database holds
exactly the rows it held before (counted table by table).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.extensions import db
from course.models import Course, EvaluationItem, EvaluationResponse, Role, User
from tests.course.factories import PASSWORD, import_course, make_user, sign_in, snapshot_row_counts
from tests.course.journey import (
    answers_for,
    evaluation_form,
    finish_lessons,
    open_attempt,
)


def text(response) -> str:
    return response.get_data(as_text=True)


def field_errors(response) -> list[str]:
    """The text of each field's error message on the page."""
    found = re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', text(response), re.S)
    found = [re.sub(r'<span class="visually-hidden">.*?</span>', "", m) for m in found]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m)).strip() for m in found]


@pytest.fixture
def course(app: Flask, package_copy: Path) -> int:
    """Import the test course (no minimum reading time); return its id."""
    manifest = package_copy / "course.yaml"
    manifest.write_text(
        manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    )
    with app.app_context():
        return import_course(package_copy).id


REGISTRATION = {
    "full_name": "Robin Lee",
    "email": "robin@example.org",
    "password": PASSWORD,
}


# --- accounts ------------------------------------------------------------------------------


REGISTRATION_CASES = [
    ("full_name", "x" * 201, "A name can have at most 200 characters."),
    ("full_name", "   ", "Enter your full name."),
    ("email", "not-an-email", "Enter an email address like name@example.com."),
    ("email", "a@@example.org", "Enter an email address like name@example.com."),
    ("email", "robin@", "Enter an email address like name@example.com."),
    ("email", "<script>@example.org", "Enter an email address like name@example.com."),
    ("email", "a" * 250 + "@example.org", "at most 254 characters"),
    ("licence_number", "L" * 65, "Use at most 64 characters."),
    ("profession", "Astronaut", "Not a valid choice."),
]


def test_registration_refuses_bad_values_and_stores_nothing(client: FlaskClient, unchanged) -> None:
    for field, value, message in REGISTRATION_CASES:
        response = client.post("/auth/register", data={**REGISTRATION, field: value})
        assert response.status_code == 200, (field, value[:20])
        errors = field_errors(response)
        assert any(message in error for error in errors), (field, value[:20], errors)
    unchanged()


def test_profile_refuses_an_overlong_name_and_keeps_the_old_one(app: Flask, client) -> None:
    with app.app_context():
        user = make_user(full_name="Kept Name")
    # Through the form: the profile needs a fresh sign-in.
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    response = client.post("/auth/profile", data={"full_name": "y" * 5000, "email": user.email})
    assert response.status_code == 200
    assert "A name can have at most 200 characters." in field_errors(response)
    with app.app_context():
        assert db.session.get(User, user.id).full_name == "Kept Name"


def test_nul_characters_are_refused_before_anything_is_stored(
    client: FlaskClient, unchanged
) -> None:
    """PostgreSQL cannot store a NUL; SQLite can. Refusing it keeps both the same."""
    responses = [
        client.post("/auth/register", data={**REGISTRATION, "full_name": "Robin\x00Lee"}),
        client.post("/auth/register", data={**REGISTRATION, "email": "robin\x00@example.org"}),
        client.post("/auth/login", data={"email": "robin@example.org", "password": "pa\x00ss"}),
        client.get("/verify", query_string={"code": "ABCD\x00"}),
        client.post(
            "/verify/credential",
            data={"credential": (io.BytesIO(b"{}"), "c.json"), "note": "x\x00"},
            content_type="multipart/form-data",
        ),
    ]
    for response in responses:
        assert response.status_code == 400, response.request.path
        page = text(response)
        assert "cannot be stored" in page and "nothing was saved" in page
    unchanged()


def test_a_body_that_is_not_utf8_is_read_without_error(client: FlaskClient, unchanged) -> None:
    body = b"full_name=\xff\xfe\xfd&email=robin%40example.org&password=short"
    response = client.post(
        "/auth/register", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert field_errors(response)  # the short password is refused, nothing else breaks
    unchanged()


BINARY_BODIES = [
    ("multipart/form-data; boundary=zzz", b"\x00\x01\x02\xff" * 256),
    ("multipart/form-data", b"--x\r\n\r\n"),
    ("application/octet-stream", bytes(range(256)) * 16),
    ("application/json", b"\xff\xfe{not json"),
    ("text/plain", "é".encode("latin-1") * 100),
]


def test_binary_and_malformed_bodies_get_a_clear_answer(client: FlaskClient, unchanged) -> None:
    for content_type, body in BINARY_BODIES:
        response = client.post("/auth/register", data=body, content_type=content_type)
        assert response.status_code in {200, 400}, content_type
        assert "Traceback" not in text(response)
        if response.status_code == 200:
            assert "Enter your full name." in field_errors(response), content_type
    unchanged()


def test_a_body_over_the_limit_gets_a_friendly_413(app: Flask, client, unchanged) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    response = client.post("/auth/register", data={**REGISTRATION, "full_name": "z" * 200 * 1024})
    assert response.status_code == 413
    assert "the limit is 100 KB" in text(response) and "nothing was saved" in text(response)
    upload = client.post(
        "/verify/credential",
        data={"credential": (io.BytesIO(b"x" * 200 * 1024), "huge.json")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 413
    unchanged()


NOT_CREDENTIALS = [b"", b"\x89PNG\r\n\x1a\n" + bytes(200), b"\xff\xfe{", b"[1, 2, 3]", b"{" * 5000,
                   b'{"name": "another JSON file"}']


def test_a_credential_upload_that_is_not_a_credential_is_refused_clearly(
    client: FlaskClient, unchanged
) -> None:
    for document in NOT_CREDENTIALS:
        response = client.post(
            "/verify/credential",
            data={"credential": (io.BytesIO(document), "credential.json")},
            content_type="multipart/form-data",
        )
        assert response.status_code in {200, 400}, document[:10]
        page = text(response)
        refusals = r"not a credential|no credential does|Choose the credential file|Not valid"
        assert re.search(refusals, page)
    unchanged()


# --- knowledge checks and the post-test --------------------------------------------------


@pytest.fixture
def learner(app: Flask, client: FlaskClient, course: int) -> FlaskClient:
    """A signed-in learner enrolled in the course."""
    with app.app_context():
        sign_in(client, make_user())
    client.post("/courses/minimal/enrol")
    return client


def test_a_check_answer_with_a_choice_that_does_not_exist_is_refused(
    app: Flask, learner: FlaskClient, course: int
) -> None:
    with app.app_context():
        lesson = db.session.get(Course, course).live_lessons[0]
        key, url = lesson.live_checks[0].key, f"/courses/minimal/lessons/{lesson.slug}"
    learner.get(url)  # opening the lesson records progress: take the snapshot after it
    unchanged = snapshot_row_counts(app)
    for choice in (["zz"], ["a", "zz"], ["\u0430"], ["a" * 10_000], [""]):
        response = learner.post(f"{url}/checks/{key}", data={"choice": choice})
        assert response.status_code == 400, choice
    assert learner.post(f"{url}/checks/no-such-check", data={"choice": "a"}).status_code == 404
    unchanged()


def test_post_test_answers_that_do_not_fit_the_questions_are_refused(
    app: Flask, learner: FlaskClient, course: int
) -> None:
    with app.app_context():
        finish_lessons(learner, "minimal")
        attempt = open_attempt(learner, "minimal")
        good = answers_for(attempt, right=10)
    unchanged = snapshot_row_counts(app)
    first = next(key for key in good if key.startswith("q-"))
    bad_forms = [
        {**good, first: ["zz"]},  # a choice the question does not have
        {**good, "q-no-such-question": ["a"]},  # a question that was not drawn
        {**good, "attempt": ["abc"]},
        {**good, "attempt": ["-1"]},
        {**good, "attempt": [""]},
    ]
    for data in bad_forms:
        response = learner.post("/courses/minimal/post-test", data=data)
        assert response.status_code == 400, data
        assert "Traceback" not in text(response)
    huge = learner.post("/courses/minimal/post-test", data={**good, "attempt": ["9" * 40]})
    assert huge.status_code == 404
    unchanged()
    assert learner.post("/courses/minimal/post-test", data=good).status_code == 303


# --- the evaluation --------------------------------------------------------------------


@pytest.fixture
def evaluating(app: Flask, learner: FlaskClient, course: int):
    """A learner who passed the post-test; returns (client, a valid evaluation form)."""
    with app.app_context():
        finish_lessons(learner, "minimal")
        attempt = open_attempt(learner, "minimal")
        learner.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        form = evaluation_form(db.session.get(Course, course))
    return learner, form


def _item_name(form: dict[str, str], value: str) -> str:
    return next(name for name, v in form.items() if v == value)


#: The minimal course's number item asks for minutes, so its message says what to type.
WHOLE_MINUTES = "Enter the number of minutes as a whole number, for example 60."
NUMBER_CASES = [
    ("abc", WHOLE_MINUTES),
    ("-5", WHOLE_MINUTES),
    ("1.5", WHOLE_MINUTES),
    ("1e3", WHOLE_MINUTES),
    ("NaN", WHOLE_MINUTES),
    ("²", WHOLE_MINUTES),
    ("\u0663", WHOLE_MINUTES),  # ARABIC-INDIC DIGIT THREE
    ("\uff17", WHOLE_MINUTES),  # FULLWIDTH DIGIT SEVEN
    ("0", "Enter a number of at least 1."),
    ("601", "Enter a number no larger than 600."),
    ("9" * 30, "Enter a smaller number."),
    ("9" * 5000, "Enter a smaller number."),
]

OPTION_CASES = [
    ("4", "6", "Choose one of the five options."),  # likert
    ("4", "four", "Choose one of the five options."),
    ("Phone", "Typewriter", "Choose one of the options."),  # choice
    ("Helpful, thank you.", "w" * 5001, "Keep your answer to 5,000 characters or fewer; "
     "it has 5,001."),
]


def test_evaluation_numbers_must_be_plain_whole_numbers_in_range(app: Flask, evaluating) -> None:
    client, form = evaluating
    unchanged = snapshot_row_counts(app)
    for value, message in NUMBER_CASES:
        response = client.post(
            "/courses/minimal/evaluation", data={**form, _item_name(form, "55"): value}
        )
        assert response.status_code == 422, value[:20]
        assert message in field_errors(response), (value[:20], field_errors(response))
    unchanged()


def test_evaluation_answers_outside_the_options_are_refused(app: Flask, evaluating) -> None:
    client, form = evaluating
    unchanged = snapshot_row_counts(app)
    for valid, value, message in OPTION_CASES:
        response = client.post(
            "/courses/minimal/evaluation", data={**form, _item_name(form, valid): value}
        )
        assert response.status_code == 422, value[:20]
        assert message in field_errors(response), (value[:20], field_errors(response))
    unchanged()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 0


def test_a_valid_evaluation_still_goes_through(app: Flask, evaluating) -> None:
    client, form = evaluating
    assert client.post("/courses/minimal/evaluation", data=form).status_code == 303


def test_the_error_summary_names_questions_by_their_number_not_their_prompt(
    app: Flask, evaluating
) -> None:
    # On a phone a summary of full prompts ran to two screens; the post-test's is short.
    client, form = evaluating
    number = _item_name(form, "55")
    data = {name: "" for name in form} | {number: "abc"}
    page = text(client.post("/courses/minimal/evaluation", data=data))
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    with app.app_context():
        items = db.session.scalars(select(EvaluationItem)).all()
        prompts = [item.prompt for item in items]
        required = sum(item.required and item.type != "number" for item in items)
    assert not [prompt for prompt in prompts if prompt.rstrip(".?:") in summary]
    assert f"{required} required questions are still unanswered:" in summary
    # Questions, not "answers": a problem with 12 answers read oddly when none was given.
    assert f"There is a problem with {required + 1} questions</h2>" in summary
    links = re.findall(r'<a href="#(item-\d+-1)">Question (\d+)</a>', summary)
    assert len(links) == required + 1
    # Each question is a heading, so a screen reader moving by headings reaches it.
    shown_as = f'<h2 class="check-label">Question {{}} of {len(items)}</h2>'
    for target, shown in links:  # each link goes to the question its number is shown on
        fieldset = rf'id="{target[:-2]}"[^>]*>\s*<legend>{re.escape(shown_as.format(shown))}'
        label = rf'{re.escape(shown_as.format(shown))}\s*<label for="{target}">'
        assert re.search(fieldset, page) or re.search(label, page), (target, shown)
    heading = re.search(rf'Question (\d+) of \d+</h2>\s*<label for="{number}-1">', page)
    shown = heading[1]
    assert f"Question {shown}</a>: {WHOLE_MINUTES}" in summary


# --- odd addresses and query strings -----------------------------------------------------

HOSTILE_SEGMENTS = [
    "%00",
    "%ff%fe",
    "..%2f..%2fetc%2fpasswd",
    "x" * 4000,
    "%e2%80%ae",
    "%3Cscript%3E",
    "99999999999999999999999999",
    "-1",
]


def test_hostile_path_segments_are_not_found_never_a_server_error(app: Flask, course: int) -> None:
    client = app.test_client()
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
    sign_in(client, admin)
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or "GET" not in rule.methods:
            continue
        for segment in HOSTILE_SEGMENTS:
            url = rule.rule
            for name in rule.arguments:
                url = re.sub(rf"<(?:[^:>]+:)?{name}>", segment, url)
            response = client.get(url)
            response.close()
            if response.status_code >= 500:
                failures.append(url[:80])
    assert not failures


ADMIN_QUERIES = [
    {"page": "99999999999999999999999"},
    {"page": "-3"},
    {"page": "abc"},
    {"q": "%_\\'\"; DROP TABLE user_account; --"},
    {"q": "x" * 5000},
    {"course": "no-such-course", "start": "9999-99-99"},
]


def test_admin_lists_take_any_query_string_without_a_server_error(app: Flask, course: int) -> None:
    client = app.test_client()
    with app.app_context():
        sign_in(client, make_user(role=Role.ADMIN))
    unchanged = snapshot_row_counts(app)
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.arguments or "GET" not in rule.methods:
            continue
        for query in ADMIN_QUERIES:
            response = client.get(rule.rule, query_string=query)
            response.close()
            if response.status_code >= 500:
                failures.append((rule.rule, query))
    assert not failures
    unchanged()


@pytest.mark.parametrize(
    "path", ["/courses/a%00b", "/verify/AAAA%00", "/courses/minimal/lessons/x%00y"]
)
def test_a_nul_byte_in_the_path_is_a_clear_400_on_every_database(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
