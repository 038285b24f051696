"""Why production runs behind the reverse proxy: slow clients (slowloris) and gunicorn.

A sync worker serves one connection at a time and waits for the whole request. A few
clients that send their headers a byte at a time therefore hold every worker of a
gunicorn that faces them, and the site stops answering; nginx reads each request whole
before it passes it on, so behind it the same clients hold nothing.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.live_servers import (
    app_environment,
    flask_cli,
    gunicorn,
    gunicorn_available,
    nginx,
    nginx_path,
)

WORKERS = 2
SLOW_CLIENTS = 20


def _skip_reason() -> str | None:
    if not gunicorn_available():
        return "needs gunicorn (pip install -e '.[test]')"
    if nginx_path() is None:
        return "needs nginx (apt-get install nginx-light)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[None]:
    """Open ``count`` connections that start a request and never finish it."""
    with ExitStack() as stack:
        for _ in range(count):
            connection = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        yield


def _answers(url: str, seconds: float = 3) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=seconds) as reply:
            return reply.status == 200
    except (TimeoutError, urllib.error.URLError, ConnectionError):
        return False


def test_slow_clients_hold_a_bare_gunicorn_but_not_one_behind_nginx(tmp_path: Path) -> None:
    env = app_environment(f"sqlite:///{tmp_path / 'course.db'}", tmp_path / "content")
    flask_cli(env, "db", "upgrade")
    with gunicorn(tmp_path, env, workers=WORKERS, timeout=30) as server:
        with nginx(tmp_path, [f"127.0.0.1:{server.port}"]) as proxy:
            assert _answers(server.url) and _answers(proxy.url)
            # Behind nginx: many slow clients, and the site answers as before.
            with slow_clients(proxy.port, SLOW_CLIENTS):
                assert _answers(proxy.url)
            # Facing gunicorn itself: one slow client per worker and it answers no one.
            with slow_clients(server.port, WORKERS + 1):
                assert not _answers(server.url)
