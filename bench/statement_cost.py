"""The app's CPU for one database statement, SQLite beside PostgreSQL: where goal 4 goes.

Usage: python bench/statement_cost.py --pg-url postgresql+psycopg://user:pw@host/db
                                      [--count 3000]

Builds each database as ``profile_learn`` does (the course imported, one learner; the
PostgreSQL one is emptied first), then times, in this process only (``time.process_time``,
so the database server's own CPU is not counted), the same Core select of the learner's
row, run ``--count`` times:

- through the session, as views run their reads;
- through the session's connection, as the hot reads do;
- through the driver's own cursor, reused, with no SQLAlchemy: the floor (for
  PostgreSQL, one network round trip).

The difference between the rows is what each layer costs a statement on each database.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from profile_learn import prepare  # noqa: E402  (puts the project on the path)


def _microseconds(run, count: int) -> float:
    start = time.process_time()
    for _ in range(count):
        run()
    return (time.process_time() - start) / count * 1e6


def measure(database_url: str | None, count: int) -> dict[str, float]:
    """Return the app's CPU microseconds per statement, by layer, on one database."""
    from sqlalchemy import select

    from course.extensions import db
    from course.models import User

    with tempfile.TemporaryDirectory(prefix="statement-cost-") as tmp:
        app, _client, _path = prepare(Path(tmp), 1, database_url)
        with app.app_context():
            user_id = db.session.scalar(select(User.id))
            statement = select(User.id, User.full_name, User.email).where(User.id == user_id)
            connection = db.session.connection()
            cursor = connection.connection.driver_connection.cursor()
            mark = "%s" if database_url else "?"
            raw = f"SELECT id, full_name, email FROM user_account WHERE id = {mark}"
            runs = {
                "session.execute": lambda: db.session.execute(statement).all(),
                "connection.execute": lambda: connection.execute(statement).all(),
                "driver cursor": lambda: cursor.execute(raw, (user_id,)).fetchall(),
            }
            for run in runs.values():  # warm: statements compiled, and prepared
                _microseconds(run, 300)
            found = {name: _microseconds(run, count) for name, run in runs.items()}
            db.session.rollback()
            db.session.remove()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", required=True,
                        help="an empty PostgreSQL database to measure on (it is emptied)")
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    sqlite, postgresql = measure(None, args.count), measure(args.pg_url, args.count)
    print(f"the app's CPU per statement, microseconds, {args.count:,} runs each")
    print(f"{'':22}{'SQLite':>10}{'PostgreSQL':>12}")
    for name in sqlite:
        print(f"{name:22}{sqlite[name]:>10.0f}{postgresql[name]:>12.0f}")


if __name__ == "__main__":
    main()
