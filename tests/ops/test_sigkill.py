"""Kill a gunicorn worker with SIGKILL every five seconds while learners take the course.

Scripted learners (24 at once, short think time) take the course again and again with
new accounts for a bounded time, while a killer thread SIGKILLs one of the master's
workers every five seconds during that time; gunicorn starts a new one. A learner whose
connection drops sends the very same request again, as a person reloading or pressing
the button again would (same form, same ``submission_key``). Afterwards:

- every answer the server acknowledged is stored, and stored once;
- no attempt is half written; no certificate lacks a passing attempt and an evaluation;
- after the repair pass (``flask db check --repair`` issues the certificate of a
  completion whose issue was cut off; some learners also close the tab right after the
  evaluation), no completion lacks its certificate.

Run on PostgreSQL with gthread workers (when PG_TEST_URL allows a fresh database) and on
SQLite with sync workers. ``OPS_SIGKILL_SECONDS`` sets the load time per run
(default 12 s: two kills, at 5 and 10 s, and 40-70 courses finished; set it
higher for a longer soak).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from tests.live_client import Browser
from tests.live_servers import (
    MINIMAL,
    Gunicorn,
    app_environment,
    flask_cli,
    flask_cli_status,
    fresh_postgres_database,
    gunicorn,
    gunicorn_available,
    postgres_unavailable,
    quick_package,
)
from tests.ops import invariants
from tests.ops.learner import AnswerKey, Learner, LearnerFailed, TimeUp
from tests.smtp_sink import Inbox, smtp_server

LEARNERS = 24
KILL_EVERY = 5.0
THINK = (0.02, 0.2)
RETRIES = 40

pytestmark = [
    pytest.mark.skipif(not gunicorn_available(), reason="needs gunicorn"),
    pytest.mark.soak,  # about a minute: `make soak`, which CI runs after `make test`
]


@dataclass
class Tally:
    """What the learners saw, added up."""

    courses_done: int = 0
    left_early: int = 0
    stopped: int = 0
    requests: int = 0
    retried: int = 0
    connection_errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    acked: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, learner: Learner, outcome: str | None) -> None:
        browser = learner.browser
        with self.lock:
            self.requests += browser.requests
            self.retried += browser.retried
            self.connection_errors += browser.connection_errors
            self.statuses.update(browser.statuses)
            self.sent |= learner.sent_keys
            self.acked |= learner.acked_keys
            if outcome is None and learner.steps[-1] == "left":
                self.left_early += 1
            elif outcome is None:
                self.courses_done += 1
            elif outcome == "time":
                self.stopped += 1
            else:
                self.failures.append(outcome)


def _learner_loop(
    server: Gunicorn, inbox: Inbox, key: AnswerKey, n: int, deadline: float, tally: Tally
):
    round_ = 0
    while time.monotonic() < deadline:
        round_ += 1
        browser = Browser(server.url, retries=RETRIES)
        email = f"sigkill-{n}-{round_}@example.org"
        learner = Learner(browser, key, email, think=THINK, deadline=deadline, inbox=inbox)
        # Every sixth learner closes the tab after the evaluation, once: the certificate
        # page never opens (the evaluation itself issues the certificate, in a second
        # transaction; a kill between the two leaves it to the repair pass).
        learner.leave_after_evaluation = round_ == 1 and n % 6 == 5
        try:
            learner.take_the_course()
        except TimeUp:
            tally.add(learner, "time")
        except (LearnerFailed, OSError) as exc:
            tally.add(learner, f"{type(exc).__name__}: {exc}")
            return
        else:
            tally.add(learner, None)


def _killer(
    server: Gunicorn, stop: threading.Event, kills: list[int], deadline: float
) -> None:
    # Kills come with the load, as a worker's timeout or a lack of memory would. Once the
    # load ends, a learner still finishing a step (waiting for a sign-up email, say)
    # meets a server nobody else uses: a replacement worker then has no request to
    # start its mail sender on, while every worker that knew of the message is killed.
    while not stop.wait(KILL_EVERY) and time.monotonic() < deadline:
        workers = server.worker_pids()
        if workers:
            victim = random.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                continue
            kills.append(victim)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_sigkill_a_worker_every_five_seconds(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    seconds = float(os.environ.get("OPS_SIGKILL_SECONDS", "12"))
    root = tmp_path_factory.mktemp(f"sigkill-{backend}")
    package = quick_package(MINIMAL, root / "content" / "minimal")
    key = AnswerKey.of(package)
    with ExitStack() as stack:
        if backend == "postgresql":
            reason = postgres_unavailable(os.environ.get("PG_TEST_URL"))
            if reason:
                pytest.skip(reason)
            url = stack.enter_context(
                fresh_postgres_database(os.environ["PG_TEST_URL"], "ce_sigkill")
            )
            workers, threads = 2, 4
        else:
            url = f"sqlite:///{root / 'course.db'}"
            workers, threads = 3, 1
        inbox = Inbox()
        port = stack.enter_context(smtp_server(inbox))
        # A sign-up email whose sender was killed mid-send goes out once its claim
        # lapses; a short claim keeps the learner waiting for it seconds, not a minute
        # (the loopback SMTP server answers in milliseconds, so nothing is sent twice).
        env = app_environment(
            url, root / "content", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port),
            MAIL_CLAIM_SECONDS="5",
        )
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "course", "import", str(package), "--reason", "a test import")
        server = stack.enter_context(gunicorn(root, env, workers=workers, threads=threads))
        first_workers = server.worker_pids()

        tally, kills, stop = Tally(), [], threading.Event()
        started = time.monotonic()
        deadline = started + seconds
        killer = threading.Thread(
            target=_killer, args=(server, stop, kills, deadline), daemon=True
        )
        killer.start()
        try:
            with ThreadPoolExecutor(LEARNERS) as pool:
                loops = [
                    pool.submit(_learner_loop, server, inbox, key, n, deadline, tally)
                    for n in range(LEARNERS)
                ]
                for loop in loops:
                    loop.result()
        finally:
            stop.set()
            killer.join(timeout=5)
        elapsed = time.monotonic() - started
        # The master replaced every killed worker and still serves.
        time.sleep(2)
        assert server.process.poll() is None
        assert len(server.worker_pids()) == len(first_workers)

        before = invariants.check(url)
        checked, report = flask_cli_status(env, "db", "check")
        repaired = flask_cli(env, "db", "check", "--repair")
        after = invariants.check(url)  # what the repair committed, checked independently
        stored = invariants.stored_submission_keys(url)
        completions = invariants.count(
            url, "SELECT count(*) FROM enrolment WHERE completed_at IS NOT NULL"
        )
        log = server.log.read_text(errors="replace")

    errors = {s: n for s, n in tally.statuses.items() if s >= 400}
    print(
        f"\nSIGKILL {backend}: {LEARNERS} learners for {elapsed:.0f} s, {len(kills)} workers"
        f" killed; {tally.requests} requests ({tally.retried} retried,"
        f" {tally.connection_errors} dropped connections), statuses"
        f" {dict(tally.statuses)}; {tally.courses_done} courses finished and"
        f" {tally.left_early} left before the certificate,"
        f" {completions} completions; {len(tally.acked)} acknowledged answers,"
        f" {len(stored)} stored; before the repair pass {_broken(before)};"
        f" after it {_broken(after)}"
    )
    print(f"flask db check (exit {checked}):\n{report}--repair:\n{repaired}")
    assert not tally.failures, tally.failures[:5]
    assert not errors, errors
    assert len(kills) >= max(1, int(min(elapsed, seconds) // KILL_EVERY) - 1), kills
    assert tally.courses_done > 0
    # Every acknowledged answer is stored, once; nothing unacknowledged was left behind.
    assert len(stored) == len(set(stored))
    assert tally.acked <= set(stored)
    assert set(stored) <= tally.sent
    assert tally.acked == tally.sent
    # Only a missing certificate may need the repair pass (a worker killed between the
    # evaluation's commit and the certificate's); it leaves nothing broken.
    assert {k: v for k, v in before.items() if k != "completions without a certificate"} == {
        k: 0 for k in before if k != "completions without a certificate"
    }, before
    assert after == {name: 0 for name in invariants.CHECKS}, after
    assert checked == (1 if before["completions without a certificate"] else 0), report
    assert "All invariants hold." in repaired
    assert "Traceback" not in log, log[-4000:]


def _broken(found: dict[str, int]) -> str:
    broken = {name: n for name, n in found.items() if n}
    return ", ".join(f"{name}: {n}" for name, n in broken.items()) or "all invariants hold"
