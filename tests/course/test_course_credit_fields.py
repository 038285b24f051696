"""Authors, disclosure, references and the approval: on the course page, the certificate and
the audit pack; an admin records an approval with a reason."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import event, select

from course.extensions import db
from course.models import AuditEvent, Certificate, CourseApproval, Role
from lessons import editing
from tests.course.author_kit import BASE, flashes, page_form
from tests.course.certkit import finish_course, page_words, pdf_words
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import without_minimum_time

APPROVAL_BLOCK = """  approval:
    body: Example Board of Social Work
    number: "886-123"
    statement: This course is approved for 0.25 General continuing-education contact hours.
"""
EXTRAS = """authors:
  - name: Course development team, Riverside Center
    credentials: MSW, LCSW
    role: Authors
disclosure: |
  The authors have no conflicts of interest. This course received **no commercial support**.
references:
  - "Polaris. (2023). *Annual report*. [Polaris](https://polarisproject.org/reports)"
  - National Center for Missing & Exploited Children. (2024). *Missing from care*.
approval:
  body: Example Board of Social Work
  number: "886-123"
  statement: This course is approved for 0.25 General continuing-education contact hours.
  period_start: {start}
  period_end: {end}
"""


def _with_extras(package_dir: Path, start: str = "2020-01-01", end: str = "2099-12-31") -> Path:
    """Give the package a role, disclosure, references and a top-level approval."""
    manifest = package_dir / "course.yaml"
    text = manifest.read_text().replace(APPROVAL_BLOCK, "")
    head, tail = text.split("authors:\n", 1)
    tail = tail.split("provider:", 1)[1]
    manifest.write_text(head + EXTRAS.format(start=start, end=end) + "provider:" + tail)
    return package_dir


def _admin(app):
    with app.app_context():
        return sign_in(app.test_client(), make_user(role=Role.ADMIN))


def test_the_course_page_shows_authors_disclosure_references_and_approval(
    app, client, package_copy
):
    _with_extras(package_copy)
    finish_course(app, client, package_copy)
    page = page_words(client.get("/courses/minimal").get_data(as_text=True))
    assert "Course development team, Riverside Center, MSW, LCSW (Authors)" in page
    assert "<strong>no commercial support</strong>" in page
    assert '<a href="https://polarisproject.org/reports"' in page
    assert "<em>Missing from care</em>" in page
    assert "Example Board of Social Work, approval number 886-123" in page


def test_the_certificate_prints_the_author_role_and_an_approval_in_its_period(
    app, client, package_copy
):
    _with_extras(package_copy)
    _, code = finish_course(app, client, package_copy)
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    assert "Course development team, Riverside Center, MSW, LCSW (Authors)" in pdf
    assert "Approved by Example Board of Social Work" in pdf and "886-123" in pdf
    # A board checking the code sees the same approval.
    public = page_words(app.test_client().get(f"/verify/{code}").get_data(as_text=True))
    # The body and number first, said once, then the statement as the body worded it.
    assert ("<dt>Approval</dt><dd>Approved by Example Board of Social Work, approval no. "
            '<span class="keep-whole">886-123</span>. <span class="approval-statement">'
            "This course is approved for 0.25 General" in public)
    assert public.count("886-123") == 1
    learners = page_words(client.get(f"/me/certificates/{code}").get_data(as_text=True))
    assert "<dt>Approval</dt><dd>Approved by Example Board of Social Work" in learners


def test_a_completion_outside_the_approval_period_claims_no_approval(app, client, package_copy):
    _with_extras(package_copy, start="2020-01-01", end="2020-12-31")
    _, code = finish_course(app, client, package_copy)
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    assert "Approved by" not in pdf and "886-123" not in pdf
    public = page_words(app.test_client().get(f"/verify/{code}").get_data(as_text=True))
    assert "<dt>Approval</dt><dd>None stated on this certificate.</dd>" in public
    with app.app_context():
        snapshot = db.session.scalar(select(Certificate)).snapshot
    assert snapshot["approval_body"] is None and snapshot["approval_number"] is None


def test_an_admin_records_an_approval_with_a_reason_and_it_is_audited(app, client, package_copy):
    _, first = finish_course(app, client, package_copy)  # under the package's approval
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    assert form["body"] == ["Example Board of Social Work"]  # filled from the package
    form.update({"number": "886-999", "period_start": "2026-01-01", "period_end": "2099-12-31",
                 "reason": "Renewal letter of March 3, 2026"})  # fmt: skip
    page = flashes(admin, admin.post(url, data=form, environ_base={"REMOTE_ADDR": "203.0.113.9"}))
    assert "Approval recorded" in page and "886-999" in page
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "course.approval_set")
        )
        assert event.detail["reason"] == "Renewal letter of March 3, 2026"
        assert event.detail["before"]["number"] == "886-123"
        assert event.detail["after"]["number"] == "886-999"
        assert event.ip_address == "203.0.113.9" and event.actor.role == Role.ADMIN
    # The next certificate prints the new number; the one already issued keeps its own.
    _, second = finish_course(app, app.test_client(), package_copy)
    with app.app_context():
        snapshots = {c.code: c.snapshot for c in db.session.scalars(select(Certificate))}
    assert snapshots[first]["approval_number"] == "886-123"
    assert snapshots[second]["approval_number"] == "886-999"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "Give the reason for this change."),
        ({"number": ""}, "Give the approval number."),
        ({"period_start": "2027-01-01", "period_end": "2026-01-01"},
         "The approval period ends before it starts."),
        ({"period_end": "31/12/2028"}, "Enter the date as year-month-day, such as 2026-12-02."),
    ],
)  # fmt: skip
def test_an_incomplete_approval_is_refused_and_nothing_changes(
    app, course_slug, changes, message
):
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    form.update({"reason": "New letter", **changes})
    response = admin.post(url, data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CourseApproval)) is None
        assert db.session.scalar(select(AuditEvent)) is None


def test_removing_the_record_brings_back_the_packages_approval(app, course_slug):
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    form.update({"number": "886-999", "reason": "Interim number"})
    admin.post(url, data=form)
    assert "886-999" in page_words(app.test_client().get("/courses/minimal").get_data(True))
    refused = admin.post(f"{url}/clear", data={"reason": ""})
    assert refused.status_code == 422
    page = flashes(admin, admin.post(f"{url}/clear", data={"reason": "Board restored the number"}))
    assert "From the course package" in page_words(page) and "886-123" in page
    assert "886-123" in page_words(app.test_client().get("/courses/minimal").get_data(True))
    with app.app_context():
        assert db.session.scalar(select(CourseApproval)) is None
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["course.approval_set", "course.approval_cleared"]


def test_the_course_page_reads_the_recorded_approval_in_its_one_course_query(
    app, client, course_slug
):
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    admin.post(url, data={**form, "number": "886-999", "reason": "Renewal"})
    with app.app_context():
        sign_in(client, make_user())
        client.post("/courses/minimal/enrol")
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get("/courses/minimal").get_data(as_text=True)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    assert "886-999" in page_words(page)
    # The signed-in user, then the course with enrolment and approval, then progress.
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3, reads


def test_only_admins_record_approvals(app, client, course_slug):
    with app.app_context():
        sign_in(client, make_user(role=Role.AUTHOR))
    assert client.get("/admin/courses/minimal/approval").status_code == 403
    posted = client.post("/admin/courses/minimal/approval/clear", data={"reason": "x"})
    assert posted.status_code == 403
    assert _admin(app).get("/admin/courses/no-such/approval").status_code == 404


def test_the_audit_pack_outline_shows_authors_disclosure_and_references(
    app, client, package_copy
):
    _with_extras(package_copy)
    finish_course(app, client, package_copy)
    data = _admin(app).get("/admin/courses/minimal/audit-pack.zip").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        outline = archive.read("outline.md").decode()
    assert "- Course development team, Riverside Center, MSW, LCSW (Authors)" in outline
    assert "## Disclosure" in outline and "**no commercial support**" in outline
    assert "- Polaris. (2023). *Annual report*." in outline
    assert "approved from January 1, 2020 until December 31, 2099 (from the package)" in outline
    assert "Sample, not valid for continuing-education credit" in outline  # no provider set


def test_the_settings_form_writes_roles_disclosure_references_and_the_approval_period(
    app, author_client
):
    url = f"{BASE}/settings"
    data = page_form(author_client.get(url).get_data(as_text=True), "base_revision")
    data.update({
        "authors-0-role": "Lead author",
        "disclosure": "No conflicts of interest.",
        "references": "First, A. (2020). *One*.\r\n\r\nSecond, B. (2021). *Two*.",
        "approval_start": "2026-01-01",
        "approval_end": "2028-12-31",
        "action": "save",
    })  # fmt: skip
    flashes(author_client, author_client.post(url, data=data))
    from course.models import CourseDraft

    with app.app_context():
        text = db.session.scalar(select(CourseDraft)).files["course.yaml"]
    manifest = editing.read_yaml(text)
    assert manifest["authors"][0] == {"name": "Alex Rivera", "credentials": "LCSW",
                                      "role": "Lead author"}  # fmt: skip
    assert "role" not in manifest["authors"][1]
    assert manifest["disclosure"] == "No conflicts of interest."
    assert manifest["references"] == ["First, A. (2020). *One*.", "Second, B. (2021). *Two*."]
    # The minimal package keeps its approval under provider: (the older place) ...
    assert "approval" not in manifest
    assert manifest["provider"]["approval"]["period_start"] == "2026-01-01"
    assert manifest["provider"]["approval"]["number"] == "886-123"
    page = author_client.get(url).get_data(as_text=True)
    assert 'value="2028-12-31"' in page and "Lead author" in page


def test_a_package_with_a_top_level_approval_keeps_it_there(app, client, package_copy):
    _with_extras(package_copy)
    from tests.course.factories import import_course, join_team

    with app.app_context():
        import_course(package_copy)
        sign_in(client, join_team("minimal", make_user(role=Role.AUTHOR)))
    url = f"{BASE}/settings"
    data = page_form(client.get(url).get_data(as_text=True), "base_revision")
    data.update({"approval_end": "2030-06-30", "action": "save"})
    flashes(client, client.post(url, data=data))
    from course.models import CourseDraft

    with app.app_context():
        manifest = editing.read_yaml(db.session.scalar(select(CourseDraft)).files["course.yaml"])
    assert manifest["approval"]["period_end"] == "2030-06-30"
    assert manifest["provider"] == {"name": "Example CE Provider"}


def test_an_approval_recorded_late_says_how_many_certificates_state_none(
    make_app, package_copy
):
    # A real provider: a sample certifies nothing, so it is never counted (nor reissued).
    app = make_app(PROVIDER_NAME="Riverside Center for Child Welfare Training")
    client = app.test_client()
    with app.app_context():
        import_course(without_minimum_time(package_copy))
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    # The approval lapsed before the learner finished: their certificate states none.
    form.update({"period_start": "2025-01-01", "period_end": "2025-12-31",
                 "reason": "The approval as it stood"})  # fmt: skip
    admin.post(url, data=form)
    finish_course(app, client, package_copy)
    form.update({"period_start": "2026-01-01", "period_end": "2027-12-31",
                 "reason": "Renewal letter, backdated to January 1"})  # fmt: skip
    page = page_words(flashes(admin, admin.post(url, data=form)))
    assert ("1 valid certificate for completions the approval covers was issued before it "
            "and states no approval.") in page
    # A period none of them falls in says nothing more.
    form.update({"period_start": "2027-01-01", "period_end": "2027-12-31", "reason": "Next"})
    assert "issued before it" not in page_words(flashes(admin, admin.post(url, data=form)))


def test_a_reason_typed_with_its_own_period_reads_as_one_sentence(app, course_slug):
    admin = _admin(app)
    url = "/admin/courses/minimal/approval"
    form = page_form(admin.get(url).get_data(as_text=True), "reason")
    form.update({"number": "886-999", "reason": "Renewal letter of March 3, 2026."})
    page = page_words(flashes(admin, admin.post(url, data=form)))
    assert "Renewal letter of March 3, 2026. <a href" in page
    assert "2026.." not in page
