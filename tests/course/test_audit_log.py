"""The audit log: filters that refuse what they do not know, and a CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from course.audit import record_event
from course.extensions import db
from course.models import AuditEvent, Role, User
from tests.course.factories import make_user, sign_in
from tests.course.test_admin_dataset import NAMES, build_dataset


@pytest.fixture
def data(app, minimal_package_dir):
    with app.app_context():
        data = build_dataset(minimal_package_dir)
        formula = db.session.get(User, data.learners["a"].id)  # named =HYPERLINK(...)
        admin = db.session.get(User, data.admin.id)
        for day, actor, action, reason in (
            (1, admin, "user.deactivated", "Shared account"),
            (2, admin, "user.reactivated", "=cmd|' /C calc'!A0"),
            (3, formula, "correction.requested", ""),
        ):
            event = record_event(actor, action, "user", day, {"reason": reason}, "203.0.113.9")
            event.created_at = datetime(2026, 4, day, 9, tzinfo=UTC)
        db.session.commit()
    return data


@pytest.fixture
def admin(app, data):
    return sign_in(app.test_client(), data.admin)


BAD_FILTERS = [
    ({"action": "unknown"},
     "Action: No event in the log has this action yet: choose one from the list."),
    ({"start": "2026-13-01"}, "From: Enter the date as year-month-day, such as 2026-12-02."),
    ({"start": "2026-04-03", "end": "2026-04-01"}, "The end date is before the start date."),
    ({"page": "0"}, "The page must be a whole number from 1."),
    ({"page": "two"}, "The page must be a whole number from 1."),
    ({"who": "ada"}, "“who” is not a filter of the audit log."),
]


def test_an_unknown_or_malformed_filter_is_a_400_that_shows_nothing(admin):
    # One dataset for every case: building it is the slow part.
    for query, problem in BAD_FILTERS:
        response = admin.get("/admin/audit", query_string=query)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert problem in page, query
        assert "nothing is shown" in page and "<code>user.deactivated</code>" not in page
        # The refusal takes focus: the page opens at its top, the reason is below the form.
        assert 'focus-target" role="alert" tabindex="-1" autofocus>' in page, query
        assert admin.get("/admin/audit.csv", query_string=query).status_code == 400, query


def test_known_filters_still_narrow_the_log(admin):
    page = admin.get("/admin/audit", query_string={"action": "user.reactivated"})
    assert page.status_code == 200
    assert "<caption>1 event," in page.get_data(as_text=True)


def test_the_csv_export_has_who_when_where_and_why_with_formulas_neutralised(app, admin, data):
    page = admin.get("/admin/audit", query_string={"start": "2026-04-01", "end": "2026-04-30"})
    assert "Download these events as CSV" in page.get_data(as_text=True)
    response = admin.get(
        "/admin/audit.csv", query_string={"start": "2026-04-01", "end": "2026-04-30"}
    )
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert 'filename="audit-log.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == [
        "correction.requested",
        "user.reactivated",
        "user.deactivated",
    ]
    first, second, third = rows
    assert third["time_utc"].startswith("2026-04-01T09:00:00")
    assert (third["actor_email"], third["reason"], third["ip_address"]) == (
        "admin@example.org",
        "Shared account",
        "203.0.113.9",
    )
    # Cells a spreadsheet would run as formulas start with an apostrophe.
    assert second["reason"] == "'=cmd|' /C calc'!A0"
    assert first["actor_name"] == "'" + NAMES["a"]
    with app.app_context():
        (export,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "records.audit_exported")
        )
        assert export.actor_id == data.admin.id and export.ip_address == "127.0.0.1"
        assert export.detail == {"start": "2026-04-01", "end": "2026-04-30"}
        assert (export.subject_type, export.subject_id) == ("audit_log", "all")


def test_only_admins_export_the_log(app, data):
    learner = sign_in(app.test_client(), data.learners["b"])
    assert learner.get("/admin/audit.csv").status_code == 403


def test_time_columns_name_the_zone_their_times_are_in_and_the_csv_stays_utc(app, admin, data):
    # The provider's zone (Central here) is what the cells show, so the headings say it.
    assert app.config["PROVIDER_TIMEZONE"] == "America/Chicago"
    log = admin.get("/admin/audit").get_data(as_text=True)
    learner = admin.get(f"/admin/learners/{data.learners['a'].id}").get_data(as_text=True)
    for page in (log, learner):
        assert "Time (UTC)" not in page
        assert '<th scope="col">Time (Central Time)</th>' in page
    assert "April 1, 2026, 4:00:00 AM CDT" in log
    assert "AM CDT" in learner or "PM CDT" in learner or " CST" in learner
    assert "(4 of 4 steps, 100%)" in learner  # the share says what it counts
    body = admin.get("/admin/audit.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert "2026-04-01T09:00:00+00:00" in [row["time_utc"] for row in rows]


def test_an_empty_log_says_so_instead_of_showing_an_empty_table(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN, email="first.admin@example.org")
    page = sign_in(client, admin).get("/admin/audit").get_data(as_text=True)
    assert "No events yet." in page and "<table" not in page
    narrowed = client.get("/admin/audit", query_string={"actor": "nobody"})
    assert "No events match these filters." in narrowed.get_data(as_text=True)


def test_command_line_changes_are_logged_with_who_where_and_why(
    app, client, runner, minimal_package_dir
):
    made = runner.invoke(args=["users", "create-admin", "--email", "ops@example.org",
                               "--name", "Olu Ops", "--reason", "first admin of the site"],
                         input="a long pass phrase\na long pass phrase\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    for _ in range(2):  # the second import changes nothing, so it records nothing
        imported = runner.invoke(args=["course", "import", str(minimal_package_dir),
                                       "--reason", "yearly review"])  # fmt: skip
        assert imported.exit_code == 0, imported.output
    with app.app_context():
        events = {e.action: e for e in db.session.scalars(select(AuditEvent))}
        assert sorted(events) == ["course.imported", "user.created"]
        for event in events.values():
            assert event.actor_id is None and event.ip_address is None
            assert event.detail["via"] == "command line"
            assert event.detail["os_user"] and event.detail["host"]
        assert events["course.imported"].detail["reason"] == "yearly review"
        assert events["course.imported"].detail["version"] == 1
        assert events["user.created"].detail["reason"] == "first admin of the site"
        admin = db.session.scalar(select(User).where(User.email == "ops@example.org"))
        db.session.expunge(admin)
    page = sign_in(client, admin).get("/admin/audit").get_data(as_text=True)
    assert "<caption>2 events, newest first</caption>" in page
    assert page.count("Command line") == 2 and "(command line)" in page
    with app.app_context():
        record_event(None, "certificate.issued", "certificate", "ABCD")  # the system's own
        db.session.commit()
    body = client.get("/admin/audit.csv").get_data().decode("utf-8-sig")
    actors = {row["action"]: (row["actor_email"], row["actor_name"])
              for row in csv.DictReader(io.StringIO(body))}  # fmt: skip
    # Named as the log page names them: with both blank, a spreadsheet filter could not
    # tell a command someone ran from what the system did on its own.
    os_user = events["course.imported"].detail["os_user"]
    assert actors["course.imported"] == ("", f"Command line ({os_user})")
    assert actors["certificate.issued"] == ("", "System")


def test_create_admin_refuses_a_password_typed_into_the_command(app, runner):
    refused = runner.invoke(args=["users", "create-admin", "--email", "ops@example.org",
                                  "--name", "Olu Ops", "--password", "a long pass phrase",
                                  "--reason", "first admin of the site"])  # fmt: skip
    assert refused.exit_code != 0
    assert "type it at the prompt, or set ADMIN_PASSWORD" in refused.output
    with app.app_context():
        assert db.session.scalar(select(AuditEvent)) is None


def test_an_import_that_makes_a_version_needs_a_reason_and_keeps_it_as_the_note(
    app, runner, minimal_package_dir
):
    from course.models import Course, CourseVersion

    refused = runner.invoke(args=["course", "import", str(minimal_package_dir)])
    assert refused.exit_code != 0
    assert "say why with --reason: this import makes version 1 of minimal" in refused.output
    with app.app_context():
        assert db.session.scalar(select(Course)) is None  # nothing imported
    made = runner.invoke(args=["course", "import", str(minimal_package_dir),
                               "--reason", "first release"])  # fmt: skip
    assert made.exit_code == 0, made.output
    with app.app_context():
        note = db.session.scalar(select(CourseVersion.note))
        assert note.startswith("first release (imported on the command line by ")
    # The same package again makes no version, so it needs no reason.
    assert runner.invoke(args=["course", "import", str(minimal_package_dir)]).exit_code == 0
    # Without a path: the packages in CONTENT_DIR, where a deployment keeps its own.
    app.config["CONTENT_DIR"] = str(minimal_package_dir.parent)
    again = runner.invoke(args=["course", "import"])
    assert again.exit_code == 0 and "minimal" in again.output, again.output
    app.config["CONTENT_DIR"] = str(minimal_package_dir / "missing")
    lost = runner.invoke(args=["course", "import"])
    assert lost.exit_code != 0 and "CONTENT_DIR" in lost.output


def test_each_event_names_whom_it_is_about_on_the_page_and_in_the_csv(app, admin, data):
    learner = data.learners["b"]
    with app.app_context():
        name = db.session.get(User, learner.id).full_name
        record_event(None, "certificate.issued", "certificate", data.certificate_code)
        record_event(None, "user.deactivated", "user", learner.id, {"reason": "Left"})
        db.session.commit()
    rows = list(csv.DictReader(io.StringIO(
        admin.get("/admin/audit.csv").get_data().decode("utf-8-sig"))))
    named = {(row["subject_type"], row["subject_id"]): row["subject_name"] for row in rows}
    # An auditor reads whose account and whose certificate without looking ids up (the
    # CSV writer still neutralises a name a spreadsheet would run as a formula).
    assert named[("user", str(learner.id))] == "'" + name
    assert named[("certificate", data.certificate_code)].lstrip("'") in NAMES.values()
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert f'<code>{learner.id}</code><br><span class="meta">{name}</span>' in page


def test_create_admin_holds_the_first_admin_to_the_sign_in_forms_rules(app, runner):
    # An address the reset form refuses, or a one-letter password, on the most powerful
    # account: the web would have refused both.
    for email, password, said in [
        ("ops@example.org", "x", "the password is refused: Use at least 8 characters."),
        ("ops@example.org", "password", "the password is refused: That password is one"),
        ("ops.example.org", "a long pass phrase", "'ops.example.org' is not an email address"),
    ]:
        refused = runner.invoke(args=["users", "create-admin", "--email", email,
                                      "--name", "Olu Ops", "--reason", "first admin"],
                                env={"ADMIN_PASSWORD": password})  # fmt: skip
        assert refused.exit_code == 1, refused.output
        assert said in refused.output
    with app.app_context():
        assert db.session.scalar(select(User)) is None
