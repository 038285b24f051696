"""The load scenario's database: the course imported and learners seeded in bulk.

Used by ``load_learners.py``: each learner is part-way through the course (a number of
lessons already done, with their answers), and most are already signed in with a
session cookie made with the server's key.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SLUG = "running-behavior"


def label_text(html: str) -> str:
    """How a choice's HTML reads in its label: tags dropped, entities decoded, spaces tidied."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
PASSWORD = "walnut harbour cinema ninety"


@dataclass
class Course:
    """What learners need to know of the course, read back after the import."""

    lessons: list[str]  # slugs in order
    checks: dict[str, list[str]]  # lesson slug -> check keys
    right: dict[str, list[str]]  # question key -> correct choice keys
    #: question key -> the correct choices as their labels read: pages send a choice's
    #: position in each learner's own order, so a learner picks by label
    labels: dict[str, list[str]]


@dataclass
class Seeded:
    course: Course
    #: per learner: (user id, email, lessons already done)
    learners: list[tuple[int, str, int]]
    secret_key: str


def seed(
    database_url: str,
    count: int,
    secret_key: str,
    *,
    finished: bool = False,
    content: Path = CONTENT,
) -> Seeded:
    """Create the schema, import the course and seed ``count`` learners in place.

    Each has done a random number of lessons; with ``finished``, all of them.
    """
    from sqlalchemy import insert, select

    import lessons as lesson_loader
    from course import create_app
    from course.auth.passwords import hash_password
    from course.db import utcnow
    from course.extensions import db
    from course.models import CheckResponse, Enrolment, LessonProgress, Role, User
    from course.models import Course as CourseRow
    from course.packages import import_package

    app = create_app(
        {
            "TESTING": True,
            # Seeded hashes at production cost: the server verifies (and keeps) them.
            "PASSWORD_HASHING": "owasp",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secret_key,
        }
    )
    rng = random.Random(count)
    with app.app_context():
        db.create_all()
        import_package(lesson_loader.load_package(content / SLUG))
        db.session.commit()
        course_row = db.session.scalar(select(CourseRow).where(CourseRow.slug == SLUG))
        live = course_row.live_lessons
        course = Course(
            lessons=[lesson.slug for lesson in live],
            checks={lesson.slug: [q.key for q in lesson.live_checks] for lesson in live},
            right={},
            labels={},
        )
        questions = [q for lesson in live for q in lesson.live_checks]
        from course.models import Question, QuestionKind

        questions += list(
            db.session.scalars(
                select(Question).where(
                    Question.course_id == course_row.id, Question.kind == QuestionKind.POST_TEST
                )
            )
        )
        course.right = {q.key: [c.key for c in q.choices if c.is_correct] for q in questions}
        course.labels = {
            q.key: [label_text(c.text_html) for c in q.choices if c.is_correct] for q in questions
        }

        now = utcnow()
        password_hash = hash_password(PASSWORD)
        users = [
            {
                "email": f"bench{n}@example.org",
                "password_hash": password_hash,
                "full_name": f"Bench Learner {n}",
                "role": Role.LEARNER,
                "created_at": now,
            }
            for n in range(count)
        ]
        for start in range(0, count, 5000):
            db.session.execute(insert(User), users[start : start + 5000])
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        done = {n: len(live) if finished else rng.randint(0, len(live)) for n in range(count)}
        enrolled = [n for n in range(count) if done[n] > 0]
        db.session.execute(
            insert(Enrolment),
            [
                {
                    "user_id": ids[f"bench{n}@example.org"],
                    "course_id": course_row.id,
                    "enrolled_at": now,
                }
                for n in enrolled
            ],
        )
        enrolments = dict(db.session.execute(select(Enrolment.user_id, Enrolment.id)).all())
        progress, responses = [], []
        version = course_row.current_version_id
        for n in enrolled:
            enrolment = enrolments[ids[f"bench{n}@example.org"]]
            for lesson in live[: done[n]]:
                progress.append(
                    {
                        "enrolment_id": enrolment,
                        "lesson_id": lesson.id,
                        "started_at": now,
                        "last_seen_at": now,
                        "reached_end_at": now,
                        "completed_at": now,
                        "active_seconds": 600,
                    }
                )
                for q in lesson.live_checks:
                    responses.append(
                        {
                            "enrolment_id": enrolment,
                            "question_id": q.id,
                            "version_id": version,
                            "selected": course.right[q.key],
                            "is_correct": True,
                            "created_at": now,
                            "submission_key": secrets.token_urlsafe(24),
                        }
                    )
        for rows, model in ((progress, LessonProgress), (responses, CheckResponse)):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start : start + 5000])
        db.session.commit()
        learners = [
            (ids[f"bench{n}@example.org"], f"bench{n}@example.org", done[n]) for n in range(count)
        ]
        db.session.remove()
        db.engine.dispose()
    return Seeded(course, learners, secret_key)


def session_cookies(seeded: Seeded, database_url: str) -> tuple[str, list[str]]:
    """Return the session cookie name and a signed-in session cookie per learner."""
    from course import create_app

    app = create_app(
        {
            "TESTING": True,
            "PASSWORD_HASHING": "owasp",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": seeded.secret_key,
        }
    )
    serializer = app.session_interface.get_signing_serializer(app)
    now = int(time.time())
    with app.app_context():
        from sqlalchemy import select

        from course.auth.browsers import open_browser_session
        from course.extensions import db
        from course.models import User

        users = {user.id: user for user in db.session.scalars(select(User))}
        session_ids = {}
        for user_id, _email, _done in seeded.learners:
            user = users[user_id]
            open_browser_session(user, remembered=False, lifetime=timedelta(hours=12))
            session_ids[user_id] = user.get_id()
        db.session.commit()
        db.engine.dispose()
    cookies = [
        serializer.dumps(
            {
                "_user_id": session_ids[user_id],
                "_fresh": True,
                "auth_signed_in_at": now,
                "auth_seen_at": now,
                "auth_remembered": False,
            }
        )
        for user_id, _email, _done in seeded.learners
    ]
    return app.config["SESSION_COOKIE_NAME"], cookies


def seed_with_checkout(
    checkout: Path, database_url: str, count: int, secret_key: str
) -> tuple[Seeded, tuple[str, list[str]]]:
    """As ``seed`` and ``session_cookies``, with the app and course of another checkout.

    Runs in a child process whose ``course`` package is the checkout's, so two commits
    can be served side by side and driven by this one generator.
    """
    import json
    import subprocess
    import sys

    command = [sys.executable, __file__, str(checkout), database_url, str(count), secret_key]
    # The child's errors go to this terminal; only its last line of output is read.
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    found = json.loads(output.splitlines()[-1])
    course = Course(**found["course"])
    seeded = Seeded(course, [tuple(row) for row in found["learners"]], secret_key)
    return seeded, (found["cookie"], found["cookies"])


def _seed_for_parent(checkout: Path, database_url: str, count: int, secret_key: str) -> None:
    """The child side of ``seed_with_checkout``: seed, then print what the parent needs."""
    import json
    import sys
    from dataclasses import asdict

    sys.path.insert(0, str(checkout))  # ahead of the package installed from this one
    seeded = seed(database_url, count, secret_key, content=checkout / "content")
    name, cookies = session_cookies(seeded, database_url)
    course = asdict(seeded.course)
    print(json.dumps({"course": course, "learners": seeded.learners, "cookie": name,
                      "cookies": cookies}))


if __name__ == "__main__":
    import sys

    _seed_for_parent(Path(sys.argv[1]).resolve(), sys.argv[2], int(sys.argv[3]), sys.argv[4])
