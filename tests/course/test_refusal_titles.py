"""A page drawn after a refusal says "Error: " first in its title, whoever refused:
the form's validators, or the service behind it after they passed (course/forms.py)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import Role, User
from tests.course.author_kit import BASE, LESSON, submit
from tests.course.certificate_kit import earn_certificate, quick
from tests.course.factories import PASSWORD, make_user, sign_in

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title(response) -> str:
    return TITLE.search(response.get_data(as_text=True))[1].strip()


def _signed_in_learner(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.app_context():
        user = make_user(email="ana@example.org")
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_a_wrong_current_password_says_error_in_the_title(app: Flask, client: FlaskClient):
    """The password page and the profile: the service refuses the password, not WTForms."""
    learner = _signed_in_learner(app, client)
    changed = learner.post("/auth/password", data={
        "current_password": "not-my-password-at-all", "new_password": "a-fresh-long-passphrase-9",
        "confirm": "a-fresh-long-passphrase-9"})
    assert "There is a problem" in changed.get_data(as_text=True)
    assert title(changed).startswith("Error: Change your password")
    profile = learner.post("/auth/profile", data={
        "full_name": "Ana Ruiz", "email": "new@example.org",
        "current_password": "not-my-password-at-all"})
    assert "There is a problem" in profile.get_data(as_text=True)
    assert title(profile).startswith("Error: Your profile")
    assert not title(learner.get("/auth/profile")).startswith("Error: ")


def test_an_editor_save_the_service_refuses_says_error_in_the_title(author_client: FlaskClient):
    """A duplicate id and a save over someone else's change pass the form's validators."""
    duplicate = submit(author_client, f"{LESSON}/new-check", "save", id="push-pull-2")
    assert duplicate.status_code == 422
    assert title(duplicate).startswith("Error: Knowledge check")
    submit(author_client, LESSON, "save", base_revision="0", body="Mine.")
    conflict = submit(author_client, LESSON, "save", base_revision="0", body="Theirs.")
    assert conflict.status_code == 422 and "There is a problem" in conflict.get_data(True)
    assert title(conflict).startswith("Error: Edit lesson")
    assert not title(author_client.get(f"{BASE}/settings")).startswith("Error: ")


def test_a_correction_the_service_refuses_says_error_in_the_title(
    app: Flask, client: FlaskClient, package_copy
):
    """The learner's second request, the admin's correction that changes nothing and the
    admin's answer to a request already closed: each passed its form's validators."""
    code = earn_certificate(app, client, quick(package_copy))
    asked = {"kind": "name", "requested_value": "Ana Ruiz", "message": "A typo"}
    assert client.post(f"/me/certificates/{code}/correction", data=asked).status_code == 303
    again = client.post(f"/me/certificates/{code}/correction", data=asked)
    assert again.status_code == 422 and "You already asked" in again.get_data(True)
    assert title(again).startswith("Error: Certificate")
    with app.app_context():
        learner = db.session.scalar(select(User).where(User.role == Role.LEARNER))
        admin = sign_in(app.test_client(), make_user(Role.ADMIN))
    same = admin.post(f"/admin/learners/{learner.id}/details", data={
        "full_name": learner.full_name, "reason": "Fix a typo"})
    assert same.status_code == 422 and "Nothing changed" in same.get_data(True)
    assert title(same).startswith(f"Error: {learner.full_name}")
    assert admin.post("/admin/corrections/1/decline", data={
        "decline-note": "Matches your license"}).status_code == 303
    closed = admin.post("/admin/corrections/1/resolve", data={
        "full_name": "Ana Ruiz", "reason": "As asked for"})
    assert closed.status_code == 422 and "already" in closed.get_data(True)
    assert title(closed).startswith("Error: Correction request 1")


def test_a_report_query_naming_no_option_says_error_in_the_title(
    app: Flask, client: FlaskClient, package_copy
):
    """The audit log and the audit pack refuse an unknown parameter or page with a 400
    and the problem on the page; no field of their forms refuses it."""
    earn_certificate(app, client, quick(package_copy))
    with app.app_context():
        admin = sign_in(app.test_client(), make_user(Role.ADMIN))
    for address in ("/admin/audit?colour=red", "/admin/audit?page=0",
                    "/admin/courses/minimal/audit-pack.zip?colour=red",
                    "/admin/courses/minimal/roster.csv?colour=red"):
        refused = admin.get(address)
        assert refused.status_code == 400, address
        assert title(refused).startswith("Error: "), address
    assert not title(admin.get("/admin/audit")).startswith("Error: ")
    assert not title(admin.get("/admin/courses/minimal/report")).startswith("Error: ")


def test_a_refused_learner_search_says_why_under_its_error_title(app: Flask, client: FlaskClient):
    """The title said "Error: " for a search over the length limit or a role that does
    not exist, and nothing on the page said what was wrong."""
    with app.app_context():
        admin = sign_in(client, make_user(Role.ADMIN))
    for query in ("q=" + "x" * 201, "role=emperor"):
        page = admin.get(f"/admin/learners?{query}")
        assert title(page).startswith("Error: Learners"), query
        assert 'class="field-error"' in page.get_data(as_text=True), query
        # Every account is listed then: the caption must not say they match the refused text.
        assert "matching" not in page.get_data(as_text=True), query
    plain = admin.get("/admin/learners?q=&role=")
    assert not title(plain).startswith("Error: ")
    assert 'class="field-error"' not in plain.get_data(as_text=True)


def test_every_bad_request_page_says_error_first_whether_or_not_a_form_ran(
    app: Flask, client: FlaskClient
):
    """A 400 drawn after a form's validators refused said "Error: That did not work"; one
    refused before any form ran (an unknown filter value) said only "That did not work"."""
    with app.app_context():
        admin = sign_in(client, make_user(Role.ADMIN))
    refused = admin.get("/admin/corrections?status=bogus")
    assert refused.status_code == 400
    assert title(refused).startswith("Error: That did not work")
    assert not title(admin.get("/admin/nowhere")).startswith("Error: ")  # a 404 is not one
