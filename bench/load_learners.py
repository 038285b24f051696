"""Simulated learners with think time against gunicorn: how many does one box hold?

Usage:
  python bench/load_learners.py [--learners 1000,5000,10000,20000] [--think 30,90]
      [--warmup 60] [--duration 180] [--database sqlite|postgresql] [--workers 3]
      [--threads 1] [--until-fail] [--json results.json]

For each level (a number of learners) the script makes a fresh database (an SQLite file,
or with ``--database postgresql`` a fresh database next to ``PG_TEST_URL``), imports the
course in content/, seeds the learners and starts gunicorn on a loopback port. Each
simulated learner is somewhere in the course: a uniformly drawn number of lessons is
already done (the rows are seeded), and from there the learner reads a lesson, answers
its knowledge checks, completes it, and at the end takes the post-test, fills in the
evaluation, opens the certificate (issued on first visit) and downloads its PDF; then
reads lessons again. Between two pages it thinks for a uniform 30-90 s (``--think``), so
N learners make about N/60 page views a second (redirects followed at once, as a browser
does). Most learners are already signed in (a session cookie made with the server's key);
a share equal to the run's length over an hour signs in with a password first, as learners
starting a session would. Rate limits stay on: each learner sends its own client address
in X-Forwarded-For (documentation range) and the app trusts one proxy.

The generator is one asyncio process with plain HTTP/1.1 over new connections (30-90 s
of thinking outlasts any keep-alive), so it leaves the cores to the server; its CPU share
is reported. So is the share of the machine's time its host gave to other tenants
("steal%"): on a shared virtual machine that varies from run to run, and a run with much
of it is slower for reasons outside the code. A level passes when every request
succeeded and p95 <= 100 ms; with ``--until-fail`` the steps stop at the first level
that fails.

Numbers are measured over ``--duration`` seconds after ``--warmup`` seconds of ramp-up.
Traffic goes to 127.0.0.1 only; every run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_servers import (  # noqa: E402
    app_environment,
    fresh_postgres_database,
    gunicorn,
)

CONTENT = ROOT / "content"
SLUG = "running-behavior"
PASSWORD = "walnut harbour cinema ninety"
P95_LIMIT_MS = 100.0
REQUEST_TIMEOUT = 30.0


# -- the database ------------------------------------------------------------------------


@dataclass
class Course:
    """What learners need to know of the course, read back after the import."""

    lessons: list[str]  # slugs in order
    checks: dict[str, list[str]]  # lesson slug -> check keys
    right: dict[str, list[str]]  # question key -> correct choice keys


@dataclass
class Seeded:
    course: Course
    #: per learner: (user id, email, lessons already done)
    learners: list[tuple[int, str, int]]
    secret_key: str


def seed(database_url: str, count: int, secret_key: str) -> Seeded:
    """Create the schema, import the course and seed ``count`` learners in place."""
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
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key}
    )
    rng = random.Random(count)
    with app.app_context():
        db.create_all()
        import_package(lesson_loader.load_package(CONTENT / SLUG))
        db.session.commit()
        course_row = db.session.scalar(select(CourseRow).where(CourseRow.slug == SLUG))
        live = course_row.live_lessons
        course = Course(
            lessons=[lesson.slug for lesson in live],
            checks={lesson.slug: [q.key for q in lesson.live_checks] for lesson in live},
            right={},
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
        done = {n: rng.randint(0, len(live)) for n in range(count)}
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
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": seeded.secret_key}
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


# -- HTTP ------------------------------------------------------------------------------


class HttpError(Exception):
    """A request that did not get a usable answer (connection, timeout, 4xx/5xx)."""


@dataclass
class Stats:
    """Latencies by request kind, inside the measuring window."""

    window: tuple[float, float] = (0.0, 0.0)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    #: how late the generator's own event loop woke up (seconds), inside the window
    loop_lags: list[float] = field(default_factory=list)

    def counts(self, at: float) -> bool:
        return self.window[0] <= at < self.window[1]

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {what}")


RESPONSE_HEAD = re.compile(rb"HTTP/1\.[01] (\d{3})")


class Client:
    """One learner's browser: cookies, a client address, plain HTTP/1.1 per request."""

    def __init__(self, port: int, address: str, stats: Stats) -> None:
        self.port, self.address, self.stats = port, address, stats
        self.cookies: dict[str, str] = {}

    async def request(
        self,
        kind: str,
        path: str,
        form: list[tuple[str, str]] | None = None,
        accept: str = "text/html",
    ) -> tuple[int, str, dict[str, str], bytes]:
        """Send one request and follow redirects; return status, final path, headers, body."""
        method = "GET" if form is None else "POST"
        body = urlencode(form).encode() if form is not None else b""
        for _hop in range(5):
            status, headers, data = await self._once(kind, method, path, body, accept)
            if status in (301, 302, 303, 307, 308):
                path = urlsplit(headers["location"]).path or "/"
                method, body, kind = "GET", b"", kind + ">"
                continue
            if status >= 400:
                self.stats.error(kind, f"HTTP {status} {path}")
                raise HttpError(f"{status} {path}")
            return status, path, headers, data
        raise HttpError("redirect loop")

    async def _once(self, kind, method, path, body, accept):
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Connection: close",
            f"Accept: {accept}",
            f"X-Forwarded-For: {self.address}",
            "User-Agent: load-learners",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        started = time.monotonic()
        writer = None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), REQUEST_TIMEOUT
            )
            writer.write(payload)
            raw = await asyncio.wait_for(reader.read(-1), REQUEST_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            self.stats.error(kind, f"{type(exc).__name__} {path}")
            raise HttpError(str(exc)) from exc
        finally:
            if writer is not None:
                writer.close()
        elapsed = time.monotonic() - started
        head, _, data = raw.partition(b"\r\n\r\n")
        match = RESPONSE_HEAD.match(head)
        if match is None:
            self.stats.error(kind, f"bad response {path}")
            raise HttpError("bad response")
        status = int(match[1])
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, attributes = value.partition(";")
                key, _, val = cookie.partition("=")
                if "max-age=0" in attributes.lower() or not val:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
            else:
                headers[name] = value
        if "chunked" in headers.get("transfer-encoding", ""):
            data = _unchunk(data)
        if self.stats.counts(started):
            self.stats.latencies[kind].append(elapsed)
        return status, headers, data


def _unchunk(data: bytes) -> bytes:
    out, rest = [], data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


# -- a learner ---------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CHECK_FORM = re.compile(
    r'action="([^"]*/checks/([^"/]+))"\s*>\s*<input type="hidden" name="csrf_token" '
    r'value="([^"]+)">\s*<input type="hidden" name="submission_key" value="([^"]+)">'
)
ATTEMPT = re.compile(
    r'<input[^>]*name="attempt"[^>]*value="(\d+)"|'
    r'<input[^>]*value="(\d+)"[^>]*name="attempt"'
)
POST_TEST_Q = re.compile(r'name="q-([^"]+)"')
FIELD = re.compile(r"<(input|textarea)\b([^>]*)>")
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


@dataclass
class Plan:
    port: int
    course: Course
    think: tuple[float, float]
    stop_at: float
    stats: Stats


class StopRun(Exception):
    """The run ends before the learner's next page."""


async def think(plan: Plan) -> None:
    """Read or think for a while before the next page; stop when the run is over."""
    pause = random.uniform(*plan.think)
    if time.monotonic() + pause >= plan.stop_at:
        raise StopRun
    await asyncio.sleep(pause)


async def learner(plan: Plan, n: int, email: str, done: int, cookie: tuple[str, str] | None):
    """One learner: from where they are in the course to the certificate, then re-reading."""
    client = Client(plan.port, f"2001:db8::{n + 1:x}", plan.stats)
    course, slug = plan.course, SLUG
    await asyncio.sleep(random.uniform(0, plan.think[1]))
    try:
        if cookie is None:
            _, _, _, page = await client.request("login-form", f"/auth/login?next=/courses/{slug}")
            token = CSRF.search(page.decode())[1]
            await think(plan)
            form = [
                ("csrf_token", token),
                ("next", f"/courses/{slug}"),
                ("email", email),
                ("password", PASSWORD),
            ]
            _, path, _, page = await client.request("sign-in", "/auth/login", form)
        else:
            client.cookies[cookie[0]] = cookie[1]
            _, path, _, page = await client.request("course", f"/courses/{slug}")
        if done == 0:
            await think(plan)
            token = CSRF.search(page.decode())[1]
            _, path, _, page = await client.request(
                "enrol", f"/courses/{slug}/enrol", [("csrf_token", token)]
            )
        elif done < len(course.lessons):
            await think(plan)
            lesson = course.lessons[done]
            _, path, _, page = await client.request("lesson", f"/courses/{slug}/lessons/{lesson}")
        else:
            await think(plan)
            _, path, _, page = await client.request("post-test", f"/courses/{slug}/post-test")
        while "/lessons/" in path:
            html = page.decode()
            for action, key, token, submission in CHECK_FORM.findall(html):
                await think(plan)
                form = [("csrf_token", token), ("submission_key", submission)]
                form += [("choice", c) for c in course.right[key]]
                _, _, _, reply = await client.request("check", action, form, "application/json")
                if b'"correct":true' not in reply.replace(b" ", b""):
                    plan.stats.error("check", f"graded wrong {key}")
            await think(plan)
            token = CSRF.findall(html)[-1]
            _, path, _, page = await client.request(
                "complete", path.rstrip("/") + "/complete", [("csrf_token", token)]
            )
        if path.endswith("/post-test"):
            html = page.decode()
            found = ATTEMPT.search(html)
            form = [("csrf_token", CSRF.search(html)[1]), ("attempt", found[1] or found[2])]
            for key in dict.fromkeys(POST_TEST_Q.findall(html)):
                form += [(f"q-{key}", c) for c in course.right[key]]
            await think(plan)
            _, path, _, page = await client.request("submit", path, form)
        await think(plan)
        _, path, _, page = await client.request("evaluation", f"/courses/{slug}/evaluation")
        if path.endswith("/evaluation"):
            html = page.decode()
            form = [("csrf_token", CSRF.search(html)[1])]
            seen = set()
            for tag, attributes in FIELD.findall(html):
                attrs = dict(ATTR.findall(attributes))
                name = attrs.get("name", "")
                if not name.startswith("item-") or name in seen:
                    continue
                if attrs.get("type") == "radio":
                    values = re.findall(rf'name="{name}" value="([^"]+)"', html)
                    form.append((name, values[-1]))
                elif tag == "textarea":
                    form.append((name, "Clear and useful."))
                else:
                    form.append((name, "60"))
                seen.add(name)
            await think(plan)
            _, path, _, page = await client.request("evaluate", path, form)
        if not path.startswith("/me/certificates/"):
            plan.stats.error("certificate", f"no certificate: {path}")
            return
        await think(plan)
        await client.request("pdf", path + ".pdf", accept="application/pdf")
        while True:  # done: back to the lessons now and then
            await think(plan)
            lesson = random.choice(course.lessons)
            await client.request("lesson", f"/courses/{slug}/lessons/{lesson}")
    except (HttpError, StopRun):
        return
    except (TypeError, IndexError, KeyError) as exc:
        plan.stats.error("page", f"{email}: unexpected page ({type(exc).__name__}: {exc})")


# -- measuring ---------------------------------------------------------------------------


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def _postgres_pids(database: str | None) -> list[int]:
    if not database:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"postgres:" in command and f" {database} ".encode() in command:
                found.append(int(entry.name))
    return found


def _same_priority(pids: list[int]) -> None:
    """Give the database's server processes this script's niceness (run under nice -n)."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, mine)
        except OSError:
            pass


def _machine_ticks() -> tuple[int, int, int]:
    """Return the machine's total, idle and stolen CPU ticks (steal: the host's other VMs)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    steal = values[7] if len(values) > 7 else 0
    return sum(values), idle, steal


@dataclass
class Level:
    learners: int
    requests: int
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu_total: float
    cpu_stolen: float
    cpu_generator: float
    cpu_server: float
    cpu_database: float
    cpu_ms_per_request: float
    loop_lag_p95: float
    by_kind: dict[str, dict[str, float]]
    examples: list[str]

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.p95 <= P95_LIMIT_MS


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


async def _watch_loop(plan: Plan) -> None:
    """Record how late the generator wakes: its own delay is inside every latency it measures."""
    while True:
        asked = time.monotonic()
        await asyncio.sleep(0.05)
        woke = time.monotonic()
        if plan.stats.counts(asked):
            plan.stats.loop_lags.append(woke - asked - 0.05)


async def _drive(plan: Plan, seeded: Seeded, cookies: tuple[str, list[str]], login_share: float):
    name, values = cookies
    tasks = [asyncio.create_task(_watch_loop(plan))]
    for n, (_user_id, email, done) in enumerate(seeded.learners):
        cookie = None if random.random() < login_share else (name, values[n])
        tasks.append(asyncio.create_task(learner(plan, n, email, done, cookie)))
    await asyncio.sleep(max(0.0, plan.stop_at - time.monotonic()))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def run_level(args: argparse.Namespace, count: int) -> Level:
    """Seed, serve and load one level; return its figures."""
    with tempfile.TemporaryDirectory(prefix="load-learners-") as tmp:
        root = Path(tmp)
        secret = secrets.token_urlsafe(32)
        if args.database == "postgresql":
            context = fresh_postgres_database(args.pg_url, "ce_bench")
        else:
            context = _nullcontext(f"sqlite:///{root / 'course.db'}")
        with context as database_url:
            started = time.monotonic()
            seeded = seed(database_url, count, secret)
            cookies = session_cookies(seeded, database_url)
            print(f"  seeded {count} learners in {time.monotonic() - started:.0f} s", flush=True)
            env = app_environment(
                database_url,
                CONTENT,
                SECRET_KEY=secret,
                TRUST_PROXY="1",
                RATELIMIT_ENABLED="1",
            )
            with gunicorn(
                root, env, workers=args.workers, threads=args.threads, extra=["--backlog", "4096"]
            ) as server:
                stats = Stats()
                begin = time.monotonic()
                stats.window = (begin + args.warmup, begin + args.warmup + args.duration)
                plan = Plan(server.port, seeded.course, args.think, stats.window[1], stats)
                login_share = min(1.0, (args.warmup + args.duration) / 3600)
                loop = asyncio.new_event_loop()
                marks: dict[str, object] = {}

                def mark(label: str) -> None:
                    pids = [server.process.pid, *server.worker_pids()]
                    database = urlsplit(database_url).path.lstrip("/")
                    if label == "start":
                        _same_priority(_postgres_pids(database))
                    marks[label] = (
                        _machine_ticks(),
                        resource.getrusage(resource.RUSAGE_SELF),
                        _cpu_ticks(pids),
                        _cpu_ticks(_postgres_pids(database if args.database != "sqlite" else None)),
                        time.monotonic(),
                    )

                loop.call_later(args.warmup, mark, "start")
                loop.call_later(args.warmup + args.duration - 0.05, mark, "end")
                loop.run_until_complete(_drive(plan, seeded, cookies, login_share))
                loop.close()
        (m0, r0, s0, d0, t0), (m1, r1, s1, d1, t1) = marks["start"], marks["end"]
        ticks = os.sysconf("SC_CLK_TCK")
        cores = os.cpu_count() or 1
        wall = t1 - t0
        total, idle, stolen = (m1[i] - m0[i] for i in range(3))
        generator = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / wall / cores
        all_latencies = [v for values in stats.latencies.values() for v in values]
        by_kind = {
            kind: {
                "n": len(values),
                "p50": _pct(values, 0.5),
                "p95": _pct(values, 0.95),
                "p99": _pct(values, 0.99),
            }
            for kind, values in sorted(stats.latencies.items())
        }
        return Level(
            learners=count,
            requests=len(all_latencies),
            rate=len(all_latencies) / args.duration,
            p50=_pct(all_latencies, 0.5),
            p95=_pct(all_latencies, 0.95),
            p99=_pct(all_latencies, 0.99),
            errors=sum(stats.errors.values()),
            cpu_total=100 * (total - idle - stolen) / total if total else 0.0,
            cpu_stolen=100 * stolen / total if total else 0.0,
            cpu_generator=100 * generator,
            cpu_server=100 * (s1 - s0) / ticks / wall / cores,
            cpu_database=100 * (d1 - d0) / ticks / wall / cores,
            cpu_ms_per_request=1000 * ((s1 - s0) + (d1 - d0)) / ticks / max(1, len(all_latencies)),
            loop_lag_p95=_pct(stats.loop_lags, 0.95),
            by_kind=by_kind,
            examples=stats.examples,
        )


class _nullcontext:
    def __init__(self, value: str) -> None:
        self.value = value

    def __enter__(self) -> str:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", default="1000,5000,10000,15000,20000")
    parser.add_argument("--think", default="30,90", help="think time range in seconds")
    parser.add_argument("--warmup", type=float, default=60.0)
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("PG_TEST_URL"))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--until-fail", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.think = tuple(float(v) for v in args.think.split(","))
    if args.database == "postgresql" and not args.pg_url:
        parser.error("--database postgresql needs --pg-url or PG_TEST_URL")
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit[1], limit[1]))

    kind = "gthread" if args.threads > 1 else "sync"
    print(
        f"gunicorn {args.workers} {kind} worker(s) x {args.threads} thread(s), "
        f"{args.database}; think {args.think[0]:g}-{args.think[1]:g} s; "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured per level",
        flush=True,
    )
    header = (
        f"{'learners':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'cpu %':>6} {'gen %':>6} {'app %':>6} {'db %':>6} {'ms/req':>6} "
        f"{'steal%':>6}"
    )
    results = []
    for count in (int(v) for v in args.learners.split(",")):
        print(f"- {count} learners", flush=True)
        level = run_level(args, count)
        results.append(level)
        slow = sorted(level.by_kind.items(), key=lambda kv: -kv[1]["p95"])[:4]
        print("  slowest p95: " + ", ".join(f"{k} {v['p95']:.0f} ms (n={v['n']})" for k, v in slow))
        print(f"  generator's own wake-up delay p95: {level.loop_lag_p95:.1f} ms")
        for example in level.examples[:5]:
            print(f"  error: {example}")
        print(header)
        print(_row(level), flush=True)
        if args.until_fail and not level.passed:
            break
    print("\n" + header)
    for level in results:
        print(_row(level) + ("" if level.passed else "  <- over the limit"))
    if args.json:
        args.json.write_text(json.dumps([level.__dict__ for level in results], indent=2))


def _row(level: Level) -> str:
    return (
        f"{level.learners:>8} {level.rate:>7.1f} {level.p50:>7.1f} {level.p95:>7.1f} "
        f"{level.p99:>7.1f} {level.errors:>6} {level.cpu_total:>6.0f} "
        f"{level.cpu_generator:>6.0f} {level.cpu_server:>6.0f} {level.cpu_database:>6.0f} "
        f"{level.cpu_ms_per_request:>6.1f} {level.cpu_stolen:>6.0f}"
    )


if __name__ == "__main__":
    main()
