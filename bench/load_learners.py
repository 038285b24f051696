"""Simulated learners with think time against gunicorn: how many does one box hold?

Usage:
  python bench/load_learners.py [--learners 1000,5000,10000,20000] [--think 30,90]
      [--warmup 60] [--duration 180] [--database sqlite|postgresql|sqlite,postgresql]
      [--workers 3]
      [--threads 1] [--until-fail] [--server-checkout DIR] [--json results.json]
      [--timeline seconds.csv]

For each level (a number of learners) the script makes a fresh database (an SQLite file,
or with ``--database postgresql`` a fresh database next to ``PG_TEST_URL``; with
``sqlite,postgresql`` each level runs on both in turn, and the app + database CPU per
request of the two is compared at the end), imports the
course in content/, seeds the learners and starts gunicorn on a loopback port. Each
simulated learner is somewhere in the course: a uniformly drawn number of lessons is
already done (the rows are seeded), and from there the learner reads a lesson, answers
its knowledge checks, completes it, and at the end takes the post-test, fills in the
evaluation, opens the certificate (issued on first visit) and downloads its PDF; then
reads lessons again. Between two pages it thinks for a uniform 30-90 s (``--think``), so
N learners make about N/60 page views a second (redirects followed at once, as a browser
does), from the first second on: each learner starts part-way through a pause, drawn as
the time left of a pause already under way. (Starting every learner within one longest
pause instead made the rate climb to 1.4 times that about 90 s in and fall back after,
so a level's p95 was decided by that one surge.) Most learners are already signed in (a
session cookie made with the server's key); a share equal to the run's length over an hour
signs in with a password first, as learners starting a session would. Rate limits stay
on: each learner sends its own client address in X-Forwarded-For (documentation range)
and the app trusts one proxy.

The generator is one asyncio process with plain HTTP/1.1 over new connections (30-90 s
of thinking outlasts any keep-alive), so it leaves the cores to the server; its CPU share
is reported. So is the share of the machine's time its host gave to other tenants
("steal%"): on a shared virtual machine that varies from run to run, and a run with much
of it is slower for reasons outside the code. A level passes when every request
succeeded and p95 <= 100 ms; with ``--until-fail`` the steps stop at the first level
that fails.

To compare two commits, check the other out beside this one (``git worktree add
../base COMMIT``) and pass ``--server-checkout ../base``: that checkout's code seeds the
database from its own course and serves it, while this generator drives it, so the two
commits meet the same load (each commit's own generator would differ in its own CPU,
which the server then does not get). Alternate the two runs: a shared machine's speed
drifts within an hour.

With ``--timeline FILE`` each level also writes one CSV row per measured second: the
requests started and answered, the learners' p50/p95/max wait and the app's own p95/max
time from gunicorn's access log, and prints in how many seconds the learners' p95 passed
the limit and what the app's own p95 was then (``learner_timeline.py``). A wait that
climbs while the app's own time stays flat is time spent queued for a free worker.

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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Beside this file: the seeded database, the HTTP client and the CPU counters.
import learner_timeline  # noqa: E402
from learner_http import Client, HttpError, Stats  # noqa: E402
from learner_seed import (  # noqa: E402
    PASSWORD,
    SLUG,
    Course,
    Seeded,
    label_text,
    seed,
    seed_with_checkout,
    session_cookies,
)
from proc_cpu import cpu_ticks, machine_ticks, postgres_pids, same_priority  # noqa: E402

from tests.live_servers import (  # noqa: E402
    app_environment,
    fresh_postgres_database,
    gunicorn,
)

P95_LIMIT_MS = 100.0


# -- a learner ---------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ENROLL_FORM = re.compile(r'action="(/courses/[^"/]+/enroll?)"')
# A check's button sends the lesson's one form to the check; its formaction may end in
# "#check-KEY" (the page returns to the question without script).
CHECK_BUTTON = re.compile(r'formaction="([^"#]*/checks/([^"/#]+))(?:#[^"]*)?"')
SUBMISSION_KEY = re.compile(r'name="submission_key-([^"]+)" value="([^"]+)"')
ATTEMPT = re.compile(
    r'<input[^>]*name="attempt"[^>]*value="(\d+)"|'
    r'<input[^>]*value="(\d+)"[^>]*name="attempt"'
)
POST_TEST_Q = re.compile(r'name="q-([^"]+)"')
CHOICE = re.compile(r'<input\b[^>]*\bname="([^"]+)"[^>]*\bid="([^"]+)"[^>]*\bvalue="([^"]+)"')
LABEL = re.compile(r'<label for="([^"]+)">(.*?)</label>', re.S)
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


def labelled(html: str, name: str, id_prefix: str, labels: list[str]) -> list[str]:
    """The values of the ``name`` inputs (ids starting ``id_prefix-``) labelled as wanted.

    Pages send a choice's position in the learner's own order, so a learner picks by label.
    """
    texts = {item: label_text(text) for item, text in LABEL.findall(html)}
    return [
        value
        for input_name, input_id, value in CHOICE.findall(html)
        if input_name == name and input_id.startswith(f"{id_prefix}-")
        and texts.get(input_id) in labels
    ]


def evaluation_form(html: str) -> list[tuple[str, str]]:
    """The evaluation filled in: the last choice of each scale, a number, a comment."""
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
    return form


def time_left_of_a_pause(think: tuple[float, float]) -> float:
    """The rest of a pause already under way when the run starts, in seconds.

    Seen at a random moment, a learner is inside a pause of length T with a chance
    proportional to T, and anywhere within it alike: the rest exceeds x with a chance
    proportional to P(T > x). So draw x below the longest pause and keep it with that
    chance; learners started so send their pages at a steady rate from the start.
    """
    shortest, longest = think
    while True:
        left = random.uniform(0, longest)
        if left <= shortest or random.uniform(shortest, longest) >= left:
            return left


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
    await asyncio.sleep(time_left_of_a_pause(plan.think))
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
            html = page.decode()
            token = CSRF.search(html)[1]
            # The page's own form: "/enroll" now, "/enrol" in commits before 3ccf53a, so
            # one generator drives both sides of a comparison (--server-checkout).
            found = ENROLL_FORM.search(html)
            action = found[1] if found else f"/courses/{slug}/enroll"
            _, path, _, page = await client.request("enrol", action, [("csrf_token", token)])
        elif done < len(course.lessons):
            await think(plan)
            lesson = course.lessons[done]
            _, path, _, page = await client.request("lesson", f"/courses/{slug}/lessons/{lesson}")
        else:
            await think(plan)
            _, path, _, page = await client.request("post-test", f"/courses/{slug}/post-test")
        while "/lessons/" in path:
            html = page.decode()
            token, submissions = CSRF.search(html)[1], dict(SUBMISSION_KEY.findall(html))
            for action, key in CHECK_BUTTON.findall(html):
                await think(plan)
                # As the page's script sends it: this check's fields alone.
                form = [("csrf_token", token), (f"submission_key-{key}", submissions[key])]
                picked = labelled(html, f"choice-{key}", key, course.labels[key])
                form += [(f"choice-{key}", c) for c in picked]
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
                name = f"q-{key}"
                form += [(name, c) for c in labelled(html, name, name, course.labels[key])]
            await think(plan)
            _, path, _, page = await client.request("submit", path, form)
        await think(plan)
        _, path, _, page = await client.request("evaluation", f"/courses/{slug}/evaluation")
        if path.endswith("/evaluation"):
            form = evaluation_form(page.decode())
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


@dataclass
class Level:
    database: str
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
    #: with --timeline: the seconds over the limit against the app's own time
    timeline: str = ""

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.p95 <= P95_LIMIT_MS


def _pct(values: list[float], q: float) -> float:
    return 1000 * learner_timeline.percentile(values, q)  # seconds in, milliseconds out


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


def run_level(args: argparse.Namespace, count: int, database: str) -> Level:
    """Seed, serve and load one level on one database; return its figures."""
    with tempfile.TemporaryDirectory(prefix="load-learners-") as tmp:
        root = Path(tmp)
        secret = secrets.token_urlsafe(32)
        if database == "postgresql":
            context = fresh_postgres_database(args.pg_url, "ce_bench")
        else:
            context = _nullcontext(f"sqlite:///{root / 'course.db'}")
        with context as database_url:
            started = time.monotonic()
            if args.server_checkout:
                checkout = args.server_checkout
                seeded, cookies = seed_with_checkout(checkout, database_url, count, secret)
            else:
                checkout = ROOT
                seeded = seed(database_url, count, secret)
                cookies = session_cookies(seeded, database_url)
            print(f"  seeded {count} learners in {time.monotonic() - started:.0f} s", flush=True)
            timeline_format = (
                ["--access-logformat", learner_timeline.ACCESS_FORMAT] if args.timeline else []
            )
            env = app_environment(
                database_url,
                checkout / "content",
                SECRET_KEY=secret,
                TRUST_PROXY="1",
                RATELIMIT_ENABLED="1",
            )
            with gunicorn(
                root,
                env,
                workers=args.workers,
                threads=args.threads,
                extra=["--backlog", "4096", *timeline_format],
                cwd=checkout,
            ) as server:
                stats = Stats()
                begin, wall_begin = time.monotonic(), time.time()
                stats.window = (begin + args.warmup, begin + args.warmup + args.duration)
                plan = Plan(server.port, seeded.course, args.think, stats.window[1], stats)
                login_share = min(1.0, (args.warmup + args.duration) / 3600)
                loop = asyncio.new_event_loop()
                marks: dict[str, object] = {}

                def mark(label: str) -> None:
                    pids = [server.process.pid, *server.worker_pids()]
                    name = urlsplit(database_url).path.lstrip("/")
                    if label == "start":
                        same_priority(postgres_pids(name))
                    marks[label] = (
                        machine_ticks(),
                        resource.getrusage(resource.RUSAGE_SELF),
                        cpu_ticks(pids),
                        cpu_ticks(postgres_pids(name if database != "sqlite" else None)),
                        time.monotonic(),
                    )

                loop.call_later(args.warmup, mark, "start")
                loop.call_later(args.warmup + args.duration - 0.05, mark, "end")
                loop.run_until_complete(_drive(plan, seeded, cookies, login_share))
                loop.close()
            timeline = ""
            if args.timeline:
                window = (wall_begin + args.warmup, wall_begin + args.warmup + args.duration)
                app = learner_timeline.app_times(server.access_log)
                rows = learner_timeline.per_second(stats.requests, app, window)
                learner_timeline.write(args.timeline, count, database, rows)
                timeline = learner_timeline.summary(rows, P95_LIMIT_MS)
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
            database=database,
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
            timeline=timeline,
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
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite, postgresql, or both (sqlite,postgresql): each level on each in turn, "
        "with the CPU per request of PostgreSQL's app and server processes against SQLite's",
    )
    parser.add_argument("--pg-url", default=os.environ.get("PG_TEST_URL"))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--until-fail", action="store_true")
    parser.add_argument(
        "--kinds", action="store_true",
        help="list every request kind's p50 and p95 (at a light load, p50 is its cost)",
    )
    parser.add_argument(
        "--server-checkout", type=lambda value: Path(value).resolve(),
        help="serve another commit's checkout (its app, course and seeding) and drive it "
        "with this generator, so two commits compare under one load",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--timeline", type=Path,
        help="write each measured second's learner wait and app time to this CSV file",
    )
    args = parser.parse_args()
    args.think = tuple(float(v) for v in args.think.split(","))
    databases = args.database.split(",")
    if not set(databases) <= {"sqlite", "postgresql"}:
        parser.error("--database takes sqlite, postgresql or sqlite,postgresql")
    if "postgresql" in databases and not args.pg_url:
        parser.error("--database postgresql needs --pg-url or PG_TEST_URL")
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit[1], limit[1]))

    kind = "gthread" if args.threads > 1 else "sync"
    print(
        f"gunicorn {args.workers} {kind} worker(s) x {args.threads} thread(s), "
        f"{' then '.join(databases)}; think {args.think[0]:g}-{args.think[1]:g} s; "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured per level",
        flush=True,
    )
    if args.server_checkout:
        print(f"serving the checkout in {args.server_checkout}, driven by this generator")
    header = (
        f"{'database':>10} {'learners':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'cpu %':>6} {'gen %':>6} {'app %':>6} {'db %':>6} {'ms/req':>6} "
        f"{'steal%':>6}"
    )
    results = []
    for count, database in (
        (int(v), database) for v in args.learners.split(",") for database in databases
    ):
        print(f"- {count} learners, {database}", flush=True)
        level = run_level(args, count, database)
        results.append(level)
        slow = sorted(level.by_kind.items(), key=lambda kv: -kv[1]["p95"])[:4]
        print("  slowest p95: " + ", ".join(f"{k} {v['p95']:.0f} ms (n={v['n']})" for k, v in slow))
        if args.kinds:
            for k, v in sorted(level.by_kind.items(), key=lambda kv: -kv[1]["p50"]):
                print(f"    {k:<24} n={v['n']:<6} p50 {v['p50']:6.1f} ms  p95 {v['p95']:6.1f} ms")
        print(f"  generator's own wake-up delay p95: {level.loop_lag_p95:.1f} ms")
        if level.timeline:
            print(f"  second by second: {level.timeline}")
        for example in level.examples[:5]:
            print(f"  error: {example}")
        print(header)
        print(_row(level), flush=True)
        if args.until_fail and not level.passed:
            break
    print("\n" + header)
    for level in results:
        print(_row(level) + ("" if level.passed else "  <- over the limit"))
    if len(databases) == 2:
        print("\napp + database CPU per request, PostgreSQL / SQLite, same mix and level:")
        # Each level ran on both, in the order asked: pair them by name, not by place.
        pairs = zip(results[::2], results[1::2], strict=False)
        for lite, pg in (sorted(pair, key=lambda level: level.database != "sqlite")
                         for pair in pairs):
            ratio = pg.cpu_ms_per_request / lite.cpu_ms_per_request
            print(f"  {lite.learners} learners: {pg.cpu_ms_per_request:.2f} / "
                  f"{lite.cpu_ms_per_request:.2f} ms = {ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps([level.__dict__ for level in results], indent=2))


def _row(level: Level) -> str:
    return (
        f"{level.database:>10} {level.learners:>8} {level.rate:>7.1f} {level.p50:>7.1f} "
        f"{level.p95:>7.1f} "
        f"{level.p99:>7.1f} {level.errors:>6} {level.cpu_total:>6.0f} "
        f"{level.cpu_generator:>6.0f} {level.cpu_server:>6.0f} {level.cpu_database:>6.0f} "
        f"{level.cpu_ms_per_request:>6.1f} {level.cpu_stolen:>6.0f}"
    )


if __name__ == "__main__":
    main()
