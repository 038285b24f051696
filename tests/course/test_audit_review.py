"""What an accreditor reads in the audit pack and the certificate records, checked as they
would read them: the blueprint against the real draw, reasons for replaced certificates,
the time zone named, the columns explained."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from course import issuing
from course.extensions import db
from course.learn import services as learn
from course.models import Certificate, Course, Question, QuestionKind, Role, User
from lessons.draw import plan_shares
from tests.course.factories import import_course, make_user, sign_in

REAL_COURSE = Path(__file__).resolve().parents[2] / "content" / "running-behavior"


def _pack(client, slug: str, **query) -> zipfile.ZipFile:
    response = client.get(f"/admin/courses/{slug}/audit-pack.zip", query_string=query)
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(response.data))


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_the_blueprint_expects_what_the_draw_by_objective_gives(app):
    with app.app_context():
        import_course(REAL_COURSE)
        admin = make_user(Role.ADMIN)
    rows = _csv(_pack(sign_in(app.test_client(), admin), "running-behavior"),
                "post-test-blueprint.csv")
    sizes = {row["objective"]: int(row["questions_in_bank"]) for row in rows}
    assert len(set(sizes.values())) > 1, "the banks differ in size, or this proves nothing"
    draw = int(rows[0]["draw"])
    rng, runs = random.Random(7), 4000
    totals = dict.fromkeys(sizes, 0)
    for _ in range(runs):
        for objective, share in plan_shares(list(sizes), sizes, draw, rng).items():
            totals[objective] += share
    # What an attempt really draws for each objective, on average, against the file.
    for row in rows:
        assert abs(float(row["expected_per_attempt"]) - totals[row["objective"]] / runs) < 0.06, row
    assert sum(float(row["expected_per_attempt"]) for row in rows) == pytest.approx(draw, abs=0.4)


@pytest.fixture
def corrected(app, data):
    """B certified and then reissued after a name correction; A's certificate revoked,
    both through the admin's own forms."""
    with app.app_context():
        course = db.session.get(Course, data.course_id)
        b = db.session.get(User, data.learners["b"].id)
        b_code = issuing.issue_certificate(learn.find_enrolment(b, course)).code
        db.session.commit()
    client = sign_in(app.test_client(), data.admin)
    fixed = client.post(f"/admin/learners/{data.learners['b'].id}/details", data={
        "full_name": "Bea Corrected", "licence_number": "LSW-B", "licence_jurisdiction": "",
        "reissue": "y", "reason": "Name misspelled; learner's email of December 1",
    })  # fmt: skip
    assert fixed.status_code == 303, fixed.get_data(as_text=True)[:500]
    revoked = client.post(f"/admin/certificates/{data.certificate_code}/revoke",
                          data={"reason": "Completion shared between two people"})
    assert revoked.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(Certificate).where(Certificate.code == b_code))
        replacement = db.session.get(Certificate, new.superseded_by_id)
        return {"client": client, "replaced": b_code, "replacement": replacement.code}


def _by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in rows}


def test_a_replaced_certificate_says_when_and_why_in_the_certificate_csv(corrected):
    response = corrected["client"].get("/admin/records/certificates.csv")
    rows = _by_code(list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")))))
    old, new = rows[corrected["replaced"]], rows[corrected["replacement"]]
    assert old["status"] == "superseded" and old["superseded_by_code"] == new["code"]
    assert old["superseded_reason"] == "Name misspelled; learner's email of December 1"
    assert old["superseded_at"] == new["issued_at"]  # the replacement was issued then
    assert new["superseded_at"] == new["superseded_reason"] == ""


def test_the_audit_pack_holds_every_certificate_with_its_why(corrected, data):
    archive = _pack(corrected["client"], "minimal")
    rows = _by_code(_csv(archive, "certificates.csv"))
    assert set(rows) == {data.certificate_code, corrected["replaced"], corrected["replacement"]}
    assert rows[data.certificate_code]["status"] == "revoked"
    assert rows[data.certificate_code]["revoked_reason"] == "Completion shared between two people"
    assert rows[corrected["replaced"]]["superseded_reason"].startswith("Name misspelled")
    assert rows[corrected["replacement"]]["snapshot_participant_name"] == "Bea Corrected"
    # What was certified, not the account's license today: personal data an accreditor
    # does not need (the admin's own certificates CSV keeps it, for corrections).
    assert "account_license_number" not in rows[corrected["replacement"]]
    assert "snapshot_license_number" in rows[corrected["replacement"]]
    # The same completions as the roster: its codes are the certificates as they stand.
    roster = {row["certificate_code"] for row in _csv(archive, "completion-roster.csv")}
    assert roster == {data.certificate_code, corrected["replacement"]}
    # A pack narrowed to a period without completions holds no certificate either.
    empty = _pack(corrected["client"], "minimal", start="2001-01-01", end="2001-12-31")
    assert _csv(empty, "certificates.csv") == []


def test_the_pack_readme_names_the_time_zone_and_explains_every_column(corrected, data):
    archive = _pack(corrected["client"], "minimal")
    readme = archive.read("README.txt").decode()
    assert "Central Time (America/Chicago)" in readme  # the provider's zone (the default)
    # Who pulled the records, as the certificate ZIP's README says too.
    first = readme.splitlines()[0]
    assert first.endswith(f" by {data.admin.full_name} ({data.admin.email}).")
    completed = datetime.fromisoformat(_csv(archive, "completion-roster.csv")[0]["completed_at"])
    assert completed.utcoffset() == completed.astimezone(ZoneInfo("America/Chicago")).utcoffset()
    explained = readme.split("Columns", 1)[1]
    for name in ("completion-roster.csv", "post-test-attempts.csv", "certificates.csv",
                 "course-versions.csv", "approval-changes.csv", "item-analysis.csv"):
        header = archive.read(name).decode("utf-8-sig").splitlines()[0].split(",")
        section = explained.split(f"\n{name}\n", 1)[1].split(".csv\n", 1)[0]
        unexplained = [
            column for column in header
            if column not in section and f"{column.split('_')[0]}_*" not in section
        ]  # fmt: skip
        assert unexplained == [], (name, unexplained)
    assert "certificates.csv" in readme.split("Columns", 1)[0]  # listed among the files


def test_a_certificate_page_tells_what_was_done_to_it_and_why(corrected, data):
    client = corrected["client"]
    old = client.get(f"/admin/certificates/{corrected['replaced']}").get_data(as_text=True)
    history = old.split('id="history"', 1)[1]
    assert "Reissued as" in history and corrected["replacement"] in history
    assert "Name misspelled; learner&#39;s email of December 1" in history
    assert "Ada Admin" in history  # who did it
    assert "Bea Corrected" in history  # what changed, beside the old name
    new = client.get(f"/admin/certificates/{corrected['replacement']}").get_data(as_text=True)
    assert f"Replaces <a href=\"/admin/certificates/{corrected['replaced']}\">" in new
    revoked = client.get(f"/admin/certificates/{data.certificate_code}").get_data(as_text=True)
    assert "Completion shared between two people" in revoked.split('id="history"', 1)[1]


@pytest.mark.parametrize("form", ["revoke", "reissue"])
def test_a_certificate_form_address_opened_by_get_leads_to_its_section(data, app, form):
    client = sign_in(app.test_client(), data.admin)
    response = client.get(f"/admin/certificates/{data.certificate_code}/{form}")
    assert response.status_code == 303
    assert response.location.endswith(f"/admin/certificates/{data.certificate_code}#{form}")
    page = client.get(response.location.split("#")[0]).get_data(as_text=True)
    assert f'id="{form}"' in page


def test_the_approval_removal_address_opened_by_get_leads_to_its_section(data, app):
    client = sign_in(app.test_client(), data.admin)
    saved = client.post("/admin/courses/minimal/approval", data={
        "body": "NASW", "number": "886-1", "statement": "Approved for 1 contact hour.",
        "reason": "Approval letter of March 3, 2026",
    })  # fmt: skip
    assert saved.status_code == 302
    response = client.get("/admin/courses/minimal/approval/clear")
    assert response.status_code == 303
    assert response.location.endswith("/admin/courses/minimal/approval#remove-approval")
    page = client.get("/admin/courses/minimal/approval").get_data(as_text=True)
    assert 'id="remove-approval"' in page
    # Said as the certificates print it: the body and number, then the statement.
    assert ("Certificates issued now print: <strong>Approved by NASW, approval no. 886-1. "
            "Approved for 1 contact hour.</strong>") in " ".join(page.split())


def test_a_replacement_certificate_page_says_why_it_was_issued(corrected):
    page = corrected["client"].get(f"/admin/certificates/{corrected['replacement']}")
    history = page.get_data(as_text=True).split('id="history"', 1)[1].split("</table>")[0]
    assert f"Issued, replacing <a href=\"/admin/certificates/{corrected['replaced']}\">" in history
    assert "Name misspelled; learner&#39;s email of December 1" in history


def test_the_learner_page_says_what_happens_to_one_old_code_in_good_english(app, data):
    client = sign_in(app.test_client(), data.admin)
    page = client.get(f"/admin/learners/{data.learners['a'].id}").get_data(as_text=True)
    text = " ".join(page.split())
    assert "1 valid certificate can be reissued with the corrected details; the old code then" \
        " verifies as replaced." in text


def test_the_audit_pack_tells_who_published_each_version_and_every_approval_change(data, app):
    client = sign_in(app.test_client(), data.admin)
    for number, reason in (("886-1", "Approval letter of March 3, 2026"),
                           ("886-2", "Renewal letter of March 2, 2027")):
        client.post("/admin/courses/minimal/approval", data={
            "body": "NASW", "number": number, "statement": "Approved for 1 contact hour.",
            "period_start": "2026-01-01", "reason": reason,
        })  # fmt: skip
    client.post("/admin/courses/minimal/approval/clear", data={"reason": "Approval lapsed"})
    archive = _pack(client, "minimal")
    versions = _csv(archive, "course-versions.csv")
    assert [row["version"] for row in versions] == ["1"]
    with app.app_context():
        manifest = db.session.get(Course, data.course_id).manifest
    assert versions[0]["contact_hours"] == str(manifest["contact_hours"])
    assert versions[0]["passing_score"] == str(manifest["passing_score"])
    assert versions[0]["authors"] == "Alex Rivera, LCSW; Sam Chen, MSW, PhD"
    assert versions[0]["published_at"] and len(versions[0]["content_hash"]) == 64
    changes = _csv(archive, "approval-changes.csv")
    package_number = manifest["provider"]["approval"]["number"]  # applies again after removal
    assert [(c["change"], c["approval_number"], c["reason"]) for c in changes] == [
        ("recorded", "886-1", "Approval letter of March 3, 2026"),
        ("recorded", "886-2", "Renewal letter of March 2, 2027"),
        ("removed", package_number, "Approval lapsed"),
    ]
    assert changes[0]["changed_by"] == "Ada Admin (admin@example.org)"
    assert changes[0]["approved_from"] == "2026-01-01"
    # The outline states today's approval as today's: a pack of 2026's completions must
    # not read as if 2027's renewal number had applied to them.
    outline = archive.read("outline.md").decode()
    assert "- Approval as this pack was made: " in outline and package_number in outline
    assert "Earlier ones are in approval-changes.csv" in outline


def test_every_instant_in_the_certificate_csv_is_stated_in_the_provider_zone(corrected):
    response = corrected["client"].get("/admin/records/certificates.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    zone = ZoneInfo("America/Chicago")  # the provider's (the default)
    for row in rows:
        # What the certificate states, and when it was issued: the same instant, written alike.
        assert row["snapshot_issued_at"] == row["issued_at"], row["code"]
        # The completion as the certificate recorded it, too: in UTC, an evening
        # completion read as the next day beside snapshot_completed_on.
        assert row["snapshot_completed_at"] == row["completed_at"], row["code"]
        for column in ("issued_at", "revoked_at", "superseded_at", "completed_at",
                       "snapshot_issued_at", "snapshot_completed_at"):
            if row[column]:
                instant = datetime.fromisoformat(row[column])
                assert instant.utcoffset() == instant.astimezone(zone).utcoffset(), column


@pytest.mark.parametrize(
    ("form", "field"), [("revoke", "revoke-reason"), ("reissue", "reissue-reason")]
)
def test_a_refused_certificate_form_is_announced_at_the_top_of_the_page(data, app, form, field):
    client = sign_in(app.test_client(), data.admin)
    response = client.post(f"/admin/certificates/{data.certificate_code}/{form}", data={})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page.find('class="error-summary"')
    assert 0 < summary < page.find('<dl class="facts">')  # before the facts, not far below
    assert f'<a href="#{field}">' in page[summary:] and f'id="{field}"' in page


def test_the_report_says_why_certified_can_be_fewer_than_the_roster(corrected, data):
    client = corrected["client"]
    page = " ".join(client.get("/admin/courses/minimal/report").get_data(as_text=True).split())
    roster = _csv(_pack(client, "minimal"), "completion-roster.csv")
    revoked = [row for row in roster if row["certificate_status"] == "revoked"]
    assert revoked, "a revoked certificate makes the counts differ"
    assert "Certified counts the learners who hold a valid certificate now: a revoked" \
        " certificate is not counted" in page


def test_the_audit_pack_holds_the_item_analysis_the_report_shows(app, data):
    client = sign_in(app.test_client(), data.admin)
    rows = {row["question_id"]: row for row in _csv(_pack(client, "minimal"), "item-analysis.csv")}
    report = client.get("/admin/courses/minimal/report").get_data(as_text=True)
    with app.app_context():
        bank = db.session.scalars(select(Question.key).where(
            Question.course_id == data.course_id, Question.kind == QuestionKind.POST_TEST))
        assert set(rows) == set(bank)
    answered = [row for row in rows.values() if int(row["answers"])]
    assert answered and all(row["question_id"] in report for row in answered)
    for row in answered:  # the share correct the report states, from the same counts
        assert float(row["difficulty_percent"]) == pytest.approx(
            100 * int(row["correct"]) / int(row["answers"]), abs=0.05)
        assert row["in_use"] == "yes" and row["objective"].startswith("LO")


def test_the_audit_log_shows_a_correction_as_old_and_new_not_as_python(corrected):
    page = corrected["client"].get("/admin/audit", query_string={
        "action": "user.details_corrected"}).get_data(as_text=True)  # fmt: skip
    text = " ".join(page.split())
    assert "full_name: “@SUM(1)” → “Bea Corrected”" in text
    assert "[&#39;" not in page and "{&#39;" not in page  # no Python list or dict notation
    reissued = corrected["client"].get("/admin/audit", query_string={
        "action": "certificate.reissued"}).get_data(as_text=True)  # fmt: skip
    assert "participant_name: “@SUM(1)” → “Bea Corrected”" in " ".join(reissued.split())
    exported = corrected["client"].get("/admin/audit.csv", query_string={
        "action": "user.details_corrected"}).get_data(as_text=True)  # fmt: skip
    (row,) = csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))
    assert row["detail_text"].startswith("changes: full_name: “@SUM(1)” → “Bea Corrected” | ")


def test_the_approval_page_names_who_recorded_it(data, app):
    client = sign_in(app.test_client(), data.admin)
    client.post("/admin/courses/minimal/approval", data={
        "body": "NASW", "number": "886-1", "statement": "Approved for 1 contact hour.",
        "reason": "Approval letter of March 3, 2026",
    })  # fmt: skip
    page = " ".join(client.get("/admin/courses/minimal/approval").get_data(as_text=True).split())
    assert "Recorded by Ada Admin on " in page
    assert 'href="/admin/audit?action=course.approval_set"' in page


def test_the_attempts_name_the_learner_as_the_roster_does_after_a_name_change(app, data):
    client = sign_in(app.test_client(), data.admin)
    learner = data.learners["a"]  # holds a certificate in their old name
    changed = client.post(f"/admin/learners/{learner.id}/details", data={
        "full_name": "Ann New-Name", "licence_number": "LSW-A", "licence_jurisdiction": "",
        "reason": "Married; certificate not reissued yet",
    })  # fmt: skip
    assert changed.status_code == 303
    archive = _pack(client, "minimal")
    roster = {row["email"]: row["participant_name"]
              for row in _csv(archive, "completion-roster.csv")}
    attempts = {row["email"]: row["participant_name"]
                for row in _csv(archive, "post-test-attempts.csv")}
    assert attempts == roster
    assert roster["a@example.org"] != "Ann New-Name"  # the certificate's name, as before


def test_the_audit_log_spells_license_as_the_rest_of_the_site_does(app, data):
    client = sign_in(app.test_client(), data.admin)
    learner = data.learners["a"]
    changed = client.post(f"/admin/learners/{learner.id}/details", data={
        "full_name": learner.full_name, "licence_number": "LSW-A2", "licence_jurisdiction": "",
        "reason": "License renewed under a new number",
    })  # fmt: skip
    assert changed.status_code == 303
    query = {"action": "user.details_corrected"}
    page = " ".join(client.get("/admin/audit", query_string=query).get_data(as_text=True).split())
    assert "license_number: “LSW-A” → “LSW-A2”" in page
    exported = client.get("/admin/audit.csv", query_string=query).get_data(as_text=True)
    assert '"license_number"' in exported.replace('""', '"')
    for text in (page, exported):
        assert "licence" not in text


def test_the_certificate_zip_index_names_the_code_that_replaced_each_one(corrected, data):
    # Two PDFs for one completion, one replaced: the auditor holding only the ZIP must
    # see which certificate stands in for the other (the verification page never says).
    client = corrected["client"]
    reinstated = client.post(f"/admin/certificates/{data.certificate_code}/reinstate",
                             data={"reinstate-reason": "Revoked the wrong learner"})
    new = reinstated.location.rsplit("/", 1)[1]
    response = client.get("/admin/certificates/export.zip", query_string={"course": "minimal"})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        rows = _by_code(_csv(archive, "index.csv"))
        readme = archive.read("README.txt").decode()
    assert rows[corrected["replaced"]]["superseded_by_code"] == corrected["replacement"]
    assert rows[corrected["replacement"]]["superseded_by_code"] == ""
    assert rows[data.certificate_code]["status"] == "revoked"  # and reinstated as the new one
    assert rows[data.certificate_code]["superseded_by_code"] == new
    assert "superseded_by_code" in readme
    # A revoked PDF does not say so: the index says when and why, as certificates.csv does.
    revoked = rows[data.certificate_code]
    assert revoked["revoked_reason"] == "Completion shared between two people"
    assert datetime.fromisoformat(revoked["revoked_at"]).utcoffset() is not None
    assert rows[new]["revoked_at"] == rows[new]["revoked_reason"] == ""
    assert "revoked_at, revoked_reason" in readme


def test_the_pack_readme_says_which_certificates_carry_no_credit_or_no_approval(corrected):
    # A sample certificate, or one stating no approval, is a row like any other in
    # certificates.csv: the README must say how to tell them from credit-bearing ones.
    readme = _pack(corrected["client"], "minimal").read("README.txt").decode()
    section = " ".join(readme.split("\ncertificates.csv\n", 1)[1].split())
    assert "snapshot_sample" in section and "not valid for continuing-education credit" in section
    assert "snapshot_approval_*" in section and "claims no approval" in section


def test_the_enrollments_csv_gives_a_best_score_to_learners_who_never_passed(app, data):
    # "score" is the passing attempt's: blank for C, who failed with 60, as for D, who
    # never sat the test. An auditor asking how everyone fared needs the difference.
    client = sign_in(app.test_client(), data.admin)
    response = client.get("/admin/courses/minimal/enrollments.csv")
    rows = {r["email"][0]: r for r in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))}
    assert {letter: (r["score"], r["best_score"]) for letter, r in rows.items()} == {
        "a": ("100", "100"), "b": ("90", "90"), "c": ("", "60"), "d": ("", "")}
