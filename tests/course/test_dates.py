"""Dates in the provider's time zone, the US way, with the zone named where it matters."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from course import dates, issuing
from course.audit import record_event
from course.extensions import db
from course.learn import evaluation
from course.models import Certificate, Course, Role
from tests.course.certkit import page_words, pdf_words
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    evaluation_form,
    finish_lessons,
    open_attempt,
    without_minimum_time,
)

LOS_ANGELES = "America/Los_Angeles"
#: 5 pm on December 2 in California is already 1 am on December 3 in UTC.
FIVE_PM_IN_CALIFORNIA = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


@pytest.fixture
def california(make_app):
    return make_app(PROVIDER_TIMEZONE=LOS_ANGELES)


def test_the_helpers_state_an_instant_in_the_providers_zone(california):
    with california.app_context():
        assert dates.local_date(FIVE_PM_IN_CALIFORNIA) == date(2026, 12, 2)
        assert dates.date_label(FIVE_PM_IN_CALIFORNIA) == "December 2, 2026"
        assert dates.date_label(FIVE_PM_IN_CALIFORNIA, zone=True) == (
            "December 2, 2026 (Pacific Time)"
        )
        assert dates.time_label(FIVE_PM_IN_CALIFORNIA) == "5:00 PM PST"
        assert dates.stamp_label(FIVE_PM_IN_CALIFORNIA) == "December 2, 2026, 5:00:00 PM PST"
        assert dates.local_iso(FIVE_PM_IN_CALIFORNIA) == "2026-12-02T17:00:00-08:00"
        summer = datetime(2026, 7, 4, 19, 30, tzinfo=UTC)
        assert dates.time_label(summer) == "12:30 PM PDT"
        # A naive value (as SQLite may return) is UTC, never the server's local time.
        assert dates.local_date(FIVE_PM_IN_CALIFORNIA.replace(tzinfo=None)) == date(2026, 12, 2)
        assert dates.local_date(date(2026, 12, 3)) == date(2026, 12, 3)  # a date stays
        assert dates.date_label(None) == dates.time_label(None) == ""
        assert dates.local_iso(None) is None
        assert dates.day_bounds(date(2026, 12, 2), date(2026, 12, 2)) == (
            datetime(2026, 12, 2, 8, tzinfo=UTC), datetime(2026, 12, 3, 8, tzinfo=UTC)
        )
        assert dates.day_bounds(None, None) == (None, None)


def test_templates_get_the_helpers_as_filters(california):
    with california.test_request_context():
        render = california.jinja_env.from_string(
            "{{ t|date }} / {{ t|date(zone=True) }} / {{ t|time }} / {{ t|stamp }}"
        ).render
        assert render(t=FIVE_PM_IN_CALIFORNIA) == (
            "December 2, 2026 / December 2, 2026 (Pacific Time) / 5:00 PM PST"
            " / December 2, 2026, 5:00:00 PM PST"
        )


def _finish_at(app, client, package_copy, when: datetime, monkeypatch) -> str:
    """Take a new learner through the course, submitting the evaluation at ``when``."""
    with app.app_context():
        import_course(without_minimum_time(package_copy))
        sign_in(client, make_user(full_name="Casey Californian"))
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course))
        form = evaluation_form(course)
    # The evaluation issues the certificate at once: both happen at ``when``, whatever
    # today's date is where the tests run.
    monkeypatch.setattr(evaluation, "utcnow", lambda: when)
    monkeypatch.setattr(issuing, "utcnow", lambda: when)
    client.post("/courses/minimal/evaluation", data=form)
    monkeypatch.undo()
    return client.get("/courses/minimal/certificate").location.rsplit("/", 1)[1]


def test_a_learner_in_california_finishing_at_5_pm_gets_that_days_date(
    california, package_copy, monkeypatch
):
    client = california.test_client()
    code = _finish_at(california, client, package_copy, FIVE_PM_IN_CALIFORNIA, monkeypatch)
    with california.app_context():
        snapshot = db.session.scalar(select(Certificate)).snapshot
    assert snapshot["completed_on"] == "2026-12-02"
    assert snapshot["time_zone"] == LOS_ANGELES
    named = "December 2, 2026 (Pacific Time)"
    assert f"Completed on {named}" in pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    html = page_words(client.get(f"/me/certificates/{code}").get_data(as_text=True))
    assert named in html
    verify = page_words(california.test_client().get(f"/verify/{code}").get_data(as_text=True))
    assert named in verify
    credential = json.loads(client.get(f"/me/certificates/{code}.json").data)
    assert named in credential["description"]
    transcript = page_words(client.get("/me").get_data(as_text=True))
    assert "December 2, 2026" in transcript and "December 3, 2026" not in transcript


def test_a_provider_on_utc_would_date_the_same_completion_the_next_day(
    make_app, package_copy, monkeypatch
):
    app = make_app(PROVIDER_TIMEZONE="UTC")
    client = app.test_client()
    code = _finish_at(app, client, package_copy, FIVE_PM_IN_CALIFORNIA, monkeypatch)
    pdf = pdf_words(client.get(f"/me/certificates/{code}.pdf").data)
    assert "Completed on December 3, 2026 (UTC)" in pdf


def test_csv_exports_and_admin_records_use_the_providers_zone(
    california, package_copy, monkeypatch
):
    client = california.test_client()
    code = _finish_at(california, client, package_copy, FIVE_PM_IN_CALIFORNIA, monkeypatch)
    with california.app_context():
        admin = sign_in(california.test_client(), make_user(role=Role.ADMIN))
        learner_id = db.session.scalar(select(Certificate)).user_id
        record_event(None, "test.evening", "thing", 1).created_at = FIVE_PM_IN_CALIFORNIA
        db.session.commit()
    rows = list(csv.DictReader(io.StringIO(
        admin.get("/admin/records/certificates.csv").get_data().decode("utf-8-sig")
    )))  # fmt: skip
    assert rows[0]["code"] == code
    assert rows[0]["completed_at"] == "2026-12-02T17:00:00-08:00"
    assert rows[0]["issued_at"].endswith("-08:00")
    record = page_words(admin.get(f"/admin/learners/{learner_id}").get_data(as_text=True))
    assert "December 2, 2026, 5:00:00 PM PST" in record  # the evaluation's submission
    # An admin's "December 2" is the provider's December 2, not UTC's.
    found = admin.get("/admin/audit", query_string={"start": "2026-12-02", "end": "2026-12-02",
                                                    "action": "test.evening"})  # fmt: skip
    assert "test.evening" in found.get_data(as_text=True)
    assert "December 2, 2026, 5:00:00 PM PST" in page_words(found.get_data(as_text=True))
    later = admin.get("/admin/audit", query_string={"start": "2026-12-03",
                                                    "action": "test.evening"})  # fmt: skip
    assert "<code>test.evening</code>" not in later.get_data(as_text=True)
