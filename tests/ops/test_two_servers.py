"""Two gunicorn servers on one PostgreSQL database behind nginx, round-robin, no stickiness.

The database is made fresh for the test and set up as an operator would: ``flask db
upgrade`` then ``flask course import``. Ten learners take the whole course through nginx,
each sending every form twice (reload or double click: behind round-robin the copy lands
on the other server). Every learner's requests must have been served by both servers,
and the records must hold each distinct submission exactly once. With redis-server and
the redis client installed, rate limits live in Redis and are shared by both servers.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live_client import Browser
from tests.live_servers import (
    MINIMAL,
    Gunicorn,
    Nginx,
    app_environment,
    flask_cli,
    fresh_postgres_database,
    gunicorn,
    gunicorn_available,
    nginx,
    nginx_path,
    postgres_unavailable,
    quick_package,
    redis_server,
    redis_unavailable,
)
from tests.ops import invariants
from tests.ops.learner import AnswerKey, Learner
from tests.smtp_sink import Inbox, smtp_server

LEARNERS = 10
VERIFY_LIMIT = 12  # per minute, for the shared rate-limit check


def _skip_reason() -> str | None:
    if not gunicorn_available():
        return "needs gunicorn (pip install -e '.[test]')"
    if nginx_path() is None:
        return "needs nginx (apt-get install nginx-light)"
    return postgres_unavailable(os.environ.get("PG_TEST_URL"))


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@dataclass
class Stack:
    servers: list[Gunicorn]
    proxy: Nginx
    database_url: str
    content_dir: Path
    key: AnswerKey
    redis_url: str | None
    learners: list[Learner]
    cli_env: dict[str, str]
    inbox: Inbox


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """nginx -> two gunicorns (two workers each) -> one fresh PostgreSQL database."""
    root = tmp_path_factory.mktemp("two-servers")
    package = quick_package(MINIMAL, root / "content" / "minimal")
    with ExitStack() as stack:
        database_url = stack.enter_context(
            fresh_postgres_database(os.environ["PG_TEST_URL"], "ce_ops")
        )
        redis_url = None if redis_unavailable() else stack.enter_context(redis_server(root))
        inbox = Inbox()
        mail_port = stack.enter_context(smtp_server(inbox))
        env = app_environment(
            database_url,
            root / "content",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail_port),
            TRUST_PROXY="1",
            RATELIMIT_ENABLED="1",
            RATELIMIT_STORAGE_URI=redis_url or "memory://",
            VERIFY_RATE_LIMIT=f"{VERIFY_LIMIT} per minute",
        )
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "course", "import", str(package), "--reason", "a test import")
        servers = [stack.enter_context(gunicorn(root, env, name=n)) for n in ("app-a", "app-b")]
        proxy = stack.enter_context(nginx(root, [s.address for s in servers]))
        key = AnswerKey.of(package)
        yield Stack(servers, proxy, database_url, root / "content", key, redis_url, [], env, inbox)


@pytest.fixture(scope="module")
def finished(stack: Stack) -> Stack:
    """Ten learners take the whole course at once through nginx."""

    def one(n: int) -> Learner:
        browser = Browser(stack.proxy.url, track_header="X-Upstream")
        email = f"two-servers-{n}@example.org"
        learner = Learner(browser, stack.key, email, resubmit=True, inbox=stack.inbox)
        learner.take_the_course()
        return learner

    with ThreadPoolExecutor(LEARNERS) as pool:
        stack.learners = list(pool.map(one, range(LEARNERS)))
    return stack


def test_every_learner_is_served_by_both_servers(finished: Stack) -> None:
    addresses = {s.address for s in finished.servers}
    statuses: Counter = Counter()
    for learner in finished.learners:
        assert learner.steps[-1] == "certificate", learner.steps
        # The session cookie made on one server is honoured by the other.
        assert Counter(learner.browser.seen).keys() == addresses, learner.browser.seen
        statuses.update(learner.browser.statuses)
    assert all(status < 400 for status in statuses), statuses

    # gunicorn logs a request just after sending its answer: give the last lines a moment.
    deadline = time.monotonic() + 5
    while True:
        logged = {s.address: s.access_count() for s in finished.servers}
        proxied = finished.proxy.upstream_counts()
        if {a: proxied.get(a, 0) for a in logged} == logged or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    requests = sum(learner.browser.requests for learner in finished.learners)
    print(f"\n{LEARNERS} learners, {requests} requests; per server: {logged}; {statuses}")
    assert all(count > 0 for count in logged.values()), logged
    # nginx and the servers agree on who answered what.
    assert {a: proxied.get(a, 0) for a in logged} == logged, (proxied, logged)


def test_nothing_is_stored_twice(finished: Stack) -> None:
    url = finished.database_url
    learners = finished.learners
    sent = set().union(*(learner.sent_keys for learner in learners))
    acked = set().union(*(learner.acked_keys for learner in learners))
    assert acked == sent
    stored = invariants.stored_submission_keys(url)
    assert len(stored) == len(set(stored)) == len(sent)
    assert set(stored) == sent

    count = lambda sql: invariants.count(url, sql)  # noqa: E731
    assert count("SELECT count(*) FROM user_account") == LEARNERS
    assert count("SELECT count(*) FROM enrolment WHERE completed_at IS NOT NULL") == LEARNERS
    assert count("SELECT count(*) FROM lesson_progress WHERE completed_at IS NULL") == 0
    assert count("SELECT count(*) FROM post_test_attempt") == LEARNERS  # one each, passed
    assert count("SELECT count(*) FROM post_test_attempt WHERE passed") == LEARNERS
    assert count("SELECT count(*) FROM attempt_answer") == 10 * LEARNERS
    assert count("SELECT count(*) FROM evaluation_response") == LEARNERS
    assert count("SELECT count(*) FROM certificate") == LEARNERS
    assert {learner.certificate for learner in learners} == set(invariants.stored_codes(url))
    assert invariants.check(url) == {name: 0 for name in invariants.CHECKS}
    assert "All invariants hold." in flask_cli(finished.cli_env, "db", "check")


def test_static_files_come_from_nginx(finished: Stack) -> None:
    browser = Browser(finished.proxy.url, track_header="X-Upstream")
    status, body, headers = browser.get_bytes("/static/css/site.css")
    assert status == 200 and body
    assert not browser.seen, "a static file went to the app"
    assert "max-age=3600" in headers.get("Cache-Control", "")


def test_rate_limits_are_shared_by_both_servers(finished: Stack) -> None:
    if finished.redis_url is None:
        pytest.skip(f"rate limits stay per process: {redis_unavailable()}")
    code = finished.learners[0].certificate
    browser = Browser(finished.proxy.url, track_header="X-Upstream")
    statuses = [browser.request(f"/verify/{code}").status for _ in range(VERIFY_LIMIT + 6)]
    assert set(browser.seen) == {s.address for s in finished.servers}
    # One budget for the client across both servers and all four workers.
    assert statuses == [200] * VERIFY_LIMIT + [429] * 6, statuses
