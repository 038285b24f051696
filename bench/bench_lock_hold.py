"""How long each account request holds SQLite's writers' lock.

Usage: python bench/bench_lock_hold.py [--accounts 8]

On SQLite one writer works at a time: while a request holds the lock, every learner's
answer save waits. This script makes a fresh SQLite file, creates ``--accounts``
learners and, for each, through the test client (CSRF and rate limits off): signs in,
changes the email address with the right password and then tries a wrong one, changes
the password, resets it by link, signs in again and deletes the account. It times the
writers' lock (the file lock taken before ``BEGIN IMMEDIATE``) from taking to releasing
and prints the median and the longest hold per endpoint, in milliseconds. A request
that hashes a password inside its write transaction holds the lock for the hash too
(about 30 ms of argon2 each).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORDS = ("walnut harbour cinema ninety", "another long passphrase", "third long passphrase")
SECRET_KEY = "bench-lock-hold-" + "x" * 32


def timed_lock(holds: dict[str, list[float]]) -> None:
    """Wrap the writers' lock so each release records how long it was held, by endpoint."""
    import flask

    from course import writelock

    acquire, release = writelock.WriterLock.acquire, writelock.WriterLock.release
    started: dict[int, float] = {}

    def timed_acquire(self: writelock.WriterLock) -> None:
        acquire(self)
        started[id(self)] = time.perf_counter()

    def timed_release(self: writelock.WriterLock) -> None:
        if id(self) in started and flask.has_request_context():
            request = flask.request
            elapsed = (time.perf_counter() - started.pop(id(self))) * 1000
            holds[f"{request.method} {request.endpoint}"].append(elapsed)
        release(self)

    writelock.WriterLock.acquire = timed_acquire  # type: ignore[method-assign]
    writelock.WriterLock.release = timed_release  # type: ignore[method-assign]


def run(accounts: int, root: Path) -> dict[str, list[float]]:
    """Walk each account through its changes; return the lock holds by endpoint."""
    from course import create_app
    from course.auth.resets import make_reset_token
    from course.extensions import db
    from course.models import User
    from course.users import create_user

    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.db'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": SECRET_KEY,
    }
    app = create_app(config)
    # No mail server here: the notices it would send are logged, not worth printing.
    logging.getLogger("course.mail").setLevel(logging.ERROR)
    with app.app_context():
        db.create_all()
        for number in range(accounts):
            create_user(
                email=f"learner{number}@example.org", password=PASSWORDS[0], full_name="Lee Learner"
            )
        db.session.commit()
    holds: dict[str, list[float]] = defaultdict(list)
    timed_lock(holds)
    first, second, third = PASSWORDS
    for number in range(accounts):
        email, new_email = f"learner{number}@example.org", f"moved{number}@example.org"
        client = app.test_client()
        expect(client.post("/auth/login", data={"email": email, "password": first}), 302)
        profile = {"full_name": "Lee Learner", "email": new_email, "current_password": first}
        expect(client.post("/auth/profile", data=profile), 302)
        wrong = {**profile, "email": f"again{number}@example.org", "current_password": "no"}
        expect(client.post("/auth/profile", data=wrong), 200)
        change = {"current_password": first, "new_password": second}
        expect(client.post("/auth/password", data=change), 302)
        with app.app_context():
            token = make_reset_token(
                db.session.scalar(db.select(User).where(User.email == new_email))
            )
        reset = app.test_client().post(f"/auth/reset/{token}", data={"new_password": third})
        expect(reset, 302)
        client = app.test_client()
        expect(client.post("/auth/login", data={"email": new_email, "password": third}), 302)
        expect(client.post("/auth/delete", data={"password": third, "understood": "y"}), 302)
    return holds


def expect(response, status: int) -> None:
    if response.status_code != status:
        raise SystemExit(f"{response.request.path}: HTTP {response.status_code}, not {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lock-") as tmp:
        holds = run(args.accounts, Path(tmp))
    print(f"bench_lock_hold: {args.accounts} accounts; writers' lock held, in ms")
    print(f"{'request':32}{'n':>5}{'median':>9}{'longest':>9}")
    for endpoint, values in sorted(holds.items()):
        if endpoint.startswith("POST auth."):
            print(
                f"{endpoint:32}{len(values):5d}{statistics.median(values):9.1f}{max(values):9.1f}"
            )


if __name__ == "__main__":
    main()
