"""Time every page and download on a database made by build_db.py: CPU ms and SQL statements.

Usage: python bench/scale/time_pages.py DB [--reps 5] [--json OUT.json] [--only SUBSTRING]

In-process, Flask test client, SQLite. For each request: the median ``time.process_time``
over ``--reps`` runs (after one warm-up run, which also does any first-visit write), the
statements executed (``before_cursor_execute``) and the response size. Streamed bodies are
read whole inside the timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from build_db import HEAVY, SLUG, info_path, make_app  # noqa: E402

STATEMENTS: list[str] = []


def _count(conn, cursor, statement, parameters, context, executemany):
    """Record each statement the app runs (a ``before_cursor_execute`` listener)."""
    STATEMENTS.append(statement)


def setup(db_file: Path):
    """The app on ``db_file``, a signed-in test client per role, and the ids pages need."""
    from sqlalchemy import event, select

    from course.extensions import db
    from course.models import (
        Certificate,
        CertificateStatus,
        CorrectionRequest,
        Course,
        Enrolment,
        PostTestAttempt,
        User,
    )
    from tests.course.factories import PASSWORD

    info_file = info_path(db_file)
    if not info_file.exists():
        sys.exit(f"{info_file} not found: build_db.py writes it beside the database; copy it too")
    info = json.loads(info_file.read_text())
    app = make_app(db_file, Path(info["content"]))
    ids = info["templates"]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _count)
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        lessons = [lesson.slug for lesson in course.live_lessons]

        def code_of(user_id, status=CertificateStatus.VALID):
            return db.session.scalar(
                select(Certificate.code).where(
                    Certificate.user_id == user_id, Certificate.status == status
                )
            )

        facts = {
            "lessons": lessons,
            "retook_code": code_of(ids["retook"]),
            "heavy_code": code_of(ids["passed"]),
            "revoked_code": code_of(ids["revoked"], CertificateStatus.REVOKED),
            "replaced_code": code_of(ids["reissued"], CertificateStatus.SUPERSEDED),
            "correction_id": db.session.scalar(
                select(CorrectionRequest.id).order_by(CorrectionRequest.id)
            ),
            "ids": ids,
            "attempts_retook": list(
                db.session.scalars(
                    select(PostTestAttempt.number)
                    .join(Enrolment)
                    .where(Enrolment.user_id == ids["retook"])
                )
            ),
            "last_user": db.session.scalar(select(User.id).order_by(User.id.desc())),
        }
        db.session.remove()
    # Requests outside any app context: each gets its own (Flask-Login keeps the user on g).
    clients = {}
    for role, email in (
        ("admin", "admin@example.org"),
        ("author", "author@example.org"),
        ("retook", "template-retook@example.org"),
        ("heavy", HEAVY),
        ("halfway", "template-halfway@example.org"),
        ("failed", "template-failed@example.org"),
        ("reissued", "template-reissued@example.org"),
    ):
        client = app.test_client()
        # through the sign-in form: a fresh session, as profile pages ask
        response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, (email, response.status_code)
        clients[role] = client
    clients["anon"] = app.test_client()
    return app, clients, facts


def pages(f: dict) -> list[tuple[str, str, str]]:
    """(label, client, path) for every page a user would hit."""
    s, L = SLUG, f["lessons"]
    c = f"/courses/{s}"
    return [
        # learner, finished (failed once, then passed)
        ("learner: My learning (/)", "retook", "/"),
        ("learner: course page (finished)", "retook", c),
        ("learner: lesson 1 (finished)", "retook", f"{c}/lessons/{L[0]}"),
        ("learner: post-test page (passed)", "retook", f"{c}/post-test"),
        ("learner: attempt review #1 (failed)", "retook", f"{c}/post-test/attempts/1"),
        ("learner: attempt review #2 (passed)", "retook", f"{c}/post-test/attempts/2"),
        ("learner: evaluation (submitted)", "retook", f"{c}/evaluation"),
        ("learner: course certificate (redirect)", "retook", f"{c}/certificate"),
        ("learner: certificate page", "retook", f"/me/certificates/{f['retook_code']}"),
        ("learner: certificate PDF", "retook", f"/me/certificates/{f['retook_code']}.pdf"),
        (
            "learner: certificate credential JSON",
            "retook",
            f"/me/certificates/{f['retook_code']}.json",
        ),
        ("learner: transcript (/me)", "retook", "/me"),
        ("learner: profile", "retook", "/auth/profile"),
        ("learner: my-data.json", "retook", "/auth/profile/my-data.json"),
        # learner with several thousand check tries (large only)
        ("heavy-tries learner: course page", "heavy", c),
        ("heavy-tries learner: lesson 1", "heavy", f"{c}/lessons/{L[0]}"),
        ("heavy-tries learner: transcript", "heavy", "/me"),
        ("heavy-tries learner: my-data.json", "heavy", "/auth/profile/my-data.json"),
        # learners part-way
        ("learner halfway: course page", "halfway", c),
        ("learner halfway: lesson 4 (current)", "halfway", f"{c}/lessons/{L[3]}"),
        ("learner halfway: lesson 2 (done)", "halfway", f"{c}/lessons/{L[1]}"),
        ("learner failed: post-test (open attempt)", "failed", f"{c}/post-test"),
        ("learner failed: course page", "failed", c),
        ("learner reissued: transcript", "reissued", "/me"),
        # admin
        ("admin: home", "admin", "/admin/"),
        ("admin: course report", "admin", f"/admin/courses/{s}/report"),
        ("admin: roster.csv", "admin", f"/admin/courses/{s}/roster.csv"),
        ("admin: learners list p1", "admin", "/admin/learners"),
        ("admin: learners list p150", "admin", "/admin/learners?page=150"),
        ("admin: learners search name", "admin", "/admin/learners?q=Learner+0999"),
        ("admin: learners search none", "admin", "/admin/learners?q=zzzz-nobody"),
        ("admin: learner record (retook)", "admin", f"/admin/learners/{f['ids']['retook']}"),
        ("admin: learner record (heavy tries)", "admin", f"/admin/learners/{f['ids']['passed']}"),
        ("admin: learner record (newest clone)", "admin", f"/admin/learners/{f['last_user']}"),
        ("admin: certificates list", "admin", "/admin/certificates"),
        ("admin: certificates search", "admin", "/admin/certificates?q=Learner+0999"),
        ("admin: certificate (valid)", "admin", f"/admin/certificates/{f['retook_code']}"),
        ("admin: certificate (replaced)", "admin", f"/admin/certificates/{f['replaced_code']}"),
        ("admin: certificates.csv (all)", "admin", "/admin/records/certificates.csv"),
        (
            "admin: certificates export.zip (all)",
            "admin",
            f"/admin/certificates/export.zip?course={s}",
        ),
        ("admin: audit log p1", "admin", "/admin/audit"),
        ("admin: audit log p400", "admin", "/admin/audit?page=400"),
        ("admin: audit log by actor", "admin", "/admin/audit?actor=learner0999"),
        ("admin: audit.csv (all)", "admin", "/admin/audit.csv"),
        ("admin: audit pack zip", "admin", f"/admin/courses/{s}/audit-pack.zip"),
        ("admin: corrections list", "admin", "/admin/corrections"),
        ("admin: correction request", "admin", f"/admin/corrections/{f['correction_id']}"),
        ("admin: approval", "admin", f"/admin/courses/{s}/approval"),
        ("admin: team", "admin", f"/admin/courses/{s}/team"),
        ("admin: enroll by email (form)", "admin", f"/admin/courses/{s}/enroll"),
        ("admin: LTI platforms", "admin", "/admin/lti"),
        # author
        ("author: home", "author", "/author/"),
        ("author: course", "author", f"/author/courses/{s}/"),
        ("author: report (evaluation summary)", "author", f"/author/courses/{s}/report"),
        ("author: lesson editor", "author", f"/author/courses/{s}/lessons/{L[0]}"),
        ("author: post-test bank", "author", f"/author/courses/{s}/post-test"),
        ("author: evaluation editor", "author", f"/author/courses/{s}/evaluation"),
        ("author: settings", "author", f"/author/courses/{s}/settings"),
        ("author: history", "author", f"/author/courses/{s}/history"),
        ("author: publish page", "author", f"/author/courses/{s}/publish"),
        ("author: package.zip", "author", f"/author/courses/{s}/package.zip"),
        # public and interop
        ("public: catalogue", "anon", "/"),
        ("public: verify by code", "anon", f"/verify/{f['retook_code']}"),
        ("public: verify revoked code", "anon", f"/verify/{f['revoked_code']}"),
        ("public: verify replaced code", "anon", f"/verify/{f['replaced_code']}"),
        ("public: verify form lookup", "anon", f"/verify?code={f['retook_code']}"),
        ("interop: status list 1", "anon", "/credentials/status/1"),
        ("interop: did.json", "anon", "/.well-known/did.json"),
        ("interop: badge svg", "anon", f"/credentials/badges/{s}.svg"),
        ("interop: LTI JWKS", "anon", "/lti/jwks.json"),
        ("health", "anon", "/healthz"),
    ]


def measure(client, path: str, reps: int) -> dict:
    """Median CPU ms of ``reps`` GETs after a warm-up, with statements, status and size."""

    def once():
        STATEMENTS.clear()
        start = time.process_time()
        response = client.get(path)
        body = response.get_data()
        spent = (time.process_time() - start) * 1000
        response.close()
        return spent, len(STATEMENTS), response.status_code, len(body)

    first = once()  # warm-up (templates compiled, first-visit writes done)
    runs = [once() for _ in range(reps if first[0] < 2000 else 1)]  # 2 s+ pages: once is enough
    cpu = statistics.median(r[0] for r in runs)
    return {
        "cpu_ms": round(cpu, 1),
        "statements": runs[-1][1],
        "status": runs[-1][2],
        "bytes": runs[-1][3],
    }


def main() -> None:
    """Time every page (or those matching --only); print a line each, optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only")
    args = parser.parse_args()
    app, clients, facts = setup(args.db.resolve())
    results = {}
    for label, who, path in pages(facts):
        if args.only and args.only not in label:
            continue
        results[label] = {"path": path, **measure(clients[who], path, args.reps)}
        r = results[label]
        print(
            f"{label:45s} {r['status']} {r['cpu_ms']:9.1f} ms {r['statements']:6d} stmts "
            f"{r['bytes']:>10,d} B",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
