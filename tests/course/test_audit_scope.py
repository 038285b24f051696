"""Audits by version and period: the roster and audit pack of one version and date range,
and any published version's package from the web and the CLI (an unknown one is refused)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import lessons
from course import issuing
from course.extensions import db
from course.learn import services as learn
from course.models import AuditEvent, Course, PostTestAttempt, Role, User
from tests.course.factories import import_course, join_team, make_user, sign_in
from tests.course.test_admin_dataset import COMMENTS, NAMES, _take_course, build_dataset

#: When each completer finished (noon UTC, the same calendar day in the provider's zone).
COMPLETED = {"a": datetime(2026, 1, 15, 17, tzinfo=UTC), "b": datetime(2026, 2, 10, 17, tzinfo=UTC),
             "e": datetime(2026, 3, 5, 17, tzinfo=UTC)}  # fmt: skip
V2_NAME = "Evan Second-Version"


@pytest.fixture
def two_versions(app, package_copy):
    """A and B completed version 1 (passing score 80); the course then became version 2
    (passing score 90) and E completed that."""
    with app.app_context():
        data = build_dataset(package_copy)
        yaml = package_copy / "course.yaml"
        yaml.write_text(yaml.read_text().replace("passing_score: 80", "passing_score: 90"))
        course = import_course(package_copy)
        assert course.current_version.number == 2
        e = make_user(full_name=V2_NAME, email="e@example.org", licence_number="LSW-E")
        _take_course(course, db.session.get(User, e.id), "a")
        for letter, when in COMPLETED.items():
            user = data.learners.get(letter) or e
            learn.find_enrolment(db.session.get(User, user.id), course).completed_at = when
        db.session.commit()
    return data


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _pack(client, **query) -> zipfile.ZipFile:
    response = client.get("/admin/courses/minimal/audit-pack.zip", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[-400:]
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_each_roster_row_names_version_score_passing_score_and_active_time(app, two_versions):
    admin = sign_in(app.test_client(), two_versions.admin)
    response = admin.get("/admin/courses/minimal/roster.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {r["email"]: r for r in _csv(response.get_data())}
    assert list(rows) == ["a@example.org", "b@example.org", "e@example.org"]
    a, b, e = rows.values()
    assert (a["course_version"], a["score"], a["passing_score"]) == ("1", "100", "80")
    assert (b["course_version"], b["score"], b["passing_score"]) == ("1", "90", "80")
    assert (b["post_test_attempts"], b["participant_name"]) == ("2", "'" + NAMES["b"])
    assert (e["course_version"], e["score"], e["passing_score"]) == ("2", "100", "90")
    # active time beside the estimate of the version taken
    assert (a["active_minutes"], b["active_minutes"]) == ("25.0", "35.0")
    assert float(a["estimated_minutes"]) > 0 and a["minimum_active_minutes"]
    assert a["completed_at"].startswith("2026-01-15")
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "records.roster_exported")
        )
        assert event.actor_id == two_versions.admin.id and event.subject_id == "minimal"


def test_the_roster_narrows_to_a_version_and_a_period(app, two_versions):
    admin = sign_in(app.test_client(), two_versions.admin)

    def emails(**query):
        response = admin.get("/admin/courses/minimal/roster.csv", query_string=query)
        assert response.status_code == 200
        return [r["email"] for r in _csv(response.get_data())]

    assert emails(version=1) == ["a@example.org", "b@example.org"]
    assert emails(version=2) == ["e@example.org"]
    assert emails(start="2026-02-01") == ["b@example.org", "e@example.org"]
    assert emails(start="2026-01-15", end="2026-02-10") == ["a@example.org", "b@example.org"]
    assert emails(version=1, start="2026-02-01", end="2026-12-31") == ["b@example.org"]
    assert emails(version=2, end="2026-02-28") == []
    # empty fields (what the report page's form sends) mean "every"
    assert len(emails(version="", start="", end="")) == 3


def test_each_roster_row_says_the_course_and_contact_hours_it_certifies(app, package_copy):
    """A roster opened alone names the course and the hours of the version each
    certificate was issued for, not what the course says now."""
    with app.app_context():
        data = build_dataset(package_copy)  # A certified on version 1 (0.25 hours), B not
        yaml = package_copy / "course.yaml"
        yaml.write_text(yaml.read_text().replace("contact_hours: 0.25", "contact_hours: 1.5")
                        .replace("(test course)", "(revised)"))  # fmt: skip
        course = import_course(package_copy)
        e = make_user(full_name=V2_NAME, email="e@example.org")
        issuing.issue_certificate(_take_course(course, db.session.get(User, e.id), "a"))
        db.session.commit()
    admin = sign_in(app.test_client(), data.admin)
    rows = {r["email"]: r for r in _csv(admin.get("/admin/courses/minimal/roster.csv").data)}
    v1_title = "Youth Who Run from Foster Care (test course)"
    assert (rows["a@example.org"]["course_title"], rows["a@example.org"]["contact_hours"]) == (
        v1_title, "0.25")  # fmt: skip
    # No certificate: the hours of the version B took, still not the course's current ones.
    assert (rows["b@example.org"]["course_title"], rows["b@example.org"]["contact_hours"]) == (
        v1_title, "0.25")  # fmt: skip
    assert (rows["e@example.org"]["course_title"], rows["e@example.org"]["contact_hours"]) == (
        "Youth Who Run from Foster Care (revised)", "1.5")  # fmt: skip
    readme = _pack(admin).read("README.txt").decode()
    assert "course_title, contact_hours" in readme


def test_the_pack_of_a_version_2_course_carries_every_version_its_completers_took(
    app, two_versions
):
    admin = sign_in(app.test_client(), two_versions.admin)
    archive = _pack(admin)
    names = set(archive.namelist())
    assert {"package/v1/course.yaml", "package/v2/course.yaml", "post-test-attempts.csv"} <= names
    assert "passing_score: 80" in archive.read("package/v1/course.yaml").decode()
    assert "passing_score: 90" in archive.read("package/v2/course.yaml").decode()
    readme = archive.read("README.txt").decode()
    assert "every version, completed at any time" in readme
    assert "version 2" in archive.read("outline.md").decode()

    # completions of January and February only: version 1's completers, version 1's package,
    # though the course is at version 2 (whose facts the outline still states)
    early = _pack(admin, start="2026-01-01", end="2026-02-28")
    assert [r["email"] for r in _csv(early.read("completion-roster.csv"))] == [
        "a@example.org", "b@example.org"
    ]  # fmt: skip
    assert {n.split("/")[1] for n in early.namelist() if n.startswith("package/")} == {"v1", "v2"}
    readme = early.read("README.txt").decode()
    assert "completed from January 1, 2026 to February 28, 2026: 2 completions." in readme
    # None in the period: said in words, as an empty roster reads like a failed export.
    empty = _pack(admin, start="2025-01-01", end="2025-01-31").read("README.txt").decode()
    assert "January 31, 2025: none, so the files about completions" in empty

    # asking for version 1: its outline and package only
    v1 = _pack(admin, version=1)
    assert {n.split("/")[1] for n in v1.namelist() if n.startswith("package/")} == {"v1"}
    # One level of punctuation: "(published December 2, 2026 (Central Time), ...)" nested.
    assert re.search(r"version 1: published \w+ \d+, \d{4}, Central Time; content hash",
                     v1.read("outline.md").decode())
    assert "Passing score: 80%" in v1.read("outline.md").decode()
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "records.audit_pack_downloaded")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event.detail == {"version": "1", "period": "all"}


def test_the_pack_holds_the_attempt_history_reset_attempts_included(app, two_versions):
    with app.app_context():
        b = db.session.get(User, two_versions.learners["b"].id)
        first = db.session.scalar(
            select(PostTestAttempt)
            .where(PostTestAttempt.enrolment_id == learn.find_enrolment(
                b, db.session.get(Course, two_versions.course_id)).id)
            .order_by(PostTestAttempt.number)
        )  # fmt: skip
        first.reset_at, first.reset_reason = datetime(2026, 2, 1, tzinfo=UTC), "Power cut"
        db.session.commit()
    admin = sign_in(app.test_client(), two_versions.admin)
    attempts = _csv(_pack(admin).read("post-test-attempts.csv"))
    by_learner = {}
    for row in attempts:
        by_learner.setdefault(row["email"], []).append(row)
    assert [len(by_learner[e]) for e in ("a@example.org", "b@example.org", "e@example.org")] == [
        1, 2, 1
    ]  # fmt: skip
    b1, b2 = by_learner["b@example.org"]
    assert (b1["attempt"], b1["score"], b1["passed"], b1["counted"]) == ("1", "70", "no", "no")
    assert b1["reset_reason"] == "Power cut" and b1["course_version"] == "1"
    assert (b2["score"], b2["passed"], b2["counted"]) == ("90", "yes", "yes")
    assert by_learner["e@example.org"][0]["course_version"] == "2"
    # C never completed: not in the roster, so not in the history either
    assert "c@example.org" not in by_learner
    roster = {r["email"]: r for r in _csv(_pack(admin).read("completion-roster.csv"))}
    assert roster["b@example.org"]["post_test_attempts"] == "1"  # the reset one no longer counts


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ({"version": 3}, 404, "has no version 3"),
        ({"version": 0}, 400, "A version number from 1."),
        ({"version": "two"}, 400, "Version: Not a valid integer value."),
        ({"start": "2026-03-01", "end": "2026-02-01"}, 400, "The end date is before the start"),
        ({"start": "March 1"}, 400,
         "Completed from: Enter the date as year-month-day, such as 2026-12-02."),
        ({"versoin": 1}, 400, "“versoin” is not an option"),
    ],
)
@pytest.mark.parametrize("download", ["audit-pack.zip", "roster.csv"])
def test_a_bad_version_or_period_is_refused_never_answered_with_everything(
    app, two_versions, download, query, status, says
):
    admin = sign_in(app.test_client(), two_versions.admin)
    response = admin.get(f"/admin/courses/minimal/{download}", query_string=query)
    assert response.status_code == status
    assert says in response.get_data(as_text=True)
    assert response.mimetype == "text/html"


def test_only_admins_take_rosters(app, two_versions):
    learner = sign_in(app.test_client(), two_versions.learners["a"])
    assert learner.get("/admin/courses/minimal/roster.csv").status_code == 403


def test_the_report_page_offers_version_and_period(app, two_versions):
    admin = sign_in(app.test_client(), two_versions.admin)
    page = admin.get("/admin/courses/minimal/report").get_data(as_text=True)
    assert '<option value="1">Version 1</option>' in page
    assert '<option value="2">Version 2</option>' in page
    assert 'formaction="/admin/courses/minimal/roster.csv"' in page


# ---- any published version as its package -----------------------------------------------


def test_any_published_version_downloads_as_its_package_and_an_unknown_one_is_a_404(
    app, two_versions
):
    with app.app_context():
        author = make_user(Role.AUTHOR)
        join_team("minimal", author)
    for who in (two_versions.admin, author):
        client = sign_in(app.test_client(), who)
        for number, passing in ((1, "80"), (2, "90")):
            response = client.get("/author/courses/minimal/package.zip", query_string={
                "version": number})  # fmt: skip
            assert response.status_code == 200
            assert f"minimal-v{number}.zip" in response.headers["Content-Disposition"]
            files = zipfile.ZipFile(io.BytesIO(response.data))
            assert f"passing_score: {passing}" in files.read("minimal/course.yaml").decode()
        for bad in ("3", "0", "1.0", "two", "-1", ""):
            response = client.get("/author/courses/minimal/package.zip", query_string={
                "version": bad})  # fmt: skip
            assert response.status_code == 404, bad
        history = client.get("/author/courses/minimal/history").get_data(as_text=True)
        assert "/author/courses/minimal/package.zip?version=1" in history
        assert "Version 2 package (ZIP)</a> (current)" in history


def test_the_cli_exports_any_published_version_and_refuses_an_unknown_one(
    app, runner, two_versions, tmp_path
):
    old = runner.invoke(
        args=["course", "export", "minimal", str(tmp_path / "v1"), "--version", "1"]
    )
    assert old.exit_code == 0, old.output
    assert "exported version 1" in old.output
    exported = lessons.load_package(tmp_path / "v1" / "minimal")
    assert exported.passing_score == 80
    current = runner.invoke(args=["course", "export", "minimal", str(tmp_path / "now")])
    assert "exported version 2" in current.output
    assert lessons.load_package(tmp_path / "now" / "minimal").passing_score == 90

    missing = runner.invoke(
        args=["course", "export", "minimal", str(tmp_path / "v9"), "--version", "9"]
    )
    assert missing.exit_code == 1
    assert "no version 9 (published: 1, 2); nothing was written" in missing.output
    assert not (tmp_path / "v9").exists()
    zero = runner.invoke(
        args=["course", "export", "minimal", str(tmp_path / "v0"), "--version", "0"]
    )
    assert zero.exit_code == 2 and not (tmp_path / "v0").exists()


def test_a_narrowed_pack_reports_the_evaluations_of_the_completions_it_covers(app, two_versions):
    admin = sign_in(app.test_client(), two_versions.admin)

    def comments(**query):
        archive = _pack(admin, **query)
        return [r["comment"] for r in _csv(archive.read("evaluation-comments.csv"))]

    def minutes_median(**query):
        rows = _csv(_pack(admin, **query).read("evaluation-summary.csv"))
        return next(r["median"] for r in rows if r["item"] == "minutes")

    assert comments() == [COMMENTS["a"], COMMENTS["b"], COMMENTS["a"]]  # A, B, then E
    assert comments(version=1) == [COMMENTS["a"], COMMENTS["b"]]
    assert comments(version=2) == [COMMENTS["a"]]
    assert comments(start="2026-02-01", end="2026-02-28") == [COMMENTS["b"]]
    assert comments(end="2025-12-31") == []
    assert (minutes_median(start="2026-02-01", end="2026-02-28"), minutes_median()) == (
        "60.0", "40.0"
    )  # fmt: skip
    readme = _pack(admin, version=2).read("README.txt").decode()
    assert "evaluation results per item (of the completions covered)" in readme


def test_a_narrowed_pack_measures_the_active_time_of_the_completions_it_covers(
    app, two_versions
):
    admin = sign_in(app.test_client(), two_versions.admin)

    def measured(**query):
        archive = _pack(admin, **query)
        rows = _csv(archive.read("seat-time.csv"))
        return archive.read("seat-time.md").decode(), [int(r["learners_measured"]) for r in rows]

    everyone, everyone_rows = measured()
    v2, v2_rows = measured(version=2)
    february, february_rows = measured(start="2026-02-01", end="2026-02-28")
    assert "among the completions this pack covers" not in everyone
    # Beside the README's count of completions, the whole course's figure says whom it counts.
    assert "who completed every lesson, whether or not they went on to complete" in everyone
    assert "1 learner who completed every lesson among the completions this pack covers" in v2
    assert "1 learner who completed every lesson among the completions" in february
    assert max(v2_rows) == max(february_rows) == 1 < max(everyone_rows)


def test_a_refused_roster_returns_to_the_report_with_the_dates_kept(app, two_versions):
    admin = sign_in(app.test_client(), two_versions.admin)
    refused = admin.get("/admin/courses/minimal/roster.csv",
                        query_string={"version": 1, "start": "2026-12-31", "end": "2026-01-01"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "<h1>Report: " in page
    assert 'href="#end">Completed to (inclusive): The end date is before the start date.' in page
    assert 'value="2026-12-31"' in page and '<option value="1" selected>' in page
    assert 'id="end" name="end" value="2026-01-01" aria-invalid="true"' in page
