"""Time the streamed certificate CSV export and show that its memory stays flat.

Usage: python bench/bench_csv_export.py [--rows 10000 --rows 100000]

For each size, a child process builds a fresh SQLite database (WAL) with that many
learners, each with an enrolment, two lesson-progress rows, a passed post-test attempt
and a certificate (bulk inserts through the core tables; one in 100 certificates
revoked, one in 50 reissued, one in 1000 names starting with "="). It then asks the app
for /admin/records/certificates.csv as a signed-in admin through the test client,
without buffering, reads the stream chunk by chunk, and reports:

  seconds    wall time of the whole export (tracemalloc off), and its CPU time (the
             figure to trust on a busy machine)
  rows/s     certificates exported per second
  MiB out    size of the CSV
  py peak    tracemalloc peak of Python allocations during a second export
  RSS        resident set size before the export, its highest sample while the
             stream was read (sampled per chunk), and after

If memory is flat, py peak and the RSS rise are about the same for every size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import certificates  # noqa: E402
import lessons  # noqa: E402
from course import create_app  # noqa: E402
from course.auth.browsers import open_browser_session  # noqa: E402
from course.extensions import db  # noqa: E402
from course.models import (  # noqa: E402
    Certificate,
    CertificateStatus,
    Enrolment,
    LessonProgress,
    PostTestAttempt,
    Role,
    User,
)
from course.packages import import_package  # noqa: E402

PACKAGE = ROOT / "tests" / "data" / "packages" / "minimal"
CHUNK = 10_000
PAGE = 4096


def rss_mib() -> float:
    """Return this process's resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * PAGE / 2**20


def _snapshot(n: int, code: str, course_title: str) -> dict:
    record = certificates.CertificateRecord(
        code=code,
        participant_name=f"=HYPERLINK(\"x\") {n}" if n % 1000 == 0 else f"Learner Number {n}",
        licence_number=f"LSW-{n:06d}",
        licence_jurisdiction="Ohio",
        course_title=course_title,
        course_version=1,
        completed_on=date(2026, 1, 1) + timedelta(days=n % 300),
        issued_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
        contact_hours=Decimal("1.0"),
        credit_type="General",
        format="Self-paced, reading-based online course; self-study",
        authors=(certificates.AuthorLine("Alex Rivera", "LCSW"),
                 certificates.AuthorLine("Sam Chen", "MSW, PhD")),
        provider_name="Example CE Provider",
        approval_body="Example Board of Social Work",
        approval_number="886-123",
        approval_statement="This course is approved for 1.0 General contact hour.",
        verify_url=f"http://127.0.0.1:5000/verify/{code}",
    )
    return record.to_dict()


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[start : start + CHUNK])


def populate(rows: int) -> int:
    """Fill the database with ``rows`` certified learners; return the admin's id."""
    course = import_package(lessons.load_package(PACKAGE)).course
    db.session.flush()
    lesson_ids = [lesson.id for lesson in course.live_lessons]
    version_id, title = course.current_version_id, course.title
    start = datetime(2026, 1, 1, tzinfo=UTC)
    _insert(User, [
        {"id": n, "email": f"learner{n}@example.org", "password_hash": "x",
         "full_name": f"Learner Number {n}", "licence_number": f"LSW-{n:06d}",
         "role": Role.LEARNER, "active": True, "session_version": 1,
         "created_at": start}
        for n in range(1, rows + 1)
    ])
    _insert(Enrolment, [
        {"id": n, "user_id": n, "course_id": course.id, "enrolled_at": start,
         "completed_at": start + timedelta(seconds=n)}
        for n in range(1, rows + 1)
    ])
    _insert(LessonProgress, [
        {"enrolment_id": n, "lesson_id": lesson_id, "started_at": start, "last_seen_at": start,
         "completed_at": start, "active_seconds": 300 + n % 900}
        for n in range(1, rows + 1) for lesson_id in lesson_ids
    ])
    _insert(PostTestAttempt, [
        {"enrolment_id": n, "number": 1, "version_id": version_id, "draw": [],
         "started_at": start, "submitted_at": start, "correct_count": 9, "question_count": 10,
         "score_percent": 80 + n % 21, "passed": True}
        for n in range(1, rows + 1)
    ])
    cert_rows = []
    for n in range(1, rows + 1):
        code = certificates.new_code()
        revoked = n % 100 == 0
        cert_rows.append({
            "id": n, "code": code, "user_id": n, "course_id": course.id,
            "version_id": version_id, "enrolment_id": n,
            "status": CertificateStatus.REVOKED if revoked else CertificateStatus.VALID,
            "issued_at": start + timedelta(seconds=n),
            "revoked_at": start + timedelta(days=1) if revoked else None,
            "revoked_reason": "=cmd|' /C calc'!A0" if revoked else None,
            "superseded_by_id": None, "snapshot": _snapshot(n, code, title),
            "pdf_sha256": f"{n:064x}",
        })
    _insert(Certificate, cert_rows)
    # One in fifty is shown as reissued: superseded by the next learner's certificate.
    db.session.execute(
        update(Certificate.__table__)
        .where(Certificate.id % 50 == 0, Certificate.id < rows)
        .values(status=CertificateStatus.SUPERSEDED.value, superseded_by_id=Certificate.id + 1)
    )
    admin = User(email="admin@example.org", password_hash="x", full_name="Bench Admin",
                 role=Role.ADMIN)
    db.session.add(admin)
    db.session.commit()
    return admin.id


def export_once(client, trace: bool) -> dict:
    """Request the CSV and read the stream; return timings and memory figures."""
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    before = rss_mib()
    high = before
    size = lines = 0
    began, cpu = time.perf_counter(), time.process_time()
    response = client.get("/admin/records/certificates.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
        high = max(high, rss_mib())
    response.close()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    return {"seconds": seconds, "cpu": cpu, "bytes": size, "rows": lines - 1, "rss_before": before,
            "rss_high": high, "rss_after": rss_mib(), "py_peak": peak}


def run(rows: int) -> dict:
    """Build a database of ``rows`` certificates and measure the export."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db",
                          "CONTENT_DIR": tmp})
        with app.app_context():
            db.create_all()
            began = time.perf_counter()
            admin_id = populate(rows)
            build = time.perf_counter() - began
            admin = db.session.get(User, admin_id)
            open_browser_session(admin, remembered=False, lifetime=timedelta(hours=1))
            db.session.commit()
            session_id = admin.get_id()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        timed = export_once(client, trace=False)
        traced = export_once(client, trace=True)
        assert timed["rows"] == rows, timed
        with app.app_context():
            db.engine.dispose()
    return {"rows": rows, "build_seconds": build, **timed, "py_peak": traced["py_peak"],
            "traced_seconds": traced["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="certificates (repeatable)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.rows or [10_000, 100_000]
    if args.child:
        print(json.dumps(run(sizes[0])))
        return
    print(f"{'rows':>8} {'build s':>8} {'export s':>9} {'cpu s':>6} {'rows/s':>8} {'MiB out':>8}"
          f" {'py peak MiB':>12} {'RSS before/high/after MiB':>27}")
    for rows in sizes:
        # A fresh process per size, so one size's memory never colours the next.
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--rows", str(rows)],
            check=True, capture_output=True, text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{r['rows']:>8} {r['build_seconds']:>8.1f} {r['seconds']:>9.2f} {r['cpu']:>6.2f}"
              f" {r['rows'] / r['seconds']:>8.0f} {r['bytes'] / 2**20:>8.1f}"
              f" {r['py_peak'] / 2**20:>12.2f}"
              f" {r['rss_before']:>9.1f}/{r['rss_high']:.1f}/{r['rss_after']:.1f}")


if __name__ == "__main__":
    main()
