"""Response times of the author pages and of Publish, in process, on a real package.

Usage: python bench/bench_author.py [--package content/running-behavior] [--requests 20]

The app runs on a fresh SQLite file with the package imported and a draft started (one
saved lesson edit). An author signs in through the sign-in form and opens each author
page ``--requests`` times through Flask's test client (no network, so the figures are
the server's own work); the script prints the first (cold: nothing cached) request and
the median, 90th percentile and median CPU time of the rest. Publish is timed
``--requests`` times too, each after the author saved a one-word change and a reviewer
opened the publish page (as one does before pressing Publish), and again with the
checker's cache emptied first (the worst case: a process that never showed the draft).
Goals: every author page under 50 ms, Publish under 300 ms (medians).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Runnable as `python bench/bench_author.py` from a checkout without installing.
sys.path.insert(0, str(ROOT))

PASSWORD = "bench author walks the dog"
GOAL_PAGE_MS, GOAL_PUBLISH_MS = 50.0, 300.0


NOTE = {"note": "Benchmark run"}  # publishing asks what changed and why


def build(root: Path, package_dir: Path):
    """The app on a fresh database with the package imported and its team: an author and a
    reviewer."""
    import lessons
    from course import create_app
    from course.extensions import db
    from course.models import Role
    from course.packages import import_package
    from course.teams.services import add_member
    from course.users import create_user

    app = create_app(
        {
            "TESTING": True,
            "PASSWORD_HASHING": "owasp",  # what production pays, not the tests' cost
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.db'}",
            "CONTENT_DIR": str(root / "content"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        slug = import_package(lessons.load_package(package_dir)).course.slug
        for email, name, team_role in (
            ("bench-author@example.org", "Bench Author", "author"),
            ("bench-reviewer@example.org", "Bench Reviewer", "reviewer"),
        ):
            user = create_user(email=email, password=PASSWORD, full_name=name, role=Role.AUTHOR)
            add_member(slug, user, team_role, by=None)
        db.session.commit()
    return app


def signed_in(app, email: str):
    """A test client signed in through the sign-in form."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[-500:]
    return client


def timed(request: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one request (which must succeed)."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = request()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert response.status_code in (200, 302), (response.status_code, response.request.path)
    return wall * 1000, cpu * 1000


def summary(samples: list[tuple[float, float]]) -> str:
    walls = sorted(w for w, _ in samples)
    p90 = walls[min(len(walls) - 1, round(0.9 * (len(walls) - 1)))]
    cpu = statistics.median(c for _, c in samples)
    return f"median {statistics.median(walls):7.1f} ms  p90 {p90:7.1f} ms  cpu {cpu:7.1f} ms"


def lesson_form(client, url: str) -> dict[str, object]:
    """The lesson editor's fields as the page fills them (title, objectives, text, base)."""
    import re
    from html import unescape

    page = client.get(url).get_data(as_text=True)
    form = page[page.index('class="form wide-form lesson-form"') :]
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\n?(.*?)</textarea>', form, re.S)[1]
    return {
        "title": unescape(re.search(r'name="title"[^>]*value="([^"]*)"', form)[1]),
        "objectives": re.findall(r'name="objectives"[^>]*value="([^"]*)" checked', form),
        "base_revision": re.search(r'name="base_revision"[^>]*value="(\d+)"', form)[1],
        "body": unescape(body),
    }


def save_edit(client, url: str, number: int) -> None:
    """Change one word of the lesson's first paragraph, as an author would."""
    form = lesson_form(client, url)
    first, rest = str(form["body"]).split("\n", 1)
    form["body"] = f"{first.rstrip(' .0123456789')} {number}.\n{rest}"
    response = client.post(url, data={**form, "action": "save"})
    if response.status_code != 302:
        raise SystemExit(f"save failed: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", default=str(ROOT / "content" / "running-behavior"))
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    package_dir = Path(args.package).resolve()

    from course.author import checkcache

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(package_dir, root / "content" / package_dir.name)
        app = build(root, root / "content" / package_dir.name)
        author = signed_in(app, "bench-author@example.org")
        reviewer = signed_in(app, "bench-reviewer@example.org")
        slug = package_dir.name
        base = f"/author/courses/{slug}"
        with app.app_context():
            from lessons import editing as ed

            files = {p.name: p.read_text() for p in package_dir.iterdir() if p.is_file()}
            first = ed.lesson_names(files)[0]
            lesson = ed.lesson_slug(first)
            check = ed.split_lesson(files[first]).checks[0].id
        lesson_url = f"{base}/lessons/{lesson}"
        save_edit(author, lesson_url, 0)  # starts the draft

        pages = {
            "home": "/author/",
            "course": f"{base}/",
            "settings": f"{base}/settings",
            "lesson": lesson_url,
            "check": f"{lesson_url}/checks/{check}",
            "post-test": f"{base}/post-test",
            "evaluation": f"{base}/evaluation",
            "history": f"{base}/history",
            "compare": f"{base}/history/compare",
            "publish page": f"{base}/publish",
        }
        print(f"{package_dir.name}: {args.requests} requests per page after one cold request")
        failed = []
        for name, url in pages.items():
            checkcache.clear()
            cold, _ = timed(lambda url=url: author.get(url))
            samples = [timed(lambda url=url: author.get(url)) for _ in range(args.requests)]
            median = statistics.median(w for w, _ in samples)
            failed += [name] if median > GOAL_PAGE_MS else []
            print(f"  {name:13s} cold {cold:7.1f} ms  {summary(samples)}")

        for label, clear in (("Publish", False), ("Publish cold", True)):
            samples = []
            for number in range(1, args.requests + 1):
                save_edit(author, lesson_url, number)
                reviewer.get(f"{base}/publish")
                if clear:
                    checkcache.clear()
                samples.append(timed(lambda: reviewer.post(f"{base}/publish", data=NOTE)))
            median = statistics.median(w for w, _ in samples)
            failed += [label] if label == "Publish" and median > GOAL_PUBLISH_MS else []
            print(f"  {label:13s} {summary(samples)}")
        with app.app_context():
            from sqlalchemy import func, select

            from course.extensions import db
            from course.models import CourseVersion

            versions = db.session.scalar(select(func.count()).select_from(CourseVersion))
        assert versions == 1 + 2 * args.requests, f"{versions} versions: a publish failed"
        print(f"goals (pages < {GOAL_PAGE_MS:g} ms, Publish < {GOAL_PUBLISH_MS:g} ms): "
              + ("met" if not failed else "missed by " + ", ".join(failed)))  # fmt: skip


if __name__ == "__main__":
    main()
