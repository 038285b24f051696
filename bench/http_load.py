"""Load generators for bench_learn: wrk with Lua scripts, or plain Python threads.

Each returns ``{"requests", "seconds", "rps", "p50_ms", "p99_ms", "errors"}`` for one URL
loaded for ``args.seconds`` over ``args.connections`` connections; with ``post`` it sends
knowledge-check answers, each with its own submission key.
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"bad_status": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

WRK_POST = """
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  sent = 0
end
function request()
  sent = sent + 1
  local body = string.format("csrf_token=%s&choice-%s=%s&submission_key-%s=%s-%d-%d",
                             CSRF, CHECK, CHOICE, CHECK, RUN, id, sent)
  return wrk.format("POST", PATH, nil, body)
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for these values


def run_wrk(url: str, args, headers: dict[str, str], post: dict | None, workdir: Path) -> dict:
    script = workdir / ("post.lua" if post else "get.lua")
    text = WRK_DONE
    if post:
        text = "\n".join(f"{k} = {lua_string(v)}" for k, v in post.items()) + WRK_POST + text
        text += '\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    script.write_text(text)
    command = ["wrk", "-t", str(min(2, args.connections)), "-c", str(args.connections)]
    command += ["-d", f"{max(1, round(args.seconds))}s", "--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["bad_status"] + raw["socket_errors"],
    }


def run_python(url: str, args, headers: dict[str, str], post: dict | None, _workdir) -> dict:
    """A plain load generator: one thread per connection, a new connection per request."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker(number: int) -> None:
        sent = 0
        mine: list[float] = []
        while time.monotonic() < deadline:
            sent += 1
            body, request_headers = None, dict(headers)
            if post:
                key = f"{post['RUN']}-{number}-{sent}"
                check = post["CHECK"]  # as the page's script sends one check's fields
                body = urlencode({"csrf_token": post["CSRF"], f"choice-{check}": post["CHOICE"],
                                  f"submission_key-{check}": key})
                request_headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            try:
                connection.request(
                    "POST" if post else "GET",
                    post["PATH"] if post else parts.path or "/",
                    body=body,
                    headers=request_headers,
                )
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except OSError:
                ok = False
            finally:
                connection.close()
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": errors[0],
    }
