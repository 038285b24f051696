"""When the shared rate-limit store (Redis) is down, sign-in and verification still work.

The limits then fall back to each process's memory until Redis answers again; a learner
never sees a server error because a counter store is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course import create_app
from course.extensions import db
from tests.live_servers import free_port

redis = pytest.importorskip("redis", reason="needs the redis Python client (pip install redis)")


def test_limited_pages_work_while_redis_is_unreachable(tmp_path: Path) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": unreachable,
            "VERIFY_RATE_LIMIT": "3 per minute",
        }
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = [client.get("/verify/ABCD-EFGH-JKMN-PQRS").status_code for _ in range(5)]
    assert 500 not in statuses, statuses
    # The limit still holds, counted in memory meanwhile.
    assert statuses[-1] == 429, statuses
    assert client.post("/auth/login", data={"email": "a@example.org"}).status_code < 500
    with app.app_context():
        db.engine.dispose()
