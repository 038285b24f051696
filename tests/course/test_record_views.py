"""An admin opening one learner's record is audited: who, when, from where and what,
once per admin, page and record in a window; lists, refusals and learners record nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from course import audit
from course.extensions import db
from course.models import AuditEvent, CorrectionRequest, Enrolment, Role
from tests.course.factories import PASSWORD, Clock, make_user, sign_in
from tests.course.test_busy_database import lock_held_elsewhere, waits  # noqa: F401
from tests.course.test_privacy import _fresh

ADMIN_ADDRESS = "203.0.113.7"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(audit, "utcnow", clock)
    return clock


@pytest.fixture
def admin(app, data):
    client = sign_in(app.test_client(), data.admin)
    client.environ_base["REMOTE_ADDR"] = ADMIN_ADDRESS
    return client


def _views(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == audit.RECORD_VIEWED)
            .order_by(AuditEvent.id)
        ))  # fmt: skip


def _enrolment_of(app, user) -> int:
    with app.app_context():
        return db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user.id))


def _ask_for_correction(app, data) -> int:
    learner = sign_in(app.test_client(), data.learners["a"])
    learner.post(f"/me/certificates/{data.certificate_code}/correction",
                 data={"kind": "name", "requested_value": "Alex Rivera", "message": "Accent"})
    with app.app_context():
        return db.session.scalar(select(CorrectionRequest.id))


def test_opening_a_learners_record_is_audited_once_a_window(app, data, admin, clock):
    learner = data.learners["b"]
    assert admin.get(f"/admin/learners/{learner.id}").status_code == 200
    (event,) = _views(app)
    assert event.actor_id == data.admin.id and event.ip_address == ADMIN_ADDRESS
    assert (event.subject_type, event.subject_id) == ("user", str(learner.id))
    assert event.detail == {"page": "learner record", "email": "b@example.org"}
    assert event.created_at == clock.now

    clock.advance(29)
    assert admin.get(f"/admin/learners/{learner.id}").status_code == 200  # a reload
    assert len(_views(app)) == 1
    clock.advance(2)  # 31 minutes after the recorded look: a new one
    assert admin.get(f"/admin/learners/{learner.id}").status_code == 200
    assert [e.created_at for e in _views(app)] == [clock.now - timedelta(minutes=31), clock.now]


def test_each_page_with_one_learners_records_is_audited_with_what_it_shows(
    app, data, admin, clock
):
    a, b = data.learners["a"], data.learners["b"]
    request_id = _ask_for_correction(app, data)
    enrolment = _enrolment_of(app, b)
    code = data.certificate_code
    for url in (f"/admin/learners/{a.id}", f"/admin/learners/{b.id}/enrolments/{enrolment}/checks",
                f"/admin/certificates/{code}", f"/admin/corrections/{request_id}"):
        assert admin.get(url).status_code == 200, url
    assert [(e.subject_id, e.detail, e.ip_address) for e in _views(app)] == [
        (str(a.id), {"page": "learner record", "email": "a@example.org"}, ADMIN_ADDRESS),
        (str(b.id), {"page": "knowledge-check answers", "enrolment": enrolment,
                     "email": "b@example.org"}, ADMIN_ADDRESS),
        (str(a.id), {"page": "certificate", "certificate": code, "email": "a@example.org"},
         ADMIN_ADDRESS),
        (str(a.id), {"page": "correction request", "request": request_id,
                     "email": "a@example.org"}, ADMIN_ADDRESS),
    ]  # fmt: skip
    # Paging through the history, or narrowing it to one check, is the same look.
    admin.get(f"/admin/learners/{b.id}/enrolments/{enrolment}/checks", query_string={"page": 2})
    admin.get(f"/admin/learners/{b.id}/enrolments/{enrolment}/checks",
              query_string={"check": "push-pull-1"})  # fmt: skip
    assert len(_views(app)) == 4


def test_another_admin_looking_is_recorded_for_them(app, data, admin, clock):
    learner = data.learners["c"]
    admin.get(f"/admin/learners/{learner.id}")
    with app.app_context():
        other = make_user(Role.ADMIN, full_name="Otto Other")
    sign_in(app.test_client(), other).get(f"/admin/learners/{learner.id}")
    assert [e.actor_id for e in _views(app)] == [data.admin.id, other.id]


def test_the_window_is_a_setting_and_zero_records_every_look(app, data, admin, clock):
    app.config["AUDIT_VIEW_WINDOW_MINUTES"] = 0
    for _ in range(3):
        admin.get(f"/admin/certificates/{data.certificate_code}")
    assert len(_views(app)) == 3
    app.config["AUDIT_VIEW_WINDOW_MINUTES"] = 120
    admin.get(f"/admin/learners/{data.learners['d'].id}")
    clock.advance(90)
    admin.get(f"/admin/learners/{data.learners['d'].id}")
    assert len(_views(app)) == 4


def test_lists_searches_reports_and_missing_records_record_nothing(app, data, admin, clock):
    a, b = data.learners["a"], data.learners["b"]
    for url, status in (
        ("/admin/", 200), ("/admin/learners?q=example", 200), ("/admin/certificates?q=a", 200),
        ("/admin/corrections", 200), ("/admin/courses/minimal/report", 200),
        ("/admin/audit", 200), ("/admin/learners/9999", 404),
        ("/admin/certificates/NO-SUCH-CODE", 404), ("/admin/corrections/9999", 404),
        # Learner B's enrolment under learner A's address is no page of anyone's.
        (f"/admin/learners/{a.id}/enrolments/{_enrolment_of(app, b)}/checks", 404),
    ):  # fmt: skip
        assert admin.get(url).status_code == status, url
    assert _views(app) == []


def test_an_admins_own_record_and_learners_own_pages_record_nothing(app, data, admin):
    assert admin.get(f"/admin/learners/{data.admin.id}").status_code == 200
    learner = _fresh(app.test_client(), "a@example.org")  # the profile wants a fresh sign-in
    code = data.certificate_code
    for url in ("/me", f"/me/certificates/{code}", f"/me/certificates/{code}.pdf",
                "/courses/minimal", "/auth/profile", "/auth/profile/my-data.json"):
        assert learner.get(url).status_code == 200, url
    assert _views(app) == []


def test_people_refused_the_admin_pages_record_nothing(app, data):
    a = data.learners["a"]
    with app.app_context():
        author = make_user(Role.AUTHOR)
    urls = (f"/admin/learners/{a.id}", f"/admin/certificates/{data.certificate_code}")
    for client, status in ((sign_in(app.test_client(), data.learners["b"]), 403),
                           (sign_in(app.test_client(), author), 403),
                           (app.test_client(), 302)):  # fmt: skip
        for url in urls:
            assert client.get(url).status_code == status, url
    assert _views(app) == []


def test_the_looks_show_in_the_audit_log_filtered_by_action_and_in_its_csv(app, data, admin):
    learner = data.learners["b"]
    admin.get(f"/admin/learners/{learner.id}")
    page = admin.get("/admin/audit", query_string={"action": audit.RECORD_VIEWED})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<caption>1 event," in text
    assert f'<option selected value="{audit.RECORD_VIEWED}">' in text
    assert f"<code>{audit.RECORD_VIEWED}</code>" in text and "learner record" in text
    assert f"user <code>{learner.id}</code>" in text and ADMIN_ADDRESS in text
    response = admin.get("/admin/audit.csv", query_string={"action": audit.RECORD_VIEWED})
    (row,) = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert (row["actor_email"], row["action"], row["subject_id"], row["ip_address"]) == (
        "admin@example.org", audit.RECORD_VIEWED, str(learner.id), ADMIN_ADDRESS)
    assert json.loads(row["detail"])["page"] == "learner record" and row["reason"] == ""


def test_the_learners_data_download_says_who_looked_at_their_record_and_when(app, data, admin):
    admin.get(f"/admin/certificates/{data.certificate_code}")
    client = _fresh(app.test_client(), "a@example.org")
    changed = client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": "a-new-passphrase-for-ada"})  # fmt: skip
    assert changed.status_code == 302
    events = client.get("/auth/profile/my-data.json").get_json()["account_events"]
    (look,) = [e for e in events if e["action"] == audit.RECORD_VIEWED]
    assert look["by"] == "an administrator" and look["at"]
    assert look["detail"]["page"] == "certificate"
    # The admin's name and address are the admin's own: the provider's audit log has them.
    assert "Ada Admin" not in json.dumps(events) and ADMIN_ADDRESS not in json.dumps(events)
    assert look["ip_address"] is None
    rest = [e for e in events if e is not look]
    # The learner's own password change, and the certificate the system issued them.
    assert {e["by"] for e in rest} == {"you", "the system"}
    assert all(e["ip_address"] for e in rest if e["by"] == "you")


def test_a_reload_in_the_window_reads_without_the_write_lock(app, data, admin, waits):  # noqa: F811
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's file lock")
    learner = data.learners["c"]
    admin.get(f"/admin/learners/{learner.id}")
    with lock_held_elsewhere(app):
        waits.clear()
        assert admin.get(f"/admin/learners/{learner.id}").status_code == 200
        assert waits == []  # never asked for the lock
        # A look that is not on record yet cannot be shown unrecorded: the busy page.
        busy = admin.get(f"/admin/learners/{data.learners['d'].id}")
        assert busy.status_code == 503 and "LSW-D" not in busy.get_data(as_text=True)
    assert len(_views(app)) == 1


def test_the_download_lists_what_was_done_to_the_learners_records_not_anothers(app, data):
    # A certificate's events are about its holder: the download lists them, by role.
    events = _fresh(app.test_client(), "a@example.org").get(
        "/auth/profile/my-data.json").get_json()["account_events"]  # fmt: skip
    issued = [e for e in events if e["action"] == "certificate.issued"]
    assert issued and all(e["by"] == "the system" for e in issued)
    others = _fresh(app.test_client(), "b@example.org").get(
        "/auth/profile/my-data.json").get_json()["account_events"]  # fmt: skip
    assert data.certificate_code not in json.dumps(others)
