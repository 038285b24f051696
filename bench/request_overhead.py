"""What serving adds to a request's CPU: the course page under gunicorn against in-process.

Usage: python bench/request_overhead.py [--learners 3000] [--requests 600]

Seeds the learners as ``load_learners.py`` does, then asks for the signed-in course page
(the commonest request of its mix), a different learner each time, over a new connection
each time, one request at a time. For each way of serving it prints the CPU all gunicorn
processes spent a request (from /proc): three sync workers with rate limits on (as
``load_learners.py`` serves), rate limits off, one worker, and one worker paced at 20
requests a second (an idle server woken for each request, as under think time). Last, the
same requests handed straight to the app in this process, back to back and paced. The
differences show what the server, its idle workers and an idle machine add to the app's
own cost, which ``profile_learn.py`` takes apart. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from learner_seed import CONTENT, SLUG, seed, session_cookies  # noqa: E402
from proc_cpu import cpu_ticks  # noqa: E402

from tests.live_servers import app_environment, gunicorn  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PATH = f"/courses/{SLUG}"


def served(port: int, cookie: str, n: int) -> None:
    """Fetch the course page as learner ``n`` over a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Cookie": cookie, "X-Forwarded-For": f"2001:db8::{n + 1:x}"}
    connection.request("GET", PATH, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"the course page answered {response.status}")


def under_gunicorn(
    root: Path, env: dict[str, str], cookies: list[str], requests: int, workers: int, rate: float
) -> float:
    """Return the server CPU (ms) a request, one connection at a time."""
    with gunicorn(root, env, workers=workers, extra=["--backlog", "4096"]) as server:
        pids = [server.process.pid, *server.worker_pids()]
        for n in range(200):  # warm every worker up
            served(server.port, cookies[n % len(cookies)], n)
        before, started = cpu_ticks(pids), time.monotonic()
        for n in range(requests):
            served(server.port, cookies[n % len(cookies)], n)
            if rate:
                time.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
        return (cpu_ticks(pids) - before) / TICK / requests * 1000


def in_process(url: str, secret: str, cookies: list[str], requests: int) -> tuple[float, float]:
    """Return the app's own CPU (ms) a request, back to back and paced at 20 a second.

    The WSGI app is called as a server would call it; paced, only each call's CPU counts.
    """
    from werkzeug.test import EnvironBuilder

    from course import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret,
                      "CONTENT_DIR": str(CONTENT), "RATELIMIT_ENABLED": False, "TRUST_PROXY": 1})
    environs = [
        EnvironBuilder(path=PATH, headers={"Cookie": cookie}).get_environ() for cookie in cookies
    ]
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def one(n: int) -> None:
        b"".join(app(dict(environs[n % len(environs)]), start_response))

    for n in range(200):
        one(n)
    if any(not status.startswith("200") for status in statuses):
        raise SystemExit(f"in-process: {statuses[-1]}")
    started = time.process_time()
    for n in range(requests):
        one(n)
    back_to_back = (time.process_time() - started) / requests * 1000
    paced = 0.0
    for n in range(requests // 2):
        started = time.process_time()
        one(n)
        paced += time.process_time() - started
        time.sleep(0.05)
    return back_to_back, paced / (requests // 2) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="request-overhead-") as tmp:
        root = Path(tmp)
        secret = secrets.token_urlsafe(32)
        url = f"sqlite:///{root / 'course.db'}"
        seeded = seed(url, args.learners, secret)
        name, values = session_cookies(seeded, url)
        cookies = [f"{name}={value}" for value in values]
        base = app_environment(url, CONTENT, SECRET_KEY=secret, TRUST_PROXY="1")
        ways = [
            ("3 workers, rate limits on", {"RATELIMIT_ENABLED": "1"}, 3, 0.0),
            ("3 workers, rate limits off", {}, 3, 0.0),
            ("1 worker, rate limits off", {}, 1, 0.0),
            ("1 worker, paced at 20 a second", {}, 1, 20.0),
        ]
        print(f"signed-in course page, {args.learners} learners, {args.requests} requests a row")
        for label, settings, workers, rate in ways:
            cpu = under_gunicorn(root, {**base, **settings}, cookies, args.requests, workers, rate)
            print(f"  gunicorn, {label:<32} {cpu:5.2f} ms CPU a request", flush=True)
        back_to_back, paced = in_process(url, secret, cookies, args.requests * 2)
        print(f"  in-process, the app's own{'':<23} {back_to_back:5.2f} ms CPU a request")
        print(f"  in-process, paced at 20 a second{'':<16} {paced:5.2f} ms CPU a request")


if __name__ == "__main__":
    main()
