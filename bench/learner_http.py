"""The load generator's HTTP: one plain HTTP/1.1 request per new connection, timed.

Used by ``load_learners.py``. Learners think for 30-90 s between pages, longer than any
keep-alive, so each request opens its own connection, as a browser's would.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT = 30.0


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
    #: every request inside the window: (wall-clock start, seconds until its last byte)
    requests: list[tuple[float, float]] = field(default_factory=list)

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
        started, wall = time.monotonic(), time.time()
        writer = None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), REQUEST_TIMEOUT
            )
            writer.write(payload)
            # Half-close at once, as a proxy in front of gunicorn closes at once: a sync
            # worker drains the socket until the client closes (RFC 9112 9.6), and this
            # event loop's own delay (ms, with thousands of learners) held the worker.
            writer.write_eof()
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
            self.stats.requests.append((wall, elapsed))
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
