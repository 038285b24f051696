"""The audit log narrowed to one learner: who opened or changed their record, in one click."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from course.extensions import db
from course.models import AuditEvent, Enrolment, PostTestAttempt, User
from tests.course.factories import sign_in

#: What the admin does below that is about learner A, and what the dataset recorded.
ABOUT_A = [
    ("certificate", "certificate.issued"),
    ("certificate", "certificate.revoked"),
    ("user", "user.deactivated"),
    ("user", "user.record_viewed"),
    ("user", "user.record_viewed"),
]


@pytest.fixture
def admin(app, data):
    """An admin who looked at and changed A's record, and B's and C's."""
    client = sign_in(app.test_client(), data.admin)
    a, b, c = (data.learners[letter] for letter in "abc")
    client.get(f"/admin/learners/{a.id}")
    client.get(f"/admin/certificates/{data.certificate_code}")  # a second look at A's records
    client.post(f"/admin/certificates/{data.certificate_code}/revoke",
                data={"reason": "Completed under another learner's login"})  # fmt: skip
    for learner in (a, b):
        client.post(f"/admin/learners/{learner.id}/deactivate", data={"reason": "Shared login"})
    client.get(f"/admin/learners/{c.id}")
    with app.app_context():
        attempt = db.session.scalar(
            select(PostTestAttempt.id)
            .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
            .where(Enrolment.user_id == c.id)
        )
    client.post(f"/admin/learners/{c.id}/attempts/reset",
                data={"attempt": attempt, "reason": "Power cut mid-test"})
    return client


def _rows(client, **query) -> list[dict[str, str]]:
    response = client.get("/admin/audit.csv", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _about(rows) -> list[tuple[str, str]]:
    return sorted((row["subject_type"], row["action"]) for row in rows)


def test_the_learner_filter_by_email_finds_the_looks_and_changes_about_them_only(app, admin, data):
    page = admin.get("/admin/audit", query_string={"learner": "  A@Example.ORG "})
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200
    assert f"<caption>{len(ABOUT_A)} events, newest first</caption>" in text
    assert "(a@example.org): their account, enrollments" in text
    assert "attempt.reset" not in text.split("<table")[1]  # C's, in the choices only
    rows = _rows(admin, learner="a@example.org")
    assert _about(rows) == ABOUT_A
    a = data.learners["a"]
    assert {row["subject_id"] for row in rows} == {str(a.id), data.certificate_code}
    # B was deactivated in the same way, by the same admin: not an event about A.
    assert len(_rows(admin, action="user.deactivated")) == 2


def test_events_about_a_learners_attempts_are_theirs_too(admin, data):
    rows = _rows(admin, learner="c@example.org")
    assert _about(rows) == [("post_test_attempt", "attempt.reset"), ("user", "user.record_viewed")]
    assert _about(_rows(admin, learner="d@example.org")) == []


def test_a_name_matches_as_the_actor_filter_does_and_a_part_of_an_email_does_not(admin, data):
    assert _about(_rows(admin, learner="hyperlink")) == ABOUT_A  # A is =HYPERLINK(...)
    assert _about(_rows(admin, learner="@sum")) == [("user", "user.deactivated")]  # B, @SUM(1)
    # "a@example.org" ends "joanna@example.org" too: only a whole address names one person.
    page = admin.get("/admin/audit", query_string={"learner": "a@example"})
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200 and "<table" not in text
    assert "No account matches “a@example”, so no events are shown." in text
    assert "No events match these filters." not in text  # one message, the one that says why


def test_the_csv_download_honours_the_learner_filter_and_records_it(app, admin, data):
    a = data.learners["a"]
    assert _about(_rows(admin, learner_id=a.id, action="user.record_viewed")) == ABOUT_A[3:]
    with app.app_context():
        export = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "records.audit_exported")
        ).one()
        assert export.detail == {"learner_id": str(a.id), "action": "user.record_viewed"}


def test_the_learner_page_links_to_the_log_of_events_about_them(app, admin, data):
    a = data.learners["a"]
    record = admin.get(f"/admin/learners/{a.id}").get_data(as_text=True)
    link = f'<a href="/admin/audit?learner_id={a.id}">Who opened or changed this record</a>'
    assert link in record
    with app.app_context():  # the link names the account, so an email change keeps it
        db.session.get(User, a.id).email = "alex.new@example.org"
        db.session.commit()
    page = admin.get(f"/admin/audit?learner_id={a.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # This second look at the record, within the window, added no event.
    assert f"<caption>{len(ABOUT_A)} events, newest first</caption>" in text
    # The filter box says whom, and unticking the box (then Filter) drops it.
    assert f'name="learner_id" value="{a.id}" checked>' in text
    assert "(alex.new@example.org)</label>" in text
    assert f'href="/admin/audit.csv?learner_id={a.id}"' in text


def test_a_learner_that_matches_nobody_is_an_empty_log_that_says_why(admin):
    for query, message in (
        ({"learner": "nobody@example.org"}, "No account matches “nobody@example.org”"),
        ({"learner": "Nobody Atall"}, "No account matches “Nobody Atall”"),
        ({"learner_id": "99999"}, "There is no account 99999"),
    ):
        page = admin.get("/admin/audit", query_string=query)
        text = " ".join(page.get_data(as_text=True).split())
        assert page.status_code == 200, query
        assert message in text and "<table" not in text, query
        assert _rows(admin, **query) == [], query


def test_a_malformed_learner_account_is_refused_like_any_malformed_filter(admin):
    for value in ("abc", "0"):
        page = admin.get("/admin/audit", query_string={"learner_id": value})
        assert page.status_code == 400 and "Learner account:" in page.get_data(as_text=True)
        assert admin.get("/admin/audit.csv", query_string={"learner_id": value}).status_code == 400
