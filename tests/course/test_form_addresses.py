"""A form's address opened by GET leads to the page that holds the form, and does nothing.

Browsers open a form's address by GET on a reload or Back after a refused form, from a
bookmark, and after signing in again: the sign-in's ``next`` is where the form was sent.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import Rule

from course import formpages
from course.extensions import db
from course.formpages import form_page
from course.models import CorrectionRequest, CourseMember, Role, User
from tests.course.factories import (
    PASSWORD,
    import_course,
    join_team,
    make_user,
    sign_in,
    snapshot_row_counts,
)
from tests.course.test_admin_dataset import Dataset, build_dataset

#: POST-only on purpose: a script or another system sends these, never a person's form,
#: so there is no page to lead to. A GET gets the 405 page, which explains itself.
MACHINE_ONLY = {
    "auth.keep_alive",  # the page's script: "Stay signed in" before an idle sign-out
    "learn.heartbeat",  # the lesson page's script, crediting active reading time
    "lti.launch",  # an LMS posts the launch (with its signed token) from its own page
}


def _form_addresses(app: Flask) -> list[Rule]:
    """Every rule a POST is sent to that does not answer GET itself."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and "GET" not in rule.methods
    ]


def _path(rule: Rule, values: dict[str, object]) -> str:
    return rule.build({name: values.get(name, 1) for name in rule.arguments})[1]


def _own_page(adapter, address: str) -> bool:
    """True when the address is also a page's (the form is sent back to where it is)."""
    try:
        adapter.match(address, method="GET")
    except MethodNotAllowed:
        return False
    return True


def test_no_form_address_answers_get_with_405(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    unmarked = [
        rule.endpoint
        for rule in _form_addresses(app)
        if rule.endpoint not in MACHINE_ONLY
        and not _own_page(adapter, _path(rule, {}))
        and getattr(app.view_functions[rule.endpoint], "form_page", None) is None
    ]
    assert not unmarked, (
        f"{unmarked} answer GET with 405. Mark each view with @form_page(<endpoint of the "
        "page that holds its form>) from course.formpages; an address no person opens "
        "goes in MACHINE_ONLY, with the reason"
    )
    # The list stays true: every exemption is still there and still POST-only.
    assert MACHINE_ONLY <= {rule.endpoint for rule in _form_addresses(app)}


def test_each_form_address_only_leads_to_a_page(app: Flask, minimal_package_dir) -> None:
    with app.app_context():
        import_course(minimal_package_dir)
        admin = make_user(Role.ADMIN)  # admins may open every area
    client = sign_in(app.test_client(), admin)
    values = {"slug": "minimal", "lesson": "push-pull", "lesson_slug": "push-pull",
              "key": "push-pull-1", "check_id": "push-pull-1", "qid": "pt-lo1-1"}  # fmt: skip
    adapter = app.url_map.bind("localhost")
    unchanged = snapshot_row_counts(app)
    checked = 0
    for rule in _form_addresses(app):
        address = _path(rule, values)
        if rule.endpoint in MACHINE_ONLY or _own_page(adapter, address):
            continue
        reopened = client.get(address)
        assert reopened.status_code == 303, (address, reopened.status_code)
        assert _own_page(adapter, urlsplit(reopened.location).path), (address, reopened.location)
        checked += 1
    assert checked >= 30
    unchanged()  # nothing was done by GET, and the admin is still signed in
    assert client.get("/me").status_code == 200
    # A machine's address still says plainly that it cannot be opened.
    assert client.get("/auth/stay-signed-in").status_code == 405


def test_a_wrong_mark_stops_the_app_at_start_up() -> None:
    app = Flask(__name__)

    @app.route("/settings", methods=["GET", "POST"])
    @form_page("settings")
    def settings() -> str:
        return ""

    with pytest.raises(ValueError, match="opens settings"):
        formpages.init_app(app)  # its address is a page already: a GET would be ambiguous

    app = Flask(__name__)
    app.add_url_rule("/save", "save", form_page("no.such_page")(settings), methods=["POST"])
    with pytest.raises(ValueError, match="names no page: no.such_page"):
        formpages.init_app(app)


@pytest.fixture
def data(app: Flask, minimal_package_dir) -> Dataset:
    """An admin, learners with a certificate, an open correction request, a team member."""
    with app.app_context():
        built = build_dataset(minimal_package_dir)
        join_team("minimal", make_user(Role.AUTHOR, full_name="Tess Teammate"))
    asked = sign_in(app.test_client(), built.learners["a"]).post(
        f"/me/certificates/{built.certificate_code}/correction",
        data={"kind": "name", "requested_value": "Alex Rivera", "message": "Missing accent"},
    )
    assert asked.status_code == 303
    return built


def _fill(app: Flask, data: Dataset, address: str) -> str:
    """The address with the ids of the team member (the account the forms are about)."""
    with app.app_context():
        member = db.session.scalars(select(CourseMember)).one()
        request_id = db.session.scalar(select(CorrectionRequest.id))
    return address.format(user=member.user_id, member=member.id, code=data.certificate_code,
                          request=request_id)  # fmt: skip


@pytest.mark.parametrize(
    ("address", "page", "anchor"),
    [
        ("/admin/learners/{user}/role", "/admin/learners/{user}", "account"),
        ("/admin/learners/{user}/deactivate", "/admin/learners/{user}", "account"),
        ("/admin/learners/{user}/details", "/admin/learners/{user}", "correct"),
        ("/admin/learners/{user}/enrollments", "/admin/learners/{user}", "enroll"),
        ("/admin/learners/enroll", "/admin/learners", None),
        ("/admin/certificates/{code}/reissue", "/admin/certificates/{code}", "reissue"),
        ("/admin/certificates/{code}/revoke", "/admin/certificates/{code}", "revoke"),
        ("/admin/corrections/{request}/resolve", "/admin/corrections/{request}", "resolve-heading"),
        ("/admin/corrections/{request}/decline", "/admin/corrections/{request}", "decline-heading"),
        ("/admin/courses/minimal/team/{member}/role", "/admin/courses/minimal/team/{member}",
         "role"),
        ("/admin/courses/minimal/team/{member}/remove", "/admin/courses/minimal/team/{member}",
         "remove"),
    ],
)  # fmt: skip
def test_an_admin_reopening_a_form_address_lands_on_the_form(
    app: Flask, data: Dataset, address: str, page: str, anchor: str | None
) -> None:
    address, page = _fill(app, data, address), _fill(app, data, page)
    client = sign_in(app.test_client(), data.admin)
    reopened = client.get(address)
    assert reopened.status_code == 303
    anchor = anchor and _fill(app, data, anchor)
    assert reopened.location == (f"{page}#{anchor}" if anchor else page)
    shown = client.get(page)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert f'action="{address}"' in html  # the page holds the form sent to that address
    if anchor:
        assert f'id="{anchor}"' in html


@pytest.mark.parametrize(
    ("address", "page", "anchor"),
    [
        ("/author/new", "/author/", "new-course-heading"),
        ("/author/courses/minimal/lessons", "/author/courses/minimal/", "add-lesson"),
        ("/author/courses/minimal/upload", "/author/courses/minimal/", "package-heading"),
        ("/author/courses/minimal/lessons/push-pull/move", "/author/courses/minimal/", "lessons"),
        ("/author/courses/minimal/lessons/push-pull/archive",
         "/author/courses/minimal/lessons/push-pull", "archive-heading"),
        ("/author/courses/minimal/lessons/push-pull/checks/push-pull-1/remove",
         "/author/courses/minimal/lessons/push-pull/checks/push-pull-1", None),
        ("/author/courses/minimal/post-test/questions/pt-lo1-1/remove",
         "/author/courses/minimal/post-test/questions/pt-lo1-1", None),
    ],
)  # fmt: skip
def test_an_author_reopening_a_form_address_lands_on_the_form(
    author_client, address: str, page: str, anchor: str | None
) -> None:
    reopened = author_client.get(address)
    assert reopened.status_code == 303
    assert reopened.location == (f"{page}#{anchor}" if anchor else page)
    shown = author_client.get(page)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert f'action="{address}"' in html
    if anchor:
        assert f'id="{anchor}"' in html


def test_review_and_history_forms_lead_to_their_pages(author_client) -> None:
    # With no draft yet these pages show no comment or restore form, so only the address.
    for address, page in [
        ("/author/courses/minimal/comments", "/author/courses/minimal/publish#comments"),
        ("/author/courses/minimal/comments/3/resolve", "/author/courses/minimal/publish#comments"),
        ("/author/courses/minimal/history/2/restore", "/author/courses/minimal/history"),
        ("/author/courses/minimal/history/2/undo", "/author/courses/minimal/history"),
    ]:
        reopened = author_client.get(address)
        assert (reopened.status_code, reopened.location) == (303, page)
        assert author_client.get(page).status_code == 200


def test_the_area_still_refuses_whoever_it_refused(app: Flask, data: Dataset) -> None:
    admin_form = _fill(app, data, "/admin/learners/{user}/role")
    author_form = "/author/courses/minimal/lessons/push-pull/archive"
    with app.app_context():
        outsider = make_user(Role.AUTHOR, full_name="Otto Outsider")  # on no course's team
    learner = sign_in(app.test_client(), data.learners["a"])
    # The address only leads to the page; the page refuses as it always did.
    for address in (admin_form, author_form):
        refused = learner.get(address, follow_redirects=True)
        assert refused.status_code == 403, address
        assert "Tess Teammate" not in refused.get_data(as_text=True)
    for address in (admin_form, author_form):
        assert sign_in(app.test_client(), outsider).get(
            address, follow_redirects=True).status_code == 403  # fmt: skip
    for address in (admin_form, author_form):
        visitor = app.test_client().get(address, follow_redirects=True)
        assert visitor.request.path == "/auth/login", address


def test_opening_the_sign_out_address_signs_nobody_out(app: Flask, client) -> None:
    with app.app_context():
        user = make_user()
    sign_in(client, user)
    unchanged = snapshot_row_counts(app)
    reopened = client.get("/auth/logout")
    assert (reopened.status_code, reopened.location) == (303, "/")
    assert "Sign out" in client.get("/").get_data(as_text=True)  # the form, in the header
    assert client.get("/me").status_code == 200
    unchanged()  # the browser's sign-in record is still there


def test_an_admin_form_sent_after_the_session_ended_comes_back_to_its_page(
    app: Flask, data: Dataset
) -> None:
    # The session is gone (its cookie expired, or the admin signed out in another tab):
    # the area sends the form to sign in with next= the form's own address.
    client = app.test_client()
    learner = data.learners["b"]
    address = f"/admin/learners/{learner.id}/role"
    sent = client.post(address, data={"role": "author", "reason": "Writes for us now."})
    assert sent.status_code == 302
    (after_sign_in,) = parse_qs(urlsplit(sent.location).query)["next"]
    assert after_sign_in == address
    form = {"email": data.admin.email, "password": PASSWORD, "next": after_sign_in}
    back = client.post(sent.location, data=form, follow_redirects=True)
    assert back.status_code == 200
    assert back.request.path == f"/admin/learners/{learner.id}"
    assert f'action="{address}"' in back.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, learner.id).role == Role.LEARNER  # nothing was done


def test_the_enrollment_addresses_are_spelled_as_the_pages_are_and_the_old_ones_still_work(
    app: Flask, data: Dataset
) -> None:
    # US English in what the browser shows; a page opened before the change still posts
    # to the old address, which works as before.
    client = sign_in(app.test_client(), data.admin)
    assert 'action="/admin/learners/enroll"' in client.get("/admin/learners").get_data(
        as_text=True)
    old = client.get("/admin/courses/minimal/enrol")
    new = client.get("/admin/courses/minimal/enroll")
    assert old.status_code == new.status_code == 200
    for address in ("/admin/learners/enrol", "/admin/learners/enroll"):
        assert client.get(address).status_code == 303  # the form's address, reopened
