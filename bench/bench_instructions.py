"""Machine instructions per request on the learner's hot paths, side by side with another checkout.

Usage: python bench/bench_instructions.py [--requests 50] [--against PATH]
                                          [--paths lesson,course,floor,save]
                                          [--database-url URL]

CPU time on a shared machine drifts by a fifth from one minute to the next, more than
most changes to a hot path are worth, so two commits' CPU figures only compare when
interleaved over many runs. Instructions counted by valgrind's callgrind do not drift:
the same code on the same inputs counts within about half a percent, whatever else the
machine is doing. This runs each path in-process (the app called as a WSGI application,
no test client, no HTTP server), under callgrind, and counts only the measured requests:

  lesson  the signed-in lesson page (GET)
  course  the signed-in course page (GET)
  floor   a signed-in route of the course app that does no work of its own
  save    a knowledge-check answer saved (POST, as the page's script sends it)

With ``--against`` another checkout of the project (``git worktree add``) runs the same
paths with its own code and setup (``bench/profile_learn.py``), at the same time on the
other core, and the table gives the ratio. Each checkout runs on its own ``.venv`` when it
has one (so each commit's pinned libraries), else on this one's. Instructions are not
time (a cache miss costs more than an add), so read the ratio beside ``bench_learn.py``'s
CPU figures, not instead of them. Needs valgrind (Debian's package); each path takes a
minute or two.

With ``--database-url`` (an empty PostgreSQL database; it is emptied) the app runs on
PostgreSQL, one checkout after the other. Only the app's own process is counted: the
database server's work and the kernel's (each round trip's system calls) are not.
"""

from __future__ import annotations

import argparse
import io
import itertools
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("lesson", "course", "floor", "save")
FLOOR_PATH = "/_bench/signed-in-floor"
# Collection is on only inside this C function: the measured loop runs in a starmap, and
# nothing in setting up the app or warming it up uses one.
TOGGLE = "starmap_next"
WARM_UP = 30


# -- the child, run under valgrind with the checkout to measure first on sys.path ------------


def _environ(path: str, cookie: str, user_agent: str, body: bytes = b"", **headers: str) -> dict:
    environ = {
        "REQUEST_METHOD": "POST" if body else "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_COOKIE": cookie,
        "HTTP_USER_AGENT": user_agent,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    return environ


def _with_floor_route(create_app):
    """Wrap the app factory so the app also has the do-nothing signed-in route."""

    def create(*args, **kwargs):
        from flask import Response
        from flask_login import login_required

        app = create_app(*args, **kwargs)

        @app.get(FLOOR_PATH)
        @login_required
        def signed_in_floor() -> Response:
            return Response(b"x" * 20_000, mimetype="text/html")

        return app

    return create


def child(what: str, count: int, checkout: Path, database_url: str | None = None) -> None:
    """Set up the app, warm the path up, then make ``count`` requests inside a starmap."""
    # The measured checkout's code and set-up, not this file's neighbours.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(checkout), str(checkout / "bench")] + [
        p for p in sys.path if Path(p or ".").resolve() != here
    ]
    import profile_learn

    import course

    if not hasattr(profile_learn, "FLOOR_PATH"):  # its set-up adds the floor route itself
        course.create_app = _with_floor_route(course.create_app)
    try:  # under valgrind the package check runs ~50 times slower than its 20 s allows
        from lessons.limits import Deadline

        Deadline.__init__.__defaults__ = (3600.0,)
    except ImportError:  # a commit from before the check had a deadline
        pass
    # The "last seen" mark is rewritten once a minute; a run under valgrind lasts minutes,
    # and the rewrite (one request in thousands in service) would spoil the replayed cookie.
    from course.auth import sessions

    sessions.SEEN_REFRESH_SECONDS = 10**9
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        app, client, lesson_path = profile_learn.prepare(Path(tmp), 1, database_url)
        cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        # The test client's agent: the session is tied to the browser that signed in.
        agent = client.environ_base.get("HTTP_USER_AGENT") or _test_client_agent()
        page = client.get(lesson_path).get_data(as_text=True)
        if what == "save":
            csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)[1]
            path = re.search(r'formaction="([^"#]+/checks/[^"#]+)', page)[1]
            check = path.rsplit("/", 1)[1]

            def environ(n: int) -> dict:
                fields = {f"choice-{check}": "1", f"submission_key-{check}": f"bench-{n}"}
                body = urlencode(fields).encode()
                return _environ(path, cookie, agent, body, accept="application/json",
                                x_csrftoken=csrf)
        else:
            path = {"lesson": lesson_path, "course": lesson_path.split("/lessons/")[0],
                    "floor": FLOOR_PATH}[what]

            def environ(n: int) -> dict:
                return _environ(path, cookie, agent)

        rewrites = []

        def one(n: int) -> None:
            answers: list[tuple] = []
            body = app(environ(n), lambda *answer: answers.append(answer[:2]))
            b"".join(body)
            getattr(body, "close", lambda: None)()
            status, headers = answers[0]
            if not status.startswith("200"):
                raise SystemExit(f"{what}: {path} answered {status}")
            if n >= WARM_UP and any(name.lower() == "set-cookie" for name, _ in headers):
                rewrites.append(n)  # e.g. the hour turned: each request re-signs its token

        for n in range(WARM_UP):
            one(n)
        list(itertools.starmap(one, ((WARM_UP + n,) for n in range(count))))
        if rewrites:
            print(f"{len(rewrites)} measured requests rewrote the session cookie", file=sys.stderr)


def _test_client_agent() -> str:
    from importlib.metadata import version

    return f"Werkzeug/{version('werkzeug')}"


# -- the parent ----------------------------------------------------------------------------


def count_instructions(
    checkout: Path, what: str, requests: int, database_url: str | None = None
) -> float:
    """Run one path of one checkout under callgrind; return instructions per request."""
    with tempfile.TemporaryDirectory(prefix="callgrind-") as tmp:
        command = [
            "valgrind", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={TOGGLE}",
            f"--callgrind-out-file={Path(tmp) / 'out'}",
            str(_python_of(checkout)), str(Path(__file__).resolve()), "--child", what,
            str(requests), str(checkout),
        ] + ([database_url] if database_url else [])
        done = subprocess.run(command, cwd=checkout, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{checkout} {what}: failed\n{done.stderr[-3000:]}")
    if int(found[1]) == 0:  # a Python built without the symbol: nothing was counted
        raise SystemExit(f"callgrind counted nothing inside {TOGGLE}; is Python stripped?")
    if "rewrote the session cookie" in done.stderr:
        raise SystemExit(f"{checkout} {what}: the session cookie changed mid-run; run again")
    return int(found[1]) / requests


def _python_of(checkout: Path) -> Path:
    own = checkout / ".venv" / "bin" / "python"
    return own if own.exists() else Path(sys.executable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="measured requests per path")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--paths", default=",".join(PATHS), help="a comma-separated subset")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to run on (it "
                        "is emptied; the checkouts take turns); a new SQLite file by default")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, count, checkout, *url = args.child
        child(what, int(count), Path(checkout), *url)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    paths = [p for p in args.paths.split(",") if p]
    unknown = set(paths) - set(PATHS)
    if unknown:
        parser.error(f"unknown path {sorted(unknown)[0]!r}; choose from {', '.join(PATHS)}")
    checkouts = [ROOT] + ([args.against.resolve()] if args.against else [])
    for checkout in checkouts:
        if not (checkout / "bench" / "profile_learn.py").exists():
            parser.error(f"{checkout} has no bench/profile_learn.py to set the app up with")
    database = "PostgreSQL (app process only)" if args.database_url else "SQLite"
    print(f"instructions per request (callgrind), {args.requests} requests after {WARM_UP} "
          f"to warm up, in-process, {database}")
    names = [_describe(c) for c in checkouts]
    print(f"{'path':8} " + " ".join(f"{name:>24}" for name in names)
          + ("    ratio" if len(checkouts) > 1 else ""))
    # One database: the checkouts cannot share it at the same time.
    workers = 1 if args.database_url else len(checkouts)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for what in paths:
            counts = list(pool.map(count_instructions, checkouts, itertools.repeat(what),
                                   itertools.repeat(args.requests),
                                   itertools.repeat(args.database_url)))
            row = f"{what:8} " + " ".join(f"{n / 1e6:21.3f} M " for n in counts)
            if len(counts) > 1:
                row += f"   {counts[0] / counts[1]:6.3f}"
            print(row, flush=True)


def _describe(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h"],
                          capture_output=True, text=True)
    label = done.stdout.strip() or checkout.name
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True).stdout.strip()
    return label + ("+changes" if dirty else "")


if __name__ == "__main__":
    main()
