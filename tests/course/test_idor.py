"""Nobody reaches another person's records: every route in the URL map is accounted for.

Learner A finishes the course (attempts, evaluation, certificate). Learner B, signed in,
then asks for each of A's objects on every route that takes one, and gets 404; admin and
author routes answer B with 403 before looking anything up. A route with parameters that
this module does not know fails the test, so a new route must be sorted into one of the
tables below (and so gets covered) before it can ship.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from course.extensions import db
from course.mail import sender_for
from course.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Course,
    Enrolment,
    LtiIdentity,
    LtiPlatform,
    PostTestAttempt,
    Question,
    QuestionKind,
    Role,
    User,
)
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    evaluation_form,
    finish_lessons,
    open_attempt,
    quick_retakes,
)

#: Rules whose parameters name one person's object: B must get 404 for A's.
PER_USER = {
    "/me/certificates/<code>",
    "/me/certificates/<code>.json",
    "/me/certificates/<code>.pdf",
    "/me/certificates/<code>/correction",
    "/courses/<slug>/post-test/attempts/<int:number>",
    "/lti/unlink/<int:platform_id>",  # a learning system that opens A's account
}

#: Rules whose parameters name course content; the records they touch are the signed-in
#: person's own (found through the session), so B only ever sees B's.
CONTENT = {
    "/courses/<slug>",
    "/courses/<slug>/enroll",
    "/courses/<slug>/enrol",  # the address before US spelling, kept for pages still open
    "/courses/<slug>/certificate",
    "/courses/<slug>/evaluation",
    "/courses/<slug>/post-test",
    # The attempt id a save sends must be the learner's own open attempt
    # (test_answers_kept.py: another learner's id saves nothing).
    "/courses/<slug>/post-test/save",
    "/courses/<slug>/evaluation/save",
    "/courses/<slug>/lessons/<lesson_slug>",
    "/courses/<slug>/lessons/<lesson_slug>/checks/<key>",
    "/courses/<slug>/lessons/<lesson_slug>/complete",
    "/courses/<slug>/lessons/<lesson_slug>/answers",
    "/courses/<slug>/lessons/<lesson_slug>/heartbeat",
    # Course staff only, and nobody's records (test_course_preview.py).
    "/courses/<slug>/preview",
    "/courses/<slug>/preview/<lesson_slug>",
    "/courses/<slug>/preview/end",  # deletes this browser's own preview cookie
}

#: Public on purpose: certificate verification (minimal fields, 128-bit codes), a reset
#: link whose token is the secret, and static files.
PUBLIC = {
    "/verify/<code>",
    "/verify/<code>/",  # sends a trailing slash on to the address above
    # Open Badges: a status list holds only bits; a badge image only the course's title.
    "/credentials/status/<int:number>",
    "/credentials/badges/<slug>.svg",
    # What an xAPI extension of this site means: the same words for everyone.
    "/xapi/extensions/<name>",
    "/auth/reset/<token>",
    # Emailed links: the token is the key (signed, or encrypted and signed).
    "/auth/register/confirm/<token>",
    "/auth/email/confirm/<token>",
    "/static/<path:filename>",
}

#: Areas where every route needs a role; a learner is refused before any lookup.
ROLE_GATED_PREFIXES = ("/admin/", "/author/")


@dataclass
class Records:
    """A's objects, by the parameter names routes use for them."""

    a: User
    b: User
    values: dict[str, object]
    attempt_id: int


def _complete(client: FlaskClient, slug: str) -> str:
    client.post(f"/courses/{slug}/enrol")
    finish_lessons(client, slug)
    attempt = open_attempt(client, slug)
    client.post(f"/courses/{slug}/post-test", data=answers_for(attempt, right=7))  # fails
    attempt = open_attempt(client, slug)
    client.post(f"/courses/{slug}/post-test", data=answers_for(attempt, right=10))
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    client.post(f"/courses/{slug}/evaluation", data=evaluation_form(course))
    response = client.get(f"/courses/{slug}/certificate")
    assert response.status_code == 302
    return response.location.rsplit("/", 1)[1]


@pytest.fixture
def records(app: Flask, package_copy: Path) -> Records:
    manifest = package_copy / "course.yaml"
    manifest.write_text(
        manifest.read_text().replace("min_active_minutes: 20", "min_active_minutes: 0")
    )
    with app.app_context():
        course = import_course(quick_retakes(package_copy))  # it fails once, then passes
        lesson = course.live_lessons[0]
        a = make_user(
            full_name="Avery Ownerson",
            email="avery.owner@example.org",
            licence_number="LIC-A-777",
        )
        b = make_user(full_name="Blake Otherby", email="blake.other@example.org")
        owner = sign_in(app.test_client(), a)
        code = _complete(owner, course.slug)
        # The "certificate is ready" email goes out first: the sender's commit would leave
        # this context's read transaction behind, and SQLite refuses its writes below.
        sender_for(app).stop()
        db.session.commit()
        attempt_id = db.session.scalar(
            select(PostTestAttempt.id).order_by(PostTestAttempt.id.desc()).limit(1)
        )
        question_key = db.session.scalar(
            select(Question.key).where(
                Question.course_id == course.id, Question.kind == QuestionKind.POST_TEST
            )
        )
        platform = LtiPlatform(
            name="Agency LMS", issuer="https://lms.example.org", client_id="tool-1",
            deployment_ids=["1"], auth_login_url="https://lms.example.org/auth",
            auth_token_url="https://lms.example.org/token", jwks_url="https://lms.example.org/jwks",
        )
        db.session.add(platform)
        db.session.flush()
        db.session.add(LtiIdentity(platform_id=platform.id, subject="lms-user-a", user_id=a.id))
        db.session.commit()
        enrolment_id = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == a.id))
        values = {
            "slug": course.slug,
            "lesson_slug": lesson.slug,
            "lesson": lesson.slug,
            "key": lesson.live_checks[0].key,
            "check_id": lesson.live_checks[0].key,
            "qid": question_key,
            "code": code,
            "number": 2,
            "user_id": a.id,
            "enrolment_id": enrolment_id,
            "platform_id": platform.id,
            "token": "not-a-real-token",
            "filename": "css/site.css",
            "name": "contact-hours",
            "comment_id": 1,
            "member_id": 1,
            "request_id": 1,
        }
    return Records(a=a, b=b, values=values, attempt_id=attempt_id)


def _fill(rule: Rule, values: dict[str, object]) -> str:
    missing = [name for name in rule.arguments if name not in values]
    assert not missing, (
        f"{rule.rule}: test_idor does not know how to fill {missing}; add A's value for "
        "it to the `records` fixture"
    )
    return rule.build({name: values[name] for name in rule.arguments})[1]


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _request(client: FlaskClient, method: str, url: str):
    response = client.open(url, method=method, data={} if method == "POST" else None)
    if method == "GET" and response.status_code == 303:
        # A form's address opened again only sends the browser on to the page that holds
        # the form, which does its own checks: that page is what the person gets.
        response.close()
        response = client.get(response.location)
    response.close()
    return response


def _a_secrets(records: Records) -> list[str]:
    return [
        records.a.full_name,
        records.a.email,
        "LIC-A-777",
        str(records.values["code"]),
    ]


def test_every_rule_with_parameters_is_accounted_for(app: Flask) -> None:
    unknown = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.arguments
        and rule.rule not in PER_USER | CONTENT | PUBLIC
        and not rule.rule.startswith(ROLE_GATED_PREFIXES)
    ]
    assert not unknown, (
        f"new routes with parameters: {unknown}. Sort each into PER_USER (and check it "
        "answers 404 for someone else's object), CONTENT or PUBLIC in test_idor.py"
    )
    listed = PER_USER | CONTENT | PUBLIC
    stale = listed - {rule.rule for rule in app.url_map.iter_rules()}
    assert not stale, f"routes listed in test_idor.py that no longer exist: {stale}"


def test_another_learner_gets_404_for_every_per_user_object(app: Flask, records: Records) -> None:
    client = app.test_client()
    with app.app_context():
        sign_in(client, records.b)
    # Enrolled, so the request gets as far as looking the object up.
    assert client.post(f"/courses/{records.values['slug']}/enrol").status_code == 302
    answered = set()
    for rule in app.url_map.iter_rules():
        if rule.rule not in PER_USER:
            continue
        url = _fill(rule, records.values)
        for method in _methods(rule):
            response = _request(client, method, url)
            answered.add(rule.rule)
            assert response.status_code == 404, f"{method} {url} -> {response.status_code}"
    assert answered == PER_USER
    # The owner still gets them all.
    owner = app.test_client()
    with app.app_context():
        sign_in(owner, records.a)
    for rule in app.url_map.iter_rules():
        if rule.rule in PER_USER and "GET" in rule.methods:
            assert _request(owner, "GET", _fill(rule, records.values)).status_code == 200


def test_a_learner_who_never_enrolled_gets_nothing_of_a_s_either(
    app: Flask, records: Records
) -> None:
    client = app.test_client()
    with app.app_context():
        sign_in(client, records.b)
    for rule in app.url_map.iter_rules():
        if rule.rule in PER_USER:
            url = _fill(rule, records.values)
            for method in _methods(rule):
                response = _request(client, method, url)
                assert response.status_code in {302, 404}, f"{method} {url}"
                page = response.get_data(as_text=True)
                assert not [s for s in _a_secrets(records) if s in page], url


@pytest.mark.parametrize("role", [Role.LEARNER, Role.AUTHOR])
def test_admin_and_author_routes_refuse_people_without_the_role(
    app: Flask, records: Records, role: Role
) -> None:
    with app.app_context():
        outsider = records.b if role == Role.LEARNER else make_user(role=Role.AUTHOR)
        before = _state(records)
    client = app.test_client()
    with app.app_context():
        sign_in(client, outsider)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(ROLE_GATED_PREFIXES):
            continue
        if role == Role.AUTHOR and rule.rule.startswith("/author/") and "<slug>" not in rule.rule:
            continue  # an author's own area; a course's pages are for its team only
        url = _fill(rule, records.values)
        for method in _methods(rule):
            response = _request(client, method, url)
            assert response.status_code in {403, 404}, f"{method} {url} -> {response.status_code}"
            checked += 1
    assert checked >= 10
    with app.app_context():
        assert _state(records) == before, "a refused request changed something"


def _state(records: Records) -> tuple:
    """What a refused admin action could have changed."""
    a = db.session.get(User, records.a.id)
    b = db.session.get(User, records.b.id)
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.code == records.values["code"])
    )
    return (
        a.active,
        a.role,
        a.session_version,
        b.role,
        certificate.status,
        db.session.scalar(select(func.count()).select_from(Certificate)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_no_page_shows_another_learner_anything_of_theirs(app: Flask, records: Records) -> None:
    """Every GET page B can open, filled with A's values, mentions nothing of A's."""
    client = app.test_client()
    with app.app_context():
        sign_in(client, records.b)
    client.post(f"/courses/{records.values['slug']}/enrol")
    leaks = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule in PUBLIC:
            continue
        url = _fill(rule, records.values)
        # To the page a redirect leads to: the redirect itself only repeats the address.
        response = client.get(url, follow_redirects=True)
        body = response.get_data(as_text=True)
        leaks += [f"{url}: {s}" for s in _a_secrets(records) if s in body]
    assert not leaks


def test_a_post_test_attempt_cannot_be_submitted_with_someone_else_s_attempt_id(
    app: Flask, records: Records
) -> None:
    client = app.test_client()
    with app.app_context():
        sign_in(client, records.b)
        slug = records.values["slug"]
        client.post(f"/courses/{slug}/enrol")
        finish_lessons(client, slug)
        own = open_attempt(client, slug)
        data = answers_for(own, right=10)
        before = db.session.get(PostTestAttempt, records.attempt_id).submitted_at
    data["attempt"] = [str(records.attempt_id)]
    assert client.post(f"/courses/{slug}/post-test", data=data).status_code == 404
    with app.app_context():
        assert db.session.get(PostTestAttempt, records.attempt_id).submitted_at == before


def test_the_public_verification_page_shows_only_the_essentials(
    app: Flask, records: Records
) -> None:
    page = app.test_client().get(f"/verify/{records.values['code']}").get_data(as_text=True)
    assert records.a.full_name in page  # who, what, when: that is the point of verifying
    assert records.a.email not in page and "LIC-A-777" not in page
    with app.app_context():
        certificate = db.session.scalar(
            select(Certificate).where(Certificate.code == records.values["code"])
        )
        assert certificate.status == CertificateStatus.VALID
