"""Failed password checks, counted so that guessing slows down but no one is locked out.

Three counters, after OWASP's "Slow Down Online Guessing Attacks with Device Cookies":

- ``pair``: an email address tried from one network address. One guesser slows down
  after a few failures without affecting anyone else.
- ``account``: an email address tried from browsers it has never signed in from, from
  any address. Many guessers together slow down too, but the learner's own browser (one
  holding a device cookie from an earlier sign-in) is not counted here and not held up.
- ``device``: one such trusted browser. If it fails too often it is trusted no longer
  for a while, and is counted like any other browser.

After ``FREE_FAILURES`` of its scope, each attempt on a key must wait 1, 2, 4 ... seconds
after the last failure, at most ``MAX_WAIT``. Nothing ever locks an account: a counter
is forgotten a day after its last failure, and a successful check clears it. Unknown
email addresses are counted exactly like known ones, so the answers give nothing away.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from course.extensions import db
from course.models import SignInThrottle
from course.secretkeys import secret_keys


class Scope(enum.StrEnum):
    """What a counter counts (see the module's docstring)."""

    PAIR = "pair"
    ACCOUNT = "account"
    DEVICE = "device"
    #: Password-reset emails asked for one address (known or not): a cap, not a wait.
    RESET = "reset"
    #: Sign-up emails asked for one address (known or not): a cap, as for resets.
    SIGN_UP = "sign_up"
    #: Wrong codes at the second step of one account's sign-in (``course.auth.twofactor``).
    SECOND_FACTOR = "second_factor"


#: Failures allowed on a key before each new attempt has to wait (for ``RESET``: the
#: emails sent to an address before it gets no more until a day passes).
FREE_FAILURES = {
    Scope.PAIR: 5, Scope.ACCOUNT: 20, Scope.DEVICE: 5, Scope.RESET: 5, Scope.SIGN_UP: 5,
    Scope.SECOND_FACTOR: 5,
}
#: The longest wait between attempts.
MAX_WAIT = timedelta(minutes=15)
#: A counter with no failure for this long starts again from nothing.
FORGET_AFTER = timedelta(days=1)


class Key(NamedTuple):
    """A counter: its scope and its digest, under the current secret key and retired ones."""

    scope: Scope
    digest: str
    #: The same counter under each key in ``SECRET_KEY_FALLBACKS``: failures counted
    #: there before a key change still count, so a change gives a guesser no fresh tries.
    retired: tuple[str, ...] = ()

    def digests(self) -> list[tuple[str, str]]:
        """Return (scope, digest) under every key, as the table's rows are keyed."""
        return [(self.scope.value, digest) for digest in (self.digest, *self.retired)]


def key(scope: Scope, *parts: str) -> Key:
    """Return the counter key for what ``parts`` name (an email, an address, a token)."""
    material = "\0".join((scope.value, *parts)).encode()
    current, *retired = (
        hmac.new(secret.encode() if isinstance(secret, str) else secret, material,
                 hashlib.sha256).hexdigest()
        for secret in reversed(secret_keys())
    )
    # A fallback equal to the current key (or listed twice) would have each failure take
    # the current row over from itself: each digest is kept once.
    return Key(scope, current, tuple(dict.fromkeys(other for other in retired if other != current)))


def wait_seconds(scope: Scope, failures: int, last_failed_at: datetime, now: datetime) -> int:
    """Return how long an attempt on a key with this record must still wait (0: none)."""
    free = FREE_FAILURES[scope]
    if failures < free or now - last_failed_at > FORGET_AFTER:
        return 0
    delay = min(2 ** min(failures - free, 20), MAX_WAIT.total_seconds())
    remaining = (last_failed_at + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def waits(keys: Iterable[Key], now: datetime) -> dict[Scope, int]:
    """Return the wait of each key's scope (0 for a key with no failures), in one query."""
    keys = list(keys)
    found = {counter.scope: 0 for counter in keys}
    if not keys:
        return found
    rows = db.session.execute(
        select(SignInThrottle.scope, SignInThrottle.key, SignInThrottle.failures,
               SignInThrottle.last_failed_at)
        .where(tuple_(SignInThrottle.scope, SignInThrottle.key).in_(_every_digest(keys)))
    )
    # One counter's rows under the current key and retired ones add up, as the next
    # failure adds them: while servers restart one by one, each key holds part of the
    # count, and the larger part alone gave a guesser up to twice the free tries.
    counter_of = {row: index for index, counter in enumerate(keys) for row in counter.digests()}
    held: dict[int, tuple[int, datetime]] = {}
    for scope, digest, failures, last_failed_at in rows:
        if now - last_failed_at > FORGET_AFTER:
            continue
        index = counter_of[scope, digest]
        total, latest = held.get(index, (0, last_failed_at))
        held[index] = (total + failures, max(latest, last_failed_at))
    for index, (failures, latest) in held.items():
        scope = keys[index].scope
        found[scope] = max(found[scope], wait_seconds(scope, failures, latest, now))
    return found


class Count(NamedTuple):
    """A key's failures after one more was counted."""

    failures: int
    #: What this failure added: 1, plus a retired key's count it took over.
    added: int

    def reached(self, limit: int) -> bool:
        """True when this failure brought the count to ``limit``, or past it in one step."""
        return self.failures - self.added < limit <= self.failures


def record_failure(counter: Key, now: datetime) -> Count:
    """Count a failure on a key, in one statement; return its failures so far."""
    carried = _take_over_retired(counter, now) if counter.retired else 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SignInThrottle).values(
        scope=counter.scope.value, key=counter.digest, failures=carried + 1, last_failed_at=now
    )
    # The new row's failures: 1, plus what a retired key's row handed over. While servers
    # restart one by one, both keys can hold counts at once; they add up.
    adding = statement.excluded.failures
    statement = statement.on_conflict_do_update(
        index_elements=[SignInThrottle.scope, SignInThrottle.key],
        set_={
            "failures": case(
                (SignInThrottle.last_failed_at < now - FORGET_AFTER, adding),
                else_=SignInThrottle.failures + adding,
            ),
            "last_failed_at": now,
        },
    ).returning(SignInThrottle.failures)
    return Count(int(db.session.execute(statement).scalar_one()), carried + 1)


def clear(keys: Iterable[Key]) -> None:
    """Forget the failures on these keys (a password was proven)."""
    keys = list(keys)
    if keys:
        db.session.execute(
            delete(SignInThrottle)
            .where(tuple_(SignInThrottle.scope, SignInThrottle.key).in_(_every_digest(keys)))
        )


def purge_forgotten(now: datetime) -> int:
    """Delete counters with no failure for ``FORGET_AFTER``; return how many went."""
    result = db.session.execute(
        delete(SignInThrottle).where(SignInThrottle.last_failed_at < now - FORGET_AFTER)
    )
    return result.rowcount or 0


def _every_digest(keys: list[Key]) -> list[tuple[str, str]]:
    return [row for counter in keys for row in counter.digests()]


def _take_over_retired(counter: Key, now: datetime) -> int:
    """Remove the counter's rows under retired keys; return the failures they still held.

    The first failure after a key change starts the current key's row from there, so the
    wait goes on doubling where it was.
    """
    # One statement: of failures racing after a key change, only the one whose delete
    # took a row hands its count over; a separate read let each of them carry it.
    failures = db.session.scalars(
        delete(SignInThrottle)
        .where(tuple_(SignInThrottle.scope, SignInThrottle.key).in_(counter.digests()[1:]))
        .returning(case((SignInThrottle.last_failed_at >= now - FORGET_AFTER,
                         SignInThrottle.failures), else_=0))
    ).all()
    return sum(failures)
