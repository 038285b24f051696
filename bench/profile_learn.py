"""Profile the signed-in lesson page in-process: where its CPU goes, by function.

Usage: python bench/profile_learn.py [--requests 2000] [--lesson 1] [--top 25]
                                     [--sort tottime|cumulative] [--out lesson.prof]
                                     [--answers | --course-page] [--database-url URL]
       python bench/profile_learn.py --against COMMIT [--rounds 3] [--requests 500] ...

Makes a fresh SQLite database (or empties the PostgreSQL one given with --database-url)
with content/running-behavior imported and one enrolled, signed-in learner (CSRF on),
warms up, then runs the lesson page through Flask's test client under cProfile (with
``--answers``: knowledge-check answers saved as the page's script sends them, each with
its own submission key). Prints the CPU per request (``time.process_time``, profiler off
and on; for a GET also the app's own share: the same request handed straight to the WSGI
app, as a server would, without the test client building it and keeping its cookies)
and the functions that use most of it, grouped by package as well, so a change to the
hot path can be checked before and after.
The profiler roughly doubles the cost of each Python call, so read shares, not absolute
times, from its table.

With ``--against COMMIT`` it measures that commit and this checkout side by side in one
sitting: the commit is checked out in a temporary git worktree, and each round runs this
script once on each code base in turn (each with its own course package), so a machine
whose speed drifts within the hour slows both alike. It prints every round and the ratio
of the medians; the worktree is removed afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The code base measured: this checkout, or another one given with ``--code``.
CODE = ROOT
COURSE = "running-behavior"
#: A signed-in route doing no work of its own (as bench_learn's): the app's floor.
FLOOR_PATH = "/_bench/signed-in-floor"
PASSWORD = "profile learner reads slowly"


def prepare(root: Path, lesson_number: int, database_url: str | None = None):
    """Return an app, a signed-in test client and the lesson's path."""
    import shutil

    from sqlalchemy import select

    import lessons
    from course import create_app
    from course.extensions import db
    from course.learn.services import enrol
    from course.models import Course
    from course.packages import import_package
    from course.users import create_user

    package = CODE / "content" / COURSE
    shutil.copytree(package, root / "content" / COURSE)
    app = _with_floor_route(create_app(
        {
            "TESTING": True,
            "PASSWORD_HASHING": "owasp",  # what production pays, not the tests' cost
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{root / 'profile.db'}",
            "CONTENT_DIR": str(root / "content"),
        }
    ))
    with app.app_context():
        if database_url:
            db.drop_all()  # a database of its own, emptied for each run
        db.create_all()
        course = import_package(lessons.load_package(root / "content" / COURSE)).course
        user = create_user(email="profile@example.org", password=PASSWORD, full_name="P L")
        enrol(user, course)
        db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == course.slug))
        path = f"/courses/{course.slug}/lessons/{course.live_lessons[lesson_number - 1].slug}"
        db.session.remove()
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    client.post(
        "/auth/login",
        data={"csrf_token": token, "email": "profile@example.org", "password": PASSWORD},
    )
    assert client.get(path).status_code == 200
    return app, client, path


def _with_floor_route(app):
    """Add ``FLOOR_PATH``: the whole signed-in pipeline (session cookie, user, session
    time-outs, CSRF, security headers) returning a fixed page of the lesson's size."""
    from flask import Response
    from flask_login import login_required

    body = b"x" * 40_000

    @app.get(FLOOR_PATH)
    @login_required
    def signed_in_floor() -> Response:
        return Response(body, mimetype="text/html")

    return app


def answer_sender(client, path: str):
    """Return a function that saves an answer to the lesson's first check (JSON, as the
    page's script sends it), a new submission key each time; and the check's path."""
    page = client.get(path).get_data(as_text=True)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)[1]
    action = re.search(r'formaction="([^"#]+/checks/[^"#]+)', page)[1]
    check = action.rsplit("/", 1)[1]
    headers = {"Accept": "application/json", "X-CSRFToken": csrf}
    keys = iter(range(10**9))

    def send():
        data = {f"choice-{check}": "1", f"submission_key-{check}": f"profile-{next(keys)}"}
        response = client.post(action, data=data, headers=headers)
        assert response.status_code == 200, response.status_code

    return send, action


def wsgi_sender(app, client, path: str):
    """Return a function that hands the app the GET of ``path`` as a WSGI server would:
    the environ built once with the client's cookies, no test client per request."""
    # The environ of a real request through the client: its path, headers and cookies.
    environ = dict(client.get(path).request.environ)

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    expected = len(client.get(path).get_data())

    def send():
        body = app({**environ, "wsgi.input": io.BytesIO()}, start_response)
        try:
            assert sum(len(chunk) for chunk in body) == expected  # the whole page
        finally:
            getattr(body, "close", lambda: None)()

    return send


def cpu_per_request(request, count: int) -> float:
    """Median CPU milliseconds per request over ``count`` requests in batches of 50."""
    batches = []
    for _ in range(max(1, count // 50)):
        start = time.process_time()
        for _ in range(50):
            request()
        batches.append((time.process_time() - start) * 1000 / 50)
    return statistics.median(batches)


def cpu_side_by_side(first, second, count: int) -> tuple[float, float]:
    """As ``cpu_per_request`` for two ways of sending, their batches taken in turn."""
    pairs = [(cpu_per_request(first, 50), cpu_per_request(second, 50))
             for _ in range(max(1, count // 50))]
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own CPU time grouped by top-level package (or the standard library)."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            key = filename.split("site-packages/")[1].split("/")[0]
        elif str(CODE) in filename:
            key = "this project: " + filename.split(str(CODE) + "/")[1].split("/")[0]
        elif filename.startswith("~") or filename.startswith("<"):
            key = "built-ins (C)"
        else:
            key = "standard library"
        totals[key.removesuffix(".py")] += tottime
    whole = sum(totals.values()) or 1
    return sorted(((k, v / whole) for k, v in totals.items()), key=lambda kv: -kv[1])


# Entry points whose inclusive time answers "how much goes to ...?" (file ending, function).
PARTS = (
    ("Jinja templates (render_template)", "flask/templating.py", "render_template"),
    ("database: every ORM query (session._execute_internal)", "sqlalchemy/orm/session.py",
     "_execute_internal"),
    ("signed-in user lookup", "course/auth/browsers.py", "load_signed_in_user"),
    ("database: every Core statement (Connection._execute_clauseelement)",
     "sqlalchemy/engine/base.py", "_execute_clauseelement"),
    ("url_for in templates (remembered links)", "course/templating.py", "url_for"),
    ("url_for (Flask's, building a link)", "flask/app.py", "url_for"),
    ("CSRF token", "flask_wtf/csrf.py", "generate_csrf"),
    ("session cookie read", "flask/sessions.py", "open_session"),
    ("session cookie write", "flask/sessions.py", "save_session"),
    ("end of request (session.remove)", "flask_sqlalchemy/extension.py", "_teardown_session"),
)


def parts(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Inclusive time of well-known entry points, as shares of the whole."""
    whole = sum(tottime for (_cc, _nc, tottime, _ct, _callers) in stats.stats.values()) or 1
    found = []
    for label, ending, name in PARTS:
        cumulative = sum(
            ct
            for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
            if filename.endswith(ending) and func == name
        )
        found.append((label, cumulative / whole))
    return found


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--lesson", type=int, default=1)
    parser.add_argument("--database-url", help="an empty PostgreSQL database to profile on "
                        "(it is emptied); a new SQLite file by default")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--out", type=Path, help="also save the raw profile here")
    parser.add_argument("--answers", action="store_true",
                        help="profile answer saves (POST) instead of the page")
    parser.add_argument("--course-page", action="store_true",
                        help="profile the course's own page (outline and progress) instead")
    parser.add_argument("--against", metavar="COMMIT",
                        help="measure COMMIT and this checkout side by side, in turn")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --against: runs of each code base (default 3)")
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    """Profile one kind of request, or compare two commits with ``--against``."""
    global CODE
    args = _arguments()
    if args.against:
        compare(args)
        return
    CODE = args.code.resolve()
    sys.path.insert(0, str(CODE))
    with tempfile.TemporaryDirectory(prefix="profile-learn-") as tmp:
        app, client, path = prepare(Path(tmp), args.lesson, args.database_url)
        if args.answers:
            request, path = answer_sender(client, path)
        elif args.course_page:
            path = path.split("/lessons/")[0]
            request = lambda: client.get(path)  # noqa: E731
        else:
            request = lambda: client.get(path)  # noqa: E731
        cpu_per_request(request, 200)  # warm: templates compiled, caches filled
        app_only = floor = page = None
        if args.answers:
            plain = cpu_per_request(request, args.requests)
        else:  # batches of the two in turn, so a slow stretch of the machine hits both
            direct = wsgi_sender(app, client, path)
            cpu_per_request(direct, 200)
            plain, app_only = cpu_side_by_side(request, direct, args.requests)
            to_floor = wsgi_sender(app, client, FLOOR_PATH)
            cpu_per_request(to_floor, 200)
            # Its own pairs, so the page's own work is a difference within one sitting.
            page, floor = cpu_side_by_side(direct, to_floor, args.requests)
        # CPU time, as the figures above: by the wall clock the waits for PostgreSQL's
        # answers counted as the app's work (psycopg's wait() looked like a quarter of it).
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.requests):
            request()
        profiler.disable()
    stats = pstats.Stats(profiler)
    calls = sum(nc for (_cc, nc, *_rest) in stats.stats.values()) / args.requests
    if args.json:  # one line for --against to read
        print(json.dumps({"ms": plain, "app_ms": app_only, "floor_ms": floor,
                          "page_ms": page, "calls": calls}))
        return
    report(args, path, stats, calls, plain, app_only, floor, page)


def report(args, path, stats, calls, plain, app_only, floor, page) -> None:
    """Print the CPU figures, the shares by package and entry point, and the top table."""
    what = (
        "knowledge-check answers saved to" if args.answers
        else "signed-in course page" if args.course_page else "signed-in lesson page"
    )
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{what} {path}, in-process (Flask test client), {database}")
    print(f"CPU per request without the profiler: {plain:.3f} ms (median of 50-request batches)")
    if app_only is not None:
        print(f"... of which the app's own (the same GET straight to the WSGI app): "
              f"{app_only:.3f} ms")
        print(f"... the app's signed-in floor (a route doing no work, {FLOOR_PATH}): "
              f"{floor:.3f} ms beside {page:.3f} ms for the page in the same batches,")
        print(f"    so the page's own work is {page - floor:.3f} ms")
    print(f"Python function calls per request: {calls:,.0f}")
    print("\nOwn time by package:")
    for name, share in by_package(stats)[:12]:
        print(f"  {share:6.1%}  {name}")
    print("\nInclusive time of entry points (they overlap: a template calls url_for):")
    for label, share in parts(stats):
        print(f"  {share:6.1%}  {label}")
    if args.top > 0:  # --top 0: the summaries alone
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(args.sort).print_stats(args.top)
        table = out.getvalue()
        print("\n" + table[table.index("   ncalls") :])
    if args.out:
        stats.dump_stats(args.out)


def compare(args: argparse.Namespace) -> None:
    """Run this script on ``args.against`` and on this checkout in turn; print the ratio."""
    passed = ["--requests", str(args.requests), "--lesson", str(args.lesson)]
    passed += ["--answers"] if args.answers else ["--course-page"] if args.course_page else []
    passed += ["--database-url", args.database_url] if args.database_url else []
    with tempfile.TemporaryDirectory(prefix="profile-learn-base-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach",
                        str(base), args.against], check=True)  # fmt: skip
        try:
            runs: dict[str, list[dict]] = {args.against: [], "this checkout": []}
            for number in range(1, args.rounds + 1):
                for name, code in ((args.against, base), ("this checkout", ROOT)):
                    out = subprocess.run(
                        [sys.executable, __file__, "--json", "--code", str(code), *passed],
                        check=True, capture_output=True, text=True, cwd=code,
                    ).stdout
                    runs[name].append(json.loads(out.strip().splitlines()[-1]))
                    figures = runs[name][-1]
                    print(f"round {number}, {name}: {figures['ms']:.3f} ms a request, "
                          f"{figures['calls']:,.0f} Python calls", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           check=False)  # fmt: skip
    medians = {name: statistics.median(r["ms"] for r in rounds) for name, rounds in runs.items()}
    then, now = medians[args.against], medians["this checkout"]
    print(f"\nmedian of {args.rounds} rounds: {args.against} {then:.3f} ms, "
          f"this checkout {now:.3f} ms: {now / then:.2f} of its CPU ({then / now:.2f} times less)")


if __name__ == "__main__":
    main()
