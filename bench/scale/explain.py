"""Show where one page's database time goes: its statements by time, with SQLite's plans.

Usage: python bench/scale/explain.py DB LABEL_SUBSTRING [--top 8] [--all]

Runs the page once to warm up, then once more recording every statement with its
parameters and wall time; prints the slowest (or, with --all, every distinct one with
how often it ran) and EXPLAIN QUERY PLAN for each, so a SCAN of a big table shows.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import time_pages  # noqa: E402

RECORDED: list[list] = []


def _before(conn, cursor, statement, parameters, context, executemany):
    """Note when a statement starts."""
    conn.info["scale_started"] = time.perf_counter()


def _after(conn, cursor, statement, parameters, context, executemany):
    """Record the statement, its parameters and the seconds its execute took."""
    RECORDED.append([statement, parameters, time.perf_counter() - conn.info.pop("scale_started")])


def main() -> None:
    """Run each matching page twice; print its statements by time, with their plans."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("label")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    from sqlalchemy import event

    from course.extensions import db

    app, clients, facts = time_pages.setup(args.db.resolve())
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    event.listen(engine, "after_cursor_execute", _after)
    for label, who, path in time_pages.pages(facts):
        if args.label not in label:
            continue
        clients[who].get(path).get_data()
        RECORDED.clear()
        start = time.process_time()
        clients[who].get(path).get_data()
        cpu = (time.process_time() - start) * 1000
        # A cursor read lazily (streamed) is timed only to its execute; see the CPU total.
        total = sum(r[2] for r in RECORDED) * 1000
        print(
            f"== {label} {path}: {cpu:.1f} ms CPU, {len(RECORDED)} statements, "
            f"{total:.1f} ms in execute()"
        )
        groups: dict[str, list] = defaultdict(lambda: [0, 0.0, None])
        for statement, parameters, spent in RECORDED:
            g = groups[statement]
            g[0] += 1
            g[1] += spent
            g[2] = g[2] or parameters
        ranked = sorted(groups.items(), key=lambda kv: -kv[1][1])
        for statement, (n, spent, parameters) in ranked[: None if args.all else args.top]:
            print(f"\n-- {n}x, {spent * 1000:.1f} ms total")
            print(" ".join(statement.split())[:1500])
            if statement.lstrip().upper().startswith("SELECT"):
                with engine.connect() as conn:
                    plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                    for row in plan:
                        print("   plan:", row[3])
        print()


if __name__ == "__main__":
    main()
