"""Second by second through a load level: what learners waited against the app's own time.

Used by ``load_learners.py --timeline FILE``. The generator times every request from
before it connects to the last byte, so a learner's wait includes the time the request
sat in the listen queue for a free worker; gunicorn's access log (``%(M)s``) times only
the app's handling of it. Set side by side for each second, the two show where an
overload begins: the learners' p95 climbs while the app's own stays flat when requests
queue for a worker, and both climb when the app itself slows.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

#: gunicorn's access line for the timeline: when it was logged (the end of the request,
#: to the second) and the app's own milliseconds.
ACCESS_FORMAT = "%(t)s %(M)s"
_LINE = re.compile(r"\[([^\]]+)\] (\d+)")
COLUMNS = (
    "learners", "database", "second", "requests_started", "requests_answered",
    "learner_p50_ms", "learner_p95_ms", "learner_max_ms", "app_p95_ms", "app_max_ms",
)


def app_times(access_log: Path) -> list[tuple[float, float]]:
    """Return (wall-clock end, app milliseconds) for each line of the access log."""
    times = []
    for line in access_log.read_text(errors="replace").splitlines():
        found = _LINE.search(line)
        if found:
            ended = datetime.strptime(found[1], "%d/%b/%Y:%H:%M:%S %z").timestamp()
            times.append((ended, float(found[2])))
    return times


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile of ``values`` (0 when there are none)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def per_second(
    requests: list[tuple[float, float]],
    app: list[tuple[float, float]],
    window: tuple[float, float],
) -> list[dict[str, float]]:
    """Bin the learners' requests (wall-clock start, seconds waited) by the second they
    started, and the app's (wall-clock end, ms) by the second they ended, over ``window``."""
    waited: dict[int, list[float]] = defaultdict(list)
    handled: dict[int, list[float]] = defaultdict(list)
    for started, seconds in requests:
        if window[0] <= started < window[1]:
            waited[int(started - window[0])].append(1000 * seconds)
    for ended, ms in app:
        if window[0] <= ended < window[1]:
            handled[int(ended - window[0])].append(ms)
    rows = []
    for second in range(int(window[1] - window[0])):
        learners, own = waited[second], handled[second]
        rows.append({
            "second": second,
            "requests_started": len(learners),
            "requests_answered": len(own),
            "learner_p50_ms": round(percentile(learners, 0.5), 1),
            "learner_p95_ms": round(percentile(learners, 0.95), 1),
            "learner_max_ms": round(max(learners, default=0.0), 1),
            "app_p95_ms": round(percentile(own, 0.95), 1),
            "app_max_ms": round(max(own, default=0.0), 1),
        })
    return rows


def summary(rows: list[dict[str, float]], limit_ms: float) -> str:
    """One line: the seconds whose learner p95 passed the limit, and the app's p95 in them."""
    slow = [row for row in rows if row["learner_p95_ms"] > limit_ms]
    app_worst = max((row["app_p95_ms"] for row in rows), default=0.0)
    if not slow:
        return (f"no second with a learner p95 over {limit_ms:.0f} ms; "
                f"the app's own p95 peaked at {app_worst:.0f} ms")
    return (f"{len(slow)} of {len(rows)} seconds had a learner p95 over {limit_ms:.0f} ms "
            f"(worst {max(row['learner_p95_ms'] for row in slow):.0f} ms); in those seconds "
            f"the app's own p95 peaked at {max(row['app_p95_ms'] for row in slow):.0f} ms, "
            f"and over the run at {app_worst:.0f} ms")


def write(path: Path, learners: int, database: str, rows: list[dict[str, float]]) -> None:
    """Append one level's rows to the CSV file at ``path`` (the header once)."""
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=COLUMNS)
        if new:
            out.writeheader()
        for row in rows:
            out.writerow({"learners": learners, "database": database, **row})
