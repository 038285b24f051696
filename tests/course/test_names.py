"""Names that cannot lie: normalised, no hidden or direction-changing characters, a letter,
and nothing the certificate would print as empty boxes or in the wrong order.

Everywhere a full name is set: sign-up, the profile, an admin's correction, a learner's
correction request, the command line and (in tests/interop) an LTI launch.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.extensions import db
from course.models import CorrectionRequest, User
from course.names import INVISIBLE, NO_LETTER, UNPRINTABLE, NameRefused, clean_name, name_or
from tests.course.factories import make_user, sign_in
from tests.course.test_auth import PASSWORD, text
from tests.course.test_auth import make_user as make_account
from tests.course.test_auth import sign_in as sign_in_by_form
from tests.course.test_auth_profile import profile_data
from tests.smtp_sink import Inbox

#: Each shows or prints as something other than what is stored, or as nothing at all,
#: with the reason the learner is given.
LYING = {
    "right-to-left override": ("Jane \u202eHTIMS\u202c Doe", INVISIBLE),
    "isolate": ("Jane \u2067Doe\u2069", INVISIBLE),
    "direction mark": ("Jane\u200f Doe", INVISIBLE),
    "zero-width only": ("\u200b\u200b\u200b", INVISIBLE),
    "zero-width inside": ("Ja\u200bne Doe", INVISIBLE),
    "escape": ("Jane \x1b[31mDoe", INVISIBLE),
    "bell": ("Jane Doe\x07", INVISIBLE),
    "byte-order mark": ("\ufeffJane Doe", INVISIBLE),
    "private use": ("Jane \ue000Doe", INVISIBLE),
    "no letter": ("... --- ...", NO_LETTER),
    "hangul filler": ("\u3164\u3164", NO_LETTER),
    "combining marks only": ("\u0301\u0301", NO_LETTER),
}


def _html(message: str) -> str:
    return message.replace("'", "&#39;")


@pytest.mark.parametrize("kind", list(LYING))
def test_sign_up_refuses_a_name_that_could_lie(client: FlaskClient, inbox: Inbox, kind) -> None:
    response = client.post("/auth/register", data={
        "full_name": LYING[kind][0], "email": "jane@example.com", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the reason
    assert _html(LYING[kind][1]) in text(response)
    assert inbox.messages == []  # no sign-up link goes out for it


def test_names_are_stored_in_one_normal_form_and_admins_find_them(
    app: Flask, client: FlaskClient, inbox: Inbox
) -> None:
    from tests.course.factories import register_by_mail

    # "Zoë" typed with a combining diaeresis, and tabs and double spaces between words.
    register_by_mail(client, inbox, {
        "full_name": " Zoe\u0308\tSmith  Doe ", "email": "zoe@example.com", "password": PASSWORD})
    with app.app_context():
        assert db.session.scalar(select(User.full_name)) == "Zo\u00eb Smith Doe"
        admin = make_user(full_name="Ada Admin", email="admin@example.org", role="admin")
    admin_client = sign_in(app.test_client(), admin)
    for query in ("Smith", "smith doe", "Zo\u00eb", "Zoe\u0308  Smith"):
        page = text(admin_client.get("/admin/learners", query_string={"q": query}))
        assert "Zo\u00eb Smith Doe" in page, query


def test_a_profile_edit_refuses_a_lying_name_and_keeps_the_old(
    app: Flask, client: FlaskClient
) -> None:
    user_id = make_account(app, name="Jane Smith Doe")
    sign_in_by_form(client)
    response = client.post("/auth/profile", data=profile_data(
        full_name=LYING["right-to-left override"][0]))
    assert response.status_code == 200  # the form again, with the reason
    assert _html(INVISIBLE) in text(response)
    with app.app_context():
        assert db.session.get(User, user_id).full_name == "Jane Smith Doe"


def test_an_admin_correction_refuses_a_lying_name(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    learner = data.learners["c"]
    for kind in ("right-to-left override", "zero-width only", "bell"):
        response = admin.post(f"/admin/learners/{learner.id}/details",
                              data={"full_name": LYING[kind][0], "reason": "Typo"})
        assert response.status_code == 422, kind
        assert _html(LYING[kind][1]) in text(response), kind
    with app.app_context():
        assert db.session.get(User, learner.id).full_name == learner.full_name


def test_a_correction_request_for_a_lying_name_is_refused(app, data) -> None:
    learner = sign_in(app.test_client(), data.learners["a"])
    response = learner.post(f"/me/certificates/{data.certificate_code}/correction", data={
        "kind": "name", "requested_value": LYING["right-to-left override"][0],
        "message": ""})
    assert response.status_code == 422
    assert _html(INVISIBLE) in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CorrectionRequest)) == 0


def test_the_command_line_refuses_a_lying_admin_name(app: Flask, runner) -> None:
    result = runner.invoke(args=["users", "create-admin", "--email", "ops@example.org",
                                 "--name", "Ops\x1b[2J", "--reason", "on-call operator"],
                           env={"ADMIN_PASSWORD": PASSWORD})
    assert result.exit_code != 0 and INVISIBLE in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_real_names_in_many_scripts_are_kept() -> None:
    for name in ("Ana María Ruiz-López", "O'Brien", "Nguyễn Thị Minh Khai", "Łukasz Żółć",
                 "Ólafur Þórðarson", "Ελένη Παπαδοπούλου", "Анна Иванова",
                 "José\u00a0Díaz", "Ng\u0169"):
        assert clean_name(name) == " ".join(name.split())
    with pytest.raises(NameRefused):
        clean_name("\u202e")
    # Names from elsewhere (an LMS) lose hidden characters instead of refusing a launch.
    assert name_or("Jane \u202eHTIMS\u202c Doe", "Learner") == "Jane HTIMS Doe"
    assert name_or("\u200b", "Learner") == "Learner"
    assert name_or("张伟", "Learner") == "Learner"


#: Names the certificate's font has no glyphs for (empty boxes), or would draw left to
#: right letter by letter (reversed, and Arabic unjoined), with what the learner is told.
UNPRINTED = {
    "Chinese": ("张伟", "“张”, “伟”"),
    "Devanagari": ("राम", "“र”, “ा”, “म”"),
    "Thai": ("สมชาย", "“ส”, “ม”, “ช”, “า”, “ย”"),
    "Hebrew": ("מרים כהן", "“מ”, “ר”, “י”, “ם”, “כ”, …"),
    "Arabic": ("محمد علي", "“م”, “ح”, “د”, “ع”, “ل”, …"),
    "Latin with a Chinese middle name": ("Wei 伟 Chen", "“伟”"),
}


@pytest.mark.parametrize("kind", list(UNPRINTED))
def test_sign_up_refuses_a_name_the_certificate_cannot_print(
    client: FlaskClient, inbox: Inbox, kind
) -> None:
    name, shown = UNPRINTED[kind]
    response = client.post("/auth/register", data={
        "full_name": name, "email": "wei@example.com", "password": PASSWORD,
        "licence_number": "LCSW 123"})
    page = text(response)
    assert response.status_code == 200 and UNPRINTABLE.format(chars=shown) in page
    assert 'value="LCSW 123"' in page  # the rest of the form is kept
    assert inbox.messages == []


def test_a_profile_edit_refuses_a_name_the_certificate_cannot_print_and_keeps_the_old(
    app: Flask, client: FlaskClient
) -> None:
    user_id = make_account(app, name="Pat Chen")
    sign_in_by_form(client)
    response = client.post("/auth/profile", data=profile_data(full_name="Pat 陈"))
    assert response.status_code == 200
    assert UNPRINTABLE.format(chars="“陈”") in text(response)
    with app.app_context():
        assert db.session.get(User, user_id).full_name == "Pat Chen"


def test_an_admin_correction_refuses_a_name_the_certificate_cannot_print(app, data) -> None:
    admin = sign_in(app.test_client(), data.admin)
    learner = data.learners["c"]
    response = admin.post(f"/admin/learners/{learner.id}/details",
                          data={"full_name": "张伟", "reason": "Name as on license"})
    assert response.status_code == 422
    assert UNPRINTABLE.format(chars="“张”, “伟”") in text(response)
    with app.app_context():
        assert db.session.get(User, learner.id).full_name == learner.full_name
