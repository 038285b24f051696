"""Staff pages with several forms: every box has its own id and label, and a refused
account change is told at the top of the learner's record, where the page opens."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from course.models import Role
from tests.course.author_kit import page_form
from tests.course.certificate_kit import earn_certificate, quick
from tests.course.factories import make_user, sign_in


class _Boxes(HTMLParser):
    """Every id on a page, the ``for`` of every label, and the ids of the form boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_for: list[str] = []
        self.boxes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids[found["id"]] += 1
        if tag == "label" and found.get("for"):
            self.label_for.append(found["for"])
        if tag in {"textarea", "select"} or (
            tag == "input" and found.get("type") not in {"hidden", "submit", "button"}
        ):
            self.boxes.append(found.get("id") or "")


def assert_each_box_has_its_own_label(page: str) -> None:
    """No id twice, and every box named by exactly one label that points at it alone."""
    boxes = _Boxes()
    boxes.feed(page)
    assert [i for i, n in boxes.ids.items() if n > 1] == []
    labels = Counter(boxes.label_for)
    for box in boxes.boxes:
        assert box and labels[box] == 1, f"the box {box!r} has {labels[box]} labels"


def _admin(app: Flask) -> FlaskClient:
    with app.app_context():
        return sign_in(app.test_client(), make_user(Role.ADMIN, full_name="Ada Admin"))


def test_a_learners_record_names_each_reason_box_by_its_own_label(
    app: Flask, client: FlaskClient, package_copy
) -> None:
    code = earn_certificate(app, client, quick(package_copy))
    admin = _admin(app)
    learner_id = admin.get(f"/admin/certificates/{code}").get_data(as_text=True)
    learner_id = learner_id.split("/admin/learners/")[1].split('"')[0]
    record = admin.get(f"/admin/learners/{learner_id}").get_data(as_text=True)
    # Correction, role and deactivation each ask for a reason.
    assert record.count("<textarea") >= 3
    assert_each_box_has_its_own_label(record)
    assert_each_box_has_its_own_label(admin.get(f"/admin/certificates/{code}").get_data(True))


def test_the_approval_pages_two_forms_name_their_reasons_apart(app: Flask, course_slug) -> None:
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    admin.post(url, data={**form, "number": "886-999", "reason": "Renewal"})
    page = admin.get(url).get_data(as_text=True)
    assert "Remove it" in page  # the second form, with its own reason
    assert_each_box_has_its_own_label(page)


def test_a_refused_role_change_or_deactivation_is_told_at_the_top(app: Flask) -> None:
    with app.app_context():
        learner = make_user(full_name="Lee Learner")
    admin = _admin(app)
    for action, data, box in (("role", {"role": "author"}, "role-reason"),
                              ("deactivate", {}, "status-reason")):
        refused = admin.post(f"/admin/learners/{learner.id}/{action}", data=data)
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        heading = page.index("<h1")
        # Under the name, above every form of the record, linked to the box in error.
        assert heading < page.index('class="error-summary"') < page.index("<form", heading)
        assert f'<a href="#{box}">Give the reason' in page
        assert f'id="{box}"' in page and 'aria-invalid="true"' in page


def test_an_account_change_is_confirmed_where_the_page_opens(app: Flask) -> None:
    with app.app_context():
        learner = make_user(full_name="Lee Learner")
    admin = _admin(app)
    done = admin.post(f"/admin/learners/{learner.id}/deactivate", data={"reason": "Left"})
    assert done.status_code == 303 and done.location.endswith("?at=account#account")
    page = admin.get(done.location).get_data(as_text=True)
    account = page.index('id="account"')
    assert page.index("Lee Learner is deactivated.") > account
    assert "The account is deactivated: it cannot sign in." in page[account:]


def test_a_post_test_never_opened_reads_not_taken_not_failed(app: Flask, course_slug) -> None:
    with app.app_context():
        learner = make_user(full_name="Lee Learner")
        sign_in(app.test_client(), learner).post(f"/courses/{course_slug}/enrol")
    page = _admin(app).get(f"/admin/learners/{learner.id}").get_data(as_text=True)
    assert "post-test not taken;" in page and "not passed" not in page


def test_a_refused_staff_form_says_error_first_in_the_page_title(
    app: Flask, client: FlaskClient, package_copy
) -> None:
    """As the learner and sign-in pages do: the title is read first by a screen reader."""
    code = earn_certificate(app, client, quick(package_copy))
    admin = _admin(app)
    page = admin.get(f"/admin/certificates/{code}").get_data(as_text=True)
    assert f"<title>Certificate {code} ·" in page
    for action in ("revoke", "reissue"):
        refused = admin.post(f"/admin/certificates/{code}/{action}", data={"reason": ""})
        assert refused.status_code == 422
        assert f"<title>Error: Certificate {code} ·" in refused.get_data(as_text=True)
    learner_id = page.split("/admin/learners/")[1].split("#")[0]
    refused = admin.post(f"/admin/learners/{learner_id}/deactivate", data={"reason": ""})
    assert refused.status_code == 422
    assert "<title>Error: " in refused.get_data(as_text=True)
    assert "<title>Error: " not in admin.get(f"/admin/learners/{learner_id}").get_data(True)


def test_every_staff_form_refused_says_error_first_in_the_title(
    app: Flask, client: FlaskClient, package_copy
) -> None:
    """Pages without a title of their own for it too: a form refused by its validators
    (the approval) and one refused by the service after them (a team email unknown)."""
    earn_certificate(app, client, quick(package_copy))
    admin = _admin(app)
    approval = admin.post("/admin/courses/minimal/approval", data={})
    assert approval.status_code == 422
    assert "<title>Error: " in approval.get_data(as_text=True)
    unknown = admin.post("/admin/courses/minimal/team", data={
        "email": "nobody@example.org", "role": "author", "reason": "Joins the course team"})
    assert unknown.status_code == 422 and "nobody@example.org" in unknown.get_data(as_text=True)
    assert "<title>Error: " in unknown.get_data(as_text=True)
    assert "<title>Error: " not in admin.get("/admin/courses/minimal/team").get_data(True)
