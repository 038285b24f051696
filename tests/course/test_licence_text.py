"""License numbers and jurisdictions that cannot lie: the certificate prints them and the
verification page shows them, so a hidden or direction-changing character would make the
two read differently ("LCSW-1234\\u202e56" prints as LCSW-123456 and shows "ending in 3465").

Everywhere a learner's license is set: sign-up, the profile, an admin's correction and a
learner's correction request.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.extensions import db
from course.models import CorrectionRequest, User
from tests.course.factories import sign_in
from tests.course.test_auth import PASSWORD, text
from tests.course.test_auth import make_user as make_account
from tests.course.test_auth import sign_in as sign_in_by_form
from tests.course.test_auth_profile import profile_data
from tests.smtp_sink import Inbox

HIDDEN = "cannot contain invisible or control characters, such as text-direction marks"

#: Each reads one way in a browser and another in the PDF, or hides a character.
LYING = {
    "right-to-left override": ("licence_number", "LCSW-1234\u202e56"),
    "zero-width space": ("licence_number", "LCSW-12\u200b3456"),
    "zero-width joiner": ("licence_number", "LCSW-12\u200d3456"),
    "isolate in the state": ("licence_jurisdiction", "\u2067Ohio\u2069"),
    "control character in the state": ("licence_jurisdiction", "Ohio\x1b[8m"),
}


@pytest.mark.parametrize("kind", list(LYING))
def test_a_profile_edit_refuses_a_license_that_could_lie_and_keeps_the_old(
    app: Flask, client: FlaskClient, kind
) -> None:
    field, value = LYING[kind]
    make_account(app)
    sign_in_by_form(client)
    assert client.post("/auth/profile", data=profile_data(
        licence_number="LCSW-123456", licence_jurisdiction="Ohio")).status_code == 302
    response = client.post("/auth/profile", data=profile_data(**{
        "licence_number": "LCSW-123456", "licence_jurisdiction": "Ohio", field: value}))
    assert response.status_code == 200  # the form again, with the reason
    assert HIDDEN in text(response)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.licence_number, user.licence_jurisdiction) == ("LCSW-123456", "Ohio")


def test_sign_up_refuses_a_license_number_that_could_lie(client: FlaskClient, inbox: Inbox):
    response = client.post("/auth/register", data={
        "full_name": "Jane Doe", "email": "jane@example.com", "password": PASSWORD,
        "licence_number": LYING["right-to-left override"][1]})
    assert response.status_code == 200 and HIDDEN in text(response)
    assert inbox.messages == []  # no sign-up link goes out for it


def test_a_profile_edit_refuses_a_license_number_the_certificate_cannot_print(
    app: Flask, client: FlaskClient
) -> None:
    make_account(app)
    sign_in_by_form(client)
    response = client.post("/auth/profile", data=profile_data(licence_number="LCSW-١٢٣"))
    assert response.status_code == 200
    assert "Certificates cannot print “١”, “٢”, “٣” in a license number" in text(response)


def test_plain_license_details_are_kept() -> None:
    from course.names import clean_licence_detail

    for value in ("LCSW-123456", "12345-B", "S 55555", "Québec", "New York", "№ 1234"):
        assert clean_licence_detail(value, "license number") == value


def test_an_admin_correction_refuses_a_license_number_that_could_lie(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    learner = data.learners["c"]
    response = admin.post(f"/admin/learners/{learner.id}/details", data={
        "full_name": learner.full_name, "licence_number": LYING["right-to-left override"][1],
        "reason": "Typo"})
    assert response.status_code == 422
    assert HIDDEN in text(response)
    with app.app_context():
        assert db.session.get(User, learner.id).licence_number == learner.licence_number


def test_a_correction_request_for_a_license_number_that_could_lie_is_refused(app, data):
    learner = sign_in(app.test_client(), data.learners["a"])
    response = learner.post(f"/me/certificates/{data.certificate_code}/correction", data={
        "kind": "license", "requested_value": LYING["zero-width space"][1], "message": ""})
    assert response.status_code == 422
    assert HIDDEN in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CorrectionRequest)) == 0
