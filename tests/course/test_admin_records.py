"""CE records: the streamed certificate CSV, the audit log and the per-course audit pack."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import certificates
from course import certificate_changes, csvout, issuing
from course.admin import pack_readme as readme
from course.admin import records_services as records
from course.audit import record_event
from course.extensions import db
from course.learn import services as learn
from course.models import AuditEvent, Certificate, Course, User
from tests.course.factories import sign_in
from tests.course.test_admin_dataset import COMMENTS, NAMES, build_dataset

FORMULA_REASON = "=cmd|' /C calc'!A0"


@pytest.fixture
def history(app, data):
    """B's certificate issued then reissued, and A's revoked with a formula as the reason."""
    with app.app_context():
        admin = db.session.get(User, data.admin.id)
        course = db.session.get(Course, data.course_id)
        b = db.session.get(User, data.learners["b"].id)
        first_b = issuing.issue_certificate(learn.find_enrolment(b, course))
        second_b = certificate_changes.reissue(first_b, admin)
        a_cert = db.session.scalar(
            select(Certificate).where(Certificate.code == data.certificate_code)
        )
        certificate_changes.revoke(a_cert, admin, FORMULA_REASON)
        db.session.commit()
        return {"a": a_cert.code, "b_old": first_b.code, "b_new": second_b.code}


def _rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_certificate_csv_streams_every_field_of_every_certificate(app, data, history):
    client = sign_in(app.test_client(), data.admin)
    response = client.get("/admin/records/certificates.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert list(rows[0]) == list(records.CERTIFICATE_COLUMNS)
    snapshot_fields = {f.name for f in dataclasses.fields(certificates.CertificateRecord)}
    # Every field the certificate states, headed in US English ("license", not "licence").
    us_names = {f"snapshot_{name}".replace("licence", "license") for name in snapshot_fields}
    assert us_names <= set(rows[0])
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == set(history.values())

    a = by_code[history["a"]]
    assert a["status"] == "revoked" and a["revoked_at"]
    assert a["revoked_reason"] == "'" + FORMULA_REASON
    assert a["snapshot_participant_name"] == "'" + NAMES["a"]  # =HYPERLINK(...) neutralised
    assert a["account_email"] == "a@example.org" and a["account_license_number"] == "LSW-A"
    assert (a["course_slug"], a["course_version"]) == ("minimal", "1")
    assert (a["post_test_score"], a["active_minutes"]) == ("100", "25.0")
    assert a["snapshot_course_title"] == "Youth Who Run from Foster Care (test course)"
    assert a["snapshot_sample"] == "yes"  # no provider is set; yes or no, as in every file
    assert a["snapshot_authors"] == "Alex Rivera, LCSW; Sam Chen, MSW, PhD"
    assert a["completed_at"].startswith(a["snapshot_completed_on"])
    for instant in ("issued_at", "revoked_at", "completed_at"):  # to the second, with offset
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d", a[instant]), a[instant]

    old_b, new_b = by_code[history["b_old"]], by_code[history["b_new"]]
    assert old_b["status"] == "superseded" and old_b["superseded_by_code"] == history["b_new"]
    assert new_b["status"] == "valid" and new_b["superseded_by_code"] == ""
    assert new_b["snapshot_participant_name"] == "'@SUM(1)"
    assert (new_b["post_test_score"], new_b["active_minutes"]) == ("90", "35.0")
    with app.app_context():
        stored = db.session.scalar(select(Certificate).where(Certificate.code == history["b_new"]))
        assert new_b["pdf_sha256"] == stored.pdf_sha256
        assert new_b["snapshot_verify_url"] == stored.snapshot["verify_url"]
        exported = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "records.certificates_exported")
        )
        assert exported.actor_id == data.admin.id
        assert (exported.subject_type, exported.subject_id) == ("course", "all")


def test_the_csv_can_be_narrowed_to_one_course(app, data, history):
    client = sign_in(app.test_client(), data.admin)
    rows = _rows(client.get("/admin/records/certificates.csv", query_string={"course": "minimal"}))
    assert len(rows) == 3
    missing = client.get("/admin/records/certificates.csv", query_string={"course": "nope"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(1)", "'@SUM(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("\nLF", "'\nLF"),
        ("\uff1dSUM(1)", "'\uff1dSUM(1)"),
        ("Zoë =1", "Zoë =1"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05+00:00"),
    ],
)
def test_cells_that_could_run_as_formulas_get_an_apostrophe(value, cell):
    assert csvout.neutralise(value) == cell


def test_csv_chunks_come_a_batch_at_a_time():
    chunks = list(csvout.csv_chunks(["n"], ([n] for n in range(5)), batch=2))
    assert chunks == ["\ufeffn\r\n0\r\n1\r\n", "2\r\n3\r\n", "4\r\n"]  # the mark first


def test_certificate_rows_are_fetched_in_batches(app, data, history):
    with app.app_context():
        rows = list(records.certificate_rows(batch=1))
    assert [row[0] for row in rows] == [history["a"], history["b_old"], history["b_new"]]
    assert len(rows) == 3 and all(len(row) == len(records.CERTIFICATE_COLUMNS) for row in rows)


def test_the_audit_log_filters_by_actor_action_and_date_with_paging(app, data):
    with app.app_context():
        admin = db.session.get(User, data.admin.id)
        other = db.session.get(User, data.learners["c"].id)
        for n in range(60):
            event = record_event(admin, "test.bulk", "thing", n, {"n": n})
            event.created_at = datetime(2026, 3, 1 + n % 28, 12, tzinfo=UTC)
        record_event(other, "test.other", "thing", "x", {"note": "<b>bold</b>"}).created_at = (
            datetime(2026, 5, 5, tzinfo=UTC)
        )
        db.session.commit()
    client = sign_in(app.test_client(), data.admin)
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of 2" in everything and "test.other" in everything
    assert "&lt;b&gt;bold&lt;/b&gt;" in everything
    by_action = client.get("/admin/audit", query_string={"action": "test.other"})
    assert "<caption>1 event," in by_action.get_data(as_text=True)
    by_actor = client.get("/admin/audit", query_string={"actor": "ada"}).get_data(as_text=True)
    assert "<caption>60 events" in by_actor and "<code>test.other</code>" not in by_actor
    march = client.get(
        "/admin/audit", query_string={"start": "2026-03-01", "end": "2026-03-02"}
    ).get_data(as_text=True)
    assert "<caption>6 events" in march  # days 1 and 2 of March, three events each (n, n+28, n+56)
    page_two = client.get("/admin/audit", query_string={"actor": "ada", "page": 2})
    assert page_two.get_data(as_text=True).count("<code>test.bulk</code>") == 10
    bad = client.get("/admin/audit", query_string={"start": "not-a-date", "action": "nope"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "field-error" in page
    assert "Action: No event in the log has this action yet: choose one from the list." in page
    assert "From: Enter the date as year-month-day, such as 2026-12-02." in page
    assert "test.bulk</code>" not in page  # nothing shown, rather than everything


def test_the_audit_pack_holds_what_an_accreditor_asks_for(app, data):
    with app.app_context():
        certificates_before = db.session.scalar(select(func.count()).select_from(Certificate))
    client = sign_in(app.test_client(), data.admin)
    response = client.get("/admin/courses/minimal/audit-pack.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {
        "README.txt", "outline.md", "seat-time.md", "seat-time.csv", "post-test-blueprint.csv",
        "evaluation-summary.csv", "evaluation-comments.csv", "completion-roster.csv",
        "sample-certificate-SPECIMEN.pdf", "package/v1/course.yaml", "package/v1/01-push-pull.md",
        "post-test-attempts.csv", "post-test-answers.csv",
    } <= names

    def text(name):
        return archive.read(name).decode("utf-8-sig")

    outline = text("outline.md")
    assert "LO2" in outline and "Identify indicators" in outline and "| 1 | Push" in outline
    seat = list(csv.DictReader(io.StringIO(text("seat-time.csv"))))
    # Medians too are rounded down to the tenth (550 s is 9.1), as every figure of active time.
    assert [(r["median_active_minutes"], r["learners_measured"]) for r in seat] == [
        ("9.1", "4"), ("15.0", "3")
    ]
    assert "words at 167 words a minute" in text("seat-time.md")
    assert "25.0 min" in text("seat-time.md")  # median of the three who did every lesson
    rows = csv.DictReader(io.StringIO(text("post-test-blueprint.csv")))
    blueprint = {r["objective"]: r for r in rows}
    assert set(blueprint) == {"LO1", "LO2", "LO3"}
    lo1 = blueprint["LO1"]
    assert (lo1["questions_in_bank"], lo1["share_of_bank_percent"], lo1["expected_per_attempt"],
            lo1["draw"]) == ("4", "33.3", "3.3", "10")
    assert lo1["question_ids"] == "pt-lo1-1 pt-lo1-2 pt-lo1-3 pt-lo1-4"
    summary = list(csv.DictReader(io.StringIO(text("evaluation-summary.csv"))))
    lo1_five = next(r for r in summary if r["item"] == "eval-lo1" and r["option"] == "5")
    assert (lo1_five["count"], lo1_five["percent"], lo1_five["mean"]) == ("1", "50.0", "4.5")
    assert lo1_five["option_label"] == "Strongly agree"  # readable without the provider
    minutes = next(r for r in summary if r["item"] == "minutes")
    assert minutes["median"] == "50.0"
    comments = [r["comment"] for r in csv.DictReader(io.StringIO(text("evaluation-comments.csv")))]
    assert comments == [COMMENTS["a"], COMMENTS["b"]]
    roster = list(csv.DictReader(io.StringIO(text("completion-roster.csv"))))
    assert [r["participant_name"] for r in roster] == ["'" + NAMES["a"], "'" + NAMES["b"]]
    assert roster[0]["certificate_code"] == data.certificate_code
    assert (roster[0]["score"], roster[0]["passing_score"]) == ("100", "80")
    assert (roster[0]["active_minutes"], roster[0]["course_version"]) == ("25.0", "1")
    assert (roster[1]["score"], roster[1]["passing_score"]) == ("90", "80")
    assert roster[1]["post_test_attempts"] == "2"
    assert roster[1]["certificate_status"] == "not issued"
    # Each answer as graded, with the keyed choice beside the learner's, in drawn order.
    answers = list(csv.DictReader(io.StringIO(text("post-test-answers.csv"))))
    b_first = [r for r in answers if r["email"] == "b@example.org" and r["attempt"] == "1"]
    assert [r["drawn_position"] for r in b_first] == [str(n) for n in range(1, 11)]
    assert [r["correct"] for r in b_first] == ["yes"] * 7 + ["no"] * 3
    for row in b_first:
        assert row["keyed"] and re.fullmatch(r"[a-z]\. .+", row["keyed"].split("; ")[0])
        assert (row["answer"] == row["keyed"]) == (row["correct"] == "yes"), row
        assert (row["graded_by_version"], row["wording"], row["counted"]) == (
            "1", "as graded", "yes")
    assert len(answers) == 30  # A's one attempt and B's two; C did not complete
    # Time by lesson beside its estimate, where a skimmed lesson would show.
    times = list(csv.DictReader(io.StringIO(text("lesson-times.csv"))))
    a_times = [r for r in times if r["email"] == "a@example.org"]
    assert [(r["lesson_position"], r["active_minutes"]) for r in a_times] == [
        ("1", "10.0"), ("2", "15.0")]  # 600 and 900 seconds
    first = a_times[0]
    assert float(first["estimated_minutes"]) > 0 and first["completed_at"]
    share = round(100 * 10.0 / float(first["estimated_minutes"]))
    assert first["share_of_estimate_percent"] == str(share)
    assert {r["email"] for r in times} == {"a@example.org", "b@example.org"}
    # Exact seconds beside the rounded minutes: re-adding the lessons gives the roster's.
    assert [r["active_seconds"] for r in a_times] == ["600", "900"]
    assert roster[0]["active_seconds"] == "1500"
    minimum = float(roster[0]["minimum_active_minutes"])
    assert 0 < float(first["floor_minutes"]) <= minimum / 2
    method = text("seat-time.md")
    assert "## How the hour is set and measured" in method
    # What learners said it took, beside what was measured (the evaluation's own question).
    assert re.search(r'Self-reported: "[^"]*minutes[^"]*" median 50\.0 min \(2 answers;', method)
    assert f"**The minimum** before the post-test is {minimum:g} min" in method
    attempts = list(csv.DictReader(io.StringIO(text("post-test-attempts.csv"))))
    assert all(float(r["minutes_taken"]) >= 0 for r in attempts) and len(attempts) == 3

    pdf = PdfReader(io.BytesIO(archive.read("sample-certificate-SPECIMEN.pdf")))
    assert "SPECIMEN" in "".join(page.extract_text() for page in pdf.pages)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == (
            certificates_before
        )
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "records.audit_pack_downloaded")
        )
        assert event.subject_id == "minimal" and event.actor_id == data.admin.id
        assert event.detail == {"version": "all", "period": "all"}  # not narrowed, said so
    assert client.get("/admin/courses/nope/audit-pack.zip").status_code == 404


def test_the_specimens_code_and_qr_code_say_it_is_a_specimen(app, data):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterizes the PDF")
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR")
    client = sign_in(app.test_client(), data.admin)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/admin/courses/minimal/audit-pack.zip").data))
    specimen = archive.read("sample-certificate-SPECIMEN.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(specimen)).pages)
    assert certificates.SPECIMEN_CODE in text
    document = pdfium.PdfDocument(specimen)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    [scanned] = [r.text for r in zxingcpp.read_barcodes(image)]
    assert scanned.endswith(f"/verify/{certificates.SPECIMEN_CODE}")

    # A board that scans it, or types its code, learns what it is, not "not found".
    page = app.test_client().get(urlsplit(scanned).path)
    shown = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<title>Specimen, no credit: Certificate verification" in shown
    assert "Specimen, not a certificate." in shown and "issued to no one" in shown
    assert "No certificate found" not in shown
    typed = app.test_client().get(f"/verify?code={certificates.SPECIMEN_CODE.lower()}")
    assert typed.status_code == 302 and typed.location.endswith(certificates.SPECIMEN_CODE)


def test_the_csvs_list_authors_as_the_certificate_prints_them_role_included(
    app, package_copy
):
    yaml = package_copy / "course.yaml"
    yaml.write_text(yaml.read_text().replace(
        "credentials: LCSW\n", "credentials: LCSW\n    role: Lead author\n"))  # fmt: skip
    with app.app_context():
        data = build_dataset(package_copy)
        certificate = db.session.scalar(select(Certificate))
        printed = "; ".join(author.display() for author in issuing.record_of(certificate).authors)
    assert printed == "Alex Rivera, LCSW (Lead author); Sam Chen, MSW, PhD"
    client = sign_in(app.test_client(), data.admin)
    [row] = _rows(client.get("/admin/records/certificates.csv"))
    assert row["snapshot_authors"] == printed
    pack = zipfile.ZipFile(io.BytesIO(client.get("/admin/courses/minimal/audit-pack.zip").data))
    versions = csv.DictReader(io.StringIO(pack.read("course-versions.csv").decode("utf-8-sig")))
    versions = list(versions)
    assert versions[0]["authors"] == printed


def test_the_certificate_zips_readme_says_what_it_holds_who_made_it_and_how_to_verify(
    app, data
):
    with app.app_context():
        course = db.session.get(Course, data.course_id)
        admin = db.session.get(User, data.admin.id)
        made_at = datetime(2026, 12, 4, 21, 5, 9, tzinfo=UTC)
        stated = [(1, "Youth Who Run from Foster Care (test course)")]
        text = readme.certificates_readme(course, date(2026, 1, 1), date(2026, 12, 31), 2,
                                          admin, made_at, stated)  # fmt: skip
        one = readme.certificates_readme(course, None, None, 1, admin, made_at)
    first = text.splitlines()[0]
    assert first.startswith("Certificates for the course minimal, ")
    # The course as the certificates print it, version by version.
    assert "version 1: Youth Who Run from Foster Care (test course)\n" in text
    assert first.endswith(" issued from January 1, 2026 to December 31, 2026: 2 certificates.")
    # When and by whom, in the provider's zone (Central here), as admin pages state times.
    assert "Made December 4, 2026, 3:05:09 PM CST by Ada Admin (admin@example.org)." in text
    assert "certificate-CODE.pdf" in text and "named by the code printed" in text
    assert "index.csv" in text and "pdf_sha256" in text
    base = app.config["BASE_URL"].rstrip("/")
    assert f"  {base}/verify/CODE\n" in text and f"enter its code at {base}/verify\n" in text
    assert "issued at any time: 1 certificate." in one
    assert "licence" not in text


def test_active_time_reads_the_same_in_every_export_rounded_down(app, data):
    # 21 min 59 s beside a 22-minute minimum: "21.9" in every file, never "22.0" in one.
    from course.models import Enrolment, LessonProgress

    with app.app_context():
        learner = db.session.get(User, data.learners["a"].id)
        rows = db.session.scalars(
            select(LessonProgress).join(Enrolment).where(Enrolment.user_id == learner.id)
        ).all()
        total = sum(row.active_seconds for row in rows)
        rows[0].active_seconds -= total - 1319
        db.session.commit()
    client = sign_in(app.test_client(), data.admin)
    cert = next(r for r in _rows(client.get("/admin/records/certificates.csv"))
                if r["code"] == data.certificate_code)  # fmt: skip
    roster = next(r for r in _rows(client.get("/admin/courses/minimal/roster.csv"))
                  if r["certificate_code"] == data.certificate_code)  # fmt: skip
    assert cert["active_minutes"] == roster["active_minutes"] == "21.9"


def test_every_enrollment_is_exported_finished_or_not(app, data):
    # The roster lists completers only; an accreditor may ask who took part at all.
    client = sign_in(app.test_client(), data.admin)
    response = client.get("/admin/courses/minimal/enrollments.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {r["email"]: r for r in _rows(response)}
    assert set(rows) == {f"{letter}@example.org" for letter in "abcd"}
    a, d = rows["a@example.org"], rows["d@example.org"]
    assert (a["lessons_completed"], a["certificate_code"]) == ("2", data.certificate_code)
    assert (d["lessons_completed"], d["completed_at"], d["active_minutes"]) == ("1", "", "5.0")
    assert (d["post_test_attempts"], d["certificate_status"]) == ("0", "not issued")
    assert rows["c@example.org"]["post_test_attempts"] == "1"  # failed, never completed
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "records.enrollments_exported"))
        assert event.actor_id == data.admin.id and event.detail == {"version": "all",
                                                                    "period": "all"}
    report = client.get("/admin/courses/minimal/report").get_data(as_text=True)
    assert 'href="/admin/courses/minimal/enrollments.csv"' in report
