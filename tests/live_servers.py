"""Real servers on loopback for tests that need more than the test client.

gunicorn serving the app, nginx in front of one or more gunicorns, redis for shared
rate limits and a fresh PostgreSQL database: each starts as an unprivileged process
(or database) of its own, with its configuration and logs in a temporary folder, listens
on 127.0.0.1 only and is stopped by the helper that started it. The HTTP client the live
tests drive them with is in ``tests/live_client.py``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "packages" / "minimal"
STATIC = ROOT / "course" / "static"

# -- ports and health --------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Wait until ``url``/healthz answers 200; fail with the server's log if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer in time:\n{log.read_text(errors='replace')}")


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nothing listened on port {port} in time:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the app's data ----------------------------------------------------------------------


def quick_package(source: Path, target: Path) -> Path:
    """Copy a course package without its minimum reading time or retake wait, so a script
    can finish it."""
    shutil.copytree(source, target)
    manifest = target / "course.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "min_active_minutes: 20" in text, "the minimal package changed; update this helper"
    text = text.replace("min_active_minutes: 20", "min_active_minutes: 0")
    # A failed post-test may be retaken at once (by default a learner waits ten minutes).
    block = "post_test:\n  draw: 10\n"
    assert block in text, "the minimal package changed; update this helper"
    manifest.write_text(text.replace(block, block + "  retake_wait_minutes: 0\n"), "utf-8")
    return target


def app_environment(database_url: str, content_dir: Path, **settings: str) -> dict[str, str]:
    """Environment for a served app (and its CLI): development mode, a random secret key."""
    env = {
        **os.environ,
        "COURSE_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "RATELIMIT_ENABLED": "0",
        "CONTENT_DIR": str(content_dir),
    }
    env.pop("TEST_DATABASE_URL", None)
    env.update(settings)
    return env


def flask_cli(env: Mapping[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``flask --app wsgi ARGS`` as an operator would; return its output or fail."""
    code, output = flask_cli_status(env, *args, timeout=timeout)
    if code != 0:
        pytest.fail(f"flask {' '.join(args)} exited {code}:\n{output}")
    return output


def flask_cli_status(env: Mapping[str, str], *args: str, timeout: float = 120) -> tuple[int, str]:
    """Run ``flask --app wsgi ARGS``; return its exit status and output."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(
        command, env=dict(env), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    return result.returncode, result.stdout + result.stderr


# -- gunicorn ----------------------------------------------------------------------------


@dataclass
class Gunicorn:
    """A gunicorn master serving the app on a loopback port."""

    process: subprocess.Popen
    port: int
    log: Path
    access_log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's worker processes (its children)."""
        return children_of(self.process.pid)

    def access_count(self, *, health: bool = False) -> int:
        """Return how many requests this server has logged (health checks left out)."""
        if not self.access_log.exists():
            return 0
        with self.access_log.open("rb") as handle:
            return sum(1 for line in handle if health or b" /healthz " not in line)


def children_of(pid: int) -> list[int]:
    """Return the pids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name sits in parentheses and may hold spaces: split after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def gunicorn_available() -> bool:
    """True when gunicorn can be imported by this interpreter."""
    import importlib.util

    return importlib.util.find_spec("gunicorn") is not None


@contextmanager
def gunicorn(
    root: Path,
    env: Mapping[str, str],
    *,
    name: str = "gunicorn",
    workers: int = 2,
    threads: int = 1,
    timeout: int = 60,
    app: str = "wsgi:app",
    extra: Sequence[str] = (),
    cwd: Path = ROOT,
) -> Iterator[Gunicorn]:
    """Serve the app with gunicorn on a free loopback port; stop it afterwards.

    ``threads`` above 1 selects the gthread worker; ``cwd`` is the checkout whose app is
    served, by default through ``wsgi.py``, the entry point production runs. Output goes
    to ``root/NAME.log`` and the access log to ``root/NAME.access.log``.
    """
    port = free_port()
    log_path = root / f"{name}.log"
    access = root / f"{name}.access.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", str(timeout)]
    # No control socket: by default every gunicorn of this user shares one in $HOME
    # (docs/deployment.md gives each production instance its own).
    command += ["--no-control-socket"]
    command += ["--access-logfile", str(access), *extra, app]
    log = log_path.open("wb")
    process = subprocess.Popen(
        command, env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT
    )
    server = Gunicorn(process, port, log_path, access)
    try:
        wait_until_healthy(server.url, process, log_path)
        yield server
    finally:
        _stop(process)
        log.close()


# -- nginx -------------------------------------------------------------------------------


def nginx_path() -> str | None:
    """Return the nginx binary on this machine, if any."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


NGINX_CONF = """\
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx.error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$remote_addr "$request" $status $upstream_addr $request_time';
    access_log {root}/nginx.access.log upstream;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    # Keep request and response bodies in memory: no temp files for the worker user.
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    types {{ text/css css; application/javascript js; image/svg+xml svg; }}
    default_type application/octet-stream;

    upstream course_app {{
        # Round-robin, no sticky sessions: any server must serve any learner.
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        client_max_body_size 6m;
        location /static/ {{
            alias {static}/;
            expires 1h;
        }}
        location / {{
            proxy_pass http://course_app;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            # For the tests: which server answered.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    """An nginx in front of gunicorn servers, on a loopback port."""

    process: subprocess.Popen
    port: int
    access_log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def upstream_counts(self) -> dict[str, int]:
        """Return how many proxied requests each upstream answered, from nginx's log."""
        counts: dict[str, int] = {}
        for line in self.access_log.read_text(errors="replace").splitlines():
            upstream = line.rsplit(" ", 2)[-2]
            if upstream != "-":
                counts[upstream] = counts.get(upstream, 0) + 1
        return counts


@contextmanager
def nginx(root: Path, upstreams: Sequence[str]) -> Iterator[Nginx]:
    """Run nginx (its own config, logs and temp folders under ``root``) in the foreground."""
    binary = nginx_path()
    assert binary, "check nginx_path() before starting nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server {address} max_fails=0;" for address in upstreams)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, servers=servers, static=STATIC))
    log_path = root / "nginx.out.log"
    log = log_path.open("wb")
    command = [binary, "-p", str(root), "-e", str(root / "nginx.error.log"), "-c", str(conf)]
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, process, root / "nginx.error.log")
        yield Nginx(process, port, root / "nginx.access.log")
    finally:
        _stop(process, signal.SIGQUIT)  # graceful: finish the requests in flight
        log.close()


# -- redis -------------------------------------------------------------------------------


def redis_unavailable() -> str | None:
    """Return why Redis-backed rate limits cannot be tested here, or None when they can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis Python client is not installed (pip install redis)"
    return None


@contextmanager
def redis_server(root: Path) -> Iterator[str]:
    """Run a throwaway redis-server on loopback without persistence; yield its URL."""
    port = free_port()
    log_path = root / "redis.log"
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    command += ["--appendonly", "no", "--dir", str(root), "--logfile", str(log_path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        log_path.touch()
        _wait_for_port(port, process, log_path)
        yield f"redis://127.0.0.1:{port}"
    finally:
        _stop(process)


# -- PostgreSQL --------------------------------------------------------------------------


def postgres_unavailable(url: str | None) -> str | None:
    """Return why a fresh PostgreSQL database cannot be made from ``url``, or None."""
    if not url:
        return "no PostgreSQL server given (set PG_TEST_URL, as .ci/run does)"
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=5) as conn:
            can = conn.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()[0]
    except psycopg.Error as exc:
        return f"cannot reach PostgreSQL at PG_TEST_URL: {exc}".strip()
    if not can:
        return "the PG_TEST_URL role may not create databases (ALTER ROLE ... CREATEDB)"
    return None


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def fresh_postgres_database(url: str, prefix: str = "ce_live") -> Iterator[str]:
    """Create an empty database next to the one ``url`` names; drop it afterwards."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    parts = urlsplit(_libpq_url(url))
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    fresh = parts._replace(scheme="postgresql+psycopg", path=f"/{name}").geturl()
    try:
        yield fresh
    finally:
        with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
